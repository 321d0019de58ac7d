"""The configured feed and listing spiders against a loopback mirror.

The feeds are the fixtures in the shapes of the IETF datatracker (Atom) and ETSI newsroom (RSS)
feeds, configured as in config/examples/feeds.yaml. The listings are the shipped IEEE 802.11 and
ITU-T example configurations with their URLs moved onto the mirror, serving the real Mentor rows
rendered in the page's real markup and the ITU-T page fixtures; followed documents are generated.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from fpdf import FPDF

from crawlers.extract import RejectedInput
from crawlers.generic.feed import NOT_A_FEED_HTML, FeedSpec, parse_feed
from crawlers.spiders.generic_listing import UnsupportedDocument, extract_document
from tests.conftest import REPO, realdata
from tests.crawlers.generic.test_listing import mentor_page
from tests.crawlers.spiders.conftest import Sepwatch, docx_of, zip_of
from tests.mirror import Mirror

EXAMPLES = REPO / "config" / "examples"
FEEDS = REPO / "tests" / "fixtures" / "feeds"
LISTINGS = REPO / "tests" / "fixtures" / "listings"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
HTML = "text/html; charset=utf-8"
MENTOR = "/802.11/documents"


def example(file: str, key: str) -> dict[str, dict[str, Any]]:
    """The sources of a shipped example configuration by name."""
    loaded = yaml.safe_load((EXAMPLES / file).read_text(encoding="utf-8"))
    return {item["name"]: item for item in loaded[key]}


def on_mirror(source: dict[str, Any], mirror: Mirror, **changes: Any) -> tuple[dict[str, Any], str]:
    """``source`` with its URL moved onto the mirror (same path and query), and that path."""
    parts = urlsplit(source["url"])
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return {**source, "url": mirror.url + path, **changes}, path


def latest(documents: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The latest exported version of each document, by number."""
    out: dict[str, dict[str, Any]] = {}
    for document in documents:
        out[document["number"]] = document
    return out


def hits_of(mirror: Mirror, path: str) -> list[int]:
    return [hit.status for hit in mirror.log if hit.path == path]


def health(sepwatch: Sepwatch) -> dict[str, dict[str, Any]]:
    status = json.loads(sepwatch("status", "--json").stdout)
    return {h["source"]: h for h in status["sources"]}


def dcn(entry: dict[str, str]) -> str:
    """The number IEEE gives a Mentor row: 11-21/1557r1."""
    return f"11-{entry['dcn_year'][2:]}/{int(entry['dcn_num']):04d}r{int(entry['dcn_rev'])}"


def new_items(result: dict[str, Any]) -> int:
    counts = result["counts"]
    return int(counts.get("new_document", 0)) + int(counts.get("new_version", 0))


# --- feeds -----------------------------------------------------------------------------------


def test_feeds_are_stored_then_not_downloaded_again_and_republication_is_no_change(
    sepwatch: Sepwatch, mirror: Mirror
) -> None:
    feeds = example("feeds.yaml", "feeds")
    quic, quic_path = on_mirror(feeds["ietf_quic_documents"], mirror)
    etsi, etsi_path = on_mirror(feeds["etsi_news"], mirror)
    assert etsi_path == "/newsroom/news?format=feed&type=rss"
    mirror.put_file(quic_path, FEEDS / "ietf_quic_documents.atom", ATOM)
    mirror.put_file(etsi_path, FEEDS / "etsi_news.rss", RSS)
    sepwatch.configure({"feeds": [quic, etsi]})

    first = sepwatch.crawl("ietf_quic_documents")
    assert (first["status"], first["errors"]) == ("succeeded", [])
    assert (first["counts"]["feed_entries"], first["counts"]["new_document"]) == (3, 3)
    assert sepwatch.crawl("etsi_news")["counts"]["new_document"] == 3

    docs = sepwatch.export("documents", "--source", "ietf_quic_documents")
    assert [(d["number"], d["title"], d["date"], d["origin"]) for d in docs] == [
        (
            "urn:uid:2033911",
            "Multipath Extension for QUIC",
            "2024-10-21",
            mirror.url + "/doc/draft-ietf-quic-multipath/",
        ),
        (
            "urn:uid:2031877",
            "QUIC Acknowledgment Frequency",
            "2024-10-16",
            mirror.url + "/doc/draft-ietf-quic-ack-frequency/",
        ),
        (
            "urn:uid:2029302",
            "qlog: Structured Logging for Network Protocols",
            "2024-10-09",
            mirror.url + "/doc/draft-ietf-quic-qlog-main-schema/",
        ),
    ]
    multipath = docs[0]
    assert (multipath["kind"], multipath["body"], multipath["group"], multipath["partial"]) == (
        "feed-entry",
        "IETF",
        "quic",
        False,
    )
    assert multipath["sections"] == [
        {"number": None, "heading": None, "text": "New version available: draft-ietf-quic-multipath-11.txt"}
    ]

    news = {d["number"]: d for d in sepwatch.export("documents", "--source", "etsi_news")}
    press_number = (
        "https://www.etsi.org/newsroom/press-releases/"
        "2412-etsi-releases-a-new-specification-on-quantum-safe-key-exchange"
    )
    press = news[press_number]
    assert (press["title"], press["date"], press["origin"], press["body"]) == (
        "ETSI releases a new specification on quantum-safe key exchange",
        "2024-10-21",
        press_number,
        "ETSI",
    )
    assert press["metadata"]["authors"] == ["ETSI Press"]
    # escaped markup in the title is stored as plain text
    titles = sorted(d["title"] for d in news.values())
    assert titles[-1] == "New Industry Specification Group on Integrated Sensing and Communications"
    assert not any("<" in t for t in titles)

    hits = sepwatch.search("hybrid key exchange quantum-safe", "--source", "etsi_news")["hits"]
    assert [h["number"] for h in hits] == [press_number]
    hits = sepwatch.search("last call", "--source", "ietf_quic_documents")["hits"]
    assert [h["number"] for h in hits] == ["urn:uid:2031877"]

    # Unchanged: the server answers 304 and nothing is stored.
    mirror.log.clear()
    second = sepwatch.crawl("etsi_news")
    assert hits_of(mirror, etsi_path) == [304]
    assert second["counts"]["not_modified"] == 1 and new_items(second) == 0

    # Re-published with new dates and in the opposite order: the same entries, no new versions.
    original = (FEEDS / "etsi_news.rss").read_bytes()
    republished = original.replace(b"Mon, 21 Oct 2024 09:30:00 +0200", b"Thu, 24 Oct 2024 08:00:00 +0200")
    head, *items = republished.split(b"<item>")
    items[-1], tail = items[-1].split(b"</channel>")
    mirror.put(etsi_path, head + b"<item>" + b"<item>".join(reversed(items)) + b"</channel>" + tail, RSS)
    mirror.log.clear()
    third = sepwatch.crawl("etsi_news")
    assert hits_of(mirror, etsi_path) == [200]
    assert (third["counts"]["unchanged"], new_items(third)) == (3, 0)
    versions = sepwatch.export("documents", "--source", "etsi_news")
    assert len(versions) == 3  # still one version per entry
    assert {d["number"]: d["date"] for d in versions}[press_number] == "2024-10-24"


def test_malformed_feed_keeps_what_was_recovered_and_a_page_or_404_instead_of_a_feed_fails(
    sepwatch: Sepwatch, mirror: Mirror
) -> None:
    rss = (FEEDS / "etsi_news.rss").read_bytes()
    third_item = rss.index(b"<item>", rss.index(b"</item>", rss.index(b"</item>") + 1))
    truncated = rss[: rss.index(b"<description>", third_item)]  # cut off inside the third item
    mirror.put("/truncated.rss", truncated, RSS)
    mirror.put(
        "/moved.rss",
        "<!DOCTYPE html><html><head><title>Newsroom</title></head><body><h1>We moved</h1></body></html>",
        HTML,
    )
    sepwatch.configure(
        {
            "feeds": [
                {"name": "etsi_truncated", "url": f"{mirror.url}/truncated.rss", "body": "ETSI"},
                {"name": "etsi_moved", "url": f"{mirror.url}/moved.rss", "body": "ETSI"},
                {"name": "etsi_gone", "url": f"{mirror.url}/gone.rss", "body": "ETSI"},
            ]
        }
    )

    broken = sepwatch.crawl("etsi_truncated")
    problem = parse_feed(truncated, FeedSpec("etsi_truncated", f"{mirror.url}/truncated.rss")).problem
    assert problem is not None and "no element found" in problem
    assert broken["status"] == "succeeded"
    assert broken["errors"] == [
        {"url": f"{mirror.url}/truncated.rss", "reason": f"malformed feed (3 entries recovered): {problem}"}
    ]
    stored = {d["number"]: d for d in sepwatch.export("documents", "--source", "etsi_truncated")}
    assert len(stored) == 3
    assert "https://www.etsi.org/newsroom/news/2409-etsi-security-conference-2024-programme-online" in stored
    assert len(sepwatch.search("hybrid key exchange", "--source", "etsi_truncated")["hits"]) == 1
    # what the truncation left of the third entry is kept
    isg = stored["https://www.etsi.org/newsroom/news/2401-new-isg-on-integrated-sensing-and-communications"]
    assert isg["title"] == "New Industry Specification Group on Integrated Sensing and Communications"

    moved = sepwatch.crawl("etsi_moved", ok=False)
    assert moved["status"] == "failed"
    assert moved["errors"] == [{"url": f"{mirror.url}/moved.rss", "reason": NOT_A_FEED_HTML}]
    assert sepwatch.export("documents", "--source", "etsi_moved") == []
    # A feed that is not there any more fails the source too (a 404 elsewhere is only noted).
    gone = sepwatch.crawl("etsi_gone", ok=False)
    assert gone["status"] == "failed"
    assert gone["errors"] == [{"url": f"{mirror.url}/gone.rss", "reason": "HTTP 404 (not found)"}]

    sources = health(sepwatch)
    assert sources["etsi_gone"]["state"] == "failing"
    assert sources["etsi_moved"]["state"] == "failing"
    assert sources["etsi_moved"]["last_error"] == NOT_A_FEED_HTML
    assert sources["etsi_truncated"]["state"] == "healthy"


# --- listings --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mentor_entries() -> list[dict[str, str]]:
    data = json.loads(
        realdata("other", "ieee802.11_mentor_documents_scraped.json").read_text(encoding="utf-8")
    )
    entries: list[dict[str, str]] = data["repo_entries"]
    assert len(entries) == 200
    return entries


def test_ieee80211_listing_pages_then_304_then_a_layout_change_fails(
    sepwatch: Sepwatch, mirror: Mirror, mentor_entries: list[dict[str, str]]
) -> None:
    listing, path = on_mirror(
        example("listing_ieee80211.yaml", "listings")["ieee80211_documents"], mirror, max_pages=2
    )
    assert path == MENTOR
    mirror.put(MENTOR, mentor_page(mentor_entries[:100], 1, 766), HTML)
    mirror.put(f"{MENTOR}?n=2", mentor_page(mentor_entries[100:], 2, 766), HTML)
    mirror.put(f"{MENTOR}?n=3", mentor_page(mentor_entries[:10], 3, 766), HTML)
    sepwatch.configure({"listings": [listing]})

    first = sepwatch.crawl("ieee80211_documents")
    assert (first["status"], first["errors"]) == ("succeeded", [])
    assert first["counts"]["listing_pages"] == 2
    assert first["counts"]["listing_pages_beyond_max_pages"] == 1
    assert f"{MENTOR}?n=3" not in mirror.requested()  # max_pages: 2
    docs = latest(sepwatch.export("documents", "--source", "ieee80211_documents"))
    assert len(docs) == 200
    cc36 = docs["11-21/1557r1"]
    assert (cc36["title"], cc36["date"], cc36["kind"], cc36["partial"]) == (
        "CC36 resolution for CIDs for 35.3.9.1",
        "2021-10-13",
        "listing-entry",
        True,
    )
    assert (cc36["body"], cc36["group"]) == ("IEEE", "802.11")
    assert cc36["origin"] == (
        mirror.url + "/802.11/dcn/21/11-21-1557-01-00be-cc36-resolution-for-cids-for-35-3-9-1.docx"
    )
    assert cc36["metadata"]["extra"] == {
        "task_group": "TGbe",
        "authors": "laurent cariou (Intel)",
        "created": "13-Oct-2021 ET",
    }
    assert docs["11-20/1982r47"]["title"] == "TGbe Motions List For Teleconferences-part 2"
    assert (docs["11-21/1614r0"]["title"], docs["11-20/1929r3"]["date"]) == (
        "CR for 36.3.13.5 (Segment Parser)",
        "2021-09-27",
    )
    # every row of both pages, numbered as IEEE writes it
    assert set(docs) == {dcn(e) for e in mentor_entries}
    hits = sepwatch.search("CC36 resolution CIDs 35.3.9.1", "--source", "ieee80211_documents")["hits"]
    assert [h["number"] for h in hits] == ["11-21/1557r1"], [(h["number"], h["title"]) for h in hits]

    # Unchanged: the first page answers 304, which ends the walk; nothing is stored.
    mirror.log.clear()
    second = sepwatch.crawl("ieee80211_documents")
    assert [(h.path, h.status) for h in mirror.log if h.path != "/robots.txt"] == [(MENTOR, 304)]
    assert new_items(second) == 0

    # The site's layout changed: the row selector matches nothing. The run fails and says why.
    mirror.put(MENTOR, mentor_page(mentor_entries[:100], 1, 766).replace("b_data_row", "data-row"), HTML)
    third = sepwatch.crawl("ieee80211_documents", ok=False)
    reason = (
        f"listing ieee80211_documents: selector row 'tr.b_data_row' matched nothing on {mirror.url}{MENTOR}"
    )
    assert third["status"] == "failed"
    assert third["errors"] == [{"url": f"{mirror.url}{MENTOR}", "reason": reason}]
    source = health(sepwatch)["ieee80211_documents"]
    assert (source["state"], source["consecutive_failures"], source["last_error"]) == ("failing", 1, reason)
    assert len(latest(sepwatch.export("documents", "--source", "ieee80211_documents"))) == 200


def test_itut_listings(sepwatch: Sepwatch, mirror: Mirror) -> None:
    listings = example("listing_itut.yaml", "listings")
    editions, editions_path = on_mirror(listings["itut_h264_editions"], mirror)
    contributions, contributions_path = on_mirror(listings["itut_sg16_contributions"], mirror)
    mirror.put_file(editions_path, LISTINGS / "itut_rec_h264.html", HTML)
    mirror.put_file(contributions_path, LISTINGS / "itut_md_sg16_contributions.html", HTML)
    broken = {**contributions, "name": "itut_bad_selector", "title": "td:nth-of-type(2"}
    sepwatch.configure({"listings": [editions, contributions, broken]})

    result = sepwatch.crawl("itut_h264_editions")
    assert (result["status"], result["errors"], result["counts"]["new_document"]) == ("succeeded", [], 6)
    docs = sepwatch.export("documents", "--source", "itut_h264_editions")
    assert [(d["number"], d["date"]) for d in docs] == [
        ("T-REC-H.264-202408-I", None),
        ("T-REC-H.264-202108-S", None),
        ("T-REC-H.264-201906-S", None),
        ("T-REC-H.264-201704-S", None),
        ("T-REC-H.264-201602-S", None),
        ("T-REC-H.264-200305-S", None),
    ]
    first = docs[0]
    assert (first["title"], first["body"], first["group"]) == (
        "Advanced video coding for generic audiovisual services",
        "ITU-T",
        "SG16",
    )
    assert (
        first["origin"]
        == f"{mirror.url}/rec/T-REC-H.264/recommendation.asp?lang=en&parent=T-REC-H.264-202408-I"
    )
    assert first["metadata"]["extra"] == {"edition": "H.264 (08/24)", "status": "In force"}
    assert docs[-1]["metadata"]["extra"] == {"edition": "H.264 (05/03)", "status": "Superseded"}

    result = sepwatch.crawl("itut_sg16_contributions")
    # The withdrawn contribution has no link, hence no number: noted on the run, not a failure.
    assert result["status"] == "succeeded"
    assert result["errors"] == [
        {
            "url": mirror.url + contributions_path,
            "reason": "row 3: skipped, no number "
            "('C 13 [Withdrawn] (withdrawn by the source) Example Company B Q5/16 2025-01-20')",
        }
    ]
    docs = sepwatch.export("documents", "--source", "itut_sg16_contributions")
    assert [(d["number"], d["date"]) for d in docs] == [
        ("T25-SG16-C-0015", "2025-01-24"),
        ("T25-SG16-C-0014", "2025-01-21"),
        ("T25-SG16-C-0012", "2025-01-10"),
    ]
    assert docs[1]["title"] == "Report of the ad hoc group on video coding & immersive media"
    assert docs[1]["metadata"]["extra"] == {
        "label": "C 14 Rev.1",
        "source": "Rapporteur Q6/16",
        "question": "Q6/16",
    }
    hits = sepwatch.search("immersive media", "--source", "itut_sg16_contributions")["hits"]
    assert [h["number"] for h in hits] == ["T25-SG16-C-0014"]

    # A selector that is no CSS (the configuration accepts any text) fails the run, saying so,
    # before anything is fetched.
    mirror.log.clear()
    result = sepwatch.crawl("itut_bad_selector", ok=False)
    assert result["status"] == "failed"
    [error] = result["errors"]
    assert error["url"] == "itut_bad_selector"
    assert error["reason"].startswith(
        "listing itut_bad_selector: selector title 'td:nth-of-type(2' is not valid CSS: "
    )
    assert mirror.requested() == []


def pdf_of(lines: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def with_url(entry: dict[str, str], suffix: str) -> dict[str, str]:
    """The Mentor row with its download link ending in ``suffix`` instead of its own extension."""
    return {**entry, "doc_url": entry["doc_url"].rsplit(".", 1)[0] + suffix}


def test_followed_documents_are_extracted_and_not_downloaded_again(
    sepwatch: Sepwatch, mirror: Mirror, mentor_entries: list[dict[str, str]]
) -> None:
    rows = {
        "docx": mentor_entries[1],  # 11-21/1557r1
        "pdf": with_url(mentor_entries[2], ".pdf"),  # 11-21/1613r1
        "html": with_url(mentor_entries[3], ".htm"),  # 11-21/1546r1
        "pptx": mentor_entries[4],  # 11-21/1218r1, a slide deck: not followed
        "zip": with_url(mentor_entries[5], ".zip"),  # 11-21/1674r1
        "truncated": with_url(mentor_entries[6], ".pdf"),  # 11-21/1478r16
        "missing": with_url(mentor_entries[7], ".doc"),  # 11-20/1874r31, 404
        "image": with_url(mentor_entries[9], ".dat"),  # an image under an unknown extension
    }
    assert rows["pptx"]["doc_url"].endswith(".pptx")
    served = {
        "docx": docx_of(
            [
                ("", "IEEE P802.11 Wireless LANs"),
                ("H1", "1 Introduction"),
                ("", "This submission resolves the CIDs on the multi-link element in 35.3.9.1."),
                ("H1", "2 Proposed resolution"),
                ("", "TGbe editor: change the basic multi-link element as shown below."),
            ]
        ),
        "pdf": pdf_of(
            ["PDT Reference for SR", "1 Spatial reuse", "The OBSS PD based spatial reuse applies."]
        ),
        "html": (
            b"<!DOCTYPE html><html><head><title>CR Trigger Frame</title></head><body>"
            b"<h1>1 Trigger frame</h1><p>The Special User Info field is located after the Common Info field.</p>"
            b"</body></html>"
        ),
        "zip": zip_of(
            {
                "minutes.txt": b"802.11bf teleconference minutes\n\nThe chair called the meeting to order at "
                b"10:00 ET. Sensing measurement setup was discussed.\n",
                "logo.png": b"\x89PNG\r\n\x1a\n",
            }
        ),
        "truncated": pdf_of(["Agenda", "1 Approve the agenda"])[:400],
        "image": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    }
    for kind, data in served.items():
        mirror.put(rows[kind]["doc_url"], data)
    listing, path = on_mirror(
        example("listing_ieee80211.yaml", "listings")["ieee80211_documents"], mirror, follow=True
    )
    mirror.put(path, mentor_page(list(rows.values()), 1, 1), HTML)
    sepwatch.configure({"listings": [listing]})

    first = sepwatch.crawl("ieee80211_documents")
    assert first["status"] == "succeeded"
    errors = {e["url"].removeprefix(mirror.url): e["reason"] for e in first["errors"]}
    assert errors == {
        rows["truncated"]["doc_url"]: "truncated PDF: no %%EOF marker",
        rows["missing"]["doc_url"]: "HTTP 404 (not found)",
        rows["image"]["doc_url"]: (
            f"unsupported document kind: {rows['image']['doc_url'].rsplit('/', 1)[1]} is a PNG image"
        ),
    }
    assert first["counts"]["documents_followed"] == 4
    assert first["counts"]["documents_unsupported"] == 1
    assert first["counts"]["documents_not_followed"] == 1
    assert rows["pptx"]["doc_url"] not in mirror.requested()

    versions = sepwatch.export("documents", "--source", "ieee80211_documents")
    assert len(versions) == 8  # one version each: no listing stand-in before the document
    docs = latest(versions)
    followed = {"11-21/1557r1", "11-21/1613r1", "11-21/1546r1", "11-21/1674r1"}
    assert {n for n, d in docs.items() if not d["partial"]} == followed
    assert {n for n, d in docs.items() if d["partial"]} == {
        "11-21/1218r1",
        "11-21/1478r16",
        "11-20/1874r31",
        "11-21/1680r0",
    }
    cc36 = docs["11-21/1557r1"]
    assert (cc36["kind"], cc36["title"], cc36["date"]) == (
        "document",
        "CC36 resolution for CIDs for 35.3.9.1",
        "2021-10-13",
    )
    assert [(s["number"], s["heading"]) for s in cc36["sections"] if s["heading"]] == [
        ("1", "Introduction"),
        ("2", "Proposed resolution"),
    ]
    assert cc36["metadata"]["extra"]["task_group"] == "TGbe"
    assert docs["11-21/1674r1"]["metadata"]["extracted"]["archive_members"] == ["minutes.txt"]
    for words, number in [
        ("multi-link element", "11-21/1557r1"),
        ("OBSS spatial reuse", "11-21/1613r1"),
        ("Special User Info field", "11-21/1546r1"),
        ("sensing measurement setup", "11-21/1674r1"),
    ]:
        hits = sepwatch.search(words, "--source", "ieee80211_documents")["hits"]
        assert [h["number"] for h in hits] == [number], words

    # The list changes: a new row on top, and the title of one row is corrected. Only the new
    # document is downloaded; the corrected row's document is asked for again and answers 304;
    # the broken and the missing ones are tried again; the others (the image too: it will not
    # become readable) are not requested at all.
    new = with_url(mentor_entries[8], ".txt")
    mirror.put(
        new["doc_url"], b"Sensing procedure\n\n1 Scope\nThis document defines the sensing procedure.\n"
    )
    corrected = {**rows["docx"], "title": "CC36 resolution for CIDs in 35.3.9.1"}
    page = [new, corrected, *(row for kind, row in rows.items() if kind != "docx")]
    mirror.put(path, mentor_page(page, 1, 1), HTML)
    mirror.log.clear()
    second = sepwatch.crawl("ieee80211_documents")
    document_hits = sorted((h.path, h.status) for h in mirror.log if "/dcn/" in h.path)
    assert document_hits == sorted(
        [
            (new["doc_url"], 200),
            (rows["docx"]["doc_url"], 304),
            (rows["truncated"]["doc_url"], 200),
            (rows["missing"]["doc_url"], 404),
        ]
    )
    assert second["counts"]["new_document"] == 1 and "new_version" not in second["counts"]
    docs = latest(sepwatch.export("documents", "--source", "ieee80211_documents"))
    assert docs[dcn(new)]["partial"] is False
    cc36 = docs["11-21/1557r1"]
    assert (cc36["title"], cc36["partial"], cc36["version"]) == (
        "CC36 resolution for CIDs in 35.3.9.1",
        False,
        1,
    )


def test_extract_document_refuses_what_it_cannot_read() -> None:
    with pytest.raises(UnsupportedDocument, match=r"^unsupported document kind: f\.bin is a PNG image$"):
        extract_document(b"\x89PNG\r\n\x1a\n....", "f.bin")
    with pytest.raises(
        RejectedInput,
        match=r"^a\.pdf: not a PDF file \(it does not start like one; the server sent text/html: an error page\?\)$",
    ):
        extract_document(b"<html>oops</html>", "a.pdf", "text/html")
    xlsx = zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    with pytest.raises(UnsupportedDocument, match="an Office document other than Word"):
        extract_document(xlsx, "download", "application/octet-stream")
    with pytest.raises(UnsupportedDocument, match="holds no document"):
        extract_document(zip_of({"a.png": b"\x89PNG"}), "x.zip")
    # a Word document served under a name without extension is recognised by its content
    docx = docx_of([("H1", "1 Scope"), ("", "Scope text.")])
    assert extract_document(docx, "getfile", None).sections[0].heading == "Scope"
