"""Lineage use cases for auditors and stewards: traces, neighbours and paths.

The graph (``lineage.LineageGraph``) answers the shape; this module adds what
people need beside it: owners, staleness, and metadata as it stood on a past
date, read from the change log. The auditor's check is ``lineage_check``'s,
the lineage explorer's neighbourhood ``lineage_explorer``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

from catalogue import vocab
from catalogue.errors import Invalid, Problem
from catalogue.services import run_health
from catalogue.services.access import HIDDEN_ASSET, RESTRICTED_PLACEHOLDER
from catalogue.services.as_of import records_as_of as records_as_of  # for the Marquez API
from catalogue.services.as_of import records_then
from catalogue.services.context import Reader
from catalogue.services.record_types import TraceRow
from catalogue.services.sight import Sight, current_node, sight_name
from lineage import Hop, Inheritance

FLAG_WORDS = {
    "personal_data": "personal data",
    "special_category": "special category data",
    "OFFICIAL-SENSITIVE": "OFFICIAL-SENSITIVE data",
}
TRACE_COLUMNS = (
    "hops",
    "key",
    "kind",
    "title",
    "department",
    "owner",
    "owner_email",
    "steward",
    "classification",
    "access",
    "personal_data",
    "special_category",
    "last_updated",
    "update_frequency",
    "stale",
    "at_risk",
    "feeds",
    "via",
    "status",
)


def parse_as_of(value: str | None) -> datetime | None:
    """An ISO 8601 date (end of that day, UTC) or date-time, converted to UTC;
    None for "now".

    Raises Invalid naming the field and the accepted forms.
    """
    if not value:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.max.time(), UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(
            f"as-of {value!r} is not a date",
            [
                Problem(
                    "use an ISO 8601 date (2025-10-01) or date-time (2025-10-01T09:30:00Z)",
                    field="as_of",
                )
            ],
        ) from None
    # One instant, said in UTC: 12:00+01:00 is 11:00 UTC, never "12:00 UTC".
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the year 1 in UTC
        raise Invalid(
            f"as-of {value!r} is outside the years 1 to 9999 in UTC",
            [Problem("use a moment between the years 1 and 9999 (UTC)", field="as_of")],
        ) from None


def placeholder_row(hop: Hop, sight: Sight) -> TraceRow:
    row: dict[str, Any] = dict.fromkeys(TRACE_COLUMNS)
    row.update(
        hops=hop.hops,
        title=RESTRICTED_PLACEHOLDER,
        feeds=sight.name(hop.parent),
        via=[],
        restricted=True,
    )
    return cast("TraceRow", row)


HIDDEN_UPSTREAM = (
    "some of what feeds it is hidden from you, and so is any sensitivity it passes on: "
    "check its handling with the owner"
)


@dataclass
class Trace:
    """An auditor's trace of one asset (usually a report)."""

    key: str
    as_of: datetime | None
    subject: dict[str, Any]
    rows: list[TraceRow] = field(default_factory=list)
    inherited: list[dict[str, Any]] = field(default_factory=list)
    #: Something upstream is hidden from the caller: what it passes on is not shown.
    hidden_upstream: bool = False
    warnings: list[str] = field(default_factory=list)
    existed: bool = True  # False: as of then, nothing had been recorded of the asset

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "existed": self.existed,
            "subject": self.subject,
            "upstream": self.rows,
            "inherits": self.inherited,
            "warnings": self.warnings,
        }


def _today(as_of: datetime | None) -> date:
    return (as_of or datetime.now(UTC)).date()


def hop_rows(
    hops: list[Hop], attrs: Mapping[str, Mapping[str, Any]], as_of: datetime | None, sight: Sight
) -> list[TraceRow]:
    """One row per asset reached, with the people and handling auditors need."""
    today = _today(as_of)
    rows: list[TraceRow] = []
    for hop in hops:
        if not sight.visible(hop.key):
            rows.append(placeholder_row(hop, sight))
            continue
        a = attrs.get(hop.key) or {}
        row = dict(zip(TRACE_COLUMNS, map(a.get, TRACE_COLUMNS), strict=True))
        row.update(
            hops=hop.hops,
            key=hop.key,
            feeds=sight.name(hop.parent),
            via=[v for v in hop.via if sight.visible(v)],
            restricted=False,
        )
        row["stale"] = vocab.is_stale(a.get("update_frequency"), a.get("last_updated"), today)
        rows.append(cast("TraceRow", row))
    return rows


def explain(inheritance: Inheritance, titles: Mapping[str, str]) -> str:
    """ "Housing arrears dashboard contains personal data via Rent accounts ← Northgate"."""
    names = [titles.get(k, k) for k in inheritance.path]
    via = " ← ".join(names[1:])
    return f"{names[0]} contains {FLAG_WORDS[inheritance.flag]} via {via}"


def attrs_for(
    reader: Reader, keys: Iterable[str], as_of: datetime | None
) -> dict[str, dict[str, Any]]:
    """Node attributes now, or as they stood at ``as_of`` where history allows.

    An asset with no change recorded since ``as_of`` stood then as it stands now,
    so only the records of assets changed since are read from the change log
    (decoding every record of a long trace was most of an as-of trace's time)."""
    return attrs_then(reader, None, keys, as_of)[0]


def attrs_then(
    reader: Reader,
    subject: str | None,
    keys: Iterable[str],
    as_of: datetime | None,
    nodes: Mapping[str, dict[str, Any]] | None = None,
) -> tuple[dict[str, dict[str, Any]], bool]:
    """As ``attrs_for``, with ``subject`` (if given) shown whole: its full record
    as it stood at ``as_of``, if it had one. Also says whether it had one (always
    True now). One read of the change log for all of it (#21). ``nodes``: current
    snapshots already read (``Sight.nodes``), not read again."""
    keys = list(keys)
    then = records_then(reader.session, keys, as_of, subject) if as_of is not None else {}
    graph, nodes = reader.graph, nodes or {}
    found: dict[str, dict[str, Any]] = {}
    for k in keys:
        if k in then:
            found[k] = then[k]
            continue
        node = nodes[k] if k in nodes else current_node(graph, k)
        if node:
            found[k] = node
        elif as_of is not None:
            found[k] = {}  # no asset now: nothing known of it then either
    return found, as_of is None or subject in then


def trace(
    reader: Reader,
    key: str,
    as_of: datetime | None = None,
    risks: dict[str, run_health.Risk] | None = None,
) -> Trace:
    """Everything upstream of ``key`` with owners, handling and freshness, and what
    it inherits and why. Raises NotFound for a key the caller cannot see.
    ``risks``: ``run_health.at_risk`` as the caller has just read it (an asset
    page shows it too), so it is not read twice."""
    sight = Sight(reader)
    sight.require(key)
    graph = sight.graph
    hops = graph.upstream(key, as_of=as_of)
    # The subject is shown whole: its full record as it stood then, if it had one.
    attrs, existed = attrs_then(reader, key, [key, *(h.key for h in hops)], as_of, sight.nodes)
    # What it inherits is read along the trace just walked, not a second walk.
    inherited = graph.inherited_along(key, hops, attrs=attrs if as_of else None)
    titles = {
        k: (v.get("title") or k) if sight.visible(k) else HIDDEN_ASSET for k, v in attrs.items()
    }
    # What an asset holds is governance information of that asset: sensitivity
    # inherited from one the caller may not see is not theirs to learn.
    shown = [i for i in inherited if sight.visible(i.source)]
    result = Trace(key=key, as_of=as_of, subject=dict(attrs.get(key) or {}))
    if not existed:
        result.existed = False  # its record now stands in for the subject's title
    result.rows = hop_rows(hops, attrs, as_of, sight)
    risks = _mark_at_risk(reader, result, risks)
    result.inherited = [
        {
            "flag": i.flag,
            "source": sight.name(i.source),
            "path": [sight.name(k) for k in i.path],
            "explanation": explain(i, titles),
        }
        for i in shown
    ]
    result.hidden_upstream = any(not sight.visible(h.key) for h in hops)
    result.warnings = _trace_warnings(result, titles, shown, risks, sight)
    return result


def _mark_at_risk(
    reader: Reader, result: Trace, risks: dict[str, run_health.Risk] | None
) -> dict[str, run_health.Risk]:
    """Mark the trace's rows and subject at risk or not, and return the risks.
    Run health is today's: a trace as of a past date does not show it (None)."""
    if result.as_of is not None:
        risks = {}
    elif risks is None:
        risks = run_health.at_risk(reader)
    now = result.as_of is None
    for row in result.rows:
        row["at_risk"] = bool(row["key"] and row["key"] in risks) if now else None
    result.subject["at_risk"] = result.key in risks if now else None
    return risks


def _trace_warnings(
    result: Trace,
    titles: Mapping[str, str],
    shown: list[Inheritance],
    risks: Mapping[str, run_health.Risk],
    sight: Sight,
) -> list[str]:
    """What the trace's reader should act on: open handling of inherited
    sensitivity, hidden feeds, the subject's run health and stale feeds."""
    warnings: list[str] = []
    if result.subject.get("access") == "open" and shown:
        warnings.append(
            f"{titles[result.key]} is marked open but inherits "
            + ", ".join(FLAG_WORDS[i.flag] for i in shown)
        )
    if result.hidden_upstream:
        warnings.append(HIDDEN_UPSTREAM)
    if result.key in risks:
        warnings.append(run_health.sentence(result.key, risks[result.key], sight_name(sight)))
    stale = [r["key"] for r in result.rows if r["stale"] and r["key"]]
    if stale:
        warnings.append("stale feeds: " + ", ".join(stale))
    return warnings


def neighbours(
    reader: Reader,
    key: str,
    direction: str,
    depth: int | None = None,
    as_of: datetime | None = None,
) -> list[TraceRow]:
    """Upstream or downstream assets as rows (see TRACE_COLUMNS), restricted
    ones as placeholders."""
    sight = Sight(reader)
    sight.require(key)
    return side_rows(reader, sight, key, direction, depth, as_of)[1]


def side_rows(
    reader: Reader,
    sight: Sight,
    key: str,
    direction: str,
    depth: int | None,
    as_of: datetime | None,
) -> tuple[list[Hop], list[TraceRow]]:
    """The hops of one side of ``key`` and their rows, one row per hop."""
    if depth is not None and depth < 1:
        raise Invalid("depth must be 1 or more", [Problem("must be 1 or more", "depth")])
    graph = sight.graph
    walk = graph.upstream if direction == "upstream" else graph.downstream
    hops = walk(key, depth=depth, as_of=as_of)
    attrs = attrs_for(reader, [h.key for h in hops], as_of)
    return hops, hop_rows(hops, attrs, as_of, sight)


def paths(reader: Reader, a: str, b: str, as_of: datetime | None = None) -> list[list[str | None]]:
    """Routes by which ``a`` feeds ``b``; a restricted asset on a route is None."""
    sight = Sight(reader)
    sight.require(a)
    sight.require(b)
    return [[sight.name(k) for k in route] for route in sight.graph.paths(a, b, as_of=as_of)]
