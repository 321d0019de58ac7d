"""``sepwatch run``: recovers what a crash left behind, then stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config import load_settings
from index.search.base import SearchQuery
from sepwatch.app import App


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 30) -> list[str]:
    assert proc.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 0.5)
        if ready:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            seen.append(line)
            if needle in line:
                return seen
    pytest.fail(f"no {needle!r} within {timeout}s; got:\n{''.join(seen)}")


def test_run_recovers_after_a_crash_and_stops_on_sigterm(
    tmp_path: Path, settings_env: dict[str, str]
) -> None:
    env = {**os.environ, **settings_env, "HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    doc = tmp_path / "note.txt"
    doc.write_text("1 Scope\n\nThe handover procedure is described here.\n", encoding="utf-8")

    # An import killed after storing the document but before indexing it.
    crashed = subprocess.run(
        [sys.executable, "-m", "sepwatch", "import", str(doc)],
        env={**env, "SEPWATCH_FAULTPOINT": "after-store-commit"},
        capture_output=True,
        timeout=60,
    )
    assert crashed.returncode == -signal.SIGKILL
    settings = load_settings(None, env=settings_env)
    with App.open(settings) as app:
        assert app.store.pending_index_count() == 1
        assert app.search.search(SearchQuery("handover")).total == 0

    service = subprocess.Popen(
        [sys.executable, "-m", "sepwatch", "run"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        log = "".join(wait_for_line(service, "sepwatch is running"))
        assert "was interrupted" in log
        assert "indexing 1 versions left over" in log
        with App.open(settings) as app:
            assert app.store.pending_index_count() == 0
            assert [h.number for h in app.search.search(SearchQuery("handover")).hits] == [
                doc.resolve().as_posix()
            ]
            assert app.store.recent_runs()[0].status == "interrupted"
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=15) == 0
        assert "sepwatch stopped" in (service.stderr.read() if service.stderr else "")
    finally:
        if service.poll() is None:
            service.kill()
