"""Run a request again when the database was busy and nothing of it was stored.

Contention is not the client's fault: a unit of work that met a busy lock, a
deadlock or a serialization failure was rolled back whole
(:class:`~derbes.errors.DatabaseBusyError`). If the request had committed
nothing before that, running it again from the start is exactly what a client
retry would do, so the server does it, a few times with a growing, jittered
pause, before answering 503 with ``Retry-After``. A request that had already
committed a unit of work is never run again (that could store it twice): it
gets the 503 at once.

This is plain ASGI around the application: the request body is kept (up to
:data:`MAX_REPLAY_BODY`) so it can be replayed, and a response is held back only
when it is the busy problem; every other response streams through unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from derbes.platform.db import CommitCounter, counting_commits

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

# The exception handler marks the busy problem with this header; it never leaves the server.
BUSY_MARK = b"x-derbes-busy"
ATTEMPTS = 6
MAX_REPLAY_BODY = 8 * 1024 * 1024  # bytes; a larger body is served once, without replay
_rng = random.SystemRandom()
log = logging.getLogger(__name__)


class RetryBusy:
    def __init__(self, app: App, *, attempts: int = ATTEMPTS, pause: float = 0.05) -> None:
        self.app = app
        self.attempts = attempts
        self.pause = pause

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive)
        if not complete:
            await self.app(scope, _replay(body, receive), send)
            return
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            with counting_commits() as counter:
                sender = _Sender(send, counter, may_retry=not last)
                await self.app(scope, _replay(body, None), sender)
            if not sender.dropped:
                return
            log.warning("database busy: %s %s run again (attempt %d of %d)",
                        scope.get("method"), scope.get("path"), attempt + 1, self.attempts)
            # Back off a little more each time, at random, so retries do not collide again.
            await asyncio.sleep(self.pause * attempt * (0.5 + _rng.random()))


class _Sender:
    """Forwards the response, unless it is the busy problem of an attempt that may be run
    again (``may_retry`` and nothing committed): then it swallows it whole and
    ``dropped`` says so."""

    def __init__(self, send: Send, counter: CommitCounter, *, may_retry: bool) -> None:
        self._send = send
        self._counter = counter
        self._may_retry = may_retry
        self.dropped = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            busy = any(name.lower() == BUSY_MARK for name, _ in headers)
            if busy and self._may_retry and self._counter.commits == 0:
                self.dropped = True
                return
            if busy:
                message = {**message, "headers": [(n, v) for n, v in headers
                                                   if n.lower() != BUSY_MARK]}
        elif self.dropped:
            return
        await self._send(message)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The request body, and whether all of it was read (False past the replay limit)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_REPLAY_BODY:
            return b"".join(chunks), False


def _replay(body: bytes, rest: Receive | None) -> Receive:
    """A ``receive`` that gives ``body`` first (then the rest of the stream, if any)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": rest is not None}
        if rest is not None:
            return await rest()
        # Nothing more will come: wait as a real server does until the response is sent.
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}  # pragma: no cover - never reached

    return receive
