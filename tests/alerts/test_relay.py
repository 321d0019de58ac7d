"""The outbox relay on SQLite and PostgreSQL.

Unit level (a recording channel defined here, implementing the Channel protocol): retries with
backoff, Retry-After, dead letters, rate limits, one channel down or hanging while the others
deliver, split messages resumed after a failure, two relays at once. End to end (last): the real
email channel against aiosmtpd and the real webhook channel against a loopback receiver, with an
SMTP outage in between.
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select, update

from alerts import relay as relay_module
from alerts.channels import DeliveryError, Message, part_marker
from alerts.channels.email import message_id
from alerts.pipeline import evaluate
from alerts.relay import relay_due
from index import alerts as store_alerts
from index.models import OutboxRow, utcnow
from sepwatch.app import App
from tests.alerts import events as ev
from tests.alerts.receivers import smtp_server, webhook_receiver


class Recorder:
    """A channel that records what it is given and fails as told (``failures``: one entry per send;
    None = accept)."""

    def __init__(
        self,
        name: str,
        kind: str = "webhook",
        *,
        max_bytes: int = 100_000,
        rate_per_minute: int = 10_000_000,
        failures: list[DeliveryError | None] | None = None,
        block: threading.Event | None = None,
    ) -> None:
        self.name, self.kind, self.max_bytes, self.rate_per_minute = name, kind, max_bytes, rate_per_minute
        self.failures = list(failures or [])
        self.block = block
        self.sent: list[tuple[Message, str | None]] = []
        self.attempts = 0
        self.lock = threading.Lock()

    def send(self, message: Message, address: str | None) -> None:
        with self.lock:
            self.attempts += 1
            failure = self.failures.pop(0) if self.failures else None
        if self.block is not None:
            self.block.wait(30)
        if failure is not None:
            raise failure
        with self.lock:
            self.sent.append((message, address))

    @property
    def keys(self) -> list[str]:
        return [m.key for m, _ in self.sent]


@pytest.fixture(autouse=True)
def fresh_limiters() -> Iterator[None]:
    relay_module._limiters.clear()
    yield
    relay_module._limiters.clear()


DELIVERY = "delivery: {max_attempts: 3, backoff_s: 10, max_backoff_s: 15}\n"


@pytest.fixture
def app(settings_env: dict[str, str], tmp_path: Path) -> Iterator[App]:
    with App.open(ev.settings_for(settings_env, tmp_path, ev.PEOPLE + DELIVERY)) as opened:
        ev.patent(opened)
        ev.notice(opened)
        ev.spec(opened, "17.6.0", ev.V1)
        ev.match_new(opened)
        evaluate(opened, today=ev.TODAY)  # a linked alert and a status change
        yield opened


def rows(app: App, channel: str | None = None) -> list[OutboxRow]:
    with app.store.session() as s:
        query = select(OutboxRow).where(OutboxRow.status != "held").order_by(OutboxRow.id)
        if channel:
            query = query.where(OutboxRow.channel == channel)
        return list(s.scalars(query))


def channels(**overrides: Recorder) -> dict[str, Recorder]:
    out = {
        "email": Recorder("email", "email"),
        "ip-chat": Recorder("ip-chat", "dingtalk"),
        "alice-im": Recorder("alice-im", "slack"),
        "ops-chat": Recorder("ops-chat", "webhook"),
    }
    out.update(overrides)
    return out


def test_every_due_row_is_sent_once_with_its_address_and_key(app: App) -> None:
    chans = channels()
    due = rows(app)
    assert len(due) == 8  # 2 alerts × (team chat, alice email + IM, bob email)
    report = relay_due(app, chans)
    assert (report.claimed, report.sent, report.dead, report.deferred) == (8, 8, 0, 0)
    assert all(r.status == "sent" and r.attempts == 1 and r.sent_at is not None for r in rows(app))
    assert sorted(k for c in chans.values() for k in c.keys) == sorted(r.dedupe_key for r in due)
    assert sorted(str(a) for _, a in chans["email"].sent) == [
        "alice@example.com",
        "alice@example.com",
        "bob@example.com",
        "bob@example.com",
    ]
    assert all(a is None for _, a in chans["ip-chat"].sent)
    # The team chat reads Chinese, bob English.
    assert all("修改窗口" in m.subject or "专利状态变化" in m.subject for m, _ in chans["ip-chat"].sent)
    assert relay_due(app, chans).claimed == 0
    assert sum(c.attempts for c in chans.values()) == 8


def test_retries_back_off_then_the_row_is_dead(app: App) -> None:
    down = DeliveryError("connection refused")
    chans = channels(**{"ip-chat": Recorder("ip-chat", failures=[down] * 10)})
    start = utcnow()
    relay_due(app, chans, now=start)
    first, second = rows(app, "ip-chat")
    assert (first.attempts, first.status, first.last_error) == (1, "pending", "connection refused")
    assert _aware(first.next_attempt_at) == start + dt.timedelta(seconds=10)  # backoff_s * 2^0
    # The channel is left alone after its first failure: its second row was not tried.
    assert (second.attempts, chans["ip-chat"].attempts) == (0, 1)
    assert _aware(second.next_attempt_at) <= start + dt.timedelta(seconds=1)

    later = start + dt.timedelta(seconds=11)
    relay_due(app, chans, now=later)
    first = rows(app, "ip-chat")[0]
    assert first.attempts == 2 and _aware(first.next_attempt_at) == later + dt.timedelta(seconds=15)  # capped

    relay_due(app, chans, now=later + dt.timedelta(seconds=16))
    first = rows(app, "ip-chat")[0]
    assert (first.status, first.attempts) == ("dead", 3)  # delivery.max_attempts
    assert [r.id for r in store_alerts.dead_letters(app.store)] == [first.id]
    assert store_alerts.outbox_counts(app.store)["dead"] == 1
    # Revived by `sepwatch alerts retry --dead`: pending, due now, attempts reset.
    assert store_alerts.retry(app.store, dead=True) == [first.id]
    first = rows(app, "ip-chat")[0]
    assert (first.status, first.attempts, first.last_error) == ("pending", 0, None)


def test_retry_after_wins_and_permanent_failures_are_dead_at_once(app: App) -> None:
    chans = channels(
        **{
            "ip-chat": Recorder("ip-chat", failures=[DeliveryError("rate limited", retry_after=600)]),
            "email": Recorder(
                "email", "email", failures=[DeliveryError("550 5.1.1 User unknown", retryable=False)]
            ),
        }
    )
    start = utcnow()
    report = relay_due(app, chans, now=start)
    limited = rows(app, "ip-chat")[0]
    assert _aware(limited.next_attempt_at) == start + dt.timedelta(seconds=600)
    dead = rows(app, "email")[0]
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", 1, "550 5.1.1 User unknown")
    # A permanent failure concerns that message only: the channel's other rows went out.
    assert [r.status for r in rows(app, "email")] == ["dead", "sent", "sent", "sent"]
    assert report.dead == 1 and report.errors == {"ip-chat": "rate limited"}


def test_one_channel_down_does_not_delay_the_others(app: App) -> None:
    chans = channels(
        **{"email": Recorder("email", "email", failures=[DeliveryError("SMTP unreachable")] * 10)}
    )
    report = relay_due(app, chans)
    assert {r.channel: r.status for r in rows(app) if r.channel != "email"} == {
        "ip-chat": "sent",
        "alice-im": "sent",
    }
    assert [r.attempts for r in rows(app, "email")] == [1, 0, 0, 0]
    assert (report.sent, report.retrying, report.deferred) == (4, 1, 3)


def test_a_hanging_channel_does_not_hold_up_the_others(app: App) -> None:
    release = threading.Event()
    chans = channels(**{"email": Recorder("email", "email", block=release)})
    done: list[Any] = []
    worker = threading.Thread(target=lambda: done.append(relay_due(app, chans)))
    worker.start()
    try:
        for _ in range(200):
            if all(r.status == "sent" for r in rows(app) if r.channel != "email"):
                break
            threading.Event().wait(0.05)
        assert all(r.status == "sent" for r in rows(app) if r.channel != "email")
        assert all(r.status == "pending" for r in rows(app, "email")) and not done
    finally:
        release.set()
        worker.join(30)
    assert all(r.status == "sent" for r in rows(app))


def test_a_channel_that_must_wait_is_skipped_not_slept_on(app: App) -> None:
    slow = Recorder("ip-chat", rate_per_minute=1)  # the next send in 60 s: longer than a pass
    chans = channels(**{"ip-chat": slow})
    report = relay_due(app, chans)
    assert [r.status for r in rows(app, "ip-chat")] == ["sent", "pending"]
    assert report.deferred == 1 and report.sent == 7
    again = relay_due(app, chans)
    assert (again.sent, again.deferred) == (0, 1) and len(slow.sent) == 1
    assert rows(app, "ip-chat")[1].attempts == 0  # waiting for the limit is not a failed attempt


def test_a_rate_limit_wait_never_outlasts_the_lease(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    # A pace longer than the lease (schedule.relay_interval_s of 10 minutes): waiting 10 s for the
    # limit would send after the 4 s lease ended, when another relay may have claimed the row too.
    monkeypatch.setattr(relay_module, "LEASE", dt.timedelta(seconds=4))
    slow = Recorder("ip-chat", rate_per_minute=6)
    report = relay_due(app, channels(**{"ip-chat": slow}), pace_s=600)
    assert len(slow.sent) == 1 and report.deferred == 1
    assert [r.status for r in rows(app, "ip-chat")] == ["sent", "pending"]


def test_a_short_rate_limit_wait_is_waited_out_in_the_channels_thread(app: App) -> None:
    chans = channels(**{"ip-chat": Recorder("ip-chat", rate_per_minute=600)})  # one per 0.1 s
    # Without pace, the channel's second message waits for the next pass…
    strict = relay_due(app, chans, pace_s=0)
    assert (strict.sent, strict.deferred) == (7, 1)
    assert [r.status for r in rows(app, "ip-chat")] == ["sent", "pending"]
    # …with the default pace (schedule.relay_interval_s) the pass waits 0.1 s for it.
    assert relay_due(app, chans).sent == 1
    assert all(r.status == "sent" for r in rows(app))


def test_long_messages_are_split_and_resumed_after_a_failure(app: App) -> None:
    flaky = Recorder("ip-chat", "wecom", max_bytes=600, failures=[None, DeliveryError("timeout")])
    chans = channels(**{"ip-chat": flaky})
    start = utcnow()
    relay_due(app, chans, now=start)
    row = rows(app, "ip-chat")[0]
    assert row.status == "pending" and row.payload["parts_sent"] == 1 and row.attempts == 1
    relay_due(app, chans, now=start + dt.timedelta(seconds=11))
    assert [r.status for r in rows(app, "ip-chat")] == ["sent", "sent"]
    first_keys = [k for k in flaky.keys if k.startswith(row.dedupe_key + "#")]
    count = len(first_keys)
    assert count > 2 and first_keys == [f"{row.dedupe_key}#{i}/{count}" for i in range(1, count + 1)]
    parts = [m for m, _ in flaky.sent if m.key.startswith(row.dedupe_key + "#")]
    assert all(len(m.markdown.encode()) <= 600 for m in parts)
    whole = "".join(m.markdown.removesuffix(part_marker(i, count)) for i, m in enumerate(parts, start=1))
    assert "An NR RedCap UE using NR shall provide" in whole
    assert parts[0].subject.endswith(f"(1/{count})")


def test_a_row_for_a_channel_no_longer_configured_waits_for_it(app: App) -> None:
    """A renamed or removed channel does not kill its backlog: the rows are retried with backoff,
    and delivered once the channel is back."""
    chans = channels()
    del chans["alice-im"]
    report = relay_due(app, chans)
    waiting = rows(app, "alice-im")
    assert [r.status for r in waiting] == ["pending", "pending"] and report.dead == 0
    assert waiting[0].last_error == "no channel named 'alice-im' is configured"
    later = max(_aware(r.next_attempt_at) for r in waiting)
    back = channels()
    assert relay_due(app, back, now=later).sent == 2
    assert [r.status for r in rows(app, "alice-im")] == ["sent", "sent"]
    assert len(back["alice-im"].keys) == 2


def test_two_relays_at_once_send_each_row_once(app: App) -> None:
    # More rows: replay the routing of both alerts on fresh rows.
    class Slow(Recorder):
        def send(self, message: Message, address: str | None) -> None:
            threading.Event().wait(0.01)
            super().send(message, address)

    shared = {
        name: Slow(name, kind)
        for name, kind in [("email", "email"), ("ip-chat", "dingtalk"), ("alice-im", "slack")]
    }
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(relay_due(app, shared, limit=3))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    while relay_due(app, shared).claimed:
        pass
    keys = [k for c in shared.values() for k in c.keys]
    assert sorted(keys) == sorted(r.dedupe_key for r in rows(app))
    assert len(keys) == len(set(keys)) == 8


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# --- end to end: real channels, real receivers ------------------------------------------------------


def test_email_and_webhook_end_to_end_through_an_smtp_outage(
    settings_env: dict[str, str], tmp_path: Path
) -> None:
    with smtp_server() as smtp, webhook_receiver() as hook:
        config = {
            "smtp": smtp.settings(rate_per_minute=6000),
            "delivery": {"backoff_s": 5, "max_backoff_s": 60},
            "channels": [{"name": "ip-chat", "type": "webhook", "url": hook.url + "/ip", "secret": "s3cret"}],
            "teams": [{"name": "ip-wireless", "channels": ["ip-chat"], "language": "zh"}],
            "people": [
                {"name": "alice", "email": "alice@example.com", "teams": ["ip-wireless"]},
                {
                    "name": "bob",
                    "email": "bob@example.com",
                    "language": "zh",
                    "follows": {"portfolio": "own"},
                },
            ],
            "portfolio": {"own": [ev.APPLICATION]},
        }
        settings = ev.settings_for(settings_env, tmp_path, yaml.safe_dump(config))
        with App.open(settings) as app:
            ev.patent(app)
            ev.notice(app)
            ev.spec(app, "17.6.0", ev.V1)
            ev.match_new(app)
            evaluate(app, today=ev.TODAY)
            due = {r.dedupe_key: r for r in rows(app)}
            mails = [r for r in due.values() if r.channel == "email"]
            assert len(mails) == 4 and len(due) == 6

            smtp.stop()  # the mail server is down
            start = utcnow()
            report = relay_due(app, now=start)
            assert report.errors.keys() == {"email"} and report.sent == 2  # the webhook went out
            hook.wait_for(2)
            assert [r.attempts for r in rows(app, "email")] == [1, 0, 0, 0]

            smtp.start()
            relay_due(app, now=start + dt.timedelta(seconds=6))
            received = smtp.wait_for(4)
            relay_due(app, now=start + dt.timedelta(seconds=600))
            assert len(smtp.mails) == 4 and len(hook.requests) == 2  # nothing twice
            assert all(r.status == "sent" for r in rows(app))

            by_id = {m["Message-ID"]: m for m in received}
            assert set(by_id) == {message_id(r.dedupe_key) for r in mails}  # stable, from the dedupe key
            (linked_alert,) = store_alerts.list_alerts(app.store, kinds=["linked"])
            linked_to_alice = next(
                by_id[message_id(r.dedupe_key)]
                for r in mails
                if r.recipient == "alice" and r.alert_id == linked_alert.id
            )
            assert linked_to_alice["To"] == "alice@example.com"
            assert "Amendment window closes 2024-12-20" in linked_to_alice["Subject"]
            text = linked_to_alice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            html_part = linked_to_alice.get_body(("html",)).get_content()  # type: ignore[union-attr]
            assert "An NR RedCap UE using NR shall provide" in text and "Rule 57(1)" in text
            assert "owner of claim map CN112345678A via team ip-wireless" in text
            assert "<blockquote" in html_part and "An NR RedCap UE using NR shall provide" in html_part
            bob_mail = next(by_id[message_id(r.dedupe_key)] for r in mails if r.recipient == "bob")
            assert "修改窗口" in bob_mail["Subject"] or "专利状态变化" in bob_mail["Subject"]

            posted = [r.json() for r in hook.requests]
            keys = {p["key"] for p in posted}
            assert keys == {k for k, r in due.items() if r.channel == "ip-chat"}
            assert all(r.headers["idempotency-key"] in keys for r in hook.requests)
            assert all(r.headers["x-sepwatch-signature"].startswith("sha256=") for r in hook.requests)
            linked = next(p for p in posted if p["data"]["kind"] == "linked")
            assert linked["language"] == "zh" and "修改窗口 2024-12-20 截止" in linked["subject"]
            assert linked["data"]["payload"]["closes"] == "2024-12-20"
            assert "An NR RedCap UE using NR shall provide" in linked["text"]


def test_a_restart_releases_the_leases_of_a_relay_that_died_at_once(app: App) -> None:
    """A relay killed mid-pass leaves its rows leased for minutes; the next start on the host frees them,
    while leases held by a live relay (or one on another host) are left alone."""
    now = utcnow()
    claimed = store_alerts.claim_due(app.store, now, 8, relay_module.LEASE)
    assert len(claimed) == 8 and all(_aware(r.next_attempt_at) > now for r in rows(app))
    host = socket.gethostname()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    owners = [f"{host}:{dead.pid}"] * 5 + [
        f"{host}:{alive.pid}",
        f"elsewhere:{dead.pid}",
        f"{host}:{dead.pid}",
    ]
    try:
        with app.store.session(write=True) as s:
            for row, owner in zip(claimed, owners, strict=True):
                s.execute(update(OutboxRow).where(OutboxRow.id == row.id).values(claimed_by=owner))
        assert store_alerts.release_dead_claims(app.store, utcnow()) == 6
        report = relay_due(app, channels())
        assert report.sent == 6
        left = [r for r in rows(app) if r.status == "pending"]
        assert sorted(r.claimed_by or "" for r in left) == sorted(
            [f"{host}:{alive.pid}", f"elsewhere:{dead.pid}"]
        )
    finally:
        alive.kill()
        alive.wait()
