"""The small pieces the pages rely on for safety: snippet highlighting, links, anchors, JSON, SVG."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from index.search.analysis import parse_query, snippet
from web.routes._pages import SafeJSONResponse, local_target
from web.views.common import clause_anchor, highlighted, safe_url
from web.views.svg import heatmap, line_chart


@pytest.mark.parametrize(
    ("backend_snippet", "shown"),
    [
        # What the backends hand over: text escaped, then matches marked.
        ("a &lt;b&gt; <mark>RRC</mark> x", "a &lt;b&gt; <mark>RRC</mark> x"),
        # A backend that forgot to escape: its tags are dropped, the text stays text.
        ("<script>alert(1)</script> <mark>RRC</mark>", "alert(1) <mark>RRC</mark>"),
        ('<mark><img src=x onerror="alert(1)">RRC</mark>', "<mark>RRC</mark>"),
        # Escaped text that spells a tag stays escaped; double escaping does not happen.
        ("&lt;script&gt;", "&lt;script&gt;"),
        ("&amp;amp; &#39;", "&amp;amp; &#39;"),
    ],
)
def test_only_mark_survives_from_a_snippet(backend_snippet: str, shown: str) -> None:
    assert str(highlighted(backend_snippet)) == shown


def test_the_sqlite_snippet_of_hostile_text_is_escaped_then_marked() -> None:
    text = '<script>alert("RRC")</script> the RRC message'
    html = str(highlighted(snippet(text, parse_query("RRC").positive_terms)))
    assert "<script>" not in html
    assert html.count("<mark>RRC</mark>") == 2 and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("value", "link"),
    [
        ("https://www.3gpp.org/ftp/Specs/", "https://www.3gpp.org/ftp/Specs/"),
        ("http://datatracker.ietf.org/doc/rfc9000/", "http://datatracker.ietf.org/doc/rfc9000/"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("/home/user/file.docx", None),
        ('https://x.example/"onmouseover="alert(1)', None),
        ("https://", None),
        (["https://a.example"], None),
    ],
)
def test_only_absolute_http_links_are_made_links(value: object, link: str | None) -> None:
    assert safe_url(value) == link


def test_anchors_and_redirect_targets() -> None:
    assert clause_anchor("5.3.5.1", 7) == "c-5.3.5.1"
    assert clause_anchor("A.2", 0) == "c-A.2"
    assert clause_anchor('"><script>', 3) == "c-script"
    assert clause_anchor(None, 12) == "o-12" and clause_anchor("<>", 4) == "o-4"
    assert local_target("/alerts?acknowledged=no", "/x") == "/alerts?acknowledged=no"
    for hostile in (
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/a\r\nb",
    ):
        assert local_target(hostile, "/alerts") == "/alerts"


def test_json_answers_escape_markup_characters_and_keep_the_text() -> None:
    content = {"title": "<script>alert(1)</script> & 中文", "n": 1}
    body = SafeJSONResponse(content).body
    assert b"<" not in body and b">" not in body and b"&" not in body
    assert "中文".encode() in body  # not \u-escaped: readable UTF-8
    assert json.loads(body) == content


def test_svg_labels_are_escaped_and_well_formed() -> None:
    label = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    for svg in (
        heatmap("h", label, [label, "Huawei"], [label, "RAN2#130"], [[3, 0], [1, 2]]),
        line_chart("l", label, ["2025-01", label], [(label, [1, 2]), ("RAN2", [0, 5])]),
    ):
        tree = ET.fromstring(str(svg))
        assert not [e for e in tree.iter() if e.tag.endswith(("script", "img"))]
        assert not [a for e in tree.iter() for a in e.attrib if a.startswith("on")]
        assert label in "".join(tree.itertext())  # shown, as text
