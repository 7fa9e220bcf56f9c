"""The change log indexed by asset key, time and action (#21)

An auditor's trace as of a past date asks, of every asset on the trace,
whether it changed after that date, and reads the last record by then of those
that did (and of the traced asset). With the key alone indexed, each asset's
every change row was read from the table to test its time and action; with
(asset_key, at, action) both questions are answered from the index. The index
on asset_key alone is dropped: the new one's first column serves its reads.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 10:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_change_log_asset_key_at", "change_log", ["asset_key", "at", "action"])
    op.drop_index("ix_change_log_asset_key", table_name="change_log")


def downgrade() -> None:
    op.create_index("ix_change_log_asset_key", "change_log", ["asset_key"])
    op.drop_index("ix_change_log_asset_key_at", table_name="change_log")
