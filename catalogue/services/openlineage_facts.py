"""The facts an OpenLineage event or a dbt manifest node gives about a job and
its datasets, as ``catalogue.services.openlineage.apply_facts`` takes them, and
the ``Outcome`` it reports: what the feeds (the OpenLineage API, the dbt importer
and the harvest) build and read, with no database work of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class ColumnInput:
    """One input column feeding an output column, and how."""

    field: str
    namespace: str
    name: str
    input_field: str
    type: str | None = None
    subtype: str | None = None
    description: str | None = None
    masking: bool = False


@dataclass
class DatasetFacts:
    """What a feed says about one dataset. None means "not said"."""

    namespace: str
    name: str
    description: str | None = None
    owner: str | None = None
    columns: list[dict[str, Any]] | None = None
    column_lineage: list[ColumnInput] | None = None
    authoritative: bool = False  # its columns describe the whole table (an output)
    system: str | None = None  # key of the source system it lives in (set by `place`)
    updated_on: date | None = None  # a COMPLETE run wrote it then


@dataclass
class JobFacts:
    namespace: str
    name: str
    description: str | None = None
    owner: str | None = None


@dataclass
class LineageFacts:
    """One event (or one dbt node): a job, what it read and wrote, and when.

    ``run_id``/``event_type``: a RunEvent's; a COMPLETE run states the job's
    lineage as everything its run's events named. ``replace``: without a run,
    the lists are the job's whole lineage (JobEvent, dbt). ``datasets``: datasets
    described without a job (DatasetEvent, dbt sources).
    """

    time: datetime
    job: JobFacts | None = None
    inputs: list[DatasetFacts] = field(default_factory=list)
    outputs: list[DatasetFacts] = field(default_factory=list)
    datasets: list[DatasetFacts] = field(default_factory=list)
    run_id: str | None = None
    event_type: str | None = None
    replace: bool = False


@dataclass
class Outcome:
    """What applying facts changed; empty lists and zeros when nothing did."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    edges_added: int = 0
    edges_ended: int = 0
    column_lineage: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}
