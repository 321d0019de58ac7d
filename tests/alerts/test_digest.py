"""Digests: held deliveries of a daily or weekly reader become one message per recipient and channel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.digest import build_digests
from alerts.pipeline import evaluate, remind
from alerts.relay import relay_due
from index.models import OutboxRow
from sepwatch.app import App
from tests.alerts import events as ev
from tests.alerts.receivers import smtp_server

WEEKLY = """\
  - {name: frank, email: frank@example.com, delivery: weekly, language: zh, follows: {portfolio: own}}
"""


@pytest.fixture
def app(settings_env: dict[str, str], tmp_path: Path) -> Iterator[App]:
    text = ev.PEOPLE.replace("\nportfolio:", "\n" + WEEKLY.rstrip("\n") + "\nportfolio:")
    with App.open(ev.settings_for(settings_env, tmp_path, text)) as opened:
        ev.patent(opened)
        ev.notice(opened)
        ev.spec(opened, "17.6.0", ev.V1)
        ev.match_new(opened)
        evaluate(opened, today=ev.TODAY)
        remind(opened, today=dt.date(2024, 12, 15))
        yield opened


def outbox(app: App, recipient: str) -> list[OutboxRow]:
    with app.store.session() as s:
        return list(
            s.scalars(select(OutboxRow).where(OutboxRow.recipient == recipient).order_by(OutboxRow.id))
        )


def test_daily_digest_bundles_held_rows_in_one_transaction(app: App) -> None:
    held = outbox(app, "carol")
    assert [(r.mode, r.status) for r in held] == [("daily", "held")] * 3  # linked, status, deadline
    assert build_digests(app, "daily") == 1
    rows = outbox(app, "carol")
    (digest,) = [r for r in rows if r.mode == "digest"]
    assert (digest.status, digest.channel, digest.alert_id) == ("pending", "email", None)
    assert digest.payload["alert_ids"] == [r.alert_id for r in held]
    assert digest.payload["address"] == "carol@example.com" and digest.reason == "daily digest of 3 alerts"
    assert all(r.status == "digested" and r.digest_id == digest.id for r in rows if r.mode == "daily")
    assert build_digests(app, "daily") == 0  # nothing held any more
    # The weekly reader is untouched by the daily digest.
    assert {r.status for r in outbox(app, "frank")} == {"held"}
    assert build_digests(app, "weekly") == 1
    with pytest.raises(ValueError, match="unknown digest period 'hourly'"):
        build_digests(app, "hourly")


def test_a_digest_is_delivered_as_one_message_grouped_by_kind(app: App) -> None:
    with smtp_server() as smtp:
        settings = app.settings.model_copy(
            update={"smtp": app.settings.smtp.model_copy(update={"port": smtp.port, "rate_per_minute": 6000})}
        )
        build_digests(app, "weekly")
        with App.open(settings) as mail_app:
            relay_due(mail_app)  # the configured channels: email to this server
        frank = [m for m in smtp.wait_for(1) if m["To"] == "frank@example.com"]
        (mail,) = frank
        assert mail["Subject"] == "[sepwatch] 每周摘要：3 条提醒"
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "窗口期内 (1)" in text and "期限提醒 (1)" in text and "专利状态变化 (1)" in text
        assert "An NR RedCap UE using NR shall provide" in text
        assert text.count("接收原因：关注本方专利组合") == 3
    assert [r.status for r in outbox(app, "frank") if r.mode == "digest"] == ["sent"]
