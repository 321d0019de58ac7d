"""The daemon under faults, as real processes: kill -9 at random points during crawl, match and
relay; the mail server down for a while; a job hanging on a dead server at shutdown.

The source is a feed on the loopback mirror whose entries read on the RedCap claim map of the
alert tests; alice (team ip-wireless, the map's owner) gets each match alert by email (aiosmtpd)
and on her webhook channel (a loopback receiver). The test knows every alert that must exist and
every message that must arrive, and checks the receivers: nothing lost; a message received twice
only when a kill fell between its send and its being marked sent (the one window at-least-once
delivery leaves; email receivers recognise the repeat by its Message-ID, webhooks by the
Idempotency-Key).

The kill -9 test's random choices come from a seed printed at the start; rerun one with
``SEPWATCH_TEST_FAULT_SEED=<seed>``.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import random
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from alerts.channels.email import message_id
from index.models import AlertRow, OutboxRow
from sepwatch.app import App
from tests.alerts import events as ev
from tests.alerts.receivers import SmtpReceiver, WebhookReceiver, smtp_server, webhook_receiver
from tests.mirror import Mirror, serve
from tests.scheduler.daemons import FEED_PATH, RSS, Deployment, deployment_for, rss, silent_port

pytestmark = pytest.mark.slow

# Daemon lives, each ended by kill -9; each begins with one more feed entry that must raise one alert.
ROUNDS = 24
# Rounds that crash at a named point instead of after a random delay (index/faults.py).
FAULTPOINTS = [
    "relay-after-send",  # delivered, not yet marked sent: the unavoidable repeat
    "relay-after-send",
    "relay-after-send",
    "relay-before-send",
    "relay-before-send",
    "alerts-before-commit",  # alerts and outbox rows computed, transaction not committed
    "alerts-before-commit",
]


def entry(i: int) -> tuple[str, str, str]:
    return (f"redcap-{i:02d}", f"RedCap indication, contribution {i}", f"{ev.V1} Contribution number {i}.")


def configure(
    deployment: Deployment, mirror: Mirror, smtp: Any, hook: Any, maps: Path, **schedule: Any
) -> None:
    deployment.configure(
        {
            "feeds": [{"name": "sa2_news", "url": mirror.url + FEED_PATH, "body": "3GPP", "group": "SA2"}],
            "schedule": {"default": "every 2s", "relay_interval_s": 1, **schedule},
            "matcher": {"claims_dir": str(maps)},
            "smtp": smtp.settings(),
            "delivery": {"backoff_s": 1, "max_backoff_s": 2, "max_attempts": 1000},
            "channels": [{"name": "alice-hook", "type": "webhook", "url": hook.url + "/alice"}],
            "teams": [{"name": "ip-wireless"}],
            "people": [
                {
                    "name": "alice",
                    "email": "alice@example.com",
                    "channels": ["alice-hook"],
                    "teams": ["ip-wireless"],
                }
            ],
        }
    )


@pytest.fixture
def deployment(settings_env: dict[str, str], tmp_path: Path) -> Iterator[Deployment]:
    with deployment_for(settings_env, tmp_path) as d:
        yield d


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with serve() as m:
        yield m


@pytest.fixture
def claim_maps(tmp_path: Path) -> Path:
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "cn112345678.yaml").write_text(ev.CLAIM_MAP, encoding="utf-8")
    return maps


@pytest.fixture
def receivers() -> Iterator[tuple[SmtpReceiver, WebhookReceiver]]:
    with smtp_server() as smtp, webhook_receiver() as hook:
        yield smtp, hook


@dataclass
class Expected:
    """What the store must hold once everything settled: the match alert of each entry and its two deliveries."""

    alerts: dict[str, AlertRow] = field(default_factory=dict)  # entry guid → alert
    email_ids: dict[str, str] = field(default_factory=dict)  # Message-ID → outbox dedupe key
    hook_keys: set[str] = field(default_factory=set)


def settled(app: App, guids: list[str]) -> Expected | None:
    """The expected alerts and deliveries once every entry has its alert and every delivery is sent."""
    with app.store.session() as s:
        alerts = list(s.scalars(select(AlertRow).where(AlertRow.kind == "match")))
        rows = list(s.scalars(select(OutboxRow)))
    by_entry: dict[str, list[AlertRow]] = collections.defaultdict(list)
    for alert in alerts:
        number = str(alert.payload.get("document"))
        by_entry[number.rsplit("/", 1)[-1]].append(alert)
    if set(by_entry) != set(guids) or any(r.status != "sent" for r in rows):
        return None
    out = Expected()
    for guid, found in by_entry.items():
        assert len(found) == 1, f"entry {guid}: {len(found)} match alerts"
        out.alerts[guid] = found[0]
    ids = {a.id for a in alerts}
    mine = [r for r in rows if r.alert_id in ids]
    channels = sorted(r.channel for r in mine)
    assert channels == sorted(["alice-hook", "email"] * len(guids)), [(r.alert_id, r.channel) for r in mine]
    out.email_ids = {message_id(r.dedupe_key): r.dedupe_key for r in mine if r.channel == "email"}
    out.hook_keys = {r.dedupe_key for r in mine if r.channel == "alice-hook"}
    return out


def leases_held(app: App) -> int:
    """Deliveries the killed relay had leased: the next start must release them (not wait out the lease)."""
    with app.store.session() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(OutboxRow)
                .where(OutboxRow.status == "pending", OutboxRow.claimed_by.is_not(None))
            )
            or 0
        )


def phase_at_kill(app: App, log: str) -> str:
    started = log.rfind("crawl sa2_news: started")
    if started > max(log.rfind(f"crawl sa2_news: {end}") for end in ("succeeded", "failed", "interrupted")):
        return "crawl"
    with app.store.session() as s:
        leased = s.scalar(
            select(OutboxRow.id).where(
                OutboxRow.status == "pending",
                OutboxRow.next_attempt_at > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30),
            )
        )
    return "relay" if leased else "between crawls (start-up, matching, alerting or idle)"


def received_emails(smtp: SmtpReceiver) -> list[str]:
    return [str(m.message["Message-ID"]) for m in smtp.mails]


def received_hooks(hook: WebhookReceiver) -> list[str]:
    return [r.headers["idempotency-key"] for r in hook.requests]


def test_kill_9_at_random_points_loses_nothing_and_repeats_only_the_send_window(
    deployment: Deployment,
    mirror: Mirror,
    receivers: tuple[SmtpReceiver, WebhookReceiver],
    claim_maps: Path,
) -> None:
    seed = int(os.environ.get("SEPWATCH_TEST_FAULT_SEED") or random.SystemRandom().randrange(2**32))
    print(f"\nkill -9 test seed: {seed} (rerun with SEPWATCH_TEST_FAULT_SEED={seed})")
    rng = random.Random(seed)
    smtp, hook = receivers
    configure(deployment, mirror, smtp, hook, claim_maps)
    plan: list[str | float] = [
        *FAULTPOINTS,
        *(rng.uniform(0.5, 7.0) for _ in range(ROUNDS - len(FAULTPOINTS))),
    ]
    rng.shuffle(plan)
    settings = deployment.settings()

    published: list[tuple[str, str, str]] = []
    mail_marks: list[int] = []  # messages received when each daemon life ended
    hook_marks: list[int] = []
    phases: collections.Counter[str] = collections.Counter()
    reached: collections.Counter[str] = collections.Counter()  # fault points the daemon died at
    for round_, crash in enumerate(plan):
        published.insert(0, entry(len(published)))
        mirror.put(FEED_PATH, rss(*published), RSS)
        if isinstance(crash, str):
            deployment.env["SEPWATCH_FAULTPOINT"] = crash
        else:
            deployment.env.pop("SEPWATCH_FAULTPOINT", None)
        daemon = deployment.daemon()
        assert daemon.proc is not None
        if isinstance(crash, str):
            try:
                daemon.proc.wait(timeout=40)
                kind = crash
            except Exception:  # nothing reached the point in time (nothing to send): a timed kill
                kind = f"{crash} (not reached; timed kill)"
        else:
            time.sleep(crash)
            kind = f"timed {crash:.1f} s"
        with App.open(settings) as app:
            if daemon.proc.poll() is None:
                phase = phase_at_kill(app, daemon.log)
                daemon.kill()
            else:
                phase = "at the fault point"
                assert daemon.proc.returncode == -signal.SIGKILL, daemon.log[-3000:]
                reached[str(crash)] += 1
            phases[phase if not isinstance(crash, str) else crash] += 1
            mail_marks.append(len(smtp.mails))
            hook_marks.append(len(hook.requests))
            leases = leases_held(app)
        print(f"round {round_ + 1:2d}: {kind}: killed during {phase}; {leases} deliveries left leased")
    deployment.env.pop("SEPWATCH_FAULTPOINT", None)

    # The last life runs until everything is delivered, then stops cleanly.
    daemon = deployment.daemon()
    guids = [guid for guid, _, _ in published]

    def done() -> Expected | None:
        with App.open(settings) as app:
            expected = settled(app, guids)
        if expected is None:
            return None
        arrived = (
            set(received_emails(smtp)) >= set(expected.email_ids)
            and set(received_hooks(hook)) >= expected.hook_keys
        )
        return expected if arrived else None

    expected = daemon.wait_for(done, "every alert delivered", timeout=300)
    daemon.wait_for_line("sepwatch is running")
    assert daemon.terminate() == 0
    assert deployment.runs(kind="crawl") and all(r.status != "running" for r in deployment.runs())

    # Alerts: one per entry (settled() asserts it), nothing else raised on the same documents.
    assert len(expected.alerts) == ROUNDS
    # Deliveries: everything arrived; a message came twice only across a kill, never within one life.
    emails, hooks = received_emails(smtp), received_hooks(hook)
    assert set(emails) == set(expected.email_ids), "an email nobody expected, or one missing"
    assert set(hooks) == expected.hook_keys
    kills = len(plan)
    repeats = {}
    for name, got, marks in (("email", emails, mail_marks), ("webhook", hooks, hook_marks)):
        life_of = [next((i for i, m in enumerate(marks) if n < m), kills) for n in range(len(got))]
        per_life: dict[tuple[str, int], int] = collections.Counter(zip(got, life_of, strict=True))
        assert all(n == 1 for n in per_life.values()), f"{name}: a message sent twice within one daemon life"
        repeats[name] = len(got) - len(set(got))
        assert repeats[name] <= kills
    print(
        f"kills: {kills} ({', '.join(f'{k} {v}' for k, v in sorted(phases.items()))}); "
        f"alerts {len(expected.alerts)} (expected {ROUNDS}), lost 0, duplicated alerts 0; "
        f"emails {len(emails)} for {len(expected.email_ids)} messages ({repeats['email']} repeats), "
        f"webhooks {len(hooks)} for {len(expected.hook_keys)} ({repeats['webhook']} repeats)"
    )
    # Each kill between a send and its mark must have caused the repeat of that message.
    assert repeats["email"] + repeats["webhook"] >= reached["relay-after-send"]


def test_smtp_outage_queues_email_without_delaying_the_webhook_then_delivers_it_once(
    deployment: Deployment,
    mirror: Mirror,
    receivers: tuple[SmtpReceiver, WebhookReceiver],
    claim_maps: Path,
) -> None:
    smtp, hook = receivers
    configure(deployment, mirror, smtp, hook, claim_maps)
    mirror.put(FEED_PATH, rss(entry(0)), RSS)
    daemon = deployment.daemon()
    smtp.wait_for(1, timeout=90)
    hook.wait_for(1, timeout=90)

    smtp.stop()  # the mail server goes down
    mirror.put(FEED_PATH, rss(entry(1), entry(2), entry(0)), RSS)
    hook.wait_for(3, timeout=90)  # the webhook does not wait for the mail server
    settings = deployment.settings()

    def email_retrying() -> bool:
        with App.open(settings) as app, app.store.session() as s:
            rows = list(s.scalars(select(OutboxRow).where(OutboxRow.channel == "email")))
        return len(rows) == 3 and sum(1 for r in rows if r.status == "pending" and r.attempts >= 2) == 2

    daemon.wait_for(email_retrying, "the email relay failing and retrying")
    assert len(smtp.mails) == 1

    smtp.start()  # back on the same port
    smtp.wait_for(3, timeout=90)
    with App.open(settings) as app:
        daemon.wait_for(lambda: settled(app, ["redcap-00", "redcap-01", "redcap-02"]), "all rows sent")
    assert daemon.terminate() == 0
    emails, hooks = received_emails(smtp), received_hooks(hook)
    assert len(emails) == len(set(emails)) == 3  # each exactly once
    assert len(hooks) == len(set(hooks)) == 3


def test_a_second_signal_ends_a_shutdown_held_up_by_a_hanging_mail_server(
    deployment: Deployment, mirror: Mirror, claim_maps: Path
) -> None:
    with silent_port() as port, webhook_receiver() as hook:
        deployment.configure(
            {
                "feeds": [
                    {"name": "sa2_news", "url": mirror.url + FEED_PATH, "body": "3GPP", "group": "SA2"}
                ],
                "schedule": {"default": "every 1h", "relay_interval_s": 1},
                "matcher": {"claims_dir": str(claim_maps)},
                "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "timeout_s": 600},
                "channels": [{"name": "alice-hook", "type": "webhook", "url": hook.url + "/alice"}],
                "teams": [{"name": "ip-wireless"}],
                "people": [{"name": "alice", "email": "alice@example.com", "teams": ["ip-wireless"]}],
            }
        )
        mirror.put(FEED_PATH, rss(entry(0)), RSS)
        daemon = deployment.daemon()
        settings = deployment.settings()

        def sending() -> bool:  # the relay holds the email row: it waits on the server's greeting
            with App.open(settings) as app, app.store.session() as s:
                row = s.scalar(select(OutboxRow).where(OutboxRow.channel == "email"))
            lease_end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
            return row is not None and row.attempts == 0 and _aware(row.next_attempt_at) > lease_end

        daemon.wait_for(sending, "the relay to hang on the mail server")
        assert daemon.proc is not None
        daemon.proc.send_signal(signal.SIGTERM)
        daemon.wait_for_line("SIGTERM received")
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.proc.wait(timeout=30) == 128 + signal.SIGTERM
        assert "second SIGTERM: exiting now" in daemon.log
        with App.open(settings) as app, app.store.session() as s:
            row = s.scalar(select(OutboxRow).where(OutboxRow.channel == "email"))
        assert row is not None and row.status == "pending"  # not lost: sent once the lease ends


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
