"""Relay throughput: a backlog of alerts delivered by email (aiosmtpd) and to a webhook, on loopback.

The relay passes are the daemon's (``alerts.relay.relay_due`` with channels built once and kept),
each claiming up to 500 rows, until the outbox is empty. The channels' rate limits are lifted
(``--service-limits`` keeps them: email 60/min, webhook 60/min), so the figure is what the relay,
the store and the channels' clients manage, not what the services allow.

    .venv/bin/python bench/relay_bench.py [--alerts 1000] [--store-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from alerts.channels import build_channels
from alerts.relay import relay_due
from bench.alert_backlog import deployment, seed
from index.models import OutboxRow
from sepwatch.app import App
from tests.alerts.receivers import smtp_server, webhook_receiver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=1000, help="alerts queued (two messages each)")
    parser.add_argument("--store-url", help="store of record (default: a fresh SQLite file)")
    parser.add_argument("--service-limits", action="store_true", help="keep the channels' rate limits")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="sepwatch-relay-bench-") as tmp,
        smtp_server() as smtp,
        webhook_receiver() as hook,
    ):
        backlog = deployment(
            Path(tmp), smtp.settings(), hook.url, unlimited=not args.service_limits, store_url=args.store_url
        )
        with App.open(backlog.settings) as app:
            seed(app, args.alerts, 0)
            with app.store.session() as s:
                queued = s.scalar(select(func.count()).where(OutboxRow.status == "pending")) or 0
            channels = build_channels(app.settings)
            passes = 0
            sent: Counter[str] = Counter()
            started = time.perf_counter()
            while True:
                report = relay_due(app, channels, limit=500, pace_s=None if args.service_limits else 0)
                passes += 1
                sent["rows"] += report.sent
                if not report.claimed:
                    with app.store.session() as s:
                        waiting = s.scalar(select(func.count()).where(OutboxRow.status == "pending")) or 0
                    if not waiting:
                        break
                    time.sleep(0.05)  # rows given back by a rate limit: due again shortly
            elapsed = time.perf_counter() - started
            for channel in channels.values():
                close = getattr(channel, "close", None)
                if callable(close):
                    close()
        received = len(smtp.mails) + len(hook.requests)
        print(
            f"relay: {queued} messages ({args.alerts} alerts × email + webhook) in {elapsed:.2f} s, {passes} passes"
        )
        print(
            f"  throughput: {queued / elapsed:.0f} messages/s ({len(smtp.mails) / elapsed:.0f} email/s, {len(hook.requests) / elapsed:.0f} webhook/s)"
        )
        print(
            f"  received: {len(smtp.mails)} emails, {len(hook.requests)} webhook posts (expected {queued} in all: {'ok' if received == queued else 'MISMATCH'})"
        )


if __name__ == "__main__":
    main()
