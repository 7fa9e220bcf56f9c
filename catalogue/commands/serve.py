"""`catalogue serve`: the web app under gunicorn, logging one line per event.

Logging under serve: every line on stderr is one JSON object (or plain text
with ``CATALOGUE_LOG_FORMAT=text``): the app's request lines, and gunicorn's own
messages (start, workers booting and exiting, timeouts) through the same
formatter. Gunicorn's plain-text access log is off: the app's request line says
more (request id, user, duration) and leaves the query string out.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

import click
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger

from catalogue.commands import Context, pass_context
from catalogue.config import Settings
from catalogue.request_log import configure_logging

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from catalogue.services.views import Views

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

    The first time, a forked helper process loads the graph while the master
    warms the index (``GraphLoader``), so on two cores the start takes about as
    long as the longer of the two rather than their sum (#21).

    A master that cannot (the database is down) forks anyway: each worker loads
    its own graph and index when the database is back."""
    cat = app.extensions["catalogue"]
    views = cat.views
    try:
        loader = None if views.has_graph() else GraphLoader.start(views, cat.engine)
        if loader is None:
            _share("lineage graph not loaded", "lineage graph ready to share", views.graph)
        _share(
            "search index not warmed", "search index warmed to share", lambda: views.index().warm()
        )
        if loader is not None:
            _share(
                "lineage graph not loaded", "lineage graph ready to share", loader.hand_to(views)
            )
    finally:
        cat.engine.dispose()
        gc.collect()
        gc.freeze()


class GraphLoader:
    """A process forked from the master that loads the lineage graph from the
    database and sends it back through a pipe, pickled.

    Why a process and not a thread: loading is Python work (reading rows,
    building arrays), which holds the interpreter lock, as does warming the
    search index. The compact graph is a few dozen flat arrays and byte strings,
    so it crosses the pipe in a fraction of a second, and the load's temporary
    objects die with the helper instead of fragmenting the master's heap. Being
    forked from the master, the helper hashes strings as the master does, which
    the graph's key index relies on (``lineage.packed.KeyIndex``).
    """

    def __init__(self, pid: int, pipe: BinaryIO) -> None:
        self.pid = pid
        self._pipe = pipe

    @classmethod
    def start(cls, views: Views, engine: Engine) -> GraphLoader | None:
        """Fork the helper; None (the master loads the graph itself) if it cannot."""
        try:
            read, write = os.pipe()
            pid = os.fork()
        except OSError as error:
            log.warning("lineage graph loader not started: %s", error)
            return None
        if pid == 0:
            os.close(read)
            _load_and_send(views, engine, write)  # never returns
        os.close(write)
        return cls(pid, os.fdopen(read, "rb"))

    def hand_to(self, views: Views) -> Callable[[], object]:
        """The master's step: wait for the helper's graph, give it to ``views``
        and catch it up from the change log (or, if the helper ended without
        one, say why and load it here)."""

        def step() -> object:
            self._adopted_by(views)
            return views.graph()

        return step

    def _adopted_by(self, views: Views) -> bool:
        try:
            outcome = pickle.load(self._pipe)
        except (EOFError, OSError, pickle.UnpicklingError) as error:
            outcome = ("failed", f"it ended without a graph ({error or type(error).__name__})")
        finally:
            self._pipe.close()
            self._reap()
        if outcome[0] != "graph":
            log.warning("lineage graph loader failed, loading it here: %s", outcome[1])
            return False
        views.adopt_graph(outcome[1])
        return True

    def _reap(self) -> None:
        """Collect the helper's exit status (gunicorn's own SIGCHLD handler may
        have done so already: then there is nothing to wait for)."""
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


#: Signals gunicorn's master handles; the graph loader takes the defaults back.
_MASTER_SIGNALS = ("HUP", "QUIT", "INT", "TERM", "TTIN", "TTOU", "USR1", "USR2", "WINCH", "CHLD")


def _load_and_send(views: Views, engine: Engine, fd: int) -> None:
    """In the forked helper: load the graph on a connection of its own, send
    ("graph", graph) or ("failed", reason) down the pipe, and exit at once
    (``os._exit``: nothing of the master's, such as its log handlers or
    gunicorn's exit hooks, runs twice)."""
    code = 1
    try:
        for name in _MASTER_SIGNALS:
            signal.signal(getattr(signal, f"SIG{name}"), signal.SIG_DFL)
        engine.dispose(close=False)  # the master's pooled connections stay the master's
        with os.fdopen(fd, "wb") as pipe:
            try:
                outcome: tuple[str, object] = ("graph", views.graph())
            except Exception as error:  # noqa: BLE001 - the master says why and loads it
                outcome = ("failed", f"{type(error).__name__}: {error}")
            pickle.dump(outcome, pipe, pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)


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
