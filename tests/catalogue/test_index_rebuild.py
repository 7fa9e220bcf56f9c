"""`catalogue index rebuild` reads the catalogue as plain rows (record_stream)
rather than mapped objects: the records, the index built from them and every
search answer must be what the mapped objects gave, on the demo borough (every
kind of field filled in) on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from catalogue.models import Asset
from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.services.changes import latest_seq
from catalogue.services.record_stream import stream_records
from catalogue.services.records import asset_record
from catalogue.store import Catalogue
from search import SearchIndex
from tests.search_answers import assert_same_answers


def mapped_records(cat: Catalogue) -> list[dict]:
    """Every record as the mapped objects give it (the reading before the change)."""
    with cat.read() as session:
        return [asset_record(a) for a in session.scalars(select(Asset).order_by(Asset.id))]


@pytest.mark.parametrize("batch", [7, 2000])
def test_streamed_records_are_the_mapped_records(demo_catalogue: Catalogue, batch: int) -> None:
    with demo_catalogue.read() as session:
        streamed = list(stream_records(session, batch=batch))
    expected = mapped_records(demo_catalogue)
    assert len(streamed) == len(expected) > 50
    assert any(r["columns"] for r in streamed) and any(r["tags"] for r in streamed)
    assert any(r["owner_email"] for r in streamed) and any(r["last_updated"] for r in streamed)
    assert streamed == expected


def test_a_retired_asset_and_changed_columns_stream_as_recorded(catalogue: Catalogue) -> None:
    admin = operator("test-admin")
    with catalogue.write(admin) as writer:
        assets.register(writer, {"key": "a", "kind": "dataset", "title": "A", "tags": ["x"]})
        assets.register(
            writer,
            {
                "key": "b",
                "kind": "dataset",
                "title": "B",
                "columns": [{"name": "z"}, {"name": "y", "personal": True}],
            },
        )
        assets.retire(writer, "a")
    with catalogue.read() as session:
        streamed = {r["key"]: r for r in stream_records(session)}
    assert streamed["a"]["status"] == "retired" and streamed["a"]["tags"] == ["x"]
    assert [c["name"] for c in streamed["b"]["columns"]] == ["z", "y"]
    assert [r["key"] for r in mapped_records(catalogue)] == list(streamed)
    assert list(streamed.values()) == mapped_records(catalogue)


def test_rebuild_answers_every_search_as_the_old_build_did(
    demo_catalogue: Catalogue, tmp_path: Path
) -> None:
    with demo_catalogue.read() as session:
        head = latest_seq(session)
    old = SearchIndex(tmp_path / "old-build")
    old.rebuild(mapped_records(demo_catalogue), head)
    demo_catalogue.views.rebuild_index()  # what `catalogue index rebuild` runs
    new = demo_catalogue.views.index()
    assert new.documents() == old.documents()
    assert_same_answers(demo_catalogue, old)
    old.close()


def test_the_rebuild_command_says_how_many_assets_it_indexed(demo_catalogue: Catalogue) -> None:
    from cli import main  # imported late, as tests/catalogue/test_cli.py does

    settings = demo_catalogue.settings
    env = {
        "CATALOGUE_DATABASE_URL": settings.resolved_database_url,
        "CATALOGUE_INSTANCE_PATH": str(settings.instance_path),
    }
    result = CliRunner().invoke(main, ["index", "rebuild"], env=env)
    assert result.exit_code == 0, result.output
    count = len(mapped_records(demo_catalogue))
    assert result.output.strip() == f"Rebuilt the search index: {count} assets."
