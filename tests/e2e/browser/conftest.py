"""Fixtures of the browser tests: Chromium, a live derbes with a DPO, a page that stays offline.

Every test here is marked ``browser`` (``-m browser`` runs only them, ``-m "not browser"``
leaves them out); ``make test`` runs them with the rest. Without Chromium or axe-core
they skip locally and fail when ``CI`` is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.api_world import make_world
from tests.browser_support import (
    CHROMIUM_ARGS,
    VIEWPORT,
    OfflineGuard,
    Site,
    chromium_or_skip,
    live_site,
)

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One live server per session (per xdist worker): seed registers published, and a
    DPO of kassa24 with a password and TOTP, added through the staff services."""
    world = make_world(tmp_path_factory.mktemp("browser-site"))
    try:
        with live_site(world, "dpo@kassa24.kz", "kassa24") as running:
            yield running
    finally:
        world.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def offline() -> OfflineGuard:
    """What the page tried to fetch outside loopback (each attempt refused)."""
    return OfflineGuard()


@pytest.fixture
def context(browser: Browser, offline: OfflineGuard) -> Iterator[BrowserContext]:
    """A fresh profile (no cookies) per test, 1280×900, with every request outside
    loopback refused and recorded."""
    created = browser.new_context(viewport=VIEWPORT, locale="en-US")
    offline.install(created)
    try:
        yield created
    finally:
        created.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
