"""What the browser tests drive: Debian's Chromium, a live derbes server, axe-core, screenshots.

Playwright's Python package talks to the system's Chromium (``/usr/bin/chromium``,
or ``DERBES_CHROMIUM``); its own browser downloads are never used, so the machine
needs nothing beyond Debian packages and PyPI. axe-core comes from ``node_modules/``
(``make assets``, pinned in ``package-lock.json``).

The server is uvicorn in a thread on an ephemeral loopback port, serving the app of
a ``World`` (tests/api_world.py): SQLite files in a temporary directory, the seed
registers published, a fixed clock the test moves. Plain http: ``127.0.0.1`` is a
secure context for Chromium (a "potentially trustworthy" origin, as localhost is),
so it keeps a ``Secure`` and even a ``__Host-`` cookie set over http there, as it
would over https in production. ``test_staff_sign_in`` proves it each run: were that
to change, the cookie would be missing and the test would fail, never pass silently.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.sync_api import BrowserContext, Page, Route

from derbes.platform.clock import FixedClock
from tests import staff_support
from tests.api_world import World

ROOT = Path(__file__).resolve().parents[1]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("DERBES_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 900}
# axe-core's impact levels that fail a page (WCAG 2.1 AA barriers).
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
_SCHEMES_WITHOUT_NETWORK = frozenset({"data", "blob", "about", "chrome-error"})


def unavailable(reason: str) -> None:
    """Skip locally; in CI a browser test that cannot run is a failure, not a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"browser tests are required when CI is set: {reason}", pytrace=False)
    pytest.skip(f"browser tests need {reason}")


def chromium_or_skip() -> str:
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        unavailable(f"Chromium at {CHROMIUM} (apt-get install chromium, or set DERBES_CHROMIUM)")
    if not AXE_JS.is_file():
        unavailable(f"axe-core in {AXE_JS.parent} (run `make assets`)")
    return CHROMIUM


class LiveServer:
    """uvicorn serving ``world.app`` in a thread, on a loopback port chosen by the system."""

    def __init__(self, world: World) -> None:
        self.world = world
        # The socket is bound here and handed to uvicorn: no window in which another
        # process could take a port picked as "free".
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(world.app, log_level="warning", ws="none", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._socket]}, daemon=True)

    def start(self) -> None:
        self._thread.start()
        # uvicorn sets ``started`` from its own loop; ask until it has, or it died.
        # The limit only ends a hung start, it measures nothing.
        give_up = time.monotonic() + 120
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > give_up:
                raise RuntimeError("the live derbes server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join()
        self._socket.close()

    def url(self, path: str) -> str:
        return self.base_url + path


@dataclass
class Site:
    """The live server, its world, and a DPO who may sign in (password + TOTP)."""

    server: LiveServer
    dpo: staff_support.Staffer
    operator: str

    @property
    def world(self) -> World:
        return self.server.world

    def url(self, path: str) -> str:
        return self.server.url(path)

    def totp(self, staffer: staff_support.Staffer | None = None) -> str:
        """A code the server accepts now for ``staffer`` (the DPO by default): the clock
        moves one step first, since a code already used (in this step) is refused as a
        replay."""
        clock = self.world.container.clock
        assert isinstance(clock, FixedClock)
        clock.advance(timedelta(seconds=self.world.container.rules.staff.policy.totp.step_seconds))
        code = staff_support.code(self.world, staffer or self.dpo)
        assert code is not None
        return code

    def staffer(self, login: str, role: str = "dpo", operator: str | None = None
                ) -> staff_support.Staffer:
        """Another person with ``role`` at ``operator`` (the site's by default), enrolled
        in TOTP: a test that changes a person (language, roles) changes its own."""
        return staff_support.add(self.world, login, (operator or self.operator, role))


@contextmanager
def live_site(world: World, login: str, operator: str) -> Iterator[Site]:
    """Serve ``world`` with a DPO of ``operator`` enrolled through the staff services."""
    dpo = staff_support.add(world, login, (operator, "dpo"))
    server = LiveServer(world)
    server.start()
    try:
        yield Site(server, dpo, operator)
    finally:
        server.stop()


def console_sign_in(page: Page, site: Site, staffer: staff_support.Staffer | None = None,
                    lang: str | None = None) -> None:
    """Sign in through the console's own form, as a person would: open the console,
    land on the sign-in page (in ``lang`` when given, by its language link), type the
    login, the password and the one-time code, and arrive at the operator's Today."""
    who = staffer or site.dpo
    page.goto(site.url("/console"))
    if lang is not None:
        page.locator(f'header a[lang="{lang}"]').click()
        page.wait_for_url(f"**lang={lang}")
    page.fill("#login", who.login)
    page.fill("#password", staff_support.PASSWORD)
    page.fill("#totp", site.totp(who))
    with page.expect_navigation():
        page.locator("form[action='/console/sign-in'] button[type=submit]").click()
    page.wait_for_url("**/today")


def _is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in _SCHEMES_WITHOUT_NETWORK:
        return True
    host = (parts.hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class OfflineGuard:
    """Every request of a browser context leaving the machine: recorded, then refused."""

    attempted: list[str] = field(default_factory=list)

    def install(self, context: BrowserContext) -> None:
        # Routes see what the pages fetch (scripts, styles, images, fonts, XHR, workers).
        context.route("**/*", self._route)

    def _route(self, route: Route) -> None:
        url = route.request.url
        if _is_loopback(url):
            route.continue_()
            return
        self.attempted.append(url)
        route.abort("internetdisconnected")


def axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now; fails on any serious or critical one."""
    # evaluate, not a <script> tag: the page's Content-Security-Policy would refuse an
    # inline script, and a test must not weaken the policy it runs under.
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"{v['impact']}: {v['id']} — {v['help']} ({v['helpUrl']}); at "
                 + ", ".join(str(n["target"]) for n in v["nodes"][:5]) for v in blocking]
        pytest.fail(f"axe-core on {page.url}:\n" + "\n".join(lines), pytrace=False)
    return violations


def screenshot_dir() -> Path:
    """``DERBES_SCREENSHOTS`` (``make screenshots`` sets docs/console), else out/browser/:
    a test run never rewrites the PNGs the documentation shows."""
    chosen = Path(os.environ.get("DERBES_SCREENSHOTS") or "out/browser")
    return chosen if chosen.is_absolute() else ROOT / chosen


def screenshot(page: Page, name: str) -> Path:
    """The page's viewport as ``<name>.png``; the path written."""
    target = screenshot_dir() / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))
    return target


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header (its IHDR chunk)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height
