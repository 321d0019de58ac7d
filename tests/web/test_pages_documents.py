"""The document page and its diff (pages and /api/v1): sections with anchors, versions, revision
links, matches on the version, clause-level diff with character-level Chinese, large documents."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from crawlers.items import Section, StandardDocument
from sepwatch.app import App
from tests.web.conftest import WebClient
from tests.web.pages_data import RRC_V1, RRC_V2, Corpus, corpus_fixture, visible_text, web_settings_fixture  # noqa: F401 - fixtures
from web.views.documents import LARGE_CLAUSE_CHARS, text_ops

# These run on SQLite only: the store queries are the same on PostgreSQL (tests/web/test_api_pages.py runs both).
sqlite_only = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


@sqlite_only
def test_document_page_sections_versions_and_matches(
    corpus: Corpus, client: Callable[..., WebClient]
) -> None:
    web = client()
    page = web.get(f"/documents/{corpus.spec_id}")
    assert page.status_code == 200
    html = page.text
    assert "NR; Radio Resource Control (RRC); Protocol specification" in html
    assert "Version 2 of 2 (18.4.0)" in html
    # Sections in order, each with an anchor from its clause number and its text.
    anchors = re.findall(r'<section class="clause" id="([^"]+)"', html)
    assert anchors == ["c-5.3.5", "c-5.3.5.1", "c-5.3.5.14", "c-6.2.2"]
    assert RRC_V2 in html
    # Both versions listed, the diff of version 2 linked.
    assert f'href="/documents/{corpus.spec_id}?version=1"' in html
    assert f'href="/documents/{corpus.spec_id}/diff?version=2"' in html
    # The claim that reads on this version, with per-feature evidence linking to the clause.
    assert 'href="/claims/CN112345678A"' in html and "2 of 2 features found" in html
    assert "#c-5.3.5.1" in html
    # The origin is a real link; the first version has the first text.
    assert 'href="https://www.3gpp.org/ftp/Specs/archive/38_series/38.331/38331-1840.zip"' in html
    old = web.get(f"/documents/{corpus.spec_id}", params={"version": 1}).text
    assert RRC_V1 in old and "Version 1 of 2 (18.3.0)" in old


@sqlite_only
def test_revision_links_resolve_to_stored_documents(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    web = client()
    tdoc = web.get(f"/documents/{corpus.tdoc_id}").text
    assert re.search(rf'Revised to: <a href="/documents/{corpus.tdoc_revised_id}">R2-2501500</a>', tdoc)
    assert "Specification: " in tdoc and f'href="/documents/{corpus.spec_id}">TS 38.331</a>' in tdoc
    revised = web.get(f"/documents/{corpus.tdoc_revised_id}").text
    assert re.search(rf'Revision of: <a href="/documents/{corpus.tdoc_id}">R2-2501234</a>', revised)
    draft = web.get(f"/documents/{corpus.draft_id}").text
    assert re.search(rf'Became: <a href="/documents/{corpus.rfc_id}">RFC 9000</a>', draft)
    rfc = web.get(f"/api/v1/documents/{corpus.rfc_id}").json()
    assert rfc["links"] == [
        {"relation": "from_draft", "number": "draft-ietf-quic-transport", "document_id": corpus.draft_id}
    ]


@sqlite_only
def test_diff_of_a_spec_version(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    web = client()
    html = web.get(f"/documents/{corpus.spec_id}/diff").text
    assert "1 changed · 1 added · 1 removed" in visible_text(html)
    changed = html[html.index('id="c-5.3.5.1"') :]
    changed = changed[: changed.index("</section>")]
    assert "<del> shall</del><ins> may</ins>" in changed
    assert "<ins> conditional</ins>" in changed
    assert re.search(r'id="c-5.3.5.9".*?<del>The UE shall apply the otherConfig.</del>', html, re.S)
    assert re.search(
        r'id="c-5.3.5.14".*?<ins>The UE shall evaluate the execution condition.</ins>', html, re.S
    )
    data = web.get(f"/api/v1/documents/{corpus.spec_id}/diff").json()
    assert [(c["key"], c["change"]) for c in data["clauses"]] == [
        ("5.3.5.1", "modified"),
        ("5.3.5.9", "removed"),
        ("5.3.5.14", "added"),
    ]
    modified = data["clauses"][0]
    # The operations rebuild both texts.
    assert "".join(op["new"] for op in modified["ops"] if op["op"] != "delete") == RRC_V2
    assert (
        "".join(
            op["old"] if op["op"] != "equal" else op["new"] for op in modified["ops"] if op["op"] != "insert"
        )
        == RRC_V1
    )
    first = web.get(f"/documents/{corpus.spec_id}/diff", params={"version": 1}).text
    assert "This is the first version" in first


@sqlite_only
def test_chinese_diff_is_character_by_character(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    html = client().get(f"/documents/{corpus.zh_id}/diff").text
    assert "终端<del>应当</del><ins>可以</ins>在随机接入过程中" in html
    assert "1 changed · 0 added · 0 removed" in visible_text(html)


@sqlite_only
def test_missing_documents_and_versions_are_404(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    web = client()
    assert web.get("/documents/999999").status_code == 404
    assert web.get(f"/documents/{corpus.spec_id}", params={"version": 9}).status_code == 404
    assert web.get(f"/documents/{corpus.spec_id}", params={"vid": 999999}).status_code == 404
    assert web.get("/api/v1/documents/999999").json() == {"detail": "no document 999999"}
    assert web.get(f"/api/v1/documents/{corpus.spec_id}/diff", params={"version": 7}).status_code == 404


@sqlite_only
def test_long_document_pages_its_sections(web_app: App, client: Callable[..., WebClient]) -> None:
    sections = [
        Section(f"{i // 10 + 1}.{i % 10 + 1}", f"Clause {i}", f"Text of clause number {i}.")
        for i in range(450)
    ]
    result = web_app.store.ingest(
        StandardDocument(source="local", number="TS 99.999", kind="spec", title="Long", sections=sections)
    )
    web = client()
    data = web.get(f"/api/v1/documents/{result.document_id}", params={"at": 420}).json()
    assert (data["section_page"], data["section_pages"]) == (3, 3)
    assert data["sections"][0]["ord"] == 400 and len(data["sections"]) == 50
    assert len(data["toc"]) == 450 and data["toc"][420]["page"] == 3
    html = web.get(f"/documents/{result.document_id}", params={"page": 2}).text
    assert "Text of clause number 200." in html and "Text of clause number 199." not in html
    # The table of contents links sections on other pages to their page and anchor.
    assert 'href="?version=1&amp;page=3#c-43.1"' in html


def test_large_clause_diff_goes_line_by_line_first() -> None:
    lines = [f"field{i} INTEGER (0..{i})," for i in range(6000)]
    old = "\n".join(lines)
    changed = [*lines]
    changed[3000] = "field3000 INTEGER (0..9999),"
    new = "\n".join(changed)
    assert len(old) + len(new) > LARGE_CLAUSE_CHARS
    ops, ratio = text_ops(old, new)
    edits = [op for op in ops if op.op != "equal"]
    assert [(op.old.strip(), op.new.strip()) for op in edits] == [("(0..3000),", "(0..9999),")]
    assert 0.99 < ratio < 1


@sqlite_only
def test_document_api_matches_and_needs_sign_in(
    corpus: Corpus, client: Callable[..., WebClient], anon: WebClient
) -> None:
    data = client().get(f"/api/v1/documents/{corpus.spec_id}").json()
    (match,) = data["matches"]
    assert (match["patent"], match["claim"], match["all_elements"]) == ("CN112345678A", 1, True)
    evidence = {e["feature"]: e for e in match["evidence"]}
    assert evidence["1A"]["section"] == "5.3.5.1" and evidence["1A"]["anchor"] == "c-5.3.5.1"
    assert evidence["1A"]["quote"] and evidence["1A"]["quote"] in RRC_V2
    assert anon.get(f"/api/v1/documents/{corpus.spec_id}").status_code == 401
    assert anon.get(f"/documents/{corpus.spec_id}/diff").status_code == 303
