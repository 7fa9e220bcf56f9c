"""Reading the plain records of docs/records.md into what the graph keeps.

The store hands the lineage view dicts (asset snapshots, edge records, change
entries). This module turns the parts the graph needs into typed values once,
on the way in, so that traversals compare datetimes rather than strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, overload

#: Stands in for a missing ``valid_from``: the edge has always been valid.
BEGINNING_OF_TIME = datetime.min.replace(tzinfo=UTC)


@overload
def parse_time(value: str | datetime) -> datetime: ...
@overload
def parse_time(value: None) -> None: ...
def parse_time(value: str | datetime | None) -> datetime | None:
    """Return ``value`` as a timezone-aware datetime, or None for None.

    Accepts ISO 8601 strings (a trailing ``Z`` included) and datetime objects.
    A naive value is taken to be UTC, as the catalogue stores UTC throughout.

    Raises:
        ValueError: ``value`` is a string that is not an ISO 8601 date-time.
        TypeError: ``value`` is neither a string, a datetime nor None.
    """
    if value is None:
        return None
    if type(value) is str:  # the common case first: this runs per edge on a build
        # Python 3.11's fromisoformat reads a trailing "Z" as UTC.
        value = datetime.fromisoformat(value)
    elif isinstance(value, str):
        value = datetime.fromisoformat(str(value))
    elif not isinstance(value, datetime):
        raise TypeError(f"expected an ISO date-time string or datetime, got {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def iso(value: datetime | None) -> str | None:
    """Return ``value`` in UTC as an ISO 8601 string (None stays None)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat()


class EdgeRecord:
    """One lineage edge record: ``upstream`` feeds ``downstream`` over an interval.

    Mutable on purpose: applying ``edge.end`` (or any later version of the same
    id) updates the record in place, so the adjacency lists that hold it stay
    correct without being rebuilt.
    """

    __slots__ = ("id", "upstream", "downstream", "via", "description", "valid_from", "valid_to")

    def __init__(
        self,
        id: int,
        upstream: str,
        downstream: str,
        via: str | None,
        description: str | None,
        valid_from: datetime,
        valid_to: datetime | None,
    ) -> None:
        self.id = id
        self.upstream = upstream
        self.downstream = downstream
        self.via = via
        self.description = description
        self.valid_from = valid_from
        self.valid_to = valid_to

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> EdgeRecord:
        """Read an edge record dict (docs/records.md).

        Raises:
            KeyError: ``id``, ``upstream`` or ``downstream`` is missing.
            ValueError: a validity bound is not an ISO 8601 date-time.
        """
        valid_from = record.get("valid_from")
        valid_to = record.get("valid_to")
        return cls(
            int(record["id"]),
            record["upstream"],
            record["downstream"],
            record.get("via"),
            record.get("description"),
            BEGINNING_OF_TIME if valid_from is None else parse_time(valid_from),
            None if valid_to is None else parse_time(valid_to),
        )

    @property
    def current(self) -> bool:
        """True while the edge has not been ended."""
        return self.valid_to is None

    def valid_at(self, when: datetime) -> bool:
        """True if the edge counted at ``when``: ``valid_from <= when < valid_to``."""
        return self.valid_from <= when and (self.valid_to is None or when < self.valid_to)

    def summary(self) -> tuple[Any, ...]:
        """A hashable, comparable description of the whole record."""
        return (
            self.id,
            self.upstream,
            self.downstream,
            self.via,
            self.description,
            iso(self.valid_from),
            iso(self.valid_to),
        )

    def as_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict, times in ISO 8601 UTC."""
        return {
            "id": self.id,
            "upstream": self.upstream,
            "downstream": self.downstream,
            "via": self.via,
            "description": self.description,
            "valid_from": None if self.valid_from == BEGINNING_OF_TIME else iso(self.valid_from),
            "valid_to": iso(self.valid_to),
        }


def freeze(value: Any) -> Any:
    """Return a hashable, comparable equivalent of a JSON-like value.

    Dicts become tuples of ``(key, frozen value)`` sorted by key, lists become
    tuples; scalars are returned unchanged.
    """
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, set | frozenset):
        return tuple(sorted(freeze(v) for v in value))
    return value
