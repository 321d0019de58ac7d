"""Alerts and the delivery outbox in the store of record.

An alert and its outbox rows are inserted with ``INSERT … ON CONFLICT DO NOTHING`` on their unique
dedupe keys, inside the caller's transaction (the one that also moves the rule's cursor), so an
event evaluated again after a crash adds nothing. The relay claims due rows with a short lease
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer at a time), sends, and
marks each row in its own transaction right after the send.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from index.db import dialect_insert
from index.models import AlertRow, Cursor, OutboxRow, Run, utcnow
from index.store import Store, pid_alive

STATUSES = ("pending", "held", "sent", "dead", "digested")
KEY_LENGTH = 255


def fit_key(key: str) -> str:
    """``key`` as it is stored: keys longer than the column keep a readable head and a hash tail."""
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{key[: KEY_LENGTH - 33]}#{digest}"


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert a rule raised, before it is stored."""

    dedupe_key: str
    kind: str
    thread: str
    title: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One recipient on one channel for an alert: a future outbox row.

    ``mode`` is the recipient's delivery (immediate, daily, weekly); immediate rows are pending at
    once, the others are held for the digest. ``payload`` keeps what the relay needs even if the
    configuration changes meanwhile: the address (email), the language, the structured reasons.
    """

    recipient: str
    channel: str
    mode: str
    reason: str
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "pending" if self.mode == "immediate" else "held"


# --- writing alerts (inside the caller's transaction) --------------------------------------------


def insert_alert(s: Session, alert: NewAlert, deliveries: Sequence[Delivery], now: dt.datetime) -> int | None:
    """Insert the alert and its outbox rows; None (and nothing written) when the alert exists."""
    insert = dialect_insert(s)
    alert_id: int | None = s.execute(
        insert(AlertRow)
        .values(
            dedupe_key=fit_key(alert.dedupe_key),
            kind=alert.kind,
            thread=alert.thread[:255],
            title=alert.title,
            payload=alert.payload,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(AlertRow.id)
    ).scalar()
    if alert_id is None:
        return None
    rows = [
        {
            "dedupe_key": fit_key(f"alert:{alert_id}:{d.channel}:{d.recipient}"),
            "alert_id": alert_id,
            "recipient": d.recipient[:100],
            "channel": d.channel[:100],
            "mode": d.mode,
            "status": d.status,
            "reason": d.reason,
            "attempts": 0,
            "next_attempt_at": now,
            "payload": d.payload,
            "created_at": now,
        }
        for d in deliveries
    ]
    if rows:
        s.execute(insert(OutboxRow).values(rows).on_conflict_do_nothing(index_elements=["dedupe_key"]))
    return alert_id


def set_cursor(s: Session, name: str, position: int, now: dt.datetime) -> None:
    """Move the cursor ``name`` forward to ``position`` (never back), in the caller's transaction."""
    insert = dialect_insert(s)
    s.execute(
        insert(Cursor)
        .values(name=name, position=position, updated_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    s.execute(
        update(Cursor)
        .where(Cursor.name == name, Cursor.position < position)
        .values(position=position, updated_at=now)
    )


def cursor_position(store: Store, name: str) -> int:
    with store.session() as s:
        row = s.get(Cursor, name)
        return row.position if row else 0


def alert_exists(s: Session, dedupe_key: str) -> bool:
    return s.scalar(select(AlertRow.id).where(AlertRow.dedupe_key == fit_key(dedupe_key))) is not None


def crawl_runs(s: Session, source: str, limit: int) -> list[Run]:
    """The finished crawl runs of ``source``, newest first."""
    return list(
        s.scalars(
            select(Run)
            .where(Run.kind == "crawl", Run.source == source, Run.status != "running")
            .order_by(Run.id.desc())
            .limit(limit)
        )
    )


def crawled_sources(store: Store) -> list[str]:
    with store.session() as s:
        return sorted(
            name
            for name in s.scalars(select(Run.source).where(Run.kind == "crawl").distinct())
            if name is not None
        )


# --- reading alerts -------------------------------------------------------------------------------


def list_alerts(
    store: Store,
    *,
    kinds: Sequence[str] = (),
    unacknowledged: bool = False,
    limit: int = 100,
) -> list[AlertRow]:
    """Newest first."""
    query = select(AlertRow).order_by(AlertRow.id.desc()).limit(limit)
    if kinds:
        query = query.where(AlertRow.kind.in_(list(kinds)))
    if unacknowledged:
        query = query.where(AlertRow.acknowledged_at.is_(None))
    with store.session() as s:
        return list(s.scalars(query))


def alerts_by_id(store: Store, ids: Iterable[int]) -> dict[int, AlertRow]:
    wanted = sorted(set(ids))
    out: dict[int, AlertRow] = {}
    with store.session() as s:
        for start in range(0, len(wanted), 500):
            for row in s.scalars(select(AlertRow).where(AlertRow.id.in_(wanted[start : start + 500]))):
                out[row.id] = row
    return out


def deliveries_of(store: Store, alert_ids: Sequence[int]) -> dict[int, list[OutboxRow]]:
    out: dict[int, list[OutboxRow]] = {i: [] for i in alert_ids}
    if not alert_ids:
        return out
    with store.session() as s:
        for row in s.scalars(
            select(OutboxRow).where(OutboxRow.alert_id.in_(list(alert_ids))).order_by(OutboxRow.id)
        ):
            if row.alert_id is not None:
                out[row.alert_id].append(row)
    return out


def acknowledge(store: Store, ids: Sequence[int], by: str | None) -> list[int]:
    """Mark the alerts acknowledged (the first acknowledgement is kept); returns the ids that exist."""
    now = utcnow()
    with store.session(write=True) as s:
        found = list(s.scalars(select(AlertRow.id).where(AlertRow.id.in_(list(ids)))))
        s.execute(
            update(AlertRow)
            .where(AlertRow.id.in_(found), AlertRow.acknowledged_at.is_(None))
            .values(acknowledged_at=now, acknowledged_by=by)
        )
        return sorted(found)


def outbox_counts(store: Store) -> dict[str, int]:
    with store.session() as s:
        counts = dict(s.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all())
    return {status: int(counts.get(status, 0)) for status in STATUSES}


def dead_letters(store: Store, limit: int = 50) -> list[OutboxRow]:
    with store.session() as s:
        return list(
            s.scalars(select(OutboxRow).where(OutboxRow.status == "dead").order_by(OutboxRow.id).limit(limit))
        )


def outbox_rows(store: Store, ids: Sequence[int]) -> list[OutboxRow]:
    with store.session() as s:
        return list(s.scalars(select(OutboxRow).where(OutboxRow.id.in_(list(ids))).order_by(OutboxRow.id)))


def retry(store: Store, ids: Sequence[int] = (), *, dead: bool = False) -> list[int]:
    """Dead rows (all of them with ``dead``, or the given ids) back to pending, due now, attempts
    reset; returns the ids moved. Rows that are not dead are left alone."""
    now = utcnow()
    with store.session(write=True) as s:
        query = select(OutboxRow.id).where(OutboxRow.status == "dead")
        if not dead:
            query = query.where(OutboxRow.id.in_(list(ids)))
        moved = list(s.scalars(query.order_by(OutboxRow.id)))
        if moved:
            s.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(moved))
                .values(status="pending", attempts=0, next_attempt_at=now, last_error=None)
            )
        return moved


# --- the relay ------------------------------------------------------------------------------------


def claim_due(store: Store, now: dt.datetime, limit: int, lease: dt.timedelta) -> list[OutboxRow]:
    """The pending rows due at ``now`` (oldest first), leased until ``now + lease``.

    A lease is a later ``next_attempt_at``: another relay does not see the rows until it ends, and
    a relay that dies holding them only delays them until then — or until the next daemon start on
    its host (:func:`release_dead_claims`). PostgreSQL relays skip each other's locked rows while
    claiming; SQLite relays take turns (BEGIN IMMEDIATE).
    """
    with store.session(write=True) as s:
        query = (
            select(OutboxRow)
            .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(s.scalars(query))
        if rows:
            s.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_([r.id for r in rows]))
                .values(next_attempt_at=now + lease, claimed_by=claimant())
            )
        for row in rows:
            s.expunge(row)
        return rows


def claimant() -> str:
    """Who holds a lease: this process, as ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def release_dead_claims(store: Store, now: dt.datetime) -> int:
    """Rows leased by relays of this host whose process is gone: due again at ``now``.

    Without this a relay killed mid-pass would delay its rows by the whole lease. Relays of other
    hosts (sharing a PostgreSQL store) are left to their leases.
    """
    host = socket.gethostname()
    with store.session(write=True) as s:
        claims = s.execute(
            select(OutboxRow.id, OutboxRow.claimed_by).where(
                OutboxRow.status == "pending", OutboxRow.claimed_by.startswith(f"{host}:")
            )
        ).all()
        dead = []
        for row_id, claimed_by in claims:
            pid = (claimed_by or "").rpartition(":")[2]
            if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
                dead.append(row_id)
        for chunk in range(0, len(dead), 500):
            s.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(dead[chunk : chunk + 500]))
                .values(next_attempt_at=now, claimed_by=None)
            )
        return len(dead)


def release(store: Store, ids: Sequence[int], at: dt.datetime) -> None:
    """Give back leased rows that were not attempted: due again at ``at``."""
    if not ids:
        return
    with store.session(write=True) as s:
        s.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(list(ids)), OutboxRow.status == "pending")
            .values(next_attempt_at=at, claimed_by=None)
        )


def mark_sent(store: Store, row_id: int, now: dt.datetime) -> None:
    with store.session(write=True) as s:
        s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id, OutboxRow.status == "pending")
            .values(
                status="sent", sent_at=now, attempts=OutboxRow.attempts + 1, last_error=None, claimed_by=None
            )
        )


def mark_parts_sent(store: Store, row_id: int, payload: dict[str, Any]) -> None:
    """Record progress through a split message, so a crash does not send the earlier parts again."""
    with store.session(write=True) as s:
        s.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(payload=payload))


def mark_failed(
    store: Store, row_id: int, error: str, *, attempts: int, next_attempt_at: dt.datetime | None
) -> None:
    """A failed attempt: due again at ``next_attempt_at``, or dead when that is None."""
    values: dict[str, Any] = {"attempts": attempts, "last_error": error[:2000], "claimed_by": None}
    if next_attempt_at is None:
        values["status"] = "dead"
    else:
        values["next_attempt_at"] = next_attempt_at
    with store.session(write=True) as s:
        s.execute(
            update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.status == "pending").values(**values)
        )


# --- digests --------------------------------------------------------------------------------------


def held_rows(s: Session, mode: str) -> list[OutboxRow]:
    """Rows held for the ``mode`` (daily, weekly) digest, oldest first, locked for the bundling."""
    query = select(OutboxRow).where(OutboxRow.status == "held", OutboxRow.mode == mode).order_by(OutboxRow.id)
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(s.scalars(query))


def insert_digest(
    s: Session,
    *,
    key: str,
    recipient: str,
    channel: str,
    reason: str,
    payload: dict[str, Any],
    held_ids: Sequence[int],
    now: dt.datetime,
) -> int | None:
    """The digest row (pending now) and its held rows marked digested, in the caller's transaction."""
    insert = dialect_insert(s)
    digest_id: int | None = s.execute(
        insert(OutboxRow)
        .values(
            dedupe_key=fit_key(key),
            alert_id=None,
            recipient=recipient,
            channel=channel,
            mode="digest",
            status="pending",
            reason=reason,
            attempts=0,
            next_attempt_at=now,
            payload=payload,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxRow.id)
    ).scalar()
    if digest_id is None:
        return None
    s.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(list(held_ids)), OutboxRow.status == "held")
        .values(status="digested", digest_id=digest_id)
    )
    return digest_id
