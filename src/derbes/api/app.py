"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from derbes import __version__
from derbes.api import body_limit, docs, inputs, links, problems, retry
from derbes.audit import api as audit
from derbes.banner import api as banner
from derbes.bootstrap import Container, bootstrap
from derbes.cabinet import api as cabinet
from derbes.compliance import api as compliance
from derbes.consent import api as consents
from derbes.console import api as console
from derbes.decisions import api as decisions
from derbes.identifiers import api as identifiers
from derbes.incidents import api as incidents
from derbes.platform.files import restrict_process
from derbes.register.api import notice, registers
from derbes.requests import api as requests
from derbes.retention.api import acts, retention
from derbes.staff import api as staff
from derbes.transfers import api as transfers
from derbes.vault import api as subjects


def create_app(container: Container | None = None) -> FastAPI:
    # Also when the app is served by another runner than `derbes serve`.
    restrict_process()
    container = container or bootstrap()
    container.rules.load_all()  # every rule table now: a wrong DPO's file stops it here
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
        # Before any route: no NUL or unpaired surrogate in a path, query or JSON body.
        dependencies=[Depends(inputs.clean_text)],
        lifespan=lifespan,
        # Served by docs.install from derbes' own copies, never from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.container = container
    problems.install(app)
    _add_middlewares(app, container)
    app.include_router(identifiers.router)
    app.include_router(registers.router)
    app.include_router(notice.router)
    app.include_router(audit.router)
    app.include_router(audit.ledger_router)
    app.include_router(subjects.router)
    app.include_router(decisions.router)
    app.include_router(transfers.router)
    app.include_router(consents.router)
    app.include_router(requests.router)
    app.include_router(acts.router)
    app.include_router(retention.router)
    app.include_router(staff.router)
    app.include_router(incidents.router)
    app.include_router(compliance.router)
    app.include_router(banner.router)
    console.install(app)
    cabinet.install(app)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    docs.install(app)
    links.add_links(app)
    return app


def _add_middlewares(app: FastAPI, container: Container) -> None:
    # Innermost of the middlewares added here: it replays a request met by contention.
    app.add_middleware(retry.RetryBusy)
    # Outside it: a body over the limit is refused before anything reads it.
    app.add_middleware(body_limit.BodyLimit, max_bytes=container.settings.max_request_bytes)
