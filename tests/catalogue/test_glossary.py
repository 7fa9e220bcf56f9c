"""The business glossary (#18) through the service layer and the CLI, on each
backend: terms are added and changed with a history, only stewards of the
term's department (or its owner) and admins change them, a word names only one
term, bad input writes nothing, and approved terms' synonyms expand search."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from catalogue.errors import Conflict, Forbidden, Invalid, NotFound
from catalogue.glossary_models import GlossaryTerm
from catalogue.models import ChangeLog
from catalogue.services import assets, glossary
from catalogue.services.access import ANONYMOUS, Principal, operator
from catalogue.services.search import search_assets
from catalogue.store import Catalogue
from tests.conftest import Runner

ADMIN = operator("test-admin")
PRIYA = Principal("Priya Shah", "steward", "Children's Services", "priya.shah@example.gov.uk")
HOUSING = Principal("Sam Jones", "steward", "Housing", "sam.jones@example.gov.uk")
VIEWER = Principal("Vic Viewer", "viewer", "Housing", "vic@example.gov.uk")
ADDED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

PLANS = {
    "key": "family-plans",
    "kind": "dataset",
    "title": "Team around the family plans",
    "department": "Children's Services",
    "columns": [{"name": "plan_id"}, {"name": "lead_professional"}],
}
RENTS = {
    "key": "rent-accounts",
    "kind": "dataset",
    "title": "Rent accounts",
    "department": "Housing",
}
TAF = {
    "name": "Team around the family",
    "definition": "Professionals who agree **one plan** with a family.",
    "synonyms": ["TAF"],
    "department": "Children's Services",
    "assets": ["family-plans", "family-plans:lead_professional"],
    "status": "approved",
}


@pytest.fixture
def registered(catalogue: Catalogue) -> Catalogue:
    with catalogue.write(ADMIN, now=ADDED) as w:
        for record in (PLANS, RENTS):
            assets.register(w, record)
    return catalogue


def log_count(catalogue: Catalogue) -> int:
    with catalogue.read() as session:
        return session.scalar(select(func.count()).select_from(ChangeLog)) or 0


def term_count(catalogue: Catalogue) -> int:
    with catalogue.read() as session:
        return session.scalar(select(func.count()).select_from(GlossaryTerm)) or 0


def test_a_term_is_added_changed_and_its_history_kept(registered: Catalogue) -> None:
    with registered.write(PRIYA, now=ADDED) as w:
        added = glossary.add_term(w, TAF)
    assert added["slug"] == "team-around-the-family" and added["version"] == 1
    with registered.write(ADMIN) as w:
        changed = glossary.update_term(
            w, "team-around-the-family", {"definition": "Agreed together."}, expected_version=1
        )
    assert changed["version"] == 2 and changed["definition"] == "Agreed together."
    with registered.reading(VIEWER) as reader:
        history = glossary.history(reader, "team-around-the-family")
        linked = glossary.linked_assets(reader, changed)
        on_asset = glossary.terms_for_asset(reader, "family-plans")
    assert [(c["action"], c["actor"]) for c in history] == [
        ("glossary.create", "Priya Shah"),
        ("glossary.update", "test-admin"),
    ]
    assert history[1]["before"]["definition"].startswith("Professionals who agree")
    assert history[1]["after"]["definition"] == "Agreed together."
    assert [(r["key"], r["column"]) for r in linked] == [
        ("family-plans", None),
        ("family-plans", "lead_professional"),
    ]
    assert {t["column"] for t in on_asset} == {"", "lead_professional"}


def test_a_change_that_changes_nothing_writes_nothing(registered: Catalogue) -> None:
    with registered.write(ADMIN) as w:
        glossary.add_term(w, TAF)
    before = log_count(registered)
    with registered.write(ADMIN) as w:
        same = glossary.update_term(w, "team-around-the-family", {"synonyms": ["TAF"]})
    assert same["version"] == 1 and log_count(registered) == before


@pytest.mark.parametrize(
    ("principal", "error"),
    [(HOUSING, Forbidden), (VIEWER, Forbidden), (ANONYMOUS, ValueError)],
)
def test_only_stewards_of_its_department_and_admins_add_terms(
    registered: Catalogue, principal: Principal, error: type[Exception]
) -> None:
    before = log_count(registered)
    with pytest.raises(error), registered.write(principal) as w:
        glossary.add_term(w, TAF)
    assert log_count(registered) == before and term_count(registered) == 0


def test_a_steward_of_another_department_may_not_change_a_term(registered: Catalogue) -> None:
    with registered.write(ADMIN) as w:
        glossary.add_term(w, TAF)
    with pytest.raises(Forbidden, match="own department"), registered.write(HOUSING) as w:
        glossary.update_term(w, "team-around-the-family", {"definition": "Mine now"})
    with registered.write(HOUSING) as w:  # a term they own is theirs to change
        glossary.add_term(w, {"name": "Void", "owner": "sam.jones@example.gov.uk"})
        glossary.update_term(w, "void", {"definition": "An empty council home."})


@pytest.mark.parametrize(
    ("term", "words"),
    [
        ({"name": "TAF"}, "the name 'TAF' is already the synonym of the term"),
        ({"name": "Early help", "synonyms": ["taf"]}, "the synonym 'taf' is already the synonym"),
        ({"name": "Early help", "synonyms": ["team  around the FAMILY"]}, "already the name"),
    ],
)
def test_a_word_of_another_term_is_a_named_conflict_and_nothing_is_written(
    registered: Catalogue, term: dict, words: str
) -> None:
    with registered.write(ADMIN) as w:
        glossary.add_term(w, TAF)
    before = log_count(registered)
    with pytest.raises(Conflict, match=words) as raised, registered.write(ADMIN) as w:
        glossary.add_term(w, term)
    assert "Team around the family" in str(raised.value)
    assert log_count(registered) == before and term_count(registered) == 1


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (
            {"department": "Parks"},
            "department",
            "the catalogue knows: Children's Services, Housing",
        ),
        ({"status": "live"}, "status", "must be one of: draft, approved"),
        ({"related": ["no-such-term"]}, "related", "no glossary term 'no-such-term'"),
        ({"assets": ["no-such-asset"]}, "assets", "no asset with key 'no-such-asset'"),
        ({"assets": ["family-plans:nope"]}, "assets", "its columns: plan_id, lead_professional"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    registered: Catalogue, changes: dict, field: str, words: str
) -> None:
    before = log_count(registered)
    with pytest.raises(Invalid) as raised, registered.write(ADMIN) as w:
        glossary.add_term(w, {"name": "Early help", **changes})
    assert [(p.field, words in p.message) for p in raised.value.problems] == [(field, True)]
    assert log_count(registered) == before and term_count(registered) == 0


def test_unknown_term_is_not_found(registered: Catalogue) -> None:
    with (
        registered.reading(VIEWER) as reader,
        pytest.raises(NotFound, match="no glossary term 'nope'"),
    ):
        glossary.get_term(reader, "nope")
    with pytest.raises(NotFound), registered.write(ADMIN) as w:
        glossary.update_term(w, "nope", {"definition": "x"})


def titles(catalogue: Catalogue, q: str) -> list[str]:
    with catalogue.reading(VIEWER) as reader:
        return [hit.title for hit in search_assets(reader, q).hits]


def test_an_approved_terms_synonyms_expand_search(registered: Catalogue) -> None:
    assert titles(registered, "TAF") == []
    with registered.write(ADMIN) as w:
        glossary.add_term(w, {**TAF, "status": "draft"})
    assert titles(registered, "TAF") == []  # a draft does not change what staff find
    with registered.write(ADMIN) as w:
        glossary.update_term(w, "team-around-the-family", {"status": "approved"})
    assert titles(registered, "TAF") == ["Team around the family plans"]


def test_another_process_follows_the_glossary_through_the_change_log(
    registered: Catalogue,
) -> None:
    other = Catalogue(registered.settings)  # another worker: its own views, same database
    try:
        assert titles(other, "TAF") == []
        with registered.write(ADMIN) as w:
            glossary.add_term(w, TAF)
        assert titles(other, "TAF") == ["Team around the family plans"]
        with registered.write(ADMIN) as w:
            glossary.update_term(w, "team-around-the-family", {"synonyms": []})
        assert titles(other, "TAF") == []
    finally:
        other.close()


def test_a_search_naming_a_term_finds_its_definition(registered: Catalogue) -> None:
    with registered.write(ADMIN) as w:
        glossary.add_term(w, TAF)
    with registered.reading(VIEWER) as reader:
        assert glossary.term_named(reader, " taf ")["name"] == "Team around the family"
        assert glossary.term_named(reader, "taf plans") is None
    with registered.reading(ANONYMOUS) as reader:
        assert glossary.term_named(reader, "taf") is None


def test_the_cli_adds_updates_lists_and_shows_terms(registered: Catalogue, run: Runner) -> None:
    added = run(
        "glossary", "add", "Team around the family", "--synonym", "TAF",
        "--department", "Children's Services", "--asset", "family-plans",
        "--definition", "One plan with a family.",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Added team-around-the-family" in added.output
    updated = run("glossary", "update", "team-around-the-family", "--status", "approved")
    assert updated.exit_code == 0, updated.output
    listed = run("glossary", "list", "--format", "json")
    assert [(t["slug"], t["status"]) for t in json.loads(listed.output)] == [
        ("team-around-the-family", "approved")
    ]
    shown = run("glossary", "show", "team-around-the-family")
    assert "One plan with a family." in shown.output
    assert "family-plans  Team around the family plans" in shown.output
    assert "changed status" in shown.output
    audit = run("audit", "--asset", "glossary:team-around-the-family").output
    assert "added the glossary term 'Team around the family'" in audit
    assert "glossary.update" in audit and "changed status" in audit
    csv_out = run("glossary", "list", "--format", "csv").output.splitlines()
    assert csv_out[0] == "slug,name,status,department,owner,synonyms"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("glossary", "add", "Early help", "--department", "Parks"), "unknown department"),
        (("glossary", "show", "nope"), "no glossary term 'nope'"),
        (("glossary", "add", "TAF"), "already the synonym of the term 'Team around the family'"),
        (("glossary", "list", "--department", "Parks"), "no department called 'Parks'"),
    ],
)
def test_the_cli_refuses_bad_input_clearly(
    registered: Catalogue, run: Runner, args: tuple[str, ...], words: str
) -> None:
    with registered.write(ADMIN) as w:
        glossary.add_term(w, TAF)
    before = log_count(registered)
    result = run(*args)
    assert result.exit_code == 1 and words in result.output
    assert "Traceback" not in result.output
    assert log_count(registered) == before
