"""ETSI ISLD export parser: exact values over the real NTT DOCOMO sample, the same rows re-encoded as
ETSI writes them (semicolons, Windows-1252) and as spreadsheets re-save them, malformed rows, and
files that are not exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import pytest

from crawlers.extract import RejectedInput
from crawlers.patents import etsi
from crawlers.patents.etsi import EtsiImport, looks_like_isld, parse_isld_export
from tests.conftest import realdata

SAMPLE = "etsi_isld_export_subset_NTT_100rows.csv"


def _sample_bytes() -> bytes:
    return realdata("other", SAMPLE).read_bytes()


def _sample_rows() -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(_sample_bytes().decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def _csv(header: list[str], rows: list[list[str]], *, delimiter: str = ",", line_end: str = "\r\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _parse(text: str, encoding: str = "utf-8") -> EtsiImport:
    return parse_isld_export(text.encode(encoding), "export.csv")


@pytest.fixture(scope="module")
def sample() -> EtsiImport:
    return parse_isld_export(_sample_bytes(), f"/data/imports/{SAMPLE}")


def test_sample_declarations(sample: EtsiImport) -> None:
    assert sample.problems == []
    # 100 rows: 4 patent families of declaration 1140, in order of first appearance
    assert [d.key for d in sample.declarations] == [
        "etsi:1140:27176",
        "etsi:1140:27178",
        "etsi:1140:27180",
        "etsi:1140:27179",
    ]
    assert {d.declarant for d in sample.declarations} == {"NTT DOCOMO INC"}
    assert {d.date for d in sample.declarations} == {dt.date(2011, 9, 3)}
    assert {d.source for d in sample.declarations} == {"etsi_isld"}
    assert [len(d.metadata["members"]) for d in sample.declarations] == [9, 11, 18, 5]


def test_sample_family_27176(sample: EtsiImport) -> None:
    d = sample.declarations[0]
    assert d.patents == [
        # basis patent (row 2): publications "EP1848154 A1 | EP1848154 A4 | EP1848154 B1", application EP20060711571
        "EP1848154A1",
        "EP1848154A4",
        "EP1848154B1",
        "EP06711571",
        # family members in order of first appearance
        "JP20060552944T",
        "JP4480727B2",
        "JP20060552944",
        "WO2006075628A1",
        "WOJP2006300226",
        "ES2370786T3",
        "ES20060711571T",
        "CN200680002116",  # declared CN20068002116 (epodoc, a zero of the serial dropped)
        "KR101044031B1",
        "KR20070104576A",
        "KR20077017597",
        "US2008045164A1",
        "US20060794976",  # older epodoc US number without series code: kept as declared
        "CN101103594A",
        "CN101103594B",
        "CN2006802116",
    ]
    assert d.specs == ["3GPP TS 25.309", "3GPP TS 25.321", "3GPP TS 25.331"]
    assert d.deliverables == ["ETSI TS 125 309", "ETSI TS 125 321", "ETSI TS 125 331"]
    assert d.family == "etsi-family:9014"
    assert d.licensing == "FRAND undertaking (ETSI IPR Policy clause 6.1), subject to reciprocity"
    m = d.metadata
    assert (m["declaration_id"], m["reference"], m["family_id"], m["family_display_number"]) == (
        1140,
        "ISLD-201107-009",
        27176,
        "1",
    )
    assert m["family_external_id"] is None  # -1 in the export
    assert m["reflected_date"] == "2011-09-14"
    assert m["declarant_is_proprietor"] is True
    assert m["licensing_flags"] == {"LICD_DEC_PREP_TO_GRANT_FLAG": True, "LICD_REC_CONDI_FLAG": True}
    assert m["title"] == "TRANSMISSION RATE CONTROL METHOD, MOBILE STATION AND RADIO NETWORK CONTROLLER"
    # "|JP20050004537|WO2006JP300226|" plus the US member's typo "WO2006JP00226", as declared
    assert m["priority_numbers"] == ["JP20050004537", "WO2006JP300226", "WO2006JP00226"]
    assert m["versions"] == {
        "3GPP TS 25.309": ["6.6.0"],
        "3GPP TS 25.321": ["6.18.0"],
        "3GPP TS 25.331": ["6.22.0"],
    }
    assert m["deliverable_versions"]["ETSI TS 125 331"] == ["6.22.0"]
    assert m["illustrative_clauses"] == {
        "3GPP TS 25.309": ["9.1"],
        "3GPP TS 25.321": ["3.1.2", "9.2.5.2.1", "11.8.1.4"],
        "3GPP TS 25.331": ["10.2.33", "10.3.6.97", "10.3.6.99"],
    }
    assert m["project"] == "3GPP"
    assert m["project_names"] == {"3GPP": "Third Generation Partnership Project"}
    assert m["generations"] == ["3G"]
    basis = m["basis_patent"]
    assert basis == m["members"][0]
    assert (basis["role"], basis["application"], basis["application_as_declared"], basis["country"]) == (
        "basis patent",
        "EP06711571",
        "EP20060711571",
        "EP",
    )
    assert basis["publications_as_declared"] == ["EP1848154 A1", "EP1848154 A4", "EP1848154 B1"]
    assert basis["filing_date"] == "2006-01-11"
    assert basis["explicitly_disclosed"] is True
    assert basis["specs"] == ["3GPP TS 25.309", "3GPP TS 25.331"]  # rows 2 and 68
    china = next(x for x in m["members"] if x["application_as_declared"] == "CN20068002116")
    assert (china["role"], china["country"], china["publications"], china["explicitly_disclosed"]) == (
        "family member",
        "CN",  # "CN CHINA"
        [],  # PUBL_NUMBER -1
        False,
    )
    assert china["specs"] == ["3GPP TS 25.331", "3GPP TS 25.309", "3GPP TS 25.321"]


def test_sample_family_without_its_basis_patent(sample: EtsiImport) -> None:
    # the 100-row subset cuts family 27179 before its basis patent
    d = sample.declarations[3]
    assert d.metadata["basis_patent"] is None
    assert d.specs == ["3GPP TS 25.321"]
    assert d.patents[:3] == ["CN1925366A", "CN1925366B", "CN200610125737"]
    assert d.metadata["first_row"] == 41
    assert d.metadata["priority_numbers"] == ["JP20050248504"]


def test_sample_family_27180_has_four_specs(sample: EtsiImport) -> None:
    d = sample.declarations[2]
    assert d.specs == ["3GPP TS 25.309", "3GPP TS 25.321", "3GPP TS 25.331", "3GPP TS 25.433"]
    assert d.metadata["versions"]["3GPP TS 25.433"] == ["6.17.0"]
    assert d.metadata["basis_patent"]["application"] == "US20060886869"
    assert "WOJP2006305685" in d.patents
    assert "JPWO2006101115A1" in d.patents


def _variant(delimiter: str, encoding: str, bom: bytes = b"", line_end: str = "\r\n") -> bytes:
    header, rows = _sample_rows()
    return bom + _csv(header, rows, delimiter=delimiter, line_end=line_end).encode(encoding)


@pytest.mark.parametrize(
    ("label", "make"),
    [
        ("semicolon, windows-1252 (ETSI's own export)", lambda: _variant(";", "cp1252")),
        ("semicolon, UTF-8 with BOM", lambda: _variant(";", "utf-8", b"\xef\xbb\xbf")),
        ("comma, UTF-8 without BOM, LF", lambda: _variant(",", "utf-8", line_end="\n")),
        ("tab, UTF-16 with BOM", lambda: _variant("\t", "utf-16")),
        ("leading blank lines", lambda: b"\r\n\r\n" + _variant(",", "utf-8")),
    ],
)
def test_encodings_and_separators_give_the_same_declarations(
    sample: EtsiImport, label: str, make: Callable[[], bytes]
) -> None:
    data = make()
    assert looks_like_isld(data[: etsi.HEAD_BYTES]), label
    result = parse_isld_export(data, "variant.csv")
    assert result.problems == []
    got = [(d.key, d.patents, d.specs, d.deliverables, d.date, d.licensing) for d in result.declarations]
    want = [(d.key, d.patents, d.specs, d.deliverables, d.date, d.licensing) for d in sample.declarations]
    assert got == want
    assert [d.metadata["members"] for d in result.declarations] == [
        d.metadata["members"] for d in sample.declarations
    ]


def test_windows_1252_text_is_decoded() -> None:
    header, rows = _sample_rows()
    name = header.index("COMP_LEGAL_NAME")
    title = header.index("PBPA_TITLEEN")
    rows = [list(r) for r in rows[:3]]
    for r in rows:
        r[name] = "Telefonaktiebolaget LM Ericsson – Société"
    rows[0][title] = "Procédé de contrôle"
    result = parse_isld_export(_csv(header, rows, delimiter=";").encode("cp1252"), "ericsson.csv")
    assert result.problems == []
    [d] = result.declarations
    assert d.declarant == "Telefonaktiebolaget LM Ericsson – Société"
    assert d.metadata["title"] == "Procédé de contrôle"


# ---------------------------------------------------------------------------------------------
# Specs, licensing and flags from synthetic rows built on the sample's header


def _one(**changes: str) -> EtsiImport:
    header, rows = _sample_rows()
    row = list(rows[0])
    for column, value in changes.items():
        row[header.index(column)] = value
    return _parse(_csv(header, [row]))


@pytest.mark.parametrize(
    ("changes", "specs", "deliverables", "versions"),
    [
        # TGPP_NUMBER missing: the 3GPP spec comes from the Standard text
        (
            {"TGPP_NUMBER": "-1", "3GPP_Type": "-1"},
            ["3GPP TS 25.309"],
            ["ETSI TS 125 309"],
            {"3GPP TS 25.309": ["6.6.0"]},
        ),
        # nor in the Standard text: mapped from the ETSI deliverable (125 309 → 25.309)
        (
            {"TGPP_NUMBER": "-1", "3GPP_Type": "-1", "Standard": "-1", "TGPV_VERSION": "-1"},
            ["3GPP TS 25.309"],
            ["ETSI TS 125 309"],
            {"3GPP TS 25.309": ["6.6.0"]},
        ),
        # an ETSI deliverable of 3GPP's series 136 (LTE) given as a TR
        (
            {
                "TGPP_NUMBER": "-1",
                "3GPP_Type": "-1",
                "Standard": "-1",
                "WI_Type": "TR",
                "WOIT_ETSI_DELIVERABLE_NUMBER": "136 912",
            },
            ["3GPP TR 36.912"],
            ["ETSI TR 136 912"],
            {"3GPP TR 36.912": ["6.6.0"]},
        ),
        # ETSI's own standard: no 3GPP spec, the deliverable is the spec
        (
            {
                "TGPP_NUMBER": "-1",
                "3GPP_Type": "-1",
                "TGPV_VERSION": "-1",
                "Standard": "EN 301 908-1 (REN/MSG-TFES-001) version 15.1.1",
                "WI_Type": "EN",
                "WOIT_ETSI_DELIVERABLE_NUMBER": "301 908-1",
                "WOIT_VERSION": "15.1.1",
            },
            ["ETSI EN 301 908-1"],
            ["ETSI EN 301 908-1"],
            {"ETSI EN 301 908-1": ["15.1.1"]},
        ),
        # only the Standard text is left
        (
            {
                "TGPP_NUMBER": "-1",
                "3GPP_Type": "-1",
                "WI_Type": "-1",
                "WOIT_ETSI_DELIVERABLE_NUMBER": "-1",
                "TGPV_VERSION": "-1",
                "WOIT_VERSION": "16.1.0",
                "Standard": "TS 138 331 (RTS/TSGR-0238331vg10) version 16.1.0 -- 3GPP TS 38.331 version 16.1.0",
            },
            ["3GPP TS 38.331"],
            ["ETSI TS 138 331"],
            {"3GPP TS 38.331": ["16.1.0"]},
        ),
    ],
)
def test_specs(
    changes: dict[str, str], specs: list[str], deliverables: list[str], versions: dict[str, list[str]]
) -> None:
    result = _one(**changes)
    assert result.problems == []
    [d] = result.declarations
    assert (d.specs, d.deliverables, d.metadata["versions"]) == (specs, deliverables, versions)


@pytest.mark.parametrize(
    ("prepared", "reciprocity", "licensing"),
    [
        ("1", "1", "FRAND undertaking (ETSI IPR Policy clause 6.1), subject to reciprocity"),
        ("1", "0", "FRAND undertaking (ETSI IPR Policy clause 6.1)"),
        ("1", "-1", "FRAND undertaking (ETSI IPR Policy clause 6.1)"),
        (
            "0",
            "-1",
            "no FRAND undertaking: the declarant is not prepared to grant licences (ETSI IPR Policy clause 6.1)",
        ),
        ("-1", "-1", None),
    ],
)
def test_licensing(prepared: str, reciprocity: str, licensing: str | None) -> None:
    [d] = _one(LICD_DEC_PREP_TO_GRANT_FLAG=prepared, LICD_REC_CONDI_FLAG=reciprocity).declarations
    assert d.licensing == licensing


def test_dates_in_day_month_year_form() -> None:
    [d] = _one(IPRD_SIGNATURE_DATE="03/09/2011", Reflected_Date="14.09.2011 10:22").declarations
    assert d.date == dt.date(2011, 9, 3)
    assert d.metadata["reflected_date"] == "2011-09-14"


# ---------------------------------------------------------------------------------------------
# Malformed rows: reported with their row number, the rest imported


def _with(mutate: Callable[[list[str], list[list[str]]], None], rows: int = 7) -> EtsiImport:
    header, all_rows = _sample_rows()
    chosen = [list(r) for r in all_rows[:rows]]
    mutate(header, chosen)
    return _parse(_csv(header, chosen))


def _set(row: int, column: str, value: str) -> Callable[[list[str], list[list[str]]], None]:
    def mutate(header: list[str], rows: list[list[str]]) -> None:
        rows[row - 2][header.index(column)] = value

    return mutate


def _cut(row: int, keep: int) -> Callable[[list[str], list[list[str]]], None]:
    def mutate(header: list[str], rows: list[list[str]]) -> None:
        rows[row - 2] = rows[row - 2][:keep]

    return mutate


@pytest.mark.parametrize(
    ("mutate", "problem", "declarations"),
    [
        (_cut(4, 12), "row 4: 12 fields, the header has 40; row skipped", 2),
        (_set(3, "DIPG_ID", "-1"), "row 3: no DIPG_ID; row skipped", 2),
        (_set(5, "IPRD_ID", "11x0"), "row 5: IPRD_ID '11x0' is not a number; row skipped", 2),
        (_set(2, "COMP_LEGAL_NAME", ""), "row 2: no declarant (COMP_LEGAL_NAME); row skipped", 2),
        (
            _set(2, "IPRD_SIGNATURE_DATE", "2011-13-03"),
            "row 2: IPRD_SIGNATURE_DATE '2011-13-03' is not a date",
            2,
        ),
        (_set(6, "LICD_REC_CONDI_FLAG", "yes"), "row 6: LICD_REC_CONDI_FLAG 'yes' is not 0, 1 or -1", 2),
        (
            _set(6, "COMP_LEGAL_NAME", "NTT DOCOMO, INC."),
            "row 6: declarant 'NTT DOCOMO, INC.' differs from row 2 of etsi:1140:27176 ('NTT DOCOMO INC'); kept the first",
            2,
        ),
        (
            _set(3, "LICD_DEC_PREP_TO_GRANT_FLAG", "0"),
            "row 3: LICD_DEC_PREP_TO_GRANT_FLAG 0 differs from row 2 of etsi:1140:27176 (1); kept the first",
            2,
        ),
        (_set(4, "PBPA_APP_DATE", "someday"), "row 4: PBPA_APP_DATE 'someday' is not a date", 2),
    ],
)
def test_malformed_rows(
    mutate: Callable[[list[str], list[list[str]]], None], problem: str, declarations: int
) -> None:
    result = _with(mutate)
    assert result.problems == [problem]
    assert len(result.declarations) == declarations  # rows 2–8 hold families 27176 and 27178


def test_signature_date_from_another_row_when_one_is_bad() -> None:
    result = _with(_set(2, "IPRD_SIGNATURE_DATE", "2011-13-03"))
    assert result.declarations[0].date == dt.date(2011, 9, 3)  # row 3 has it


def test_row_without_patent_number_still_gives_its_spec() -> None:
    def mutate(header: list[str], rows: list[list[str]]) -> None:
        rows[0][header.index("PUBL_NUMBER")] = "-1"
        rows[0][header.index("PATT_APPLICATION_NUMBER")] = "Pending"

    result = _with(mutate, rows=1)
    assert result.problems == ["row 2: no patent number (PATT_APPLICATION_NUMBER, PUBL_NUMBER)"]
    [d] = result.declarations
    assert (d.patents, d.specs) == ([], ["3GPP TS 25.309"])


def test_row_without_spec_is_reported() -> None:
    result = _one(TGPP_NUMBER="-1", Standard="-1", WOIT_ETSI_DELIVERABLE_NUMBER="-1")
    assert result.problems == [
        "row 2: no specification (TGPP_NUMBER, WOIT_ETSI_DELIVERABLE_NUMBER, Standard)"
    ]
    assert result.declarations[0].specs == []


def test_blank_lines_and_trailing_delimiters_are_tolerated() -> None:
    header, rows = _sample_rows()
    text = _csv(header, rows[:3])
    lines = text.split("\r\n")
    text = "\r\n".join([lines[0], lines[1] + ",", "", lines[2], ";;", lines[3]])
    result = _parse(text)
    assert result.problems == ["row 5: 1 field, the header has 40; row skipped"]
    assert len(result.declarations) == 1
    assert len(result.declarations[0].metadata["members"]) == 3


def test_unbalanced_quote_is_reported_with_the_lines_it_swallowed() -> None:
    header, rows = _sample_rows()
    text = _csv(header, rows[:6])
    lines = text.split("\r\n")
    lines[2] = lines[2].replace("JP20060552944T", '"JP20060552944T', 1)  # opens a quote on row 3
    result = _parse("\r\n".join(lines))
    assert len(result.problems) == 1
    assert result.problems[0].startswith("row 3: ")
    assert "an unbalanced quote joined" in result.problems[0]
    assert result.declarations[0].key == "etsi:1140:27176"


def test_header_only_gives_nothing() -> None:
    header, _rows = _sample_rows()
    result = _parse(_csv(header, []))
    assert (result.declarations, result.problems) == ([], [])


# ---------------------------------------------------------------------------------------------
# Files that are not exports


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "export.csv: empty file"),
        (b"\r\n  \r\n", "export.csv: empty file"),
        (b"\xef\xbb\xbf", "export.csv: empty file"),
        (
            b"TDoc,Title,Source,Type,For,Agenda item\r\nR1-2000001,Agenda,Chair,agenda,Approval,1\r\n",
            "export.csv: not an ETSI IPR declaration (ISLD) export: it needs the columns IPRD_ID, DIPG_ID, "
            "COMP_LEGAL_NAME and PUBL_NUMBER or PATT_APPLICATION_NUMBER; headers found: TDoc, Title, Source, "
            "Type, For, Agenda item",
        ),
        (b"IPRD_ID;DIPG_ID;COMP_LEGAL_NAME;PUBL_NUMBER\r\n1;2;X;EP1\r\n", "without a specification column"),
        (b"\x00\x01\x02binary\x00" * 50, "export.csv: binary content, not text"),
        (
            b"IPRD_ID,DIPG_ID\r\n\x81\x8d\x8f\x90\x9d\r\n",
            "export.csv: undecodable: neither UTF-8 nor Windows-1252",
        ),
        (b"PK\x03\x04" + b"\x00" * 100, "export.csv: binary content, not text"),
    ],
)
def test_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput) as info:
        parse_isld_export(data, "some/dir/export.csv")
    assert reason in info.value.reason


def test_headers_found_are_listed_when_many() -> None:
    header = ",".join(f"col{i}" for i in range(30))
    with pytest.raises(RejectedInput) as info:
        parse_isld_export(f"{header}\r\n".encode(), "wide.csv")
    assert "headers found: col0, col1" in info.value.reason
    assert "… (30 columns)" in info.value.reason


def test_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(etsi, "MAX_BYTES", 100)
    with pytest.raises(RejectedInput, match=r"big\.csv: too large: 101 bytes \(limit 100\)"):
        parse_isld_export(b"x" * 101, "big.csv")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xef\xbb\xbfIPRD_ID,IPRD_REFERENCE,COMP_LEGAL_NAME,DIPG_ID,PUBL_NUMBER\r\n1,", True),
        (b"IPRD_ID;IPRD_REFERENCE;COMP_LEGAL_NAME;DIPG_ID;PATT_APPLICATION_NUMBER;Standard\r\n", True),
        (b"\r\n" + b"iprd_id;dipg_id;comp_legal_name;publ_number", True),  # cut-off header, any case
        (b"TDoc,Title,Source\r\n", False),
        (b"IPRD_ID,DIPG_ID,Title\r\n", False),
        (b"\x89PNG\r\n\x1a\n\x00\x00", False),
        (b"", False),
    ],
)
def test_looks_like_isld(head: bytes, expected: bool) -> None:
    assert looks_like_isld(head) is expected


def test_sample_head_is_recognised() -> None:
    assert looks_like_isld(_sample_bytes()[: etsi.HEAD_BYTES])
