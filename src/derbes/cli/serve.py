"""``derbes serve``: the API with uvicorn."""

from __future__ import annotations

import typer

from derbes.cli.app import app

APP_FACTORY = "derbes.api.app:create_app"


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, min=1, max=64,
        help="Server processes sharing the port (one per core: the decision point and "
             "the JSON work are CPU-bound, and one Python process uses one core)."),
) -> None:
    """Serve the REST API (OpenAPI at /docs)."""
    import uvicorn

    if workers == 1:
        from derbes.api.app import create_app

        uvicorn.run(create_app(), host=host, port=port, log_level="info")
        return
    import os

    from derbes.bootstrap import bootstrap

    # The chains' heads are anchored by this supervising process alone: N workers
    # each on its own schedule would interleave their anchors in the sinks.
    schedule = bootstrap().anchor_schedule()
    os.environ["DERBES_ANCHOR_EVERY_MINUTES"] = "0"  # inherited by the workers
    if schedule is not None:
        schedule.start()
    try:
        # uvicorn binds the port once and hands the socket to each worker, which
        # builds its own app (connection pool, caches) from the same settings; the
        # kernel spreads the connections between them.
        uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers,
                    log_level="info")
    finally:
        if schedule is not None:
            schedule.stop()
