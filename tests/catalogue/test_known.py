"""What the steward's forms offer as they type (#17): the departments, and the
source systems, owners and stewards of the assets the steward may see, read by
queries that select only those (``services.known``), not by loading every
asset. The same lists as the old full load gave, and nothing of an asset the
steward may not see."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalogue.models import Asset
from catalogue.services import assets, known
from catalogue.services.access import ANONYMOUS, Principal, readable
from catalogue.services.context import Reader
from catalogue.store import Catalogue
from tests.catalogue.test_access_rules import ASSETS, CAN_READ, PRINCIPALS, seen  # noqa: F401

#: Demo people (catalogue/demo/borough.yaml): who they are and what they may see.
DEMO = {
    "anonymous": ANONYMOUS,
    "housing-steward": Principal(
        "aisha.begum@thamesbury.gov.uk", "steward", "Housing", "aisha.begum@thamesbury.gov.uk"
    ),
    "care-viewer": Principal("c.v@thamesbury.gov.uk", "viewer", "Adult Social Care", None),
    "granted": Principal(
        "g@thamesbury.gov.uk",
        "viewer",
        "Finance",
        "g@thamesbury.gov.uk",
        granted=frozenset({"sys-mosaic-asc"}),
    ),  # fmt: skip
    "auditor": Principal("fatima.rahman@thamesbury.gov.uk", "auditor", "Legal & Governance"),
}


def before(reader: Reader) -> known.Known:
    """What the edit form offered before #17's queries: every visible asset
    loaded, then filtered in Python."""
    records = assets.list_assets(reader)
    people: dict[str, dict[str, str]] = {}
    for record in records:
        for role in ("owner", "steward"):
            email = record.get(f"{role}_email")
            if email:
                people.setdefault(email, {"name": record.get(role) or email, "email": email})
    return known.Known(
        departments=sorted(assets.department_names(reader.session), key=str.lower),
        systems=sorted(
            ((r["key"], r["title"]) for r in records if r["kind"] == "source_system"),
            key=lambda pair: pair[1].lower(),
        ),
        people=sorted(people.values(), key=lambda p: (p["name"].lower(), p["email"])),
    )


@pytest.mark.parametrize("who", DEMO)
def test_the_lists_are_those_the_full_load_gave(demo_catalogue: Catalogue, who: str) -> None:
    with demo_catalogue.reading(DEMO[who]) as reader:
        found = known.known(reader)
        assert found == before(reader)
    systems = dict(found.systems)
    if who in ("housing-steward", "auditor"):
        assert systems["sys-northgate-housing"] == "Northgate housing management system"
        assert "Housing" in found.departments and len(found.people) > 10
    # Mosaic, Adult Social Care's case system, is restricted to that department.
    assert ("sys-mosaic-asc" in systems) == (who in ("care-viewer", "granted", "auditor"))


@pytest.mark.parametrize("who", PRINCIPALS)
def test_the_rule_in_the_database_is_the_rule(seen: Catalogue, who: str) -> None:  # noqa: F811
    """``readable`` selects exactly what ``can_read`` allows (the hand-written
    table of tests/catalogue/test_access_rules.py), and a restricted asset's
    owner or steward is offered only to those who may see that asset."""
    principal = PRINCIPALS[who]
    with seen.read() as session:
        keys = set(session.scalars(select(Asset.key).where(readable(principal))))
        people = {p["email"] for p in known.people(session, principal)}
    assert keys == CAN_READ[who]
    expected = {
        ASSETS[key][f"{role}_email"]
        for key in CAN_READ[who]
        for role in ("owner", "steward")
        if ASSETS[key].get(f"{role}_email")
    }
    assert people == expected
    assert ("olive.owner@example.gov.uk" in people) == ("h-restricted" in CAN_READ[who])
    assert ("sam.steward@example.gov.uk" in people) == ("r-restricted" in CAN_READ[who])
