"""The business glossary (#18)

glossary_terms: the council's words (name, Markdown definition, synonyms, owner,
department, related terms, the assets and columns each describes, draft or
approved), versioned like assets; their changes are ``glossary.*`` rows in
change_log.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "glossary_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_glossary_terms_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_terms")),
        sa.UniqueConstraint("name", name=op.f("uq_glossary_terms_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_glossary_terms_slug")),
    )
    op.create_index(op.f("ix_glossary_terms_department_id"), "glossary_terms", ["department_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_glossary_terms_department_id"), table_name="glossary_terms")
    op.drop_table("glossary_terms")
