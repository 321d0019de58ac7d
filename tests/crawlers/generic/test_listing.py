"""HTML listings by CSS selectors: the shipped IEEE 802.11 and ITU-T configurations against pages
in the real shapes, selectors that stop matching, ``@attr`` selectors, skipped rows and dates."""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawlers.extract import Extracted, RejectedInput
from crawlers.generic.listing import (
    ListingEntry,
    ListingSpec,
    SelectorMatchedNothing,
    entry_document,
    parse_date,
    parse_listing,
)
from crawlers.items import Section
from tests.conftest import realdata

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "config" / "examples"
FIXTURES = REPO / "tests" / "fixtures" / "listings"
MENTOR = "https://mentor.ieee.org/802.11/documents"


def example_specs(file: str) -> dict[str, ListingSpec]:
    """The listings of a shipped example configuration, as the crawler gets them."""
    loaded = yaml.safe_load((EXAMPLES / file).read_text(encoding="utf-8"))
    return {item["name"]: ListingSpec(**item) for item in loaded["listings"]}


# --- IEEE 802.11 (Mentor) --------------------------------------------------------------------


def mentor_page(entries: Sequence[dict[str, str]], page: int, last_page: int) -> str:
    """A Mentor document-list page holding ``entries`` (real rows scraped from mentor.ieee.org).

    The row markup is the one public scrapers of the page match line by line (whuppy/
    ieee80211-scraper, dociimentor's PageHandler, pystandards): <tr class="b_data_row">, dates in
    <div class="date_time">, three td.dcn_ordinal, two td.long, td.list_actions with the download
    link; the pager is div.pager with the current page in span.selected.num.want_sep and "Next" as
    span.next.on inside a link (span.next.off, no link, on the last page). The page around the
    table is abridged.
    """
    rows = []
    for e in entries:
        rows.append(
            '<tr class="b_data_row">\n'
            f'<td><div class="date_time">{html.escape(e["created_date"])}</div></td>\n'
            f'<td class="dcn_ordinal">{e["dcn_year"]}</td>\n'
            f'<td class="dcn_ordinal">{e["dcn_num"]}</td>\n'
            f'<td class="dcn_ordinal">{e["dcn_rev"]}</td>\n'
            f"<td>{html.escape(e['wgroup'])}</td>\n"
            f'<td class="long">{html.escape(e["title"])}</td>\n'
            f'<td class="long">{html.escape(e["auth_affil"])}</td>\n'
            f'<td><div class="date_time">{html.escape(e["upload_date"])}</div></td>\n'
            f'<td class="list_actions"><a href="{html.escape(e["doc_url"])}">Download</a></td>\n'
            "</tr>"
        )
    prev = (
        f'<a href="/802.11/documents?n={page - 1}"><span class="prev on">Prev</span></a>'
        if page > 1
        else '<span class="prev off">Prev</span>'
    )
    nxt = (
        f'<a href="/802.11/documents?n={page + 1}"><span class="next on">Next</span></a>'
        if page < last_page
        else '<span class="next off">Next</span>'
    )
    numbers = " ".join(
        f'<span class="selected num want_sep">{n}</span>'
        if n == page
        else f'<a href="/802.11/documents?n={n}"><span class="num">{n}</span></a>'
        for n in sorted({1, page - 1, page, page + 1, last_page} - {0, last_page + 1})
    )
    pager = f'<div class="pager">{prev} {numbers} {nxt}</div>'
    header = (
        '<tr class="b_head_row"><th>Created</th><th>Year</th><th>DCN</th><th>Rev</th><th>Group</th>'
        "<th>Title</th><th>Author/Affiliation</th><th>Uploaded</th><th>Actions</th></tr>"
    )
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>802.11 Documents</title>'
        '<script type="text/javascript">var mentor = {};</script></head><body>\n'
        f'<form method="get" action="/802.11/documents?n={page}"><input type="text" name="is_dcn"/></form>\n'
        f"{pager}\n<table>\n{header}\n" + "\n".join(rows) + f"\n</table>\n{pager}\n</body></html>"
    )


@pytest.fixture(scope="module")
def mentor_entries() -> list[dict[str, str]]:
    data = json.loads(
        realdata("other", "ieee802.11_mentor_documents_scraped.json").read_text(encoding="utf-8")
    )
    entries: list[dict[str, str]] = data["repo_entries"]
    assert len(entries) == 200
    return entries


def test_ieee80211_first_page(mentor_entries: list[dict[str, str]]) -> None:
    spec = example_specs("listing_ieee80211.yaml")["ieee80211_documents"]
    page = parse_listing(mentor_page(mentor_entries[:100], 1, 766).encode("utf-8"), MENTOR, spec)
    assert page.problems == []
    assert len(page.entries) == 100
    assert page.next_url == "https://mentor.ieee.org/802.11/documents?n=2"
    first, second = page.entries[0], page.entries[1]
    assert first == ListingEntry(
        number="11-20/1982r47",
        title="TGbe Motions List For Teleconferences-part 2",
        url=(
            "https://mentor.ieee.org/802.11/dcn/20/"
            "11-20-1982-47-00be-tgbe-motions-list-for-teleconferences-part-2.pptx"
        ),
        date=dt.date(2021, 10, 13),
        extra={
            "task_group": "TGbe",
            "authors": "Alfred Asterjadhi (Qualcomm Inc.)",
            "created": "13-Oct-2021 ET",
        },
    )
    assert (second.number, second.title) == ("11-21/1557r1", "CC36 resolution for CIDs for 35.3.9.1")
    last = page.entries[99]
    assert (last.number, last.title, last.date) == (
        "11-21/1572r2",
        "Sep-Nov teleconference Agendas",
        dt.date(2021, 10, 1),
    )
    assert last.extra["task_group"] == "TGm"


def test_ieee80211_second_page_and_every_row(mentor_entries: list[dict[str, str]]) -> None:
    spec = example_specs("listing_ieee80211.yaml")["ieee80211_documents"]
    page = parse_listing(mentor_page(mentor_entries[100:], 2, 766), f"{MENTOR}?n=2", spec)
    assert page.next_url == "https://mentor.ieee.org/802.11/documents?n=3"
    assert (page.entries[0].number, page.entries[0].title) == (
        "11-21/1614r0",
        "CR for 36.3.13.5 (Segment Parser)",
    )
    assert page.entries[50].number == "11-20/1929r3"
    assert page.entries[50].date == dt.date(2021, 9, 27)
    # every row: the number from the link agrees with the DCN columns, as IEEE writes it
    for entry, row in zip(page.entries, mentor_entries[100:], strict=True):
        year, dcn, rev = row["dcn_year"], int(row["dcn_num"]), int(row["dcn_rev"])
        assert entry.number == f"11-{year[2:]}/{dcn:04d}r{rev}"
        assert entry.title == row["title"].strip()
        assert entry.url == "https://mentor.ieee.org" + row["doc_url"]
        assert entry.date == dt.datetime.strptime(row["upload_date"], "%d-%b-%Y %H:%M:%S ET").date()


def test_ieee80211_last_page_has_no_next(mentor_entries: list[dict[str, str]]) -> None:
    spec = example_specs("listing_ieee80211.yaml")["ieee80211_documents"]
    page = parse_listing(mentor_page(mentor_entries[:3], 766, 766), f"{MENTOR}?n=766", spec)
    assert page.next_url is None
    assert len(page.entries) == 3


def test_ieee80211_entry_document(mentor_entries: list[dict[str, str]]) -> None:
    spec = example_specs("listing_ieee80211.yaml")["ieee80211_documents"]
    entry = parse_listing(mentor_page(mentor_entries[1:2], 1, 2), MENTOR, spec).entries[0]
    doc = entry_document(entry, spec)
    assert (doc.source, doc.number, doc.kind, doc.partial) == (
        "ieee80211_documents",
        "11-21/1557r1",
        "listing-entry",
        True,
    )
    assert (doc.body, doc.group, doc.date) == ("IEEE", "802.11", dt.date(2021, 10, 13))
    assert doc.origin == entry.url
    assert doc.sections == [
        Section(
            None,
            None,
            "CC36 resolution for CIDs for 35.3.9.1\ntask_group: TGbe\nauthors: laurent cariou (Intel)\n"
            "created: 13-Oct-2021 ET",
        )
    ]
    assert doc.metadata == {"url": entry.url, "date": "2021-10-13", "extra": entry.extra}

    extracted = Extracted(
        title="CC36 resolution", sections=[Section("1", "Introduction", "CIDs 1-5.")], metadata={"pages": 3}
    )
    followed = entry_document(entry, spec, extracted=extracted)
    assert followed.sections == [Section("1", "Introduction", "CIDs 1-5.")]
    assert (followed.kind, followed.partial, followed.title) == ("document", False, entry.title)
    assert followed.metadata["extracted"] == {"pages": 3}


# --- ITU-T -----------------------------------------------------------------------------------


def test_itut_recommendation_editions() -> None:
    spec = example_specs("listing_itut.yaml")["itut_h264_editions"]
    page = parse_listing(
        (FIXTURES / "itut_rec_h264.html").read_bytes(), "https://www.itu.int/rec/T-REC-H.264/en", spec
    )
    assert page.problems == []
    assert page.next_url is None
    assert [e.number for e in page.entries] == [
        "T-REC-H.264-202408-I",
        "T-REC-H.264-202108-S",
        "T-REC-H.264-201906-S",
        "T-REC-H.264-201704-S",
        "T-REC-H.264-201602-S",
        "T-REC-H.264-200305-S",
    ]
    first = page.entries[0]
    assert first.title == "Advanced video coding for generic audiovisual services"
    assert (
        first.url
        == "https://www.itu.int/rec/T-REC-H.264/recommendation.asp?lang=en&parent=T-REC-H.264-202408-I"
    )
    assert first.date is None
    assert first.extra == {"edition": "H.264 (08/24)", "status": "In force"}
    assert page.entries[-1].extra == {"edition": "H.264 (05/03)", "status": "Superseded"}


def test_itut_study_group_contributions() -> None:
    spec = example_specs("listing_itut.yaml")["itut_sg16_contributions"]
    url = "https://www.itu.int/md/T25-SG16-C/en"
    page = parse_listing((FIXTURES / "itut_md_sg16_contributions.html").read_bytes(), url, spec)
    assert [(e.number, e.date) for e in page.entries] == [
        ("T25-SG16-C-0015", dt.date(2025, 1, 24)),
        ("T25-SG16-C-0014", dt.date(2025, 1, 21)),
        ("T25-SG16-C-0012", dt.date(2025, 1, 10)),
    ]
    second = page.entries[1]
    assert second.title == "Report of the ad hoc group on video coding & immersive media"
    assert second.url == "https://www.itu.int/md/T25-SG16-C-0014/en"
    assert second.extra == {"label": "C 14 Rev.1", "source": "Rapporteur Q6/16", "question": "Q6/16"}
    # the withdrawn contribution has no link, hence no number: skipped and said so
    assert page.problems == [
        "row 3: skipped, no number ('C 13 [Withdrawn] (withdrawn by the source) Example Company B Q5/16 2025-01-20')"
    ]


# --- selectors that match nothing ------------------------------------------------------------

TABLE = """<html><body><table class="docs">
<tr><th>No</th><th>Title</th><th>Date</th></tr>
<tr data-id="d-1"><td class="no">A-1</td><td class="t"><a href="/doc/1?x=1#top" title="First &amp; best">First</a></td><td>2024-03-05</td></tr>
<tr data-id="d-2"><td class="no">A-2</td><td class="t"><a href="https://other.example/2">Second</a></td><td>5 March 2024</td></tr>
</table></body></html>"""
TABLE_URL = "https://example.org/list/index.html"


def spec_for(**fields: Any) -> ListingSpec:
    base: dict[str, Any] = {
        "name": "test_list",
        "url": TABLE_URL,
        "row": "table.docs tr:has(td)",
        "title": "td.t",
    }
    base.update(fields)
    return ListingSpec(**base)


@pytest.mark.parametrize(
    ("fields", "key", "selector"),
    [
        ({"row": "table.dcn tr"}, "row", "table.dcn tr"),
        ({"title": "td.long"}, "title", "td.long"),
        ({"number": "td.dcn"}, "number", "td.dcn"),
        ({"link": "td.actions a@href"}, "link", "td.actions a@href"),
        ({"number_pattern": r"/dcn/(\d+)"}, "number_pattern", r"/dcn/(\d+)"),
    ],
)
def test_selector_matching_nothing_names_it(fields: dict[str, str], key: str, selector: str) -> None:
    with pytest.raises(SelectorMatchedNothing) as info:
        parse_listing(TABLE, TABLE_URL, spec_for(**fields))
    error = info.value
    assert isinstance(error, RejectedInput)
    assert (error.listing, error.key, error.selector, error.url) == ("test_list", key, selector, TABLE_URL)
    where = "" if key == "row" else "in any of the 2 rows "
    assert (
        error.reason
        == f"listing test_list: selector {key} {selector!r} matched nothing {where}on {TABLE_URL}"
    )


def test_the_documented_message() -> None:
    spec = ListingSpec(name="ieee80211_documents", url=MENTOR, row="table.dcn tr", title="td.long")
    with pytest.raises(
        SelectorMatchedNothing,
        match=r"^listing ieee80211_documents: selector row 'table.dcn tr' matched nothing on https://mentor",
    ):
        parse_listing("<html><body><table><tr><td>x</td></tr></table></body></html>", MENTOR, spec)


# --- @attr selectors, numbers, links, problems -----------------------------------------------


def test_attribute_selectors() -> None:
    spec = spec_for(
        title="td.t a@title",
        number="@data-id",
        date="td:nth-of-type(3)",
        extra={"href": "td.t a@href", "label": "td.t"},
    )
    page = parse_listing(TABLE, TABLE_URL, spec)
    first = page.entries[0]
    assert (first.number, first.title, first.url) == (
        "d-1",
        "First & best",
        "https://example.org/doc/1?x=1#top",
    )
    assert first.extra == {"href": "/doc/1?x=1#top", "label": "First"}
    assert first.date == dt.date(2024, 3, 5)
    # the second row has no title attribute: skipped and noted, while the row selector still works
    assert [e.number for e in page.entries] == ["d-1"]
    assert page.problems == ["row 2: skipped, no title ('A-2 Second 5 March 2024')"]


def test_number_falls_back_to_the_link_without_query_and_fragment() -> None:
    page = parse_listing(TABLE, TABLE_URL, spec_for())  # link defaults to a@href
    assert [(e.number, e.url) for e in page.entries] == [
        ("https://example.org/doc/1", "https://example.org/doc/1?x=1#top"),
        ("https://other.example/2", "https://other.example/2"),
    ]


def test_at_sign_inside_css_is_not_an_attribute() -> None:
    markup = '<ul><li><a href="mailto:x@example.org">Mail</a></li><li><a href="/d/7">Doc 7</a></li></ul>'
    spec = ListingSpec(
        name="mail_list", url=TABLE_URL, row="li", title="a", link="a[href*='@']", number="a", extra={}
    )
    page = parse_listing(markup, TABLE_URL, spec)
    # "a[href*='@']" is one CSS selector (it does not match /d/7); a mailto: link is no URL
    assert [(e.number, e.url) for e in page.entries] == [("Mail", None), ("Doc 7", None)]
    assert page.problems == ["row 1: link 'mailto:x@example.org' is not an http(s) URL"]


def test_number_pattern_and_format() -> None:
    spec = spec_for(
        number="td.no", number_pattern=r"(?P<series>[A-Z])-(?P<n>\d+)", number_format="{series}{n:03d}"
    )
    assert [e.number for e in parse_listing(TABLE, TABLE_URL, spec).entries] == ["A001", "A002"]
    one_group = spec_for(number="td.no", number_pattern=r"-(\d+)")
    assert [e.number for e in parse_listing(TABLE, TABLE_URL, one_group).entries] == ["1", "2"]
    positional = spec_for(number="td.no", number_pattern=r"([A-Z])-(\d+)", number_format="{2}/{1}")
    assert [e.number for e in parse_listing(TABLE, TABLE_URL, positional).entries] == ["1/A", "2/A"]


def test_rows_with_missing_fields() -> None:
    markup = """<table>
    <tr><td class="no">X-1</td><td class="t">Complete</td><td class="d">2024-01-31</td></tr>
    <tr><td class="no">X-2</td><td class="t">No date</td></tr>
    <tr><td class="no">X-3</td><td class="t"> </td><td class="d">2024-02-01</td></tr>
    <tr><td class="t">No number</td></tr>
    <tr><td class="no">X-5</td><td class="t">Odd date</td><td class="d">sometime in spring</td></tr>
    <tr><td class="no">X-6</td><td class="t"><a href="javascript:open()">Script link</a></td></tr>
    </table>"""
    spec = ListingSpec(
        name="gaps", url=TABLE_URL, row="tr", title="td.t", number="td.no", date="td.d", link="td.t a"
    )
    page = parse_listing(markup, TABLE_URL, spec)
    assert [(e.number, e.title, e.date, e.url) for e in page.entries] == [
        ("X-1", "Complete", dt.date(2024, 1, 31), None),
        ("X-2", "No date", None, None),
        ("X-5", "Odd date", None, None),
        ("X-6", "Script link", None, None),
    ]
    assert page.problems == [
        "row 3: skipped, no title ('X-3 2024-02-01')",
        "row 4: skipped, no number ('No number')",
        "row 5: date 'sometime in spring' not understood",
        "row 6: link 'javascript:open()' is not an http(s) URL",
    ]


def test_base_href_and_next_page() -> None:
    markup = """<html><head><base href="https://cdn.example/docs/"></head><body>
    <div class="item"><a href="a.pdf">A</a></div>
    <a class="next" href="?page=2">next</a></body></html>"""
    spec = ListingSpec(name="based", url=TABLE_URL, row="div.item", title="a", next_page="a.next")
    page = parse_listing(markup, TABLE_URL, spec)
    assert page.entries[0].url == "https://cdn.example/docs/a.pdf"
    assert page.next_url == "https://cdn.example/docs/?page=2"
    # a "next" link to the page itself ends the walk instead of looping
    looping = markup.replace('href="?page=2"', f'href="{TABLE_URL}"').replace(
        '<base href="https://cdn.example/docs/">', ""
    )
    assert parse_listing(looping, TABLE_URL, spec).next_url is None


def test_text_skips_scripts_and_spaces_blocks() -> None:
    markup = '<div class="r"><h3>Title<script>x()</script></h3><p>one<br>two</p><a href="/x">l</a></div>'
    spec = ListingSpec(name="texts", url=TABLE_URL, row="div.r", title="h3", extra={"body": "p"})
    entry = parse_listing(markup, TABLE_URL, spec).entries[0]
    assert (entry.title, entry.extra) == ("Title", {"body": "one two"})


# --- configuration errors and hostile input --------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "td:nth-of-type("}, "selector title 'td:nth-of-type(' is not valid CSS"),
        ({"row": "tr@id"}, "selector row 'tr@id' cannot take an attribute"),
        ({"number_pattern": "(a)(b)"}, "needs exactly one group (it has 2), or a number_format"),
        ({"number_pattern": "(unclosed"}, "is not a valid regex"),
        ({"number_pattern": "(?P<a>x)", "number_format": "{b}"}, "names {b}, which is not a group"),
        ({"number_format": "{1}"}, "number_format needs a number_pattern"),
        ({"max_pages": 0}, "max_pages must be at least 1"),
    ],
)
def test_invalid_specs_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(
        ValueError,
        match=message.replace("(", r"\(").replace(")", r"\)").replace("{", r"\{").replace("}", r"\}"),
    ):
        spec_for(**fields)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        ("   ", "empty file"),
        (b"\x00\x01\x02\x03binary\x00", "binary content, not text"),
    ],
)
def test_not_a_page(data: bytes | str, reason: str) -> None:
    with pytest.raises(RejectedInput) as info:
        parse_listing(data, TABLE_URL, spec_for())
    assert info.value.reason == reason


def test_deeply_nested_markup_is_harmless() -> None:
    markup = "<div>" * 20_000 + '<p class="t"><a href="/d">Deep</a></p>' + "</div>" * 20_000
    spec = ListingSpec(name="deep", url=TABLE_URL, row="p.t", title="a")
    page = parse_listing(markup, TABLE_URL, spec)
    assert [(e.title, e.url) for e in page.entries] == [("Deep", "https://example.org/d")]


@pytest.mark.parametrize(
    ("text", "date_format", "expected"),
    [
        ("13-Oct-2021 13:03:53 ET", None, dt.date(2021, 10, 13)),
        ("13-Oct-2021 ET", None, dt.date(2021, 10, 13)),
        ("13-Oct-2021 13:03:53 ET", "%d-%b-%Y %H:%M:%S ET", dt.date(2021, 10, 13)),
        ("13-Oct-2021", "%Y-%m-%d", None),
        ("2021-10-13", None, dt.date(2021, 10, 13)),
        ("2021-10-13T13:03:53Z", None, dt.date(2021, 10, 13)),
        ("2020/02/24 6:02", None, dt.date(2020, 2, 24)),
        ("Wed, 13 Oct 2021 13:03:53 +0000", None, dt.date(2021, 10, 13)),
        ("October 13, 2021", None, dt.date(2021, 10, 13)),
        ("Sept. 3rd, 2021", None, dt.date(2021, 9, 3)),
        ("3 septembre 2021", None, dt.date(2021, 9, 3)),
        ("13.10.2021", None, dt.date(2021, 10, 13)),
        ("03.04.2021", None, dt.date(2021, 4, 3)),
        ("13/10/2021", None, dt.date(2021, 10, 13)),
        ("3/26/2019  4:49 PM", None, dt.date(2019, 3, 26)),
        ("03/04/2021", None, None),  # March 4th or 3 April: not guessed
        ("2021年10月13日", None, dt.date(2021, 10, 13)),
        ("20211013", None, dt.date(2021, 10, 13)),
        ("2021-02-30", None, None),
        ("Q3/16", None, None),
        ("", None, None),
    ],
)
def test_parse_date(text: str, date_format: str | None, expected: dt.date | None) -> None:
    assert parse_date(text, date_format) == expected
