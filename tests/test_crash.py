"""kill -9 in the middle of an import: the store stays consistent and a second run completes it.

Real subprocesses (``python -m sepwatch import``), killed with SIGKILL either by the test after a
delay or by themselves at a named point (``SEPWATCH_FAULTPOINT``, see ``index/faults.py``): inside
a store transaction, right after a commit, and after the search index took a batch but before the
index queue was cleared.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config import load_settings
from index.models import Document, IndexQueue, Run, SectionRow, Version
from index.search.base import SearchQuery
from sepwatch.app import App

pytestmark = pytest.mark.slow

N_FILES = 120


def make_batch(root: Path) -> dict[str, str]:
    """Files in both languages; returns a word unique to each file, to find it by afterwards."""
    root.mkdir()
    unique: dict[str, str] = {}
    for i in range(N_FILES):
        if i % 2:
            word = f"marker{i:04d}x"
            body = "\n\n".join(
                f"{c} Clause {c}\n\nThe UE shall send message {c} to the base station; {word} appears here."
                for c in range(1, 8)
            )
            (root / f"en_{i:03d}.txt").write_text(f"Note {i}\n\n{body}\n", encoding="utf-8")
        else:
            word = "".join(chr(0x4E00 + (i * 7 + k) % 20000) for k in range(3))
            body = "\n\n".join(
                f"## {c} 条款{c}\n\n终端向基站发送消息{c}，{word}在此出现。" for c in range(1, 8)
            )
            (root / f"zh_{i:03d}.md").write_text(f"# 文档{i}\n\n{body}\n", encoding="utf-8")
        unique[f"{'en' if i % 2 else 'zh'}_{i:03d}"] = word
    return unique


def run_import(
    env: dict[str, str], docs: Path, fault: str | None = None, kill_after: float | None = None
) -> int:
    """Run an import; with ``kill_after``, SIGKILL it that many seconds after its first output line."""
    full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    full_env.pop("SEPWATCH_FAULTPOINT", None)
    if fault:
        full_env["SEPWATCH_FAULTPOINT"] = fault
    proc = subprocess.Popen(
        [sys.executable, "-m", "sepwatch", "import", "--no-progress", str(docs)],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    if kill_after is not None:
        assert proc.stdout is not None
        proc.stdout.readline()  # the first file is stored: the import is under way
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    _out, err = proc.communicate(timeout=120)
    if proc.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f"import exited {proc.returncode}: {err.decode(errors='replace')[-2000:]}")
    return proc.returncode


def assert_consistent(app: App) -> None:
    """No half-written document or version, whatever the moment of the crash."""
    with app.store.session() as s:
        for version_id, expected in s.execute(select(Version.id, Version.section_count)):
            stored = s.scalar(select(func.count()).where(SectionRow.version_id == version_id))
            assert stored == expected, f"version {version_id}: {stored} of {expected} sections"
        for doc_id, version_count in s.execute(select(Document.id, Document.version_count)):
            versions = s.scalar(select(func.count()).where(Version.document_id == doc_id))
            assert versions == version_count >= 1, (
                f"document {doc_id}: {versions} versions, says {version_count}"
            )


def assert_complete(app: App, unique: dict[str, str]) -> None:
    counts = app.store.counts()
    assert counts["documents"] == N_FILES, counts
    assert counts["versions"] == N_FILES, counts  # nothing stored twice
    assert counts["changes"] == N_FILES, counts  # one "document_added" each, no duplicates
    assert counts["index_pending"] == 0
    indexed = app.search.counts()
    assert indexed["documents"] == N_FILES and indexed["sections"] == counts["sections"], indexed
    for name, word in list(unique.items())[::10]:
        hits = app.search.search(SearchQuery(word)).hits
        assert [Path(h.number).stem for h in hits] == [name], (word, hits)


@pytest.mark.parametrize(
    "crashes",
    [
        pytest.param(["store-before-commit:1"], id="inside-first-transaction"),
        pytest.param(["store-before-commit:40", "after-store-commit:70"], id="inside-then-after-commits"),
        pytest.param(["after-index-add:1"], id="index-written-queue-not-cleared"),
        pytest.param([0.0, 0.05, 0.2], id="timed-kills"),
    ],
)
def test_kill_minus_9_during_import(
    crashes: list[str | float], tmp_path: Path, settings_env: dict[str, str]
) -> None:
    env = {**settings_env, "HOME": str(tmp_path)}
    docs = tmp_path / "docs"
    unique = make_batch(docs)
    settings = load_settings(None, env=env)

    killed = 0
    for crash in crashes:
        if isinstance(crash, str):
            code = run_import(env, docs, fault=crash)
            assert code == -signal.SIGKILL, f"the import did not reach {crash}"
        else:
            code = run_import(env, docs, kill_after=crash)
        killed += code == -signal.SIGKILL
        with App.open(settings) as app:
            assert_consistent(app)
    assert killed >= 1, "no run was killed: the batch finished before the kill"

    assert run_import(env, docs) == 0
    with App.open(settings) as app:
        assert_consistent(app)
        assert_complete(app, unique)
        with app.store.session() as s:
            statuses = list(s.scalars(select(Run.status).order_by(Run.id)))
            assert statuses[-1] == "succeeded"
            assert statuses.count("interrupted") == killed
            assert s.scalar(select(func.count()).select_from(IndexQueue)) == 0

    # And a third run changes nothing.
    assert run_import(env, docs) == 0
    with App.open(settings) as app:
        assert app.store.counts()["versions"] == N_FILES


@pytest.mark.parametrize("fault", ["during-index-rebuild", "after-index-rebuild"])
def test_kill_minus_9_during_reindex(fault: str, tmp_path: Path, settings_env: dict[str, str]) -> None:
    env = {**settings_env, "HOME": str(tmp_path)}
    docs = tmp_path / "docs"
    unique = make_batch(docs)
    assert run_import(env, docs) == 0
    full_env = {**os.environ, **env, "SEPWATCH_FAULTPOINT": fault}
    proc = subprocess.run(
        [sys.executable, "-m", "sepwatch", "reindex"], env=full_env, capture_output=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode(errors="replace")
    settings = load_settings(None, env=env)
    with App.open(settings) as app:
        # Killed mid-rebuild, the index is still the old, complete one; either way the queue
        # still holds every version, and the next drain completes the rebuild.
        if fault == "during-index-rebuild":
            assert app.search.counts()["documents"] == N_FILES
        assert app.store.pending_index_count() == N_FILES
    assert run_import(env, docs) == 0  # every file unchanged; the import drains the queue first
    with App.open(settings) as app:
        assert_consistent(app)
        assert_complete(app, unique)
