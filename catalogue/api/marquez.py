"""Lineage in Marquez's shape, for tools that read Marquez: node ids
``dataset:{namespace}:{name}``, ``job:{namespace}:{name}`` and
``datasetField:{namespace}:{name}:{field}``; a graph is
``{"graph": [{"id", "type", "data", "inEdges", "outEdges"}]}``.

Assets the feeds never named (registered by hand) appear under the namespace
``catalogue`` with their key as the name. What the caller may not see is left
out, with the edges that touch it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from catalogue.api import marquez_shapes as shapes
from catalogue.api.marquez_shapes import Name
from catalogue.errors import Invalid, NotFound, Problem
from catalogue.http import catalogue
from catalogue.services import assets, run_health
from catalogue.services.access import Principal
from catalogue.services.column_lineage import ColumnNode, column_edges, dataset_fields
from catalogue.services.lineage import records_as_of
from catalogue.services.openlineage_names import lookup_key, names_for
from catalogue.services.sight import Sight

CATALOGUE_NAMESPACE = "catalogue"
PREFIXES = {"dataset": "dataset", "job": "job", "datasetField": "datasetField"}


def _bad_node(node_id: str, expected: str) -> Invalid:
    return Invalid(
        f"nodeId {node_id[:200]!r} is not {expected}",
        [Problem(f"use {expected}", "nodeId")],
    )


def _split(node_id: str) -> tuple[str, str]:
    prefix, sep, rest = node_id.partition(":")
    if not sep or prefix not in PREFIXES or not rest:
        raise _bad_node(node_id, "dataset:{namespace}:{name} or job:{namespace}:{name}")
    return prefix, rest


def resolve(session: Session, kind: str, rest: str) -> tuple[str | None, str, str]:
    """(asset key or None, namespace, name) for ``{namespace}:{name}``.

    Namespaces hold colons (``postgres://db:5432``), so every split is tried
    against the names the feeds have used; ``catalogue:{key}`` names an asset
    directly. Raises NotFound when nothing matches.
    """
    splits = [i for i, c in enumerate(rest) if c == ":"]
    for i in splits:
        key = lookup_key(session, kind, rest[:i], rest[i + 1 :])
        if key is not None:
            return key, rest[:i], rest[i + 1 :]
    if rest.startswith(CATALOGUE_NAMESPACE + ":"):
        key = rest[len(CATALOGUE_NAMESPACE) + 1 :]
        if assets.find(session, key) is not None:
            return key, CATALOGUE_NAMESPACE, key
    if kind == "dataset":  # a dataset only column lineage names: no asset
        for i in splits:
            if dataset_fields(session, rest[:i], rest[i + 1 :]):
                return None, rest[:i], rest[i + 1 :]
    raise unknown(kind, rest)


def unknown(kind: str, rest: str, as_of: datetime | None = None) -> NotFound:
    """The one answer for a node that does not exist and for one the caller may
    not see: they must be indistinguishable, and name only what was asked for."""
    when = f" on {as_of:%Y-%m-%d %H:%M} UTC" if as_of else ""
    return NotFound(f"no {kind} {rest[:300]!r} in the catalogue{when}")


def resolve_visible(
    session: Session, sight: Sight, kind: str, rest: str
) -> tuple[str | None, str, str]:
    """resolve(), answering NotFound as for an unknown node when the asset it names
    is one the caller may not see."""
    key, namespace, name = resolve(session, kind, rest)
    if key is not None and not sight.visible(key):
        raise unknown(kind, rest)
    return key, namespace, name


def node_names(session: Session, graph: Any, keys: Iterable[str]) -> dict[str, Name]:
    """How each asset is named in Marquez's terms."""
    keys = list(keys)
    named = names_for(session, keys)
    out = {}
    for key in keys:
        if key not in named:
            kind = "job" if graph.node(key).get("kind") == "pipeline" else "dataset"
            named[key] = (kind, CATALOGUE_NAMESPACE, key)
        out[key] = named[key]
    return out


def edge(origin: Name, destination: Name) -> dict[str, str]:
    return {"origin": shapes.node_id(origin), "destination": shapes.node_id(destination)}


def _graph_node(
    key: str, names: dict[str, Name], data: dict[str, Any], inward: list[str], outward: list[str]
) -> dict[str, Any]:
    """One node of Marquez's graph, with its edges in and out."""
    name = names[key]
    return {
        "id": shapes.node_id(name),
        "type": "JOB" if name[0] == "job" else "DATASET",
        "data": data,
        "inEdges": [edge(names[s], name) for s in inward],
        "outEdges": [edge(name, names[d]) for d in outward],
    }


def _node_data(
    session: Session,
    record: Mapping[str, Any],
    names: dict[str, Name],
    links: tuple[list[str], list[str]],
    as_of: datetime | None,
) -> dict[str, Any]:
    """A node's ``data``: Marquez's ``Job`` or ``Dataset``. Runs (``latestRun``,
    ``lastModifiedAt``) are the latest now, or only those finished by ``as_of``."""
    name = names[record["key"]]
    if name[0] == "job":
        runs = run_health.runs_of(session, record["key"], 10)
        runs = [r for r in runs if as_of is None or r.state_at <= as_of]
        inputs, outputs = ([names[k] for k in keys] for keys in links)
        return shapes.job(record, name, inputs, outputs, runs)
    return shapes.dataset(
        record, name, run_health.last_successful_write(session, record["key"], as_of)
    )


def lineage_graph(
    principal: Principal, node_id: str, depth: int, as_of: datetime | None = None
) -> dict[str, Any]:
    """The node, what feeds it and what it feeds, within ``depth`` edges each way,
    now or as it stood at ``as_of`` (each asset described by its record then).
    Raises Invalid for a malformed id, NotFound for an unknown or invisible one,
    or one nothing had been recorded of by ``as_of``."""
    kind, rest = _split(node_id)
    if kind == "datasetField":
        raise _bad_node(node_id, "dataset:… or job:… (use /api/v1/column-lineage for fields)")
    with catalogue().reading(principal) as reader:
        sight = Sight(reader)
        graph = sight.graph
        key, _, _ = resolve_visible(reader.session, sight, kind, rest)
        past = records_as_of(reader.session, [key], as_of) if key and as_of else {}
        if key is None or (as_of is not None and not past):
            raise unknown(kind, rest, as_of)
        reached = [
            h.key for h in graph.upstream(key, depth, as_of) + graph.downstream(key, depth, as_of)
        ]
        keys = [k for k in dict.fromkeys([key, *reached]) if sight.visible(k)]
        names = node_names(reader.session, graph, keys)
        # A namespace's source system (#14) is the catalogue's notion: Marquez
        # names the namespace on each dataset instead.
        keys = [k for k in keys if names[k][0] != "system"]
        names = {k: names[k] for k in keys}
        past = records_as_of(reader.session, keys, as_of) if as_of else {}
        records = {k: past.get(k) or assets.get(reader, k) for k in keys}
        inward = {k: [h.key for h in graph.upstream(k, 1, as_of) if h.key in names] for k in keys}
        outward: dict[str, list[str]] = {k: [] for k in keys}
        for k, sources in inward.items():
            for source in sources:
                outward[source].append(k)
        data = {
            k: _node_data(reader.session, records[k], names, (inward[k], outward[k]), as_of)
            for k in keys
        }
    return {"graph": [_graph_node(k, names, data[k], inward[k], outward[k]) for k in keys]}


# -- columns ---------------------------------------------------------------------------------
def _field_id(node: ColumnNode) -> str:
    return f"datasetField:{node.namespace}:{node.name}:{node.field}"


def column_starts(
    session: Session, sight: Sight, node_id: str, as_of: datetime | None = None
) -> tuple[str | None, list[ColumnNode]]:
    """(the dataset's asset key or None, the start columns) for ``node_id``.
    Raises NotFound, as for an unknown dataset, for one the caller may not see."""
    kind, rest = _split(node_id)
    if kind == "job":
        raise _bad_node(node_id, "datasetField:{namespace}:{name}:{field} or dataset:…")
    if kind == "dataset":
        key, namespace, name = resolve_visible(session, sight, "dataset", rest)
        return key, dataset_fields(session, namespace, name, as_of)
    dataset, sep, field = rest.rpartition(":")
    if not sep or not dataset or not field:
        raise _bad_node(node_id, "datasetField:{namespace}:{name}:{field}")
    key, namespace, name = resolve_visible(session, sight, "dataset", dataset)
    return key, [ColumnNode(namespace, name, field)]


def column_graph(
    principal: Principal,
    node_id: str,
    depth: int,
    downstream: bool,
    as_of: datetime | None = None,
) -> dict:
    """Columns feeding the start column(s), and fed by them with ``downstream``;
    now, or as column lineage stood at ``as_of``.

    The same visibility rules as every other route: a dataset the caller may not
    see is not found, and edges touching one are left out. A dataset no asset
    stands for (named only as an input) is known to the caller only through the
    edges they may see: with none, it is not found either.
    """
    with catalogue().reading(principal) as reader:
        session, sight = reader.session, Sight(reader)
        key, starts = column_starts(session, sight, node_id, as_of)
        if key is not None and as_of is not None and not records_as_of(session, [key], as_of):
            raise unknown("dataset", _dataset_part(node_id), as_of)
        found = column_edges(session, starts, depth, downstream, as_of)
    shown = [
        e
        for e in found
        if sight.visible(e.output_key) and (e.input_key is None or sight.visible(e.input_key))
    ]
    if key is None and not shown:
        raise unknown("dataset", _dataset_part(node_id), as_of)
    nodes: dict[str, dict[str, Any]] = {}
    for node in starts:
        _column_node(nodes, node)
    for e in shown:
        out, into = _column_node(nodes, e.output), _column_node(nodes, e.input)
        edge = {"origin": _field_id(e.input), "destination": _field_id(e.output)}
        out["inEdges"].append(edge)
        into["outEdges"].append(edge)
        out["data"]["inputFields"].append(
            {
                "namespace": e.input.namespace,
                "dataset": e.input.name,
                "field": e.input.field,
                "transformationType": e.type,
                "transformationSubtype": e.subtype,
                "transformationDescription": e.description,
                "masking": e.masking,
            }
        )
    return {"graph": list(nodes.values())}


def _dataset_part(node_id: str) -> str:
    """``{namespace}:{name}`` of a ``dataset:`` or ``datasetField:`` node id."""
    kind, rest = _split(node_id)
    return rest if kind == "dataset" else rest.rpartition(":")[0]


def _column_node(nodes: dict[str, dict[str, Any]], node: ColumnNode) -> dict[str, Any]:
    node_id = _field_id(node)
    if node_id not in nodes:
        nodes[node_id] = {
            "id": node_id,
            "type": "DATASET_FIELD",
            "data": {
                "namespace": node.namespace,
                "dataset": node.name,
                "field": node.field,
                "inputFields": [],
            },
            "inEdges": [],
            "outEdges": [],
        }
    return nodes[node_id]
