"""A store with an alert backlog, for the relay and restart benchmarks.

One alert is raised for real (the RedCap spec version of the alert tests matched against its claim
map, evaluated by the alert pipeline, routed to alice by email and webhook); the backlog is that
alert's payload and deliveries copied under fresh dedupe keys, so every queued message renders
like a real one. Unevaluated events are copies of the real match after the alerts' cursor.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.pipeline import evaluate
from config import Settings, load_settings
from index.alerts import Delivery, NewAlert, insert_alert
from index.models import AlertRow, MatchRow, OutboxRow
from sepwatch.app import App
from tests.alerts import events as ev

CHUNK = 1000


@dataclass
class Backlog:
    settings: Settings
    config: Path
    env: dict[str, str]


def deployment(
    root: Path, smtp: dict[str, Any], hook_url: str, *, unlimited: bool, store_url: str | None
) -> Backlog:
    """A configuration under ``root``: alice by email and on a webhook channel, owner of the RedCap map."""
    maps = root / "maps"
    maps.mkdir(parents=True, exist_ok=True)
    (maps / "cn112345678.yaml").write_text(ev.CLAIM_MAP, encoding="utf-8")
    channel: dict[str, Any] = {"name": "alice-hook", "type": "webhook", "url": hook_url + "/alice"}
    if unlimited:  # the relay's own throughput, not the services' published limits
        smtp = {**smtp, "rate_per_minute": 1_000_000}
        channel["rate_per_minute"] = 1_000_000
    config = {
        "matcher": {"claims_dir": str(maps)},
        "smtp": smtp,
        "channels": [channel],
        "teams": [{"name": "ip-wireless"}],
        "people": [
            {
                "name": "alice",
                "email": "alice@example.com",
                "channels": ["alice-hook"],
                "teams": ["ip-wireless"],
            }
        ],
        "web": {"enabled": False},
    }
    path = root / "sepwatch.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {"SEPWATCH_DATA_DIR": str(root / "data"), "HOME": str(root)}
    if store_url:
        env["SEPWATCH_STORE__URL"] = store_url
    return Backlog(load_settings(path, env=env), path, env)


def seed(app: App, alerts: int, events: int) -> None:
    """``alerts`` alerts with their pending deliveries, and ``events`` matches not yet evaluated."""
    ev.spec(app, "17.6.0", ev.V1)
    [match_id] = ev.match_new(app).matches
    report = evaluate(app)
    assert report.alerts, "the real alert was not raised"
    with app.store.session() as s:
        alert = s.get(AlertRow, report.alerts[0])
        assert alert is not None
        deliveries = [
            Delivery(r.recipient, r.channel, r.mode, r.reason, r.payload)
            for r in s.scalars(select(OutboxRow).where(OutboxRow.alert_id == alert.id))
        ]
        template = NewAlert(alert.dedupe_key, alert.kind, alert.thread, alert.title, alert.payload)
        match = s.get(MatchRow, match_id)
        assert match is not None
        match_values = {c.key: getattr(match, c.key) for c in MatchRow.__table__.columns if c.key != "id"}
    now = dt.datetime.now(dt.UTC)
    for start in range(1, alerts, CHUNK):
        with app.store.session(write=True) as s:
            for i in range(start, min(start + CHUNK, alerts)):
                copy = NewAlert(
                    f"bench:{i}", template.kind, template.thread, f"{template.title} #{i}", template.payload
                )
                insert_alert(s, copy, deliveries, now)
    for start in range(0, events, CHUNK):
        with app.store.session(write=True) as s:
            rows = [{**match_values, "created_at": now} for _ in range(start, min(start + CHUNK, events))]
            s.execute(insert(MatchRow), rows)
