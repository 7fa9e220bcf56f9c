"""The one thing a service call takes: who is acting, in which transaction, and
this process's views of the store.

A function that only reads takes a ``Reader``; a function that writes takes a
``Writer`` (catalogue/services/changes.py), which is a Reader too, so a write can
call any read function with the context it holds. Callers make them with
``Catalogue.reading(principal)`` and ``Catalogue.write(actor)``; nothing else
needs to know how to reach the graph or the index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from catalogue.services.access import Principal

if TYPE_CHECKING:  # the views import Whoosh and NetworkX: only when first used
    from catalogue.services.views import Views
    from lineage import LineageGraph
    from search import SearchIndex


class NoViews(RuntimeError):
    """A context made without the catalogue's views was asked for the graph or index."""


@dataclass(kw_only=True)
class Reader:
    """One read: the session, who is asking, and the process's views on demand.

    ``views_of`` is called the first time the graph or the index is wanted, so a
    call that only reads rows never opens the index or builds the graph.
    """

    session: Session
    principal: Principal
    views_of: Callable[[], Views] | None = field(default=None, repr=False, compare=False)
    _graph: LineageGraph | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def views(self) -> Views:
        if self.views_of is None:
            raise NoViews("this service call was given no lineage graph or search index")
        return self.views_of()

    @property
    def graph(self) -> LineageGraph:
        """The lineage graph with every change this session can see applied, caught
        up once per context: every service call of one read sees the same graph,
        and a write transaction (which holds the log lock) sees exactly the
        database as it found it, its own changes reaching the graph after the
        commit."""
        if self._graph is None:
            self._graph = self.views.graph(self.session)
        return self._graph

    @property
    def index(self) -> SearchIndex:
        """The search index, caught up with the committed change log (checked
        in this context's session: a search that finds it current reads in one)."""
        return self.views.index(session=self.session)
