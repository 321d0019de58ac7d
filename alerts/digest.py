"""Digests: the alerts held for a reader who asked for a daily or weekly summary, as one message.

:func:`build_digests` bundles the held outbox rows of each recipient and channel into one new
outbox row (mode ``digest``, pending now, its payload listing the alerts and why each reached the
reader) and marks the held rows ``digested`` with the digest's id — all in one transaction, so a
crash leaves either the held rows or the digest, never both or neither.
"""

from __future__ import annotations

from typing import Any, Literal

from index.alerts import held_rows, insert_digest
from index.models import OutboxRow, utcnow
from sepwatch.app import App

Period = Literal["daily", "weekly"]
PERIODS: tuple[Period, ...] = ("daily", "weekly")


def build_digests(app: App, period: str) -> int:
    """Bundle the rows held for the ``period`` digest; returns how many digest rows were queued."""
    if period not in PERIODS:
        raise ValueError(f"unknown digest period {period!r}; expected daily or weekly")
    now = utcnow()
    made = 0
    with app.store.session(write=True) as s:
        groups: dict[tuple[str, str], list[OutboxRow]] = {}
        for row in held_rows(s, period):
            groups.setdefault((row.recipient, row.channel), []).append(row)
        for (recipient, channel), rows in groups.items():
            latest = rows[-1].payload
            reasons = {
                str(r.alert_id): {"reasons": r.payload.get("reasons", []), "reason": r.reason}
                for r in rows
                if r.alert_id is not None
            }
            payload: dict[str, Any] = {
                "period": period,
                "alert_ids": [r.alert_id for r in rows if r.alert_id is not None],
                "held_ids": [r.id for r in rows],
                "reasons": reasons,
                "language": latest.get("language", "en"),
            }
            if latest.get("address"):
                payload["address"] = latest["address"]
            digest_id = insert_digest(
                s,
                key=f"digest:{period}:{channel}:{recipient}:{rows[0].id}-{rows[-1].id}",
                recipient=recipient,
                channel=channel,
                reason=f"{period} digest of {len(rows)} alert{'s' if len(rows) != 1 else ''}",
                payload=payload,
                held_ids=[r.id for r in rows],
                now=now,
            )
            if digest_id is not None:
                made += 1
    return made
