"""Claim maps in the UI and the API: list, B.2 chart with evidence and drift, .xlsx/.docx export
(opened with openpyxl and python-docx), upload and replace by editors with validation messages."""

from __future__ import annotations

import io
from collections.abc import Callable

import docx
import openpyxl
import pytest
from sqlalchemy import select

from index.models import ClaimMapRow
from sepwatch.app import App
from tests.web.conftest import WebClient
from tests.web.pages_data import CLAIM_MAP, RRC_V2, Corpus, corpus_fixture, visible_text, web_settings_fixture  # noqa: F401 - fixtures
from web import auth

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)

BROKEN = "patent: CN999\nclaims:\n  - number: one\n    text: t\n"


def test_list_shows_maps_and_the_problems_of_broken_ones(
    corpus: Corpus, web_app: App, client: Callable[..., WebClient]
) -> None:
    claims_dir = web_app.settings.matcher.claims_dir
    assert claims_dir is not None
    (claims_dir / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    web = client()
    html = web.get("/claims").text
    assert 'href="/claims/CN112345678A"' in html and "一种无线资源控制重配置方法" in html
    assert "broken.yaml:3: claims[0].number:" in html
    data = web.get("/api/v1/claims").json()
    (cm,) = data["maps"]
    assert (cm["patent"], cm["claims"], cm["features"], cm["in_store"]) == ("CN112345678A", 1, 2, True)
    assert cm["matches"] >= 1 and cm["drift_events"] == 2
    assert data["invalid"][0]["file"] == "broken.yaml"
    # Viewers see no upload form.
    assert "Add a claim map" not in html
    assert "Add a claim map" in client("editor").get("/claims").text


def test_chart_is_table_b2_with_evidence_and_drift(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    web = client()
    html = web.get("/claims/CN112345678A").text
    text = visible_text(html)
    assert "[1A] receiving an RRC reconfiguration message from the network" in text
    # The cited clause, pinned to the stored version 18.4.0, with its quoted text and a link to it.
    assert "3GPP TS 38.331 V18.4.0 §5.3.5.1 [sepwatch #" in text
    assert RRC_V2 in text
    assert f'href="/documents/{corpus.spec_id}?version=2#c-5.3.5.1"' in html
    assert "direct · mandatory" in text and "indirect · mandatory" in text
    assert "reconfiguration with sync of the MCG" in text  # the mapping's note
    assert "Found by the matcher" in text
    assert "Claim 1: conclusion" in text
    # Drift: 18.4.0 changed 5.3.5.1; the quote of 1B ("with sync") no longer reads, 1A's still does.
    data = web.get("/api/v1/claims/CN112345678A").json()
    drift = {d["feature"]: d for d in data["drift"]}
    assert drift["1B"]["still_reads"] is False and drift["1A"]["still_reads"] is True
    assert drift["1B"]["kind"] == "spec-version" and drift["1B"]["version_label"] == "18.4.0"
    assert f'href="/documents/{corpus.spec_id}/diff?version=2#c-5.3.5.1"' in html
    assert data["claims"][0]["features"][0]["matched"][0]["number"] == "TS 38.331"
    assert web.get("/claims/NOPE").status_code == 404
    assert web.get("/api/v1/claims/NOPE/drift").json() == []


def test_export_xlsx_and_docx_are_the_cli_tables(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    web = client()
    answer = web.get("/claims/CN112345678A/export", params={"format": "xlsx", "language": "en"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert "CN112345678A-B2.xlsx" in answer.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames[0] == "B.1" and book.sheetnames[1].startswith("B.2 CN112345678A")
    cells = [str(c.value) for row in book[book.sheetnames[1]].iter_rows() for c in row if c.value]
    assert any("[1A] receiving an RRC reconfiguration message" in c for c in cells)
    assert any(RRC_V2 in c and "V18.4.0 §5.3.5.1" in c for c in cells)
    word = web.get("/api/v1/claims/CN112345678A/export", params={"format": "docx", "language": "zh"})
    assert word.status_code == 200
    document = docx.Document(io.BytesIO(word.content))
    table_text = " ".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "权利要求1" in table_text and RRC_V2 in table_text


def test_editor_replaces_a_map_and_sees_validation_errors(
    corpus: Corpus, web_app: App, client: Callable[..., WebClient]
) -> None:
    editor = client("editor")
    rejected = editor.post(
        "/claims/upload", data={"text": BROKEN, "csrf_token": editor.csrf}, files={"file": ("", b"")}
    )
    assert rejected.status_code == 422
    assert "claim-map.yaml:3: claims[0].number: must be a whole number from 1 (got 'one')" in visible_text(
        rejected.text
    )
    bad_yaml = editor.post(
        "/claims/upload",
        data={"csrf_token": editor.csrf},
        files={"file": ("mine.yaml", b"patent: [unclosed\n")},
    )
    assert bad_yaml.status_code == 422 and "mine.yaml:" in bad_yaml.text and "invalid YAML" in bad_yaml.text
    wrong = editor.post(
        "/claims/CN112345678A/upload",
        data={"csrf_token": editor.csrf},
        files={"file": ("other.yaml", CLAIM_MAP.replace("CN112345678A", "CN000000001A").encode())},
    )
    assert wrong.status_code == 422 and "this map is for CN000000001A, not CN112345678A" in wrong.text

    new_title = CLAIM_MAP.replace("一种无线资源控制重配置方法", "一种改进的重配置方法")
    saved = editor.post(
        "/claims/CN112345678A/upload",
        data={"csrf_token": editor.csrf},
        files={"file": ("cn.yaml", new_title.encode("utf-8"))},
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/claims/CN112345678A?saved=CN112345678A"
    claims_dir = web_app.settings.matcher.claims_dir
    assert claims_dir is not None
    # The same file is replaced (no second map of the patent), and the store's record follows.
    assert sorted(p.name for p in claims_dir.iterdir()) == ["CN112345678A.yaml"]
    assert "一种改进的重配置方法" in (claims_dir / "CN112345678A.yaml").read_text(encoding="utf-8")
    with web_app.store.session() as s:
        row = s.scalar(select(ClaimMapRow).where(ClaimMapRow.patent == "CN112345678A"))
        assert row is not None and row.content["title"] == "一种改进的重配置方法"
    page = editor.get(saved.headers["location"]).text
    assert "一种改进的重配置方法" in page and "Saved the claim map of CN112345678A." in page

    added = editor.post(
        "/claims/upload",
        data={"csrf_token": editor.csrf, "text": CLAIM_MAP.replace("CN112345678A", "CN223344556A")},
    )
    assert added.status_code == 303
    assert (claims_dir / "CN223344556A.yaml").exists()


def test_a_new_map_never_replaces_the_file_of_another_patents_map(
    corpus: Corpus, web_app: App, client: Callable[..., WebClient]
) -> None:
    editor = client("editor")
    claims_dir = web_app.settings.matcher.claims_dir
    assert claims_dir is not None
    first = editor.post(
        "/claims/upload",
        data={"csrf_token": editor.csrf, "text": CLAIM_MAP.replace("CN112345678A", "EP1_B1")},
    )
    assert first.status_code == 303
    # "EP1 B1" makes the same safe file name as "EP1_B1"; both maps must survive.
    second = editor.post(
        "/claims/upload",
        data={"csrf_token": editor.csrf, "text": CLAIM_MAP.replace("CN112345678A", '"EP1 B1"')},
    )
    assert second.status_code == 303
    assert "patent: EP1_B1" in (claims_dir / "EP1_B1.yaml").read_text(encoding="utf-8")
    listing = editor.get("/api/v1/claims").json()
    assert {m["patent"] for m in listing["maps"]} == {"CN112345678A", "EP1_B1", "EP1 B1"}
    assert listing["invalid"] == []


def test_only_editors_with_csrf_change_maps(
    corpus: Corpus, web_app: App, client: Callable[..., WebClient]
) -> None:
    viewer = client("viewer")
    refused = viewer.post("/claims/upload", data={"csrf_token": viewer.csrf, "text": CLAIM_MAP})
    assert refused.status_code == 403
    editor = client("editor")
    assert editor.post("/claims/upload", data={"text": CLAIM_MAP}).status_code == 403  # no CSRF token
    assert editor.post("/claims/upload", data={"text": CLAIM_MAP, "csrf_token": "forged"}).status_code == 403
    assert editor.put("/api/v1/claims/CN112345678A", content=CLAIM_MAP.encode()).status_code == 403


def test_api_put_with_a_token(corpus: Corpus, web_app: App, client: Callable[..., WebClient]) -> None:
    editor = client("editor")
    assert editor.credentials is not None
    user = auth.check_password(web_app.store, editor.credentials.username, editor.credentials.password)
    assert user is not None
    token, _ = auth.create_api_token(web_app.store, user, "script")
    headers = {"Authorization": f"Bearer {token}"}
    bad = editor.put(
        "/api/v1/claims/CN112345678A", content=BROKEN.replace("CN999", "CN112345678A"), headers=headers
    )
    assert bad.status_code == 422
    assert bad.json()["detail"] == [
        "CN112345678A.yaml:3: claims[0].number: must be a whole number from 1 (got 'one')"
    ]
    good = editor.put(
        "/api/v1/claims/CN112345678A",
        content=CLAIM_MAP.replace("owners: [ip-wireless]", "owners: [ip-wireless, ip-core]").encode(),
        headers=headers,
    )
    assert good.status_code == 200
    assert good.json() == {"patent": "CN112345678A", "claims": 1, "features": 2, "file": "CN112345678A.yaml"}
    assert editor.get("/api/v1/claims").json()["maps"][0]["owners"] == ["ip-wireless", "ip-core"]


def test_a_patent_number_with_a_slash_has_its_chart_export_and_api(
    corpus: Corpus, web_app: App, client: Callable[..., WebClient]
) -> None:
    """PCT numbers are written with slashes (WO2020/123456): every claim-map route must reach them."""
    claims_dir = web_app.settings.matcher.claims_dir
    assert claims_dir is not None
    (claims_dir / "wo.yaml").write_text(CLAIM_MAP.replace("CN112345678A", "WO2020/123456"), encoding="utf-8")
    web = client()
    assert 'href="/claims/WO2020/123456"' in web.get("/claims").text
    chart = web.get("/claims/WO2020/123456")
    assert chart.status_code == 200 and "Claim chart: WO2020/123456" in visible_text(chart.text)
    assert 'action="/claims/WO2020/123456/export"' in chart.text
    export = web.get("/claims/WO2020/123456/export", params={"format": "xlsx", "language": "en"})
    assert export.status_code == 200
    assert web.get("/api/v1/claims/WO2020%2F123456").json()["patent"] == "WO2020/123456"
    assert web.get("/api/v1/claims/WO2020/123456/drift").json() == []
