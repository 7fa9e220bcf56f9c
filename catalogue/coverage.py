"""How complete the Information Asset Register is, now or on a past date: the
measures (an owner named, a lawful basis for personal data, a review on time
...), each asset's answers, the month-end trend and the targets missed. Pure,
as ``catalogue.governance``: plain records in, plain values out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from catalogue.governance import ReviewPolicy, add_months
from catalogue.vocab import is_stale

Test = Callable[[Mapping[str, Any]], bool]


def _personal(record: Mapping[str, Any]) -> bool:
    return bool(record.get("personal_data"))


def _declared_frequency(record: Mapping[str, Any]) -> bool:
    return bool(record.get("update_frequency") and record.get("last_updated"))


def _every(_record: Mapping[str, Any]) -> bool:
    return True


def _has(name: str) -> Test:
    return lambda record: bool(str(record.get(name) or "").strip())


@dataclass(frozen=True)
class Measure:
    """One coverage figure: of the assets it ``applies`` to, how many have ``met`` it."""

    name: str
    heading: str
    applies: Test
    met: Callable[[Mapping[str, Any], date, ReviewPolicy], bool]


def _plain(test: Test) -> Callable[[Mapping[str, Any], date, ReviewPolicy], bool]:
    return lambda record, _today, _policy: test(record)


MEASURES = [
    Measure(
        "owner", "Owner", _every, _plain(lambda r: bool(r.get("owner") or r.get("owner_email")))
    ),
    Measure(
        "steward",
        "Steward",
        _every,
        _plain(lambda r: bool(r.get("steward") or r.get("steward_email"))),
    ),
    Measure("description", "Description", _every, _plain(_has("description"))),
    Measure("classification", "Classification", _every, _plain(_has("classification"))),
    Measure(
        "lawful_basis", "Lawful basis (personal data)", _personal, _plain(_has("lawful_basis"))
    ),
    Measure("retention", "Retention (personal data)", _personal, _plain(_has("retention_period"))),
    Measure("dpia", "DPIA (personal data)", _personal, _plain(_has("dpia_reference"))),
    Measure(
        "reviewed",
        "Reviewed in date",
        _every,
        lambda r, today, policy: policy.overdue_since(r, today) is None,
    ),
    Measure(
        "fresh",
        "Not stale (declared frequency)",
        _declared_frequency,
        lambda r, today, _policy: not _is_stale(r, today),
    ),
]


def _is_stale(record: Mapping[str, Any], today: date) -> bool:
    return is_stale(record.get("update_frequency"), record.get("last_updated"), today)


def latest_records(changes: list[tuple[str, Mapping[str, Any] | None]]) -> list[Mapping[str, Any]]:
    """Replay asset changes ``(key, after)``, oldest first: each asset's last
    state. This is the register as it stood when the last change was made."""
    state: dict[str, Mapping[str, Any]] = {}
    for key, after in changes:
        if after is not None:
            state[key] = after
    return list(state.values())


def coverage(
    records: list[Mapping[str, Any]], today: date, policy: ReviewPolicy
) -> list[dict[str, Any]]:
    """Per department (by name), then "All departments": how many active
    information assets (not pipelines) there are and, for each measure, how many
    it applies to, how many meet it and the percentage (None when it applies to
    none). ``today`` is the day the register is judged on."""
    active = [
        r for r in records if r.get("status", "active") == "active" and r.get("kind") != "pipeline"
    ]
    by_department: dict[str, list[Mapping[str, Any]]] = {}
    for record in active:
        by_department.setdefault(record.get("department") or "No department", []).append(record)
    rows = [
        _coverage_row(name, by_department[name], today, policy)
        for name in sorted(by_department, key=str.lower)
    ]
    rows.append(_coverage_row("All departments", active, today, policy))
    return rows


def _coverage_row(
    name: str, records: list[Mapping[str, Any]], today: date, policy: ReviewPolicy
) -> dict[str, Any]:
    row: dict[str, Any] = {"department": name, "assets": len(records)}
    for measure in MEASURES:
        applies = [r for r in records if measure.applies(r)]
        met = sum(1 for r in applies if measure.met(r, today, policy))
        row[measure.name] = {
            "met": met,
            "of": len(applies),
            "percent": round(100 * met / len(applies), 1) if applies else None,
        }
    return row


def month_ends(today: date, months: int = 12) -> list[date]:
    """The last day of each of the ``months`` months before this one, oldest
    first, then ``today``: the points of the coverage trend."""
    first_of_month = today.replace(day=1)
    points = []
    for back in range(months, 0, -1):
        start = add_months(first_of_month, -back + 1)
        points.append(date.fromordinal(start.toordinal() - 1))
    return [*points, today]


def coverage_trend(
    changes: Sequence[tuple[date, str, Mapping[str, Any] | None]],
    days: list[date],
    policy: ReviewPolicy,
) -> list[dict[str, Any]]:
    """The overall coverage at the end of each of ``days`` (ascending), from
    asset changes ``(day, key, after)`` oldest first, replayed once."""
    state: dict[str, Mapping[str, Any]] = {}
    out = []
    position = 0
    for day in days:
        while position < len(changes) and changes[position][0] <= day:
            _when, key, after = changes[position]
            if after is not None:
                state[key] = after
            position += 1
        overall = coverage(list(state.values()), day, policy)[-1]
        out.append({"day": day.isoformat(), **overall})
    return out


DEFAULT_TARGETS = {m.name: 100.0 for m in MEASURES} | {
    "description": 90.0,
    "reviewed": 90.0,
    "fresh": 90.0,
}


def parse_targets(text: str) -> dict[str, float]:
    """``"dpia=95,fresh=80"`` over the defaults. Raises ValueError naming the
    part that is not ``measure=percent`` with a known measure."""
    targets = dict(DEFAULT_TARGETS)
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, value = part.partition("=")
        if name.strip() not in targets:
            raise ValueError(
                f"{name.strip()!r} is not a measure; the measures are: " + ", ".join(targets)
            )
        try:
            percent = float(value)
        except ValueError:
            percent = -1.0
        if not 0 <= percent <= 100:
            raise ValueError(f"{part!r}: the target must be a percentage from 0 to 100")
        targets[name.strip()] = percent
    return targets


def missed_targets(
    rows: list[dict[str, Any]], targets: Mapping[str, float]
) -> list[dict[str, Any]]:
    """Each department (not the overall row) with the measures below target."""
    out = []
    for row in rows[:-1]:
        missed = [
            m.heading
            for m in MEASURES
            if row[m.name]["percent"] is not None and row[m.name]["percent"] < targets[m.name]
        ]
        if missed:
            out.append({"department": row["department"], "missed": missed})
    return out
