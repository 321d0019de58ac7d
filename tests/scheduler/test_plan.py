"""Which sources the daemon schedules, and how: a source is scheduled when it has something to follow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config import ConfigError, Settings, load_settings
from scheduler.daemon import same_schedule
from scheduler.plan import configured_sources, source_schedules, unknown_scheduled_sources
from scheduler.triggers import parse_schedule

FEED = {"name": "etsi_news", "url": "https://www.etsi.org/feed"}
LISTING = {
    "name": "ieee_mentor",
    "url": "https://mentor.ieee.org/802.11/documents",
    "row": "tr",
    "title": "td",
}


def settings(**data: Any) -> Settings:
    return Settings.model_validate(data)


def test_embedded_defaults_schedule_no_crawl() -> None:
    assert configured_sources(settings()) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"3gpp": {"groups": ["RAN2"]}}, ["threegpp_meetings", "threegpp_tdocs", "threegpp_releases"]),
        ({"3gpp": {"specs": ["38.331"]}}, ["threegpp_specs", "threegpp_releases"]),
        (
            {"ietf": {"drafts": ["draft-ietf-quic-multipath"]}},
            ["ietf_drafts", "ietf_rfcindex", "ietf_meetings", "ietf_ipr"],
        ),
        ({"portfolio": {"own": ["EP3000000"]}}, []),  # no office credentials: nothing to ask
        ({"portfolio": {"own": ["EP3000000"]}, "epo": {"client_id": "k", "client_secret": "s"}}, ["epo_ops"]),
        ({"portfolio": {"competitors": ["ACME"]}, "uspto": {"api_key": "k"}}, []),  # USPTO: own numbers only
        ({"portfolio": {"own": ["US16123456"]}, "uspto": {"api_key": "k"}}, ["uspto_odp"]),
        ({"feeds": [FEED], "listings": [LISTING]}, ["etsi_news", "ieee_mentor"]),
    ],
)
def test_a_source_is_scheduled_when_it_has_something_to_follow(
    data: dict[str, Any], expected: list[str]
) -> None:
    assert configured_sources(settings(**data)) == expected


def test_naming_a_source_in_schedule_sources_schedules_it_and_off_turns_one_off() -> None:
    s = settings(
        feeds=[FEED],
        schedule={
            "default": "every 6h",
            "sources": {"ietf_meetings": "0 3 * * *", "etsi_news": "off", "etsi_new": "every 1h"},
        },
    )
    plans = {p.source: p for p in source_schedules(s)}
    assert set(plans) == {"ietf_meetings", "etsi_news"}
    assert isinstance(plans["ietf_meetings"].trigger, CronTrigger)
    assert plans["etsi_news"].trigger is None  # configured, not scheduled
    assert unknown_scheduled_sources(s) == ["etsi_new"]  # a typo is reported, not silently ignored


def test_the_default_schedule_applies_in_the_configured_time_zone() -> None:
    s = settings(feeds=[FEED], schedule={"default": "30 6 * * 1-5", "timezone": "Asia/Shanghai"})
    [plan] = source_schedules(s)
    assert isinstance(plan.trigger, CronTrigger)
    assert str(plan.trigger.timezone) == "Asia/Shanghai"


def test_same_schedule_compares_when_triggers_fire() -> None:
    assert same_schedule(parse_schedule("every 6h"), parse_schedule("every 6h"))
    assert not same_schedule(parse_schedule("every 6h"), parse_schedule("every 3h"))
    assert same_schedule(parse_schedule("0 3 * * *"), parse_schedule("0 3 * * *"))
    assert not same_schedule(parse_schedule("0 3 * * *"), parse_schedule("0 4 * * *"))
    assert not same_schedule(parse_schedule("0 3 * * *", "UTC"), parse_schedule("0 3 * * *", "Europe/Paris"))
    assert not same_schedule(parse_schedule("every 1d"), parse_schedule("0 0 * * *"))
    assert isinstance(parse_schedule("every 5s"), IntervalTrigger)


def test_an_unknown_time_zone_is_a_configuration_error_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "sepwatch.yaml"
    config.write_text("schedule:\n  timezone: Mars/Olympus\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config, env={"HOME": str(tmp_path)})
    assert str(error.value) == (
        f"{config}: schedule.timezone (line 2): unknown time zone 'Mars/Olympus'; "
        "give an IANA name such as Asia/Shanghai or UTC"
    )
