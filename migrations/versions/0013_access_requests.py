"""Access requests and grants (#17)

access_requests: a signed-in person's request for read access to one asset until
a date, with their reason; its owner's or steward's decision (approved or
declined), who made it, when and why. An approved request not past its date is
a grant, enforced with every other read rule.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_key", sa.String(length=200), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("requester", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["users.id"],
            name=op.f("fk_access_requests_requester_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
    )
    op.create_index(op.f("ix_access_requests_asset_key"), "access_requests", ["asset_key"])
    op.create_index(
        "ix_access_requests_requester_status", "access_requests", ["requester_id", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_access_requests_requester_status", table_name="access_requests")
    op.drop_index(op.f("ix_access_requests_asset_key"), table_name="access_requests")
    op.drop_table("access_requests")
