"""The auditor's trace as of a past date reads from the change log only the
records of assets changed since that date (#21): its answers must be those of
reading every hop's record, for every asset of the demo borough, at moments
throughout its history, for someone who sees everything and for staff who do not."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from catalogue.models import ChangeLog
from catalogue.services import lineage
from catalogue.services.access import Principal, operator
from catalogue.services.context import Reader
from catalogue.store import Catalogue

#: The demo's history is dated relative to the day it is loaded.
pytestmark = pytest.mark.calendar

PEOPLE = (operator("test-admin"), Principal("Pat Viewer", "viewer", "Housing"))


def every_record_read(
    reader: Reader, keys: Any, as_of: datetime | None
) -> dict[str, dict[str, Any]]:
    """Node attributes as the trace read them before #21: every key's record."""
    keys = list(keys)
    graph = reader.graph
    current = {k: graph.node(k) for k in keys if graph.has(k)}
    if as_of is None:
        return current
    past = lineage.records_as_of(reader.session, keys, as_of)
    return {k: past.get(k, current.get(k, {})) for k in keys}


def moments(session: Any) -> list[datetime]:
    """A second before an asset change a third into the log, and at one two
    thirds into it (a change takes effect at its own time)."""
    times = sorted(
        set(session.scalars(select(ChangeLog.at).where(ChangeLog.action.like("asset.%"))))
    )
    return [times[len(times) // 3] - timedelta(seconds=1), times[2 * len(times) // 3]]


def test_trace_as_of_answers_as_when_every_record_was_read(
    demo_catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = demo_catalogue.graph()
    with demo_catalogue.read() as session:
        when = moments(session)
        assert when[0] < when[1]
        compared = changed = 0
        readers = [
            Reader(session=session, principal=who, views_of=lambda: demo_catalogue.views)
            for who in PEOPLE
        ]
        for as_of in when:
            changed += len(lineage.changed_since(session, graph.asset_keys(), as_of))
            for key in graph.asset_keys():
                for reader in readers:
                    who = reader.principal
                    if not lineage.Sight(reader).visible(key):
                        continue
                    now = lineage.trace(reader, key, as_of=as_of).as_dict()
                    with monkeypatch.context() as patch:
                        patch.setattr(lineage, "attrs_for", every_record_read)
                        before = lineage.trace(reader, key, as_of=as_of).as_dict()
                    assert now == before, (key, who.role, as_of)
                    compared += 1
    # Both kinds of hop were met: assets changed since the moment, and not.
    assert compared > 100 and changed > 0
