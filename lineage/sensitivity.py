"""How sensitivity flows downstream, and when declared handling falls short.

An asset fed by personal, special category or OFFICIAL-SENSITIVE data carries
that data too, whatever its own record says. These functions read flags from
asset attributes and explain an inheritance as a path back to its source; the
graph (``lineage.graph``) supplies the traversals.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from lineage.results import Hop, Inheritance, path_between

#: The flags that flow downstream, in the order results list them.
FLAGS: tuple[str, ...] = ("personal_data", "special_category", "OFFICIAL-SENSITIVE")

#: Classifications that mean "at least OFFICIAL-SENSITIVE" (the Government
#: Security Classifications; SECRET and above imply the sensitive handling too).
SENSITIVE_CLASSIFICATIONS = frozenset({"OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET"})

_LABELS = {
    "personal_data": "personal data",
    "special_category": "special category data",
    "OFFICIAL-SENSITIVE": "OFFICIAL-SENSITIVE data",
}

AttrsLookup = Callable[[str], Mapping[str, Any] | None]


def declared_flags(attrs: Mapping[str, Any] | None) -> frozenset[str]:
    """The flags an asset declares itself.

    ``personal_data`` and ``special_category`` when those fields are true;
    ``OFFICIAL-SENSITIVE`` when the classification is OFFICIAL-SENSITIVE,
    SECRET or TOP SECRET. None (an unknown asset) declares nothing.
    """
    if not attrs:
        return frozenset()
    flags = set()
    if attrs.get("personal_data"):
        flags.add("personal_data")
    if attrs.get("special_category"):
        flags.add("special_category")
    if attrs.get("classification") in SENSITIVE_CLASSIFICATIONS:
        flags.add("OFFICIAL-SENSITIVE")
    return frozenset(flags)


def trace_inheritance(
    key: str,
    upstream: Iterable[Hop],
    attrs_of: AttrsLookup,
    wanted: Collection[str] = FLAGS,
) -> list[Inheritance]:
    """Explain what ``key`` inherits, given its upstream trace.

    ``upstream`` must be a full trace of ``key`` ordered by hops then key (as
    ``LineageGraph.upstream`` returns it), so the first hop declaring a flag is
    the nearest source, ties going to the smaller key. It is consumed only
    until every flag in ``wanted`` has a source, so a lazy trace stops early.
    Returns at most one ``Inheritance`` per flag, in ``FLAGS`` order, each with
    the path from ``key`` back to that source.
    """
    parents: dict[str, str] = {}
    nearest: dict[str, str] = {}
    for hop in upstream:
        parents[hop.key] = hop.parent
        for flag in declared_flags(attrs_of(hop.key)):
            nearest.setdefault(flag, hop.key)
        if all(flag in nearest for flag in wanted):
            break
    return [
        Inheritance(flag, nearest[flag], path_between(key, nearest[flag], parents))
        for flag in FLAGS
        if flag in nearest
    ]


def inheritors(
    nodes: Iterable[str], attrs_of: AttrsLookup, feeds: Callable[[str], Iterable[str]]
) -> dict[str, set[str]]:
    """Every node that inherits some flag, with those flags.

    ``nodes`` are the nodes that exist, ``feeds(key)`` what ``key`` feeds
    directly. One sweep downstream per flag from all the nodes declaring it;
    a declaring node inherits the flag only if another declaring node feeds it.
    """
    sources: dict[str, list[str]] = {flag: [] for flag in FLAGS}
    for key in nodes:
        for flag in declared_flags(attrs_of(key)):
            sources[flag].append(key)
    found: dict[str, set[str]] = {}
    for flag, frontier in sources.items():
        reached: set[str] = set()
        while frontier:
            following = []
            for node in frontier:
                for fed in feeds(node):
                    if fed not in reached:
                        reached.add(fed)
                        following.append(fed)
            frontier = following
        for key in reached:
            found.setdefault(key, set()).add(flag)
    return found


def handling_shortfalls(access: str | None, inherited: Sequence[Inheritance]) -> list[str]:
    """Sentences saying how an asset's access falls short of what it inherits.

    The rules: an asset with ``open`` access must inherit no flag at all (one
    sentence per flag it inherits); an asset that inherits special category
    data must have ``restricted`` access. An empty list means no shortfall.
    """
    reasons: list[str] = []
    if access == "open":
        reasons.extend(
            f"access is open but it inherits {_LABELS[item.flag]} {_route(item)}"
            for item in inherited
        )
    special = next((item for item in inherited if item.flag == "special_category"), None)
    if special is not None and access != "restricted":
        reasons.append(
            f"access is {access or 'not set'} but it inherits special category data"
            f" {_route(special)}, which needs restricted access"
        )
    return reasons


def _route(item: Inheritance) -> str:
    """'from <source>', naming what lies between when the source is not a direct feed."""
    between = item.path[1:-1]
    if not between:
        return f"from {item.source}"
    return f"from {item.source} via {' <- '.join(between)}"
