"""What an asset's ``source_system`` may name (#13).

Either the key of a ``source_system`` asset the writer may see (what harvest
and OpenLineage set: they register the system first), or a system outside the
catalogue named in words ("Power BI", "DfE COLLECT"), kept as text. A value
shaped like a key (lower-case, no spaces: ``sys-northgate-housing``) is taken
for a key, so a mistyped key is refused, naming the field and what it should
be, rather than kept as a name nobody can open. A source system the writer may
not see is as unknown as one that does not exist: the answer is the same.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import Invalid, NotFound, Problem
from catalogue.models import Asset
from catalogue.services.access import Principal, require_read
from catalogue.services.context import Reader
from catalogue.services.records import asset_record
from catalogue.vocab import KEY_PATTERN

KIND = "source_system"


def names_a_key(value: object) -> bool:
    """True when ``value`` is shaped like an asset key (and so must be one)."""
    return isinstance(value, str) and KEY_PATTERN.match(value) is not None


def _visible_systems(session: Session, principal: Principal) -> set[str]:
    keys = set()
    for asset in session.scalars(select(Asset).where(Asset.kind == KIND)):
        try:
            require_read(principal, asset_record(asset), asset.key)
        except NotFound:
            continue
        keys.add(asset.key)
    return keys


def unknown_system(value: str, known: Iterable[str]) -> str:
    """The message for a key that names no source system the writer may see."""
    close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.7)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return (
        f"no asset with key {value!r} among the source systems{hint} source_system is the "
        "key of a source_system asset (register the system first), or a system's name "
        'in words, e.g. "Power BI"'
    )


def source_system_problems(
    reader: Reader,
    records: Iterable[tuple[str | None, Mapping[str, object], str | None]],
    also_systems: Iterable[str] = (),
) -> list[Problem]:
    """A problem for each record whose ``source_system`` is key-shaped but names
    no source system ``principal`` may see. ``records`` are (key, values,
    source); ``also_systems`` are source systems the same write creates."""
    session, principal = reader.session, reader.principal
    wanted = [
        (key, values["source_system"], source)
        for key, values, source in records
        if names_a_key(values.get("source_system"))
    ]
    if not wanted:
        return []
    known = _visible_systems(session, principal) | set(also_systems)
    return [
        Problem(unknown_system(str(value), known), "source_system", key, source)
        for key, value, source in wanted
        if value not in known
    ]


def check_source_system(reader: Reader, key: str | None, values: Mapping[str, object]) -> None:
    """Raise Invalid (422) if ``values`` name a source system that is not there."""
    problems = source_system_problems(reader, [(key, values, None)])
    if problems:
        raise Invalid(f"source_system: {problems[0].message}", problems)
