"""The search index down during imports and crawls loses nothing: documents stay in the store of
record, their versions wait in the index queue, and the index catches up when it is back.

Elasticsearch cannot run here, so the embedded index is made unavailable the same way an
unreachable server looks to the indexer: another process holds its write lock, every write times
out and raises IndexUnavailable.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.test_cli import sw


@pytest.fixture
def env(settings_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        **settings_env,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / ".config"),
        "SEPWATCH_SEARCH__SQLITE_BUSY_TIMEOUT_S": "0.5",
    }


def test_index_down_during_imports_then_catches_up(env: dict[str, str], tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    sw(env, "init", str(tmp_path / "sepwatch.yaml"))
    index_file = Path(env["SEPWATCH_DATA_DIR"]) / "search.sqlite"
    lock = sqlite3.connect(index_file, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # the index is "unreachable" from here on
    try:
        for n in range(3):
            (docs / f"outage-{n}.txt").write_text(f"1 Scope\nParagraph {n} about beam failure recovery.\n")
            proc = sw(env, "import", str(docs / f"outage-{n}.txt"))
            assert proc.stdout.startswith("imported: ")  # stored even though it cannot be indexed
            assert "search index unavailable" in proc.stderr
        status = json.loads(sw(env, "status", "--json").stdout)
        assert status["store"]["documents"] == 3 and status["store"]["index_pending"] == 3
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    # Back: the next run indexes the backlog before its own work.
    (docs / "after.txt").write_text("1 Scope\nBeam failure recovery once more.\n")
    sw(env, "import", str(docs / "after.txt"))
    status = json.loads(sw(env, "status", "--json").stdout)
    assert status["store"]["index_pending"] == 0 and status["search"]["documents"] == 4
    hits = json.loads(sw(env, "search", "--json", "beam failure recovery").stdout)["hits"]
    assert len(hits) == 4
