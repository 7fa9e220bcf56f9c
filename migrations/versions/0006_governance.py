"""Governance: owners' reviews of their assets (#18)

assets.last_reviewed, last_reviewed_by, last_review_note: the owner's or
steward's last confirmation that the record is still correct.
assets.purpose, data_subjects, personal_data_categories, recipients,
international_transfers: what UK GDPR Article 30(1) asks of the record of
processing (the three lists are JSON lists of strings).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.add_column(sa.Column("last_reviewed", sa.Date(), nullable=True))
        batch.add_column(sa.Column("last_reviewed_by", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("last_review_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("purpose", sa.String(length=500), nullable=True))
        for name in ("data_subjects", "personal_data_categories", "recipients"):
            batch.add_column(sa.Column(name, sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("international_transfers", sa.String(length=1000), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        for name in (
            "international_transfers",
            "recipients",
            "personal_data_categories",
            "data_subjects",
            "purpose",
        ):
            batch.drop_column(name)
        batch.drop_column("last_review_note")
        batch.drop_column("last_reviewed_by")
        batch.drop_column("last_reviewed")
