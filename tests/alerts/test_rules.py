"""Alert rules on real stored events (SQLite and PostgreSQL): each fires once and only once, the
linked alert names the window and the day it closes, reminders fall due once per offset (late
rather than never), source health alerts on transitions, and a crash inside the transaction
leaves nothing behind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from alerts import pipeline, rules
from alerts.pipeline import evaluate, remind
from index import alerts as store_alerts
from index.models import AlertRow, Cursor, OutboxRow
from sepwatch.app import App
from tests.alerts import events as ev


@pytest.fixture
def app(settings_env: dict[str, str], tmp_path: Path) -> Iterator[App]:
    with App.open(ev.settings_for(settings_env, tmp_path)) as opened:
        yield opened


def kinds(app: App) -> list[tuple[str, str]]:
    return [(a.kind, a.title) for a in reversed(store_alerts.list_alerts(app.store))]


def counts(app: App) -> tuple[int, int]:
    with app.store.session() as s:
        return (
            s.scalar(select(func.count()).select_from(AlertRow)) or 0,
            s.scalar(select(func.count()).select_from(OutboxRow)) or 0,
        )


def test_new_match_raises_one_alert_with_the_evidence(app: App) -> None:
    ev.spec(app, "17.6.0", ev.V1)
    assert ev.match_new(app).matches
    first = evaluate(app, today=ev.TODAY)
    assert dict(first.kinds) == {"match": 1}
    assert evaluate(app, today=ev.TODAY).alerts == []  # once and only once
    (alert,) = store_alerts.list_alerts(app.store)
    p = alert.payload
    assert (alert.kind, alert.thread) == ("match", "patent:CN112345678A")
    assert (p["patent"], p["claim"], p["document"], p["version"], p["all_elements"]) == (
        "CN112345678A",
        1,
        "TS 23.501",
        "17.6.0",
        True,
    )
    by_feature = {e["feature"]: e for e in p["evidence"]}
    assert by_feature["1A"]["clause"] == "5.41" and by_feature["1A"]["quote"] in ev.V1
    assert by_feature["1A"]["normative"] == "shall"
    assert by_feature["1A"]["feature_text"].startswith("providing a reduced capability indication")


def test_linked_alert_names_the_open_window_and_the_day_it_closes(app: App) -> None:
    ev.patent(app)
    ev.notice(app)  # 210307 of 2024-09-20, electronic: voluntary amendment until 2024-12-20
    ev.spec(app, "17.6.0", ev.V1)
    ev.match_new(app)
    report = evaluate(app, today=ev.TODAY)
    assert dict(report.kinds) == {"linked": 1, "patent-status": 1}
    linked = next(a for a in store_alerts.list_alerts(app.store) if a.kind == "linked")
    assert linked.payload["cause"] == "match"
    assert linked.payload["closes"] == ev.WINDOW_CLOSES and linked.payload["days_left"] == 80
    (window,) = linked.payload["windows"]
    assert (window["application"], window["window"], window["rule"]) == (
        ev.APPLICATION,
        "amendment",
        "cn-voluntary-amendment-invention",
    )
    assert "Rule 57(1)" in window["legal_basis"]
    assert f"closes {ev.WINDOW_CLOSES}" in linked.title and "reads on TS 23.501 17.6.0" in linked.title
    # The match and its window are one alert, not a match alert beside a linked one.
    assert [k for k, _ in kinds(app)].count("match") == 0

    # A new version that changes the mapped clause: drift, linked to the same window.
    ev.spec(app, "17.7.0", ev.V2)
    assert ev.match_new(app).drift
    again = evaluate(app, today=ev.TODAY)
    assert again.kinds["linked"] == 2  # the re-read match and the drift
    drift = next(a for a in store_alerts.list_alerts(app.store) if a.payload.get("cause") == "drift")
    p = drift.payload
    assert (p["spec"], p["clause"], p["feature"], p["version"], p["previous_version"]) == (
        "TS 23.501",
        "5.41",
        "1A",
        "17.7.0",
        "17.6.0",
    )
    assert p["still_reads"] is False and "RRC signalling" in p["diff"] and p["evidence"] in ev.V1
    assert p["closes"] == ev.WINDOW_CLOSES
    assert evaluate(app, today=ev.TODAY).alerts == []


def test_a_match_before_the_examination_request_is_linked_to_that_window(app: App) -> None:
    """Claims of a CN invention can be amended when substantive examination is requested (Rule 57(1)):
    a match on an application still waiting for that request names the request's deadline."""
    ev.patent(app)  # filed 2023-03-01, no priority, no request yet
    ev.spec(app, "17.6.0", ev.V1)
    ev.match_new(app)
    assert dict(evaluate(app, today=ev.TODAY).kinds) == {"linked": 1}
    (linked,) = store_alerts.list_alerts(app.store)
    (window,) = linked.payload["windows"]
    assert (window["window"], window["rule"]) == ("examination-request", "cn-examination-request")
    assert linked.payload["closes"] == "2026-03-02"  # 3 years: Sunday 2026-03-01 rolls over to Monday


def test_a_closed_window_is_not_linked(app: App) -> None:
    ev.patent(app)
    ev.notice(app)
    ev.spec(app, "17.6.0", ev.V1)
    ev.match_new(app)
    # Evaluated after the window ended (optional window: "ended", not overdue): a plain match.
    evaluate(app, today=dt.date(2025, 1, 15))
    assert sorted(k for k, _ in kinds(app)) == ["match", "patent-status"]


def test_linked_off_gives_plain_match_alerts(settings_env: dict[str, str], tmp_path: Path) -> None:
    settings = ev.settings_for(settings_env, tmp_path, ev.PEOPLE + "alerts: {linked: false}\n")
    with App.open(settings) as app:
        ev.patent(app)
        ev.notice(app)
        ev.spec(app, "17.6.0", ev.V1)
        ev.match_new(app)
        assert dict(evaluate(app, today=ev.TODAY).kinds) == {"match": 1, "patent-status": 1}


def test_rule_settings_filter_what_raises_alerts(settings_env: dict[str, str], tmp_path: Path) -> None:
    text = ev.PEOPLE + "alerts: {new_match: all-elements, drift: false, patent_status: own}\n"
    with App.open(ev.settings_for(settings_env, tmp_path, text)) as app:
        ev.spec(app, "17.6.0", ev.V1)
        ev.match_new(app)
        ev.spec(app, "17.7.0", ev.V2)
        assert ev.match_new(app).drift
        ev.patent(app)
        ev.notice(app, code="210401", text="第一次审查意见通知书")  # own application
        # A competitor's application: not in portfolio.own.
        from crawlers.items import PatentEvent
        from index.patents import add_events

        add_events(
            app.store,
            [
                PatentEvent(
                    "cnipa_import", "CN", "CN202399999999", "210401", dt.date(2024, 9, 1), "OA", "notice"
                ),
                # An unknown document on the own application: not a status change.
                PatentEvent(
                    "cnipa_import",
                    "CN",
                    ev.APPLICATION,
                    "XYZ",
                    dt.date(2024, 9, 2),
                    "Misc letter",
                    "document",
                    False,
                ),
            ],
        )
        report = evaluate(app, today=ev.TODAY)
        # Both matches cover all elements; the response window of the office action links them. No drift.
        assert dict(report.kinds) == {"linked": 2, "patent-status": 1}
        status = next(a for a in store_alerts.list_alerts(app.store) if a.kind == "patent-status")
        assert status.payload["application"] == ev.APPLICATION and status.payload["code"] == "210401"
        # The office-action response window it opens is named in the alert.
        assert [d["rule"] for d in status.payload["opens"]] == ["cn-oa-response-first"]


def test_partial_matches_alert_only_when_asked(settings_env: dict[str, str], tmp_path: Path) -> None:
    partial = (
        "An NR RedCap UE using NR shall provide an NR RedCap indication to the NG-RAN during the "
        "Random Access procedure."
    )
    for mode, expected in (("partial", {"match": 1}), ("all-elements", {})):
        folder = tmp_path / mode
        folder.mkdir()
        env = {**settings_env, "SEPWATCH_DATA_DIR": str(folder / "data")}
        if settings_env["SEPWATCH_STORE__URL"].startswith("sqlite"):
            env["SEPWATCH_STORE__URL"] = f"sqlite:///{folder / 'store.sqlite'}"
        elif mode != "partial":
            continue  # one PostgreSQL database per test: the second mode runs on SQLite only
        with App.open(ev.settings_for(env, folder, ev.PEOPLE + f"alerts: {{new_match: {mode}}}\n")) as app:
            ev.spec(app, "17.6.0", partial)
            assert len(ev.match_new(app).matches) == 1
            assert dict(evaluate(app, today=ev.TODAY).kinds) == expected, mode
            if expected:
                (alert,) = store_alerts.list_alerts(app.store)
                assert alert.payload["all_elements"] is False
                assert (alert.payload["covered"], alert.payload["features"]) == (1, 2)
                assert "1/2 features" in alert.title


def test_replaying_events_after_a_lost_cursor_raises_nothing_twice(app: App) -> None:
    ev.patent(app)
    ev.notice(app)
    ev.spec(app, "17.6.0", ev.V1)
    ev.match_new(app)
    evaluate(app, today=ev.TODAY)
    before = counts(app)
    with app.store.session(write=True) as s:
        s.execute(delete(Cursor).where(Cursor.name.like("alerts:%")))
    replay = evaluate(app, today=ev.TODAY)
    assert replay.events == 2 and replay.alerts == []
    assert counts(app) == before


def test_a_crash_inside_the_transaction_leaves_nothing_and_the_rerun_raises_once(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    ev.patent(app)
    ev.notice(app)
    ev.spec(app, "17.6.0", ev.V1)
    ev.match_new(app)

    def crash(name: str) -> None:
        if name == "alerts-before-commit":
            raise RuntimeError("power cut")

    monkeypatch.setattr(pipeline, "checkpoint", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        evaluate(app, today=ev.TODAY)
    assert counts(app) == (0, 0)
    assert store_alerts.cursor_position(app.store, "alerts:matches") == 0
    monkeypatch.undo()
    first = evaluate(app, today=ev.TODAY)
    assert dict(first.kinds) == {"linked": 1, "patent-status": 1}
    alerts, rows = counts(app)
    assert alerts == 2 and rows == first.deliveries > 0
    assert evaluate(app, today=ev.TODAY).alerts == []
    assert counts(app) == (alerts, rows)


def test_deadline_reminders_once_per_offset_and_late_rather_than_never(app: App) -> None:
    ev.patent(app)
    ev.notice(app)  # voluntary amendment due 2024-12-20 (optional window)
    ev.notice(app, code="210401", date=dt.date(2024, 9, 10), text="第一次审查意见通知书")  # due 2025-01-10

    def steps(day: dt.date) -> list[str]:
        report = remind(app, today=day)
        rows = store_alerts.alerts_by_id(app.store, report.alerts).values()
        return sorted(f"{a.payload['rule']}:{a.payload['reminder']}" for a in rows)

    assert steps(dt.date(2024, 11, 1)) == []  # 49 days before the first: nothing due yet
    assert steps(dt.date(2024, 11, 20)) == ["cn-voluntary-amendment-invention:30d"]
    assert steps(dt.date(2024, 11, 20)) == []  # the daily run again: nothing twice
    assert steps(dt.date(2024, 11, 21)) == []
    # The daemon was down from 2024-12-01 to 2024-12-15: the 7-day reminder comes late, once.
    assert steps(dt.date(2024, 12, 15)) == [
        "cn-oa-response-first:30d",
        "cn-voluntary-amendment-invention:7d",
    ]
    assert steps(dt.date(2024, 12, 16)) == []
    assert steps(dt.date(2024, 12, 19)) == ["cn-voluntary-amendment-invention:1d"]
    # An optional window that passes is not overdue; the office-action reply is.
    assert steps(dt.date(2024, 12, 21)) == []
    assert steps(dt.date(2025, 1, 11)) == ["cn-oa-response-first:overdue"]
    assert steps(dt.date(2025, 1, 12)) == []
    overdue = next(a for a in store_alerts.list_alerts(app.store) if a.payload.get("reminder") == "overdue")
    assert overdue.payload["due"] == "2025-01-10" and overdue.payload["overdue"] is True
    assert overdue.payload["own"] is True and overdue.thread == f"patent:{ev.APPLICATION}"


def test_milestone_reminders_at_the_configured_offsets(app: App) -> None:
    ev.milestone(app, "3gpp:meeting:1", dt.date(2024, 10, 15), group="RAN2")
    ev.milestone(app, "3gpp:freeze:Rel-19:stage3", dt.date(2024, 10, 14), kind="freeze", group=None)
    ev.milestone(app, "3gpp:other:1", dt.date(2024, 10, 15), kind="plenary-photo", group="RAN2")
    ev.milestone(app, "3gpp:meeting:2", dt.date(2024, 10, 15), group="RAN1")
    from crawlers.items import Milestone
    from index import milestones

    milestones.upsert(
        app.store,
        Milestone(
            "threegpp_meetings",
            "3gpp:meeting:2",
            "meeting",
            "3GPP RAN1 meeting",
            dt.date(2024, 10, 15),
            body="3GPP",
            group="RAN1",
            status="cancelled",
        ),
    )

    def steps(day: dt.date) -> list[str]:
        report = remind(app, today=day)
        rows = store_alerts.alerts_by_id(app.store, report.alerts).values()
        return sorted(f"{a.payload['key']}:{a.payload['reminder']}" for a in rows)

    assert steps(dt.date(2024, 9, 29)) == []  # 15 days before the freeze: outside 14/3/0
    assert steps(dt.date(2024, 9, 30)) == ["3gpp:freeze:Rel-19:stage3:14d"]
    assert steps(dt.date(2024, 10, 1)) == ["3gpp:meeting:1:14d"]
    assert steps(dt.date(2024, 10, 2)) == []
    assert steps(dt.date(2024, 10, 12)) == ["3gpp:freeze:Rel-19:stage3:3d", "3gpp:meeting:1:3d"]
    # The freeze day passed unseen (no run on 2024-10-14): a past milestone is not announced.
    assert steps(dt.date(2024, 10, 15)) == ["3gpp:meeting:1:0d"]
    assert steps(dt.date(2024, 10, 16)) == []
    meeting = next(a for a in store_alerts.list_alerts(app.store) if a.payload.get("reminder") == "0d")
    assert meeting.payload["group"] == "RAN2" and meeting.payload["date"] == "2024-10-15"
    # dave follows RAN2: the meeting reaches him; the Rel-19 freeze reaches him as a 3GPP group follower.
    rows = store_alerts.deliveries_of(app.store, [meeting.id])[meeting.id]
    assert [(r.recipient, r.reason) for r in rows] == [("dave", "follows group RAN2")]
    freeze = next(
        a for a in store_alerts.list_alerts(app.store) if a.payload.get("milestone_kind") == "freeze"
    )
    rows = store_alerts.deliveries_of(app.store, [freeze.id])[freeze.id]
    assert ("dave", "follows 3GPP group RAN2") in [(r.recipient, r.reason) for r in rows]


def test_source_health_alerts_on_the_transitions_only(app: App) -> None:
    def step() -> list[str]:
        report = evaluate(app, today=ev.TODAY)
        return sorted(report.kinds.elements())

    for _ in range(5):
        ev.crawl_run(app, "threegpp_tdocs", ok=False)
    assert step() == []  # failing, not yet unhealthy (6 failures by default)
    ev.crawl_run(app, "threegpp_tdocs", ok=False, error="HTTP 503 <b>Service Unavailable</b>")
    assert step() == ["source-unhealthy"]
    assert step() == []
    ev.crawl_run(app, "threegpp_tdocs", ok=False)
    assert step() == []  # the same failing streak
    ev.crawl_run(app, "threegpp_tdocs", ok=True)
    assert step() == ["source-recovered"]
    assert step() == []
    # A short failing streak that recovers was never alerted: no "recovered" either.
    ev.crawl_run(app, "threegpp_tdocs", ok=False)
    ev.crawl_run(app, "threegpp_tdocs", ok=True)
    assert step() == []
    alerts = {a.kind: a for a in store_alerts.list_alerts(app.store)}
    bad = alerts["source-unhealthy"].payload
    assert bad["source"] == "threegpp_tdocs" and bad["consecutive_failures"] == 6
    assert bad["last_error"] == "HTTP 503 <b>Service Unavailable</b>"
    assert alerts["source-recovered"].payload["failed_runs"] == 7
    # Routed to the team that follows sources (its chat), nobody else.
    rows = store_alerts.deliveries_of(app.store, [alerts["source-unhealthy"].id])[
        alerts["source-unhealthy"].id
    ]
    assert [(r.recipient, r.channel, r.reason) for r in rows] == [
        ("team:ops", "ops-chat", "follows source health")
    ]


def test_the_cursor_moves_past_settled_events_only(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL ids can commit out of order, so the cursor stays behind events younger than
    COMMIT_GRACE (they are read again, and found done); on SQLite it moves at once."""
    ev.spec(app, "17.6.0", ev.V1)
    (match_id,) = ev.match_new(app).matches
    evaluate(app, today=ev.TODAY)
    postgres = app.store.engine.dialect.name == "postgresql"
    assert store_alerts.cursor_position(app.store, "alerts:matches") == (0 if postgres else match_id)
    again = evaluate(app, today=ev.TODAY)
    assert (again.events, again.alerts) == ((1 if postgres else 0), [])
    monkeypatch.setattr(pipeline, "COMMIT_GRACE", dt.timedelta(0))
    evaluate(app, today=ev.TODAY)
    assert store_alerts.cursor_position(app.store, "alerts:matches") == match_id
    assert evaluate(app, today=ev.TODAY).events == 0
    assert counts(app)[0] == 1


def test_an_event_whose_alert_failed_is_tried_again(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """A passing error while building one alert holds the cursor at that event: the next evaluation
    raises it. Events after it are alerted at once, and not twice."""
    monkeypatch.setattr(pipeline, "COMMIT_GRACE", dt.timedelta(0))
    ev.spec(app, "17.6.0", ev.V1)
    (match_id,) = ev.match_new(app).matches
    real = rules.match_alert

    def flaky(ctx: Any, row: Any) -> Any:
        raise OSError("database went away")

    monkeypatch.setattr(rules, "match_alert", flaky)
    failed = evaluate(app, today=ev.TODAY)
    assert failed.errors and "database went away" in failed.errors[0]
    assert store_alerts.cursor_position(app.store, "alerts:matches") < match_id
    assert counts(app)[0] == 0
    monkeypatch.setattr(rules, "match_alert", real)
    assert dict(evaluate(app, today=ev.TODAY).kinds) == {"match": 1}
    assert store_alerts.cursor_position(app.store, "alerts:matches") == match_id


def test_an_event_that_keeps_failing_is_given_up_after_a_while(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "COMMIT_GRACE", dt.timedelta(0))
    monkeypatch.setattr(pipeline, "RETRY_FAILED_FOR", dt.timedelta(0))  # as if a day had passed
    ev.spec(app, "17.6.0", ev.V1)
    (match_id,) = ev.match_new(app).matches

    def broken(ctx: Any, row: Any) -> Any:
        raise ValueError("a bug in one alert")

    monkeypatch.setattr(rules, "match_alert", broken)
    assert evaluate(app, today=ev.TODAY).errors
    assert store_alerts.cursor_position(app.store, "alerts:matches") == match_id
    assert evaluate(app, today=ev.TODAY).events == 0
