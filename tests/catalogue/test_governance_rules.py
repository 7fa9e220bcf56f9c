"""Governance arithmetic, pure and fast: review intervals and due dates, and the
Information Asset Register's columns."""

from __future__ import annotations

from datetime import date

import pytest

from catalogue.coverage import (
    coverage,
    coverage_trend,
    latest_records,
    missed_targets,
    month_ends,
    parse_targets,
)
from catalogue.governance import (
    Controller,
    ReviewPolicy,
    add_months,
    iar_columns,
    parse_review_months,
    processing_activities,
    register_rows,
    ropa_rows,
)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 12, 4), 12, date(2027, 12, 4)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 6, 15), 18, date(2027, 12, 15)),
    ],
)
def test_months_are_calendar_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_the_next_review_is_the_review_date_else_an_interval_after_the_last_review() -> None:
    policy = ReviewPolicy(12, (("report", 6),))
    created = {"kind": "dataset", "created_at": "2025-03-10T09:00:00+00:00"}
    assert policy.next_review(created) == date(2026, 3, 10)
    assert policy.next_review({**created, "kind": "report"}) == date(2025, 9, 10)
    reviewed = {**created, "last_reviewed": "2026-01-05"}
    assert policy.next_review(reviewed) == date(2027, 1, 5)
    assert policy.next_review({**reviewed, "review_date": "2026-02-01"}) == date(2026, 2, 1)


def test_overdue_since_the_day_it_fell_due_and_never_when_retired() -> None:
    policy = ReviewPolicy(12)
    record = {"kind": "dataset", "created_at": "2025-03-10T09:00:00+00:00", "status": "active"}
    assert policy.overdue_since(record, date(2026, 3, 10)) is None  # due today: not yet overdue
    assert policy.overdue_since(record, date(2026, 3, 11)) == date(2026, 3, 10)
    assert policy.overdue_since({**record, "status": "retired"}, date(2027, 1, 1)) is None


def test_review_months_read_a_default_and_kinds() -> None:
    policy = parse_review_months("24, report=6,pipeline=36")
    assert policy.months_for("dataset") == 24
    assert policy.months_for("report") == 6
    assert policy.months_for("pipeline") == 36
    assert parse_review_months("report=3").months_for("dataset") == 12


@pytest.mark.parametrize("text", ["twelve", "0", "report=", "report=-1"])
def test_review_months_name_the_part_that_is_wrong(text: str) -> None:
    with pytest.raises(ValueError, match="whole number of months"):
        parse_review_months(text)


def test_the_register_has_the_columns_an_iar_carries_and_fills_them() -> None:
    record = {
        "key": "housing-register",
        "kind": "dataset",
        "title": "Housing register",
        "description": "Applicants for social housing.",
        "owner": "Priya Shah",
        "owner_email": "priya.shah@example.gov.uk",
        "steward": None,
        "steward_email": "sam@example.gov.uk",
        "department": "Housing",
        "source_system": "Northgate",
        "location": "northgate://housing/register",
        "links": [{"url": "https://x", "format": "CSV"}, {"url": "https://y", "format": "XLSX"}],
        "classification": "OFFICIAL-SENSITIVE",
        "access": "restricted",
        "personal_data": True,
        "special_category": True,
        "article9_condition": "substantial public interest",
        "lawful_basis": "public_task",
        "retention_period": "6 years after closure",
        "dpia_reference": "DPIA-2024-07",
        "last_reviewed": "2026-01-05",
        "last_reviewed_by": "priya.shah@example.gov.uk",
        "review_date": None,
        "created_at": "2024-01-01T00:00:00+00:00",
        "status": "active",
    }
    columns = iar_columns(ReviewPolicy(12))
    assert [c.heading for c in columns] == [
        "Asset",
        "Description",
        "Information Asset Owner",
        "Steward",
        "Department",
        "Source system",
        "Format and location",
        "Classification",
        "Personal data",
        "Special category data",
        "Lawful basis",
        "Retention",
        "DPIA reference",
        "Sharing",
        "Last review",
        "Next review",
    ]
    [row] = register_rows([record], columns)
    assert row["Asset"] == "Housing register (housing-register)"
    assert row["Information Asset Owner"] == "Priya Shah <priya.shah@example.gov.uk>"
    assert row["Steward"] == "sam@example.gov.uk"
    assert row["Format and location"] == "CSV, XLSX; northgate://housing/register"
    assert row["Special category data"] == "Yes: substantial public interest"
    assert row["Lawful basis"] == "Public task (Article 6(1)(e))"
    assert row["Sharing"] == "Restricted to its department, owner and steward"
    assert row["Last review"] == "2026-01-05 by priya.shah@example.gov.uk"
    assert row["Next review"] == "2027-01-05"
    open_row = register_rows(
        [{**record, "access": "open", "licence": "OGL-UK-3.0", "personal_data": False}], columns
    )[0]
    assert open_row["Sharing"] == "Published openly under OGL-UK-3.0"
    assert open_row["Personal data"] == "No"
    shared = register_rows([{**record, "recipients": ["DWP", "HMRC"]}], columns)[0]
    assert shared["Sharing"] == (
        "Restricted to its department, owner and steward; disclosed to DWP, HMRC"
    )


def test_the_record_of_processing_groups_personal_data_by_purpose() -> None:
    controller = Controller("Thamesbury Council", "Town Hall", "dpo@example.gov.uk", "Encrypted")
    base = {"access": "internal", "classification": "OFFICIAL", "personal_data": True}
    records = [
        {
            **base,
            "key": "rents",
            "title": "Rents",
            "department": "Housing",
            "purpose": "Managing tenancies",
            "data_subjects": ["Tenants"],
            "personal_data_categories": ["Name, address and contact details", "Rent account"],
            "recipients": ["Housing Ombudsman"],
            "lawful_basis": "public_task",
            "retention_period": "6 years",
        },
        {
            **base,
            "key": "repairs",
            "title": "Repairs",
            "department": "Housing",
            "purpose": "Managing tenancies",
            "data_subjects": ["Tenants", "Contractors"],
            "personal_data_categories": ["Name, address and contact details"],
            "special_category": True,
            "article9_condition": "9(2)(h)",
            "lawful_basis": "contract",
            "international_transfers": "None",
        },
        {**base, "key": "loans", "title": "Loans", "purpose": None, "department": "Libraries"},
        {**base, "key": "toilets", "title": "Toilets", "personal_data": False, "purpose": "Maps"},
    ]
    groups = processing_activities(records, controller)
    assert [g["purpose"] for g in groups] == ["Managing tenancies", "Purpose not recorded"]
    tenancies = groups[0]
    assert tenancies["assets"] == ["Rents (rents)", "Repairs (repairs)"]
    assert tenancies["data_subjects"] == ["Contractors", "Tenants"]
    assert tenancies["personal_data_categories"] == [
        "Name, address and contact details",
        "Rent account",
    ]
    assert tenancies["special_category"] == ["Repairs: 9(2)(h)"]
    assert tenancies["lawful_bases"] == [
        "Contract (Article 6(1)(b))",
        "Public task (Article 6(1)(e))",
    ]
    assert tenancies["recipients"] == ["Housing Ombudsman"]
    assert tenancies["international_transfers"] == ["None"]
    assert tenancies["retention"] == ["Rents: 6 years", "Repairs: not recorded"]
    assert tenancies["security_measures"] == ["Encrypted; OFFICIAL; shared within the council"]
    assert (tenancies["controller"], tenancies["dpo"]) == (
        "Thamesbury Council",
        "dpo@example.gov.uk",
    )
    [row, unrecorded] = ropa_rows(groups)
    assert row["Categories of data subjects"] == "Contractors\nTenants"
    assert unrecorded["Recipients"] == "None recorded"
    assert unrecorded["Information assets"] == "Loans (loans)"


def test_coverage_per_department_and_overall_counted_by_hand() -> None:
    today = date(2026, 12, 4)
    common = {"kind": "dataset", "status": "active", "classification": "OFFICIAL"}
    records = [
        {
            **common,
            "key": "a",
            "department": "Housing",
            "owner": "Priya",
            "steward": "Sam",
            "description": "Rents",
            "personal_data": True,
            "lawful_basis": "public_task",
            "retention_period": "6 years",
            "review_date": "2027-01-01",
            "update_frequency": "monthly",
            "last_updated": "2026-11-20",
        },
        {
            **common,
            "key": "b",
            "department": "Housing",
            "owner": "Priya",
            "description": " ",
            "personal_data": True,
            "dpia_reference": "DPIA-1",
            "review_date": "2026-06-30",
            "update_frequency": "weekly",
            "last_updated": "2026-10-01",
        },
        {**common, "key": "c", "department": "Culture", "review_date": "2027-05-01"},
        {**common, "key": "d", "department": "Culture", "status": "retired"},
        {**common, "key": "p", "department": "Culture", "kind": "pipeline"},
    ]
    first, second, overall = coverage(records, today, ReviewPolicy())
    assert [r["department"] for r in (first, second, overall)] == [
        "Culture",
        "Housing",
        "All departments",
    ]
    rows = {r["department"]: r for r in (first, second, overall)}
    h, c, o = rows["Housing"], rows["Culture"], rows["All departments"]
    assert (h["assets"], c["assets"], o["assets"]) == (2, 1, 3)  # retired, pipeline left out
    assert h["owner"] == {"met": 2, "of": 2, "percent": 100.0}
    assert h["steward"] == {"met": 1, "of": 2, "percent": 50.0}
    assert h["description"]["met"] == 1  # blank does not count
    assert h["lawful_basis"] == {"met": 1, "of": 2, "percent": 50.0}
    assert h["dpia"] == {"met": 1, "of": 2, "percent": 50.0}
    assert c["lawful_basis"] == {"met": 0, "of": 0, "percent": None}
    assert h["reviewed"] == {"met": 1, "of": 2, "percent": 50.0}  # b overdue since June
    assert h["fresh"] == {"met": 1, "of": 2, "percent": 50.0}  # b weekly, last in October
    assert c["fresh"]["of"] == 0
    assert o["owner"] == {"met": 2, "of": 3, "percent": 66.7}
    assert o["reviewed"] == {"met": 2, "of": 3, "percent": 66.7}
    # On a past day, b was neither overdue nor stale.
    earlier = {r["department"]: r for r in coverage(records, date(2026, 6, 1), ReviewPolicy())}
    assert earlier["Housing"]["reviewed"]["met"] == 2
    assert earlier["Housing"]["fresh"]["met"] == 2


def test_the_register_replayed_keeps_each_assets_last_state() -> None:
    changes = [
        ("a", {"key": "a", "title": "A1"}),
        ("b", {"key": "b", "title": "B1"}),
        ("a", {"key": "a", "title": "A2"}),
    ]
    assert latest_records(changes) == [{"key": "a", "title": "A2"}, {"key": "b", "title": "B1"}]


def test_the_trend_replays_the_changes_once_to_each_month_end() -> None:
    assert month_ends(date(2026, 3, 15), 3) == [
        date(2025, 12, 31),
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 15),
    ]
    base = {"kind": "dataset", "status": "active", "classification": "OFFICIAL"}
    changes = [
        (date(2026, 1, 10), "a", {**base, "key": "a", "department": "X"}),
        (date(2026, 1, 20), "b", {**base, "key": "b", "department": "X", "owner": "Jo"}),
        (date(2026, 2, 5), "a", {**base, "key": "a", "department": "X", "owner": "Al"}),
        (date(2026, 3, 1), "b", {**base, "key": "b", "department": "X", "status": "retired"}),
    ]
    days = month_ends(date(2026, 3, 15), 3)
    trend = coverage_trend(changes, days, ReviewPolicy())
    assert [(t["day"], t["assets"], t["owner"]["met"]) for t in trend] == [
        ("2025-12-31", 0, 0),
        ("2026-01-31", 2, 1),
        ("2026-02-28", 2, 2),
        ("2026-03-15", 1, 1),
    ]
    assert trend[0]["owner"]["percent"] is None


def test_targets_override_the_defaults_and_name_what_is_wrong() -> None:
    targets = parse_targets("dpia=95, fresh=80")
    assert (targets["dpia"], targets["fresh"], targets["owner"]) == (95.0, 80.0, 100.0)
    with pytest.raises(ValueError, match="'dpai' is not a measure; the measures are: owner"):
        parse_targets("dpai=95")
    with pytest.raises(ValueError, match="from 0 to 100"):
        parse_targets("dpia=120")
    rows = [
        {"department": "X", **{m: {"met": 1, "of": 2, "percent": 50.0} for m in targets}},
        {"department": "Y", **{m: {"met": 0, "of": 0, "percent": None} for m in targets}},
        {"department": "All departments"},
    ]
    missed = missed_targets(rows, {**targets, **dict.fromkeys(targets, 50.0)})
    assert missed == []
    missed = missed_targets(rows, {**dict.fromkeys(targets, 50.0), "dpia": 60.0})
    assert missed == [{"department": "X", "missed": ["DPIA (personal data)"]}]
