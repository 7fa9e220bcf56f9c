"""The catalogue as one object: database, sessions and this process's views.

The CLI builds one per command, the web app one per process. It holds no
request state: a service is called with one context, a ``Reader`` from
``reading(principal)`` or a ``Writer`` from ``write(actor)``, so the caller says
who is acting and the service reaches the session, the lineage graph and the
search index through it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from catalogue.config import Settings
from catalogue.db import end_read, make_engine, make_session_factory
from catalogue.errors import CatalogueError
from catalogue.services.access import Principal, operator
from catalogue.services.changes import Writer, writing, written_entries
from catalogue.services.context import Reader

if TYPE_CHECKING:
    from catalogue.services.views import Views
    from lineage import LineageGraph
    from search import SearchIndex

log = logging.getLogger(__name__)


class NotInitialised(CatalogueError):
    status = 503
    title = "Catalogue not initialised"


def read_synonyms(path: Path | None) -> dict[str, list[str]] | None:
    """Extra synonym groups from a file: one group a line, comma separated."""
    if path is None:
        return None
    groups: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        words = [w.strip().lower() for w in line.split(",") if w.strip()]
        if len(words) > 1 and not line.lstrip().startswith("#"):
            groups[words[0]] = words[1:]
    return groups


class Catalogue:
    def __init__(self, settings: Settings, threaded: bool = False) -> None:
        """``threaded``: this process serves requests on several threads (a web
        worker), so an index rebuild here must not fork helper processes (a fork
        while another thread holds a lock can hang the child)."""
        self.settings = settings
        self.engine = make_engine(settings.resolved_database_url, **settings.engine_options)
        self.sessions = make_session_factory(self.engine)
        self._views: Views | None = None
        self._views_made = threading.Lock()  # a web worker's threads share one
        self._rebuild_procs = 1 if threaded else None

    @property
    def views(self) -> Views:
        """This process's lineage graph and search index, made on first use: a
        command that only reads or writes rows (`catalogue show`) never imports
        NetworkX or Whoosh."""
        with self._views_made:
            if self._views is None:
                from catalogue.services.views import Views

                self._views = Views(
                    self.sessions,
                    str(self.settings.resolved_index_dir),
                    synonyms=read_synonyms(self.settings.synonyms_path),
                    rebuild_procs=self._rebuild_procs,
                )
            return self._views

    def is_initialised(self) -> bool:
        return inspect(self.engine).has_table("log_head")

    def require_initialised(self) -> None:
        if not self.is_initialised():
            raise NotInitialised(
                "the catalogue database has no tables yet: run `catalogue init` "
                "(or `catalogue db upgrade`) first"
            )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A bare session, for row lookups that need no one's permissions (signing
        in, the notification worker's bookkeeping); a service call takes
        ``reading``'s context instead."""
        with self.sessions() as session:
            yield session
            end_read(session)

    @contextmanager
    def reading(self, principal: Principal) -> Iterator[Reader]:
        """The context of a read service call: a session, who is asking, and this
        process's graph and index when the call first wants them."""
        with self.sessions() as session:
            yield Reader(session=session, principal=principal, views_of=lambda: self.views)
            end_read(session)

    @contextmanager
    def write(
        self,
        actor: Principal | str,
        now: datetime | None = None,
        happened_at: datetime | None = None,
        update_index: bool = True,
    ) -> Iterator[Writer]:
        """One transaction: the change and its change_log rows commit together.
        ``happened_at``: when the source says it happened (see ``writing``).

        After the commit the search index catches up at once (best effort: if
        another process holds its lock, the next search catches up instead).
        ``update_index=False`` leaves that to the next search, which applies
        what the index lacks before it answers (`catalogue register` does, so
        that it need not import and open the search index: #20).
        """
        principal = actor if isinstance(actor, Principal) else operator(actor)
        with writing(
            self.sessions, principal, now, happened_at, views_of=lambda: self.views
        ) as writer:
            yield writer
        if writer.pending and update_index:
            try:
                self.views.catch_up_index(written_entries(writer))
            except Exception as error:  # noqa: BLE001 - see below
                # The change is committed; the index is a view and the next
                # search catches up. Whatever stopped it (a file problem, the
                # database going away this instant), say so, but do not report
                # a write that landed as failed.
                log.warning(
                    "search index not updated after commit (%s); the next search will catch up",
                    error,
                )

    def graph(self) -> LineageGraph:
        """The whole graph, every committed change applied, for callers that act
        on it as a whole (export, rebuild checks); a service call that shows
        assets to someone uses its context's ``graph`` and principal instead."""
        return self.views.graph()

    def index(self) -> SearchIndex:
        return self.views.index()

    def close(self) -> None:
        if self._views is not None:
            self._views.close()
        self.engine.dispose()
