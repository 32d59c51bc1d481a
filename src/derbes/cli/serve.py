"""``derbes serve``: the API with uvicorn."""

from __future__ import annotations

import typer

from derbes.cli.app import app


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve the REST API (OpenAPI at /docs)."""
    import uvicorn

    from derbes.api.app import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info")
