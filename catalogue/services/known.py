"""What the catalogue already knows, offered to a steward as they fill in a form
(#17): the departments, and the source systems, owners and stewards of the
active assets the steward may see.

Each list is one query that selects only what it offers, filtered by the read
rule in the database (``access.readable``), so the edit form of a catalogue of
100,000 assets costs three queries, not a load of every asset
(``benchmarks/bench_pickers.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Exists, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from catalogue.models import Asset, Person
from catalogue.services.access import Principal, readable
from catalogue.services.assets import department_names
from catalogue.services.context import Reader
from catalogue.services.source_systems import KIND


@dataclass(frozen=True)
class Known:
    """What a form offers: department names; source systems as (key, title);
    people as {"name", "email"} (one per e-mail address). Each sorted by name,
    letter case aside."""

    departments: list[str]
    systems: list[tuple[str, str]]
    people: list[dict[str, str]]


def known(reader: Reader) -> Known:
    """The choices the register and edit forms offer ``principal``: every
    department (their names are not secret), and the source systems, owners
    and stewards of the active assets ``principal`` may see, so a restricted
    asset's owner is not offered to someone who cannot see it."""
    session, principal = reader.session, reader.principal
    return Known(
        departments=sorted(department_names(session), key=str.lower),
        systems=source_systems(session, principal),
        people=people(session, principal),
    )


def source_systems(session: Session, principal: Principal) -> list[tuple[str, str]]:
    """(key, title) of the active source systems ``principal`` may see, by title."""
    query = select(Asset.key, Asset.title).where(
        Asset.kind == KIND, Asset.status == "active", readable(principal)
    )
    rows = cast("Iterable[tuple[str, str]]", session.execute(query))
    return sorted(((key, title) for key, title in rows), key=lambda pair: pair[1].lower())


def people(session: Session, principal: Principal) -> list[dict[str, str]]:
    """The owners and stewards, with an e-mail address, of the active assets
    ``principal`` may see, by name. Asked person by person (does one visible
    asset name them?), which the owner and steward indexes answer without
    reading every asset."""

    def names(role: InstrumentedAttribute[int | None]) -> Exists:
        return exists().where(role == Person.id, Asset.status == "active", readable(principal))

    query = select(Person.name, Person.email).where(
        Person.email.is_not(None), or_(names(Asset.owner_id), names(Asset.steward_id))
    )
    rows = cast("Iterable[tuple[str, str]]", session.execute(query))
    found = [{"name": name or email, "email": email} for name, email in rows]
    return sorted(found, key=lambda person: (person["name"].lower(), person["email"]))
