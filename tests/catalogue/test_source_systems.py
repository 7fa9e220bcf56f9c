"""An asset's ``source_system`` (#13): the key of a ``source_system`` asset the
writer may see, or a system outside the catalogue named in words. A key-shaped
value that names no such asset is refused (422 on the API, exit 1 from a file),
naming the field and what it should be; nothing is written. A hidden source
system answers exactly as a missing one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from catalogue import create_app
from catalogue.config import Settings
from catalogue.errors import Invalid
from catalogue.services import accounts, assets, tokens
from catalogue.services.access import Principal, operator
from catalogue.store import Catalogue
from tests.conftest import Runner

ADMIN = operator("admin@example.gov.uk")
SYSTEMS = [
    {"key": "sys-northgate", "kind": "source_system", "title": "Northgate", "access": "internal"},
    {
        "key": "sys-mosaic",
        "kind": "source_system",
        "title": "Mosaic",
        "department": "Adult Social Care",
        "access": "restricted",
    },
    {"key": "rent-accounts", "kind": "dataset", "title": "Rent accounts", "access": "internal"},
]


@pytest.fixture
def systems(catalogue: Catalogue) -> Catalogue:
    with catalogue.write(ADMIN) as writer:
        for record in SYSTEMS:
            assets.register(writer, record)
    return catalogue


def dataset(**fields: object) -> dict:
    return {"key": "rents", "kind": "dataset", "title": "Rents", "access": "open", **fields}


def stored(catalogue: Catalogue) -> dict[str, str | None]:
    with catalogue.reading(ADMIN) as reader:
        return {r["key"]: r["source_system"] for r in assets.list_assets(reader)}


@pytest.mark.parametrize(
    ("value", "hint"),
    [("sys-northgat", "did you mean 'sys-northgate'?"), ("rent-accounts", ""), ("sys-x", "")],
)
def test_a_key_that_names_no_source_system_is_refused(
    systems: Catalogue, value: str, hint: str
) -> None:
    before = stored(systems)
    with pytest.raises(Invalid) as caught, systems.write(ADMIN) as writer:
        assets.register(writer, dataset(source_system=value))
    [problem] = caught.value.problems
    assert problem.field == "source_system"
    assert f"no asset with key {value!r} among the source systems" in problem.message
    assert "key of a source_system asset" in problem.message and hint in problem.message
    assert stored(systems) == before


def test_a_key_of_a_source_system_or_a_name_in_words_is_kept(systems: Catalogue) -> None:
    with systems.write(ADMIN) as writer:
        assets.register(writer, dataset(source_system="sys-northgate"))
        assets.register(writer, dataset(key="published", source_system="Power BI"))
        assets.update(writer, "published", {"source_system": "DfE COLLECT"})
    kept = stored(systems)
    assert kept["rents"] == "sys-northgate" and kept["published"] == "DfE COLLECT"


def test_an_update_to_an_unknown_key_changes_nothing(systems: Catalogue) -> None:
    with systems.write(ADMIN) as writer:
        assets.register(writer, dataset(source_system="sys-northgate"))
    with pytest.raises(Invalid, match="sys-nowhere"), systems.write(ADMIN) as writer:
        assets.update(writer, "rents", {"source_system": "sys-nowhere"})
    assert stored(systems)["rents"] == "sys-northgate"


def test_a_hidden_source_system_answers_as_a_missing_one(systems: Catalogue) -> None:
    """A Housing steward cannot learn that Adult Social Care's restricted system exists."""
    steward = Principal("aisha.begum@example.gov.uk", "steward", "Housing")
    answers = []
    for value in ("sys-mosaic", "sys-mosaik"):
        with pytest.raises(Invalid) as caught, systems.write(steward) as writer:
            assets.register(writer, dataset(department="Housing", source_system=value))
        answers.append(caught.value.problems[0].message.replace(value, "KEY"))
    assert answers[0] == answers[1]
    assert "sys-mosaic" not in answers[0]


def test_a_catalogue_file_may_create_the_system_it_names(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(
        "- {key: rents, kind: dataset, title: Rents, source_system: sys-civica}\n"
        "- {key: sys-civica, kind: source_system, title: Civica}\n"
        "- {key: arrears, kind: dataset, title: Arrears, source_system: sys-civca}\n",
        encoding="utf-8",
    )
    refused = run("apply", str(path))
    assert refused.exit_code == 1, refused.output
    assert "register.yaml:3" in refused.output and "source_system" in refused.output
    assert "did you mean 'sys-civica'?" in refused.output and "Traceback" not in refused.output
    assert run("list", "--format", "json").output.strip() in ("[]", "")
    path.write_text(path.read_text(encoding="utf-8").replace("sys-civca", "sys-civica"))
    assert run("apply", str(path)).exit_code == 0
    assert '"source_system": "sys-civica"' in run("show", "arrears", "--format", "json").output


@pytest.fixture
def app(settings: Settings, systems: Catalogue) -> Iterator[Flask]:
    app = create_app(settings)
    yield app
    app.extensions["catalogue"].close()


def test_the_api_answers_422_naming_the_field(app: Flask, systems: Catalogue) -> None:
    with systems.sessions.begin() as session:
        accounts.add_user(
            session, ADMIN, "peter.ng", name="Peter Ng", role="admin",
            email="peter.ng@example.gov.uk", department="Digital & Data",
        )  # fmt: skip
        secret = tokens.create_token(session, ADMIN, "peter.ng", "tests").secret
    headers = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()
    refused = client.post(
        "/api/v1/assets", json=dataset(source_system="sys-northgat"), headers=headers
    )
    assert refused.status_code == 422
    assert "did you mean 'sys-northgate'?" in refused.json["errors"]["source_system"][0]
    assert "rents" not in stored(systems)
    accepted = client.post(
        "/api/v1/assets", json=dataset(source_system="sys-northgate"), headers=headers
    )
    assert accepted.status_code == 201 and accepted.json["source_system"] == "sys-northgate"
