"""Builders for the alert tests: real events stored through the store's own APIs.

A claim map on CN112345678A (application CN202310123456, family EP3456789A1) whose feature 1A
maps to TS 23.501 §5.41; spec versions 17.6.0 (reads on the claim) and 17.7.0 (changes §5.41)
stored by ``Store.ingest`` and matched by the real matcher; the CNIPA notice 210307 of
2024-09-20 (electronic) that opens the voluntary-amendment window closing 2024-12-20.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from config import Settings, load_settings
from crawlers.items import Milestone, PatentEvent, PatentRecord, Section, StandardDocument
from index import milestones
from index.patents import add_events, upsert_patent
from matcher.claimmap import ClaimMap, load
from matcher.runner import MatchReport, process_new
from sepwatch.app import App
from tests.conftest import REPO

TODAY = dt.date(2024, 10, 1)
WINDOW_CLOSES = "2024-12-20"
APPLICATION = "CN202310123456"
PATENT = "CN112345678A"

CLAIM_MAP = (REPO / "tests" / "fixtures" / "claims" / "redcap" / "cn112345678a.yaml").read_text(
    encoding="utf-8"
)

V1 = (
    "An NR RedCap UE using NR shall provide an NR RedCap indication to the NG-RAN during the "
    "Random Access procedure. A RedCap UE is identified by the network from a RedCap specific "
    "LCID indicated for CCCH identification."
)
V2 = (
    "An NR RedCap UE using NR may provide an NR RedCap indication to the NG-RAN in RRC signalling. "
    "A RedCap UE is identified by the network from a RedCap specific LCID indicated for CCCH identification."
)

PEOPLE = """\
smtp: {host: 127.0.0.1, port: 2525, security: none}
channels:
  - {name: ip-chat, type: webhook, url: "http://127.0.0.1:9/ip"}
  - {name: alice-im, type: webhook, url: "http://127.0.0.1:9/alice"}
  - {name: ops-chat, type: webhook, url: "http://127.0.0.1:9/ops"}
teams:
  - {name: ip-wireless, channels: [ip-chat], language: zh}
  - {name: ran2-watch, follows: {specs: ["23.501"]}}
  - {name: ops, channels: [ops-chat], follows: {sources: true}}
people:
  - {name: alice, email: alice@example.com, channels: [alice-im], teams: [ip-wireless, ran2-watch], language: zh}
  - {name: bob, email: bob@example.com, follows: {portfolio: own}}
  - {name: carol, email: carol@example.com, delivery: daily, follows: {patents: [EP3456789]}}
  - {name: dave, email: dave@example.com, follows: {groups: [RAN2]}}
portfolio:
  own: [CN202310123456]
"""


def settings_for(settings_env: dict[str, str], tmp_path: Path, yaml_text: str = PEOPLE) -> Settings:
    config = tmp_path / "sepwatch.yaml"
    maps = tmp_path / "maps"
    maps.mkdir(exist_ok=True)
    (maps / "cn112345678.yaml").write_text(CLAIM_MAP, encoding="utf-8")
    config.write_text(f"matcher:\n  claims_dir: {maps}\n{yaml_text}", encoding="utf-8")
    return load_settings(config, env=settings_env)


def claim_maps(settings: Settings) -> list[ClaimMap]:
    assert settings.matcher.claims_dir is not None
    return [load(settings.matcher.claims_dir / "cn112345678.yaml")]


def spec(app: App, label: str, text: str) -> None:
    code = label.replace(".", "")
    app.store.ingest(
        StandardDocument(
            source="3gpp",
            number="TS 23.501",
            kind="spec",
            title="System architecture for the 5G System (5GS); Stage 2",
            sections=[
                Section("1", "Scope", "The present document defines the Stage 2 system architecture."),
                Section("5.40", "Support for satellite access", "The 5GS supports satellite access with NR."),
                Section("5.41", "Support for RedCap", text),
                Section("5.42", "Support for network slicing", "Network slices are identified by S-NSSAI."),
            ],
            body="3GPP",
            group="SA2",
            spec="23.501",
            release="Rel-17",
            version_label=label,
            origin=f"23501-{code}.zip",
        )
    )


def match_new(app: App) -> MatchReport:
    return process_new(app.store, app.settings, claim_maps(app.settings))


def patent(app: App) -> None:
    upsert_patent(
        app.store,
        PatentRecord(
            source="cnipa_import",
            office="CN",
            application=APPLICATION,
            title="一种终端能力指示方法",
            applicants=["示例通信有限公司"],
            filing_date=dt.date(2023, 3, 1),
            publications=[PATENT],
            kind="invention",
        ),
    )


def notice(
    app: App, code: str = "210307", date: dt.date = dt.date(2024, 9, 20), text: str | None = None
) -> int:
    """A CNIPA notice (electronic delivery) on the application; returns how many events were new."""
    return add_events(
        app.store,
        [
            PatentEvent(
                source="cnipa_import",
                office="CN",
                application=APPLICATION,
                code=code,
                date=date,
                text=text or "发明专利申请进入实质审查阶段通知书",
                kind="notice",
                known=True,
                metadata={"delivery": "electronic"},
            )
        ],
    )


def crawl_run(app: App, source: str, ok: bool, error: str = "HTTP 503 from portal") -> int:
    run_id = app.store.start_run("crawl", source, {})
    errors = [] if ok else [{"reason": error}]
    app.store.finish_run(run_id, "succeeded" if ok else "failed", {}, errors)
    return run_id


def milestone(app: App, key: str, date: dt.date, kind: str = "meeting", group: str | None = "SA2") -> None:
    milestones.upsert(
        app.store,
        Milestone(
            source="threegpp_meetings",
            key=key,
            kind=kind,
            title=f"3GPP {group or 'Rel-19'} {kind}",
            date=date,
            body="3GPP",
            group=group,
        ),
    )
