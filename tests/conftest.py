"""Shared fixtures: the store of record on SQLite and on the PostgreSQL server of this machine."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"
PG_ADMIN_URL = os.environ.get("SEPWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def realdata(*parts: str) -> Path:
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real sample {path} is absent (../shared/realdata is not beside this checkout)")
    return path


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return (
            f"PostgreSQL at {make_url(PG_ADMIN_URL).render_as_string(hide_password=True)} unreachable: {exc}"
        )


_PG_PROBLEM: str | None = None
_PG_CHECKED = False


def _require_pg() -> None:
    global _PG_PROBLEM, _PG_CHECKED
    if not _PG_CHECKED:
        _PG_PROBLEM, _PG_CHECKED = _pg_reachable(), True
    if _PG_PROBLEM:
        if os.environ.get("CI"):
            pytest.fail(f"{_PG_PROBLEM} (CI must test PostgreSQL)")
        pytest.skip(_PG_PROBLEM)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    _require_pg()
    name = f"sepwatch_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store of record's URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def settings_env(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for a sepwatch process using ``store_url`` and a data dir under tmp_path."""
    monkeypatch.chdir(tmp_path)
    return {
        "SEPWATCH_DATA_DIR": str(tmp_path / "data"),
        "SEPWATCH_STORE__URL": store_url,
        "HOME": str(tmp_path),
    }


@pytest.fixture
def settings(settings_env: dict[str, str]) -> Settings:
    return load_settings(None, env=settings_env)
