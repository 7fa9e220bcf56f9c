"""The values lineage queries return: plain, immutable, easy to render."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Hop:
    """An asset reached by a trace, and how.

    Attributes:
        key: the asset reached.
        hops: the number of edges on the shortest path from the start.
        parent: the neighbour through which it was first reached (one hop closer
            to the start); following parents leads back to the start.
        via: the distinct ``via`` pipeline keys, sorted, of the edges joining
            ``parent`` and ``key`` (empty when those edges name no pipeline).
    """

    key: str
    hops: int
    parent: str
    via: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inheritance:
    """A sensitivity flag an asset inherits from something upstream.

    Attributes:
        flag: ``personal_data``, ``special_category`` or ``OFFICIAL-SENSITIVE``.
        source: the nearest upstream asset that declares the flag.
        path: the shortest path back from the asset to ``source``:
            ``path[0]`` is the asset, ``path[-1]`` is ``source``.
    """

    flag: str
    source: str
    path: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Mismatch:
    """An asset whose declared handling is weaker than what it inherits.

    Attributes:
        key: the asset.
        reasons: one sentence per broken rule, for people to read.
        inherited: everything the asset inherits (see ``Inheritance``).
    """

    key: str
    reasons: list[str] = field(default_factory=list)
    inherited: list[Inheritance] = field(default_factory=list)


def path_between(start: str, end: str, parents: Mapping[str, str]) -> list[str]:
    """The path ``[start, ..., end]`` recovered from a trace's parent links
    (``parents[key]`` is the node one hop closer to ``start``, as ``Hop.parent``).

    Raises:
        KeyError: ``end`` was not reached from ``start`` in that trace.
    """
    path = [end]
    while path[-1] != start:
        path.append(parents[path[-1]])
    path.reverse()
    return path
