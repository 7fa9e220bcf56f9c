"""`catalogue apply` at scale (#21) keeps the views and the change log exactly as
before: its new assets go into the search index straight from the change it
committed, and a record that restates what is stored is recognised without
validating it again. Each test compares with the slow path's answer: an index
rebuilt from the database, records read back from the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from catalogue.models import ChangeLog
from catalogue.services.access import operator
from catalogue.services.record_stream import stream_records
from catalogue.store import Catalogue

#: The demo's dates and the change times follow the clock (tests/conftest.py).
pytestmark = pytest.mark.calendar


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump(records, sort_keys=False), encoding="utf-8")
    return path


def register(count: int, start: int = 0) -> list[dict[str, Any]]:
    """A register of source systems and datasets fed by them, with columns."""
    records: list[dict[str, Any]] = [
        {
            "key": "sys-housing",
            "kind": "source_system",
            "title": "Housing system",
            "department": "Housing",
            "owner": "Ann Lee",
            "owner_email": "ann.lee@example.gov.uk",
        }
    ]
    for n in range(start, start + count):
        records.append(
            {
                "key": f"rent-{n:03d}",
                "kind": "dataset",
                "title": f"Rent ledger {n}",
                "description": f"Weekly rent charges for estate {n}.",
                "tags": ["rent", f"estate-{n % 3}"],
                "department": "Housing",
                "steward": "Bo Chan",
                "classification": "OFFICIAL-SENSITIVE" if n % 2 else "OFFICIAL",
                "personal_data": bool(n % 2),
                "lawful_basis": "public_task" if n % 2 else None,
                "last_updated": "2026-01-02",
                "columns": [{"name": "tenancy_ref", "personal": True}, {"name": "amount"}],
                "upstream": ["sys-housing"],
            }
        )
    return records


def log_size(catalogue: Catalogue) -> int:
    with catalogue.read() as session:
        return session.scalar(select(func.count()).select_from(ChangeLog)) or 0


def index_matches_a_rebuild(catalogue: Catalogue) -> None:
    """The index as the apply left it holds the same documents, and the same
    applied change, as one rebuilt from the database."""
    index = catalogue.index()
    kept, seq = index.documents(), index.applied_seq()
    catalogue.views.rebuild_index()
    assert kept == catalogue.index().documents()
    assert seq == catalogue.index().applied_seq()


def test_new_and_changed_assets_are_indexed_as_a_rebuild_would(
    run, tmp_path: Path, catalogue: Catalogue
) -> None:  # type: ignore[no-untyped-def]
    first = write(tmp_path / "register.yaml", register(30))
    result = run("apply", str(first))
    assert result.exit_code == 0, result.output
    assert "31 create" in result.output
    index_matches_a_rebuild(catalogue)

    # An index that already holds documents: new ones, changed ones, ended edges.
    changed = register(40)
    changed[5]["title"] = "Rent ledger five, renamed"
    changed[6]["upstream"] = []
    result = run("apply", str(write(tmp_path / "again.yaml", changed)))
    assert result.exit_code == 0, result.output
    assert "10 create, 1 update, 30 unchanged" in result.output
    assert "1 edges ended" in result.output
    index_matches_a_rebuild(catalogue)
    assert catalogue.index().documents()["rent-004"]["title"] == "Rent ledger five, renamed"


def test_the_log_holds_what_the_store_holds(run, tmp_path: Path, catalogue: Catalogue) -> None:  # type: ignore[no-untyped-def]
    result = run("apply", str(write(tmp_path / "register.yaml", register(12))))
    assert result.exit_code == 0, result.output
    with catalogue.read() as session:
        stored = {r["key"]: r for r in stream_records(session)}
        logged = {
            row.asset_key: row.after
            for row in session.scalars(select(ChangeLog).where(ChangeLog.action == "asset.create"))
        }
    assert logged == stored


def test_reapplying_an_export_of_the_demo_changes_nothing(
    demo_run, tmp_path: Path, demo_catalogue: Catalogue
) -> None:  # type: ignore[no-untyped-def]
    exported = tmp_path / "register.yaml"
    assert demo_run("export", "-o", str(exported)).exit_code == 0
    before = log_size(demo_catalogue)
    result = demo_run("apply", str(exported))
    assert result.exit_code == 0, result.output
    assert (
        " 0 create, 0 update," in result.output and "0 edges added, 0 edges ended" in result.output
    )
    assert log_size(demo_catalogue) == before


def test_a_restated_record_with_one_change_logs_just_that_change(
    demo_run, tmp_path: Path, demo_catalogue: Catalogue
) -> None:  # type: ignore[no-untyped-def]
    exported = tmp_path / "register.yaml"
    assert demo_run("export", "-o", str(exported)).exit_code == 0
    records = yaml.safe_load(exported.read_text(encoding="utf-8"))["assets"]
    target = next(r for r in records if r.get("columns"))
    target["columns"][0]["description"] = "Changed by the steward"
    target["tags"] = [*target.get("tags", []), "Reviewed "]  # normalised on load
    path = write(tmp_path / "changed.yaml", records)
    before = log_size(demo_catalogue)
    result = demo_run("apply", str(path))
    assert result.exit_code == 0, result.output
    assert " 0 create, 1 update," in result.output
    assert log_size(demo_catalogue) == before + 1
    with demo_catalogue.reading(operator("t")) as reader:
        from catalogue.services import assets

        after = assets.history(reader, target["key"])[-1]["after"]
    assert after["columns"][0]["description"] == "Changed by the steward"
    assert "reviewed" in after["tags"]


def test_a_restated_record_with_a_bad_value_is_still_refused(
    demo_run, tmp_path: Path, demo_catalogue: Catalogue
) -> None:  # type: ignore[no-untyped-def]
    exported = tmp_path / "register.yaml"
    assert demo_run("export", "-o", str(exported)).exit_code == 0
    records = yaml.safe_load(exported.read_text(encoding="utf-8"))["assets"]
    records[3]["access"] = "everyone"
    path = write(tmp_path / "bad.yaml", records)
    before = log_size(demo_catalogue)
    result = demo_run("apply", str(path))
    assert result.exit_code == 1
    assert "access" in result.output and "restricted" in result.output
    assert f"{records[3]['key']}" in result.output
    assert "Traceback" not in result.output
    assert log_size(demo_catalogue) == before


def test_many_new_assets_are_indexed_in_bulk_as_a_rebuild_would(
    run, tmp_path: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from search import SearchIndex, SearchRequest

    monkeypatch.setattr(SearchIndex, "bulk_from", 10)  # generations.PARALLEL_THRESHOLD in use
    result = run("apply", str(write(tmp_path / "register.yaml", register(30))))
    assert result.exit_code == 0, result.output
    reader = catalogue.index()._fresh_searcher().reader()
    # 31 new assets, written by two helper processes: a segment each.
    assert sorted(leaf.doc_count_all() for leaf, _ in reader.leaf_readers()) == [15, 16]
    index_matches_a_rebuild(catalogue)

    # New assets in bulk beside an update through Whoosh's writer, in one commit.
    changed = register(60)
    changed[5]["title"] = "Rent ledger five, renamed"
    result = run("apply", str(write(tmp_path / "again.yaml", changed)))
    assert result.exit_code == 0, result.output
    assert "30 create, 1 update, 30 unchanged" in result.output
    kept = catalogue.index().documents()
    hits = catalogue.index().search(SearchRequest(q="rent ledger", per_page=100)).hits
    index_matches_a_rebuild(catalogue)
    assert kept["rent-004"]["title"] == "Rent ledger five, renamed"
    assert sorted(hit.key for hit in hits) == sorted(f"rent-{n:03d}" for n in range(60))
    again = catalogue.index().search(SearchRequest(q="rent ledger", per_page=100)).hits
    assert [(h.key, h.score) for h in hits] == [(h.key, h.score) for h in again]


def test_the_collector_rests_while_a_register_is_applied_and_wakes_after(
    run, tmp_path: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Planning and writing a register is hundreds of thousands of new objects
    and no reference cycles: the cyclic collector stays paused while the apply
    plans, writes and logs (#21), and runs again afterwards, whether the apply
    landed or not."""
    import gc

    from catalogue.commands import files
    from catalogue.services import changes

    running: dict[str, bool] = {}

    def noting(module: Any, name: str) -> None:
        work = getattr(module, name)

        def noted(*args: Any, **kwargs: Any) -> Any:
            running[name] = running.get(name, False) or gc.isenabled()
            return work(*args, **kwargs)

        monkeypatch.setattr(module, name, noted)

    for module, name in ((files, "plan_apply"), (files, "execute_plan")):
        noting(module, name)
    noting(changes, "insert_rows")  # the change log, written at the commit
    bad = register(5)
    bad[2]["access"] = "everyone"
    applied = run("apply", str(write(tmp_path / "register.yaml", register(150))))
    refused = run("apply", str(write(tmp_path / "bad.yaml", bad)))
    assert applied.exit_code == 0, applied.output
    assert "151 create" in applied.output and "150 edges added" in applied.output
    assert refused.exit_code == 1 and "field 'access': must be one of" in refused.output
    assert running == {"plan_apply": False, "execute_plan": False, "insert_rows": False}
    assert gc.isenabled()
    assert log_size(catalogue) == 151 + 150
