"""Tables B.1/B.2: conclusions under the all-elements rule, the exact .xlsx and .docx layout,
export → import round trips, the realistic Chinese and English workbooks of tests/fixtures/claims
(problems reported by sheet and row), clause references, and hostile files refused."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from openpyxl import Workbook, load_workbook

from crawlers.extract import RejectedInput
from matcher.claimmap import ClaimMap, Feature, MapsTo, load, make_claim
from matcher.tables import (
    Conclusion,
    EvidenceRow,
    Reference,
    b2_tables,
    export_b1_xlsx,
    export_b2_docx,
    export_b2_xlsx,
    export_tables_xlsx,
    import_b1_b2_xlsx,
    normalise_spec,
    parse_reference,
    read_tables_xlsx,
)
from tests.conftest import REPO
from tests.fixtures.claims import make_tables

D = dt.date
CLAIMS = REPO / "tests" / "fixtures" / "claims"
CN = load(CLAIMS / "maps" / "cn113765432a_cho.yaml")
US = load(CLAIMS / "maps" / "us11223344b2_pei.yaml")

RRC_TEXT = (
    "The UE shall perform the following actions upon reception of the RRCReconfiguration, or upon "
    "execution of the conditional reconfiguration (CHO, MCG CPC or SCG CPAC):"
)


def small_map() -> ClaimMap:
    """The DESIGN.md example, with a dependent claim that has an and/or feature."""
    first = make_claim(
        1,
        "1. A data transmission method, wherein terminal A sends message M to base station B; and base "
        "station B replies with message N.",
        [
            Feature(
                "1A",
                "terminal A sends message M to base station B",
                ("RRC message", "UE"),
                (MapsTo("3GPP TS 38.331", "5.3.5.1", "18.4.0", "direct", True, "M is RRCReconfiguration"),),
            ),
            Feature(
                "1B",
                "base station B replies with message N",
                (),
                (
                    MapsTo("3GPP TS 38.331", "5.3.5.3", "18.4.0", "indirect", True, None),
                    MapsTo("3GPP TS 38.331", "6.2.2", "18.4.0", "direct", True, "RRCReconfigurationComplete"),
                ),
            ),
        ],
    )
    second = make_claim(2, "2. The method of claim 1, wherein message N is sent on SRB1 and/or SRB3.")
    return ClaimMap(
        "CN112345678A", ("EP3456789A1",), "一种数据传输方法", (), ("3GPP TS 38.331",), (first, second)
    )


def small_evidence() -> dict[tuple[str, int, str], list[EvidenceRow]]:
    return {
        ("CN112345678A", 1, "1A"): [
            EvidenceRow(
                "3GPP TS 38.331",
                "5.3.5.1",
                "18.4.0",
                4711,
                RRC_TEXT,
                "direct",
                True,
                True,
                "M is RRCReconfiguration",
            )
        ],
        ("CN112345678A", 2, "2A"): [
            EvidenceRow(
                "3GPP TS 38.331",
                "5.3.5.3",
                "18.4.0",
                4711,
                "1> submit the RRCReconfigurationComplete message via SRB1 to lower layers for transmission",
                "direct",
                False,
                None,
                "the standard uses SRB1 (first alternative)",
            )
        ],
    }


def values(data: bytes | Path, sheet: str | None = None) -> list[tuple[Any, ...]]:
    wb = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


def merged(path: Path, sheet: str) -> list[str]:
    return sorted(str(r) for r in load_workbook(path)[sheet].merged_cells.ranges)


# ----------------------------------------------------------------------------------------------------
# Conclusions


def test_conclusions_per_standard() -> None:
    (table,) = b2_tables([CN])
    assert (table.patent, table.specs, table.versions) == (
        "CN113765432A",
        ("3GPP TS 38.331",),
        (("3GPP TS 38.331", "17.6.0"),),
    )
    assert [(c.claim.number, c.conclusion) for c in table.claims] == [
        (
            1,
            Conclusion(True, False, "interpretation"),
        ),  # the weakest feature relation: 1C after interpretation
        (2, Conclusion(False, None, None)),  # 2A has no corresponding text
        (3, Conclusion(False, None, None)),
    ]
    assert [(r.feature.id, r.evidence.clause if r.evidence else None) for r in table.claims[0].rows] == [
        ("1A", "5.3.5.13.2"),
        ("1A", "6.3.2"),
        ("1B", "5.3.5.13.4"),
        ("1C", "5.3.5.13.5"),
    ]
    assert (table.conclusion, table.corresponding_claims) == (Conclusion(True, False, "interpretation"), (1,))
    assert table.alternatives == (("2A", ("参考信号接收功率", "参考信号接收质量"), None),)
    assert table.unquoted == (
        "3GPP TS 38.331 V17.6.0 §5.3.5.13.2",
        "3GPP TS 38.331 V17.6.0 §6.3.2",
        "3GPP TS 38.331 V17.6.0 §5.3.5.13.4",
        "3GPP TS 38.331 V17.6.0 §5.3.5.13.5",
    )


def test_a_claim_over_several_specs_needs_a_table_per_patent() -> None:
    per_standard = b2_tables([US])
    assert [(t.standard, t.conclusion.corresponds) for t in per_standard] == [
        ("3GPP TS 38.304", False),
        ("3GPP TS 38.213", False),
        ("3GPP TS 38.331", False),
    ]
    (combined,) = b2_tables([US], per="patent")
    assert combined.standard == "3GPP TS 38.304; 3GPP TS 38.213; 3GPP TS 38.331"
    assert [(c.claim.number, c.conclusion) for c in combined.claims] == [
        (
            1,
            Conclusion(True, False, "direct"),
        ),  # 1B: the strongest of its rows (direct 38.304, indirect 38.213)
        (2, Conclusion(False, None, None)),
        (11, Conclusion(False, None, None)),
    ]


def test_evidence_replaces_maps_to_and_sets_the_verdicts() -> None:
    (table,) = b2_tables([small_map()], small_evidence())
    assert [(c.claim.number, c.conclusion) for c in table.claims] == [
        (
            1,
            Conclusion(True, True, "direct"),
        ),  # 1B: the strongest of its rows (indirect 5.3.5.3, direct 6.2.2)
        (2, Conclusion(None, False, "direct")),  # the only evidence is still to be confirmed
    ]
    assert table.conclusion == Conclusion(True, True, "direct")
    assert table.alternatives == (("2A", ("SRB1", "SRB3"), "the standard uses SRB1 (first alternative)"),)
    assert table.unquoted == ("3GPP TS 38.331 V18.4.0 §5.3.5.3", "3GPP TS 38.331 V18.4.0 §6.2.2")


# ----------------------------------------------------------------------------------------------------
# Export layout


def test_b2_xlsx_layout(tmp_path: Path) -> None:
    path = tmp_path / "b2.xlsx"
    export_b2_xlsx([small_map()], small_evidence(), path)
    assert load_workbook(path).sheetnames == ["B.2 CN112345678A TS 38.331"]
    rows = values(path)
    assert rows == [
        ("表B.2 权利要求与标准文本对照表\nTable B.2 Claims and corresponding standard text", None, None),
        ("专利\nPatent", "CN112345678A 一种数据传输方法", None),
        ("标准\nStandard", "3GPP TS 38.331 (V18.4.0)", None),
        ("权利要求\nClaim", "标准文本\nStandard text", "分析结论\nAnalysis and conclusion"),
        (
            "权利要求1 / Claim 1\n1. A data transmission method, wherein terminal A sends message M to base station "
            "B; and base station B replies with message N.",
            None,
            None,
        ),
        (
            "[1A] terminal A sends message M to base station B",
            f"3GPP TS 38.331 V18.4.0 §5.3.5.1 [sepwatch #4711]\n“{RRC_TEXT}”",
            "对应 (corresponds)；直接对应 (direct)；必选 (mandatory)\nM is RRCReconfiguration",
        ),
        (
            "[1B] base station B replies with message N",
            "3GPP TS 38.331 V18.4.0 §5.3.5.3",
            "对应 (corresponds)；间接对应 (indirect)；必选 (mandatory)",
        ),
        (
            None,
            "3GPP TS 38.331 V18.4.0 §6.2.2",
            "对应 (corresponds)；直接对应 (direct)；必选 (mandatory)\nRRCReconfigurationComplete",
        ),
        (
            "权利要求1结论\nClaim 1 conclusion",
            "对应 (corresponds)；必选 (mandatory)；直接对应 (direct)",
            None,
        ),
        (
            "权利要求2 / Claim 2\n2. The method of claim 1, wherein message N is sent on SRB1 and/or SRB3.",
            None,
            None,
        ),
        (
            "[2A] message N is sent on SRB1 and/or SRB3",
            "3GPP TS 38.331 V18.4.0 §5.3.5.3 [sepwatch #4711]\n“1> submit the RRCReconfigurationComplete message "
            "via SRB1 to lower layers for transmission”",
            "待确认 (to be confirmed)；直接对应 (direct)；可选 (optional)\nthe standard uses SRB1 (first "
            "alternative)\n择一特征 (Alternatives): SRB1 | SRB3",
        ),
        (
            "权利要求2结论\nClaim 2 conclusion",
            "待确认 (to be confirmed)；可选 (optional)；直接对应 (direct)",
            None,
        ),
        ("结论\nConclusion", None, None),
        ("对应/不对应\nCorresponds / does not correspond", "对应（权利要求1）\ncorresponds (claims 1)", None),
        ("必选/可选\nMandatory / optional", "必选 (mandatory)", None),
        ("对应方式\nDirect / indirect / after interpretation", "直接对应 (direct)", None),
        (
            "说明\nNotes",
            "2A 择一特征 (Alternatives): SRB1 | SRB3 — 标准对应 (the standard corresponds to): the standard uses "
            "SRB1 (first alternative)\n以下条款未引用标准文本 (Clauses cited without quoted text): 3GPP TS 38.331 "
            "V18.4.0 §5.3.5.3, 3GPP TS 38.331 V18.4.0 §6.2.2",
            None,
        ),
    ]
    assert merged(path, "B.2 CN112345678A TS 38.331") == sorted(
        ["A1:C1", "B2:C2", "B3:C3", "A5:C5", "A7:A8", "B9:C9", "A10:C10", "B12:C12", "A13:C13"]
        + [f"B{r}:C{r}" for r in range(14, 18)]
    )


@pytest.mark.parametrize(
    ("language", "header", "analysis"),
    [
        ("zh", ("权利要求", "标准文本", "分析结论"), "对应；直接对应；必选\nM is RRCReconfiguration"),
        (
            "en",
            ("Claim", "Standard text", "Analysis and conclusion"),
            "corresponds; direct; mandatory\nM is RRCReconfiguration",
        ),
    ],
)
def test_b2_xlsx_languages(tmp_path: Path, language: Any, header: tuple[str, ...], analysis: str) -> None:
    path = tmp_path / "b2.xlsx"
    export_b2_xlsx([small_map()], small_evidence(), path, language=language)
    rows = values(path)
    assert rows[3] == header
    assert rows[5][2] == analysis


def test_b1_xlsx_layout(tmp_path: Path) -> None:
    path = tmp_path / "b1.xlsx"
    info = {
        "CN112345678A": {
            "application_number": "202110123456.7",
            "filing_date": D(2021, 1, 29),
            "inventors": ["张伟", "李娜"],
            "standards_body": "3GPP",
            "by_standard": {
                "3GPP TS 38.331": {
                    "contribution_number": "R2-2101234",
                    "standard_status": "已冻结",
                    "freeze_date": D(2022, 6, 10),
                }
            },
        }
    }
    export_b1_xlsx([small_map()], info, path, language="zh")
    rows = values(path)
    assert rows[0][0] == "表B.1 标准与专利基本信息表"
    assert (rows[1][0], rows[1][15]) == ("专利信息", "标准信息")
    assert rows[2] == (
        "专利", "填报单位", "填报日期", "专利名称", "申请号", "申请日", "发明人", "优先权日", "优先权号", "公开(公告)号",
        "公开日", "授权日", "专利号", "同族专利", "分析所用文本", "标准组织", "提案号", "提案名称", "提案人", "负责代表",
        "提案提交日", "标准号及版本", "冻结状态", "冻结日期",
    )  # fmt: skip
    assert rows[3] == (
        "CN112345678A", None, None, "一种数据传输方法", "202110123456.7", dt.datetime(2021, 1, 29), "张伟; 李娜", None,
        None, None, None, None, None, "EP3456789A1", None, "3GPP", "R2-2101234", None, None, None, None,
        "3GPP TS 38.331 V18.4.0", "已冻结", dt.datetime(2022, 6, 10),
    )  # fmt: skip
    assert len(rows) == 4


def test_b2_docx(tmp_path: Path) -> None:
    path = tmp_path / "b2.docx"
    export_b2_docx([small_map()], small_evidence(), path)
    document = docx.Document(str(path))
    assert [p.text for p in document.paragraphs if p.text] == [
        "表B.2 权利要求与标准文本对照表",
        "专利: CN112345678A 一种数据传输方法",
        "标准: 3GPP TS 38.331 (V18.4.0)",
    ]
    (table,) = document.tables
    rows = [tuple(cell.text for cell in row.cells) for row in table.rows]
    assert rows[0] == ("权利要求", "标准文本", "分析结论")
    claim_1 = "权利要求1\n1. A data transmission method, wherein terminal A sends message M to base station B; and base station B replies with message N."
    assert rows[1] == (claim_1, claim_1, claim_1)  # merged across
    assert rows[2] == (
        "[1A] terminal A sends message M to base station B",
        f"3GPP TS 38.331 V18.4.0 §5.3.5.1 [sepwatch #4711]\n“{RRC_TEXT}”",
        "对应；直接对应；必选\nM is RRCReconfiguration",
    )
    assert rows[3][0] == rows[4][0] == "[1B] base station B replies with message N"  # merged down
    assert (rows[3][1], rows[4][1]) == ("3GPP TS 38.331 V18.4.0 §5.3.5.3", "3GPP TS 38.331 V18.4.0 §6.2.2")
    assert rows[5] == ("权利要求1结论", "对应；必选；直接对应", "对应；必选；直接对应")
    assert rows[-4:-1] == [
        ("对应/不对应", "对应（权利要求1）", "对应（权利要求1）"),
        ("必选/可选", "必选", "必选"),
        ("对应方式", "直接对应", "直接对应"),
    ]


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    claim = make_claim(1, '=HYPERLINK("http://evil","x") comprising: a; b')
    cm = ClaimMap("CN1", (), None, (), ("3GPP TS 38.331",), (claim,))
    path = tmp_path / "f.xlsx"
    export_b2_xlsx([cm], None, path)
    cell = load_workbook(path).worksheets[0]["A5"]
    assert cell.data_type == "s"
    assert cell.value.startswith("权利要求1 / Claim 1\n=HYPERLINK")


# ----------------------------------------------------------------------------------------------------
# Round trips


def features_and_mappings(cm: ClaimMap) -> list[tuple[int, str, str, tuple[MapsTo, ...]]]:
    return [(c.number, f.id, f.text, f.maps_to) for c in cm.claims for f in c.features]


@pytest.mark.parametrize("language", ["zh+en", "zh", "en"])
@pytest.mark.parametrize("per", ["standard", "patent"])
def test_b2_round_trip(tmp_path: Path, language: Any, per: Any) -> None:
    path = tmp_path / "b2.xlsx"
    maps = [CN, US, small_map()]
    evidence = small_evidence()
    export_b2_xlsx(maps, evidence, path, language=language, per=per)
    result = read_tables_xlsx(path, "b2.xlsx")
    assert result.problems == []
    assert [cm.patent for cm in result.maps] == ["CN113765432A", "US11223344B2", "CN112345678A"]
    for original, imported in zip(maps, result.maps, strict=True):
        assert [c.text for c in imported.claims] == [c.text for c in original.claims]
        assert features_and_mappings(imported) == [
            # evidence, where given, is what the table shows and what comes back as the mapping
            (n, fid, text, _expected_maps(original.patent, n, fid, maps_to, evidence))
            for n, fid, text, maps_to in features_and_mappings(original)
        ]
        assert imported.title == original.title
    for key, rows in evidence.items():
        assert result.evidence[key] == rows


def _expected_maps(
    patent: str,
    claim: int,
    feature: str,
    maps_to: tuple[MapsTo, ...],
    evidence: dict[tuple[str, int, str], list[EvidenceRow]],
) -> tuple[MapsTo, ...]:
    rows = evidence.get((patent, claim, feature))
    if rows is None:
        return maps_to
    return tuple(
        MapsTo(r.spec, r.clause, r.version, r.relation, r.mandatory, r.note)
        for r in rows
        if r.corresponds is not False
    )


def test_b1_b2_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "tables.xlsx"
    info = {
        "CN113765432A": {
            "preparing_unit": "知识产权部",
            "application_number": "202010345678.9",
            "filing_date": D(2020, 4, 27),
            "inventors": ["张伟", "李娜", "王磊"],
            "priority_date": D(2020, 4, 27),
            "standards_body": "3GPP",
            "by_standard": {
                "3GPP TS 38.331": {
                    "contribution_number": "R2-2004567",
                    "contribution_date": D(2020, 4, 20),
                    "standard_status": "已冻结",
                    "freeze_date": D(2022, 6, 10),
                }
            },
        }
    }
    export_tables_xlsx([CN], info, None, path)
    assert load_workbook(path).sheetnames == ["B.1", "B.2 CN113765432A TS 38.331"]
    result = read_tables_xlsx(path.read_bytes(), "tables.xlsx")
    assert result.problems == []
    (cm,) = result.maps
    assert (cm.patent, cm.family, cm.title, cm.standards) == (CN.patent, CN.family, CN.title, CN.standards)
    assert result.b1 == {
        "CN113765432A": {
            "patent": "CN113765432A",
            "preparing_unit": "知识产权部",
            "patent_title": "一种条件重配置方法及装置",
            "application_number": "202010345678.9",
            "filing_date": D(2020, 4, 27),
            "inventors": ["张伟", "李娜", "王磊"],
            "priority_date": D(2020, 4, 27),
            "family": ["WO2021208456A1", "EP4124567A1", "US2023080123A1"],
            "standards_body": "3GPP",
            "contribution_number": "R2-2004567",
            "contribution_date": D(2020, 4, 20),
            "standard": "3GPP TS 38.331 V17.6.0",
            "standard_status": "已冻结",
            "freeze_date": D(2022, 6, 10),
            "by_standard": {
                "3GPP TS 38.331": {
                    "standards_body": "3GPP",
                    "contribution_number": "R2-2004567",
                    "contribution_date": D(2020, 4, 20),
                    "standard": "3GPP TS 38.331 V17.6.0",
                    "standard_status": "已冻结",
                    "freeze_date": D(2022, 6, 10),
                }
            },
        }
    }


# ----------------------------------------------------------------------------------------------------
# The realistic workbooks


@pytest.mark.parametrize("name", sorted(make_tables.BUILDERS))
def test_fixture_files_are_what_the_builder_makes(name: str) -> None:
    on_disk = load_workbook(CLAIMS / name)
    built = load_workbook(io.BytesIO(make_tables.BUILDERS[name]()))
    assert on_disk.sheetnames == built.sheetnames
    for sheet in built.sheetnames:
        assert values(CLAIMS / name, sheet) == values(make_tables.BUILDERS[name](), sheet)
        assert sorted(map(str, on_disk[sheet].merged_cells.ranges)) == sorted(
            map(str, built[sheet].merged_cells.ranges)
        )


def test_chinese_workbook() -> None:
    result = read_tables_xlsx(CLAIMS / make_tables.CHINESE, make_tables.CHINESE)
    assert result.problems == [
        "sheet 'B.2 TS 38.331' row 12: cannot read a clause number in '见上文'",
        "sheet 'B.2 TS 38.331' row 14: standard text with no claim feature before it",
    ]
    (cm,) = result.maps
    assert (cm.patent, cm.family, cm.title, cm.standards, cm.path) == (
        "CN113765432A",
        ("WO2021208456A1", "EP4124567A1", "US2023080123A1"),
        "一种条件重配置方法及装置",
        ("3GPP TS 38.331",),
        make_tables.CHINESE,
    )
    assert [(c.number, c.parent, c.text[:8]) for c in cm.claims] == [
        (1, None, "一种条件重配置方"),
        (2, 1, "根据权利要求1所"),
        (3, 1, "根据权利要求1或"),
    ]
    spec = "3GPP TS 38.331"
    assert features_and_mappings(cm) == [
        (
            1,
            "1A",
            "接收网络设备发送的RRC重配置消息，所述RRC重配置消息包括候选小区的条件重配置信息",
            (
                MapsTo(
                    spec,
                    "5.3.5.13.2",
                    "17.6.0",
                    "direct",
                    False,
                    "该特征与标准直接对应；条件重配置为可选特性（UE能力condHandover）",
                ),
                MapsTo(
                    spec, "6.3.2", "17.6.0", "direct", False, None
                ),  # second row of the merged feature cell
            ),
        ),
        (
            1,
            "1B",
            "评估所述候选小区的执行条件",
            (MapsTo(spec, "5.3.5.13.4", "17.6.0", "direct", False, None),),
        ),
        (
            1,
            "1C",
            "在所述执行条件满足时，应用所述候选小区对应的RRC重配置，并向所述候选小区发送RRC重配置完成消息",
            (
                MapsTo(
                    spec,
                    "5.3.5.13.5",
                    "17.6.0",
                    "interpretation",
                    False,
                    "经解释后对应：标准表述为UE应用存储的condRRCReconfig。可选",
                ),
            ),
        ),
        (
            2,
            "2A",
            "所述执行条件基于参考信号接收功率和/或参考信号接收质量确定",
            (
                MapsTo(
                    spec,
                    "5.5.4.4",
                    "17.6.0",
                    "indirect",
                    True,
                    "间接对应：事件A3的触发量可为RSRP、RSRQ或SINR，对应其中参考信号接收功率和参考信号接收质量两种方式。必选",
                ),
            ),
        ),
        (
            2,
            "2B",
            "所述执行条件的门限由所述网络设备配置",
            (),
        ),  # row 12 unreadable: the feature stays, unmapped
        (
            3,
            "3A",
            "所述RRC重配置完成消息通过信令无线承载1发送",
            (MapsTo(spec, "5.3.5.3", "17.6.0", "direct", True, None),),
        ),
    ]
    assert cm.claims[1].features[0].alternatives == (("参考信号接收功率", "参考信号接收质量"),)
    assert result.evidence[("CN113765432A", 1, "1C")] == [
        EvidenceRow(
            spec,
            "5.3.5.13.5",
            "17.6.0",
            None,
            "the UE shall apply the stored condRRCReconfig of the selected candidate cell and perform the actions "
            "as specified in 5.3.5.3",
            "interpretation",
            False,
            True,
            "经解释后对应：标准表述为UE应用存储的condRRCReconfig。可选",
        )
    ]
    info = result.b1["CN113765432A"]
    assert {k: v for k, v in info.items() if k != "by_standard"} == {
        "patent": "CN113765432A",
        "preparing_unit": "知识产权部（无线标准组）",
        "submission_date": D(2024, 3, 15),
        "patent_title": "一种条件重配置方法及装置",
        "application_number": "202010345678.9",
        "filing_date": D(2020, 4, 27),
        "inventors": ["张伟", "李娜", "王磊"],
        "priority_date": D(2020, 4, 27),  # written 2020年4月27日
        "priority_number": "CN202010345678.9",
        "publication_number": "CN113765432A",
        "publication_date": D(2021, 12, 7),  # written 2021.12.07
        "family": ["WO2021208456A1", "EP4124567A1", "US2023080123A1"],
        "analysed_text": "公开文本（权利要求书第1-3项）",
        "standards_body": "3GPP",
        "contribution_number": "R2-2004567",
        "contribution_title": "Discussion on conditional reconfiguration execution",
        "contribution_author": "华信通信",
        "delegate": "陈晨",
        "contribution_date": D(2021, 4, 12),  # an Excel serial number
        "standard": "3GPP TS 38.331 V17.6.0",
        "standard_status": "已冻结",
        "freeze_date": D(2022, 6, 10),
    }
    assert list(info["by_standard"]) == ["3GPP TS 38.331"]


def test_english_workbook() -> None:
    maps, problems = import_b1_b2_xlsx((CLAIMS / make_tables.ENGLISH).read_bytes(), make_tables.ENGLISH)
    assert problems == [
        "sheet 'B.1' row 4: B.1 row without a patent, publication or application number",
        "sheet 'Claim chart TS 38.304' row 12: cannot read a clause number in 'TBD'",
    ]
    (cm,) = maps
    assert (cm.patent, cm.title, cm.standards) == (
        "US11223344B2",
        "Paging early indication for UE power saving",
        ("3GPP TS 38.304", "3GPP TS 38.331", "3GPP TS 38.213"),
    )
    assert features_and_mappings(cm) == [
        (
            1,
            "1A",
            "receiving, from a base station, a configuration of paging early indication (PEI) occasions",
            (
                MapsTo(
                    "3GPP TS 38.331",
                    "6.3.2",
                    "17.6.0",
                    "direct",
                    False,
                    "Directly corresponds: PEI-Config is broadcast in SIB1.",
                ),
            ),
        ),
        (
            1,
            "1B",
            "receiving a PEI in a PEI occasion associated with a paging occasion (PO)",
            (
                MapsTo("3GPP TS 38.304", "7.5", "17.5.0", "direct", False, None),
                MapsTo(
                    "3GPP TS 38.213",
                    "10.4A",
                    "17.7.0",
                    "indirect",
                    False,
                    "Indirect: DCI format 2_7 carries the PEI.",
                ),
            ),
        ),
        (
            1,
            "1C",
            "monitoring a PDCCH in the PO when the PEI indicates that a paging subgroup of the UE is paged",
            (MapsTo("3GPP TS 38.304", "7.5", "17.5.0", "direct", False, None),),
        ),
        (
            2,
            "2A",
            "the paging subgroup is determined based on a UE identity and/or a subgroup identifier assigned by a core network",
            (
                MapsTo(
                    "3GPP TS 38.304",
                    "7.10",
                    "17.5.0",
                    "interpretation",
                    False,
                    "Corresponds after interpretation: both alternatives are specified.",
                ),
            ),
        ),
        (2, "2B", "the subgroup identifier is received in a NAS message", ()),
    ]
    # no claim text in the chart: the claim is its features in order
    assert cm.claims[1].text == (
        "the paging subgroup is determined based on a UE identity and/or a subgroup identifier assigned by a "
        "core network; the subgroup identifier is received in a NAS message"
    )


# ----------------------------------------------------------------------------------------------------
# Sheets as users write them


def sheet(rows: list[list[object]], merges: tuple[str, ...] = (), title: str = "B.2") -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for row in rows:
        ws.append(row)
    for merge in merges:
        ws.merge_cells(merge)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_feature_marks_and_analysis_words() -> None:
    data = sheet(
        [
            ["专利号", "CN118000001A"],
            ["权利要求 Claims", "标准文本 Standard text", "分析 Analysis"],
            ["权利要求1", None, None],
            ["[1A] 终端接收寻呼提前指示", "TS 38.304 §7.5", "直接对应，必选"],
            ["(b) 终端监听寻呼时机", "38.304 第7.5节", "间接（推导）；非必选"],
            ["特征C：终端上报能力", "3GPP TS 38.306 V17.4.0 4.2.7.10", "does not correspond"],
            ["d) 终端进入空闲态", "TS 38.304 clause 5.2", "after interpretation; optional"],
            ["1E: 终端驻留小区", "TS 38.304 §5.2.4", "待确认"],
            ["权利要求2", None, None],
            ["a. 所述寻呼提前指示为DCI格式2_7", "TS 38.213 §10.4A", "Directly"],
            ["终端保存配置", "TS 38.331 §5.2.2", "直接"],
        ]
    )
    result = read_tables_xlsx(data, "marks.xlsx")
    assert result.problems == []
    (cm,) = result.maps
    assert cm.patent == "CN118000001A"
    assert [
        (c.number, f.id, f.text, [(m.spec, m.clause, m.relation, m.mandatory) for m in f.maps_to])
        for c in cm.claims
        for f in c.features
    ] == [
        (1, "1A", "终端接收寻呼提前指示", [("3GPP TS 38.304", "7.5", "direct", True)]),
        (1, "1B", "终端监听寻呼时机", [("3GPP TS 38.304", "7.5", "indirect", False)]),
        (1, "1C", "终端上报能力", []),  # "does not correspond": evidence, not a mapping
        (1, "1D", "终端进入空闲态", [("3GPP TS 38.304", "5.2", "interpretation", False)]),
        (1, "1E", "终端驻留小区", [("3GPP TS 38.304", "5.2.4", None, None)]),
        (2, "2A", "所述寻呼提前指示为DCI格式2_7", [("3GPP TS 38.213", "10.4A", "direct", None)]),
        (2, "2B", "终端保存配置", [("3GPP TS 38.331", "5.2.2", "direct", None)]),  # no mark: next id
    ]
    assert [r.corresponds for r in result.evidence[("CN118000001A", 1, "1C")]] == [False]
    assert [r.corresponds for r in result.evidence[("CN118000001A", 1, "1E")]] == [None]


def test_rows_that_cannot_be_read_are_reported_and_the_rest_imports() -> None:
    data = sheet(
        [
            ["Claim", "Standard text", "Analysis"],
            ["[A] a feature before any claim number", "TS 38.331 §5.3.5.1", "direct"],
            ["Claim 1", None, None],
            ["[1A]", "TS 38.331 §5.3.5.1", "direct"],
            ["[1B] a feature", "§5.3.5.1", "direct"],  # no standard anywhere
            ["[1C] another feature", "TS 38.331 §5.3.5.2", "direct"],
        ],
        title="US 11223344 B2",
    )
    result = read_tables_xlsx(data, "rows.xlsx")
    assert result.problems == [
        "sheet 'US 11223344 B2' row 2: feature mark 'A' without a claim number (add a 权利要求N / Claim N row)",
        "sheet 'US 11223344 B2' row 4: feature 1A has no text",
        "sheet 'US 11223344 B2' row 5: clause 5.3.5.1 without a standard (name it in the cell or above the table)",
    ]
    (cm,) = result.maps
    assert cm.patent == "US11223344B2"  # from the sheet name
    assert [(f.id, [m.clause for m in f.maps_to]) for f in cm.claims[0].features] == [
        ("1B", []),
        ("1C", ["5.3.5.2"]),
    ]


def test_workbook_without_tables() -> None:
    result = read_tables_xlsx(sheet([["会议纪要"], ["RAN2#125 讨论了条件切换"]], title="Notes"), "notes.xlsx")
    assert result.maps == []
    assert result.problems == [
        "sheet 'Notes': neither a B.1 nor a B.2 table: skipped",
        "notes.xlsx: no B.2 table (a header row with 权利要求/Claim and 标准文本/Standard text)",
    ]


def test_b2_without_a_patent_number() -> None:
    data = sheet(
        [["权利要求", "标准文本"], ["权利要求1", None], ["1A：终端接收消息", "TS 38.331 §5.3.5.1"]],
        title="对照表",
    )
    assert read_tables_xlsx(data, "对照表.xlsx").problems == [
        "sheet '对照表': no patent number: add a 专利/Patent line above the table or name the sheet after it"
    ]


# ----------------------------------------------------------------------------------------------------
# References


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TS 38.331 §5.3.5.1 (v18.4.0)", Reference("3GPP TS 38.331", "5.3.5.1", "18.4.0", None, "")),
        ("3GPP TS 38.331 V18.4.0 5.3.5.1", Reference("3GPP TS 38.331", "5.3.5.1", "18.4.0", None, "")),
        (
            "3GPP TS 38.331 V18.4.0 §5.3.5.1 [sepwatch #1234]\n“The UE shall”",
            Reference("3GPP TS 38.331", "5.3.5.1", "18.4.0", 1234, "The UE shall"),
        ),
        ("38.331 第5.3.5.1节：UE应当…", Reference("3GPP TS 38.331", "5.3.5.1", None, None, "UE应当…")),
        ("38.913 7.1", Reference("3GPP TR 38.913", "7.1", None, None, "")),
        (
            'RFC 9000 Section 4.2 "The endpoint MUST"',
            Reference("RFC 9000", "4.2", None, None, "The endpoint MUST"),
        ),
        ("TS 38.213 clause 10.4A", Reference("3GPP TS 38.213", "10.4A", None, None, "")),
        ("Annex A.2 of TS 38.331", Reference("3GPP TS 38.331", "A.2", None, None, "")),
        ("5.3.5.3节\n“1> submit”", Reference(None, "5.3.5.3", None, None, "1> submit")),
        ("IEEE 802.11-2020 9.4.2.170", Reference("IEEE 802.11-2020", "9.4.2.170", None, None, "")),
        ("ETSI TS 103 666-1 V15.0.0 clause 6.1", Reference("ETSI TS 103 666-1", "6.1", "15.0.0", None, "")),
        ("YD/T 3929-2021 第5.2条", Reference("YD/T 3929-2021", "5.2", None, None, "")),
        ("见上文", Reference(None, None, None, None, "见上文")),
        # a quote that mentions a clause is not a reference
        ("“as specified in 5.3.5.3”", Reference(None, None, None, None, "as specified in 5.3.5.3")),
    ],
)
def test_parse_reference(text: str, expected: Reference) -> None:
    assert parse_reference(text) == expected


def test_anchored_reference_leaves_plain_text_alone() -> None:
    text = "The UE applies 5.3.5.3 when the timer expires."
    assert parse_reference(text, anchored=True) == Reference(None, None, None, None, text)
    assert parse_reference(text).clause == "5.3.5.3"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("TS 38.331", "3GPP TS 38.331"),
        ("3gpp  ts 38.331", "3GPP TS 38.331"),
        ("38.331", "3GPP TS 38.331"),
        ("38.912", "3GPP TR 38.912"),
        ("rfc9000", "RFC 9000"),
        ("IEEE 802.11-2020", "IEEE 802.11-2020"),
    ],
)
def test_normalise_spec(spec: str, expected: str) -> None:
    assert normalise_spec(spec) == expected


# ----------------------------------------------------------------------------------------------------
# Hostile and broken files


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_hostile_and_broken_files_are_refused(tmp_path: Path) -> None:
    good = make_tables.chinese_workbook()
    cases = [
        (b"", "x.xlsx: empty file"),
        (b"<html>Session expired</html>", "x.xlsx: not an .xlsx workbook (no zip signature)"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
            "x.xlsx: a legacy .xls workbook or a password-protected file: save it as .xlsx without a password",
        ),
        (
            zip_bytes({"word/document.xml": b"<w/>"}),
            "x.xlsx: a zip but not an .xlsx workbook (no xl/workbook.xml)",
        ),
        (
            zip_bytes({"xl/workbook.xml": b"<x/>", "xl/worksheets/sheet1.xml": b"\x00" * (4 * 2**20)}),
            "zip bomb refused: x.xlsx/xl/worksheets/sheet1.xml inflates to more than 200 times its compressed size",
        ),
        (
            zip_bytes({"../../evil.xml": b"x", "xl/workbook.xml": b"<x/>"}),
            "unsafe path in zip archive x.xlsx: member '../../evil.xml' climbs out with '..'",
        ),
    ]
    for data, reason in cases:
        with pytest.raises(RejectedInput) as caught:
            read_tables_xlsx(data, "x.xlsx")
        assert caught.value.reason == reason
    with pytest.raises(RejectedInput) as caught:
        read_tables_xlsx(good[: len(good) // 2], "x.xlsx")
    assert caught.value.reason.startswith("truncated or corrupt zip archive: x.xlsx")
    with pytest.raises(RejectedInput) as caught:
        read_tables_xlsx(tmp_path / "missing.xlsx", "missing.xlsx")
    assert caught.value.reason == "missing.xlsx: cannot read: No such file or directory"


def test_entity_expansion_in_a_sheet_is_refused() -> None:
    good = make_tables.english_workbook()
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/workbook.xml"] = (
        b'<?xml version="1.0"?><!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + members["xl/workbook.xml"].replace(b'name="B.1"', b'name="&b;"')
    )
    with pytest.raises(RejectedInput) as caught:
        read_tables_xlsx(zip_bytes(members), "x.xlsx")
    assert caught.value.reason == "x.xlsx: unsafe XML inside the spreadsheet refused (EntitiesForbidden)"


def test_claim_column_beside_a_feature_column() -> None:
    # 权利要求 holds the whole claim, merged down over its features; 技术特征 holds the features
    data = sheet(
        [
            ["专利：CN118000002A 一种寻呼方法", None, None, None],
            ["权利要求", "技术特征", "标准文本", "分析结论"],
            [
                "1. 一种寻呼方法，包括：接收寻呼提前指示；监听寻呼时机。",
                "A 接收寻呼提前指示",
                "TS 38.304 §7.5",
                "直接对应",
            ],
            [None, "B 监听寻呼时机", "TS 38.304 §7.1", "直接对应"],
            [
                "2. 根据权利要求1所述的方法，其中，所述寻呼提前指示为DCI格式2_7。",
                "A 所述寻呼提前指示为DCI格式2_7",
                "TS 38.213 §10.4A",
                "间接对应",
            ],
        ],
        merges=("A3:A4",),
    )
    result = read_tables_xlsx(data, "two-columns.xlsx")
    assert result.problems == []
    (cm,) = result.maps
    assert [(c.number, c.text, c.parent) for c in cm.claims] == [
        (1, "1. 一种寻呼方法，包括：接收寻呼提前指示；监听寻呼时机。", None),
        (2, "2. 根据权利要求1所述的方法，其中，所述寻呼提前指示为DCI格式2_7。", 1),
    ]
    assert [(f.id, f.text, [m.clause for m in f.maps_to]) for c in cm.claims for f in c.features] == [
        ("1A", "接收寻呼提前指示", ["7.5"]),
        ("1B", "监听寻呼时机", ["7.1"]),
        ("2A", "所述寻呼提前指示为DCI格式2_7", ["10.4A"]),
    ]


def test_a_flood_of_merged_cells_is_refused() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.merge_cells("A1:AN100")
    ws.cell(row=101, column=1, value="a value below, so that the merged rows are read")
    data = io.BytesIO()
    wb.save(data)
    # write the same 4000-cell range 60 times into the sheet XML: 240,000 cells to fill
    with zipfile.ZipFile(io.BytesIO(data.getvalue())) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet_xml = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = sheet_xml.replace(
        b'<mergeCell ref="A1:AN100"/>', b'<mergeCell ref="A1:AN100"/>' * 60
    ).replace(b'<mergeCells count="1">', b'<mergeCells count="60">')
    with pytest.raises(RejectedInput) as caught:
        read_tables_xlsx(zip_bytes(members), "x.xlsx")
    assert caught.value.reason == "x.xlsx: too many merged cells to be a table"
