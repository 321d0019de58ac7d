"""The outbox relay: delivers the pending outbox rows that are due.

One pass (:func:`relay_due`):

1. claims the due pending rows, oldest first, with a short lease (``SELECT … FOR UPDATE SKIP
   LOCKED`` on PostgreSQL, so two relays never claim the same row; SQLite relays take turns);
2. groups them by channel and delivers each channel's rows in order in its own thread, so a slow
   or unreachable channel never delays the others;
3. per channel, asks the channel's :class:`RateLimiter` before each send. A short wait (one that
   ends within the pass's pace, by default ``schedule.relay_interval_s``) is waited out in that
   channel's own thread, so the channel delivers at its full rate and no other channel notices;
   a channel that must wait longer is left for a later pass (its rows are given back), not slept on;
4. splits a body longer than the channel's ``max_bytes`` with :func:`split_message`, recording in
   the row's payload how many parts went out, so a crash mid-way does not send them again;
5. marks each row sent in its own transaction right after the send. A failure counts an attempt
   and schedules the next one after ``delivery.backoff_s * 2^(attempts-1)`` seconds (at most
   ``delivery.max_backoff_s``; the service's Retry-After wins); a failure that cannot succeed on
   retry, or the ``delivery.max_attempts``-th one, makes the row dead (shown by ``sepwatch
   status``; ``sepwatch alerts retry`` revives it). After a retryable failure the channel is left
   alone for the rest of the pass: it is probably down, and its other rows wait.

Delivery is at least once: if the process dies after a service accepted a message and before the
row is marked, the row is sent again after its lease. The window is one send; the email
Message-ID and the webhook Idempotency-Key derive from the row's dedupe key, so receivers can
recognise the repeat.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from alerts.channels.base import Channel, DeliveryError, Message, RateLimiter, split_message
from alerts.messages import AlertView, Language, reason_text, render, render_digest
from index import alerts as outbox
from index.faults import checkpoint
from index.models import AlertRow, OutboxRow, utcnow
from sepwatch.app import App

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
MAX_THREADS = 8

_limiters: dict[str, RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(channel: Channel) -> RateLimiter:
    """The process-wide rate limiter of ``channel`` (kept across passes)."""
    with _limiters_lock:
        limiter = _limiters.get(channel.name)
        if limiter is None or limiter.rate_per_minute != channel.rate_per_minute:
            limiter = _limiters[channel.name] = RateLimiter(channel.rate_per_minute)
        return limiter


@dataclass(slots=True)
class RelayReport:
    claimed: int = 0
    sent: int = 0  # rows delivered (every part)
    parts: int = 0  # messages handed to channels (a split row counts each part)
    retrying: int = 0  # rows that failed and will be tried again
    dead: int = 0  # rows that became dead
    deferred: int = 0  # rows left for the next pass (rate limit, channel down)
    errors: dict[str, str] = field(default_factory=dict)  # channel → first error of the pass

    def as_dict(self) -> dict[str, Any]:
        return {
            "claimed": self.claimed,
            "sent": self.sent,
            "parts": self.parts,
            "retrying": self.retrying,
            "dead": self.dead,
            "deferred": self.deferred,
            "errors": self.errors,
        }


def relay_due(
    app: App,
    channels: Mapping[str, Channel] | None = None,
    *,
    limit: int = 500,
    now: dt.datetime | None = None,
    pace_s: float | None = None,
) -> RelayReport:
    """Deliver the due pending rows (at most ``limit``). ``channels`` default to the configured
    ones (built, and closed afterwards). ``pace_s``: how long into the pass a channel may still
    wait for its rate limit (in its own thread); default ``schedule.relay_interval_s``; 0 = never
    wait, leave the rest for the next pass."""
    if channels is None:
        from alerts.channels import build_channels

        built = build_channels(app.settings)
        try:
            return relay_due(app, built, limit=limit, now=now, pace_s=pace_s)
        finally:
            for channel in built.values():
                close = getattr(channel, "close", None)
                if callable(close):
                    close()
    if pace_s is None:
        pace_s = app.settings.schedule.relay_interval_s
    started = now or utcnow()
    rows = outbox.claim_due(app.store, started, limit, LEASE)
    report = RelayReport(claimed=len(rows))
    if not rows:
        return report
    by_channel: dict[str, list[OutboxRow]] = {}
    for row in rows:
        by_channel.setdefault(row.channel, []).append(row)
    lock = threading.Lock()
    workers = min(len(by_channel), MAX_THREADS)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="relay") as pool:
        futures = [
            pool.submit(_ChannelPass(app, name, channels.get(name), group, report, lock, pace_s, now).run)
            for name, group in by_channel.items()
        ]
        for future in futures:
            future.result()
    return report


class _ChannelPass:
    """One channel's share of a relay pass."""

    def __init__(
        self,
        app: App,
        name: str,
        channel: Channel | None,
        rows: Sequence[OutboxRow],
        report: RelayReport,
        lock: threading.Lock,
        pace_s: float,
        now: dt.datetime | None,
    ) -> None:
        self.app = app
        self.store = app.store
        self.delivery = app.settings.delivery
        self.name = name
        self.channel = channel
        self.rows = list(rows)
        self.report = report
        self.lock = lock
        self.deadline = time.monotonic() + pace_s
        # Rows are leased for LEASE: stop well before it ends, or another relay may send them too.
        self.lease_end = time.monotonic() + LEASE.total_seconds() / 2
        self.fixed_now = now

    def now(self) -> dt.datetime:
        """The time of the pass's bookkeeping: the ``now`` it was given (tests), else the clock."""
        return self.fixed_now or utcnow()

    def count(self, **changes: int) -> None:
        with self.lock:
            for key, value in changes.items():
                setattr(self.report, key, getattr(self.report, key) + value)

    def run(self) -> None:
        try:
            self._run()
        except Exception:
            log.exception("relay: channel %s failed unexpectedly", self.name)
            outbox.release(self.store, [r.id for r in self.rows], self.now())
            raise

    def _run(self) -> None:
        if self.channel is None:
            for row in self.rows:
                self._fail(
                    # Retried (with backoff, up to delivery.max_attempts): a renamed or removed channel
                    # can be put back without losing its backlog.
                    row,
                    DeliveryError(f"no channel named {self.name!r} is configured", retryable=True),
                )
            self.rows = []
            return
        limiter = limiter_for(self.channel)
        alerts = outbox.alerts_by_id(self.store, self._alert_ids())
        while self.rows:
            if time.monotonic() > self.lease_end:
                self._defer()
                return
            row = self.rows[0]
            try:
                parts = self._parts(row, alerts)
            except Exception as exc:  # a row that cannot be rendered must not block the channel
                log.exception("relay: outbox row %s cannot be rendered", row.id)
                self.rows.pop(0)
                self._fail(row, DeliveryError(f"cannot render: {type(exc).__name__}: {exc}", retryable=False))
                continue
            done = int(row.payload.get("parts_sent", 0))
            address = row.payload.get("address")
            for index in range(done, len(parts)):
                if not self._take(limiter):
                    self._defer()
                    return
                checkpoint("relay-before-send")
                try:
                    self.channel.send(parts[index], address)
                except DeliveryError as exc:
                    self.rows.pop(0)
                    self._fail(row, exc)
                    if exc.retryable:
                        with self.lock:
                            self.report.errors.setdefault(self.name, exc.reason)
                        self._defer()
                        return
                    break
                except Exception as exc:  # a channel bug: count it like a retryable failure
                    log.exception("relay: channel %s raised", self.name)
                    self.rows.pop(0)
                    self._fail(row, DeliveryError(f"{type(exc).__name__}: {exc}"))
                    self._defer()
                    return
                checkpoint("relay-after-send")
                self.count(parts=1)
                if index + 1 < len(parts):
                    row.payload = {**row.payload, "parts_sent": index + 1}
                    outbox.mark_parts_sent(self.store, row.id, row.payload)
            else:
                self.rows.pop(0)
                outbox.mark_sent(self.store, row.id, self.now())
                self.count(sent=1)

    def _take(self, limiter: RateLimiter) -> bool:
        """Take the limiter's token for one send, waiting for it only within the pass's pace and
        never past the half of the lease (every part of a split message asks here)."""
        if time.monotonic() > self.lease_end:
            return False
        delay = limiter.try_take()
        if delay <= 0:
            return True
        if time.monotonic() + delay > min(self.deadline, self.lease_end):
            return False
        time.sleep(delay)
        return limiter.try_take() <= 0

    def _defer(self) -> None:
        """Give the rest of this channel's rows back, due now (the next pass tries again)."""
        if self.rows:
            outbox.release(self.store, [r.id for r in self.rows], self.now())
            self.count(deferred=len(self.rows))
            self.rows = []

    def _fail(self, row: OutboxRow, exc: DeliveryError) -> None:
        attempts = row.attempts + 1
        if not exc.retryable or attempts >= self.delivery.max_attempts:
            outbox.mark_failed(self.store, row.id, exc.reason, attempts=attempts, next_attempt_at=None)
            self.count(dead=1)
            log.warning("outbox %s to %s on %s is dead: %s", row.id, row.recipient, self.name, exc.reason)
            return
        wait = min(self.delivery.backoff_s * 2 ** (attempts - 1), self.delivery.max_backoff_s)
        if exc.retry_after is not None:
            wait = exc.retry_after
        when = self.now() + dt.timedelta(seconds=wait)
        outbox.mark_failed(self.store, row.id, exc.reason, attempts=attempts, next_attempt_at=when)
        self.count(retrying=1)
        log.info(
            "outbox %s on %s failed (attempt %d, next in %.0fs): %s",
            row.id,
            self.name,
            attempts,
            wait,
            exc.reason,
        )

    def _alert_ids(self) -> list[int]:
        ids: list[int] = []
        for row in self.rows:
            if row.alert_id is not None:
                ids.append(row.alert_id)
            ids.extend(int(i) for i in row.payload.get("alert_ids", []))
        return ids

    def _parts(self, row: OutboxRow, alerts: Mapping[int, AlertRow]) -> list[Message]:
        assert self.channel is not None
        message = message_for(row, alerts)
        return split_for(message, self.channel)


def view(alert: AlertRow) -> AlertView:
    return AlertView(alert.id, alert.kind, alert.thread, alert.title, alert.payload, alert.created_at)


def message_for(row: OutboxRow, alerts: Mapping[int, AlertRow]) -> Message:
    """The message an outbox row stands for, in its reader's language."""
    lang: Language = "zh" if row.payload.get("language") == "zh" else "en"
    if row.mode == "digest":
        reasons: Mapping[str, Any] = row.payload.get("reasons", {})
        items = []
        for alert_id in row.payload.get("alert_ids", []):
            alert = alerts.get(int(alert_id))
            if alert is None:
                continue
            entry = reasons.get(str(alert_id), {})
            items.append((view(alert), reason_text(entry.get("reasons", []), lang, entry.get("reason", ""))))
        return render_digest(
            items,
            language=lang,
            period=str(row.payload.get("period", "daily")),
            key=row.dedupe_key,
            recipient=row.recipient,
        )
    if row.alert_id is None or row.alert_id not in alerts:
        raise LookupError(f"alert {row.alert_id} of outbox row {row.id} is gone")
    return render(
        view(alerts[row.alert_id]),
        language=lang,
        reason=reason_text(row.payload.get("reasons", []), lang, row.reason),
        key=row.dedupe_key,
        recipient=row.recipient,
    )


def split_for(message: Message, channel: Channel) -> list[Message]:
    """``message`` as the channel can carry it: whole, or in parts under ``channel.max_bytes``.

    Email and webhooks carry the text, IM channels the markdown (the subject travels apart). A split
    message's parts carry the same piece as text and markdown, no HTML, and each its own key
    (``KEY#i/n``) so a receiver that deduplicates on it keeps every part.
    """
    body = message.text if channel.kind in ("email", "webhook") else message.markdown or message.text
    if len(body.encode("utf-8")) <= channel.max_bytes:
        return [message]
    pieces = split_message(body, channel.max_bytes)
    count = len(pieces)
    data: dict[str, Any] = {
        k: message.data.get(k) for k in ("alert_id", "kind", "digest", "recipient") if k in message.data
    }
    return [
        replace(
            message,
            subject=f"{message.subject} ({index}/{count})",
            text=piece,
            markdown=piece,
            html=None,
            key=f"{message.key}#{index}/{count}",
            data={**data, "part": index, "parts": count},
        )
        for index, piece in enumerate(pieces, start=1)
    ]
