"""The console's routes (``/console``) and its static files (``/console/static``)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from derbes.console.adapters.pages import static_dir
from derbes.console.api import (
    compliance,
    incidents,
    oidc,
    oversight,
    people,
    registers,
    requests,
    signin,
    subjects,
)

router = APIRouter(include_in_schema=False)
router.include_router(signin.router)
router.include_router(oidc.router)
router.include_router(requests.router)
router.include_router(subjects.router)
router.include_router(oversight.router)
router.include_router(people.router)
router.include_router(incidents.router)
router.include_router(compliance.router)
router.include_router(registers.router)


def install(app: FastAPI) -> None:
    """Add the console's pages and static files to the app (served by derbes: no CDN)."""
    app.mount("/console/static", StaticFiles(directory=static_dir()), name="console-static")
    app.include_router(router)


__all__ = ["install", "router"]
