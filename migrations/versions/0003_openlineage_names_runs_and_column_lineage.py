"""OpenLineage names, runs and column lineage (#6)

lineage_names: which asset an OpenLineage/dbt dataset or job is.
column_lineage: which input columns feed an output column.
lineage_runs: the datasets each OpenLineage run named, for COMPLETE to state.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:40:16.146044
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('column_lineage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('output_key', sa.String(length=200), nullable=False),
    sa.Column('output_namespace', sa.String(length=1000), nullable=False),
    sa.Column('output_name', sa.String(length=1000), nullable=False),
    sa.Column('output_field', sa.String(length=500), nullable=False),
    sa.Column('output_digest', sa.String(length=64), nullable=False),
    sa.Column('input_namespace', sa.String(length=1000), nullable=False),
    sa.Column('input_name', sa.String(length=1000), nullable=False),
    sa.Column('input_field', sa.String(length=500), nullable=False),
    sa.Column('input_digest', sa.String(length=64), nullable=False),
    sa.Column('transformation_type', sa.String(length=40), nullable=True),
    sa.Column('transformation_subtype', sa.String(length=40), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('masking', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_column_lineage'))
    )
    with op.batch_alter_table('column_lineage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_column_lineage_input_digest'), ['input_digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_column_lineage_output_digest'), ['output_digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_column_lineage_output_key'), ['output_key'], unique=False)

    op.create_table('lineage_names',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('namespace', sa.String(length=1000), nullable=False),
    sa.Column('name', sa.String(length=1000), nullable=False),
    sa.Column('asset_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lineage_names')),
    sa.UniqueConstraint('asset_key', name=op.f('uq_lineage_names_asset_key')),
    sa.UniqueConstraint('digest', name=op.f('uq_lineage_names_digest'))
    )


    op.create_table('lineage_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('job_key', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=True),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('outputs', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lineage_runs')),
    sa.UniqueConstraint('run_id', name=op.f('uq_lineage_runs_run_id'))
    )
    with op.batch_alter_table('lineage_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lineage_runs_job_key'), ['job_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lineage_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lineage_runs_job_key'))
    op.drop_table('lineage_runs')
    op.drop_table('lineage_names')
    with op.batch_alter_table('column_lineage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_column_lineage_output_key'))
        batch_op.drop_index(batch_op.f('ix_column_lineage_output_digest'))
        batch_op.drop_index(batch_op.f('ix_column_lineage_input_digest'))

    op.drop_table('column_lineage')
