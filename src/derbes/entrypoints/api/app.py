"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from derbes import __version__
from derbes.bootstrap import Container, bootstrap
from derbes.entrypoints.api import (
    acts,
    audit,
    consents,
    decisions,
    identifiers,
    notice,
    problems,
    registers,
    requests,
    retention,
    subjects,
)


def create_app(container: Container | None = None) -> FastAPI:
    container = container or bootstrap()
    built = container

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The chains' heads are anchored outside the database on the operator's
        # schedule while the server runs (DERBES_ANCHOR_EVERY_MINUTES).
        schedule = built.anchor_schedule()
        if schedule is not None:
            schedule.start()
        try:
            yield
        finally:
            if schedule is not None:
                schedule.stop()

    app = FastAPI(
        title="derbes",
        version=__version__,
        description="Personal-data system of a Kazakhstan operator under Law 94-V.",
        lifespan=lifespan,
    )
    app.state.container = container
    problems.install(app)
    app.include_router(identifiers.router)
    app.include_router(registers.router)
    app.include_router(notice.router)
    app.include_router(audit.router)
    app.include_router(audit.ledger_router)
    app.include_router(subjects.router)
    app.include_router(decisions.router)
    app.include_router(consents.router)
    app.include_router(requests.router)
    app.include_router(acts.router)
    app.include_router(retention.router)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
