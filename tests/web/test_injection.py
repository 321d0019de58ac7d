"""Hostile stored text comes back inert on every page and API answer.

Documents, sections, metadata, TDoc sources, claim maps, matches, drift, milestones, alerts, runs
and even file names carry script payloads and ``javascript:`` links. Every HTML page is parsed: no
element or attribute from the data (no ``<script>`` without a /static source, no ``on*=``, no
``javascript:`` URL, no ``<img>``), while the payload text itself is shown, escaped. Every JSON
answer holds the text exactly and no raw ``<``. In Chromium, no dialog opens and the console stays
clean (a blocked inline script would log a CSP violation).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from crawlers.items import Milestone, Section, StandardDocument
from index import alerts as alert_store
from index import matches as records
from index import milestones
from index.models import utcnow
from matcher.claimmap import load_dir
from matcher.runner import sync_claim_maps
from sepwatch.app import App
from tests.web.conftest import WebClient
from tests.web.pages_data import TODAY, with_pages_settings

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS = "javascript:alert(1)"
PAYLOADS = (SCRIPT, IMG)
X = f"{SCRIPT}{IMG}"  # both in one value
PATENT = 'CN1"><img src=x onerror=alert(1)>'

CLAIM_MAP = f"""\
patent: '{PATENT}'
title: '{X}'
owners: [ip-wireless]
standards: ["3GPP TS 38.331 {SCRIPT}"]
claims:
  - number: 1
    text: '1. A method {X} comprising receiving an RRC reconfiguration message.'
    features:
      - id: 1A
        text: 'receiving {X} an RRC reconfiguration message'
        terms: ['{SCRIPT}', '{JS}']
        maps_to:
          - {{spec: "3GPP TS 38.331", clause: "5.3.5.1", version: "{SCRIPT}", relation: direct, mandatory: true, note: '{X}'}}
"""


@pytest.fixture
def web_settings(settings: Settings, tmp_path: Path) -> Settings:
    return with_pages_settings(settings, tmp_path / "claims")


@pytest.fixture
def hostile(web_app: App) -> dict[str, int]:
    store = web_app.store
    sections = [
        Section("5.3.5.1", f"General {X}", f"The UE shall {X} send the RRC reconfiguration message. {JS}"),
        Section(f"{X}", f"{SCRIPT}", f"Text {X}"),
        Section(None, None, f"终端应当发送 {X}"),
    ]

    def doc(label: str, text: str) -> StandardDocument:
        return StandardDocument(
            source=f"src{SCRIPT}",
            number=f"TS 38.331{IMG}",
            kind=f"spec{SCRIPT}",
            title=X,
            sections=[*sections, Section("9.9", "Changed", text)],
            body=f"3GPP{SCRIPT}",
            group=f"RAN2{IMG}",
            meeting=f"RAN2#1{SCRIPT}",
            release=f"Rel-18{IMG}",
            spec=f"TS 38.331{SCRIPT}",
            date=TODAY - dt.timedelta(days=3),
            version_label=f"18.{label}{SCRIPT}",
            origin=JS,
            metadata={
                "datatracker": JS,
                "abstract": X,
                "is_revision_of": f"R2-1{SCRIPT}",
                "sources": [X, f"Huawei{IMG}"],
                X: X,
            },
        )

    first = store.ingest(doc("1", f"old {X} 应当"))
    store.ingest(doc("2", f"new {SCRIPT} 可以 {IMG}"))
    tdoc = store.ingest(
        StandardDocument(
            source="threegpp_tdocs",
            number="R2-2599999",
            kind="tdoc",
            title=X,
            sections=[Section(None, None, f"Source: {X}")],
            group=f"RAN2{IMG}",
            meeting=f"RAN2#131{SCRIPT}",
            date=TODAY,
            metadata={"sources": [X, f"Nokia{IMG}"], "revised_to": X},
            partial=True,
        )
    )
    web_app.indexer.drain()
    claims_dir = web_app.settings.matcher.claims_dir
    assert claims_dir is not None
    (claims_dir / "hostile.yaml").write_text(CLAIM_MAP, encoding="utf-8")
    (claims_dir / "<img src=x onerror=alert(1)>.yaml").write_text(
        f"patent: CN2\nclaims:\n  - number: 1\n    text: t\n    features:\n      - id: 1A\n        text: t\n"
        f"        maps_to: [{{spec: S, clause: '5.1', relation: '{SCRIPT}'}}]\n",
        encoding="utf-8",
    )
    maps, errors = load_dir([claims_dir])
    assert len(maps) == 1 and len(errors) == 1
    sync_claim_maps(store, maps)
    evidence = [
        {
            "feature": X,
            "covered": True,
            "score": 0.9,
            "section": X,
            "heading": X,
            "section_key": f"{first.version_id}:0",
            "quote": X,
            "matched_terms": [X],
            "normative": {"level": SCRIPT, "word": X},
        }
    ]
    for version_id in (first.version_id, first.version_id + 1):
        records.record_match(
            store,
            patent=PATENT,
            claim=1,
            document_id=first.document_id,
            version_id=version_id,
            score=0.9,
            covered=1,
            features=1,
            all_elements=True,
            evidence=evidence,
            digest=f"d{version_id}",
        )
    records.record_drift(
        store,
        "drift-hostile",
        patent=PATENT,
        claim=1,
        feature="1A",
        spec=f"TS 38.331{SCRIPT}",
        clause=X,
        kind=f"spec-version{SCRIPT}",
        document_id=first.document_id,
        version_id=first.version_id + 1,
        previous_version_id=first.version_id,
        diff=f"- old {X}\n+ new {X}",
        still_reads=False,
        details={"evidence": X, "version": X},
    )
    milestones.upsert(
        store,
        Milestone(
            source="threegpp_meetings",
            key=f"3gpp:meeting:{X}",
            kind=f"meeting{SCRIPT}",
            title=X,
            date=TODAY,
            end=TODAY + dt.timedelta(days=2),
            group=f"RAN2{IMG}",
            release=X,
            origin=JS,
        ),
    )
    with store.session(write=True) as s:
        alert_store.insert_alert(
            s,
            alert_store.NewAlert(
                "hostile:1",
                f"match{SCRIPT}",
                f"patent:{X}",
                X,
                {"patent": PATENT, "document_id": first.document_id, X: X, "quote": X},
            ),
            [alert_store.Delivery(f"bob{IMG}", f"email{SCRIPT}", "immediate", X, {})],
            utcnow(),
        )
    run = store.start_run("crawl", f"threegpp_tdocs{SCRIPT}", {})
    store.finish_run(run, "failed", {X: 1}, [{"url": JS + X, "reason": X}])
    return {"document": first.document_id, "tdoc": tdoc.document_id}


class Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_inert(html: str, where: str) -> None:
    parser = Elements()
    parser.feed(html)
    for tag, attrs in parser.tags:
        names = {name for name, _ in attrs}
        assert not any(name.startswith("on") for name in names), (where, tag, attrs)
        assert tag != "img", (where, attrs)
        if tag == "script":
            src = dict(attrs).get("src") or ""
            assert src.startswith("/static/"), (where, attrs)
        for name, value in attrs:
            if name in ("href", "src", "action", "formaction", "xlink:href") and value:
                assert not re.match(r"\s*(javascript|data|vbscript):", value, re.I), (where, tag, attrs)
    for payload in PAYLOADS:
        assert payload not in html, (where, payload)


def shown_escaped(html: str) -> bool:
    return "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def page_paths(ids: dict[str, int]) -> list[str]:
    doc = ids["document"]
    return [
        "/search",
        f"/search?q={SCRIPT}",
        "/search?q=RRC+reconfiguration",
        "/search?q=终端",
        f"/search?q=-{SCRIPT}",
        f"/search?q=RRC&from={SCRIPT}&body={SCRIPT}",
        f"/documents/{doc}",
        f"/documents/{doc}?version=1",
        f"/documents/{doc}/diff",
        f"/documents/{ids['tdoc']}",
        "/claims",
        f"/claims/{PATENT}",
        "/calendar",
        "/calendar?view=week",
        f"/calendar?team={SCRIPT}",
        "/alerts",
        f"/alerts?kind={SCRIPT}",
        "/sources",
        "/plots",
        f"/plots?group=RAN2{IMG}",
    ]


def api_paths(ids: dict[str, int]) -> list[str]:
    doc = ids["document"]
    return [
        "/api/v1/search?q=RRC+reconfiguration",
        f"/api/v1/search?q={SCRIPT}",
        f"/api/v1/documents/{doc}",
        f"/api/v1/documents/{doc}/diff",
        f"/api/v1/documents/{ids['tdoc']}",
        "/api/v1/claims",
        f"/api/v1/claims/{PATENT}",
        f"/api/v1/claims/{PATENT}/drift",
        "/api/v1/calendar",
        "/api/v1/alerts",
        "/api/v1/sources",
        "/api/v1/plots/contributions",
        "/api/v1/plots/documents",
    ]


def test_every_page_is_inert(hostile: dict[str, int], client: Callable[..., WebClient]) -> None:
    web = client("editor")
    shown = 0
    for path in page_paths(hostile):
        answer = web.get(path)
        assert answer.status_code in (200, 400, 404, 422), (path, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html"), path
        assert_inert(answer.text, path)
        shown += shown_escaped(answer.text)
    assert shown >= 12  # the payloads are shown as text, not dropped
    doc = web.get(f"/documents/{hostile['document']}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in doc
    assert f"{JS}" in doc  # shown as text…
    assert 'href="javascript' not in doc  # …never as a link
    upload = web.post(
        "/claims/upload",
        data={"csrf_token": web.csrf, "text": CLAIM_MAP.replace("relation: direct", f"relation: '{SCRIPT}'")},
    )
    assert upload.status_code == 422
    assert_inert(upload.text, "upload errors")
    assert "must be one of direct, indirect, interpretation" in upload.text and shown_escaped(upload.text)


def test_every_api_answer_is_inert(hostile: dict[str, int], client: Callable[..., WebClient]) -> None:
    web = client()
    for path in api_paths(hostile):
        answer = web.get(path)
        assert answer.status_code in (200, 400), (path, answer.status_code, answer.text[:300])
        assert answer.headers["content-type"] == "application/json", path
        assert b"<" not in answer.content and b">" not in answer.content, path
        json.loads(answer.content)
    document = web.get(f"/api/v1/documents/{hostile['document']}").json()
    assert document["document"]["title"] == X  # the stored text, exactly
    assert document["version"]["origin"] == JS and document["version"]["origin_url"] is None
    assert {m["key"]: m["url"] for m in document["metadata"]}["datatracker"] is None
    hit = web.get("/api/v1/search", params={"q": "RRC reconfiguration"}).json()["hits"][0]
    for section in hit["sections"]:
        # Snippets are HTML: the stored text escaped, only <mark> added.
        assert re.sub(r"</?mark>", "", section["snippet"]).count("<") == 0
    for svg_path in ("/plots/contributions.svg", "/plots/documents.svg"):
        tree = ET.fromstring(web.get(svg_path).content)
        for element in tree.iter():
            assert not element.tag.endswith("script"), svg_path
            assert not any(name.startswith("on") for name in element.attrib), svg_path
    ics = web.get("/calendar.ics").content.decode()
    assert "BEGIN:VCALENDAR" in ics and "URL:javascript" not in ics
    exported = web.get(f"/api/v1/claims/{PATENT}/export")
    assert exported.status_code == 200 and exported.content.startswith(b"PK")
    assert '"' not in exported.headers["content-disposition"].split("filename*=")[1]


def test_no_script_runs_in_the_browser(
    hostile: dict[str, int], page_signed_in: Callable[..., Any], screenshot: Callable[[Any, str], Path]
) -> None:
    page = page_signed_in("editor")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in page_paths(hostile):
        page.goto(path)
        page.wait_for_load_state("load")
        # Open every <details>, so that nothing hidden escapes the check.
        for summary in page.locator("summary").all():
            if summary.is_visible():
                summary.click()
    page.goto(f"/documents/{hostile['document']}")
    screenshot(page, "hostile-document")
    page.goto(f"/claims/{PATENT}")
    screenshot(page, "hostile-claim-chart")
    assert dialogs == []
    # Pages refused on purpose (a query of only an exclusion: 400; an unknown team: 404) log their
    # status; anything else (a CSP violation, a script error) is a failure.
    problems = [m for m in page.console_errors if not re.match(r"Failed to load resource: .* (400|404)", m)]
    assert problems == []
