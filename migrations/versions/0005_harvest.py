"""Harvest: which assets a harvest found, and columns flagged for review (#15)

harvested_assets: the object in its source system each harvested asset is.
harvest_reviews: columns that may hold personal data, for a person to review.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 14:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('harvested_assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_key', sa.String(length=200), nullable=False),
    sa.Column('source_system', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=1000), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=True),
    sa.Column('reads', sa.JSON(), nullable=True),
    sa.Column('first_harvested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_harvested_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_harvested_assets')),
    sa.UniqueConstraint('asset_key', name=op.f('uq_harvested_assets_asset_key'))
    )
    with op.batch_alter_table('harvested_assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_harvested_assets_source_system'), ['source_system'], unique=False)

    op.create_table('harvest_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_key', sa.String(length=200), nullable=False),
    sa.Column('column', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=320), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_harvest_reviews'))
    )
    with op.batch_alter_table('harvest_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_harvest_reviews_asset_key'), ['asset_key'], unique=False)
        batch_op.create_index('uq_harvest_reviews_column', ['asset_key', 'column'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('harvest_reviews', schema=None) as batch_op:
        batch_op.drop_index('uq_harvest_reviews_column')
        batch_op.drop_index(batch_op.f('ix_harvest_reviews_asset_key'))
    op.drop_table('harvest_reviews')
    with op.batch_alter_table('harvested_assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_harvested_assets_source_system'))
    op.drop_table('harvested_assets')
