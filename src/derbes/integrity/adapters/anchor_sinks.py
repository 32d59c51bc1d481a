"""Where anchors go: an append-only file, syslog, an HTTP endpoint.

Each sink receives one line of JSON per anchor (``integrity/model/anchor.py``). The
file is the one derbes reads back when it verifies; syslog and the URL hand
the same lines to systems the operator's database administrators do not
control (a log collector, a SIEM, a write-once store), where an auditor can
compare them.

The file is opened with ``O_APPEND`` for every line and fsynced: lines are
only ever added. Making it truly append-only against root (``chattr +a``, a
WORM mount, another host) is the operator's part; derbes keeps it outside
``var/`` by default so that whoever can replace the database files does not
by that alone also hold the anchors.
"""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from derbes.errors import ConfigurationError
from derbes.integrity.ports import AnchorSink

__all__ = ["AnchorSink", "FileAnchorSink", "SyslogAnchorSink", "UrlAnchorSink"]

# RFC 5424 PRI: facility 10 (authpriv: security messages), severity 5 (notice).
_PRI = 10 * 8 + 5
_TAG = "derbes-anchor"
_URL_TIMEOUT = 10.0


class FileAnchorSink:
    """Lines appended to a file (created 0600 in a 0700 directory if missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"file {path}"

    def write(self, line: str) -> None:
        try:
            if not self.path.parent.exists():
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line.rstrip("\n") + "\n").encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise ConfigurationError(f"cannot append to the anchor file {self.path}: "
                                     f"{exc.strerror or exc}") from None

    def lines(self) -> Iterator[str]:
        """Every line (none when the file does not exist yet)."""
        try:
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                yield from handle
        except FileNotFoundError:
            return
        except OSError as exc:
            raise ConfigurationError(f"cannot read the anchor file {self.path}: "
                                     f"{exc.strerror or exc}") from None


class SyslogAnchorSink:
    """Datagrams to syslog: a Unix socket path (``/dev/log``) or ``host:port`` (UDP)."""

    def __init__(self, address: str, hostname: str | None = None) -> None:
        self.address = address
        self.name = f"syslog {address}"
        self._hostname = hostname or socket.gethostname() or "-"

    def _message(self, line: str) -> bytes:
        # RFC 5424 with no structured data; the anchor line is the message.
        return f"<{_PRI}>1 - {self._hostname} {_TAG} - - - {line}".encode()

    def write(self, line: str) -> None:
        message = self._message(line)
        try:
            if self.address.startswith("/"):
                with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                    sock.connect(self.address)
                    sock.send(message)
                return
            host, sep, port = self.address.rpartition(":")
            if not sep or not port.isdigit():
                raise ConfigurationError(
                    f"anchor syslog address {self.address!r}: give a socket path or host:port")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.sendto(message, (host or "127.0.0.1", int(port)))
        except OSError as exc:
            raise ConfigurationError(f"cannot send the anchor to syslog {self.address}: "
                                     f"{exc.strerror or exc}") from None


class UrlAnchorSink:
    """``POST`` of each line as JSON to an HTTP(S) endpoint; any 2xx is taken as stored."""

    def __init__(self, url: str) -> None:
        if not url.startswith(("https://", "http://")):
            raise ConfigurationError(f"anchor URL {url!r}: only http(s) URLs are supported")
        self.url = url
        self.name = f"URL {url}"

    def write(self, line: str) -> None:
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url, data=line.encode("utf-8"), method="POST",
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=_URL_TIMEOUT) as response:  # noqa: S310
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            raise ConfigurationError(f"cannot send the anchor to {self.url}: {exc}") from None
        if not 200 <= status < 300:
            raise ConfigurationError(f"the anchor endpoint {self.url} answered HTTP {status}")
