"""`catalogue serve`: the web app under gunicorn."""

from __future__ import annotations

from typing import Any

import click
from gunicorn.app.base import BaseApplication

from catalogue.commands import Context, pass_context


class CatalogueServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn running ``create_app()`` in each worker (after the fork, so each
    worker opens its own database connections and keeps its own views)."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from catalogue import create_app

        return create_app()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Worker processes."
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per worker.",
)
@pass_context
def serve(obj: Context, host: str, port: int, workers: int, threads: int) -> None:
    """Serve the catalogue's pages and API with gunicorn."""
    obj.catalogue  # noqa: B018 - refuse to start on an uninitialised database
    click.echo(f"Serving the catalogue on http://{host}:{port}/ with {workers} worker(s)", err=True)
    CatalogueServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": "-",
            "timeout": 60,
        }
    ).run()
