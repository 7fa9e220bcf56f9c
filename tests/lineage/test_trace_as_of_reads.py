"""The auditor's trace as of a past date reads from the change log only the
records of assets changed since that date, and the subject's, in one read (#21):
its answers must be those of reading every hop's record and then the subject's,
and of walking the graph again for what the subject inherits, for every asset
of the demo borough, at moments throughout its history, for someone who sees
everything and for staff who do not."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from catalogue.models import ChangeLog
from catalogue.services import as_of as change_log
from catalogue.services import lineage
from catalogue.services.access import Principal, operator
from catalogue.services.context import Reader
from catalogue.services.sight import Sight
from catalogue.store import Catalogue

#: The demo's history is dated relative to the day it is loaded.
pytestmark = pytest.mark.calendar

PEOPLE = (operator("test-admin"), Principal("Pat Viewer", "viewer", "Housing"))


def every_record_read(
    reader: Reader, subject: str | None, keys: Any, as_of: datetime | None, nodes: Any = None
) -> tuple[dict[str, dict[str, Any]], bool]:
    """Node attributes as the trace read them before #21: every key's record,
    then the subject's record again (and every snapshot now read afresh)."""
    keys = list(keys)
    graph = reader.graph
    current = {k: graph.node(k) for k in keys if graph.has(k)}
    if as_of is None:
        return current, True
    past = change_log.records_as_of(reader.session, keys, as_of)
    attrs = {k: past.get(k, current.get(k, {})) for k in keys}
    then = change_log.records_as_of(reader.session, [subject], as_of) if subject else {}
    if subject in then:
        attrs[subject] = then[subject]
    return attrs, subject in then


def changed_since(session: Any, keys: Any, as_of: datetime) -> set[str]:
    """Which of ``keys`` have an asset change recorded after ``as_of``: the test
    counts them, so that it is known to have compared past records too."""
    return set(
        session.scalars(
            select(ChangeLog.asset_key)
            .where(
                ChangeLog.asset_key.in_(list(keys)),
                ChangeLog.at > as_of,
                ChangeLog.action.like("asset.%"),
            )
            .distinct()
        )
    )


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
        for as_of in [*when, None]:  # None: the trace now, its inheritance read along it
            if as_of is not None:
                changed += len(changed_since(session, graph.asset_keys(), as_of))
            for key in graph.asset_keys():
                for reader in readers:
                    who = reader.principal
                    if not Sight(reader).visible(key):
                        continue
                    now = lineage.trace(reader, key, as_of=as_of).as_dict()
                    with monkeypatch.context() as patch:
                        patch.setattr(lineage, "attrs_then", every_record_read)
                        # What it inherits, as found before #21: by a second walk.
                        patch.setattr(
                            type(graph),
                            "inherited_along",
                            lambda g, k, hops, attrs=None, at=as_of: g.inherited(
                                k, as_of=at, attrs=attrs
                            ),
                        )
                        before = lineage.trace(reader, key, as_of=as_of).as_dict()
                    assert now == before, (key, who.role, as_of)
                    compared += 1
    # Both kinds of hop were met: assets changed since the moment, and not.
    assert compared > 100 and changed > 0


def test_records_then_are_the_latest_records_by_then_of_keys_changed_since(
    demo_catalogue: Catalogue,
) -> None:
    """The change log read by the as-of trace (one statement, by the index on
    key, time and action) against reading every key's record by then: for the
    subject always, for another key only when it changed after the moment."""
    catalogue = demo_catalogue
    with catalogue.read() as session:
        keys = list(session.scalars(select(ChangeLog.asset_key).distinct()))
        times = sorted(set(session.scalars(select(ChangeLog.at))))
        moments = [times[0] - timedelta(days=1), *times[:: max(1, len(times) // 12)], times[-1]]
        compared_changed = 0
        for moment in moments:
            every = change_log.records_as_of(session, keys, moment)
            since = changed_since(session, keys, moment)
            for subject in (None, keys[0], keys[-1]):
                then = change_log.records_then(session, keys, moment, subject)
                expected = {k: record for k, record in every.items() if k in since or k == subject}
                assert then == expected, (moment, subject)
            compared_changed += len(since & set(every))
    assert compared_changed, "no key had a record then and a change since: nothing compared"
