"""`sepwatch calendar`: the deadlines and milestones a calendar client imports, whole or per team."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import icalendar
import pytest

from sepwatch.app import App
from tests.alerts import events as ev
from tests.test_cli import sw

TEAMS = """\
teams:
  - {name: ran2, follows: {groups: [RAN2]}}
  - {name: sa2, follows: {groups: [SA2]}}
"""


@pytest.fixture
def setup(settings_env: dict[str, str], tmp_path: Path) -> tuple[dict[str, str], list[str]]:
    settings = ev.settings_for(settings_env, tmp_path, TEAMS)
    with App.open(settings) as app:
        ev.milestone(app, "3gpp:meeting:SA2-170", dt.date(2026, 12, 1), group="SA2")
        ev.milestone(app, "3gpp:meeting:R2-132", dt.date(2026, 12, 8), group="RAN2")
        ev.milestone(app, "3gpp:meeting:R2-old", dt.date(2026, 1, 8), group="RAN2")
    env = {**os.environ, **settings_env, "HOME": str(tmp_path)}
    return env, ["--config", str(tmp_path / "sepwatch.yaml")]


def _events(data: bytes) -> dict[str, dt.date]:
    cal = icalendar.Calendar.from_ical(data)
    return {str(e["SUMMARY"]): e.decoded("DTSTART") for e in cal.walk("VEVENT")}


def test_calendar_file_holds_the_coming_milestones(
    setup: tuple[dict[str, str], list[str]], tmp_path: Path
) -> None:
    env, cfg = setup
    out = tmp_path / "all.ics"
    result = sw(env, *cfg, "calendar", "--today", "2026-11-22", "-o", str(out))
    assert "2 events written" in result.stderr
    assert _events(out.read_bytes()) == {
        "3GPP SA2 meeting": dt.date(2026, 12, 1),
        "3GPP RAN2 meeting": dt.date(2026, 12, 8),
    }


def test_calendar_per_team_and_unknown_team(setup: tuple[dict[str, str], list[str]]) -> None:
    env, cfg = setup
    stdout = sw(env, *cfg, "calendar", "--today", "2026-11-22", "--team", "ran2").stdout
    assert _events(stdout.encode()) == {"3GPP RAN2 meeting": dt.date(2026, 12, 8)}
    failed = sw(env, *cfg, "calendar", "--team", "nobody", ok=False)
    assert failed.returncode == 2
    assert "unknown team 'nobody'" in failed.stderr
