"""initial catalogue store

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:11:45.653496
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('asset_kinds',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_asset_kinds'))
    )
    op.create_table('change_log',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('asset_key', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=320), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_change_log'))
    )
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_log_actor'), ['actor'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_log_asset_key'), ['asset_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_log_at'), ['at'], unique=False)

    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('name', name=op.f('uq_departments_name'))
    )
    op.create_table('log_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_head'))
    )
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('email', name=op.f('uq_people_email'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_name'), ['name'], unique=False)

    op.create_table('tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('name', name=op.f('uq_tags_name'))
    )
    op.create_table('assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('source_system', sa.String(length=200), nullable=True),
    sa.Column('location', sa.String(length=2000), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('steward_id', sa.Integer(), nullable=True),
    sa.Column('contact_email', sa.String(length=320), nullable=True),
    sa.Column('classification', sa.String(length=40), nullable=False),
    sa.Column('access', sa.String(length=20), nullable=False),
    sa.Column('licence', sa.String(length=100), nullable=True),
    sa.Column('personal_data', sa.Boolean(), nullable=False),
    sa.Column('special_category', sa.Boolean(), nullable=False),
    sa.Column('lawful_basis', sa.String(length=40), nullable=True),
    sa.Column('article9_condition', sa.String(length=200), nullable=True),
    sa.Column('retention_period', sa.String(length=200), nullable=True),
    sa.Column('dpia_reference', sa.String(length=100), nullable=True),
    sa.Column('update_frequency', sa.String(length=20), nullable=True),
    sa.Column('last_updated', sa.Date(), nullable=True),
    sa.Column('review_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_assets_department_id_departments')),
    sa.ForeignKeyConstraint(['kind'], ['asset_kinds.name'], name=op.f('fk_assets_kind_asset_kinds')),
    sa.ForeignKeyConstraint(['owner_id'], ['people.id'], name=op.f('fk_assets_owner_id_people')),
    sa.ForeignKeyConstraint(['steward_id'], ['people.id'], name=op.f('fk_assets_steward_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('key', name=op.f('uq_assets_key'))
    )
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assets_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_steward_id'), ['steward_id'], unique=False)

    op.create_table('asset_columns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('personal', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_columns_asset_id_assets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_columns'))
    )
    with op.batch_alter_table('asset_columns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_columns_asset_id'), ['asset_id'], unique=False)

    op.create_table('asset_tags',
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_tags_asset_id_assets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_asset_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('asset_id', 'tag_id', name=op.f('pk_asset_tags'))
    )
    op.create_table('edges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('upstream_id', sa.Integer(), nullable=False),
    sa.Column('downstream_id', sa.Integer(), nullable=False),
    sa.Column('via_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['downstream_id'], ['assets.id'], name=op.f('fk_edges_downstream_id_assets')),
    sa.ForeignKeyConstraint(['upstream_id'], ['assets.id'], name=op.f('fk_edges_upstream_id_assets')),
    sa.ForeignKeyConstraint(['via_id'], ['assets.id'], name=op.f('fk_edges_via_id_assets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_edges'))
    )
    with op.batch_alter_table('edges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_edges_downstream_id'), ['downstream_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_edges_upstream_id'), ['upstream_id'], unique=False)
        batch_op.create_index('uq_edges_current_pair', ['upstream_id', 'downstream_id'], unique=True, sqlite_where=sa.text('valid_to IS NULL'), postgresql_where=sa.text('valid_to IS NULL'))
    # The kinds of asset are data: a council can add one without a code change.
    kinds = sa.table("asset_kinds", sa.column("name", sa.String), sa.column("label", sa.String))
    op.bulk_insert(
        kinds,
        [
            {"name": "dataset", "label": "Dataset"},
            {"name": "report", "label": "Report"},
            {"name": "source_system", "label": "Source system"},
            {"name": "pipeline", "label": "Pipeline"},
        ],
    )
    head = sa.table("log_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer))
    op.bulk_insert(head, [{"id": 1, "seq": 0}])


def downgrade() -> None:
    with op.batch_alter_table('edges', schema=None) as batch_op:
        batch_op.drop_index('uq_edges_current_pair', sqlite_where=sa.text('valid_to IS NULL'), postgresql_where=sa.text('valid_to IS NULL'))
        batch_op.drop_index(batch_op.f('ix_edges_upstream_id'))
        batch_op.drop_index(batch_op.f('ix_edges_downstream_id'))

    op.drop_table('edges')
    op.drop_table('asset_tags')
    with op.batch_alter_table('asset_columns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_columns_asset_id'))

    op.drop_table('asset_columns')
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assets_steward_id'))
        batch_op.drop_index(batch_op.f('ix_assets_status'))
        batch_op.drop_index(batch_op.f('ix_assets_owner_id'))
        batch_op.drop_index(batch_op.f('ix_assets_kind'))
        batch_op.drop_index(batch_op.f('ix_assets_department_id'))

    op.drop_table('assets')
    op.drop_table('tags')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_name'))

    op.drop_table('people')
    op.drop_table('log_head')
    op.drop_table('departments')
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_log_at'))
        batch_op.drop_index(batch_op.f('ix_change_log_asset_key'))
        batch_op.drop_index(batch_op.f('ix_change_log_actor'))

    op.drop_table('change_log')
    op.drop_table('asset_kinds')
