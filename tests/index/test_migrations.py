"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from index import migrate
from index.db import make_engine
from index.models import Base


def test_upgrade_from_empty_matches_the_models(store_url: str) -> None:
    engine = make_engine(store_url)
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # a second upgrade is a no-op
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
    assert set(inspect(engine).get_table_names()) >= {
        "sources", "runs", "documents", "versions", "sections", "changes", "index_queue", "alembic_version",
    }  # fmt: skip
    engine.dispose()


def test_downgrade_to_base_and_up_again(store_url: str) -> None:
    engine = make_engine(store_url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert "documents" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    engine.dispose()
