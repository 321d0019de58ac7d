"""The search-index contract: every backend must pass these (Elasticsearch joins in issue H)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.search.base import IndexSection, IndexVersion, QueryError, SearchFilters, SearchIndex, SearchQuery
from index.search.sqlite_fts import SqliteFtsIndex


@pytest.fixture(params=["sqlite", "elasticsearch"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    if request.param == "sqlite":
        ix: SearchIndex = SqliteFtsIndex(tmp_path / "search.sqlite")
        yield ix
        ix.close()
        return
    url = os.environ.get("SEPWATCH_TEST_ES_URL")
    if not url:
        pytest.skip("SEPWATCH_TEST_ES_URL is not set (no Elasticsearch server on this machine)")
    from index.search.elasticsearch import ElasticsearchIndex  # the client is needed only here

    es = ElasticsearchIndex(url, prefix=f"sepwatch-test-{uuid.uuid4().hex[:12]}")
    try:
        yield es
    finally:
        es.drop()
        es.close()


_next_version = iter(range(1, 10_000))


def version(doc_id: int, *texts: str | tuple[str, str], seq: int = 1, **facets: object) -> IndexVersion:
    sections = []
    for i, t in enumerate(texts):
        heading, body = t if isinstance(t, tuple) else (None, t)
        sections.append(IndexSection(i, str(i + 1), heading, body))
    fields: dict[str, object] = {
        "source": "local", "number": f"DOC-{doc_id}", "kind": "text", "title": f"Document {doc_id}", "body": None,
        "group": None, "meeting": None, "release": None, "spec": None, "date": None, "label": None,
    }  # fmt: skip
    fields.update(facets)
    return IndexVersion(
        version_id=next(_next_version),
        document_id=doc_id,
        seq=seq,
        sections=sections,
        **fields,  # type: ignore[arg-type]
    )


def numbers(index: SearchIndex, text: str, **kw: object) -> list[str]:
    return [h.number for h in index.search(SearchQuery(text, **kw)).hits]  # type: ignore[arg-type]


CHINESE = [
    version(1, "本发明涉及一种数据传输方法，终端向基站发送消息。", "所述标准必要专利的许可条件。"),
    version(2, "专利申请的实质审查请求应当在三年内提出。"),
    version(3, "标准化组织的会议安排和文稿截止日期。"),
    version(4, "The UE sends an RRC message to the base station."),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("专利", {"DOC-1", "DOC-2"}),
        ("标准", {"DOC-1", "DOC-3"}),
        ("标准必要专利", {"DOC-1"}),
        ("数据传输", {"DOC-1"}),
        ("实质审查", {"DOC-2"}),
        ("审查 会议", set()),  # both words must match
        ("审查 OR 会议", {"DOC-2", "DOC-3"}),
        ("专标", set()),  # characters that are not adjacent anywhere
        ("基站 RRC", set()),
        ("基站 OR RRC", {"DOC-1", "DOC-4"}),
    ],
)
def test_chinese_words_of_two_or_more_characters_are_found(
    index: SearchIndex, query: str, expected: set[str]
) -> None:
    index.add(CHINESE)
    assert set(numbers(index, query, limit=50)) == expected


def test_a_single_chinese_character_finds_words_it_starts(index: SearchIndex) -> None:
    index.add(CHINESE)
    assert "DOC-2" in numbers(index, "审")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("MESSAGE", {"DOC-1"}),
        ("messages", {"DOC-1"}),
        ("configured", {"DOC-2"}),  # stem of "configuration"
        ("Configuration", {"DOC-2"}),
        ('"base station"', {"DOC-1"}),
        ('"station base"', set()),
        ("stat*", {"DOC-1", "DOC-2"}),
        ("message -station", set()),
        ("message NOT station", set()),
        ("rrcreconfiguration OR message", {"DOC-1", "DOC-2"}),
        ("TS 38.331", {"DOC-2"}),
        ("38.331", {"DOC-2"}),
        ("R1-2506700", {"DOC-2"}),
    ],
)
def test_english_is_case_folded_stemmed_and_phrases_work(
    index: SearchIndex, query: str, expected: set[str]
) -> None:
    index.add(
        [
            version(1, "The UE sends a Message to the base station."),
            version(
                2,
                "Configuration of the RRCReconfiguration per TS 38.331, see R1-2506700.",
                "station of the base",
            ),
        ]
    )
    assert set(numbers(index, query)) == expected


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        "*",
        "(",
        ")",
        "NEAR(a b)",
        "a:b",
        "col:text",
        "^a",
        "AND",
        "OR OR",
        "-",
        "--x",
        "'",
        "\\",
        "a\x00b",
        "{}",
        "+",
        "NOT plain",
    ],
)
def test_any_user_input_searches_or_says_clearly_why_not(index: SearchIndex, query: str) -> None:
    index.add([version(1, "plain text with a b and x")])
    try:
        result = index.search(SearchQuery(query))
    except QueryError as exc:
        assert str(exc).startswith("nothing to search for in"), exc
    else:
        assert result.total >= 0 and query != "NOT plain"


def test_many_exclusions_work_and_too_many_terms_are_refused(index: SearchIndex) -> None:
    index.add([version(1, "alpha beta"), version(2, "alpha gamma")])
    excluded = " ".join(f"-word{i}" for i in range(60))
    assert numbers(index, f"alpha {excluded} -gamma") == ["DOC-1"]
    with pytest.raises(QueryError, match="too many terms in the query"):
        index.search(SearchQuery("alpha " + " ".join(f"-word{i}" for i in range(300))))


def test_documents_rank_by_their_best_section(index: SearchIndex) -> None:
    index.add(
        [
            version(
                1, "nothing here", "handover handover handover procedure for the handover", "more filler text"
            ),
            version(
                2, "a handover is mentioned once among many other words about cells and beams and timers"
            ),
            version(3, "unrelated"),
        ]
    )
    result = index.search(SearchQuery("handover"))
    assert [h.number for h in result.hits] == ["DOC-1", "DOC-2"]
    assert result.hits[0].score > result.hits[1].score
    assert result.hits[0].sections[0].number == "2"  # the section that matched, not the document start


def test_heading_matches_weigh_more_than_body_matches(index: SearchIndex) -> None:
    index.add(
        [
            version(1, ("Introduction", "this clause says how paging works for idle devices in the network")),
            version(
                2, ("Paging", "this clause says how the procedure works for idle devices in the network")
            ),
        ]
    )
    assert numbers(index, "paging") == ["DOC-2", "DOC-1"]


def test_sections_per_hit_returns_the_best_sections_of_a_document(index: SearchIndex) -> None:
    index.add([version(1, "timer T310", "no match", "timer T310 expiry and timer T311", "timer")])
    [hit] = index.search(SearchQuery("timer", sections_per_hit=2)).hits
    assert hit.matched_sections == 3
    assert len(hit.sections) == 2
    assert {s.number for s in hit.sections} <= {"1", "3", "4"}


def test_snippets_are_escaped_then_highlighted(index: SearchIndex) -> None:
    index.add(
        [version(1, 'Title <script>alert("x")</script> & <b>bold</b> 专利<img src=x onerror=alert(1)>')]
    )
    [hit] = index.search(SearchQuery("script OR bold OR 专利")).hits
    snip = hit.sections[0].snippet
    assert "<script" not in snip and "<b>" not in snip and "<img" not in snip
    assert "&lt;<mark>script</mark>&gt;" in snip
    assert "&lt;b&gt;<mark>bold</mark>&lt;/b&gt;" in snip
    assert "<mark>专利</mark>&lt;img" in snip
    assert "&amp;" in snip
    stripped = snip.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped


def test_snippet_centres_on_the_match_in_a_long_section(index: SearchIndex) -> None:
    long_text = "filler " * 400 + "the needle is here" + " filler" * 400
    index.add([version(1, long_text)])
    snip = index.search(SearchQuery("needle")).hits[0].sections[0].snippet
    assert "<mark>needle</mark>" in snip
    assert snip.startswith("…") and snip.endswith("…")
    assert len(snip) < 400


FACETED = [
    version(1, "paging cause", source="3gpp_tdocs", kind="tdoc", body="3GPP", group="RAN2", meeting="RAN2#130",
            release="Rel-19", spec="TS 38.331", date=dt.date(2025, 5, 19)),
    version(2, "paging early indication", source="3gpp_tdocs", kind="tdoc", body="3GPP", group="RAN1",
            meeting="RAN1#122-bis", release="Rel-19", spec="TS 38.213", date=dt.date(2025, 10, 13)),
    version(3, "paging in the IETF sense", source="ietf", kind="draft", body="IETF", group="quic",
            date=dt.date(2024, 3, 1)),
    version(4, "nothing about it", source="ietf", kind="draft", body="IETF", group="quic", date=dt.date(2024, 3, 2)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(), {"DOC-1", "DOC-2", "DOC-3"}),
        (SearchFilters(source=("ietf",)), {"DOC-3"}),
        (SearchFilters(kind=("tdoc",)), {"DOC-1", "DOC-2"}),
        (SearchFilters(body=("3GPP",)), {"DOC-1", "DOC-2"}),
        (SearchFilters(group=("RAN1", "quic")), {"DOC-2", "DOC-3"}),
        (SearchFilters(meeting=("RAN2#130",)), {"DOC-1"}),
        (SearchFilters(release=("Rel-19",)), {"DOC-1", "DOC-2"}),
        (SearchFilters(spec=("TS 38.213",)), {"DOC-2"}),
        (SearchFilters(date_from=dt.date(2025, 1, 1)), {"DOC-1", "DOC-2"}),
        (SearchFilters(date_to=dt.date(2025, 6, 1)), {"DOC-1", "DOC-3"}),
        (SearchFilters(date_from=dt.date(2025, 5, 19), date_to=dt.date(2025, 5, 19)), {"DOC-1"}),
        (SearchFilters(body=("3GPP",), group=("quic",)), set()),
    ],
)
def test_filters(index: SearchIndex, filters: SearchFilters, expected: set[str]) -> None:
    index.add(FACETED)
    result = index.search(SearchQuery("paging", filters=filters))
    assert {h.number for h in result.hits} == expected
    assert result.total == len(expected)


def test_facet_counts_are_documents_per_value_within_the_filtered_hits(index: SearchIndex) -> None:
    index.add(FACETED)
    facets = index.search(SearchQuery("paging", facets=True)).facets
    assert dict(facets["body"]) == {"3GPP": 2, "IETF": 1}
    assert dict(facets["group"]) == {"RAN1": 1, "RAN2": 1, "quic": 1}
    assert dict(facets["release"]) == {"Rel-19": 2}
    filtered = index.search(SearchQuery("paging", facets=True, filters=SearchFilters(body=("3GPP",)))).facets
    assert dict(filtered["kind"]) == {"tdoc": 2}


def test_empty_query_browses_the_filtered_documents_newest_first(index: SearchIndex) -> None:
    index.add(FACETED)
    result = index.search(SearchQuery("", filters=SearchFilters(body=("IETF",)), facets=True))
    assert [h.number for h in result.hits] == ["DOC-4", "DOC-3"]
    assert dict(result.facets["group"]) == {"quic": 2}


def test_sort_by_date(index: SearchIndex) -> None:
    index.add(FACETED)
    assert numbers(index, "paging", sort="date") == ["DOC-2", "DOC-1", "DOC-3"]


def test_only_the_latest_version_is_searched_unless_all_versions(index: SearchIndex) -> None:
    old = version(7, "the old wording about timers", seq=1)
    new = version(7, "the new wording about counters", seq=2)
    index.add([old])
    index.add([new])
    assert numbers(index, "timers") == []
    assert numbers(index, "counters") == ["DOC-7"]
    every = index.search(SearchQuery("wording", all_versions=True)).hits
    assert sorted(h.version_id for h in every) == sorted([old.version_id, new.version_id])
    assert index.counts() == {"documents": 1, "versions": 2, "sections": 2}


def test_adding_a_version_again_replaces_it(index: SearchIndex) -> None:
    v = version(8, "alpha beta")
    index.add([v])
    index.add([v])
    assert index.search(SearchQuery("alpha")).total == 1
    assert index.counts()["sections"] == 1


def test_remove_and_clear(index: SearchIndex) -> None:
    a, b = version(9, "gamma one", seq=1), version(9, "gamma two", seq=2)
    index.add([a, b])
    index.remove([b.version_id])
    [hit] = index.search(SearchQuery("gamma")).hits
    assert hit.version_id == a.version_id  # the older version is the latest again
    index.clear()
    assert index.search(SearchQuery("gamma")).total == 0
    assert index.counts() == {"documents": 0, "versions": 0, "sections": 0}


def test_pagination_and_total(index: SearchIndex) -> None:
    index.add([version(100 + i, f"common word number {i}") for i in range(25)])
    first = index.search(SearchQuery("common", limit=10))
    third = index.search(SearchQuery("common", limit=10, offset=20))
    assert first.total == 25 and len(first.hits) == 10
    assert len(third.hits) == 5
    assert not {h.number for h in first.hits} & {h.number for h in third.hits}
    beyond = index.search(SearchQuery("common", limit=10, offset=40))
    assert beyond.hits == [] and beyond.total == 25


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("审", {"DOC-2"}),  # starts a pair
        ("求", {"DOC-2"}),  # ends the run 请求
        ("5G专利", {"DOC-5"}),
        ('"专利 5G"', {"DOC-6"}),
        ("专利 5G", {"DOC-5", "DOC-6"}),
        ("5G", {"DOC-5", "DOC-6"}),
        ("UE侧", {"DOC-10"}),  # a lone character ending the phrase continues in the text
        ("5G专", {"DOC-5"}),
        ("ＲＲＣ ｃｏｎｆｉｇｕｒａｔｉｏｎ", {"DOC-11"}),  # full-width, as Chinese input methods type it
        ("ＵＥ侧", {"DOC-10"}),
    ],
)
def test_single_characters_and_mixed_chinese_english(
    index: SearchIndex, query: str, expected: set[str]
) -> None:
    index.add(
        [
            version(2, "审查请求"),
            version(5, "关于5G专利的说明"),
            version(6, "专利 5G 网络"),
            version(10, "UE侧的处理"),
            version(11, "ＲＲＣ configuration of the UE"),
        ]
    )
    assert set(numbers(index, query)) == expected


def test_full_width_text_is_found_and_highlighted_by_ascii_queries(index: SearchIndex) -> None:
    index.add([version(1, "终端发送ＲＲＣ消息")])
    [hit] = index.search(SearchQuery("rrc")).hits
    assert "<mark>ＲＲＣ</mark>" in hit.sections[0].snippet
