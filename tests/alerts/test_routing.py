"""Routing: who gets an alert, on which channels, in which mode, and the reason each delivery gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from alerts.pipeline import evaluate
from alerts.routing import Router, Subject, group_key, names_patent, spec_key
from config import Settings
from index import alerts as store_alerts
from sepwatch.app import App
from tests.alerts import events as ev


def settings(text: str) -> Settings:
    return Settings.model_validate(yaml.safe_load(text))


def table(router: Router, subject: Subject) -> list[tuple[str, str, str, str, str]]:
    return sorted((d.recipient, d.channel, d.mode, d.status, d.reason) for d in router.route(subject))


CLAIMS = Subject(
    patents=frozenset({"CN112345678A", "EP3456789A1", "CN202310123456"}),
    claim_map="CN112345678A",
    owners=("ip-wireless",),
    specs=frozenset({spec_key("TS 23.501")}),
    groups=frozenset({group_key("SA2")}),
)


def test_owners_followers_and_teams_with_one_message_per_channel() -> None:
    router = Router(settings(ev.PEOPLE))
    assert table(router, CLAIMS) == [
        (
            "alice",
            "alice-im",
            "immediate",
            "pending",
            "owner of claim map CN112345678A via team ip-wireless; follows spec 23.501 via team ran2-watch",
        ),
        # alice is in two teams that both get it: one email, both reasons.
        (
            "alice",
            "email",
            "immediate",
            "pending",
            "owner of claim map CN112345678A via team ip-wireless; follows spec 23.501 via team ran2-watch",
        ),
        ("carol", "email", "daily", "held", "follows patent EP3456789"),
        ("team:ip-wireless", "ip-chat", "immediate", "pending", "owner of claim map CN112345678A"),
        # bob follows the portfolio (status changes and deadlines), dave follows RAN2: neither.
    ]
    (alice_mail,) = [d for d in router.route(CLAIMS) if d.channel == "email" and d.recipient == "alice"]
    assert alice_mail.payload["address"] == "alice@example.com" and alice_mail.payload["language"] == "zh"
    assert alice_mail.payload["reasons"][0] == {"why": "owner", "what": "CN112345678A", "via": "ip-wireless"}


def test_portfolio_followers_get_status_changes_of_own_or_all_patents() -> None:
    text = ev.PEOPLE.replace(
        "\nportfolio:", "\n  - {name: erin, email: erin@example.com, follows: {portfolio: all}}\nportfolio:"
    )
    router = Router(settings(text))
    own = Subject(patents=frozenset({"CN202310123456"}), portfolio=True, own=True)
    competitor = Subject(patents=frozenset({"CN202399999999"}), portfolio=True, own=False)
    assert [(r, why) for r, _, _, _, why in table(router, own)] == [
        ("bob", "follows the portfolio (own)"),
        ("erin", "follows the portfolio (all watched patents)"),
    ]
    assert [(r, why) for r, _, _, _, why in table(router, competitor)] == [
        ("erin", "follows the portfolio (all watched patents)")
    ]


def test_a_channel_named_by_a_team_and_a_person_gets_one_message() -> None:
    text = ev.PEOPLE.replace("channels: [alice-im], teams", "channels: [alice-im, ip-chat], teams")
    rows = [d for d in Router(settings(text)).route(CLAIMS) if d.channel == "ip-chat"]
    assert len(rows) == 1 and rows[0].recipient == "team:ip-wireless"


def test_no_email_without_an_smtp_server() -> None:
    text = ev.PEOPLE.replace("smtp: {host: 127.0.0.1, port: 2525, security: none}\n", "")
    assert {d.channel for d in Router(settings(text)).route(CLAIMS)} == {"alice-im", "ip-chat"}


def test_patent_numbers_groups_and_specs_in_any_spelling() -> None:
    assert names_patent("EP3456789", "EP3456789A1") and names_patent("ep 3456789 a1", "EP3456789A1")
    assert names_patent("CN202310123456.1", "CN202310123456")
    assert not names_patent("EP345678", "EP3456789A1") and not names_patent("EP3456789", "EP34567890A1")
    assert group_key("R2") == group_key("RAN WG2") == group_key("ran2") == "ran2"
    assert spec_key("3GPP TS 38.331") == spec_key("38331") == spec_key("TS 38.331 V18.4.0") == "38.331"
    assert spec_key("RFC  9000") == "rfc 9000"


@pytest.fixture
def app(settings_env: dict[str, str], tmp_path: Path) -> Iterator[App]:
    with App.open(ev.settings_for(settings_env, tmp_path)) as opened:
        yield opened


def rows_of(app: App, kind: str) -> list[tuple[str, str, str, str]]:
    alerts = [a for a in store_alerts.list_alerts(app.store) if a.kind == kind]
    rows = store_alerts.deliveries_of(app.store, [a.id for a in alerts])
    return sorted((r.recipient, r.channel, r.status, r.reason) for a in alerts for r in rows[a.id])


def test_stored_alerts_carry_their_reasons(app: App) -> None:
    ev.patent(app)
    ev.notice(app)
    ev.spec(app, "17.6.0", ev.V1)
    ev.match_new(app)
    evaluate(app, today=ev.TODAY)
    linked = rows_of(app, "linked")
    # The linked alert also concerns the portfolio: bob (own portfolio) gets it.
    assert ("bob", "email", "pending", "follows the portfolio (own)") in linked
    assert ("carol", "email", "held", "follows patent EP3456789") in linked
    assert len([r for r in linked if r[0] == "alice"]) == 2  # email + her IM channel
    # The status change of the application reaches the claim-map owners through the family.
    status = rows_of(app, "patent-status")
    assert ("team:ip-wireless", "ip-chat", "pending", "owner of claim map CN112345678A") in status
    assert ("carol", "email", "held", "follows patent EP3456789") in status


def test_an_alert_nobody_follows_is_still_stored(settings_env: dict[str, str], tmp_path: Path) -> None:
    with App.open(ev.settings_for(settings_env, tmp_path, "")) as app:
        ev.spec(app, "17.6.0", ev.V1)
        ev.match_new(app)
        report = evaluate(app, today=ev.TODAY)
        assert report.unrouted == report.alerts and len(report.alerts) == 1
        (alert,) = store_alerts.list_alerts(app.store)
        assert alert.kind == "match"
        assert store_alerts.deliveries_of(app.store, [alert.id]) == {alert.id: []}
