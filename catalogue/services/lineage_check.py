"""The auditor's lineage check: handling weaker than the sensitivity an asset
inherits, and stale or retired assets that still feed an active report. Read
from the lineage graph as it stands now, across every department.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from catalogue import vocab
from catalogue.errors import Forbidden
from catalogue.services.context import Reader
from catalogue.services.lineage import explain
from catalogue.services.record_types import (
    HandlingMismatch,
    LineageCheck,
    RetiredFeed,
    StaleFeed,
)
from lineage import LineageGraph


def check(reader: Reader, today: date | None = None) -> LineageCheck:
    """What an auditor should look at: handling weaker than inherited sensitivity,
    and stale or retired assets that still feed an active report. Needs an auditor or admin: the
    answer names assets across every department."""
    if not reader.principal.sees_everything:
        raise Forbidden("the lineage check is for auditors and admins")
    graph = reader.graph
    today = today or datetime.now(UTC).date()
    mismatches = _handling_mismatches(graph)
    stale_feeds: list[StaleFeed] = []
    retired_feeds: list[RetiredFeed] = []
    for key in graph.asset_keys():
        node = graph.node(key)
        if node.get("status") == "retired":
            reports = _active_reports(graph, key)
            if reports:
                retired_feeds.append(
                    {"key": key, "title": node.get("title"), "feeds_reports": reports}
                )
            continue
        if node.get("status") != "active" or not vocab.is_stale(
            node.get("update_frequency"), node.get("last_updated"), today
        ):
            continue
        reports = _active_reports(graph, key)
        if reports:
            stale_feeds.append(_stale_feed(key, node, reports))
    return {"mismatches": mismatches, "stale_feeds": stale_feeds, "retired_feeds": retired_feeds}


def _handling_mismatches(graph: LineageGraph) -> list[HandlingMismatch]:
    """Each asset whose declared access is weaker than what it inherits, with
    one sentence per inheritance naming the path back to its source."""
    titles: dict[str, str] = {}
    mismatches: list[HandlingMismatch] = []
    for m in graph.mismatches():
        for i in m.inherited:
            for k in i.path:
                titles.setdefault(k, graph.node(k).get("title") or k)
        mismatches.append(
            {
                "key": m.key,
                "title": graph.node(m.key).get("title"),
                "access": graph.node(m.key).get("access"),
                "reasons": m.reasons,
                "explanations": [explain(i, titles) for i in m.inherited],
            }
        )
    return mismatches


def _active_reports(graph: LineageGraph, key: str) -> list[str]:
    """The active assets ``key`` feeds, at any depth (its impact)."""
    return [h.key for h in graph.impact(key) if graph.node(h.key).get("status") == "active"]


def _stale_feed(key: str, node: dict[str, Any], reports: list[str]) -> StaleFeed:
    return {
        "key": key,
        "title": node.get("title"),
        "last_updated": node.get("last_updated"),
        "update_frequency": node.get("update_frequency"),
        "feeds_reports": reports,
    }
