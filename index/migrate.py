"""Schema migrations of the store of record (Alembic, scripts in ``index/migrations``)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

# Any number, the same in every sepwatch process: the key of the migration lock on PostgreSQL.
_PG_MIGRATION_LOCK = 0x5E9_3A7C


def _config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "index:migrations")
    # configparser treats % specially: a percent-encoded password must not break the config.
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; a no-op when it is already there.

    Safe when several processes start at once on a new store: they migrate one after the other
    (SQLite: the write lock taken by BEGIN IMMEDIATE; PostgreSQL: a transaction advisory lock).
    """
    cfg = _config(engine)
    with engine.connect() as conn:
        conn = conn.execution_options(sepwatch_write=True)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (``base``: empty); for tests and emergencies."""
    cfg = _config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(_config(engine)).get_current_head()
