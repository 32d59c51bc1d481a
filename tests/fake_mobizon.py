"""A local stand-in for the Mobizon.kz HTTP API, on loopback, for tests.

It speaks the documented format of ``POST /service/message/sendsmsmessage``: the
query ``output=json&api=v1&apiKey=…``, a form with ``recipient``, ``text``,
``from`` and ``params[validity]``, and a JSON answer ``{"code", "data",
"message"}``. A wrong key answers code 8 with HTTP 200; ``answers`` queues other
answers (an HTTP status, or a code and data) for the next requests, so tests
play a gateway that is down, out of money or refusing a number.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = "/service/message/sendsmsmessage"


@dataclass
class Received:
    recipient: str
    text: str
    sender: str | None
    validity: str | None


@dataclass
class FakeMobizon:
    api_key: str = "kz" + "a1" * 34
    received: list[Received] = field(default_factory=list)
    # Each: (http_status, json_body or None); taken in turn before the normal answer.
    answers: list[tuple[int, Any]] = field(default_factory=list)
    url: str = ""
    queries: list[dict[str, list[str]]] = field(default_factory=list)

    def answer(self, query: dict[str, list[str]], form: dict[str, list[str]]
               ) -> tuple[int, Any]:
        self.queries.append(query)
        if self.answers:
            return self.answers.pop(0)
        if query.get("apiKey") != [self.api_key] or query.get("output") != ["json"]:
            return 200, {"code": 8, "data": [], "message": "Ключ API неверный"}
        recipient = (form.get("recipient") or [""])[0]
        text = (form.get("text") or [""])[0]
        if not recipient.isdigit() or not text:
            return 200, {"code": 1, "data": {"recipient": "Неверный номер получателя"},
                         "message": "Ошибка валидации"}
        self.received.append(Received(recipient, text, (form.get("from") or [None])[0],
                                      (form.get("params[validity]") or [None])[0]))
        n = len(self.received)
        return 200, {"code": 0, "data": {"campaignId": str(1000 + n), "messageId": str(n),
                                         "status": 1}, "message": ""}

    def last_code(self) -> str | None:
        import re

        for message in reversed(self.received):
            found = re.search(r"\b(\d{6})\b", message.text)
            if found:
                return found.group(1)
        return None


def _handler(fake: FakeMobizon) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            if parts.path.lower() != PATH:
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8"))
            status, body = fake.answer(urllib.parse.parse_qs(parts.query), form)
            payload = json.dumps(body, ensure_ascii=False).encode() if body is not None \
                else b"<html>error</html>"
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

    return Handler


@contextmanager
def running(fake: FakeMobizon | None = None) -> Iterator[FakeMobizon]:
    fake = fake or FakeMobizon()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
