"""Single sign-on accounts (#16)

users.source: "local" (made by an admin) or "sso" (made at a first sign-in with
the council's OpenID provider); users.last_sign_in_at; users.sso_issuer and
sso_subject: the provider's stable identity of an SSO account (unique together).
sessions.id_token_hint: a single sign-on session's ID token, sent back to the
provider at sign-out (RP-initiated logout); cleared when the session ends.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-04 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("id_token_hint", sa.Text(), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("source", sa.String(length=10), server_default="local", nullable=False)
        )
        batch.add_column(sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sso_issuer", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("sso_subject", sa.String(length=255), nullable=True))
        batch.create_unique_constraint(
            batch.f("uq_users_sso_issuer"), ["sso_issuer", "sso_subject"]
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(batch.f("uq_users_sso_issuer"), type_="unique")
        batch.drop_column("sso_subject")
        batch.drop_column("sso_issuer")
        batch.drop_column("last_sign_in_at")
        batch.drop_column("source")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("id_token_hint")
