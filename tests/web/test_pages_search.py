"""The search page and /api/v1/search over a real store and index: English and Chinese queries,
highlighted snippets, facets and filters, sort, pagination, errors."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.web.conftest import WebClient
from tests.web.pages_data import Corpus, corpus_fixture, web_settings_fixture  # noqa: F401 - fixtures

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def hits(html: str) -> list[str]:
    """The document numbers of the hits on a search page, in order."""
    return re.findall(r'<h2 class="hit-title">\s*<a href="/documents/\d+\?vid=\d+">([^<]+)</a>', html)


def test_english_query_ranks_the_spec_and_highlights_after_escaping(
    corpus: Corpus, client: Callable[..., WebClient]
) -> None:
    web = client()
    page = web.get("/search", params={"q": "RRC reconfiguration"})
    assert page.status_code == 200
    assert hits(page.text) == ["TS 38.331"]
    assert "<mark>RRC</mark> <mark>reconfiguration</mark>" in page.text
    # The hit links to the version and to the clause's anchor on the right page of sections.
    assert re.search(rf'href="/documents/{corpus.spec_id}\?vid=\d+&amp;at=1#c-5.3.5.1"', page.text)
    assert "Documents found: 1" in page.text


def test_chinese_query_finds_the_chinese_standard(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    web = client()
    page = web.get("/search", params={"q": "能力指示"})
    assert hits(page.text) == ["YD/T 3929-2021"]
    assert "<mark>能力指示</mark>" in page.text
    # The latest version is searched by default: 可以 is there, 应当 only in the first version.
    assert hits(web.get("/search", params={"q": "应当"}).text) == []
    assert hits(web.get("/search", params={"q": "应当", "all_versions": "1"}).text) == ["YD/T 3929-2021"]


def test_facets_count_and_filters_narrow(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    web = client()
    data = web.get("/api/v1/search", params={"q": "QUIC OR RRC"}).json()
    facets = {name: {f["value"]: f["count"] for f in values} for name, values in data["facets"].items()}
    assert facets["body"] == {"3GPP": 1, "IETF": 2}
    assert facets["kind"] == {"spec": 1, "draft": 1, "rfc": 1}
    only_ietf = web.get("/api/v1/search", params={"q": "QUIC OR RRC", "body": "IETF"}).json()
    assert {h["number"] for h in only_ietf["hits"]} == {"draft-ietf-quic-transport", "RFC 9000"}
    drafts = web.get("/api/v1/search", params={"q": "QUIC OR RRC", "body": "IETF", "kind": "draft"}).json()
    assert [h["number"] for h in drafts["hits"]] == ["draft-ietf-quic-transport"]
    # The page shows the facet as a link that adds the filter, and the active filter as a chip that removes it.
    page = web.get("/search", params={"q": "QUIC OR RRC", "body": "IETF"})
    assert re.search(r'<a href="/search\?q=QUIC\+OR\+RRC&amp;body=IETF&amp;kind=draft">draft</a>', page.text)
    assert 'class="chip" href="/search?q=QUIC+OR+RRC"' in page.text


def test_date_range_sort_and_pagination(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    web = client()
    everything = web.get("/api/v1/search", params={"q": "RRC OR QUIC OR 终端", "sort": "date"}).json()
    dates = [h["date"] for h in everything["hits"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 4
    recent = web.get("/api/v1/search", params={"q": "RRC OR QUIC OR 终端", "from": "2022-01-01"}).json()
    assert "RFC 9000" not in {h["number"] for h in recent["hits"]}
    first = web.get("/api/v1/search", params={"q": "RRC OR QUIC OR 终端", "per_page": 2}).json()
    second = web.get("/api/v1/search", params={"q": "RRC OR QUIC OR 终端", "per_page": 2, "page": 2}).json()
    assert first["pagination"] == {"page": 1, "per_page": 2, "total": 4, "pages": 2}
    assert {h["number"] for h in first["hits"]}.isdisjoint({h["number"] for h in second["hits"]})
    page = web.get("/search", params={"q": "RRC OR QUIC OR 终端", "per_page": 2})
    assert 'rel="next" href="?q=RRC+OR+QUIC+OR+%E7%BB%88%E7%AB%AF&amp;per_page=2&amp;page=2"' in page.text


def test_empty_query_browses_the_latest_documents(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    page = client().get("/search")
    assert page.status_code == 200
    assert "Latest documents" in page.text
    assert "R2-2501500" in hits(page.text)


def test_bad_input_is_said_plainly(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    web = client()
    page = web.get("/search", params={"q": "RRC", "from": "2025-13-45"})
    assert page.status_code == 200
    assert "from: expected a date as YYYY-MM-DD, got &#39;2025-13-45&#39;" in page.text
    assert hits(page.text) == ["TS 38.331"]  # the rest of the search still runs
    refused = web.get("/search", params={"q": "-RRC"})
    assert refused.status_code == 400
    assert "give at least one word that must match" in refused.text
    api = web.get("/api/v1/search", params={"q": "-RRC"})
    assert api.status_code == 400 and "at least one word" in api.json()["detail"]
    assert web.get("/api/v1/search", params={"q": "x", "to": "soon"}).status_code == 422


def test_search_needs_sign_in(corpus: Corpus, anon: WebClient) -> None:
    assert anon.get("/search", params={"q": "RRC"}).status_code == 303
    answer = anon.get("/api/v1/search", params={"q": "RRC"})
    assert answer.status_code == 401 and "TS 38.331" not in answer.text
