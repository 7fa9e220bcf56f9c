"""OpenLineage events from the shared data files as the openlineage-python
client's own typed classes, so the unmodified client can send them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openlineage.client.event_v2 import (
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    documentation_dataset,
    documentation_job,
    ownership_dataset,
    schema_dataset,
)

PRODUCER = "https://github.com/MarquezProject/marquez/blob/main/docker/metadata.json"


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every event of an NDJSON file (or the one event of a JSON file)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return [json.loads(text)]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _dataset_facets(facets: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "schema" in facets:
        out["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[
                schema_dataset.SchemaDatasetFacetFields(
                    name=f["name"], type=f.get("type"), description=f.get("description")
                )
                for f in facets["schema"].get("fields", [])
            ]
        )
    if "documentation" in facets:
        out["documentation"] = documentation_dataset.DocumentationDatasetFacet(
            description=facets["documentation"]["description"]
        )
    if "ownership" in facets:
        out["ownership"] = ownership_dataset.OwnershipDatasetFacet(
            owners=[
                ownership_dataset.Owner(name=o["name"], type=o.get("type"))
                for o in facets["ownership"].get("owners", [])
            ]
        )
    if "columnLineage" in facets:
        fields = {
            name: column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        namespace=i["namespace"], name=i["name"], field=i["field"]
                    )
                    for i in spec["inputFields"]
                ]
            )
            for name, spec in facets["columnLineage"]["fields"].items()
        }
        out["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields)
    return out


def client_event(event: dict[str, Any]) -> RunEvent:
    """A RunEvent of the client's classes carrying what the catalogue reads."""
    job_facets = {}
    if "documentation" in event["job"].get("facets", {}):
        job_facets["documentation"] = documentation_job.DocumentationJobFacet(
            description=event["job"]["facets"]["documentation"]["description"]
        )
    return RunEvent(
        eventType=RunState(event["eventType"]),
        eventTime=event["eventTime"],
        run=Run(runId=event["run"]["runId"]),
        job=Job(namespace=event["job"]["namespace"], name=event["job"]["name"], facets=job_facets),
        inputs=[
            InputDataset(d["namespace"], d["name"], facets=_dataset_facets(d.get("facets", {})))
            for d in event.get("inputs", [])
        ],
        outputs=[
            OutputDataset(d["namespace"], d["name"], facets=_dataset_facets(d.get("facets", {})))
            for d in event.get("outputs", [])
        ],
        producer=event.get("producer") or PRODUCER,
    )


def dataset_lineage(events: list[dict[str, Any]]) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    """(input, output) dataset pairs the events say a job connects (what a job
    read feeds what it wrote): the truth to check the catalogue's graph against,
    worked out from the events alone."""
    pairs = set()
    by_job: dict[tuple[str, str], dict[str, set]] = {}
    for event in events:
        job = by_job.setdefault(
            (event["job"]["namespace"], event["job"]["name"]), {"in": set(), "out": set()}
        )
        job["in"] |= {(d["namespace"], d["name"]) for d in event.get("inputs") or []}
        job["out"] |= {(d["namespace"], d["name"]) for d in event.get("outputs") or []}
    for job in by_job.values():
        pairs |= {(i, o) for i in job["in"] for o in job["out"]}
    return pairs
