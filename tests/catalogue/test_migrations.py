"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select

from catalogue.db import Base
from catalogue.migrate import current_revision, head_revision
from catalogue.models import AssetKind, LogHead


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == [], f"models and migrations disagree: {diff}"
    assert current_revision(engine) == head_revision(database_url)
    engine.dispose()


def test_first_migration_seeds_kinds_and_the_log_head(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        kinds = set(conn.scalars(select(AssetKind.name)))
        head = conn.scalar(select(LogHead.seq))
    assert kinds == {"dataset", "report", "source_system", "pipeline"}
    assert head == 0
    engine.dispose()
