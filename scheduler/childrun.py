"""Crawls as child processes: ``python -m sepwatch --config CFG crawl NAME --json``.

The child is the same code path as the command line and writes its own run to the ledger. Each
child gets its own process group (so a signal reaches whatever it started, and Ctrl-C on the
daemon's terminal does not), the daemon's environment, and a wall-clock limit: past it the group
gets SIGTERM (Scrapy closes the spider and records the run), then SIGKILL. On Linux a child also
dies with the thread that started it, so a daemon killed with SIGKILL leaves no crawl behind; its
run stays ``running`` and the next start marks it interrupted and crawls the source again.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import ctypes.util
import datetime as dt
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

# Past crawl.time_limit_s (Scrapy's own close-spider timeout) the child gets this long to finish.
TIME_LIMIT_MARGIN_S = 120.0
# Between SIGTERM and SIGKILL.
KILL_GRACE_S = 15.0
STDERR_TAIL_LINES = 40

_PR_SET_PDEATHSIG = 1


def _linux_prctl() -> Callable[[int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    prctl: Callable[[int, int], int] = libc.prctl
    return prctl


# Resolved once, here: the function that runs between fork and exec must not load anything.
_PRCTL = _linux_prctl()


def _die_with_parent() -> None:
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass(slots=True)
class ChildResult:
    source: str
    pid: int
    started_at: dt.datetime
    returncode: int
    stopped_by: str | None  # "time limit" or "shutdown" when the daemon stopped it
    report: dict[str, Any] | None  # what `crawl --json` printed, when it finished
    stderr_tail: list[str] = field(default_factory=list)

    @property
    def exit_reason(self) -> str:
        if self.returncode < 0:
            try:
                name = signal.Signals(-self.returncode).name
            except ValueError:
                name = f"signal {-self.returncode}"
            return f"the crawl process was killed by {name}"
        return f"the crawl process exited with status {self.returncode}"


def crawl_command(config: Path, source: str) -> list[str]:
    return [sys.executable, "-m", "sepwatch", "--config", str(config), "crawl", source, "--json"]


class CrawlChildren:
    """Starts crawl processes, enforces their time limit, and stops them all on shutdown."""

    def __init__(self, *, kill_grace_s: float = KILL_GRACE_S) -> None:
        self.kill_grace_s = kill_grace_s
        self._lock = threading.Lock()
        self._running: dict[int, tuple[str, subprocess.Popen[bytes]]] = {}
        self._stopping = False

    @property
    def stopping(self) -> bool:
        with self._lock:
            return self._stopping

    def running(self) -> list[str]:
        with self._lock:
            return [name for name, _ in self._running.values()]

    def run(
        self, source: str, *, config: Path, time_limit_s: float, env: dict[str, str] | None = None
    ) -> ChildResult:
        """Run the crawl of ``source`` to its end (or its limit); blocks the calling thread."""
        started_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        with self._lock:
            if self._stopping:
                raise RuntimeError("the daemon is stopping")
            # The parent-death signal follows the thread that forks: this one, which waits for the child.
            proc = subprocess.Popen(
                crawl_command(config, source),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent if _PRCTL is not None else None,
            )
            self._running[proc.pid] = (source, proc)
        log.info("crawl %s: started (pid %d)", source, proc.pid)
        out: list[bytes] = []
        tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        readers = [
            threading.Thread(target=_read_all, args=(proc.stdout, out.append), daemon=True),
            threading.Thread(target=_read_lines, args=(proc.stderr, source, tail), daemon=True),
        ]
        for reader in readers:
            reader.start()
        timed_out = False
        try:
            proc.wait(timeout=time_limit_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            log.warning("crawl %s: still running after %.0f s; stopping it", source, time_limit_s)
            self._terminate(proc)
        finally:
            with self._lock:
                self._running.pop(proc.pid, None)
        stopped_by = (
            "time limit" if timed_out else "shutdown" if self.stopping and proc.returncode != 0 else None
        )
        for reader in readers:
            reader.join(timeout=5)
        report = _parse_report(b"".join(out))
        return ChildResult(source, proc.pid, started_at, proc.returncode, stopped_by, report, list(tail))

    def _terminate(self, proc: subprocess.Popen[bytes]) -> None:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=self.kill_grace_s)
        except subprocess.TimeoutExpired:
            log.warning(
                "crawl process %d did not stop within %.0f s; killing it", proc.pid, self.kill_grace_s
            )
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        else:
            _signal_group(proc, signal.SIGKILL)  # whatever it started and left behind

    def stop_all(self) -> None:
        """SIGTERM to every crawl now running (their threads see the exit); no new crawl starts."""
        with self._lock:
            self._stopping = True
            procs = [proc for _, proc in self._running.values()]
        for proc in procs:
            _signal_group(proc, signal.SIGTERM)

    def kill_all(self) -> None:
        with self._lock:
            procs = [proc for _, proc in self._running.values()]
        for proc in procs:
            _signal_group(proc, signal.SIGKILL)

    def wait_all(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._running:
                    return True
            time.sleep(0.1)
        with self._lock:
            return not self._running


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)


def _read_all(stream: IO[bytes], sink: Callable[[bytes], object]) -> None:
    for chunk in iter(lambda: stream.read(65536), b""):
        sink(chunk)


_TEXT_LEVEL = re.compile(r"^\S+ \S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def _level_of(line: str, previous: int) -> int:
    """The level of a line the child logged (text or JSON format); continuation lines keep the last."""
    if m := _TEXT_LEVEL.match(line):
        return logging.getLevelNamesMapping()[m.group(1)]
    if line.startswith("{"):
        with contextlib.suppress(ValueError, AttributeError):
            return logging.getLevelNamesMapping().get(json.loads(line).get("level"), previous)
    return previous


def _read_lines(stream: IO[bytes], source: str, tail: collections.deque[str]) -> None:
    """The child's log into the daemon's: its warnings and errors as they are, the rest at DEBUG."""
    child_log = logging.getLogger(f"sepwatch.crawl.{source}")
    level = logging.INFO
    for raw in stream:
        line = raw.decode("utf-8", errors="replace").rstrip()
        if not line:
            continue
        tail.append(line)
        level = _level_of(line, level)
        child_log.log(level if level >= logging.WARNING else logging.DEBUG, "%s", line)


def _parse_report(stdout: bytes) -> dict[str, Any] | None:
    try:
        report = json.loads(stdout.decode("utf-8", errors="replace"))
    except ValueError:
        return None
    return report if isinstance(report, dict) else None
