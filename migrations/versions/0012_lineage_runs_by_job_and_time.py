"""Lineage runs by job and time (#19)

An index on lineage_runs (job_key, state_at): a job's latest finished run (its
health), its run history, and a dataset's last successful write all read a
job's runs newest first.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 21:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEX = "ix_lineage_runs_job_key_state_at"


def upgrade() -> None:
    op.create_index(INDEX, "lineage_runs", ["job_key", "state_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="lineage_runs")
