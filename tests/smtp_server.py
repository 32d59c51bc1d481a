"""A small SMTP server on loopback, for tests of the SMTP adapter (RFC 5321 with
STARTTLS, RFC 3207, and AUTH PLAIN, RFC 4954).

It speaks enough of the protocol for ``smtplib``: EHLO, STARTTLS (with a self-signed
certificate made here for 127.0.0.1), AUTH PLAIN (refused before TLS, as a relay
must), MAIL, RCPT, DATA, RSET, NOOP, QUIT. ``answers`` queues other replies for a
command (``"RCPT": ["550 5.1.1 no such mailbox"]``); a reply of ``None`` leaves the
command unanswered (a relay that hangs). What was said in clear, before STARTTLS, is
kept apart from what was said under TLS, so a test can prove a password never
crossed the network in clear.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USERNAME = "derbes-relay"
PASSWORD = "relay-Пароль-2026"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files in ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "derbes test relay")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                 x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "relay.crt", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@dataclass
class Received:
    """One message accepted: the envelope, the bytes, how the session was."""

    sender: str
    recipients: list[str]
    data: bytes
    tls: bool
    user: str | None


@dataclass
class LocalSmtp:
    cert: Path
    key: Path
    offer_starttls: bool = True
    port: int = 0
    received: list[Received] = field(default_factory=list)
    answers: dict[str, list[str | None]] = field(default_factory=dict)
    clear: list[bytes] = field(default_factory=list)  # lines the client sent before TLS
    secured: list[bytes] = field(default_factory=list)  # lines sent under TLS
    sessions: int = 0


class _Session:
    def __init__(self, server: LocalSmtp, connection: socket.socket,
                 tls: ssl.SSLContext) -> None:
        self.server, self.sock, self.tls_context = server, connection, tls
        self.reader = connection.makefile("rb")
        self.tls = False
        self.user: str | None = None
        self.sender: str | None = None
        self.recipients: list[str] = []

    def say(self, *lines: str) -> None:
        out = "".join(f"{code}{'-' if i < len(lines) - 1 else ' '}{text}\r\n"
                      for i, (code, text) in enumerate(line.split(" ", 1) for line in lines))
        self.sock.sendall(out.encode("utf-8"))

    def heard(self) -> bytes:
        line = self.reader.readline(65536)
        (self.server.secured if self.tls else self.server.clear).append(line)
        return line

    def scripted(self, verb: str) -> bool:
        """Give the queued reply for ``verb`` instead of the usual one (True if one was)."""
        queued = self.server.answers.get(verb)
        if not queued:
            return False
        reply = queued.pop(0)
        if reply is None:  # hang: read until the client gives up and closes
            while self.reader.readline(65536):
                pass
            raise ConnectionAbortedError
        self.say(reply)
        return True

    def run(self) -> None:
        self.say("220 relay.test ESMTP ready")
        while True:
            line = self.heard()
            if not line:
                return
            verb, _, rest = line.decode("utf-8", "replace").rstrip("\r\n").partition(" ")
            verb = verb.upper()
            if self.scripted(verb):
                continue
            if not self.handle(verb, rest):
                return

    def handle(self, verb: str, rest: str) -> bool:
        if verb in ("EHLO", "HELO"):
            offers = ["250 relay.test", "250 8BITMIME", "250 SIZE 10485760"]
            if self.server.offer_starttls and not self.tls:
                offers.append("250 STARTTLS")
            if self.tls:
                offers.append("250 AUTH PLAIN")
            self.say(*offers)
        elif verb == "STARTTLS" and self.server.offer_starttls and not self.tls:
            self.say("220 2.0.0 go ahead")
            self.sock = self.tls_context.wrap_socket(self.sock, server_side=True)
            self.reader = self.sock.makefile("rb")
            self.tls, self.sender, self.recipients = True, None, []
        elif verb == "AUTH":
            self.auth(rest)
        elif verb == "MAIL":
            self.sender, self.recipients = rest.partition(":")[2].split(" ")[0].strip("<>"), []
            self.say("250 2.1.0 ok")
        elif verb == "RCPT":
            self.recipients.append(rest.partition(":")[2].strip().strip("<>"))
            self.say("250 2.1.5 ok")
        elif verb == "DATA":
            self.data()
        elif verb in ("RSET", "NOOP"):
            self.say("250 2.0.0 ok")
        elif verb == "QUIT":
            self.say("221 2.0.0 bye")
            return False
        else:
            self.say("502 5.5.2 not implemented")
        return True

    def auth(self, rest: str) -> None:
        mechanism, _, initial = rest.partition(" ")
        if not self.tls:
            self.say("538 5.7.11 encryption required")
        elif mechanism.upper() != "PLAIN":
            self.say("504 5.5.4 mechanism not supported")
        else:
            _, user, password = base64.b64decode(initial).decode("utf-8").split("\0")
            if (user, password) == (USERNAME, PASSWORD):
                self.user = user
                self.say("235 2.7.0 authenticated")
            else:
                self.say("535 5.7.8 credentials invalid")

    def data(self) -> None:
        if self.sender is None or not self.recipients:
            self.say("503 5.5.1 MAIL and RCPT first")
            return
        self.say("354 end with <CRLF>.<CRLF>")
        lines: list[bytes] = []
        while True:
            line = self.heard()
            if line in (b".\r\n", b""):
                break
            lines.append(line[1:] if line.startswith(b"..") else line)
        self.server.received.append(Received(self.sender, self.recipients, b"".join(lines),
                                             self.tls, self.user))
        self.say("250 2.0.0 queued")


@contextmanager
def running(folder: Path, *, offer_starttls: bool = True) -> Iterator[LocalSmtp]:
    """The server on 127.0.0.1 (a port the system picks), one thread per connection."""
    cert, key = self_signed(folder)
    server = LocalSmtp(cert, key, offer_starttls)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    server.port = listener.getsockname()[1]
    stop = threading.Event()

    def serve(connection: socket.socket) -> None:
        session = _Session(server, connection, tls)
        try:
            session.run()
        except (OSError, ssl.SSLError, ConnectionAbortedError, ValueError):
            pass  # the client went away, or refused our certificate
        finally:
            session.sock.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            server.sessions += 1
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        stop.set()
        with suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        listener.close()
        acceptor.join(timeout=5)
