"""`catalogue serve`'s master has its lineage graph loaded by a forked helper
process while it warms the search index (#21): the graph it adopts answers as
one it loaded itself, and a helper that dies leaves the master to load it. The
load reads edges as numbers and the graph holds what the records say."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import NoReturn

import pytest

from catalogue.commands import serve
from catalogue.commands.serve import GraphLoader
from catalogue.config import Settings
from catalogue.services.edges import all_edges
from catalogue.services.graph_rows import graph_nodes
from catalogue.store import Catalogue
from lineage import LineageGraph

REPORT = "rpt-housing-arrears-dashboard"


def loaded_here(settings: Settings) -> tuple[object, int, list[str]]:
    """Content, sequence and an upstream trace of a graph this process loads."""
    cat = Catalogue(settings)
    try:
        graph = cat.graph()
        return graph.signature(), graph.applied_seq, [h.key for h in graph.upstream(REPORT)]
    finally:
        cat.close()


def test_the_graph_the_helper_sends_answers_as_one_loaded_here(
    demo_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    expected = loaded_here(demo_settings)
    cat = Catalogue(demo_settings)
    try:
        assert not cat.views.has_graph()
        loader = GraphLoader.start(cat.views, cat.engine)
        assert loader is not None
        cat.views.index().warm()  # what the master does meanwhile
        with caplog.at_level(logging.WARNING):
            graph = loader.hand_to(cat.views)()
        adopted = cat.views.graph()
        assert adopted is graph
        assert (graph.signature(), graph.applied_seq) == expected[:2]
        assert [h.key for h in graph.upstream(REPORT)] == expected[2]
        assert expected[2]  # the report is fed: the trace compared is not empty
        assert not caplog.records  # the helper's graph was used, nothing loaded again
    finally:
        cat.close()


def test_a_helper_that_dies_without_a_graph_leaves_the_master_to_load_it(
    demo_settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def killed(*_args: object) -> NoReturn:  # as if the kernel ended it mid-load
        os._exit(9)

    monkeypatch.setattr(serve, "_load_and_send", killed)
    expected = loaded_here(demo_settings)
    cat = Catalogue(demo_settings)
    try:
        loader = GraphLoader.start(cat.views, cat.engine)
        assert loader is not None
        with caplog.at_level(logging.WARNING):
            graph = loader.hand_to(cat.views)()
        assert (graph.signature(), graph.applied_seq) == expected[:2]
        assert [h.key for h in graph.upstream(REPORT)] == expected[2]
        assert "lineage graph loader failed, loading it here" in caplog.text
    finally:
        cat.close()


def test_the_graph_read_as_numbers_holds_what_the_records_say(demo_settings: Settings) -> None:
    """The load reads edges as row ids and times through the driver as it is
    (#21): on either backend the graph holds the same snapshots and records,
    times to the microsecond, as one built from the edge records themselves."""
    cat = Catalogue(demo_settings)
    try:
        loaded = cat.graph()
        with cat.sessions() as session:
            records = all_edges(session)
            nodes = [values for _, values in graph_nodes(session)]
        built = LineageGraph.build(nodes, records, loaded.applied_seq)
        assert any(r["valid_to"] is not None for r in records)  # ended edges compared too
        assert loaded.signature() == built.signature()
        ended = next(r for r in records if r["valid_to"] is not None)
        just_before = ended["valid_to"] - timedelta(microseconds=1)
        for moment in (just_before, ended["valid_to"]):
            assert loaded.upstream(ended["downstream"], as_of=moment) == built.upstream(
                ended["downstream"], as_of=moment
            )
    finally:
        cat.close()
