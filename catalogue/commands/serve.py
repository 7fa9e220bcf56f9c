"""`catalogue serve`: the web app under gunicorn, logging one line per event.

Logging under serve: every line on stderr is one JSON object (or plain text
with ``CATALOGUE_LOG_FORMAT=text``): the app's request lines, and gunicorn's own
messages (start, workers booting and exiting, timeouts) through the same
formatter. Gunicorn's plain-text access log is off: the app's request line says
more (request id, user, duration) and leaves the query string out.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import click
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger

from catalogue.commands import Context, pass_context
from catalogue.config import Settings
from catalogue.request_log import configure_logging

log = logging.getLogger("catalogue.serve")


class CatalogueGunicornLogger(GunicornLogger):
    """Gunicorn's error log without its own plain-text handler: its records go
    to the root logger, where ``configure_logging`` formats every line alike."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in list(self.error_log.handlers):
            self.error_log.removeHandler(handler)
        self.error_log.propagate = True


class CatalogueServer(BaseApplication):
    """Gunicorn running one ``create_app()``, made in the master before it forks
    its workers (``preload_app``).

    The master loads the lineage graph once, lets go of its database connections
    and freezes what it holds out of the garbage collector; each worker then
    shares those pages with the master and its siblings instead of holding its own
    copy (copy-on-write: a page is copied only when written). After the fork each
    worker opens its own database connections and search index, and catches its
    graph up from the change log before its first request, so a worker started
    while another writes (or after a reload with ``HUP``) misses nothing.
    """

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)
        self.cfg.set("preload_app", True)
        self.cfg.set("pre_fork", lambda _server, _worker: share_before_fork(self.wsgi()))
        self.cfg.set("post_worker_init", lambda worker: warm_up(worker.wsgi))

    def load(self) -> Any:
        from catalogue import create_app

        return create_app()


def share_before_fork(app: Any) -> None:
    """In the master, before each worker is forked: bring the lineage graph up to
    the change log's head (loading it the first time), build what the search
    index's first queries would (SearchIndex.warm: the spelling dictionary, common
    words' bitmaps, facet tables; its files are closed again, each worker opens
    its own), close the database connections that took (no worker may inherit
    one), and freeze every object the master holds out of the cyclic garbage
    collector, whose passes would otherwise write to (and so unshare) each page
    in every worker.

    A master that cannot (the database is down) forks anyway: each worker loads
    its own graph and index when the database is back."""
    cat = app.extensions["catalogue"]
    try:
        _share("lineage graph not loaded", "lineage graph ready to share", cat.views.graph)
        _share(
            "search index not warmed",
            "search index warmed to share",
            lambda: cat.views.index().warm(),
        )
    finally:
        cat.engine.dispose()
        gc.collect()
        gc.freeze()


def _share(failed: str, done: str, work: Callable[[], object]) -> None:
    """Do ``work`` in the master for the workers to share; if it fails, say so
    and go on: each worker loads or opens its own later."""
    started = time.perf_counter()
    try:
        work()
    except Exception as error:  # noqa: BLE001 - the workers do it themselves later
        log.warning(
            "%s before starting workers: %s",
            failed,
            error,
            extra={"error_type": type(error).__name__},
        )
    else:
        log.debug("%s in %.1f s", done, time.perf_counter() - started)


def warm_up(app: Any) -> None:
    """Catch this worker's lineage graph up and open its search index before it
    takes its first request, so no user waits seconds for them. A worker that
    cannot (the database is down) starts anyway: its requests answer 503 until
    the database is back, and /readyz says why."""
    cat = app.extensions["catalogue"]
    started = time.perf_counter()
    try:
        cat.views.graph()
        cat.views.index()
    except Exception as error:  # noqa: BLE001 - a cold worker is still a working one
        log.warning("worker started cold: %s", error, extra={"error_type": type(error).__name__})
        return
    log.info(
        "worker warmed up in %.1f s",
        time.perf_counter() - started,
        extra={"warm_up_s": round(time.perf_counter() - started, 3)},
    )


def log_format_for(settings: Settings, stream: TextIO) -> str:
    """CATALOGUE_LOG_FORMAT when it is set; otherwise lines a person can read
    when ``stream`` is a terminal, and JSON for a log collector when it is not."""
    if os.environ.get("CATALOGUE_LOG_FORMAT", "").strip():
        return settings.log_format
    return "text" if stream.isatty() else "json"


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
    """Serve the catalogue's pages and API with gunicorn.

    Logs go to stderr: plain lines when it is a terminal, else one JSON object
    a line (CATALOGUE_LOG_FORMAT=json or text to choose; CATALOGUE_LOG_LEVEL to
    change the level).
    """
    settings = obj.settings
    configure_logging(settings.log_level, log_format_for(settings, sys.stderr))
    # Refuse to start on an uninitialised database; then let go of the
    # connection that took, so no worker inherits it across the fork.
    obj.catalogue.engine.dispose()
    log.info(
        "serving the catalogue on http://%s:%s/ with %s worker(s)",
        host,
        port,
        workers,
        extra={"host": host, "port": port, "workers": workers, "threads": threads},
    )
    CatalogueServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": None,
            # No gunicornc control socket: its default path is per user, so two
            # catalogues served on one host would fight over it.
            "control_socket_disable": True,
            "logger_class": CatalogueGunicornLogger,
            "loglevel": settings.log_level.lower(),
            "timeout": 60,
        }
    ).run()
