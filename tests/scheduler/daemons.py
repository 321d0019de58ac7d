"""``sepwatch run`` as a real process against loopback sources: start, watch its log, stop, read the ledger."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from config import Settings, load_settings
from index.models import Run
from sepwatch.app import App

RSS = "application/rss+xml; charset=utf-8"
FEED_PATH = "/feed.xml"


def rss(*items: tuple[str, str, str]) -> bytes:
    """An RSS 2.0 feed of (guid, title, description) items."""
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>https://example.org/{guid}</link>"
        f"<description>{text}</description><pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate></item>"
        for guid, title, text in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Test</title>'
        f"<link>https://example.org/</link>{body}</channel></rss>"
    ).encode()


class DaemonProcess:
    """One ``sepwatch run`` process; its stderr is collected line by line as it comes."""

    def __init__(self, env: dict[str, str], config: Path) -> None:
        self.env = env
        self.config = config
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []
        self._reader: threading.Thread | None = None

    def start(self) -> DaemonProcess:
        self.lines = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sepwatch", "--config", str(self.config), "run"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self._reader.start()
        return self

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.lines.append(line)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def wait_for(self, condition: Callable[[], Any], what: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            if self.proc is not None and self.proc.poll() is not None:
                pytest.fail(f"sepwatch run exited {self.proc.returncode} waiting for {what}:\n{self.log}")
            time.sleep(0.2)
        pytest.fail(f"no {what} within {timeout:.0f} s; log:\n{self.log}")

    def wait_for_line(self, needle: str, timeout: float = 60) -> None:
        self.wait_for(lambda: needle in self.log, repr(needle), timeout)

    def terminate(self, timeout: float = 60) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        if self._reader is not None:
            self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)
        if self._reader is not None:
            self._reader.join(timeout=5)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


class Deployment:
    """A configuration file, the environment of the processes, and views of the store."""

    def __init__(self, env: dict[str, str], config: Path) -> None:
        self.env = env
        self.config = config
        self.daemons: list[DaemonProcess] = []

    def configure(self, settings: dict[str, Any]) -> None:
        base: dict[str, Any] = {
            "crawl": {"delay_s": 0, "retries": 0, "backoff_s": 0, "obey_robots_txt": False},
            # The daemon's own tests do not need the UI (tests/test_service.py checks `run` serves it),
            # and parallel daemons would compete for its port.
            "web": {"enabled": False},
        }
        for key, value in settings.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                base[key] = {**base[key], **value}
            else:
                base[key] = value
        self.config.write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")

    def settings(self) -> Settings:
        return load_settings(self.config, env=self.env)

    def daemon(self) -> DaemonProcess:
        process = DaemonProcess(self.env, self.config)
        self.daemons.append(process)
        return process.start()

    def runs(self, source: str | None = None, kind: str = "crawl") -> list[Run]:
        with App.open(self.settings()) as app, app.store.session() as s:
            query = select(Run).where(Run.kind == kind).order_by(Run.id)
            if source is not None:
                query = query.where(Run.source == source)
            return list(s.scalars(query))


def _job_store(app: App) -> Any:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    store = SQLAlchemyJobStore(engine=app.store.engine, tablename="apscheduler_jobs")
    store.start(None, "default")
    return store


def stored_jobs(settings: Settings) -> dict[str, Any]:
    """The jobs persisted in the store, as APScheduler reads them back."""
    with App.open(settings) as app:
        return {job.id: job for job in _job_store(app).get_all_jobs()}


def move_next_run(settings: Settings, job_id: str, when: Any) -> None:
    """Set a persisted job's next run time, as if the machine had been asleep since ``when``."""
    with App.open(settings) as app:
        store = _job_store(app)
        job = store.lookup_job(job_id)
        job.next_run_time = when
        store.update_job(job)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) is gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@contextmanager
def deployment_for(settings_env: dict[str, str], tmp_path: Path) -> Iterator[Deployment]:
    """A deployment whose processes use the test's store and data dir; its daemons die with it."""
    env = {
        **os.environ,
        **settings_env,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / ".config"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SEPWATCH_CONFIG", None)
    d = Deployment(env, tmp_path / "sepwatch.yaml")
    try:
        yield d
    finally:
        for daemon in d.daemons:
            daemon.close()


@contextmanager
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers: whatever talks to it hangs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()
