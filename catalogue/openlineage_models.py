"""Tables of OpenLineage (#6, #19): which asset an OpenLineage or dbt name is,
column lineage, the runs of jobs and the events as they were received.

Registered on the catalogue's metadata by ``catalogue.models``, which imports
this module, so Alembic and ``catalogue db check`` see every table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.db import Base, UTCDateTime


class LineageName(Base):
    """Which asset an OpenLineage (or dbt) dataset or job is.

    OpenLineage names things by ``namespace`` + ``name`` (``postgres://db:5432`` +
    ``housing.public.rents``); the catalogue by a URL-safe key. The key is made
    once, when the name is first seen (see ``services.openlineage_names.key_for``), and
    this row keeps the pair so later events find the same asset. ``digest`` is the
    SHA-256 of kind, namespace and name: one short unique index on any database.
    """

    __tablename__ = "lineage_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # dataset | job
    namespace: Mapped[str] = mapped_column(String(1000))
    name: Mapped[str] = mapped_column(String(1000))
    asset_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ColumnLineage(Base):
    """One input column feeding one output column (OpenLineage ``columnLineage``).

    The rows of an output dataset are replaced together when a newer facet for it
    arrives (``recorded_at`` is that event's time); each replacement is logged in
    ``change_log`` as ``column_lineage.set``. Columns are named by OpenLineage
    dataset names, so an input may be a dataset the catalogue has no asset for.
    The digests (SHA-256 of namespace, name and field) index the column nodes.
    """

    __tablename__ = "column_lineage"

    id: Mapped[int] = mapped_column(primary_key=True)
    output_key: Mapped[str] = mapped_column(String(200), index=True)
    output_namespace: Mapped[str] = mapped_column(String(1000))
    output_name: Mapped[str] = mapped_column(String(1000))
    output_field: Mapped[str] = mapped_column(String(500))
    output_digest: Mapped[str] = mapped_column(String(64), index=True)
    input_namespace: Mapped[str] = mapped_column(String(1000))
    input_name: Mapped[str] = mapped_column(String(1000))
    input_field: Mapped[str] = mapped_column(String(500))
    input_digest: Mapped[str] = mapped_column(String(64), index=True)
    transformation_type: Mapped[str | None] = mapped_column(String(40))
    transformation_subtype: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    masking: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LineageRun(Base):
    """One run of a job, as OpenLineage events report it: the datasets all its
    events named so far. A COMPLETE event states the job's lineage as the union
    of its run's events (a START often lists what a COMPLETE leaves out)."""

    __tablename__ = "lineage_runs"
    # A job's runs by time: its health, its history and its outputs' last write (#19).
    __table_args__ = (Index("ix_lineage_runs_job_key_state_at", "job_key", "state_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(String(36), unique=True)
    job_key: Mapped[str] = mapped_column(String(200), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str | None] = mapped_column(String(20))
    state_at: Mapped[datetime] = mapped_column(UTCDateTime)
    inputs: Mapped[list[str]] = mapped_column(JSON, default=list)
    outputs: Mapped[list[str]] = mapped_column(JSON, default=list)


class LineageEvent(Base):
    """An OpenLineage event as it was received (#19), for Marquez's
    ``/events/lineage``: its body unchanged, with the asset keys it named so the
    reader can leave out what a caller may not see. The same event delivered
    again (the same body) is kept once: ``digest`` is the SHA-256 of its
    canonical JSON."""

    __tablename__ = "lineage_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    run_id: Mapped[str | None] = mapped_column(String(36), index=True)
    event_type: Mapped[str | None] = mapped_column(String(20))
    event_time: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    job_key: Mapped[str | None] = mapped_column(String(200))
    dataset_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
