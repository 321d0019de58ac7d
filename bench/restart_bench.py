"""Restart with a backlog: from ``sepwatch run`` starting to a consistent state.

The store holds 10,000 alerts whose 20,000 deliveries (email + webhook) are pending, 1,000 matches
not yet evaluated, and a crawl run left ``running`` by a process that died. The daemon is started
as a real process; measured from its start:

- recovery done: the interrupted run marked, the scheduler's jobs synced ("sepwatch is running");
- first relay batch claimed: the first message reaches a receiver;
- events evaluated: the 1,000 matches have their alerts and deliveries queued.

Target (issue F): recovery done and first relay batch claimed within 10 s.

    .venv/bin/python bench/restart_bench.py [--alerts 10000] [--events 1000] [--store-url …]
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, update
from sqlalchemy import select as sql_select

from bench.alert_backlog import deployment, seed
from index.models import AlertRow, Run
from sepwatch.app import App
from tests.alerts.receivers import smtp_server, webhook_receiver

TARGET_S = 10.0


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000)
    parser.add_argument("--store-url", help="store of record (default: a fresh SQLite file)")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="sepwatch-restart-bench-") as tmp,
        smtp_server() as smtp,
        webhook_receiver() as hook,
    ):
        backlog = deployment(Path(tmp), smtp.settings(), hook.url, unlimited=False, store_url=args.store_url)
        build = time.perf_counter()
        with App.open(backlog.settings) as app:
            seed(app, args.alerts, args.events)
            run_id = app.store.start_run("crawl", "threegpp_tdocs", {})
            with app.store.session(write=True) as s:  # left behind by a crawl that died
                s.execute(
                    update(Run).where(Run.id == run_id).values(pid=dead_pid(), host=socket.gethostname())
                )
                alerts_before = s.scalar(sql_select(func.count()).select_from(AlertRow)) or 0
        print(
            f"backlog: {args.alerts} alerts ({2 * args.alerts} deliveries pending), {args.events} unevaluated matches, 1 interrupted crawl (built in {time.perf_counter() - build:.1f} s)"
        )

        env = {**os.environ, **backlog.env, "PYTHONUNBUFFERED": "1"}
        started = time.perf_counter()
        daemon = subprocess.Popen(
            [sys.executable, "-m", "sepwatch", "--config", str(backlog.config), "run"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        recovered = first_message = evaluated = None
        log: list[str] = []
        try:
            assert daemon.stderr is not None
            deadline = started + 120
            while time.perf_counter() < deadline and None in (recovered, first_message, evaluated):
                ready, _, _ = select.select([daemon.stderr], [], [], 0.01)
                if ready:
                    line = daemon.stderr.readline()
                    log.append(line)
                    if recovered is None and "sepwatch is running" in line:
                        recovered = time.perf_counter() - started
                if first_message is None and (smtp.mails or hook.requests):
                    first_message = time.perf_counter() - started
                if evaluated is None and recovered is not None and not ready:
                    with App.open(backlog.settings) as app, app.store.session() as s:
                        alerts = s.scalar(sql_select(func.count()).select_from(AlertRow)) or 0
                    if alerts >= alerts_before + args.events:
                        evaluated = time.perf_counter() - started
                if daemon.poll() is not None:
                    break
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)
        if None in (recovered, first_message, evaluated):
            print("".join(log[-40:]))
            raise SystemExit("the daemon did not reach a consistent state within 120 s")
        assert recovered is not None and first_message is not None and evaluated is not None
        with App.open(backlog.settings) as app:
            interrupted = next(r for r in app.store.recent_runs(5) if r.id == run_id).status
        verdict = "ok" if max(recovered, first_message) <= TARGET_S else "OVER TARGET"
        print(f"restart → recovery done: {recovered:.2f} s (interrupted run now '{interrupted}')")
        print(
            f"restart → first relay batch claimed, first message received: {first_message:.2f} s  [target ≤ {TARGET_S:.0f} s: {verdict}]"
        )
        print(f"restart → {args.events} unevaluated matches evaluated: {evaluated:.2f} s")


if __name__ == "__main__":
    main()
