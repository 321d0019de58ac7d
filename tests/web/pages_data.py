"""A small realistic corpus for the page and API tests, stored through the real store APIs.

3GPP: two versions of TS 38.331 (clause 5.3.5.1 changed, 5.3.5.14 added, 5.3.5.9 removed), RAN2
TDocs of two meetings with their source companies and a revision chain; IETF: a QUIC draft that
became RFC 9000; CCSA: a Chinese standard in two versions (one word changed). A claim map of
CN112345678A (features mapped to TS 38.331 §5.3.5.1 V18.4.0) in ``claims_dir``, matched by the
real matcher, which also records the drift of the mapped clause. Milestones (a RAN2 meeting next
week, the Rel-19 freeze), a CNIPA first office action whose reply is due next month, alerts with
deliveries, crawl runs with an error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from alerts.calendar import upcoming
from config import Settings
from config.schema import TeamSettings
from crawlers.items import Milestone, PatentEvent, Section, StandardDocument
from index import alerts as alert_store
from index import milestones, patents
from index.models import utcnow
from matcher.claimmap import load_dir
from matcher.runner import process_new
from sepwatch.app import App

TODAY = dt.date.today()

RRC_V1 = (
    "The UE shall initiate the RRC reconfiguration procedure upon reception of the "
    "RRCReconfiguration message from the network. The UE shall perform the reconfiguration "
    "with sync when reconfigurationWithSync is included in the spCellConfig of the MCG."
)
RRC_V2 = (
    "The UE shall initiate the RRC reconfiguration procedure upon reception of the "
    "RRCReconfiguration message from the network. The UE may perform the conditional "
    "reconfiguration when condRRCReconfig is included in the message."
)
ZH_V1 = "终端应当在随机接入过程中向基站发送能力指示消息，基站根据该消息确定终端类型。"
ZH_V2 = "终端可以在随机接入过程中向基站发送能力指示消息，基站根据该消息确定终端类型。"

CLAIM_MAP = """\
patent: CN112345678A
family: [EP3456789A1]
title: 一种无线资源控制重配置方法
owners: [ip-wireless]
standards: ["3GPP TS 38.331"]
claims:
  - number: 1
    text: >-
      1. A method performed by a user equipment, comprising: receiving an RRC reconfiguration
      message from the network; and performing a reconfiguration with synchronisation when the
      message includes reconfigurationWithSync.
    features:
      - id: 1A
        text: receiving an RRC reconfiguration message from the network
        terms: [RRCReconfiguration, UE]
        maps_to:
          - {spec: "3GPP TS 38.331", clause: "5.3.5.1", version: "18.4.0", relation: direct, mandatory: true}
      - id: 1B
        text: performing a reconfiguration with sync when the message includes reconfigurationWithSync
        terms: [spCellConfig]
        maps_to:
          - {spec: "3GPP TS 38.331", clause: "5.3.5.1", version: "18.4.0", relation: indirect, mandatory: true, note: "reconfiguration with sync of the MCG"}
"""


@dataclass
class Corpus:
    spec_id: int
    tdoc_id: int
    tdoc_revised_id: int
    draft_id: int
    rfc_id: int
    zh_id: int
    patent: str
    alert_ids: list[int]
    deadline_date: dt.date
    deadline_subject: str
    meeting_date: dt.date


def with_pages_settings(settings: Settings, claims_dir: Path) -> Settings:
    """The test settings with a claims folder, a team and the CN application in the own portfolio."""
    claims_dir.mkdir(parents=True, exist_ok=True)
    return settings.model_copy(
        update={
            "matcher": settings.matcher.model_copy(update={"claims_dir": claims_dir}),
            "teams": [
                TeamSettings.model_validate(
                    {"name": "ip-wireless", "follows": {"groups": ["RAN2"], "portfolio": "own"}}
                ),
                TeamSettings.model_validate({"name": "ietf-team", "follows": {"groups": ["quic"]}}),
            ],
            "portfolio": settings.portfolio.model_copy(update={"own": ["CN202410012345"]}),
        }
    )


def spec(label: str, sections: list[Section], date: dt.date) -> StandardDocument:
    return StandardDocument(
        source="threegpp_specs",
        number="TS 38.331",
        kind="spec",
        title="NR; Radio Resource Control (RRC); Protocol specification",
        sections=sections,
        body="3GPP",
        group="RAN2",
        release="Rel-18",
        spec="TS 38.331",
        date=date,
        version_label=label,
        origin=f"https://www.3gpp.org/ftp/Specs/archive/38_series/38.331/38331-{label.replace('.', '')}.zip",
    )


def tdoc(number: str, meeting: str, sources: list[str], title: str, **meta: object) -> StandardDocument:
    return StandardDocument(
        source="threegpp_tdocs",
        number=number,
        kind="tdoc",
        title=title,
        sections=[Section(None, None, f"{title}\nSource: {', '.join(sources)}")],
        body="3GPP",
        group="RAN2",
        meeting=meeting,
        release="Rel-19",
        spec="TS 38.331",
        date=TODAY - dt.timedelta(days=40 if meeting.endswith("129") else 10),
        origin=f"https://www.3gpp.org/ftp/tsg_ran/WG2_RL2/{meeting}/Docs/{number}.zip",
        metadata={"sources": sources, "type": "CR", "status": "agreed", **meta},
        partial=True,
    )


def build(app: App) -> Corpus:
    store = app.store
    v1_sections = [
        Section("5.3.5", "RRC reconfiguration", "General description of RRC reconfiguration."),
        Section("5.3.5.1", "General", RRC_V1),
        Section("5.3.5.9", "Other configuration", "The UE shall apply the otherConfig."),
        Section("6.2.2", "Message definitions", "RRCReconfiguration ::= SEQUENCE { ... }"),
    ]
    v2_sections = [
        Section("5.3.5", "RRC reconfiguration", "General description of RRC reconfiguration."),
        Section("5.3.5.1", "General", RRC_V2),
        Section("5.3.5.14", "Conditional reconfiguration", "The UE shall evaluate the execution condition."),
        Section("6.2.2", "Message definitions", "RRCReconfiguration ::= SEQUENCE { ... }"),
    ]
    claims_dir = app.settings.matcher.claims_dir
    assert claims_dir is not None
    (claims_dir / "CN112345678A.yaml").write_text(CLAIM_MAP, encoding="utf-8")
    maps, errors = load_dir([claims_dir])
    assert not errors, errors

    run = store.start_run("crawl", "threegpp_specs", {})
    first = store.ingest(spec("18.3.0", v1_sections, TODAY - dt.timedelta(days=120)), run)
    store.finish_run(run, "succeeded", {"new_document": 1}, [])
    process_new(store, app.settings, maps)
    run = store.start_run("crawl", "threegpp_specs", {})
    store.ingest(spec("18.4.0", v2_sections, TODAY - dt.timedelta(days=30)), run)
    store.finish_run(run, "succeeded", {"new_version": 1}, [])

    t1 = store.ingest(
        tdoc(
            "R2-2501234",
            "RAN2#129",
            ["Huawei", "HiSilicon"],
            "Correction to conditional reconfiguration",
            revised_to="R2-2501500",
        )
    )
    t2 = store.ingest(
        tdoc(
            "R2-2501500",
            "RAN2#129",
            ["Huawei", "HiSilicon", "Nokia"],
            "Correction to conditional reconfiguration",
            is_revision_of="R2-2501234",
        )
    )
    store.ingest(tdoc("R2-2502001", "RAN2#130", ["Ericsson"], "Discussion on LTM"))
    store.ingest(tdoc("R2-2502002", "RAN2#130", ["Huawei", "ZTE"], "Discussion on RedCap"))

    draft = store.ingest(
        StandardDocument(
            source="ietf",
            number="draft-ietf-quic-transport",
            kind="draft",
            title="QUIC: A UDP-Based Multiplexed and Secure Transport",
            sections=[
                Section("1", "Overview", "QUIC is a secure general-purpose transport protocol."),
                Section(
                    "17.2",
                    "Long Header Packets",
                    "Long headers are used for packets that are sent prior to the establishment of 1-RTT keys.",
                ),
            ],
            body="IETF",
            group="quic",
            date=TODAY - dt.timedelta(days=900),
            version_label="34",
            origin="https://datatracker.ietf.org/doc/draft-ietf-quic-transport/",
            metadata={"rfc": "RFC 9000", "status": "rfc"},
        )
    )
    rfc = store.ingest(
        StandardDocument(
            source="ietf",
            number="RFC 9000",
            kind="rfc",
            title="QUIC: A UDP-Based Multiplexed and Secure Transport",
            sections=[Section(None, "QUIC", "RFC 9000: QUIC: A UDP-Based Multiplexed and Secure Transport")],
            body="IETF",
            group="quic",
            date=dt.date(2021, 5, 1),
            metadata={"draft": "draft-ietf-quic-transport-34", "status": "PROPOSED STANDARD"},
            partial=True,
        )
    )
    zh_sections = [
        Section("1", "范围", "本标准规定了5G数字蜂窝移动通信网无线接入网的总体技术要求。"),
        Section("5.2", "终端能力指示", ZH_V1),
    ]
    zh = store.ingest(
        StandardDocument(
            source="ccsa",
            number="YD/T 3929-2021",
            kind="spec",
            title="5G数字蜂窝移动通信网 无线接入网总体技术要求",
            sections=zh_sections,
            body="CCSA",
            group="TC5",
            date=TODAY - dt.timedelta(days=200),
            version_label="2021",
        )
    )
    store.ingest(
        StandardDocument(
            source="ccsa",
            number="YD/T 3929-2021",
            kind="spec",
            title="5G数字蜂窝移动通信网 无线接入网总体技术要求",
            sections=[zh_sections[0], Section("5.2", "终端能力指示", ZH_V2)],
            body="CCSA",
            group="TC5",
            date=TODAY - dt.timedelta(days=20),
            version_label="2024",
        )
    )
    app.indexer.drain()
    process_new(store, app.settings, maps)

    meeting_date = TODAY + dt.timedelta(days=7)
    milestones.upsert(
        store,
        Milestone(
            source="threegpp_meetings",
            key="3gpp:meeting:RAN2-131",
            kind="meeting",
            title="RAN2#131",
            date=meeting_date,
            end=meeting_date + dt.timedelta(days=4),
            body="3GPP",
            group="RAN2",
            origin="https://www.3gpp.org/dynareport?code=Meeting-Details&MtgId=60000",
        ),
    )
    milestones.upsert(
        store,
        Milestone(
            source="threegpp_releases",
            key="3gpp:freeze:Rel-19:stage3",
            kind="freeze",
            title="Rel-19 stage 3 freeze",
            date=TODAY + dt.timedelta(days=20),
            body="3GPP",
            release="Rel-19",
        ),
    )
    # A first office action served electronically ~3.5 months ago: the reply falls due next month.
    patents.add_events(
        store,
        [
            PatentEvent(
                source="cnipa_import",
                office="CN",
                application="CN202410012345",
                code="210401",
                date=TODAY - dt.timedelta(days=100),
                text="第一次审查意见通知书",
                kind="notice",
                metadata={"delivery": "electronic"},
            )
        ],
    )
    deadline = next(
        e
        for e in upcoming(store, app.settings, TODAY, 120)
        if e.kind == "deadline" and e.subject == "CN202410012345"
    )
    assert deadline.date is not None

    now = utcnow()
    alert_ids = []
    with store.session(write=True) as s:
        for key, kind, title, payload in (
            (
                "match:test:1",
                "match",
                "CN112345678A claim 1 reads on TS 38.331 V18.4.0",
                {
                    "patent": "CN112345678A",
                    "claim": 1,
                    "document": "TS 38.331",
                    "version": "18.3.0",
                    "version_id": first.version_id,
                    "clause": "5.3.5.1",
                },
            ),
            ("source:test:1", "source", "threegpp_tdocs is failing", {"source": "threegpp_tdocs"}),
        ):
            alert_id = alert_store.insert_alert(
                s,
                alert_store.NewAlert(key, kind, f"patent:{payload.get('patent', 'x')}", title, payload),
                [
                    alert_store.Delivery(
                        "alice", "email", "immediate", "owner", {"address": "alice@example.com"}
                    )
                ],
                now,
            )
            assert alert_id is not None
            alert_ids.append(alert_id)
    run = store.start_run("crawl", "threegpp_tdocs", {})
    store.finish_run(
        run, "failed", {}, [{"url": "https://www.3gpp.org/ftp/tsg_ran/WG2_RL2/", "reason": "HTTP 503"}]
    )
    return Corpus(
        spec_id=first.document_id,
        tdoc_id=t1.document_id,
        tdoc_revised_id=t2.document_id,
        draft_id=draft.document_id,
        rfc_id=rfc.document_id,
        zh_id=zh.document_id,
        patent="CN112345678A",
        alert_ids=alert_ids,
        deadline_date=deadline.date,
        deadline_subject="CN202410012345",
        meeting_date=meeting_date,
    )


@pytest.fixture(name="web_settings")
def web_settings_fixture(settings: Settings, tmp_path: Path) -> Settings:
    """Import into a test module to run its server on :func:`with_pages_settings`."""
    return with_pages_settings(settings, tmp_path / "claims")


@pytest.fixture(name="corpus")
def corpus_fixture(web_app: App) -> Corpus:
    """Import into a test module: the corpus of :func:`build`, stored and indexed."""
    return build(web_app)


def visible_text(html: str) -> str:
    """The text of a page as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    import html as html_lib
    import re

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())
