"""The lineage graph's sensitivity queries: what an asset inherits from
upstream (personal data, special category data, OFFICIAL-SENSITIVE) and which
assets' declared access is weaker than what they inherit.

A part of ``LineageGraph`` (``lineage.graph``), which takes these methods from
``SensitivityQueries``; the rules themselves are ``lineage.sensitivity``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING, Any

from lineage import sensitivity
from lineage.records import parse_time
from lineage.results import Hop, Inheritance, Mismatch

if TYPE_CHECKING:
    from lineage.compact import CompactStore
    from lineage.graph import Moment
    from lineage.store import LineageStore


class SensitivityQueries:
    """The sensitivity half of ``LineageGraph``'s queries, read from its store
    and along its breadth-first traces (``_levels``)."""

    _store: CompactStore | LineageStore
    _levels: Callable[..., Iterator[list[Hop]]]

    def inherited(
        self, key: str, as_of: Moment = None, attrs: Mapping[str, Mapping[str, Any]] | None = None
    ) -> list[Inheritance]:
        """The sensitivity ``key`` inherits from upstream (any depth), one entry per
        flag in ``sensitivity.FLAGS`` order, each naming the nearest upstream asset
        declaring it and the shortest path back to it (``path[0] == key``,
        ``path[-1] == source``). The asset's own declarations do not count.

        ``attrs`` overrides asset attributes by key (e.g. metadata as it stood
        at ``as_of``); assets it does not name use their current snapshot.

        Raises:
            KeyError: ``key`` is neither an asset nor named by any edge.
        """
        return self._inherited(key, parse_time(as_of), self._attrs_lookup(attrs))

    def inherited_along(
        self, key: str, hops: Iterable[Hop], attrs: Mapping[str, Mapping[str, Any]] | None = None
    ) -> list[Inheritance]:
        """``inherited`` read along ``hops``, the full upstream trace of ``key``
        already walked (``upstream(key, as_of=…)``, in its order): the same answer
        without walking the graph again. ``attrs`` as for ``inherited``."""
        return sensitivity.trace_inheritance(key, hops, self._attrs_lookup(attrs))

    def _inherited(
        self,
        key: str,
        when: datetime | None,
        lookup: sensitivity.AttrsLookup,
        wanted: Collection[str] = sensitivity.FLAGS,
    ) -> list[Inheritance]:
        # The trace is lazy: it stops once every wanted flag has a source.
        trace = chain.from_iterable(self._levels(key, True, None, when))
        return sensitivity.trace_inheritance(key, trace, lookup, wanted)

    def mismatches(
        self, as_of: Moment = None, attrs: Mapping[str, Mapping[str, Any]] | None = None
    ) -> list[Mismatch]:
        """Assets whose declared access is weaker than the data they inherit.

        The rule: an asset is flagged when its access is ``open`` and it inherits
        any flag (personal data, special category data, OFFICIAL-SENSITIVE), and
        when it inherits special category data and its access is not
        ``restricted``. Each ``Mismatch`` gives one sentence per broken rule and
        everything the asset inherits. Sorted by key. ``as_of`` and ``attrs`` as
        for ``inherited``.
        """
        when = parse_time(as_of)
        lookup = self._attrs_lookup(attrs)
        found = []
        existing = (key for key in self._store.node_keys() if self._store.exists(key, when))
        feeds = self._feeds_at(when)
        for key, flags in sorted(sensitivity.inheritors(existing, lookup, feeds).items()):
            asset = lookup(key)
            if asset is None:
                continue
            access = asset.get("access")
            if access != "open" and ("special_category" not in flags or access == "restricted"):
                continue
            inherited = self._inherited(key, when, lookup, flags)
            found.append(
                Mismatch(key, sensitivity.handling_shortfalls(access, inherited), inherited)
            )
        return found

    def _feeds_at(self, when: datetime | None) -> Callable[[str], Iterable[str]]:
        store = self._store
        return lambda key: (fed for fed, _ in store.neighbours(key, False, when))

    def _attrs_lookup(
        self, attrs: Mapping[str, Mapping[str, Any]] | None
    ) -> sensitivity.AttrsLookup:
        handling = self._store.handling
        if not attrs:
            return handling
        return lambda key: attrs[key] if key in attrs else handling(key)
