"""The correspondence tables of the linkage guideline (Annex B): B.1, basic information on the
patent and the standard, and B.2, claim vs standard text; export to .xlsx and .docx, import from
the spreadsheets users already keep.

B.2 is one table per patent × standard (or, with ``per="patent"``, one per patent over all its
standards, for claims that read on several specs together). Rows follow the claims and their features in order: the
feature marked ("[1A] terminal A sends …"), the standard clause (spec, version, clause number and
the quoted text) and the analysis (direct / indirect / after interpretation, mandatory or
optional, the note, the "and/or" alternatives). Each claim ends with its conclusion and each table
with the table's: corresponds / does not correspond (all-elements rule), mandatory / optional,
direct / indirect / after interpretation. Tables are pinned to the document versions they cite:
every standard-text cell names spec, version and clause, and the stored version id when known
("3GPP TS 38.331 V18.4.0 §5.3.5.1 [sepwatch #1234]").

How the conclusions are drawn (:func:`b2_tables`):

- a feature corresponds when one of its rows corresponds (``corresponds`` True; rows taken from a
  claim map's ``maps_to`` are known correspondences); it does not when it has no row or all rows
  say no; otherwise it is to be confirmed;
- a claim corresponds when every feature does (all-elements rule), does not when one feature does
  not; it is mandatory when every feature's text is mandatory, optional when one is optional; its
  relation is the weakest of its features (direct < indirect < after interpretation), unknown when
  one feature's relation is unknown;
- the table corresponds when one claim does; mandatory and relation come from the corresponding
  claims (the most favourable one).

Import (:func:`read_tables_xlsx`) is tolerant: headers in Chinese or English (or both in one cell),
merged cells (read from the sheet XML, which openpyxl's read-only mode ignores), feature marks
"[1A]", "1A:", "(a)", "特征A", clause cells such as "TS 38.331 §5.3.5.1 (v18.4.0)",
"3GPP TS 38.331 V18.4.0 5.3.5.1" or "5.3.5.1节" under a sheet heading naming the standard. A row
that cannot be read is reported with its sheet and row number and the rest imports. The file is
checked as a zip container (bombs, hostile names) before openpyxl opens it.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.worksheet import Worksheet

from crawlers.extract import RejectedInput
from crawlers.extract.archive import OLE_MAGIC, ArchiveLimits, check_container
from matcher.claimmap import (
    CLAUSE_PATTERN,
    FEATURE_ID_PATTERN,
    RELATIONS,
    Claim,
    ClaimMap,
    Feature,
    MapsTo,
    Relation,
    auto_feature_id,
    make_claim,
    normalise_version,
)

__all__ = [
    "B1_FIELDS",
    "B1Field",
    "B2Claim",
    "B2Row",
    "B2Table",
    "Conclusion",
    "Evidence",
    "EvidenceKey",
    "EvidenceRow",
    "Language",
    "Per",
    "Reference",
    "TablesImport",
    "b2_tables",
    "export_b1_xlsx",
    "export_b2_docx",
    "export_b2_xlsx",
    "export_tables_xlsx",
    "format_reference",
    "import_b1_b2_xlsx",
    "normalise_spec",
    "parse_reference",
    "read_tables_xlsx",
]

Language = Literal["zh", "en", "zh+en"]
Per = Literal["standard", "patent"]
EvidenceKey = tuple[str, int, str]
"""(patent, claim number, feature id)."""

MAX_XLSX_BYTES = 50 * 2**20
MAX_XLSX_INFLATED = 200 * 2**20
MAX_ROWS = 5000
MAX_COLUMNS = 40
_MAX_EMPTY_RUN = 200
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


# ----------------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One piece of standard text cited for a feature, pinned to the document version it quotes."""

    spec: str
    clause: str
    version: str | None
    document_version_id: int | None
    text: str
    relation: Relation | None = None
    mandatory: bool | None = None
    corresponds: bool | None = None
    note: str | None = None


Evidence = Mapping[EvidenceKey, Sequence[EvidenceRow]]


@dataclass(frozen=True, slots=True)
class Conclusion:
    corresponds: bool | None
    mandatory: bool | None
    relation: Relation | None


@dataclass(frozen=True, slots=True)
class B2Row:
    """A feature and one of its cited clauses (``evidence`` None: no corresponding text)."""

    feature: Feature
    evidence: EvidenceRow | None


@dataclass(frozen=True, slots=True)
class B2Claim:
    claim: Claim
    rows: tuple[B2Row, ...]
    conclusion: Conclusion


@dataclass(frozen=True, slots=True)
class B2Table:
    """Table B.2 for one patent × standard."""

    patent: str
    title: str | None
    specs: tuple[str, ...]
    """The standards of this table: one, or every mapped one for a table per patent."""
    versions: tuple[tuple[str, str], ...]
    """(spec, version) cited, in order of citation."""
    claims: tuple[B2Claim, ...]
    conclusion: Conclusion
    corresponding_claims: tuple[int, ...]
    alternatives: tuple[tuple[str, tuple[str, ...], str | None], ...]
    """(feature id, alternatives, what the standard corresponds to: the evidence notes)."""
    unquoted: tuple[str, ...]
    """Clause references cited without quoted text (the guideline wants all text quoted)."""

    @property
    def standard(self) -> str:
        return "; ".join(self.specs)


@dataclass(frozen=True, slots=True)
class B1Field:
    key: str
    zh: str
    en: str
    side: Literal["patent", "standard"]
    kind: Literal["text", "date", "list"]
    aliases: tuple[str, ...] = ()


def _field(
    key: str,
    zh: str,
    en: str,
    side: Literal["patent", "standard"],
    kind: Literal["text", "date", "list"],
    aliases: str = "",
) -> B1Field:
    return B1Field(key, zh, en, side, kind, tuple(aliases.split()))


# Header spellings seen in IP departments' B.1 forms; matching ignores spaces, punctuation and case.
B1_FIELDS: tuple[B1Field, ...] = (
    _field("patent", "专利", "Patent", "patent", "text"),
    _field(
        "preparing_unit",
        "填报单位",
        "Preparing unit",
        "patent",
        "text",
        "提交单位 填写单位 填表单位 编制单位 preparedby department",
    ),
    _field(
        "submission_date",
        "填报日期",
        "Submission date",
        "patent",
        "date",
        "提交日期 填写日期 填表日期 datesubmitted preparedon",
    ),
    _field(
        "patent_title",
        "专利名称",
        "Patent title",
        "patent",
        "text",
        "发明名称 发明创造名称 专利标题 title titleofinvention",
    ),
    _field(
        "application_number",
        "申请号",
        "Application number",
        "patent",
        "text",
        "专利申请号 申请号专利号 applicationno appno",
    ),
    _field("filing_date", "申请日", "Filing date", "patent", "date", "申请日期 applicationdate"),
    _field("inventors", "发明人", "Inventors", "patent", "list", "inventor 发明人员"),
    _field("priority_date", "优先权日", "Priority date", "patent", "date", "优先权日期 最早优先权日"),
    _field(
        "priority_number",
        "优先权号",
        "Priority number",
        "patent",
        "text",
        "优先权申请号 priorityno priorityapplication",
    ),
    _field(
        "publication_number",
        "公开(公告)号",
        "Publication number",
        "patent",
        "text",
        "公开号 公告号 授权公告号 publicationno",
    ),
    _field("publication_date", "公开日", "Publication date", "patent", "date", "公开日期 公开公告日"),
    _field(
        "grant_date", "授权日", "Grant date", "patent", "date", "授权公告日 授权日期 issuedate dateofgrant"
    ),
    _field("patent_number", "专利号", "Patent number", "patent", "text", "patentno"),
    _field(
        "family",
        "同族专利",
        "Family members",
        "patent",
        "list",
        "同族 同族专利号 同族信息 family patentfamily",
    ),
    _field(
        "analysed_text",
        "分析所用文本",
        "Text analysed",
        "patent",
        "text",
        "分析文本 所用文本版本 文本版本 分析依据文本 analysedtext textversion claimsversion",
    ),
    _field(
        "standards_body",
        "标准组织",
        "Standards body",
        "standard",
        "text",
        "标准化组织 sdo standardsorganization standardsorganisation",
    ),
    _field(
        "contribution_number",
        "提案号",
        "Contribution number",
        "standard",
        "text",
        "提案编号 文稿号 contributionno tdoc tdocnumber",
    ),
    _field("contribution_title", "提案名称", "Contribution title", "standard", "text", "提案标题 tdoctitle"),
    _field(
        "contribution_author",
        "提案人",
        "Contribution author",
        "standard",
        "text",
        "提案作者 提案单位 提案公司 source",
    ),
    _field(
        "delegate",
        "负责代表",
        "Delegate",
        "standard",
        "text",
        "标准代表 参会代表 对接代表 responsibledelegate",
    ),
    _field(
        "contribution_date",
        "提案提交日",
        "Contribution submission date",
        "standard",
        "date",
        "提案提交日期 提案日期 提案提交时间 contributiondate",
    ),
    _field(
        "standard",
        "标准号及版本",
        "Standard and version",
        "standard",
        "text",
        "标准号与版本 标准号和版本 标准编号及版本 标准号 标准编号 standardnumberandversion standard specification",
    ),
    _field(
        "standard_status",
        "冻结状态",
        "Status (frozen / not frozen)",
        "standard",
        "text",
        "标准状态 是否冻结 standardstatus freezestatus status",
    ),
    _field("freeze_date", "冻结日期", "Freeze date", "standard", "date", "冻结时间 freezingdate"),
)
_B1_BY_KEY = {f.key: f for f in B1_FIELDS}


@dataclass
class TablesImport:
    """What a workbook of B.1/B.2 tables holds: claim maps, the B.1 information per patent (keys of
    :data:`B1_FIELDS`, standard-side fields also under ``by_standard[spec]``), the quoted
    standard text per feature, and the rows that could not be read."""

    maps: list[ClaimMap] = field(default_factory=list)
    b1: dict[str, dict[str, Any]] = field(default_factory=dict)
    evidence: dict[EvidenceKey, list[EvidenceRow]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------------
# Labels

_TEXT: dict[str, tuple[str, str]] = {
    "b2_title": ("表B.2 权利要求与标准文本对照表", "Table B.2 Claims and corresponding standard text"),
    "b1_title": ("表B.1 标准与专利基本信息表", "Table B.1 Standard and patent basic information"),
    "patent": ("专利", "Patent"),
    "standard": ("标准", "Standard"),
    "claim_col": ("权利要求", "Claim"),
    "standard_col": ("标准文本", "Standard text"),
    "analysis_col": ("分析结论", "Analysis and conclusion"),
    "claim_n": ("权利要求{n}", "Claim {n}"),
    "claim_conclusion": ("权利要求{n}结论", "Claim {n} conclusion"),
    "conclusion": ("结论", "Conclusion"),
    "corresponds_label": ("对应/不对应", "Corresponds / does not correspond"),
    "mandatory_label": ("必选/可选", "Mandatory / optional"),
    "relation_label": ("对应方式", "Direct / indirect / after interpretation"),
    "notes_label": ("说明", "Notes"),
    "no_text": ("未找到对应的标准文本", "No corresponding standard text found"),
    "alternatives": ("择一特征", "Alternatives"),
    "standard_corresponds_to": ("标准对应", "the standard corresponds to"),
    "unquoted": ("以下条款未引用标准文本", "Clauses cited without quoted text"),
    "all_quoted": ("所有对应的标准文本均已引用", "All corresponding standard text is quoted"),
    "claims": ("权利要求", "claims"),
    "patent_group": ("专利信息", "Patent information"),
    "standard_group": ("标准信息", "Standard information"),
}
_RELATION_TEXT: dict[Relation, tuple[str, str]] = {
    "direct": ("直接对应", "direct"),
    "indirect": ("间接对应", "indirect"),
    "interpretation": ("解释后对应", "after interpretation"),
}
_MANDATORY_TEXT: dict[bool, tuple[str, str]] = {True: ("必选", "mandatory"), False: ("可选", "optional")}
_CORRESPONDS_TEXT: dict[bool | None, tuple[str, str]] = {
    True: ("对应", "corresponds"),
    False: ("不对应", "does not correspond"),
    None: ("待确认", "to be confirmed"),
}
_RANK: dict[Relation, int] = {relation: rank for rank, relation in enumerate(RELATIONS)}  # direct strongest


def _heading(key: str, language: Language, **fmt: object) -> str:
    zh, en = _TEXT[key]
    zh, en = zh.format(**fmt), en.format(**fmt)
    return {"zh": zh, "en": en, "zh+en": f"{zh}\n{en}"}[language]


def _inline(pair: tuple[str, str], language: Language) -> str:
    return {"zh": pair[0], "en": pair[1], "zh+en": f"{pair[0]} ({pair[1]})"}[language]


def _sep(language: Language) -> str:
    return "; " if language == "en" else "；"


# ----------------------------------------------------------------------------------------------------
# Specs and clause references


_SPEC_3GPP = re.compile(r"(?:3GPP\s*)?(?P<kind>TS|TR)\s*(?P<num>\d{2}\.\d{3})(?:-\d+)?\b", re.I)
_SPEC_PATTERNS = (
    re.compile(r"\bETSI\s+(?:TS|TR|EN|ES|GS)\s+\d{3}\s?\d{3}(?:-\d+)*\b", re.I),
    _SPEC_3GPP,
    re.compile(r"\bRFC\s*(?P<rfc>\d{1,5})\b", re.I),
    re.compile(r"\bdraft-[a-z0-9]+(?:-[a-z0-9]+)*?(?=-\d{2}\b|\b)", re.I),
    re.compile(r"\bIEEE\s+(?:Std\s+)?\d{3,4}(?:\.\d+[a-z]*)?(?:-\d{4})?\b", re.I),
    re.compile(r"\bITU-[TR]\s+[A-Z]\.\d+(?:\.\d+)?\b"),
    re.compile(r"\b(?:YD/T|GB/T|GB|T/[A-Z]{2,10})\s*\d+(?:\.\d+)*-\d{4}\b"),
    re.compile(r"(?<![\d.])(?P<bare>\d{2}\.\d{3})(?![\d.]*\d)"),
)
_VERSION = re.compile(
    r"(?:\b[Vv]\s?|版本\s*[:：]?\s*|\bversion\s*[:：]?\s*|(?<=\()\s*[Vv]?)(?P<v>\d{1,2}\.\d{1,2}\.\d{1,2})\b",
    re.I,
)
_VERSION_ID = re.compile(r"\[\s*sepwatch\s*#\s*(?P<id>\d{1,18})\s*\]", re.I)
_CLAUSE_TOKEN = r"(?:\d{1,3}[A-Za-z]?|[A-Z])(?:\.\d{1,3}[A-Za-z]?)*"  # noqa: S105 - a pattern
_CLAUSE_MARKED = re.compile(
    rf"(?:§|\bclause\s+|\bsection\s+|\bsec\.\s*|\bannex\s+|条款\s*|章节\s*|附录\s*|第\s*)(?P<c>{_CLAUSE_TOKEN})(?:\s*[节條条章款])?",
    re.I,
)
_CLAUSE_SUFFIXED = re.compile(rf"(?<![\w.])(?P<c>{_CLAUSE_TOKEN})\s*[节條条章]")
_CLAUSE_BARE = re.compile(r"(?<![\w.])(?P<c>(?:\d{1,3}[A-Za-z]?|[A-Z])(?:\.\d{1,3}[A-Za-z]?)+)(?![\w.]*\d)")
_CLAUSE_PATTERNS = (_CLAUSE_MARKED, _CLAUSE_SUFFIXED, _CLAUSE_BARE)
_QUOTES = (("“", "”"), ('"', '"'), ("「", "」"), ("‘", "’"), ("'", "'"))


def normalise_spec(spec: str) -> str:
    """The canonical name of a standard: "TS 38.331", "38.331" and "3GPP TS 38.331" are all
    "3GPP TS 38.331" ("38.913" is a TR: 3GPP numbers x.8xx and x.9xx are reports); "rfc9000" is
    "RFC 9000"; anything else is returned with its spacing tidied."""
    text = " ".join(spec.split())
    match = _SPEC_3GPP.fullmatch(text)
    bare = re.fullmatch(r"(\d{2})\.(\d{3})", text)
    if match:
        return f"3GPP {match['kind'].upper()} {match['num']}"
    if bare:
        kind = "TR" if bare[2][0] in "89" else "TS"
        return f"3GPP {kind} {text}"
    rfc = re.fullmatch(r"RFC\s*(\d+)", text, re.I)
    if rfc:
        return f"RFC {int(rfc[1])}"
    return text


def _spec_key(spec: str) -> str:
    return normalise_spec(spec).casefold()


@dataclass(frozen=True, slots=True)
class Reference:
    """A clause reference read from a standard-text cell, and the text quoted after it."""

    spec: str | None
    clause: str | None
    version: str | None
    document_version_id: int | None
    quote: str


def parse_reference(text: str, *, anchored: bool = False) -> Reference:
    """Read "3GPP TS 38.331 V18.4.0 §5.3.5.1 [sepwatch #12]", "TS 38.331 §5.3.5.1 (v18.4.0)",
    "38.331 第5.3.5.1节", "RFC 9000 Section 4.2"… from the head of the first line (up to the first
    quotation mark); what follows the reference is the quoted text (outer quotes removed). With no
    reference, or with ``anchored`` and a reference not at the start of the cell, the whole text is
    the quote (cells of a sheet that keeps the clause in its own column)."""
    stripped = text.strip()
    lines = stripped.split("\n")
    first, rest = lines[0], lines[1:]
    opening = re.search(r"[“\"「‘]", first)
    blank = first[: opening.start()] if opening else first
    spans: list[tuple[int, int]] = []

    def take(pattern: re.Pattern[str], group: str | int = 0) -> str | None:
        nonlocal blank
        found = pattern.search(blank)
        if found is None:
            return None
        spans.append((found.start(), found.end()))
        blank = blank[: found.start()] + " " * (found.end() - found.start()) + blank[found.end() :]
        return found[group]

    version_id = take(_VERSION_ID, "id")
    version = take(_VERSION, "v")
    spec = next((normalise_spec(found) for pattern in _SPEC_PATTERNS if (found := take(pattern))), None)
    clause = next((found for pattern in _CLAUSE_PATTERNS if (found := take(pattern, "c"))), None)
    leading = len(first) - len(first.lstrip())
    if not spans or (anchored and min(start for start, _end in spans) > leading):
        return Reference(None, None, None, None, _unquote(stripped))
    tail = re.sub(r"^[\s:：,，;；\-–—)）\]】]+", "", first[max(end for _start, end in spans) :])
    quote = _unquote("\n".join([tail, *rest]).strip())
    return Reference(
        spec,
        clause,
        normalise_version(version) if version else None,
        int(version_id) if version_id else None,
        quote,
    )


def _unquote(text: str) -> str:
    for left, right in _QUOTES:
        if len(text) >= 2 and text.startswith(left) and text.endswith(right):
            return text[len(left) : -len(right)].strip()
    return text


def format_reference(row: EvidenceRow) -> str:
    """The first line of a standard-text cell: spec, version, clause and stored version id."""
    parts = [row.spec]
    if row.version:
        parts.append(f"V{row.version}")
    parts.append(f"§{row.clause}")
    if row.document_version_id is not None:
        parts.append(f"[sepwatch #{row.document_version_id}]")
    return " ".join(parts)


# ----------------------------------------------------------------------------------------------------
# B.2 model


def _rows_for(cm: ClaimMap, claim: Claim, feature: Feature, evidence: Evidence | None) -> list[EvidenceRow]:
    key = (cm.patent, claim.number, feature.id)
    if evidence is not None and key in evidence:
        return list(evidence[key])
    return [
        EvidenceRow(m.spec, m.clause, m.version, None, "", m.relation, m.mandatory, True, m.note)
        for m in feature.maps_to
    ]


def _feature_conclusion(rows: Sequence[EvidenceRow]) -> Conclusion:
    if any(r.corresponds is True for r in rows):
        corresponds: bool | None = True
    elif any(r.corresponds is None for r in rows):
        corresponds = None
    else:
        corresponds = False
    candidates = [r for r in rows if r.corresponds is not False]
    mandatory: bool | None = None
    if any(r.mandatory is True for r in candidates):
        mandatory = True
    elif any(r.mandatory is False for r in candidates):
        mandatory = False
    return Conclusion(corresponds, mandatory, _strongest(r.relation for r in candidates))


def _strongest(relations: Iterable[Relation | None]) -> Relation | None:
    ranks = sorted(_RANK[relation] for relation in relations if relation is not None)
    return RELATIONS[ranks[0]] if ranks else None


def _weakest(relations: Iterable[Relation | None]) -> Relation | None:
    """The weakest relation; None when one of them is unknown."""
    given = list(relations)
    ranks = sorted(_RANK[relation] for relation in given if relation is not None)
    return RELATIONS[ranks[-1]] if ranks and len(ranks) == len(given) else None


def _claim_conclusion(features: Sequence[Conclusion]) -> Conclusion:
    if not features or any(f.corresponds is False for f in features):
        return Conclusion(False, None, None)
    corresponds = True if all(f.corresponds is True for f in features) else None
    if any(f.mandatory is False for f in features):
        mandatory: bool | None = False
    elif all(f.mandatory is True for f in features):
        mandatory = True
    else:
        mandatory = None
    return Conclusion(corresponds, mandatory, _weakest(f.relation for f in features))


def _table_conclusion(claims: Sequence[B2Claim]) -> tuple[Conclusion, tuple[int, ...]]:
    yes = [c for c in claims if c.conclusion.corresponds is True]
    maybe = [c for c in claims if c.conclusion.corresponds is None]
    chosen = yes or maybe
    corresponds: bool | None = True if yes else (None if maybe else False)
    if not chosen:
        return Conclusion(False, None, None), ()
    mandatory: bool | None = None
    if any(c.conclusion.mandatory is True for c in chosen):
        mandatory = True
    elif all(c.conclusion.mandatory is False for c in chosen):
        mandatory = False
    relation = _strongest(c.conclusion.relation for c in chosen)
    return Conclusion(corresponds, mandatory, relation), tuple(c.claim.number for c in yes)


def _standards_of(cm: ClaimMap, evidence: Evidence | None) -> list[str]:
    found: dict[str, str] = {}
    for spec in cm.targets():
        found.setdefault(_spec_key(spec), spec)
    if evidence is not None:
        for claim in cm.claims:
            for feature in claim.features:
                for row in evidence.get((cm.patent, claim.number, feature.id), ()):
                    found.setdefault(_spec_key(row.spec), row.spec)
    return list(found.values())


def b2_tables(
    maps: Sequence[ClaimMap], evidence: Evidence | None = None, per: Per = "standard"
) -> list[B2Table]:
    """Table B.2 as data: one per patent × standard (the standards of the map, then every spec the
    mappings and the evidence cite), or with ``per="patent"`` one per patent over all its standards
    (for claims that read on several specs together, e.g. TS 38.331 with TS 38.213). ``evidence``
    keyed by (patent, claim, feature id) replaces the feature's ``maps_to`` rows; features without
    evidence fall back to their ``maps_to``."""
    tables: list[B2Table] = []
    for cm in maps:
        standards = _standards_of(cm, evidence)
        groups = [[spec] for spec in standards] if per == "standard" else [standards]
        for group in groups:
            tables.append(_b2_table(cm, evidence, tuple(group)))
    return tables


def _b2_table(cm: ClaimMap, evidence: Evidence | None, specs: tuple[str, ...]) -> B2Table:
    keys = {_spec_key(spec) for spec in specs}
    versions: dict[tuple[str, str], None] = {}
    claims: list[B2Claim] = []
    alternatives: list[tuple[str, tuple[str, ...], str | None]] = []
    unquoted: dict[str, None] = {}
    for claim in cm.claims:
        rows: list[B2Row] = []
        feature_conclusions: list[Conclusion] = []
        for feature in claim.features:
            cited = [r for r in _rows_for(cm, claim, feature, evidence) if _spec_key(r.spec) in keys]
            for row in cited:
                if row.version:
                    versions.setdefault((row.spec, row.version))
                if not row.text.strip() and row.corresponds is not False:
                    unquoted.setdefault(format_reference(row))
            rows.extend([B2Row(feature, row) for row in cited] or [B2Row(feature, None)])
            feature_conclusions.append(_feature_conclusion(cited))
            notes = "; ".join(r.note for r in cited if r.note) or None
            alternatives.extend((feature.id, group, notes) for group in feature.alternatives)
        claims.append(B2Claim(claim, tuple(rows), _claim_conclusion(feature_conclusions)))
    conclusion, corresponding = _table_conclusion(claims)
    return B2Table(
        cm.patent,
        cm.title,
        specs,
        tuple(versions),
        tuple(claims),
        conclusion,
        corresponding,
        tuple(alternatives),
        tuple(unquoted),
    )


# ----------------------------------------------------------------------------------------------------
# B.2 cells (shared by .xlsx and .docx)


def _feature_cell(feature: Feature) -> str:
    return f"[{feature.id}] {feature.text}"


def _standard_cell(row: EvidenceRow | None) -> str:
    if row is None:
        return ""
    reference = format_reference(row)
    return f"{reference}\n“{row.text.strip()}”" if row.text.strip() else reference


def _analysis_cell(row: EvidenceRow | None, feature: Feature, language: Language) -> str:
    lines: list[str] = []
    if row is None:
        lines.append(
            _inline(_CORRESPONDS_TEXT[False], language) + _sep(language) + _inline(_TEXT["no_text"], language)
        )
    else:
        tokens = [_inline(_CORRESPONDS_TEXT[row.corresponds], language)]
        if row.relation:
            tokens.append(_inline(_RELATION_TEXT[row.relation], language))
        if row.mandatory is not None:
            tokens.append(_inline(_MANDATORY_TEXT[row.mandatory], language))
        lines.append(_sep(language).join(tokens))
        if row.note:
            lines.append(row.note)
    for group in feature.alternatives:
        lines.append(f"{_inline(_TEXT['alternatives'], language)}: {' | '.join(group)}")
    return "\n".join(lines)


def _conclusion_text(conclusion: Conclusion, language: Language) -> str:
    tokens = [_inline(_CORRESPONDS_TEXT[conclusion.corresponds], language)]
    if conclusion.mandatory is not None:
        tokens.append(_inline(_MANDATORY_TEXT[conclusion.mandatory], language))
    if conclusion.relation is not None:
        tokens.append(_inline(_RELATION_TEXT[conclusion.relation], language))
    return _sep(language).join(tokens)


def _table_summary(table: B2Table, language: Language) -> list[tuple[str, str]]:
    """The per-table conclusion rows: (label, value)."""
    c = table.conclusion
    unknown = _CORRESPONDS_TEXT[None]
    zh, en = _CORRESPONDS_TEXT[c.corresponds]
    if table.corresponding_claims:
        zh += f"（权利要求{'、'.join(str(n) for n in table.corresponding_claims)}）"
        en += f" (claims {', '.join(str(n) for n in table.corresponding_claims)})"
    corresponds = {"zh": zh, "en": en, "zh+en": f"{zh}\n{en}"}[language]
    mandatory = _inline(_MANDATORY_TEXT[c.mandatory] if c.mandatory is not None else unknown, language)
    relation = _inline(_RELATION_TEXT[c.relation] if c.relation else unknown, language)
    notes: list[str] = []
    for feature_id, group, said in table.alternatives:
        notes.append(
            f"{feature_id} {_inline(_TEXT['alternatives'], language)}: {' | '.join(group)} — "
            f"{_inline(_TEXT['standard_corresponds_to'], language)}: {said or _inline(unknown, language)}"
        )
    if table.unquoted:
        notes.append(f"{_inline(_TEXT['unquoted'], language)}: {', '.join(table.unquoted)}")
    else:
        notes.append(_inline(_TEXT["all_quoted"], language))
    return [
        (_heading("corresponds_label", language), corresponds),
        (_heading("mandatory_label", language), mandatory),
        (_heading("relation_label", language), relation),
        (_heading("notes_label", language), "\n".join(notes)),
    ]


def _claim_heading(claim: Claim, language: Language) -> str:
    if language == "zh+en":
        label = f"{_TEXT['claim_n'][0].format(n=claim.number)} / {_TEXT['claim_n'][1].format(n=claim.number)}"
    else:
        label = _heading("claim_n", language, n=claim.number)
    return f"{label}\n{claim.text}"


def _patent_line(table: B2Table) -> str:
    return f"{table.patent} {table.title}" if table.title else table.patent


def _standard_line(table: B2Table) -> str:
    parts = []
    for spec in table.specs:
        cited = [
            f"V{version}"
            for cited_spec, version in table.versions
            if _spec_key(cited_spec) == _spec_key(spec)
        ]
        parts.append(f"{spec} ({', '.join(cited)})" if cited else spec)
    return "; ".join(parts)


# ----------------------------------------------------------------------------------------------------
# .xlsx export

_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTRE = Alignment(wrap_text=True, vertical="center", horizontal="center")
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_CONCLUSION_FILL = PatternFill("solid", fgColor="F2F2F2")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _put(
    ws: Worksheet, row: int, column: int, value: Any, *, bold: bool = False, fill: PatternFill | None = None
) -> Cell:
    cell: Cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        cell.value = value
        if value.startswith("="):
            cell.data_type = "s"  # text, never a formula
    else:
        cell.value = value
    if isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    cell.alignment = _WRAP
    if bold:
        cell.font = _BOLD
    if fill is not None:
        cell.fill = fill
    return cell


def _merge(ws: Worksheet, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
    if (first_row, first_col) != (last_row, last_col):
        ws.merge_cells(start_row=first_row, start_column=first_col, end_row=last_row, end_column=last_col)


def _sheet_title(base: str, taken: set[str]) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", " ", base).strip("' ")[:31] or "Sheet"
    title, n = clean, 2
    while title.casefold() in taken:
        suffix = f" ({n})"
        title, n = clean[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.casefold())
    return title


def _write_b2_sheet(ws: Worksheet, table: B2Table, language: Language) -> None:
    for letter, width in (("A", 48), ("B", 64), ("C", 44)):
        ws.column_dimensions[letter].width = width
    _put(ws, 1, 1, _heading("b2_title", language), bold=True).alignment = _CENTRE
    _merge(ws, 1, 1, 1, 3)
    _put(ws, 2, 1, _heading("patent", language), bold=True)
    _put(ws, 2, 2, _patent_line(table))
    _merge(ws, 2, 2, 2, 3)
    _put(ws, 3, 1, _heading("standard", language), bold=True)
    _put(ws, 3, 2, _standard_line(table))
    _merge(ws, 3, 2, 3, 3)
    for column, key in enumerate(("claim_col", "standard_col", "analysis_col"), start=1):
        _put(ws, 4, column, _heading(key, language), bold=True, fill=_HEADER_FILL).alignment = _CENTRE
    ws.freeze_panes = "A5"
    row = 5
    for b2_claim in table.claims:
        _put(ws, row, 1, _claim_heading(b2_claim.claim, language), bold=True)
        _merge(ws, row, 1, row, 3)
        row += 1
        index = 0
        rows = b2_claim.rows
        while index < len(rows):
            feature = rows[index].feature
            first = row
            while index < len(rows) and rows[index].feature is feature:
                _put(ws, row, 2, _standard_cell(rows[index].evidence))
                _put(ws, row, 3, _analysis_cell(rows[index].evidence, feature, language))
                row += 1
                index += 1
            _put(ws, first, 1, _feature_cell(feature))
            _merge(ws, first, 1, row - 1, 1)
        _put(
            ws,
            row,
            1,
            _heading("claim_conclusion", language, n=b2_claim.claim.number),
            bold=True,
            fill=_CONCLUSION_FILL,
        )
        _put(ws, row, 2, _conclusion_text(b2_claim.conclusion, language), fill=_CONCLUSION_FILL)
        _merge(ws, row, 2, row, 3)
        row += 1
    _put(ws, row, 1, _heading("conclusion", language), bold=True, fill=_HEADER_FILL)
    _merge(ws, row, 1, row, 3)
    row += 1
    for label, value in _table_summary(table, language):
        _put(ws, row, 1, label, bold=True, fill=_CONCLUSION_FILL)
        _put(ws, row, 2, value, fill=_CONCLUSION_FILL)
        _merge(ws, row, 2, row, 3)
        row += 1


def _b1_rows(
    maps: Sequence[ClaimMap], b1_info: Mapping[str, Mapping[str, Any]] | None
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for cm in maps:
        info = dict((b1_info or {}).get(cm.patent, {}))
        by_standard = {_spec_key(k): v for k, v in dict(info.pop("by_standard", None) or {}).items()}
        versions: dict[str, dict[str, None]] = {}
        for claim in cm.claims:
            for feature in claim.features:
                for mapping in feature.maps_to:
                    if mapping.version:
                        versions.setdefault(_spec_key(mapping.spec), {}).setdefault(mapping.version)
        base: dict[str, Any] = {"patent": cm.patent, "patent_title": cm.title, "family": list(cm.family)}
        base.update({k: v for k, v in info.items() if v not in (None, "", [], ())})
        standards: list[str | None] = [*cm.targets()] or [None]
        for standard in standards:
            row = dict(base)
            if standard is not None:
                key = _spec_key(standard)
                cited = ", ".join(f"V{v}" for v in versions.get(key, {}))
                row["standard"] = (
                    info.get("standard")
                    if len(standards) == 1 and info.get("standard")
                    else (f"{standard} {cited}".strip())
                )
                row.update({k: v for k, v in dict(by_standard.get(key, {})).items() if v not in (None, "")})
            rows.append(row)
    return rows


def _b1_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dt.datetime):
        return value.date()
    if value is None or isinstance(value, str | int | float | dt.date):
        return value
    return str(value)


def _write_b1_sheet(ws: Worksheet, rows: list[dict[str, Any]], language: Language) -> None:
    fields = B1_FIELDS
    patent_count = sum(1 for f in fields if f.side == "patent")
    last = get_column_letter(len(fields))
    _put(ws, 1, 1, _heading("b1_title", language), bold=True).alignment = _CENTRE
    ws.merge_cells(f"A1:{last}1")
    _put(ws, 2, 1, _heading("patent_group", language), bold=True, fill=_HEADER_FILL).alignment = _CENTRE
    _merge(ws, 2, 1, 2, patent_count)
    _put(
        ws, 2, patent_count + 1, _heading("standard_group", language), bold=True, fill=_HEADER_FILL
    ).alignment = _CENTRE
    _merge(ws, 2, patent_count + 1, 2, len(fields))
    for column, spec in enumerate(fields, start=1):
        label = {"zh": spec.zh, "en": spec.en, "zh+en": f"{spec.zh}\n{spec.en}"}[language]
        _put(ws, 3, column, label, bold=True, fill=_HEADER_FILL).alignment = _CENTRE
        ws.column_dimensions[get_column_letter(column)].width = 24 if spec.kind != "date" else 14
    ws.freeze_panes = "B4"
    for offset, record in enumerate(rows):
        for column, spec in enumerate(fields, start=1):
            _put(ws, 4 + offset, column, _b1_value(record.get(spec.key)))


def _atomic_write(path: Path, save: Callable[[str], object]) -> None:
    """Write next to ``path`` and rename, so a failed export never leaves half a file behind."""
    handle, temp = tempfile.mkstemp(prefix=".sepwatch-", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    try:
        save(temp)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _save(wb: Workbook, path: Path) -> None:
    _atomic_write(path, wb.save)


def _new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def export_b1_xlsx(
    maps: Sequence[ClaimMap],
    b1_info: Mapping[str, Mapping[str, Any]] | None,
    path: Path,
    language: Language = "zh+en",
) -> None:
    """Table B.1, one row per patent × standard, into a new workbook at ``path``. ``b1_info`` maps a
    patent to values of :data:`B1_FIELDS` (dates as ``datetime.date``, lists for inventors and
    family); standard-side values for one standard go under ``by_standard[spec]``. Title, family
    and the standards with their cited versions come from the claim map when not given."""
    wb = _new_workbook()
    _write_b1_sheet(wb.create_sheet("B.1"), _b1_rows(maps, b1_info), language)
    _save(wb, path)


def export_b2_xlsx(
    maps: Sequence[ClaimMap],
    evidence: Evidence | None,
    path: Path,
    language: Language = "zh+en",
    per: Per = "standard",
) -> None:
    """Table B.2, one sheet per patent × standard (or per patent), into a new workbook at ``path``."""
    wb = _new_workbook()
    _write_b2_sheets(wb, b2_tables(maps, evidence, per), language)
    _save(wb, path)


def export_tables_xlsx(
    maps: Sequence[ClaimMap],
    b1_info: Mapping[str, Mapping[str, Any]] | None,
    evidence: Evidence | None,
    path: Path,
    language: Language = "zh+en",
    per: Per = "standard",
) -> None:
    """B.1 and every B.2 in one workbook (the way IP departments file them together)."""
    wb = _new_workbook()
    _write_b1_sheet(wb.create_sheet("B.1"), _b1_rows(maps, b1_info), language)
    _write_b2_sheets(wb, b2_tables(maps, evidence, per), language, taken={"b.1"})
    _save(wb, path)


def _write_b2_sheets(
    wb: Workbook, tables: Sequence[B2Table], language: Language, taken: set[str] | None = None
) -> None:
    names = set() if taken is None else taken
    for table in tables:
        short = re.sub(r"^3GPP\s+", "", table.specs[0]) if table.specs else ""
        if len(table.specs) > 1:
            short += f" +{len(table.specs) - 1}"
        ws = wb.create_sheet(_sheet_title(f"B.2 {table.patent} {short}", names))
        _write_b2_sheet(ws, table, language)
    if not tables:
        wb.create_sheet("B.2")


# ----------------------------------------------------------------------------------------------------
# .docx export


def export_b2_docx(
    maps: Sequence[ClaimMap],
    evidence: Evidence | None,
    path: Path,
    language: Language = "zh",
    per: Per = "standard",
) -> None:
    """Table B.2 as Word tables, one per patent × standard (or per patent), each after a heading."""
    try:
        import docx
        from docx.enum.section import WD_ORIENT
        from docx.enum.text import WD_BREAK
        from docx.oxml.ns import qn
        from docx.shared import Cm, Pt
    except ImportError as exc:  # pragma: no cover - python-docx is a runtime dependency
        raise RuntimeError("exporting .docx needs python-docx (pip install python-docx)") from exc

    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    normal = document.styles["Normal"]
    normal.font.size = Pt(10)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
    tables = b2_tables(maps, evidence, per)
    widths = (Cm(8.5), Cm(10.5), Cm(6.5))

    def fill(cell: Any, text: str, bold: bool = False) -> None:
        cell.text = ""
        lines = _ILLEGAL.sub("", text).split("\n")
        paragraph = cell.paragraphs[0]
        for index, line in enumerate(lines):
            run = paragraph.add_run(line)
            run.bold = bold
            if index < len(lines) - 1:
                run.add_break(WD_BREAK.LINE)

    for number, table in enumerate(tables):
        if number:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_heading(_heading("b2_title", language).replace("\n", " / "), level=2)
        document.add_paragraph(
            f"{_heading('patent', language).replace(chr(10), ' / ')}: {_patent_line(table)}"
        )
        document.add_paragraph(
            f"{_heading('standard', language).replace(chr(10), ' / ')}: {_standard_line(table)}"
        )
        grid = document.add_table(rows=1, cols=3)
        grid.style = "Table Grid"
        for column, key in enumerate(("claim_col", "standard_col", "analysis_col")):
            fill(grid.rows[0].cells[column], _heading(key, language), bold=True)
        for b2_claim in table.claims:
            cells = grid.add_row().cells
            merged = cells[0].merge(cells[2])
            fill(merged, _claim_heading(b2_claim.claim, language), bold=True)
            index = 0
            rows = b2_claim.rows
            while index < len(rows):
                feature = rows[index].feature
                first_cell = None
                while index < len(rows) and rows[index].feature is feature:
                    cells = grid.add_row().cells
                    fill(cells[1], _standard_cell(rows[index].evidence))
                    fill(cells[2], _analysis_cell(rows[index].evidence, feature, language))
                    first_cell = cells[0] if first_cell is None else first_cell.merge(cells[0])
                    index += 1
                assert first_cell is not None
                fill(first_cell, _feature_cell(feature))
            cells = grid.add_row().cells
            fill(cells[0], _heading("claim_conclusion", language, n=b2_claim.claim.number), bold=True)
            fill(cells[1].merge(cells[2]), _conclusion_text(b2_claim.conclusion, language))
        cells = grid.add_row().cells
        fill(cells[0].merge(cells[2]), _heading("conclusion", language), bold=True)
        for label, value in _table_summary(table, language):
            cells = grid.add_row().cells
            fill(cells[0], label, bold=True)
            fill(cells[1].merge(cells[2]), value)
        for row in grid.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = width
    if not tables:
        document.add_paragraph(_heading("b2_title", language).replace("\n", " / "))
    _atomic_write(path, document.save)


# ----------------------------------------------------------------------------------------------------
# Import: reading the workbook


def _check_xlsx(data: bytes, label: str) -> None:
    if not data:
        raise RejectedInput(f"{label}: empty file")
    if len(data) > MAX_XLSX_BYTES:
        raise RejectedInput(f"{label}: too large for a table: {len(data)} bytes (limit {MAX_XLSX_BYTES})")
    if data.startswith(OLE_MAGIC):
        raise RejectedInput(
            f"{label}: a legacy .xls workbook or a password-protected file: save it as .xlsx without a password"
        )
    if not data.startswith(b"PK"):
        raise RejectedInput(f"{label}: not an .xlsx workbook (no zip signature)")
    limits = ArchiveLimits(max_total_bytes=MAX_XLSX_INFLATED, max_member_bytes=MAX_XLSX_INFLATED)
    with check_container(data, label, limits) as container:
        if "xl/workbook.xml" not in container:
            raise RejectedInput(f"{label}: a zip but not an .xlsx workbook (no xl/workbook.xml)")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        total = sum(info.file_size for info in archive.infolist())
    if total > MAX_XLSX_INFLATED:
        raise RejectedInput(
            f"{label}: zip bomb suspected: parts expand to {total} bytes (limit {MAX_XLSX_INFLATED})"
        )


_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MERGE = re.compile(
    rb"<(?:\w+:)?mergeCell\b[^>]*?\bref\s*=\s*[\"']([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?[\"']"
)
_Range = tuple[int, int, int, int]


def _column_index(letters: bytes) -> int:
    index = 0
    for char in letters.decode("ascii"):
        index = index * 26 + ord(char) - 64
    return index


def _merged_ranges(data: bytes, label: str) -> dict[str, list[_Range]]:
    """Merged ranges per sheet title, (first row, first column, last row, last column), 1-based."""
    limits = ArchiveLimits(max_total_bytes=MAX_XLSX_INFLATED, max_member_bytes=MAX_XLSX_INFLATED)
    out: dict[str, list[_Range]] = {}
    with check_container(data, label, limits) as container:
        workbook = SafeET.fromstring(container.read("xl/workbook.xml"))
        rels_data = container.get("xl/_rels/workbook.xml.rels")
        targets: dict[str, str] = {}
        if rels_data is not None:
            for rel in SafeET.fromstring(rels_data).iter(f"{_NS_PKG_REL}Relationship"):
                targets[rel.get("Id", "")] = rel.get("Target", "")
        for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
            target = targets.get(sheet.get(f"{_NS_REL}id", ""), "")
            if not target:
                continue
            part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            content = container.get(part)
            if content is None:
                continue
            ranges: list[_Range] = []
            for match in _MERGE.finditer(content):
                c1, r1 = _column_index(match[1]), int(match[2])
                c2, r2 = (_column_index(match[3]), int(match[4])) if match[3] else (c1, r1)
                ranges.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
            out[sheet.get("name", "")] = ranges
    return out


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").strip()


@dataclass
class _Sheet:
    title: str
    rows: list[list[Any]]  # raw values, merged ranges filled from their first cell
    truncated: bool

    def text(self, row: int, column: int) -> str:
        values = self.rows[row]
        return _cell_text(values[column]) if column < len(values) else ""


def _read_sheets(data: bytes, label: str) -> tuple[list[_Sheet], dt.datetime]:
    """The sheets, and the workbook's date epoch (1900, or 1904 for old Mac workbooks)."""
    try:
        merges = _merged_ranges(data, label)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl and its XML parsers raise a wide range of errors on bad input
        raise _damaged(label, exc) from None
    sheets: list[_Sheet] = []
    epoch = workbook.epoch if isinstance(getattr(workbook, "epoch", None), dt.datetime) else _EXCEL_EPOCH
    try:
        for ws in workbook.worksheets:
            rows, truncated = _sheet_values(ws)
            _fill_merged(rows, merges.get(ws.title, []), label)
            sheets.append(_Sheet(ws.title, rows, truncated))
    except RejectedInput:
        raise
    except Exception as exc:  # damaged sheet XML surfaces while iterating
        raise _damaged(label, exc) from None
    finally:
        workbook.close()
    return sheets, epoch


def _fill_merged(rows: list[list[Any]], ranges: Sequence[_Range], label: str) -> None:
    """Give every cell of a merged range the value of its first cell, as the user sees it."""
    budget = MAX_ROWS * MAX_COLUMNS
    for r1, c1, r2, c2 in ranges:
        if r1 > len(rows) or c1 > MAX_COLUMNS:
            continue
        last_row, last_col = min(r2, len(rows)), min(c2, MAX_COLUMNS)
        budget -= (last_row - r1 + 1) * (last_col - c1 + 1)
        if budget < 0:
            raise RejectedInput(f"{label}: too many merged cells to be a table")
        top = rows[r1 - 1][c1 - 1] if c1 - 1 < len(rows[r1 - 1]) else None
        for line in rows[r1 - 1 : last_row]:
            line.extend([None] * (last_col - len(line)))
            line[c1 - 1 : last_col] = [top] * (last_col - c1 + 1)


def _sheet_values(ws: Any) -> tuple[list[list[Any]], bool]:
    ws.reset_dimensions()  # writers often record a wrong <dimension>; read what is there
    rows: list[list[Any]] = []
    empty = 0
    for values in ws.iter_rows(values_only=True, max_col=MAX_COLUMNS):
        if len(rows) >= MAX_ROWS:
            return rows, True
        line = list(values)
        if any(v is not None and str(v).strip() for v in line):
            empty = 0
        else:
            empty += 1
            if empty > _MAX_EMPTY_RUN:
                break
        rows.append(line)
    while rows and not any(v is not None and str(v).strip() for v in rows[-1]):
        rows.pop()
    return rows, False


def _damaged(label: str, exc: BaseException) -> RejectedInput:
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    if isinstance(exc, DefusedXmlException):
        return RejectedInput(f"{label}: unsafe XML inside the spreadsheet refused ({type(exc).__name__})")
    text = " ".join(str(exc).split())[:200]
    return RejectedInput(f"{label}: damaged spreadsheet ({type(exc).__name__}{': ' + text if text else ''})")


# ----------------------------------------------------------------------------------------------------
# Import: headers and labels


def _norm(text: str) -> str:
    return re.sub(r"[\s()（）/／\\、:：.。,，_\-–—\[\]【】*#&+]+", "", text).casefold()


_B2_ROLES: dict[str, tuple[str, ...]] = {
    role: tuple(aliases.split())
    for role, aliases in {
        "claim": "权利要求 权利要求书 技术特征 权利要求技术特征 权利要求及技术特征 权利要求内容 claim claims claimfeature "
        "claimfeatures claimelement claimelements claimtext claimlanguage",
        "feature_id": "特征 特征编号 特征标记 特征序号 标记 feature featureid featureno mark elementid",
        "claim_no": "权利要求编号 权利要求号 权项 claimno claimnumber",
        "standard": "标准文本 标准内容 对应标准文本 对应的标准文本 标准条款内容 标准原文 standardtext standard spectext "
        "specificationtext correspondingstandardtext",
        "clause": "章节 章节号 条款 条款号 标准章节 clause section clauseno sectionno",
        "spec": "标准号 标准编号 规范号 specno spec standardno standardnumber specification",
        "version": "版本 版本号 标准版本 version",
        "analysis": "分析结论 分析与结论 分析及结论 分析 结论 对比分析 对应分析 分析说明 分析意见 analysis "
        "analysisandconclusion conclusion comments comment remarks",
        "relation": "对应方式 对应类型 对应关系 relation correspondencetype correspondence",
        "mandatory": "必选可选 是否必选 必选或可选 强制可选 mandatoryoptional mandatory optionalmandatory",
    }.items()
}


def _best_role(text: str, roles: Mapping[str, Sequence[str]]) -> str | None:
    norm = _norm(text)
    if not norm:
        return None
    best: tuple[int, str] | None = None
    for role, aliases in roles.items():
        for alias in aliases:
            alias_norm = _norm(alias)
            if norm == alias_norm:
                score = 1000 + len(alias_norm)
            elif alias_norm in norm and len(alias_norm) >= 2:
                score = len(alias_norm)
            else:
                continue
            if best is None or score > best[0]:
                best = (score, role)
    return best[1] if best else None


def _b2_header(sheet: _Sheet) -> tuple[int, dict[str, int]] | None:
    for index in range(min(len(sheet.rows), 40)):
        roles: dict[str, int] = {}
        for column in range(len(sheet.rows[index])):
            text = sheet.text(index, column)
            if not text or len(text) > 80:
                continue
            role = _best_role(text, _B2_ROLES)
            if column > 0 and text == sheet.text(index, column - 1):
                continue  # the rest of a merged header cell
            if role == "claim" and "claim" in roles and "claim_text" not in roles:
                # 权利要求 | 技术特征 | …: the first holds the whole claim, the second its features
                roles["claim_text"] = roles["claim"]
                roles["claim"] = column
            elif role and role not in roles:
                roles[role] = column
        if "claim" in roles and ("standard" in roles or "clause" in roles) and len(set(roles.values())) >= 2:
            return index, roles
    return None


def _label_split(text: str) -> tuple[str, str, str]:
    """Label, colon and value of a cell such as "申请号：2021…"."""
    match = re.search(r"[:：]", text)
    if match is None:
        return text, "", ""
    return text[: match.start()], match.group(0), text[match.end() :]


_B1_ROLES: dict[str, tuple[str, ...]] = {f.key: (f.zh, f.en, *f.aliases) for f in B1_FIELDS}


def _b1_label(text: str) -> tuple[str, str] | None:
    """(field key, inline value) when the cell is a B.1 label ("申请号", "申请号：2021…")."""
    if not text or len(text) > 200:
        return None
    head, sep, tail = _label_split(text)
    if len(head) > 40:
        return None
    role = _best_role(head, _B1_ROLES)
    if role is None:
        return None
    exact = any(_norm(head) == _norm(alias) for alias in _B1_ROLES[role])
    if not exact and len(_norm(head)) > 2 * max(len(_norm(a)) for a in _B1_ROLES[role]):
        return None
    return role, tail.strip() if sep else ""


# ----------------------------------------------------------------------------------------------------
# Import: values


_DATE_TEXT = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_LIST_SPLIT = re.compile(r"\s*(?:[;；,，、\n]|\s\|\s)\s*")


def _date(value: Any, epoch: dt.datetime) -> dt.date | str | None:
    """A date, or the text as written when it is not one ("待定", "2024Q3")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        compact = _COMPACT_DATE.fullmatch(str(int(value))) if float(value).is_integer() else None
        try:
            if compact:
                return dt.date(int(compact[1]), int(compact[2]), int(compact[3]))
            converted = from_excel(float(value), epoch)
        except (ValueError, OverflowError, TypeError):
            return _cell_text(value)
        return converted.date() if isinstance(converted, dt.datetime) else _cell_text(value)
    text = _cell_text(value)
    match = _DATE_TEXT.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return text
    return text


def _b1_typed(key: str, value: Any, epoch: dt.datetime) -> Any:
    spec = _B1_BY_KEY[key]
    if spec.kind == "date":
        return _date(value, epoch)
    text = _cell_text(value)
    if not text:
        return None
    if spec.kind == "list":
        return [item for item in _LIST_SPLIT.split(text) if item]
    return text


_REL_WORDS: tuple[tuple[Relation, re.Pattern[str]], ...] = (
    (
        "interpretation",
        re.compile(r"解释后对应|解释后|经解释|\bafter\s+interpretation\b|\binterpret(?:ation|ed)\b", re.I),
    ),
    ("indirect", re.compile(r"间接对应|间接|推导|\bindirect(?:ly)?\b|\bderived\b|\binferred\b", re.I)),
    ("direct", re.compile(r"直接对应|直接|\bdirect(?:ly)?\b", re.I)),
)
_OPTIONAL_WORDS = re.compile(r"非必选|非强制|可选|\boptional(?:ly)?\b", re.I)
_MANDATORY_WORDS = re.compile(r"必选|强制|\bmandatory\b", re.I)
_NOT_CORRESPONDING = re.compile(
    r"不对应|未对应|无对应|不相对应|\bdoes\s+not\s+correspond\b|\bnot\s+correspond(?:ing)?\b|\bno\s+corresponding\b",
    re.I,
)
_TO_CONFIRM = re.compile(r"待确认|\bto\s+be\s+confirmed\b", re.I)
_CORRESPONDING = re.compile(r"对应|\bcorresponds?\b", re.I)
_STRUCTURED_JUNK = re.compile(r"[\s；;,，/()（）]+")
_ALTERNATIVES_LINE = re.compile(r"^\s*(?:择一特征|alternatives)\b", re.I)
_NO_TEXT_WORDS = re.compile(r"未找到对应的标准文本|\bno\s+corresponding\s+standard\s+text\s+found\b", re.I)


@dataclass(frozen=True, slots=True)
class _Analysis:
    relation: Relation | None
    mandatory: bool | None
    corresponds: bool | None
    note: str | None


def _words(text: str) -> tuple[Relation | None, bool | None, bool | None]:
    relation = next((rel for rel, pattern in _REL_WORDS if pattern.search(text)), None)
    mandatory = False if _OPTIONAL_WORDS.search(text) else (True if _MANDATORY_WORDS.search(text) else None)
    if _NOT_CORRESPONDING.search(text):
        corresponds: bool | None = False
    elif _TO_CONFIRM.search(text):
        corresponds = None
    elif _CORRESPONDING.search(text) or relation is not None:
        corresponds = True
    else:
        corresponds = None
    return relation, mandatory, corresponds


def _is_structured(line: str) -> bool:
    rest = line
    for pattern in (
        _NO_TEXT_WORDS,
        *(p for _r, p in _REL_WORDS),
        _OPTIONAL_WORDS,
        _MANDATORY_WORDS,
        _NOT_CORRESPONDING,
        _TO_CONFIRM,
        _CORRESPONDING,
    ):
        rest = pattern.sub(" ", rest)
    return bool(line.strip()) and not _STRUCTURED_JUNK.sub("", rest)


def _parse_analysis(text: str) -> _Analysis:
    lines = [line for line in text.split("\n") if not _ALTERNATIVES_LINE.match(line)]
    if lines and _is_structured(lines[0]):
        relation, mandatory, corresponds = _words(lines[0])
        note = "\n".join(lines[1:]).strip() or None
    else:
        body = "\n".join(lines).strip()
        relation, mandatory, corresponds = _words(body)
        note = body or None
    return _Analysis(relation, mandatory, corresponds, note)


_PATENT_NUMBER = re.compile(r"\b(?:CN|EP|US|WO|JP|KR|DE|GB|FR|TW|IN|ZL)\s?\d[\d.,/]*\d(?:\s?[A-Z]\d?)?\b")
_CLAIM_HEADER = re.compile(
    r"^\s*(?:权利要求|權利要求|claim)\s*(?P<n>\d{1,3})(?:\s*[/／]\s*claim\s*\d{1,3})?\s*(?:[:：.、]\s*|\n|$)",
    re.I,
)
_CLAIM_TEXT_START = re.compile(r"^\s*(?P<n>\d{1,3})\s*[.、．]\s*\S")
_CONCLUSION_LABEL = re.compile(
    r"^\s*(?:(?:权利要求|claim)\s*\d{1,3}\s*(?:的)?\s*(?:结论|conclusion)|结论|总结|conclusions?\b|说明|备注|notes?\b|"
    r"对应\s*/\s*不对应|必选\s*/\s*可选|对应方式|corresponds\s*/|mandatory\s*/|direct\s*/|是否对应|是否必选)",
    re.I,
)
_MARKS = (
    re.compile(r"^\s*[\[【［]\s*(?P<m>[0-9A-Za-z][0-9A-Za-z.\-]{0,9})\s*[\]】］]\s*"),
    re.compile(r"^\s*特征\s*(?P<m>[0-9A-Za-z]{1,4})\s*[:：、.]?\s*"),
    re.compile(r"^\s*(?P<m>\d{1,3}[A-Za-z]{1,2}(?:\.\d{1,2})?)\s*[:：.、)）]\s*"),
    re.compile(r"^\s*[(（]\s*(?P<m>[a-zA-Z]|\d{1,2})\s*[)）]\s*"),
    re.compile(r"^\s*(?P<m>[a-z])\s*(?:[)）]|\.(?=\s|[\u4e00-\u9fff]))\s*"),
    re.compile(r"^\s*(?P<m>[A-Z])\s*[:：、]\s*"),
    re.compile(r"^\s*(?P<m>[A-Z])\s+(?=[\u4e00-\u9fff])"),  # "A 接收…" (never "A method…")
)


def _mark(text: str) -> tuple[str | None, str]:
    for pattern in _MARKS:
        match = pattern.match(text)
        if match:
            return match["m"], text[match.end() :].strip()
    return None, text.strip()


def _feature_id(mark: str, claim: int | None) -> tuple[str | None, int | None]:
    """The feature id and claim number a mark stands for ("1a" → 1A of claim 1; "b" → 2B in claim 2)."""
    full = re.fullmatch(r"(\d{1,3})([A-Za-z]{1,2}(?:\.\d{1,2})?)", mark)
    if full:
        return f"{int(full[1])}{full[2].upper()}", int(full[1])
    if claim is None:
        return None, None
    if re.fullmatch(r"[A-Za-z]", mark):
        return f"{claim}{mark.upper()}", claim
    if re.fullmatch(r"\d{1,2}", mark) and 1 <= int(mark) <= 26:
        return auto_feature_id(claim, int(mark) - 1), claim
    return f"{claim}{mark.upper()}" if FEATURE_ID_PATTERN.match(f"{claim}{mark}") else None, claim


# ----------------------------------------------------------------------------------------------------
# Import: building


@dataclass
class _FeatureDraft:
    id: str
    text: str
    maps_to: list[MapsTo] = field(default_factory=list)


@dataclass
class _ClaimDraft:
    number: int
    text: str | None = None
    features: dict[str, _FeatureDraft] = field(default_factory=dict)


@dataclass
class _PatentDraft:
    patent: str
    title: str | None = None
    standards: list[str] = field(default_factory=list)
    claims: dict[int, _ClaimDraft] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    """Where each feature was first read ("sheet 'B.2' row 7"), for messages."""


@dataclass(frozen=True, slots=True)
class _B2Line:
    """One row of a B.2 sheet, its cells by role ("" when the sheet has no such column)."""

    row: int
    cells: Mapping[str, str]
    whole_row: bool  # one value across the row: a merged heading

    def get(self, role: str) -> str:
        return self.cells.get(role, "")


@dataclass
class _B2State:
    draft: _PatentDraft
    default_spec: str | None
    default_version: str | None
    claim: _ClaimDraft | None = None
    feature: _FeatureDraft | None = None
    feature_cell: str = ""  # the claim cell the current feature was read from
    claim_text_cell: str = ""  # the whole-claim cell, in sheets that give the claim its own column
    read: int = 0  # claim headings and feature rows understood


class _Importer:
    def __init__(self, label: str, epoch: dt.datetime) -> None:
        self.label = label
        self.result = TablesImport()
        self.patents: dict[str, _PatentDraft] = {}
        self.epoch = epoch

    def problem(self, sheet: _Sheet, row: int | None, message: str) -> None:
        where = f"sheet '{sheet.title}'" + (f" row {row + 1}" if row is not None else "")
        self.result.problems.append(f"{where}: {message}")

    # B.1 ---------------------------------------------------------------------------------------

    def read_b1(self, sheet: _Sheet) -> bool:
        """A B.1 sheet laid out as a list (a header row, one row per patent × standard) or as a
        form (label cells with their values to the right, or "申请号：…" in one cell)."""
        header = self._b1_header(sheet)
        if header is not None:
            index, columns = header
            for row in range(index + 1, len(sheet.rows)):
                values = sheet.rows[row]
                listed = {
                    key: _b1_typed(key, values[col] if col < len(values) else None, self.epoch)
                    for key, col in columns.items()
                }
                listed = {k: v for k, v in listed.items() if v not in (None, "", [])}
                if listed:
                    self._add_b1(sheet, row, listed)
            return True
        form: dict[str, Any] = {}
        first_row: int | None = None
        for row in range(len(sheet.rows)):
            for key, value in self._form_pairs(sheet, row):
                typed = _b1_typed(key, value, self.epoch)
                if typed not in (None, "", []) and key not in form:
                    form[key] = typed
                    first_row = row if first_row is None else first_row
        if len(form) >= 3:
            self._add_b1(sheet, first_row or 0, form)
            return True
        return False

    @staticmethod
    def _form_pairs(sheet: _Sheet, row: int) -> list[tuple[str, Any]]:
        line = sheet.rows[row]
        pairs: list[tuple[str, Any]] = []
        column = 0
        while column < len(line):
            text = sheet.text(row, column)
            label = _b1_label(text)
            if label is None:
                column += 1
                continue
            key, inline = label
            if inline:
                pairs.append((key, inline))
                column += 1
                continue
            column += 1
            while column < len(line) and sheet.text(row, column) == text:
                column += 1  # the rest of a merged label cell
            if column < len(line) and sheet.text(row, column) and _b1_label(sheet.text(row, column)) is None:
                pairs.append((key, line[column]))
                value_text = sheet.text(row, column)
                while column < len(line) and sheet.text(row, column) == value_text:
                    column += 1
        return pairs

    @staticmethod
    def _b1_header(sheet: _Sheet) -> tuple[int, dict[str, int]] | None:
        for index in range(min(len(sheet.rows), 40)):
            columns: dict[str, int] = {}
            for column in range(len(sheet.rows[index])):
                label = _b1_label(sheet.text(index, column))
                if label and not label[1] and label[0] not in columns:
                    columns[label[0]] = column
            if len(columns) >= 3 and index + 1 < len(sheet.rows):
                below = [sheet.text(index + 1, c) for c in columns.values()]
                if sum(1 for text in below if text and _b1_label(text) is None) >= 2:
                    return index, columns
        return None

    def _add_b1(self, sheet: _Sheet, row: int, record: dict[str, Any]) -> None:
        number = next((str(record[k]) for k in _PATENT_KEYS if record.get(k)), None)
        if number is None:
            self.problem(sheet, row, "B.1 row without a patent, publication or application number")
            return
        patent = _patent_id(number)
        entry = self.result.b1.setdefault(patent, {"patent": patent})
        for key, value in record.items():
            if _B1_BY_KEY[key].side == "patent" and key != "patent":
                entry.setdefault(key, value)
        standard_side = {k: v for k, v in record.items() if _B1_BY_KEY[k].side == "standard"}
        if not standard_side:
            return
        raw = str(standard_side.get("standard", ""))
        spec = parse_reference(raw).spec or raw.strip()
        if spec:
            entry.setdefault("by_standard", {}).setdefault(spec, standard_side)
        for key, value in standard_side.items():
            entry.setdefault(key, value)

    # B.2 ---------------------------------------------------------------------------------------

    def read_b2(self, sheet: _Sheet, header: tuple[int, dict[str, int]]) -> None:
        index, roles = header
        context = _b2_context(sheet, index)
        patent = context.get("patent") or _patent_in(sheet.title)
        if patent is None and len(self.result.b1) == 1:
            patent = next(iter(self.result.b1))
        patent = patent or _patent_in(self.label)
        if patent is None:
            self.problem(
                sheet,
                None,
                "no patent number: add a 专利/Patent line above the table or name the sheet after it",
            )
            return
        draft = self.patents.setdefault(patent, _PatentDraft(patent))
        draft.title = draft.title or context.get("title")
        heading = context.get("standard", "")
        default = parse_reference(heading) if heading else None
        state = _B2State(
            draft,
            default.spec if default else None,
            default.version if default and len(_VERSION.findall(heading)) == 1 else None,
        )
        if state.default_spec and state.default_spec not in draft.standards:
            draft.standards.append(state.default_spec)
        for row in range(index + 1, len(sheet.rows)):
            texts = [sheet.text(row, c) for c in range(len(sheet.rows[row]))]
            if any(texts):
                cells = {role: sheet.text(row, column) for role, column in roles.items()}
                self._b2_line(sheet, _B2Line(row, cells, len({t for t in texts if t}) == 1), state)
        if not state.read:
            self.problem(sheet, None, "no claims found under the header row")

    def _b2_line(self, sheet: _Sheet, line: _B2Line, state: _B2State) -> None:
        claim_cell = line.get("claim")
        if _CONCLUSION_LABEL.match(claim_cell):
            state.feature, state.feature_cell = None, ""
            return
        if line.get("claim_text") and line.get("claim_text") != state.claim_text_cell:
            self._b2_claim_text(line.get("claim_text"), state)
        heading = _claim_heading_of(line)
        if heading is not None:
            number, text = heading
            state.claim = state.draft.claims.setdefault(number, _ClaimDraft(number))
            state.claim.text = state.claim.text or text or None
            state.feature, state.feature_cell = None, ""
            state.read += 1
            return
        continues = state.feature is not None and (not claim_cell or claim_cell == state.feature_cell)
        if not continues:
            if not claim_cell:
                self.problem(sheet, line.row, "standard text with no claim feature before it")
                return
            state.feature = self._b2_feature(sheet, line, state)
            state.feature_cell = claim_cell if state.feature else ""
            state.read += 1 if state.feature else 0
        if state.feature is not None and state.claim is not None:
            self._b2_mapping(sheet, line, state.draft, state.claim, state.feature, state)

    @staticmethod
    def _b2_claim_text(text: str, state: _B2State) -> None:
        """A new whole-claim cell (merged down over its features): its number opens the claim."""
        state.claim_text_cell = text
        heading = _CLAIM_HEADER.match(text)
        start = heading or _CLAIM_TEXT_START.match(text)
        number = int(start["n"]) if start is not None else max(state.draft.claims, default=0) + 1
        body = text[heading.end() :].strip() if heading is not None else text.strip()
        state.claim = state.draft.claims.setdefault(number, _ClaimDraft(number))
        state.claim.text = state.claim.text or body or None
        state.feature, state.feature_cell = None, ""
        state.read += 1

    def _b2_feature(self, sheet: _Sheet, line: _B2Line, state: _B2State) -> _FeatureDraft | None:
        claim_cell = line.get("claim")
        mark, text = _mark(claim_cell)
        mark = mark or line.get("feature_id") or None
        hint = _int(line.get("claim_no")) if line.get("claim_no") else None
        hint = hint if hint is not None else (state.claim.number if state.claim else None)
        if mark is None:
            if hint is None:
                self.problem(sheet, line.row, f"no feature mark and no claim number for {claim_cell[:40]!r}")
                return None
            claim = state.draft.claims.setdefault(hint, _ClaimDraft(hint))
            feature_id = _next_id(claim)
        else:
            found_id, number = _feature_id(mark, hint)
            if found_id is None or number is None:
                self.problem(
                    sheet,
                    line.row,
                    f"feature mark {mark!r} without a claim number (add a 权利要求N / Claim N row)",
                )
                return None
            feature_id = found_id
            claim = state.draft.claims.setdefault(number, _ClaimDraft(number))
        if not text:
            self.problem(sheet, line.row, f"feature {feature_id} has no text")
            return None
        state.claim = claim
        where = f"sheet '{sheet.title}' row {line.row + 1}"
        existing = claim.features.get(feature_id)
        if existing is None:
            existing = claim.features[feature_id] = _FeatureDraft(feature_id, text)
            state.draft.origin[feature_id] = where
        elif existing.text != text:
            first = state.draft.origin.get(feature_id, "above")
            self.problem(
                sheet, line.row, f"feature {feature_id} differs from {first}; kept the text read there"
            )
        return existing

    def _b2_mapping(
        self,
        sheet: _Sheet,
        line: _B2Line,
        draft: _PatentDraft,
        claim: _ClaimDraft,
        feature: _FeatureDraft,
        state: _B2State,
    ) -> None:
        standard_cell, clause_cell = line.get("standard"), line.get("clause")
        if not (standard_cell or clause_cell):
            return
        reference = parse_reference(standard_cell, anchored=bool(clause_cell))
        clause = reference.clause
        if clause_cell:
            clause = parse_reference(clause_cell).clause or clause_cell.strip()
        spec = normalise_spec(line.get("spec")) if line.get("spec") else reference.spec or state.default_spec
        version = reference.version or state.default_version
        if line.get("version"):
            version = normalise_version(line.get("version"))
        shown = (standard_cell or clause_cell).split("\n")[0][:60]
        if clause is None or not CLAUSE_PATTERN.match(clause):
            self.problem(sheet, line.row, f"cannot read a clause number in {shown!r}")
            return
        if spec is None:
            self.problem(
                sheet,
                line.row,
                f"clause {clause} without a standard (name it in the cell or above the table)",
            )
            return
        analysis = _parse_analysis(line.get("analysis"))
        relation = _words(line.get("relation"))[0] if line.get("relation") else None
        mandatory = _words(line.get("mandatory"))[1] if line.get("mandatory") else None
        relation = relation or analysis.relation
        mandatory = mandatory if mandatory is not None else analysis.mandatory
        quote = reference.quote if standard_cell else ""
        evidence = EvidenceRow(
            spec,
            clause,
            version,
            reference.document_version_id,
            quote,
            relation,
            mandatory,
            analysis.corresponds,
            analysis.note,
        )
        rows = self.result.evidence.setdefault((draft.patent, claim.number, feature.id), [])
        if evidence not in rows:
            rows.append(evidence)
        if spec not in draft.standards:
            draft.standards.append(spec)
        if analysis.corresponds is not False:  # a row saying "does not correspond" is evidence, not a mapping
            mapping = MapsTo(spec, clause, version, relation, mandatory, analysis.note)
            if mapping not in feature.maps_to:
                feature.maps_to.append(mapping)

    # Result --------------------------------------------------------------------------------------

    def finish(self) -> TablesImport:
        for patent, draft in self.patents.items():
            info = self._b1_for(patent)
            taken = {fid for c in draft.claims.values() for fid in c.features}
            claims: list[Claim] = []
            for number in sorted(draft.claims):
                claim = draft.claims[number]
                features = [Feature(f.id, f.text, (), tuple(f.maps_to)) for f in claim.features.values()]
                text = claim.text or _join_features([f.text for f in features])
                if text:
                    claims.append(make_claim(number, text, features or None, taken))
            if not claims:
                continue
            family: tuple[str, ...] = ()
            title = draft.title
            standards = list(draft.standards)
            if info:
                family = tuple(str(f) for f in info.get("family", ()) if _patent_id(str(f)) != patent)
                title = title or (str(info["patent_title"]) if info.get("patent_title") else None)
                standards += [spec for spec in info.get("by_standard", {}) if spec not in standards]
            self.result.maps.append(
                ClaimMap(patent, family, title, (), tuple(standards), tuple(claims), self.label)
            )
        for patent, info in self.result.b1.items():
            if not any(_same_patent(info, draft) for draft in self.patents):
                self.result.problems.append(f"{patent}: B.1 information but no B.2 table with its claims")
        return self.result

    def _b1_for(self, patent: str) -> dict[str, Any] | None:
        return next((info for info in self.result.b1.values() if _same_patent(info, patent)), None)


_PATENT_KEYS = ("patent", "publication_number", "patent_number", "application_number")
_B2_CONTEXT_ROLES: dict[str, tuple[str, ...]] = {
    "patent": (
        "专利",
        "专利号",
        "申请号",
        "公开号",
        "公开公告号",
        "patent",
        "patentno",
        "patentnumber",
        "applicationnumber",
    ),
    "standard": (
        "标准",
        "标准号",
        "标准号及版本",
        "对应标准",
        "standard",
        "specification",
        "standardandversion",
        "spec",
    ),
}


def _b2_context(sheet: _Sheet, header_index: int) -> dict[str, str]:
    """Patent, title and standard from the lines above a B.2 header ("专利：CN… 一种…", "标准 | 3GPP TS …")."""
    context: dict[str, str] = {}
    for row in range(header_index):
        texts = [sheet.text(row, c) for c in range(len(sheet.rows[row]))]
        for column, text in enumerate(texts):
            head, _sep, tail = _label_split(text)
            if not text or len(_norm(head)) > 30:
                continue
            role = _best_role(head, _B2_CONTEXT_ROLES)
            if role is None or role in context:
                continue
            value = tail.strip() or next((t for t in texts[column + 1 :] if t and t != text), "")
            if not value:
                continue
            if role == "standard":
                context["standard"] = value
                continue
            number = _PATENT_NUMBER.search(value.upper())
            if number is None:
                context["patent"], _, rest = value.partition(" ")
            else:
                context["patent"] = _patent_id(number.group(0))
                rest = value[number.end() :]
            if rest.strip(" -–—:："):
                context["title"] = rest.strip(" -–—:：")
    return context


def _claim_heading_of(line: _B2Line) -> tuple[int, str] | None:
    """(number, text) for a claim heading row: "权利要求1 / Claim 1" + text, or a whole-row "1. A method…"."""
    claim_cell = line.get("claim")
    match = _CLAIM_HEADER.match(claim_cell)
    if match:
        return int(match["n"]), claim_cell[match.end() :].strip()
    start = _CLAIM_TEXT_START.match(claim_cell)
    if start and line.whole_row:
        return int(start["n"]), claim_cell.strip()
    return None


def _next_id(claim: _ClaimDraft) -> str:
    index = 0
    while (candidate := auto_feature_id(claim.number, index)) in claim.features:
        index += 1
    return candidate


def _patent_in(text: str) -> str | None:
    match = _PATENT_NUMBER.search(text.upper())
    return _patent_id(match.group(0)) if match else None


def _same_patent(info: Mapping[str, Any], draft_or_patent: str) -> bool:
    numbers = {_patent_id(str(info[k])) for k in _PATENT_KEYS if info.get(k)}
    return draft_or_patent in numbers


def _patent_id(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def _int(text: str) -> int | None:
    match = re.search(r"\d{1,3}", text)
    return int(match.group(0)) if match else None


def _join_features(texts: Sequence[str]) -> str:
    if not texts:
        return ""
    zh = any(re.search(r"[\u4e00-\u9fff]", t) for t in texts)
    return ("；" if zh else "; ").join(texts)


# ----------------------------------------------------------------------------------------------------
# Import: entry points


def read_tables_xlsx(path_or_bytes: Path | bytes, name: str) -> TablesImport:
    """Everything a workbook of B.1/B.2 tables holds (see :class:`TablesImport`). Raises
    :class:`RejectedInput` for a file that is not a readable .xlsx workbook."""
    if isinstance(path_or_bytes, Path):
        try:
            size = path_or_bytes.stat().st_size
            if size > MAX_XLSX_BYTES:
                raise RejectedInput(f"{name}: too large for a table: {size} bytes (limit {MAX_XLSX_BYTES})")
            data = path_or_bytes.read_bytes()
        except OSError as exc:
            raise RejectedInput(f"{name}: cannot read: {exc.strerror or exc}") from None
    else:
        data = path_or_bytes
    _check_xlsx(data, name)
    sheets, epoch = _read_sheets(data, name)
    importer = _Importer(name, epoch)
    b2: list[tuple[_Sheet, tuple[int, dict[str, int]]]] = []
    for sheet in sheets:
        header = _b2_header(sheet)
        if header is not None:
            b2.append((sheet, header))
        elif not importer.read_b1(sheet) and any(any(v is not None for v in r) for r in sheet.rows):
            importer.problem(sheet, None, "neither a B.1 nor a B.2 table: skipped")
        if sheet.truncated:
            importer.problem(sheet, None, f"more than {MAX_ROWS} rows: the rest was not read")
    for sheet, header in b2:  # after B.1, so that B.2 sheets without a patent line can use it
        importer.read_b2(sheet, header)
    if not b2:
        importer.result.problems.append(
            f"{name}: no B.2 table (a header row with 权利要求/Claim and 标准文本/Standard text)"
        )
    return importer.finish()


def import_b1_b2_xlsx(path_or_bytes: Path | bytes, name: str) -> tuple[list[ClaimMap], list[str]]:
    """The claim maps in a workbook of B.1/B.2 tables, and the rows that could not be read."""
    result = read_tables_xlsx(path_or_bytes, name)
    return result.maps, result.problems
