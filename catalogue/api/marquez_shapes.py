"""Catalogue records in the shapes of Marquez's OpenAPI document (``Dataset``,
``Job``, ``Run``, ``Namespace``, ``SearchResult``, an OpenLineage event), so
Marquez's web UI reads the catalogue unmodified.

Pure shaping: the callers (``catalogue.api.marquez_reads`` and the lineage
graph in ``catalogue.api.marquez``) have already left out what the caller may
not see. A value the catalogue does not hold is left out rather than sent as
``null``: Marquez's schemas type every field, and its UI treats a missing field
as an empty one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import request, url_for

from catalogue.openlineage_models import LineageRun

Name = tuple[str, str, str]  # kind (dataset | job), namespace, name

# OpenLineage run states as Marquez names them (its Run.state enum).
RUN_STATES = {
    "START": "RUNNING",
    "RUNNING": "RUNNING",
    "OTHER": "RUNNING",
    "COMPLETE": "COMPLETED",
    "FAIL": "FAILED",
    "ABORT": "ABORTED",
}
ENDED = ("COMPLETE", "FAIL", "ABORT")
FACET_SCHEMAS = {
    "documentation": "DocumentationDatasetFacet",
    "ownership": "OwnershipDatasetFacet",
    "schema": "SchemaDatasetFacet",
}
FACET_SPEC = "https://openlineage.io/spec/facets/1-0-1/{0}.json#/$defs/{0}"


def iso(value: datetime | str | None) -> str | None:
    """A time as Marquez writes it: ISO 8601 in UTC with a ``Z``."""
    if value is None or isinstance(value, str):
        return value
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def present(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` without the ones the catalogue does not hold (None)."""
    return {k: v for k, v in values.items() if v is not None}


def ref(name: Name) -> dict[str, str]:
    return {"namespace": name[1], "name": name[2]}


def node_id(name: Name) -> str:
    return ":".join(name)


def producer() -> str:
    """Who wrote the facets and events the catalogue serves: the catalogue itself."""
    return request.url_root


def facet(kind: str, **values: Any) -> dict[str, Any]:
    schema = FACET_SCHEMAS[kind]
    return {"_producer": producer(), "_schemaURL": FACET_SPEC.format(schema), **values}


def _facets(record: Mapping[str, Any], with_schema: bool) -> dict[str, Any]:
    """The OpenLineage facets the catalogue's record amounts to."""
    found: dict[str, Any] = {}
    if record.get("description"):
        found["documentation"] = facet("documentation", description=record["description"])
    if record.get("owner"):
        owners = [{"name": f"user:{record['owner']}", "type": "INDIVIDUAL"}]
        found["ownership"] = facet("ownership", owners=owners)
    if with_schema and record.get("columns"):
        fields = [present({"name": c["name"], "type": c["type"]}) for c in record["columns"]]
        found["schema"] = facet("schema", fields=fields)
    return found


def _common(record: Mapping[str, Any], name: Name) -> dict[str, Any]:
    return {
        "id": ref(name),
        "name": name[2],
        "namespace": name[1],
        "description": record.get("description") or None,
        "createdAt": iso(record.get("created_at")),
        "updatedAt": iso(record.get("updated_at")),
        "catalogueKey": record["key"],
        "catalogueUrl": url_for("api.get_asset", key=record["key"], _external=True),
    }


def dataset(record: Mapping[str, Any], name: Name, last_write: LineageRun | None) -> dict[str, Any]:
    """A ``Dataset``: ``lastModifiedAt`` is its last successful write (#19)."""
    fields = [
        present(
            {
                "name": c["name"],
                "type": c["type"] or "UNKNOWN",
                "description": c.get("description") or None,
                "tags": [],
            }
        )
        for c in record.get("columns") or []
    ]
    return present(
        _common(record, name)
        | {
            "type": "DB_TABLE",
            "physicalName": name[2],
            "sourceName": name[1],
            "fields": fields,
            "tags": list(record.get("tags") or []),
            "lastModifiedAt": iso(last_write.state_at) if last_write else None,
            "facets": _facets(record, with_schema=True),
            "deleted": record.get("status") == "retired",
        }
    )


def run(row: LineageRun) -> dict[str, Any]:
    """A ``Run``: Marquez's state names; ended runs have ``endedAt`` and ``durationMs``."""
    ended = row.state in ENDED
    took = (row.state_at - row.started_at).total_seconds() if ended else None
    return present(
        {
            "id": row.run_id,
            "createdAt": iso(row.started_at),
            "updatedAt": iso(row.state_at),
            "state": RUN_STATES.get(row.state or "", "NEW"),
            "startedAt": iso(row.started_at),
            "endedAt": iso(row.state_at) if ended else None,
            "durationMs": round(took * 1000) if took is not None else None,
            "args": {},
            "facets": {},
        }
    )


def job(
    record: Mapping[str, Any],
    name: Name,
    inputs: list[Name],
    outputs: list[Name],
    latest: list[LineageRun],
) -> dict[str, Any]:
    """A ``Job``: its current inputs and outputs, ``latestRun`` and ``latestRuns``."""
    return present(
        _common(record, name)
        | {
            "type": "BATCH",
            "simpleName": name[2].rsplit(".", 1)[-1],
            "tags": list(record.get("tags") or []),
            "inputs": [ref(n) for n in inputs],
            "outputs": [ref(n) for n in outputs],
            "latestRun": run(latest[0]) if latest else None,
            "latestRuns": [run(r) for r in latest],
            "facets": _facets(record, with_schema=False),
        }
    )


def namespace(name: str, created: datetime, updated: datetime) -> dict[str, Any]:
    return {
        "name": name,
        "createdAt": iso(created),
        "updatedAt": iso(updated),
        "ownerName": "catalogue",
        "description": "named by OpenLineage feeds",
    }


def search_result(name: Name, updated_at: Any) -> dict[str, Any]:
    return present(
        {
            "type": "JOB" if name[0] == "job" else "DATASET",
            "name": name[2],
            "namespace": name[1],
            "nodeId": node_id(name),
            "updatedAt": iso(updated_at),
        }
    )
