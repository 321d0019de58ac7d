"""Zip archives from untrusted sources: nesting, litter, names, and every way a zip can be hostile."""

from __future__ import annotations

import io
import os
import random
import zipfile

import pytest

from crawlers.extract import RejectedInput
from crawlers.extract.archive import ArchiveLimits, Member, check_container, open_zip


def _zip(entries: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in entries:
            if name.endswith("/"):
                zf.writestr(zipfile.ZipInfo(name), b"")
            else:
                zf.writestr(name, data)
    return out.getvalue()


def _rename(data: bytes, placeholder: bytes, raw_name: bytes) -> bytes:
    """Give a member a name zipfile would not write (legacy code pages, backslashes)."""
    assert len(placeholder) == len(raw_name) and data.count(placeholder) == 2
    return data.replace(placeholder, raw_name)


def test_members_nested_zips_and_litter() -> None:
    inner = _zip([("R1-2301234.docx", b"docx bytes"), ("__MACOSX/._R1-2301234.docx", b"resource fork")])
    outer = _zip(
        [
            ("R1-2301234/", b""),
            ("R1-2301234/R1-2301234.zip", inner),
            ("R1-2301234/.DS_Store", b"junk"),
            ("Thumbs.db", b"junk"),
            ("~$2301234.docx", b"Word lock file"),
            ("./readme.txt", b"read me"),
        ]
    )
    assert open_zip(outer, "R1-2301234.zip") == [
        Member("R1-2301234/R1-2301234.zip/R1-2301234.docx", b"docx bytes"),
        Member("readme.txt", b"read me"),
    ]


def test_a_member_named_zip_that_is_not_a_zip_stays_a_member() -> None:
    assert open_zip(_zip([("notes.zip", b"just text")]), "a.zip") == [Member("notes.zip", b"just text")]


def test_nesting_beyond_max_depth_is_refused() -> None:
    deepest = _zip([("x.txt", b"x")])
    middle = _zip([("c.zip", deepest)])
    outer = _zip([("b.zip", middle)])
    assert open_zip(outer, "a.zip", ArchiveLimits(max_depth=3)) == [Member("b.zip/c.zip/x.txt", b"x")]
    with pytest.raises(RejectedInput) as caught:
        open_zip(outer, "a.zip")
    assert caught.value.reason == "zip archive nested more than 2 levels deep: a.zip/b.zip/c.zip"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"../evil.txt", "unsafe path in zip archive t.zip: member '../evil.txt' climbs out with '..'"),
        (b"a/../../b.txt", "unsafe path in zip archive t.zip: member 'a/../../b.txt' climbs out with '..'"),
        (
            b"..\\..\\x.bat",
            "unsafe path in zip archive t.zip: member '..\\\\..\\\\x.bat' climbs out with '..'",
        ),
        (b"/etc/passwd", "unsafe path in zip archive t.zip: member '/etc/passwd' is absolute"),
        (b"\\\\srv\\share", "unsafe path in zip archive t.zip: member '\\\\\\\\srv\\\\share' is absolute"),
        (b"C:/boot.ini", "unsafe path in zip archive t.zip: member 'C:/boot.ini' is absolute"),
        (b"c:evil.txt", "unsafe path in zip archive t.zip: member 'c:evil.txt' is absolute"),
    ],
)
def test_path_traversal_is_refused(raw: bytes, reason: str) -> None:
    placeholder = b"P" * len(raw)
    data = _rename(_zip([("fine.txt", b"ok"), (placeholder.decode(), b"payload")]), placeholder, raw)
    with pytest.raises(RejectedInput) as caught:
        open_zip(data, "t.zip")
    assert caught.value.reason == reason


def _set_flag(data: bytes, flag: int) -> bytes:
    """Set a general-purpose flag bit on every member, in local and central headers."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at >= 0:
            out[at + offset] |= flag
            at = out.find(signature, at + 4)
    return bytes(out)


def test_encrypted_member_is_refused() -> None:
    data = _set_flag(_zip([("secret.docx", b"ciphertext")]), 0x01)
    with pytest.raises(RejectedInput) as caught:
        open_zip(data, "S2-2209002.zip")
    assert caught.value.reason == (
        "encrypted member in zip archive S2-2209002.zip: 'secret.docx' (no password to open it)"
    )


def test_too_many_entries_is_refused_before_reading() -> None:
    data = _zip([(f"f{i}.txt", b"x") for i in range(6)])
    assert len(open_zip(data, "ok.zip", ArchiveLimits(max_entries=6))) == 6
    with pytest.raises(RejectedInput) as caught:
        open_zip(data, "many.zip", ArchiveLimits(max_entries=5))
    assert caught.value.reason == "too many entries in zip archive many.zip: 6 here, over 5 in all"


def test_entries_count_across_nested_archives() -> None:
    inner = _zip([(f"f{i}.txt", b"x") for i in range(4)])
    with pytest.raises(RejectedInput) as caught:
        open_zip(_zip([("inner.zip", inner), ("a.txt", b"a")]), "outer.zip", ArchiveLimits(max_entries=5))
    assert caught.value.reason == "too many entries in zip archive outer.zip/inner.zip: 4 here, over 5 in all"


ZEROS = bytes(8 * 1024 * 1024)


def test_zip_bomb_is_refused_by_ratio() -> None:
    data = _zip([("zeros.bin", ZEROS)])
    assert len(data) < 20_000
    with pytest.raises(RejectedInput) as caught:
        open_zip(data, "bomb.zip")
    assert caught.value.reason == (
        "zip bomb refused: bomb.zip/zeros.bin inflates to more than 200 times its compressed size"
    )


def test_declared_sizes_are_not_trusted() -> None:
    """A bomb whose headers claim 1 KiB: inflation stops at the claim and the archive is corrupt."""
    data = bytearray(_zip([("zeros.bin", ZEROS)]))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + offset : at + offset + 4] = (1024).to_bytes(4, "little")
    with pytest.raises(RejectedInput) as caught:
        open_zip(bytes(data), "liar.zip")
    assert caught.value.reason.startswith("truncated or corrupt zip archive: liar.zip, member zeros.bin (")


def test_ratio_floor_lets_small_compressible_members_through() -> None:
    text = b"a" * 500_000  # ratio about 500, but under the 1 MiB floor
    assert open_zip(_zip([("spaces.txt", text)]), "small.zip") == [Member("spaces.txt", text)]


def test_member_and_total_caps() -> None:
    noise = os.urandom(5000)
    with pytest.raises(RejectedInput) as caught:
        open_zip(_zip([("big.bin", noise)]), "m.zip", ArchiveLimits(max_member_bytes=4000))
    assert caught.value.reason == "zip member too large: m.zip/big.bin inflates to over 4000 bytes"
    three = _zip([(f"part{i}.bin", os.urandom(1500)) for i in range(3)])
    with pytest.raises(RejectedInput) as caught:
        open_zip(three, "t.zip", ArchiveLimits(max_total_bytes=4000))
    assert (
        caught.value.reason
        == "zip archive too large when inflated: t.zip passes 4000 bytes at member part2.bin"
    )


def test_stored_member_over_cap_with_lying_header_is_cut_off() -> None:
    """Stored (uncompressed) data read against the real caps, not the central directory's sizes."""
    data = _zip([("a.bin", os.urandom(3000))], zipfile.ZIP_STORED)
    with pytest.raises(RejectedInput) as caught:
        open_zip(data, "s.zip", ArchiveLimits(max_total_bytes=2000, max_member_bytes=2500))
    assert caught.value.reason == "zip member too large: s.zip/a.bin inflates to over 2500 bytes"


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("cut in half", _zip([("a.bin", random.Random(1).randbytes(4000))])[:2000]),
        ("no end record", _zip([("a.txt", b"hello")])[:-22]),
        ("not a zip at all", b"GIF89a not a zip"),
    ],
)
def test_truncated_zip_is_refused(label: str, data: bytes) -> None:
    with pytest.raises(RejectedInput) as caught:
        open_zip(data, "cut.zip")
    assert caught.value.reason.startswith("truncated or corrupt zip archive: cut.zip ("), label


def test_corrupt_member_data_is_refused() -> None:
    data = bytearray(_zip([("a.txt", b"The quick brown fox jumps over the lazy dog. " * 50)]))
    data[60] ^= 0xFF  # inside the deflate stream
    with pytest.raises(RejectedInput) as caught:
        open_zip(bytes(data), "crc.zip")
    assert caught.value.reason.startswith("truncated or corrupt zip archive: crc.zip, member a.txt (")


def test_empty_and_ole_inputs() -> None:
    with pytest.raises(RejectedInput) as caught:
        open_zip(b"", "e.zip")
    assert caught.value.reason == "empty file: e.zip"
    with pytest.raises(RejectedInput) as caught:
        open_zip(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "x.doc")
    assert caught.value.reason.startswith("not a zip container: x.doc is an OLE compound file")


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("规范草案.docx", "规范草案.docx".encode("gbk")),
        ("仕様書.doc", "仕様書.doc".encode("shift_jis")),
        ("Überblick.txt", "Überblick.txt".encode()),  # UTF-8 without the UTF-8 flag
        ("folder/spec.txt", b"folder\\spec.txt"),  # a Windows archiver's separator
    ],
)
def test_member_names_in_legacy_encodings(name: str, raw: bytes) -> None:
    placeholder = b"N" * len(raw)
    data = _rename(_zip([(placeholder.decode(), b"content")]), placeholder, raw)
    assert open_zip(data, "names.zip") == [Member(name, b"content")]


def test_unicode_path_extra_field_wins() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        info = zipfile.ZipInfo("legacy.txt")
        utf8 = "Spezifikation-ä.txt".encode()
        body = b"\x01" + (0).to_bytes(4, "little") + utf8
        info.extra = (0x7075).to_bytes(2, "little") + len(body).to_bytes(2, "little") + body
        zf.writestr(info, b"x")
    assert open_zip(out.getvalue(), "u.zip") == [Member("Spezifikation-ä.txt", b"x")]


def test_container_reads_parts_on_demand_under_the_caps() -> None:
    data = _zip([("word/document.xml", b"<w:document/>"), ("word/media/image1.png", os.urandom(3000))])
    with check_container(data, "a.docx", ArchiveLimits(max_total_bytes=2000)) as container:
        assert container.names == ["word/document.xml", "word/media/image1.png"]
        assert "WORD/Document.xml" in container
        assert container.read("/word/document.xml") == b"<w:document/>"
        assert container.get("word/missing.xml") is None
        with pytest.raises(RejectedInput) as caught:
            container.read("word/missing.xml")
        assert caught.value.reason == "a.docx has no part word/missing.xml: not a complete Office document"
        with pytest.raises(RejectedInput) as caught:
            b"".join(container.stream("word/media/image1.png"))
        assert caught.value.reason.startswith("zip archive too large when inflated: a.docx passes 2000 bytes")


def test_container_refuses_a_bomb_before_inflating_anything() -> None:
    data = _zip([("word/document.xml", b"<w:document/>"), ("word/media/bomb.bin", ZEROS)])
    with pytest.raises(RejectedInput) as caught:
        check_container(data, "b.docx")
    assert caught.value.reason == (
        "zip bomb refused: b.docx/word/media/bomb.bin inflates to more than 200 times its compressed size"
    )


def test_container_refuses_hostile_names_and_too_many_parts() -> None:
    data = _rename(_zip([("PPPPPPPPPPPP", b"x")]), b"PPPPPPPPPPPP", b"../../x.xml_")
    with pytest.raises(RejectedInput) as caught:
        check_container(data, "c.xlsx")
    assert (
        caught.value.reason == "unsafe path in zip archive c.xlsx: member '../../x.xml_' climbs out with '..'"
    )
    with pytest.raises(RejectedInput) as caught:
        check_container(_zip([(f"p{i}", b"") for i in range(3)]), "d.xlsx", ArchiveLimits(max_entries=2))
    assert caught.value.reason == "too many entries in zip archive d.xlsx: 3 (limit 2)"
