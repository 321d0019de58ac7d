"""Legacy Word (.doc) through antiword: documents built by tests/fixtures/word/make_doc.py.

antiword must be installed (Debian package ``antiword``); without it these tests skip, except on CI,
where they fail.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from crawlers.extract import RejectedInput
from crawlers.extract.doc import COVER_HEADING, NOT_INSTALLED, extract
from crawlers.items import Section
from tests.fixtures.word.make_doc import Block, Table, word97


@pytest.fixture(autouse=True)
def _antiword() -> None:
    if shutil.which("antiword") is None:
        message = "antiword is not installed (apt-get install antiword)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


COVER = Table(
    [
        ["CR-Form-v12.0"],
        ["CHANGE REQUEST"],
        [""],
        ["", "23.501", "CR", "3712", "rev", "1", "Current version:", "17.6.0", ""],
        [
            "For HELP on using this form: comprehensive instructions can be found at http://www.3gpp.org/Change-Requests."
        ],
    ]
)
FIELDS = Table(
    [
        [
            "Proposed change affects:",
            "UICC apps",
            "",
            "ME",
            "X",
            "Radio Access Network",
            "X",
            "Core Network",
            "",
        ],
        ["Title:", "Correction of reference for RedCap indication from UE"],
        ["Source to WG:", "Qualcomm Inc."],
        ["Source to TSG:", "SA2"],
        ["Work item code:", "ARCH_NR_REDCAP / TEI17", "", "Date:", "2022-09-28"],
        ["Category:", "F", "", "Release:", "Rel-17"],
        [
            "",
            "Use one of the following categories:\nF  (correction)\nA  (mirror corresponding to a change in an earlier release)",
            "",
            "",
            "Use one of the following releases:\nRel-8\t(Release 8)",
        ],
        [
            "Reason for change:",
            "In the context of Rel-17 NR RedCap, the following text was included in clause 5.41:\n"
            "16.13.3\tIdentification, access and camping restrictions\n"
            "Therefore, it is proposed to use TS 38.300 as the reference.",
        ],
        ["Summary of change:", "Replace TS 38.331 with the correct reference TS 38.300."],
        [
            "Consequences if not approved:",
            "Stage 2 specification incorrectly implies UE indication is in RRC.",
        ],
        ["Clauses affected:", "5.41"],
        ["", "Y", "N", "", ""],
        ["Other specs", "", "X", "Other core specifications", "TS/TR ... CR ..."],
        ["affected:", "X", "", "Test specifications", "TS 38.523-1 CR 0123"],
        ["(show related CRs)", "", "X", "O&M Specifications", "TS/TR ... CR ..."],
        ["Other comments:", ""],
        ["This CR's revision history:", ""],
    ]
)
CR_DOC: list[Block] = [
    "3GPP SA WG2 Meeting #153E\tS2-2209002",
    "10-17 October 2022, Electronic meeting",
    COVER,
    "",
    FIELDS,
    "",
    "***** First change *****",
    "5.41\tNR RedCap UEs differentiation",
    "An NR RedCap UE shall provide an NR RedCap indication as defined in TS 38.300 [27].",
    "5.42\tSupport for RedCap",
    "The AMF stores the indication.",
    "***** End change *****",
]


def test_cr_cover_page_in_a_doc() -> None:
    result = extract(word97(CR_DOC), "S2-2209002.doc")
    assert result.metadata["cr"] == {
        "spec": "23.501",
        "cr": "3712",
        "revision": "1",
        "current_version": "17.6.0",
        "title": "Correction of reference for RedCap indication from UE",
        "source_to_wg": "Qualcomm Inc.",
        "source_to_tsg": "SA2",
        "work_item": "ARCH_NR_REDCAP / TEI17",
        "date": "2022-09-28",
        "category": "F",
        "release": "Rel-17",
        "reason": "In the context of Rel-17 NR RedCap, the following text was included in clause 5.41: "
        "16.13.3 Identification, access and camping restrictions Therefore, it is proposed to use "
        "TS 38.300 as the reference.",
        "summary": "Replace TS 38.331 with the correct reference TS 38.300.",
        "consequences": "Stage 2 specification incorrectly implies UE indication is in RRC.",
        "clauses_affected": "5.41",
        "other_specs_affected": "Test specifications: TS 38.523-1 CR 0123",
        "proposed_change_affects": "ME, Radio Access Network",
        "tdoc": "S2-2209002",
    }
    assert result.title == "Correction of reference for RedCap indication from UE"
    assert [(s.number, s.heading) for s in result.sections] == [
        (None, COVER_HEADING),
        (None, None),
        ("5.41", "NR RedCap UEs differentiation"),
        ("5.42", "Support for RedCap"),
    ]
    cover = result.sections[0].text
    assert cover.startswith(
        "3GPP SA WG2 Meeting #153E\tS2-2209002\n10-17 October 2022, Electronic meeting\n|CR-Form"
    )
    assert "16.13.3" in cover  # the quoted clause stays inside the cover page
    assert result.sections[1:] == [
        Section(None, None, "***** First change *****"),
        Section(
            "5.41",
            "NR RedCap UEs differentiation",
            "An NR RedCap UE shall provide an NR RedCap indication as defined in TS 38.300 [27].",
        ),
        Section("5.42", "Support for RedCap", "The AMF stores the indication.\n***** End change *****"),
    ]
    assert result.metadata["converter"] == "antiword"


def test_plain_doc_split_at_clauses() -> None:
    data = word97(
        [
            "3GPP TS 38.331 V18.4.0 (2024-12)",
            "1\tScope",
            "The present document specifies the RRC protocol for the radio interface.",
            "2\tReferences",
            Table([["[1]", "3GPP TR 21.905: \u201cVocabulary for 3GPP Specifications\u201d"]]),
            "Annex A (informative):\tChange history",
            "Ünïcödé text: 无线资源控制",
        ]
    )
    result = extract(data, "38331-i40.doc")
    assert result.title is None
    assert "cr" not in result.metadata
    assert [(s.number, s.heading) for s in result.sections] == [
        (None, None),
        ("1", "Scope"),
        ("2", "References"),
        ("Annex A", "Change history (informative)"),
    ]
    assert (
        result.sections[1].text == "The present document specifies the RRC protocol for the radio interface."
    )
    assert result.sections[2].text.startswith("|[1]")
    assert result.sections[3].text == "Ünïcödé text: 无线资源控制"


def _encrypted() -> bytes:
    data = bytearray(word97(["Secret text."]))
    fib = data.find(b"\xec\xa5\xc1\x00")  # wIdent and nFib at the start of the WordDocument stream
    data[fib + 11] |= 0x01  # fEncrypted
    return bytes(data)


@pytest.mark.parametrize(
    ("label", "data", "reason"),
    [
        ("docx", b"PK\x03\x04" + bytes(100), "not a legacy Word file: x.doc is a zip container (a .docx?)"),
        ("rtf", b"{\\rtf1\\ansi hello}", "not a legacy Word file: x.doc is RTF"),
        ("text", b"just some text", "not a legacy Word file: x.doc has no OLE compound file signature"),
        ("truncated", word97(["Some text."])[:3000], "not a Word document: x.doc ("),
        ("encrypted", _encrypted(), "encrypted Word document: x.doc"),
        ("empty document", word97([""]), "empty document: x.doc has no text"),
        ("empty file", b"", "empty file"),
    ],
)
def test_broken_and_hostile_files_are_refused(label: str, data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput) as caught:
        extract(data, "x.doc")
    assert caught.value.reason.startswith(reason), label


def _fake_converter(folder: Path, script: str) -> None:
    path = folder / "antiword"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_converter_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RejectedInput) as caught:
        extract(word97(["x"]), "x.doc")
    assert (
        caught.value.reason
        == NOT_INSTALLED
        == "antiword is not installed: install the Debian package antiword"
    )


def test_converter_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_converter(tmp_path, "exec sleep 30")
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    with pytest.raises(RejectedInput) as caught:
        extract(word97(["x"]), "x.doc", timeout_s=0.3)
    assert caught.value.reason == "legacy Word conversion timed out after 0.3 s"


@pytest.mark.parametrize("with_prlimit", [True, False])
def test_converter_memory_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_prlimit: bool) -> None:
    """The address-space limit reaches the converter, with prlimit or, without it, through setrlimit."""
    # Reports running out of memory only when it runs under the 64 MB (65536 KiB) limit.
    _fake_converter(
        tmp_path,
        'if [ "$(ulimit -v)" = 65536 ]; then echo "memory allocation failed" >&2; else echo "no limit" >&2; fi; exit 1',
    )
    path = f"{tmp_path}:/usr/bin:/bin" if with_prlimit else str(tmp_path)
    monkeypatch.setenv("PATH", path)
    if with_prlimit and shutil.which("prlimit", path=path) is None:
        pytest.skip("prlimit (util-linux) is not installed")
    with pytest.raises(RejectedInput) as caught:
        extract(word97(["x"]), "x.doc", memory_mb=64)
    assert caught.value.reason == "legacy Word conversion of x.doc ran out of memory (limit 64 MB)"


def test_converter_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_converter(tmp_path, "kill -SEGV $$")
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    with pytest.raises(RejectedInput) as caught:
        extract(word97(["x"]), "x.doc")
    assert caught.value.reason == "legacy Word conversion of x.doc crashed (signal 11)"
