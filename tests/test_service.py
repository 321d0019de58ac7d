"""``sepwatch run`` on embedded defaults: recovers what a crash left behind, is the only daemon of its
store, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx
import pytest

from config import load_settings
from index.search.base import SearchQuery
from sepwatch.app import App


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class StderrLines:
    """The process's stderr read by a thread, line by line (select on a buffered pipe can miss lines)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(proc.stderr,), daemon=True)
        self.thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for(self, needle: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(line)
            if needle in line:
                return "".join(self.seen)
        pytest.fail(f"no {needle!r} within {timeout}s; got:\n{''.join(self.seen)}")

    def rest(self) -> str:
        self.thread.join(timeout=30)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)


def test_run_recovers_after_a_crash_and_stops_on_sigterm(
    tmp_path: Path, settings_env: dict[str, str]
) -> None:
    port = free_port()
    env = {
        **os.environ,
        **settings_env,
        "HOME": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
        "SEPWATCH_WEB__PORT": str(port),
    }
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
        stderr = StderrLines(service)
        log = stderr.wait_for("sepwatch is running")
        assert "was interrupted" in log
        assert "indexing 1 versions left over" in log
        assert "nobody can sign in yet: create the first account with `sepwatch users add" in log
        with App.open(settings) as app:
            assert app.store.pending_index_count() == 0
            assert [h.number for h in app.search.search(SearchQuery("handover")).hits] == [
                doc.resolve().as_posix()
            ]
            daemon_run, import_run = app.store.recent_runs()[:2]
            assert (import_run.kind, import_run.status) == ("import", "interrupted")
            assert (daemon_run.kind, daemon_run.status, daemon_run.pid) == ("daemon", "running", service.pid)

        # The web UI is served by the same process: health is open, everything else needs sign-in.
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).json()["status"] == "ok"
        search = httpx.get(f"http://127.0.0.1:{port}/search?q=handover", timeout=10)
        assert search.status_code == 303 and search.headers["location"].startswith("/login")

        # A second daemon on the same store would crawl and send everything twice: it refuses.
        second = subprocess.run(
            [sys.executable, "-m", "sepwatch", "run"], env=env, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 1
        assert f"another sepwatch run (pid {service.pid}) is using this store" in second.stderr

        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=60) == 0
        assert "sepwatch stopped" in stderr.rest()
        with App.open(settings) as app:
            assert app.store.recent_runs()[0].status == "stopped"
    finally:
        if service.poll() is None:
            service.kill()
