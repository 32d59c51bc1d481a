"""Anchor sinks for real: an append-only file, syslog over UDP, an HTTP endpoint.

The syslog receiver and the HTTP endpoint are local servers started by the
test (loopback only); each must receive the same signed line the file gets.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from derbes.audit.model.log import AuditRecord
from derbes.errors import ConfigurationError, ConflictError
from derbes.integrity.adapters.anchor_sinks import FileAnchorSink, SyslogAnchorSink, UrlAnchorSink
from derbes.integrity.model.anchor import Chain, anchor_key, authentic, parse_line
from derbes.integrity.service.anchors import AnchorTargets, anchor_chain
from derbes.platform.clock import FixedClock
from derbes.testing.audit import FAKE_AUDIT_KEY
from derbes.testing.uow import FakeUnitOfWork


@pytest.fixture
def udp() -> Iterator[socket.socket]:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(10)
    yield receiver
    receiver.close()


class _Collector(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []
    status: ClassVar[int] = 201

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        type(self).bodies.append(self.rfile.read(length))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def http() -> Iterator[tuple[str, type[_Collector]]]:
    handler = type("Collector", (_Collector,), {"bodies": [], "status": 201})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/anchors", handler
    server.shutdown()
    server.server_close()


def _world() -> tuple[FakeUnitOfWork, FixedClock]:
    uow = FakeUnitOfWork()
    clock = FixedClock()
    with uow:
        uow.audit.record(AuditRecord(at=clock.now(), actor="clerk", action="subject.read",
                                     subject_ids=["s1"]))
        uow.commit()
    return uow, clock


def test_every_sink_receives_the_same_signed_line(
    tmp_path: Path, udp: socket.socket, http: tuple[str, type[_Collector]],
) -> None:
    url, handler = http
    port = udp.getsockname()[1]
    targets = AnchorTargets(FileAnchorSink(tmp_path / "a" / "anchors.jsonl"),
                            (SyslogAnchorSink(f"127.0.0.1:{port}"), UrlAnchorSink(url)))
    uow, clock = _world()
    outcome = anchor_chain(uow, FAKE_AUDIT_KEY, Chain.AUDIT, targets, clock)
    assert outcome.written and len(outcome.sinks) == 3
    (line,) = (tmp_path / "a" / "anchors.jsonl").read_text().splitlines()
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o700
    datagram = udp.recv(65536).decode()
    assert datagram.startswith("<85>1 ") and "derbes-anchor" in datagram
    assert datagram.endswith(line)
    assert handler.bodies == [line.encode()]
    anchor = parse_line(datagram)
    assert anchor is not None and anchor.seq == 1
    assert authentic(anchor_key(FAKE_AUDIT_KEY), anchor)
    assert json.loads(line)["chain"] == "audit"


def test_a_sink_that_refuses_is_reported_while_the_others_get_the_line(
    tmp_path: Path, http: tuple[str, type[_Collector]],
) -> None:
    url, handler = http
    handler.status = 503
    targets = AnchorTargets(FileAnchorSink(tmp_path / "anchors.jsonl"), (UrlAnchorSink(url),))
    uow, clock = _world()
    with pytest.raises(ConflictError, match="HTTP 503"):
        anchor_chain(uow, FAKE_AUDIT_KEY, Chain.AUDIT, targets, clock)
    assert len((tmp_path / "anchors.jsonl").read_text().splitlines()) == 1
    with pytest.raises(ConfigurationError):
        UrlAnchorSink("ftp://example.kz/anchors")
    with pytest.raises(ConfigurationError):
        SyslogAnchorSink("no-port").write("x")
