"""The cabinet's pages (``/my/<operator>``) and its static files (``/cabinet/static``)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from derbes.cabinet.adapters.pages import static_dir
from derbes.cabinet.api.pages import router


def install(app: FastAPI) -> None:
    """Add the cabinet's pages and static files to the app (served by derbes: no CDN)."""
    app.mount("/cabinet/static", StaticFiles(directory=static_dir()), name="cabinet-static")
    app.include_router(router)


__all__ = ["install", "router"]
