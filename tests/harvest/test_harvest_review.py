"""Possible personal data: flagged for review on the asset page and in
`catalogue harvest review`, decided by a person, never by the harvest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catalogue import create_app
from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.store import Catalogue
from tests.conftest import Runner
from tests.harvest.sources import Source, source_database

READER = operator("test-reader")


def page(settings: Any, path: str) -> tuple[int, str]:
    app = create_app(settings)
    try:
        response = app.test_client().get(path)
        return response.status_code, response.get_data(as_text=True)
    finally:
        app.extensions["catalogue"].close()


def test_personal_columns_are_flagged_and_a_person_decides(
    run: Runner, backend: str, tmp_path: Path, catalogue: Catalogue, settings: Any
) -> None:
    with source_database(backend, tmp_path) as source:
        assert harvest(run, source).exit_code == 0
        key = f"housing-db.{source.prefix}tenants"
        rows = json.loads(run("harvest", "review", "--format", "json").stdout)
        flagged = {(r["key"], r["column"]): r["reason"] for r in rows}
        assert flagged[(key, "forename")] == "Name"
        assert flagged[(key, "surname")] == "Name"
        assert flagged[(key, "date_of_birth")] == "Date of birth"
        assert flagged[(key, "postcode")] == "Address"
        assert (key, "id") not in flagged
        assert (f"housing-db.{source.prefix}rents", "amount") not in flagged
        # The harvest decides nothing: handling fields stay as a new asset's.
        with catalogue.reading(READER) as reader:
            tenants = assets.get(reader, key)
        assert (tenants["classification"], tenants["access"], tenants["lawful_basis"]) == (
            "OFFICIAL",
            "internal",
            None,
        )
        assert not any(c["personal"] for c in tenants["columns"])
        assert tenants["personal_data"] is False

        # The asset page shows the flag (opened so anyone may read it) and where it came from.
        with catalogue.write("aisha.begum") as writer:
            assets.update(writer, key, {"access": "open"})
        status, text = page(settings, f"/assets/{key}")
        assert status == 200
        assert "may hold personal data (Date of birth)" in text
        assert "Found by a harvest of housing-db" in text
        assert "Last harvested" in text

        # A person decides: one column is personal, another is dismissed.
        with catalogue.write("aisha.begum") as writer:
            columns = [{**c, "personal": c["name"] == "forename"} for c in tenants["columns"]]
            assets.update(writer, key, {"columns": columns})
        assert run("harvest", "dismiss", key, "postcode").exit_code == 0
        harvest(run, source)  # a later harvest raises neither again
        open_now = {(r["key"], r["column"]) for r in json.loads(
            run("harvest", "review", "--format", "json").stdout
        )}  # fmt: skip
        assert (key, "forename") not in open_now
        assert (key, "postcode") not in open_now
        assert (key, "date_of_birth") in open_now
        history = json.loads(run("history", key, "--format", "json").stdout)
        assert history[-1]["action"] == "column_review.dismiss"
        again = run("harvest", "dismiss", key, "postcode")
        assert again.exit_code == 1
        assert "no open flag" in again.output


def harvest(run: Runner, source: Source) -> Any:
    return run(
        "harvest", "database", source.url, "--source-system", "housing-db",
        *source.schema_options,
    )  # fmt: skip
