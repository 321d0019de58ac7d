"""`sepwatch alerts …` and the outbox in `sepwatch status`, as a user runs them: real processes,
real receivers, SQLite and PostgreSQL; a kill -9 inside the alert transaction loses and repeats nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from sepwatch.app import App
from tests.alerts import events as ev
from tests.alerts.receivers import smtp_server, webhook_receiver
from tests.test_cli import sw


@pytest.fixture
def env(settings_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **settings_env, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config")}


def configure(
    settings_env: dict[str, str], tmp_path: Path, extra: dict[str, object] | None = None
) -> list[str]:
    """Write the configuration (people of tests/alerts/events.py, with ``extra`` sections replacing
    theirs), store the events, and return the ``--config`` arguments."""
    data = yaml.safe_load(ev.PEOPLE)
    data.update(extra or {})
    settings = ev.settings_for(settings_env, tmp_path, yaml.safe_dump(data, allow_unicode=True))
    with App.open(settings) as app:
        ev.patent(app)
        ev.notice(app)
        ev.spec(app, "17.6.0", ev.V1)
        ev.match_new(app)
    return ["--config", str(tmp_path / "sepwatch.yaml")]


def listed(env: dict[str, str], cfg: list[str], *args: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads(sw(env, *cfg, "alerts", "list", "--json", *args).stdout)
    return result


def test_evaluate_list_and_acknowledge(
    env: dict[str, str], settings_env: dict[str, str], tmp_path: Path
) -> None:
    cfg = configure(settings_env, tmp_path)
    out = sw(env, *cfg, "alerts", "evaluate", "--today", "2024-12-15").stdout
    assert "3 alerts raised (deadline 1, linked 1, patent-status 1)" in out
    assert "0 alerts raised" in sw(env, *cfg, "alerts", "evaluate", "--today", "2024-12-15").stdout

    alerts = listed(env, cfg)
    assert [a["kind"] for a in alerts] == ["deadline", "patent-status", "linked"]
    linked = alerts[2]
    assert linked["payload"]["closes"] == "2024-12-20"
    reasons = {(d["recipient"], d["channel"]): d["reason"] for d in linked["deliveries"]}
    assert reasons[("alice", "email")] == (
        "owner of claim map CN112345678A via team ip-wireless; follows spec 23.501 via team ran2-watch"
    )
    assert [a["id"] for a in listed(env, cfg, "--kind", "linked")] == [linked["id"]]

    text = sw(env, *cfg, "alerts", "list").stdout
    assert f"#{linked['id']} " in text and "closes 2024-12-20" in text
    assert "pending   email → alice (owner of claim map CN112345678A via team ip-wireless;" in text

    done = sw(env, *cfg, "alerts", "ack", str(linked["id"]), "--by", "alice").stdout
    assert f"acknowledged 1 alert by alice: {linked['id']}" in done
    open_ = listed(env, cfg, "--unacknowledged")
    assert [a["kind"] for a in open_] == ["deadline", "patent-status"]
    acked = listed(env, cfg, "--kind", "linked")[0]
    assert acked["acknowledged_by"] == "alice" and acked["acknowledged_at"]
    missing = sw(env, *cfg, "alerts", "ack", "999", ok=False)
    assert missing.returncode == 1 and "no such alert: 999" in missing.stderr


def test_a_kill_inside_the_alert_transaction_loses_and_repeats_nothing(
    env: dict[str, str], settings_env: dict[str, str], tmp_path: Path
) -> None:
    cfg = configure(settings_env, tmp_path)
    crashed = sw({**env, "SEPWATCH_FAULTPOINT": "alerts-before-commit"}, *cfg, "alerts", "evaluate", ok=False)
    assert crashed.returncode == -9  # SIGKILL inside the transaction, after the alerts were inserted
    assert listed(env, cfg) == []
    report = json.loads(sw(env, *cfg, "alerts", "evaluate", "--today", "2024-10-01", "--json").stdout)
    assert report["kinds"] == {"linked": 1, "patent-status": 1}
    assert (
        json.loads(sw(env, *cfg, "alerts", "evaluate", "--today", "2024-10-01", "--json").stdout)["alerts"]
        == []
    )
    alerts = listed(env, cfg)
    assert len(alerts) == 2
    assert sum(len(a["deliveries"]) for a in alerts) == report["deliveries"]


def test_test_message_through_real_channels(
    env: dict[str, str], settings_env: dict[str, str], tmp_path: Path
) -> None:
    with smtp_server() as smtp, webhook_receiver() as hook:
        cfg = configure(
            settings_env,
            tmp_path,
            {
                "smtp": smtp.settings(),
                "channels": [
                    {"name": "ip-chat", "type": "webhook", "url": hook.url + "/ip"},
                    {"name": "alice-im", "type": "webhook", "url": hook.url + "/alice"},
                    {"name": "ops-chat", "type": "webhook", "url": hook.url + "/ops"},
                ],
            },
        )
        ok = sw(env, *cfg, "alerts", "test", "ip-chat", "--language", "zh")
        assert ok.stdout.strip() == "sent: test message to ip-chat"
        (request,) = hook.wait_for(1)
        assert request.path == "/ip" and request.json()["subject"] == "[sepwatch] 测试消息：ip-chat"

        mail = sw(env, *cfg, "alerts", "test", "email", "--to", "ip@example.com")
        assert "sent: test message to email <ip@example.com>" in mail.stdout
        (message,) = smtp.wait_for(1)
        assert message["To"] == "ip@example.com" and message["Subject"] == "[sepwatch] Test message: email"

        hook.respond(403, {"error": "forbidden"})
        refused = sw(env, *cfg, "alerts", "test", "ip-chat", ok=False)
        assert refused.returncode == 1
        assert "failed: ip-chat:" in refused.stderr and "403" in refused.stderr
        assert "will not succeed on retry" in refused.stderr

        unknown = sw(env, *cfg, "alerts", "test", "nope", ok=False)
        assert (
            unknown.returncode == 1
            and "no channel named 'nope'; channels: alice-im, email, ip-chat, ops-chat" in unknown.stderr
        )
        no_address = sw(env, *cfg, "alerts", "test", "email", ok=False)
        assert no_address.returncode == 2 and "needs --to ADDRESS" in no_address.stderr


def test_relay_dead_letters_in_status_and_retry(
    env: dict[str, str], settings_env: dict[str, str], tmp_path: Path
) -> None:
    with smtp_server() as smtp, webhook_receiver() as hook:
        cfg = configure(
            settings_env,
            tmp_path,
            {
                "smtp": smtp.settings(rate_per_minute=6000),
                "channels": [
                    {"name": "ip-chat", "type": "webhook", "url": hook.url + "/ip"},
                    {"name": "alice-im", "type": "webhook", "url": hook.url + "/alice"},
                    {"name": "ops-chat", "type": "webhook", "url": hook.url + "/ops"},
                ],
            },
        )
        sw(env, *cfg, "alerts", "evaluate", "--today", "2024-10-01")
        hook.respond(410, "this webhook was deleted")  # permanent: every IM message is dead at once
        relayed = json.loads(sw(env, *cfg, "alerts", "relay", "--json").stdout)
        assert (relayed["sent"], relayed["dead"]) == (4, 4)  # 4 emails sent, 4 webhook posts dead
        smtp.wait_for(4)

        status = json.loads(sw(env, *cfg, "status", "--json").stdout)["outbox"]
        assert (status["pending"], status["held"], status["sent"], status["dead"]) == (0, 2, 4, 4)
        dead = status["dead_letters"]
        assert {(d["channel"], d["recipient"]) for d in dead} == {
            ("ip-chat", "team:ip-wireless"),
            ("alice-im", "alice"),
        }
        assert all("410" in d["last_error"] for d in dead)
        text = sw(env, *cfg, "status").stdout
        assert "outbox:  0 pending, 2 held for digests, 4 sent, 4 dead" in text
        assert f"dead #{dead[0]['id']} {dead[0]['channel']} → " in text and "sepwatch alerts retry" in text

        hook.reset()
        sent = next(d["id"] for a in listed(env, cfg) for d in a["deliveries"] if d["status"] == "sent")
        retried = sw(env, *cfg, "alerts", "retry", str(dead[0]["id"]), str(sent)).stdout
        assert retried.startswith(f"1 delivery pending again: {dead[0]['id']}")
        assert f"outbox row {sent} is sent, not dead: left as it is" in retried
        assert "3 deliveries pending again" in sw(env, *cfg, "alerts", "retry", "--dead").stdout
        assert "4 sent, 0 to retry, 0 dead" in sw(env, *cfg, "alerts", "relay").stdout
        hook.wait_for(4)
        assert json.loads(sw(env, *cfg, "status", "--json").stdout)["outbox"]["dead"] == 0
        assert sw(env, *cfg, "alerts", "retry", "4242", ok=False).returncode == 1

        digests = sw(env, *cfg, "alerts", "digest", "daily").stdout
        assert digests.strip() == "1 daily digest queued"  # carol's two held alerts
        sw(env, *cfg, "alerts", "relay")
        (digest,) = [m for m in smtp.wait_for(5) if m["To"] == "carol@example.com"]
        assert digest["Subject"] == "[sepwatch] Daily digest: 2 alerts"


def test_everything_is_routed_to_nobody_but_still_listed(
    env: dict[str, str], settings_env: dict[str, str], tmp_path: Path
) -> None:
    cfg = configure(settings_env, tmp_path, {"teams": [], "people": []})
    out = sw(env, *cfg, "alerts", "evaluate", "--today", "2024-10-01").stdout
    assert "routed to nobody (kept, see `sepwatch alerts list`)" in out
    assert "to nobody: no person or team follows what it concerns" in sw(env, *cfg, "alerts", "list").stdout
