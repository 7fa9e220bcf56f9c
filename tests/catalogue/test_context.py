"""One context per service call (#12): a Reader to read, a Writer (a Reader too)
to write, each reaching the lineage graph and search index only when asked."""

from __future__ import annotations

import pytest

from catalogue.config import Settings
from catalogue.errors import LineageCycle, NotFound
from catalogue.services import assets, edges, lineage
from catalogue.services.access import Principal, operator
from catalogue.services.context import NoViews, Reader
from catalogue.services.search import search_assets
from catalogue.store import Catalogue

ADMIN = operator("test-admin")
HOUSING = Principal("Pat Viewer", "viewer", "Housing")
RECORDS = [
    {"key": "sys-rents", "kind": "source_system", "title": "Rents system"},
    {"key": "rent-accounts", "kind": "dataset", "title": "Rent accounts", "access": "internal",
     "department": "Housing"},
    {"key": "rpt-arrears", "kind": "report", "title": "Arrears report", "access": "restricted",
     "department": "Finance"},
]  # fmt: skip


@pytest.fixture
def filled(catalogue: Catalogue) -> Catalogue:
    with catalogue.write(ADMIN) as writer:
        for record in RECORDS:
            assets.register(writer, record)
        edges.add_edge(writer, "sys-rents", "rent-accounts")
        edges.add_edge(writer, "rent-accounts", "rpt-arrears")
    return catalogue


def test_a_read_of_rows_builds_no_graph_and_opens_no_index(settings: Settings) -> None:
    """`catalogue show` stays quick: the views are made only when a call wants them."""
    cat = Catalogue(settings)
    try:
        with cat.write(ADMIN, update_index=False) as writer:
            assets.register(writer, RECORDS[0])
        with cat.reading(ADMIN) as reader:
            assert assets.get(reader, "sys-rents")["title"] == "Rents system"
        assert cat._views is None
        with cat.reading(ADMIN) as reader:
            assert [h["key"] for h in lineage.trace(reader, "sys-rents").rows] == []
        assert cat._views is not None
    finally:
        cat.close()


def test_the_same_call_answers_each_reader_as_they_may_see(filled: Catalogue) -> None:
    with filled.reading(ADMIN) as reader:
        everything = lineage.trace(reader, "rpt-arrears")
    assert [r["key"] for r in everything.rows] == ["rent-accounts", "sys-rents"]
    with filled.reading(HOUSING) as reader:
        with pytest.raises(NotFound):
            lineage.trace(reader, "rpt-arrears")
        below = lineage.neighbours(reader, "rent-accounts", "downstream")
        found = search_assets(reader, "arrears report")
    assert [r["key"] for r in below] == [None] and below[0]["restricted"]
    assert "rpt-arrears" not in {hit.key for hit in found.hits}


def test_a_writer_reads_as_a_reader_and_its_graph_is_the_transactions(
    filled: Catalogue,
) -> None:
    with filled.write(ADMIN) as writer:
        assert isinstance(writer, Reader)
        # A read service, called with the Writer, sees the transaction's own change.
        assets.update(writer, "rent-accounts", {"title": "Rent accounts (weekly)"})
        assert assets.get(writer, "rent-accounts")["title"] == "Rent accounts (weekly)"
        assert writer.graph is writer.graph  # read once per transaction
        assert writer.graph.has("rpt-arrears")
        # The cycle rule sees this transaction's edges beside the graph it found.
        assets.register(writer, {"key": "rpt-summary", "kind": "report", "title": "Summary"})
        edges.add_edge(writer, "rpt-arrears", "rpt-summary")
        with pytest.raises(LineageCycle):
            edges.add_edge(writer, "rpt-summary", "sys-rents")
    with filled.reading(ADMIN) as reader:
        assert [r["key"] for r in lineage.neighbours(reader, "rpt-arrears", "downstream")] == [
            "rpt-summary"
        ]


def test_a_context_made_without_views_says_so(catalogue: Catalogue) -> None:
    with catalogue.sessions() as session:
        bare = Reader(session=session, principal=ADMIN)
        with pytest.raises(NoViews, match="no lineage graph or search index"):
            lineage.trace(bare, "anything")
