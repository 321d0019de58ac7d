"""RSS/Atom feeds: the real shapes of the IETF datatracker and ETSI feeds, stable numbers across
re-publication, HTML turned into plain text, malformed feeds, non-feeds and entity attacks."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from crawlers.extract import RejectedInput
from crawlers.generic.feed import (
    ENTITIES_REFUSED,
    NOT_A_FEED,
    NOT_A_FEED_HTML,
    FeedSpec,
    clean_url,
    html_to_text,
    parse_feed,
)
from crawlers.items import Section
from index.store import Store

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"
DATATRACKER = FeedSpec(
    "ietf_quic_documents",
    "https://datatracker.ietf.org/group/quic/documents/feed/",
    body="IETF",
    group="quic",
)
ETSI = FeedSpec("etsi_news", "https://www.etsi.org/newsroom/news?format=feed&type=rss", body="ETSI")
PLAIN = FeedSpec("test_feed", "https://example.org/feed.xml")


def etsi_bytes() -> bytes:
    return (FIXTURES / "etsi_news.rss").read_bytes()


def rss(*items: str, channel_title: str = "Test feed") -> bytes:
    body = "".join(f"<item>{item}</item>" for item in items)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{channel_title}</title><link>https://example.org/</link>{body}</channel></rss>"
    ).encode()


# --- the real feed shapes --------------------------------------------------------------------


def test_datatracker_atom_feed() -> None:
    result = parse_feed((FIXTURES / "ietf_quic_documents.atom").read_bytes(), DATATRACKER)
    assert result.problem is None
    assert result.title == "QUIC RSS Feed"
    docs = result.documents
    assert [d.number for d in docs] == ["urn:uid:2033911", "urn:uid:2031877", "urn:uid:2029302"]
    first = docs[0]
    assert (first.source, first.kind, first.body, first.group) == (
        "ietf_quic_documents",
        "feed-entry",
        "IETF",
        "quic",
    )
    assert first.title == "Multipath Extension for QUIC"
    assert first.date == dt.date(2024, 10, 21)
    # the template writes a relative link; it is resolved against the feed's URL
    assert first.origin == "https://datatracker.ietf.org/doc/draft-ietf-quic-multipath/"
    # the event description is escaped HTML in <content type="html">: stored as plain text
    assert first.sections == [Section(None, None, "New version available: draft-ietf-quic-multipath-11.txt")]
    assert first.metadata == {
        "link": "https://datatracker.ietf.org/doc/draft-ietf-quic-multipath/",
        "published": "2024-10-21T07:58:40+00:00",
        "updated": "2024-10-21T07:58:40+00:00",
        "authors": ["(System)"],
        "tags": [],
        "feed_title": "QUIC RSS Feed",
        "guid": "urn:uid:2033911",
    }
    # <br> ends a line
    assert docs[1].sections[0].text == (
        "IETF WG state changed to In WG Last Call from WG Document\nWorking group last call ends 2024-10-30."
    )
    assert docs[1].metadata["authors"] == ["Matt Joras"]
    assert docs[2].title == "qlog: Structured Logging for Network Protocols"
    assert docs[2].date == dt.date(2024, 10, 9)


def test_etsi_joomla_rss_feed() -> None:
    result = parse_feed(etsi_bytes(), ETSI, content_type="application/rss+xml; charset=utf-8")
    assert result.problem is None
    assert result.title == "News"
    press, conference, isg = result.documents
    assert press.number == (
        "https://www.etsi.org/newsroom/press-releases/"
        "2412-etsi-releases-a-new-specification-on-quantum-safe-key-exchange"
    )
    assert press.title == "ETSI releases a new specification on quantum-safe key exchange"
    # pubDate is in the site's zone (+0200); the date is the UTC one
    assert press.date == dt.date(2024, 10, 21)
    assert press.metadata["published"] == "2024-10-21T07:30:00+00:00"
    assert press.metadata["updated"] is None
    assert press.metadata["authors"] == ["ETSI Press"]
    assert press.metadata["tags"] == ["Press releases"]
    # the image paragraph and the tracking script are gone; links keep their text
    assert press.sections[0].text == (
        "Sophia Antipolis, 21 October 2024\n\n"
        "The ETSI Technical Committee on Cyber Security has published TS 103 744, which specifies "
        "hybrid key exchange for the transition to quantum-safe cryptography."
    )
    assert conference.sections[0].text == (
        "The programme of the ETSI Security Conference, 14-17 October 2024, is online.\n\n"
        "Registration is open & free for members."
    )
    # escaped markup in an RSS title is markup: plain text; an empty description leaves the title
    assert isg.title == "New Industry Specification Group on Integrated Sensing and Communications"
    assert isg.sections == [Section(None, None, isg.title)]


# --- re-publication --------------------------------------------------------------------------


def test_same_guid_with_new_dates_and_new_order_gives_the_same_numbers() -> None:
    original = parse_feed(etsi_bytes(), ETSI).documents
    republished_bytes = (
        etsi_bytes()
        .replace(b"Mon, 21 Oct 2024 09:30:00 +0200", b"Thu, 24 Oct 2024 08:00:00 +0200")
        .replace(b"Wed, 09 Oct 2024 16:00:00 +0200", b"Fri, 25 Oct 2024 12:00:00 +0200")
    )
    items = republished_bytes.split(b"<item>")
    head, bodies = items[0], items[1:]
    bodies[-1], tail = bodies[-1].split(b"</channel>")
    reordered = head + b"<item>" + b"<item>".join(reversed(bodies)) + b"</channel>" + tail
    again = parse_feed(reordered, ETSI).documents
    assert [d.number for d in again] == [d.number for d in reversed(original)]
    before = {d.number: d for d in original}
    for doc in again:
        assert doc.sections == before[doc.number].sections
    assert {d.number: d.date for d in again}[original[0].number] == dt.date(2024, 10, 24)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "https://example.org/news/42",
            "https://example.org/news/42?utm_source=newsletter&utm_medium=email&utm_campaign=oct",
        ),
        ("https://example.org/n?id=7", "https://example.org/n?utm_source=rss&id=7&fbclid=abc"),
        ("https://Example.ORG/n?id=7", "HTTPS://example.org/n?id=7&UTM_Content=x"),
    ],
)
def test_same_link_with_tracking_parameters_gives_the_same_number(first: str, second: str) -> None:
    one = parse_feed(rss(f"<title>A</title><link>{first.replace('&', '&amp;')}</link>"), PLAIN)
    two = parse_feed(rss(f"<title>A</title><link>{second.replace('&', '&amp;')}</link>"), PLAIN)
    assert one.documents[0].number == two.documents[0].number
    assert two.documents[0].origin == one.documents[0].origin


def test_meaningful_query_parameters_are_kept() -> None:
    a = parse_feed(rss("<title>A</title><link>https://example.org/n?id=7</link>"), PLAIN).documents[0]
    b = parse_feed(rss("<title>A</title><link>https://example.org/n?id=8</link>"), PLAIN).documents[0]
    assert a.number == "https://example.org/n?id=7"
    assert b.number == "https://example.org/n?id=8"


def test_entries_without_guid_or_link_are_numbered_by_title_and_text() -> None:
    one = parse_feed(rss("<title>Agenda</title><description>Item 1</description>"), PLAIN).documents[0]
    same = parse_feed(rss("<title>Agenda</title><description>Item 1</description>"), PLAIN).documents[0]
    other = parse_feed(rss("<title>Minutes</title><description>Item 1</description>"), PLAIN).documents[0]
    assert one.number.startswith("sha256:") and len(one.number) == len("sha256:") + 32
    assert one.number == same.number != other.number


def test_republished_feed_is_unchanged_in_the_store(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    try:
        first = [store.ingest(d).outcome for d in parse_feed(etsi_bytes(), ETSI).documents]
        republished = etsi_bytes().replace(b"+0200</pubDate>", b"+0100</pubDate>")
        again = [store.ingest(d).outcome for d in parse_feed(republished, ETSI).documents]
    finally:
        store.close()
    assert first == ["new_document"] * 3
    assert again == ["unchanged"] * 3


def test_an_entry_listed_twice_gives_one_document() -> None:
    feed = rss(
        "<title>New</title><guid>g-1</guid><description>newer text</description>",
        "<title>Old</title><guid>g-1</guid><description>older text</description>",
    )
    docs = parse_feed(feed, PLAIN).documents
    assert [(d.number, d.title) for d in docs] == [("g-1", "New")]


# --- HTML in titles and summaries ------------------------------------------------------------


def test_markup_in_titles_and_summaries_becomes_plain_text() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">&lt;i&gt;Spec&lt;/i&gt; watch</title>
<id>urn:x</id><updated>2024-01-01T00:00:00Z</updated>
<entry><id>urn:e1</id><updated>2024-01-02T00:00:00Z</updated>
<title type="html">&lt;script&gt;alert(1)&lt;/script&gt;Release &lt;b&gt;18&lt;/b&gt; frozen</title>
<summary type="html">&lt;style&gt;p{color:red}&lt;/style&gt;&lt;p&gt;Stage 3 &amp;amp; ASN.1&lt;/p&gt;&lt;script&gt;steal()&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;</summary>
</entry>
<entry><id>urn:e2</id><updated>2024-01-02T00:00:00Z</updated>
<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Change to <em>TS 38.331</em></div></title>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>First</p><ul><li>one</li><li>two</li></ul></div></content>
</entry></feed>"""
    result = parse_feed(atom, PLAIN)
    assert result.title == "Spec watch"
    first, second = result.documents
    assert first.title == "Release 18 frozen"
    assert first.sections[0].text == "Stage 3 & ASN.1"
    assert second.title == "Change to TS 38.331"
    assert second.sections[0].text == "First\n\none\ntwo"
    for doc in result.documents:
        for text in (doc.title or "", doc.sections[0].text):
            assert "<" not in text and "alert" not in text and "steal" not in text and "color" not in text


@pytest.mark.parametrize(
    ("title_xml", "expected"),
    [
        # escaped markup in a plain RSS title: known tags are markup, the script is dropped
        ("&lt;script&gt;alert(1)&lt;/script&gt;Release 18", "Release 18"),
        ("<![CDATA[<script>alert(1)</script>A &amp; B]]>", "A & B"),
        # something that only looks like a tag stays text (the UI escapes it when showing it)
        ("Use of &lt;T&gt; in ASN.1 &amp; templates", "Use of <T> in ASN.1 & templates"),
        ("  Spaced\n   out\ttitle  ", "Spaced out title"),
    ],
)
def test_rss_title_plain_text(title_xml: str, expected: str) -> None:
    doc = parse_feed(rss(f"<title>{title_xml}</title><guid>g</guid>"), PLAIN).documents[0]
    assert doc.title == expected


def test_html_to_text_is_plain() -> None:
    assert html_to_text("<p>a<br>b</p><p>c <b>d</b></p><!-- x --><noscript>n</noscript>") == "a\nb\n\nc d"
    assert html_to_text("<table><tr><td>1</td><td>2</td></tr></table>") == "1 2"
    assert html_to_text("&lt;not a tag&gt; &amp;") == "<not a tag> &"


def test_entry_without_any_text_gets_a_section() -> None:
    docs = parse_feed(
        rss("<title>Only a title</title><guid>a</guid>", "<link>https://example.org/x?utm_id=1</link>"), PLAIN
    ).documents
    assert docs[0].sections == [Section(None, None, "Only a title")]
    assert docs[1].title is None
    assert docs[1].sections == [Section(None, None, "https://example.org/x")]


# --- malformed feeds and inputs that are not feeds -------------------------------------------


def test_truncated_feed_keeps_what_was_recovered() -> None:
    data = etsi_bytes()
    # cut inside the second item's CDATA description: its title survives, its text does not
    result = parse_feed(data[: data.index(b"Registration is open")], ETSI)
    assert result.problem == "<unknown>:37:112: unclosed CDATA section"
    assert [(d.title, d.sections[0].text[:17]) for d in result.documents] == [
        ("ETSI releases a new specification on quantum-safe key exchange", "Sophia Antipolis,"),
        ("ETSI Security Conference 2024: programme online", "ETSI Security Con"),
    ]
    # cut right after "<item>": the empty remnant is no document
    result = parse_feed(data[: data.index(b"<title>ETSI Security Conference")], ETSI)
    assert result.problem == "<unknown>:34:3: no element found"
    assert len(result.documents) == 1


def test_undefined_entity_is_recorded_not_fatal() -> None:
    result = parse_feed(
        rss("<title>Release&nbsp;18</title><guid>a</guid>", "<title>B</title><guid>b</guid>"), PLAIN
    )
    assert result.problem is not None and "undefined entity" in result.problem
    assert [d.number for d in result.documents] == ["a", "b"]
    assert result.documents[0].title == "Release 18"


def test_declared_charset_is_used() -> None:
    latin = '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>Télécom</title>'
    latin += "<item><title>Réunion à Nice</title><guid>r</guid></item></channel></rss>"
    result = parse_feed(latin.encode("iso-8859-1"), PLAIN)
    assert result.problem is None
    assert (result.title, result.documents[0].title) == ("Télécom", "Réunion à Nice")
    served = parse_feed(
        latin.replace(' encoding="iso-8859-1"', "").encode("iso-8859-1"),
        PLAIN,
        content_type="text/xml; charset=ISO-8859-1",
    )
    assert served.documents[0].title == "Réunion à Nice"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\t ", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary content, not text"),
        (
            b"<!DOCTYPE html><html><head><title>Login</title></head><body><p>Sign in</p></body></html>",
            NOT_A_FEED_HTML,
        ),
        (b"<html><body><rss>not really</rss>", NOT_A_FEED_HTML),
        (b'{"items": [{"title": "json feed"}]}', NOT_A_FEED),
        (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'><title>x</title></svg>", NOT_A_FEED),
        # bytes that name a local file are data, never opened (feedparser would read a path)
        (b"/etc/passwd", NOT_A_FEED),
    ],
)
def test_not_a_feed_is_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput) as info:
        parse_feed(data, PLAIN)
    assert info.value.reason == reason


def test_too_large_is_rejected_before_parsing() -> None:
    with pytest.raises(RejectedInput, match="too large"):
        parse_feed(etsi_bytes(), ETSI, max_bytes=1000)


# --- entity expansion ------------------------------------------------------------------------


def _billion_laughs(separator: str) -> bytes:
    entities = ['<!ENTITY lol "lol">', '<!ENTITY lol1 "' + "&lol;" * 10 + '">']
    entities += [f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(2, 10)]
    doctype = "<!DOCTYPE rss [" + separator + separator.join(entities) + separator + "]>"
    return (
        f'<?xml version="1.0"?>\n{doctype}\n<rss version="2.0"><channel><title>&lol9;</title>'
        "<item><title>&lol9;</title><description>&lol9;</description></item></channel></rss>"
    ).encode()


def _quadratic_blowup() -> bytes:
    # No nested references, so feedparser's "safe entity" filter keeps it: 500 kB expanding to
    # 10 GB. Unguarded, feedparser spends > 60 s and ~10 GB of memory on it (measured).
    doctype = '<!DOCTYPE rss [\n<!ENTITY a "' + "A" * 100_000 + '">\n]>'
    return (
        f'<?xml version="1.0"?>\n{doctype}\n<rss version="2.0"><channel><title>t</title>'
        "<item><title>x</title><description>" + "&a;" * 100_000 + "</description></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "data",
    [
        _billion_laughs("\n"),
        _billion_laughs(""),
        _quadratic_blowup(),
        # a comment holding "<a" before the DOCTYPE must not hide the declarations after it
        b'<?xml version="1.0"?>\n<!-- <a href> -->\n<!DOCTYPE rss [\n<!ENTITY a "'
        + b"B" * 50_000
        + b'">\n]>\n<rss version="2.0"><channel><title>&a;&a;&a;</title></channel></rss>',
        # garbage before the DOCTYPE sends feedparser to its loose parser, which expands too
        b'junk\n<!DOCTYPE rss [\n<!ENTITY a "C">\n]>\n<rss version="2.0"><channel><title>&a;</title></channel></rss>',
        # UTF-16 cannot hide the declaration from the check
        _billion_laughs("\n")
        .decode()
        .replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>')
        .encode("utf-16"),
        # external entities are refused the same way (never fetched)
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n'
        b'<rss version="2.0"><channel><title>&x;</title></channel></rss>',
    ],
    ids=[
        "billion-laughs",
        "billion-laughs-one-line",
        "quadratic-blowup",
        "comment-trick",
        "junk-first",
        "utf-16",
        "external",
    ],
)
def test_entity_declarations_are_refused_quickly(data: bytes) -> None:
    start = time.perf_counter()
    with pytest.raises(RejectedInput) as info:
        parse_feed(data, PLAIN)
    assert info.value.reason == ENTITIES_REFUSED
    assert time.perf_counter() - start < 1.0


def test_doctype_without_entities_and_entity_text_in_content_are_fine() -> None:
    netscape = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
        b'<rss version="0.91"><channel><title>Old</title><link>https://example.org/</link>'
        b"<item><title>How &lt;!ENTITY&gt; works</title><link>https://example.org/e</link>"
        b'<description><![CDATA[<p>Declare <!ENTITY x "y"> in a DTD.</p>]]></description></item>'
        b"</channel></rss>"
    )
    result = parse_feed(netscape, PLAIN)
    assert result.documents[0].title == "How <!ENTITY> works"
    assert result.documents[0].number == "https://example.org/e"


@pytest.mark.parametrize(
    ("url", "cleaned"),
    [
        ("https://example.org/a?utm_source=x&b=2&utm_medium=y#frag", "https://example.org/a?b=2#frag"),
        ("https://example.org/a?gclid=1&mc_cid=2&mc_eid=3", "https://example.org/a"),
        ("https://example.org/a?q=a%20b&utm_term=z", "https://example.org/a?q=a%20b"),
        ("urn:uid:123", "urn:uid:123"),
        ("  https://EXAMPLE.org/Path  ", "https://example.org/Path"),
    ],
)
def test_clean_url(url: str, cleaned: str) -> None:
    assert clean_url(url) == cleaned
