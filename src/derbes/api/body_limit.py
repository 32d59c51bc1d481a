"""Refuse a request body over the installation's limit before it is read whole.

A ``Content-Length`` over the limit is answered 413 at once, without reading the
body; a body sent without one (chunked) is counted as it streams and cut off at the
limit. Either way the answer is RFC 9457 problem+json, and the route never runs
with a body it did not get whole. Routes keep their own, smaller limits (a banner
choice, a cabinet scan, incident evidence).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from derbes.api.problems import PROBLEM_TYPE_BASE

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class _TooLarge(Exception):
    """The streamed body went over the limit."""


class BodyLimit:
    def __init__(self, app: App, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, send)
            return
        started = False
        exceeded = False
        size = 0

        async def counted() -> Message:
            nonlocal size, exceeded
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # what the app made of a cut-off body: replaced by the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception:
            # The cut-off body surfaces as _TooLarge, or as whatever a body parser
            # turned it into; anything else is not ours to hide.
            if not exceeded or started:
                raise
        if exceeded and not started:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = json.dumps({
            "type": PROBLEM_TYPE_BASE + "content-too-large",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"the request body is over {self.max_bytes} bytes "
                      "(DERBES_MAX_REQUEST_BYTES)",
            "field": "body",
            "instance": scope.get("path", ""),
        }).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
