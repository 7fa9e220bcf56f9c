"""Exports of the hand-drawn graph: JSON node-link, GraphML and DOT."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from lineage import EXPORT_FORMATS, LineageGraph

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

KEYS = {
    "northgate",
    "mosaic",
    "rent-accounts",
    "care-flags",
    "postcodes",
    "arrears-etl",
    "arrears-model",
    "arrears-dashboard",
    "open-summary",
}
CURRENT = {
    ("northgate", "rent-accounts"),
    ("mosaic", "care-flags"),
    ("rent-accounts", "arrears-etl"),
    ("care-flags", "arrears-etl"),
    ("postcodes", "arrears-etl"),
    ("arrears-etl", "arrears-model"),
    ("arrears-model", "arrears-dashboard"),
    ("arrears-model", "open-summary"),
    ("rent-accounts", "arrears-dashboard"),
}
ENDED = ("postcodes", "open-summary")


def test_json_is_node_link_with_the_current_edges(graph: LineageGraph) -> None:
    data = json.loads(graph.export("json"))
    assert data["directed"] is True
    nodes = {node["id"]: node for node in data["nodes"]}
    assert set(nodes) == KEYS
    assert nodes["northgate"]["title"] == "Northgate Housing"
    links = {(link["source"], link["target"]): link for link in data["links"]}
    assert set(links) == CURRENT
    feed = links["rent-accounts", "arrears-dashboard"]
    assert feed["via"] == "dashboard-feed"
    assert feed["id"] == 9 and feed["valid_to"] is None
    assert feed["valid_from"] == "2024-03-01T09:00:00+00:00"


def test_json_as_of_shows_the_graph_then(graph: LineageGraph) -> None:
    data = json.loads(graph.export("json", as_of="2024-02-01T00:00:00Z"))
    assert {node["id"] for node in data["nodes"]} == KEYS - {"arrears-dashboard"}
    links = {(link["source"], link["target"]) for link in data["links"]}
    assert ENDED in links
    assert ("arrears-model", "open-summary") not in links


def test_graphml_reads_back_into_networkx(graph: LineageGraph) -> None:
    parsed = nx.parse_graphml(graph.export("graphml"))
    assert parsed.is_directed()
    assert set(parsed.nodes) == KEYS
    assert set(parsed.edges) == CURRENT
    assert parsed.nodes["mosaic"]["title"] == "Mosaic social care"
    assert parsed.nodes["mosaic"]["special_category"] is True
    assert parsed.nodes["mosaic"]["tags"] == "[]"  # lists travel as JSON text
    assert parsed.edges["northgate", "rent-accounts"]["via"] == "northgate-extract"


def test_dot_names_every_current_edge_and_quotes_titles(graph: LineageGraph) -> None:
    dot = graph.export("dot")
    assert dot.startswith("digraph lineage {")
    assert dot.rstrip().endswith("}")
    for upstream, downstream in CURRENT:
        assert f'"{upstream}" -> "{downstream}"' in dot
    assert '"postcodes" -> "open-summary"' not in dot
    assert '"rent-accounts" [label="Rent accounts (\\"live\\")"' in dot
    assert dot.count("->") == len(CURRENT)


def test_dot_as_of_shows_the_ended_edge(graph: LineageGraph) -> None:
    assert '"postcodes" -> "open-summary"' in graph.export("dot", as_of="2024-05-01T00:00Z")


def test_an_unknown_format_names_the_allowed_ones(graph: LineageGraph) -> None:
    assert EXPORT_FORMATS == ("dot", "graphml", "json")
    with pytest.raises(ValueError, match="dot, graphml, json"):
        graph.export("csv")
