"""Source times: when an imported record was created and last changed in the
catalogue it came from (#14)

assets.source_created, source_modified: a CKAN package's metadata_created and
metadata_modified (UTC), so the catalogue republishes the source's own times
instead of the day it imported them. Empty for assets registered here.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FIELDS = ("source_created", "source_modified")


def upgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        for name in FIELDS:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        for name in FIELDS:
            batch.drop_column(name)
