"""OpenLineage events as received (#19)

lineage_events: each OpenLineage event the catalogue accepted, its body
unchanged, with its run, type and time, the job's asset key and the asset keys
of the datasets it named (so Marquez's /events/lineage can leave out what a
caller may not see). A re-delivered event (the same body, by its SHA-256) is
kept once. Events received before this revision are not there: their runs are.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lineage_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("event_type", sa.String(length=20), nullable=True),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("job_key", sa.String(length=200), nullable=True),
        sa.Column("dataset_keys", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_events")),
        sa.UniqueConstraint("digest", name=op.f("uq_lineage_events_digest")),
    )
    op.create_index(op.f("ix_lineage_events_run_id"), "lineage_events", ["run_id"])
    op.create_index(op.f("ix_lineage_events_event_time"), "lineage_events", ["event_time"])


def downgrade() -> None:
    op.drop_index(op.f("ix_lineage_events_event_time"), table_name="lineage_events")
    op.drop_index(op.f("ix_lineage_events_run_id"), table_name="lineage_events")
    op.drop_table("lineage_events")
