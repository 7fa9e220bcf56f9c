"""dbt's ``manifest.json`` in: models, seeds, snapshots and sources become
datasets (with descriptions and columns), each model, seed and snapshot a
``pipeline`` asset that builds its dataset, and lineage runs from ``depends_on``.

The manifest is turned into the same facts an OpenLineage feed gives
(``catalogue.services.openlineage``), keyed the way dbt's own OpenLineage
integration (``dbt-ol``) names things, so importing a manifest and receiving its
runs' events give the same assets and the same lineage:

- a dataset is ``{database}.{schema}.{alias}`` in the warehouse's namespace
  (``--namespace``, e.g. ``postgres://host:5432`` as dbt-ol sends it; default the
  adapter type, e.g. ``postgres``);
- a job is the node's ``unique_id`` (``model.jaffle_shop.customers``) in the job
  namespace (``--job-namespace``; default ``$OPENLINEAGE_NAMESPACE`` or
  ``default``, as dbt-ol).

Ephemeral models are not relations: what depends on one reads what it reads.
Tests, analyses and exposures are not imported. The manifest states each job's
whole lineage, so an edge a model no longer depends on is ended; importing the
same manifest again changes nothing. Everything is one transaction.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from catalogue.db import utcnow
from catalogue.errors import Invalid, Problem
from catalogue.services.access import Principal
from catalogue.services.openlineage import apply_facts
from catalogue.services.openlineage_facts import DatasetFacts, JobFacts, LineageFacts, Outcome
from catalogue.store import Catalogue

BUILT = ("model", "seed", "snapshot")


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest as a dict. Raises Invalid saying why it cannot be one."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise Invalid(
            f"cannot read {path} as a dbt manifest", [Problem(str(error), source=str(path))]
        ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("nodes"), dict):
        raise Invalid(
            f"{path} is not a dbt manifest",
            [Problem("expected a JSON object with 'nodes' (target/manifest.json)", "nodes")],
        )
    problems = [
        Problem(message, f"{section}.{unique_id}", source=str(path))
        for section in ("nodes", "sources")
        for unique_id, node in (_section(manifest, section) or {}).items()
        for message in _node_problems(node)
    ]
    if not isinstance(manifest.get("sources") or {}, dict):
        problems.append(Problem("must be an object of sources", "sources", source=str(path)))
    if problems:
        raise Invalid(f"{path} is not a dbt manifest dbt could have written", problems[:20])
    return manifest


def _section(manifest: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = manifest.get(name)
    return value if isinstance(value, dict) else None


def _node_problems(node: Any) -> list[str]:
    """What is wrong with one node of a manifest, in the few fields the import reads."""
    if not isinstance(node, dict):
        return [f"must be an object describing a node, not {type(node).__name__}"]
    problems = []
    if not isinstance(node.get("name"), str) or not node["name"]:
        problems.append("has no 'name'")
    if not isinstance(node.get("resource_type"), str):
        problems.append("has no 'resource_type' (model, seed, snapshot, source…)")
    for name in ("depends_on", "columns", "config", "meta"):
        if node.get(name) is not None and not isinstance(node[name], dict):
            problems.append(f"'{name}' must be an object")
    depends = (node.get("depends_on") or {}) if isinstance(node.get("depends_on"), dict) else {}
    if not isinstance(depends.get("nodes") or [], list):
        problems.append("'depends_on.nodes' must be a list of node ids")
    return problems


def relation(node: dict[str, Any]) -> str:
    """``database.schema.alias``: the table or view a node is in the warehouse."""
    name = node.get("alias") or node.get("identifier") or node["name"]
    return ".".join(str(part) for part in (node.get("database"), node.get("schema"), name) if part)


def _columns(node: dict[str, Any]) -> list[dict[str, Any]] | None:
    columns = node.get("columns") or {}
    if not isinstance(columns, dict) or not columns:
        return None
    return [
        {
            "name": str(column.get("name") or name)[:200],
            "type": (column.get("data_type") or None) and str(column["data_type"])[:100],
            "description": column.get("description") or None,
        }
        for name, column in columns.items()
    ]


def _owner(node: dict[str, Any]) -> str | None:
    meta = node.get("meta") or (node.get("config") or {}).get("meta") or {}
    owner = meta.get("owner") if isinstance(meta, dict) else None
    return str(owner) if owner else None


class Manifest:
    """The nodes of one manifest, as datasets and jobs."""

    def __init__(self, manifest: dict[str, Any], namespace: str, job_namespace: str) -> None:
        self.nodes: dict[str, dict[str, Any]] = {
            **(manifest.get("sources") or {}),
            **manifest["nodes"],
        }
        self.namespace = namespace
        self.job_namespace = job_namespace

    def is_dataset(self, node: dict[str, Any]) -> bool:
        kind = node.get("resource_type")
        ephemeral = (node.get("config") or {}).get("materialized") == "ephemeral"
        return kind == "source" or (kind in BUILT and not ephemeral)

    def dataset(self, node: dict[str, Any], described: bool) -> DatasetFacts:
        if not described:
            return DatasetFacts(self.namespace, relation(node))
        return DatasetFacts(
            namespace=self.namespace,
            name=relation(node),
            description=node.get("description") or None,
            owner=_owner(node),
            columns=_columns(node),
            authoritative=True,
        )

    def inputs(self, node: dict[str, Any], seen: frozenset[str] = frozenset()) -> Iterator[str]:
        """The relations a node reads, through ephemeral models."""
        for parent_id in (node.get("depends_on") or {}).get("nodes") or []:
            parent = self.nodes.get(parent_id)
            if parent is None or parent_id in seen:
                continue
            if self.is_dataset(parent):
                yield parent_id
            elif parent.get("resource_type") == "model":  # ephemeral
                yield from self.inputs(parent, seen | {parent_id})

    def facts(self, time: datetime) -> list[LineageFacts]:
        """Sources first (described, no job), then one job per built node."""
        sources = [n for n in self.nodes.values() if n.get("resource_type") == "source"]
        out = [LineageFacts(time=time, datasets=[self.dataset(n, True) for n in sources])]
        for unique_id, node in sorted(self.nodes.items()):
            if node.get("resource_type") not in BUILT or not self.is_dataset(node):
                continue
            job = JobFacts(
                self.job_namespace,
                unique_id,
                description=f"dbt {node['resource_type']} that builds {relation(node)}",
                owner=_owner(node),
            )
            inputs = [self.dataset(self.nodes[i], False) for i in dict.fromkeys(self.inputs(node))]
            out.append(
                LineageFacts(
                    time=time,
                    job=job,
                    inputs=inputs,
                    outputs=[self.dataset(node, True)],
                    replace=True,
                )
            )
        return out


def generated_at(manifest: dict[str, Any]) -> datetime:
    """When dbt wrote the manifest (the time its lineage held); now if unknown."""
    value = (manifest.get("metadata") or {}).get("generated_at")
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return utcnow()
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def default_job_namespace() -> str:
    return os.environ.get("OPENLINEAGE_NAMESPACE") or "default"


def import_dbt(
    catalogue: Catalogue,
    path: Path,
    principal: Principal,
    namespace: str | None = None,
    job_namespace: str | None = None,
) -> Outcome:
    """Import a dbt manifest in one transaction: recorded now, and in effect
    (lineage valid from) when dbt generated it, or now if that is later.

    Raises Invalid for a file that is not a manifest, and what the asset and
    edge services raise (Forbidden, Invalid) for what may not be written.
    """
    manifest = read_manifest(path)
    adapter = str((manifest.get("metadata") or {}).get("adapter_type") or "dbt")
    nodes = Manifest(manifest, namespace or adapter, job_namespace or default_job_namespace())
    time = generated_at(manifest)
    outcome = Outcome()
    # Recorded now, by the clock; in effect from when dbt generated the manifest.
    with catalogue.write(principal, happened_at=time) as writer:
        for facts in nodes.facts(time):
            apply_facts(writer, facts, outcome)
    return outcome
