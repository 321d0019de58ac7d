"""From stored events to alerts and outbox rows: what the daemon's pipeline and reminder jobs run.

:func:`evaluate` reads the events stored since its cursors — new matches, drift events, patent
status events — and the health of every crawled source; :func:`remind` raises the deadline and
milestone reminders that fall due today. Each batch of alerts, all their outbox rows and the cursor
move are written in one transaction, and every alert and outbox row has a unique dedupe key, so a
crash at any point repeats the batch on the next run and never duplicates it.

Cursors follow ids. On SQLite writers take turns, so ids appear in commit order. On PostgreSQL two
writers (two crawls) can commit ids out of order: a cursor moved past a fresh id could skip a lower
id still uncommitted. There the cursor only moves past rows older than :data:`COMMIT_GRACE`; rows
newer than that are alerted on at once and read again by the next run, which finds them done.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from alerts import rules
from alerts.routing import Router
from config import Settings
from index import milestones
from index.alerts import crawled_sources, cursor_position, insert_alert, set_cursor
from index.faults import checkpoint
from index.models import DriftRow, MatchRow, PatentEventRow, utcnow
from index.store import Store
from sepwatch.app import App

log = logging.getLogger(__name__)

BATCH = 200
COMMIT_GRACE = dt.timedelta(minutes=10)
# An event whose alert could not be built is tried again on every evaluation for this long, then
# given up (logged each time) so that one broken event cannot hold its cursor back for ever.
RETRY_FAILED_FOR = dt.timedelta(days=1)
CURSORS = {
    "matches": "alerts:matches",
    "drift": "alerts:drift",
    "patent_events": "alerts:patent-events",
}

Row = TypeVar("Row", MatchRow, DriftRow, PatentEventRow)


@dataclass(slots=True)
class EvaluationReport:
    events: int = 0  # stored events read
    alerts: list[int] = field(default_factory=list)  # ids of the alerts raised
    kinds: Counter[str] = field(default_factory=Counter)
    deliveries: int = 0  # outbox rows written
    unrouted: list[int] = field(default_factory=list)  # alerts nobody is routed to (still listed)
    errors: list[str] = field(default_factory=list)

    def merge(self, other: EvaluationReport) -> EvaluationReport:
        self.events += other.events
        self.alerts.extend(other.alerts)
        self.kinds.update(other.kinds)
        self.deliveries += other.deliveries
        self.unrouted.extend(other.unrouted)
        self.errors.extend(other.errors)
        return self

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "alerts": self.alerts,
            "kinds": dict(sorted(self.kinds.items())),
            "deliveries": self.deliveries,
            "unrouted": self.unrouted,
            "errors": self.errors,
        }


def today_in(settings: Settings) -> dt.date:
    """Today in ``schedule.timezone`` (UTC when the name is unknown)."""
    try:
        zone: dt.tzinfo = ZoneInfo(settings.schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return dt.datetime.now(zone).date()


def evaluate(app: App, *, today: dt.date | None = None) -> EvaluationReport:
    """Raise the alerts of the events stored since the last evaluation, and of source health."""
    settings, store = app.settings, app.store
    ctx = rules.Context(store, settings, today or today_in(settings))
    router = Router(settings)
    report = EvaluationReport()
    _consume(ctx, router, report, CURSORS["matches"], MatchRow, rules.match_alert)
    _consume(ctx, router, report, CURSORS["drift"], DriftRow, rules.drift_alert)
    _consume(ctx, router, report, CURSORS["patent_events"], PatentEventRow, rules.patent_event_alert)
    health = store.source_health(crawled_sources(store), settings.crawl.unhealthy_after_failures)
    _write(store, router, rules.source_alerts(ctx, health), report)
    return report


def remind(app: App, *, today: dt.date | None = None) -> EvaluationReport:
    """Raise the deadline and milestone reminders due ``today`` (each once per item and offset)."""
    settings, store = app.settings, app.store
    ctx = rules.Context(store, settings, today or today_in(settings))
    router = Router(settings)
    report = EvaluationReport()
    raised = rules.deadline_reminders(ctx)
    horizon = max(settings.alerts.milestone_days, default=0)
    if settings.alerts.milestone_kinds and horizon >= 0:
        rows = milestones.between(
            store, ctx.today, ctx.today + dt.timedelta(days=horizon), kinds=settings.alerts.milestone_kinds
        )
        raised.extend(rules.milestone_reminders(ctx, rows))
    for start in range(0, len(raised), BATCH):
        _write(store, router, raised[start : start + BATCH], report)
    return report


def _consume(
    ctx: rules.Context,
    router: Router,
    report: EvaluationReport,
    cursor: str,
    model: type[Row],
    build: Callable[[rules.Context, Row], rules.Raised | None],
) -> None:
    store = ctx.store
    position = cursor_position(store, cursor)
    read_after = position
    ordered = store.engine.dialect.name != "postgresql"
    while True:
        with store.session() as s:
            rows: Sequence[Row] = list(
                s.scalars(select(model).where(model.id > read_after).order_by(model.id).limit(BATCH))
            )
        if not rows:
            return
        raised: list[rules.Raised] = []
        failed: set[int] = set()
        for row in rows:
            try:
                alert = build(ctx, row)
            except Exception as exc:  # one bad event must not stop every later alert
                log.exception("%s %s: no alert raised", model.__tablename__, row.id)
                report.errors.append(f"{model.__tablename__} {row.id}: {type(exc).__name__}: {exc}")
                failed.add(row.id)
                continue
            if alert is not None:
                raised.append(alert)
        safe = position
        now = utcnow()
        settled = now - COMMIT_GRACE
        for row in rows:
            if not ordered and _aware(row.created_at) > settled:
                break
            if row.id in failed and _aware(row.created_at) > now - RETRY_FAILED_FOR:
                # Held here so the next evaluation tries it again (a passing database error);
                # the later events' alerts are written now and come back as no-ops.
                break
            safe = row.id
        _write(store, router, raised, report, cursor=(cursor, safe) if safe > position else None)
        report.events += len(rows)
        position, read_after = max(position, safe), rows[-1].id


def _write(
    store: Store,
    router: Router,
    raised: Sequence[rules.Raised],
    report: EvaluationReport,
    *,
    cursor: tuple[str, int] | None = None,
) -> None:
    """Alerts, their outbox rows and the cursor move: one transaction."""
    if not raised and cursor is None:
        return
    now = utcnow()
    new: list[tuple[int, str, int]] = []
    with store.session(write=True) as s:
        for alert, subject in raised:
            deliveries = router.route(subject)
            alert_id = insert_alert(s, alert, deliveries, now)
            if alert_id is not None:
                new.append((alert_id, alert.kind, len(deliveries)))
        if cursor is not None:
            set_cursor(s, cursor[0], cursor[1], now)
        s.flush()
        checkpoint("alerts-before-commit")
    for alert_id, kind, count in new:
        report.alerts.append(alert_id)
        report.kinds[kind] += 1
        report.deliveries += count
        if count == 0:
            report.unrouted.append(alert_id)
    if new:
        log.info("raised %d alerts, %d deliveries", len(new), sum(c for _, _, c in new))


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
