"""The asset use cases, through the service layer, on each backend."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalogue.errors import Conflict, Invalid, NotFound
from catalogue.models import Asset, ChangeLog
from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.store import Catalogue

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

ADMIN = operator("test-admin")

RENT = {
    "key": "rent-accounts",
    "kind": "dataset",
    "title": "Rent accounts",
    "department": "Housing",
    "owner": "Priya Shah",
    "owner_email": "Priya.Shah@example.gov.uk",
    "tags": ["Rent", "housing", "rent"],
    "classification": "OFFICIAL-SENSITIVE",
    "access": "internal",
    "personal_data": True,
    "lawful_basis": "public_task",
    "update_frequency": "daily",
    "last_updated": "2026-11-20",
    "columns": [{"name": "tenancy_ref", "type": "string", "personal": True}],
}


def count(catalogue: Catalogue, model: type) -> int:
    with catalogue.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_register_stores_a_normalised_record_and_logs_it(catalogue: Catalogue) -> None:
    with catalogue.write("alice") as w:
        record = assets.register(w, RENT)
    assert record["version"] == 1
    assert record["tags"] == ["housing", "rent"]
    assert record["owner_email"] == "priya.shah@example.gov.uk"
    with catalogue.reading(ADMIN) as reader:
        stored = assets.get(reader, "rent-accounts")
        log = reader.session.scalars(select(ChangeLog)).all()
    assert stored["columns"][0] == {
        "name": "tenancy_ref",
        "type": "string",
        "description": None,
        "personal": True,
    }
    assert [(c.seq, c.action, c.asset_key, c.actor) for c in log] == [
        (1, "asset.create", "rent-accounts", "alice")
    ]
    assert log[0].after["title"] == "Rent accounts" and log[0].before is None


def test_invalid_record_names_every_field_and_writes_nothing(catalogue: Catalogue) -> None:
    bad = {
        **RENT,
        "kind": "spreadsheet",
        "access": "public",
        "lawful_basis": "because",
        "acces": "open",
    }
    with pytest.raises(Invalid) as caught, catalogue.write("alice") as w:
        assets.register(w, bad)
    fields = caught.value.field_errors()
    assert "dataset, pipeline, report, source_system" in fields["kind"][0]
    assert "open, internal, restricted" in fields["access"][0]
    assert "public_task" in fields["lawful_basis"][0]
    assert "did you mean 'access'" in fields["acces"][0]
    assert count(catalogue, Asset) == 0 and count(catalogue, ChangeLog) == 0


def test_update_bumps_the_version_and_logs_before_and_after(catalogue: Catalogue) -> None:
    with catalogue.write("alice") as w:
        assets.register(w, RENT)
    with catalogue.write("bob") as w:
        record = assets.update(
            w,
            "rent-accounts",
            {"title": "Rent accounts (HRA)", "tags": ["hra"]},
            expected_version=1,
        )
    assert record["version"] == 2 and record["tags"] == ["hra"]
    with catalogue.reading(ADMIN) as reader:
        history = assets.history(reader, "rent-accounts")
        assert assets.get(reader, "rent-accounts")["version"] == 2
    assert [h["action"] for h in history] == ["asset.create", "asset.update"]
    assert history[1]["before"]["title"] == "Rent accounts"
    assert history[1]["after"]["title"] == "Rent accounts (HRA)"
    assert history[1]["actor"] == "bob"


def test_a_stale_update_is_refused_naming_the_current_version(catalogue: Catalogue) -> None:
    with catalogue.write("alice") as w:
        assets.register(w, RENT)
    with catalogue.write("alice") as w:
        assets.update(w, "rent-accounts", {"title": "Rent accounts v2"}, expected_version=1)
    with pytest.raises(Conflict) as caught, catalogue.write("bob") as w:
        assets.update(w, "rent-accounts", {"title": "Bob's title"}, expected_version=1)
    assert "version 1" in caught.value.message and "now holds version 2" in caught.value.message
    with catalogue.reading(ADMIN) as reader:
        assert assets.get(reader, "rent-accounts")["title"] == "Rent accounts v2"


def test_an_update_that_changes_nothing_writes_nothing(catalogue: Catalogue) -> None:
    with catalogue.write("alice") as w:
        assets.register(w, RENT)
    with catalogue.write("alice") as w:
        record = assets.update(
            w, "rent-accounts", {"title": "Rent accounts", "tags": ["rent", "housing"]}
        )
    assert record["version"] == 1
    assert count(catalogue, ChangeLog) == 1


def test_retire_keeps_the_asset_and_hides_it_from_lists(catalogue: Catalogue) -> None:
    with catalogue.write("alice") as w:
        assets.register(w, RENT)
        assets.register(w, {"key": "voids", "kind": "dataset", "title": "Void properties"})
    with catalogue.write("alice") as w:
        assets.retire(w, "voids")
    with catalogue.reading(ADMIN) as reader:
        assert [r["key"] for r in assets.list_assets(reader)] == ["rent-accounts"]
        everything = assets.list_assets(reader, include_retired=True)
        assert [r["status"] for r in everything] == ["active", "retired"]
        assert assets.history(reader, "voids")[-1]["action"] == "asset.retire"


def test_list_filters_by_kind_department_owner_and_tag(catalogue: Catalogue) -> None:
    with catalogue.write("alice") as w:
        assets.register(w, RENT)
        assets.register(
            w,
            {
                "key": "ctax",
                "kind": "dataset",
                "title": "Council tax",
                "department": "Revenues",
                "tags": ["tax"],
            },
        )
        assets.register(
            w,
            {
                "key": "arrears-dash",
                "kind": "report",
                "title": "Arrears",
                "department": "Housing",
                "owner": "Priya Shah",
                "owner_email": "priya.shah@example.gov.uk",
            },
        )
    with catalogue.reading(ADMIN) as reader:

        def keys(**kw: str) -> list[str]:
            return [r["key"] for r in assets.list_assets(reader, **kw)]

        assert keys(kind="report") == ["arrears-dash"]
        assert keys(department="Housing") == ["arrears-dash", "rent-accounts"]
        assert keys(owner="priya.shah@example.gov.uk") == ["arrears-dash", "rent-accounts"]
        assert keys(owner="Priya Shah") == ["arrears-dash", "rent-accounts"]
        assert keys(tag="TAX") == ["ctax"]


def test_unknown_keys_are_not_found(catalogue: Catalogue) -> None:
    with catalogue.reading(ADMIN) as reader, pytest.raises(NotFound, match="no-such"):
        assets.get(reader, "no-such")
    with pytest.raises(NotFound), catalogue.write("alice") as w:
        assets.update(w, "no-such", {"title": "x"})


def test_history_never_names_a_restricted_upstream(catalogue: Catalogue) -> None:
    from catalogue.services import edges
    from catalogue.services.access import Principal

    with catalogue.write("alice") as w:
        assets.register(
            w,
            {
                "key": "case-notes",
                "kind": "dataset",
                "title": "Case notes",
                "access": "restricted",
                "department": "Adult Social Care",
            },
        )
        assets.register(
            w,
            {
                "key": "asc-stats",
                "kind": "report",
                "title": "ASC statistics",
                "access": "internal",
                "department": "Adult Social Care",
            },
        )
    with catalogue.write("alice") as w:
        edges.add_edge(w, "case-notes", "asc-stats")
    housing = Principal("viewer@example.gov.uk", "viewer", "Housing", "viewer@example.gov.uk")
    care = Principal("carer@example.gov.uk", "viewer", "Adult Social Care", "carer@example.gov.uk")
    with catalogue.reading(housing) as reader:
        seen_by_housing = assets.history(reader, "asc-stats")[-1]["after"]
    with catalogue.reading(care) as reader:
        seen_by_care = assets.history(reader, "asc-stats")[-1]["after"]
    assert seen_by_housing["upstream"] is None and seen_by_housing["downstream"] == "asc-stats"
    assert seen_by_care["upstream"] == "case-notes"


def test_owner_and_steward_sharing_an_email_are_one_person(catalogue: Catalogue) -> None:
    """One email is one person, whatever name each role gives it (found by the
    API fuzzer: two names for one email in one record was a unique-key crash)."""
    record = {**RENT, "steward": "P. Shah", "steward_email": "priya.shah@example.gov.uk"}
    with catalogue.write("alice") as w:
        stored = assets.register(w, record)
    assert stored["owner_email"] == stored["steward_email"] == "priya.shah@example.gov.uk"
    assert stored["owner"] == stored["steward"] == "P. Shah"
