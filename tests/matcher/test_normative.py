"""matcher.normative: RFC 2119 / 3GPP / GB/T 1.1 requirement levels and their precedence."""

from __future__ import annotations

import pytest

from crawlers.extract import docx
from crawlers.ietf import drafttext
from matcher.normative import Convention, NormativeHint, hint
from tests.conftest import realdata


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # RFC 2119 / 8174, upper case
        ("The client MUST retain the case.", NormativeHint("mandatory", "MUST", "rfc2119")),
        ("The client MUST NOT send it.", NormativeHint("prohibited", "MUST NOT", "rfc2119")),
        ("A value is REQUIRED here.", NormativeHint("mandatory", "REQUIRED", "rfc2119")),
        ("The server SHALL answer.", NormativeHint("mandatory", "SHALL", "rfc2119")),
        ("The server SHALL  NOT\nanswer.", NormativeHint("prohibited", "SHALL NOT", "rfc2119")),
        ("Data SHOULD be encoded as UTF-8.", NormativeHint("recommended", "SHOULD", "rfc2119")),
        ("Senders SHOULD NOT do this.", NormativeHint("recommended", "SHOULD NOT", "rfc2119", negated=True)),
        ("This is RECOMMENDED.", NormativeHint("recommended", "RECOMMENDED", "rfc2119")),
        (
            "This is NOT RECOMMENDED.",
            NormativeHint("recommended", "NOT RECOMMENDED", "rfc2119", negated=True),
        ),
        ("Users MAY include it.", NormativeHint("optional", "MAY", "rfc2119")),
        ("The field is OPTIONAL.", NormativeHint("optional", "OPTIONAL", "rfc2119")),
        # precedence: the strongest wins, the first of equals
        ("A client MAY cache it but MUST revalidate.", NormativeHint("mandatory", "MUST", "rfc2119")),
        ("It SHOULD log and MAY retry.", NormativeHint("recommended", "SHOULD", "rfc2119")),
        ("It MUST NOT loop and MUST stop.", NormativeHint("prohibited", "MUST NOT", "rfc2119")),
        ("It MUST stop and MUST NOT loop.", NormativeHint("mandatory", "MUST", "rfc2119")),
        ("The UE may skip it; it shall not retry.", NormativeHint("prohibited", "shall not", "3gpp")),
        # upper case wins over lower case in one text
        ("the client should do X and MAY do Y", NormativeHint("optional", "MAY", "rfc2119")),
        # 3GPP, lower case
        ("An NR RedCap UE shall provide an indication.", NormativeHint("mandatory", "shall", "3gpp")),
        ("The UE shall not transmit.", NormativeHint("prohibited", "shall not", "3gpp")),
        ("The network should configure it.", NormativeHint("recommended", "should", "3gpp")),
        (
            "The gNB should not configure it.",
            NormativeHint("recommended", "should not", "3gpp", negated=True),
        ),
        ("The UE may skip the occasion.", NormativeHint("optional", "may", "3gpp")),
        ("The UE need not report it.", NormativeHint("optional", "need not", "3gpp")),
        ("The PCF will also receive it; the UE can report it.", None),  # will/can are not normative
        ("The UE may not transmit.", None),  # ambiguous, forbidden by TR 21.801
        ("Mayday: shallow mayfly", None),
        # mentions and layout are not uses
        ('The key words "MUST", "MUST NOT" and "MAY" are to be interpreted as in BCP 14.', None),
        ("CHANGE REQUEST FORM MAY 2016", None),
        ("", None),
        # GB/T 1.1
        ("终端应发送该消息。", NormativeHint("mandatory", "应", "gbt1.1")),
        ("终端必须发送该消息。", NormativeHint("mandatory", "必须", "gbt1.1")),
        ("终端不应发送该消息。", NormativeHint("prohibited", "不应", "gbt1.1")),
        ("终端不得发送该消息。", NormativeHint("prohibited", "不得", "gbt1.1")),
        ("宜采用加密传输。", NormativeHint("recommended", "宜", "gbt1.1")),
        ("推荐采用加密传输。", NormativeHint("recommended", "推荐", "gbt1.1")),
        ("不宜采用明文传输。", NormativeHint("recommended", "不宜", "gbt1.1", negated=True)),
        ("终端可以省略该字段。", NormativeHint("optional", "可以", "gbt1.1")),
        ("该字段可省略。", NormativeHint("optional", "可", "gbt1.1")),
        ("终端可以省略该字段，但必须发送报告。", NormativeHint("mandatory", "必须", "gbt1.1")),
        ("基站发送响应消息给应用层，可能重传，需获得许可。", None),  # 响应 应用 可能 许可 are words
    ],
)
def test_hint(text: str, expected: NormativeHint | None) -> None:
    assert hint(text) == expected


@pytest.mark.parametrize(
    ("text", "convention", "expected"),
    [
        ("implementers should research the reserved names", "rfc2119", None),  # RFC 8174: lower case is prose
        (
            "implementers should research the reserved names",
            "3gpp",
            NormativeHint("recommended", "should", "3gpp"),
        ),
        ("The UE MUST send", "3gpp", None),
        ("终端应发送", "rfc2119", None),
        ("The UE shall send", "gbt1.1", None),
    ],
)
def test_hint_with_a_known_convention(
    text: str, convention: Convention, expected: NormativeHint | None
) -> None:
    assert hint(text, convention) == expected


def test_real_ietf_and_3gpp_text() -> None:
    path = realdata("ietf", "draft-ietf-appsawg-file-scheme-16.txt")
    sections = {s.number: s for s in drafttext.extract(path.read_bytes(), path.name).sections}
    boilerplate = sections["1.1"].text.split("\n\n")[0]
    assert hint(boilerplate, "rfc2119") is None  # the key words are quoted, "may" is lower case
    assert hint(sections["2"].text, "rfc2119") == NormativeHint("mandatory", "MUST", "rfc2119")
    assert hint(sections["4"].text, "rfc2119") == NormativeHint("recommended", "SHOULD", "rfc2119")
    assert hint(sections["E.2"].text, "rfc2119") is None
    path = realdata("3gpp", "CR_S2-2209002_23501_Correction_RedCap.docx")
    clause = next(s for s in docx.extract(path.read_bytes(), path.name).sections if s.number == "5.41")
    first, *_ = clause.text.split("\n")
    assert hint(first) is None  # "This functionality is used by the network…"
    assert hint(clause.text) == NormativeHint("mandatory", "shall", "3gpp")
