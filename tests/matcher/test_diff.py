"""matcher.diff: word-level and character-level clause diffs, layout-blind, and evidence survival."""

from __future__ import annotations

import pytest

from crawlers.ietf import drafttext, rfcxml
from matcher.diff import clause_diff, evidence_still_reads, normalise
from tests.conftest import realdata


def test_word_level_for_latin_text() -> None:
    d = clause_diff("The UE shall send the message.", "The UE may send the message.")
    assert d.ops == [
        ("equal", "The UE", "The UE"),
        ("replace", "shall", "may"),
        ("equal", "send the message.", "send the message."),
    ]
    assert d.changed is True
    assert d.ratio == pytest.approx(10 / 12)
    assert d.unified.splitlines() == [
        "--- old",
        "+++ new",
        "@@ -1 +1 @@",
        "-The UE shall send the message.",
        "+The UE may send the message.",
    ]


def test_character_level_for_cjk_text() -> None:
    d = clause_diff("终端应发送消息。", "终端可发送消息。")
    assert d.ops == [
        ("equal", "终端", "终端"),
        ("replace", "应", "可"),
        ("equal", "发送消息。", "发送消息。"),
    ]
    assert d.ratio == pytest.approx(14 / 16)


def test_mixed_text_has_words_and_characters() -> None:
    d = clause_diff("UE应发送RRC消息", "UE应发送RRCReconfiguration消息")
    assert [op for op in d.ops if op[0] != "equal"] == [("replace", "RRC", "RRCReconfiguration")]
    d = clause_diff("UE应发送RRC消息", "UE应在T310超时后发送RRC消息")
    assert [op for op in d.ops if op[0] != "equal"] == [("insert", "", "在T310超时后")]


def test_insert_and_delete() -> None:
    d = clause_diff(
        "The AMF shall store the indication.", "The AMF shall store the indication in the UE context."
    )
    assert [op for op in d.ops if op[0] != "equal"] == [
        ("replace", "indication.", "indication in the UE context.")
    ]
    d = clause_diff("The UE shall, if configured, report.", "The UE shall report.")
    assert [op for op in d.ops if op[0] != "equal"] == [("replace", "shall, if configured,", "shall")]
    d = clause_diff("", "New clause text.")
    assert d.ops == [("insert", "", "New clause text.")] and d.changed and d.ratio == 0.0


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("The UE shall\n   send the message.", "The UE shall send the message."),
        ("  The UE shall send the message.  ", "The UE shall send the message."),
        ("a “file” URI", 'a "file" URI'),  # typographic quotes
        ("ＲＲＣ message", "RRC message"),  # full-width forms
        ("the path-\n   absolute rule", "the path-absolute rule"),  # xml2rfc line wrap after a hyphen
        ("终端 应 发送", "终端应发送"),
        ("", "  \n "),
    ],
)
def test_layout_only_changes_are_not_changes(old: str, new: str) -> None:
    d = clause_diff(old, new)
    assert d.changed is False
    assert d.ratio == 1.0
    assert d.unified == ""
    assert all(tag == "equal" for tag, _, _ in d.ops)


def test_a_dash_before_a_line_break_is_a_word() -> None:
    d = clause_diff("communities -\nnotably", "communities notably")
    assert d.changed is True
    assert [op for op in d.ops if op[0] != "equal"] == [("delete", "-", "")]


def test_plain_text_and_xml_renderings_of_a_draft_read_the_same() -> None:
    txt = realdata("ietf", "draft-ietf-appsawg-file-scheme-16.txt")
    xml = realdata("ietf", "draft-ietf-appsawg-file-scheme-16.v2.xml")
    a = {s.number: s.text for s in drafttext.extract(txt.read_bytes(), txt.name).sections if s.number}
    b = {s.number: s.text for s in rfcxml.extract(xml.read_bytes(), xml.name).sections if s.number}
    shared = sorted(a.keys() & b.keys())
    assert len(shared) == 29
    assert [n for n in shared if clause_diff(a[n], b[n]).changed] == []
    quote = "Any transport-related handling of the file\nURI scheme MUST retain the case as given."
    assert quote in a["2"]
    assert evidence_still_reads(quote, b["2"]) is True
    assert evidence_still_reads(quote.replace("MUST", "SHOULD"), b["2"]) is False


@pytest.mark.parametrize(
    ("quote", "text", "expected"),
    [
        (
            "the AMF shall store the NR RedCap Indication",
            "When it receives one, the AMF shall\nstore the NR RedCap Indication in the UE context.",
            True,
        ),
        ("the AMF shall store the NR RedCap Indication", "the AMF may store the NR RedCap Indication", False),
        ("the AMF shall store", "The AMF shall store", False),  # case is wording
        ("终端应发送消息", "终端 应 发送\n消息。", True),
        ("终端应发送消息", "终端可发送消息。", False),
        ("", "anything", True),
        ("a quote", "", False),
    ],
)
def test_evidence_still_reads(quote: str, text: str, expected: bool) -> None:
    assert evidence_still_reads(quote, text) is expected


def test_normalise() -> None:
    assert (
        normalise("  The “file”\n   URI  scheme – path-\n  absolute ")
        == 'The "file" URI scheme - path-absolute'
    )
    assert normalise("终端 应\n发送 RRC 消息") == "终端应发送RRC消息"
