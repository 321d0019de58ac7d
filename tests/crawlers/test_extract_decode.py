"""Bytes to text: encodings users meet (UTF-8/16/32, GB18030, Big5, Windows-1252, Shift-JIS)
and the inputs that must be refused with a reason."""

from __future__ import annotations

import random

import pytest

from crawlers.extract import RejectedInput
from crawlers.extract.decode import decode_text, decode_with_encoding, normalise

ZH_HANS = (
    "标准必要专利管理办法\n\n第一章 总则\n\n"
    "第一条 为了规范公司标准必要专利的申报、评估和许可工作，制定本办法。\n"
    "第二条 本办法适用于公司所有研发部门和知识产权部门。\n"
)
ZH_HANT = (
    "標準必要專利管理辦法\n\n第一章 總則\n\n"
    "第一條 為規範本公司對標準必要專利之申報、授權與維護，特訂定本辦法。\n"
)
JA = "第1章 総則\n\nこの規格は、無線通信システムの基地局と端末の間の接続手順を規定する。\n"
LATIN = "Café naïve – “quoted” text … for the résumé of the meeting in Genève.\n"
EN = "5.3.5 RRC reconfiguration\nThe UE shall apply the configuration.\n"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (EN, "utf-8"),
        (ZH_HANS, "utf-8"),
        (ZH_HANS, "utf-8-sig"),
        (ZH_HANS, "utf-16"),  # Python writes a BOM
        (ZH_HANS, "utf-32"),
        (LATIN, "utf-16-be"),
        (ZH_HANS, "gb18030"),
        (ZH_HANS, "gbk"),
        (ZH_HANT, "big5"),
        (LATIN, "cp1252"),
        (JA, "shift_jis"),
    ],
)
def test_decodes_text_in_the_encodings_users_meet(text: str, encoding: str) -> None:
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    assert decode_text(data) == text


@pytest.mark.parametrize(
    ("text", "encoding", "reported"),
    [
        (EN, "utf-8", "utf-8"),
        (ZH_HANS, "gb18030", "gb18030"),
        (ZH_HANT, "big5", "big5"),
        (LATIN, "cp1252", "cp1252"),
        (JA, "shift_jis", "cp932"),
    ],
)
def test_reports_the_encoding_used(text: str, encoding: str, reported: str) -> None:
    assert decode_with_encoding(text.encode(encoding)) == (text, reported)


RANDOM = random.Random(20240101).randbytes(4096)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + bytes(200)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00" + bytes(64)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (RANDOM, "binary content, not text"),
        (ELF, "binary content, not text"),
        (PNG, "binary content, not text"),
        (b"plain text with a NUL\x00 inside\n", "binary content, not text"),
        (b"\x01\x02\x03\x04 control soup \x05\x06\x07\x08" * 50, "binary content, not text"),
        (bytes(range(0x80, 0x100)) * 4, "undecodable: not UTF-8 and no reliable text encoding detected"),
        (b"\xff\xfe\x00\xd8", "undecodable: not UTF-8 and no reliable text encoding detected"),
    ],
    ids=["empty", "random", "elf", "png", "nul", "controls", "high-bytes", "bad-utf16"],
)
def test_refuses_what_is_not_text(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput) as info:
        decode_text(data)
    assert info.value.reason == reason


def test_utf16_with_bom_is_text_even_though_it_has_nul_bytes() -> None:
    assert b"\x00" in "Scope".encode("utf-16-le")
    assert decode_text(b"\xff\xfe" + "1 Scope\n".encode("utf-16-le")) == "1 Scope\n"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb\rc\n", "a\nb\nc"),
        ("Cafe\u0301", "Café"),  # NFC
        ("tab\tkept\x07bell\x1bgone\x0cff\x85nel", "tab\tkeptbellgoneffnel"),
        ("\ufeffbom", "bom"),
        ("trailing   \nspaces\t\n", "trailing\nspaces"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("a\n\nb", "a\n\nb"),
        ("  \n\n  lead and trail  \n\n", "lead and trail"),
        ("第一章　总则　\n", "第一章　总则"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize("raw", ["", " \t\n\r\n  ", "\x00\x01\n\x7f"])
def test_normalise_refuses_nothing_left(raw: str) -> None:
    with pytest.raises(RejectedInput) as info:
        normalise(raw)
    assert info.value.reason == "empty file: no text"


def test_same_bytes_same_text() -> None:
    data = ZH_HANS.encode("gb18030")
    assert {decode_with_encoding(data) for _ in range(3)} == {(ZH_HANS, "gb18030")}
