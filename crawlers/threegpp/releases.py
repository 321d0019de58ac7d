"""Release freeze milestones: the release pages of www.3gpp.org, shipped defaults, and layering.

A Release freezes in stages: Stage 1 (service requirements), Stage 2 (architecture), Stage 3 (the
"functional freeze": protocols complete) and finally the protocols themselves become stable (the
ASN.1 / OpenAPI freeze, which the release table calls the Release's "End date"). The dates are set
at the quarterly TSG plenaries and slip often, so sepwatch keeps three layers per (release, stage):
the defaults shipped in ``config/freeze_defaults.yaml``, the dates crawled from the release pages,
and the user's overrides; :func:`effective` merges them.

:func:`parse_releases_page` reads the forms the release pages use:

* the release timeline table of ``/specifications-technologies/releases``: one row per Release
  ("Release 18"), columns "Functional Freeze (Stage 3 complete)" and "End date (Protocols stable)",
  cells such as ``2023-12-15 (SA#102)``, ``2024-03 (SA#103)`` or ``TBC``;
* milestone rows or lines on a single Release's page ("Stage 2 freeze | December 2024",
  "ASN.1 freeze: December 2025 (RAN#110)"), the Release taken from the row itself, else from the
  nearest heading above it, else from the page title.

The overview table's layout is known from the page's text; the markup of the single-Release pages
could not be checked offline, so any table row or list line that starts with a milestone label is
read, wherever it sits.

Dates given as a month only become the last day of that month, with the note "month only". A
milestone stated per working group ("RAN1 June 2025; RAN2/3/4 September 2025") takes the latest
date, and its full text goes into the note. "TBC"/"TBD" cells give no entry.
"""

from __future__ import annotations

import calendar
import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup
from bs4.element import Tag

from crawlers.threegpp.listing import decode_page

STAGES = ("stage1", "stage2", "stage3", "protocols")
ORIGINS = ("default", "crawled", "override")
MONTH_ONLY = "month only"
UNVERIFIED = "UNVERIFIED"


@dataclass(frozen=True, slots=True)
class Freeze:
    release: str  # "Rel-19"
    stage: str  # "stage1" | "stage2" | "stage3" | "protocols"
    date: date | None
    meeting: str | None  # the plenary that declared it, "SA#102"
    note: str | None
    origin: str = "default"  # "default" | "crawled" | "override"


_RELEASE = re.compile(r"\b(?:release|rel)[\s\-.]*(\d{1,4})\b|\bR(99|\d{1,2})\b", re.IGNORECASE)
_STAGE_PATTERNS = (
    ("protocols", re.compile(r"asn\.?\s*1|openapi|protocols?\s+stable|end\s+date", re.IGNORECASE)),
    ("stage3", re.compile(r"stage\s*3|functional\s+freeze", re.IGNORECASE)),
    ("stage2", re.compile(r"stage\s*2", re.IGNORECASE)),
    ("stage1", re.compile(r"stage\s*1", re.IGNORECASE)),
)
# A milestone label starts with the milestone, optionally after the Release: "Stage 2 freeze",
# "Rel-19 ASN.1 freeze", "Functional Freeze (Stage 3 complete)"; prose mentioning a stage is not one.
_LABEL = re.compile(
    r"^\W*(?:(?:rel(?:ease)?[\s\-.]*\d{1,2}|R\d{1,2})\W*)?"
    r"(?:stage\s*[123]|functional\s+freeze|asn\.?\s*1|openapi|protocols?\s+stable|end\s+date)",
    re.IGNORECASE,
)
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WHEN = re.compile(
    rf"(?<!\d)(?P<y1>\d{{4}})-(?P<m1>\d{{1,2}})(?:-(?P<d1>\d{{1,2}}))?(?![\d-])"
    rf"|(?<![\w/])(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mon2>{_MONTHS})\.?,?\s+(?P<y2>\d{{4}})\b"
    rf"|\b(?P<mon3>{_MONTHS})\.?\s+(?P<d3>\d{{1,2}})(?:st|nd|rd|th)?,\s*(?P<y3>\d{{4}})\b"
    rf"|\b(?P<mon4>{_MONTHS})\.?\s*'?\s*(?P<y4>\d{{4}}|\d{{2}})\b",
    re.IGNORECASE,
)
_MEETING = re.compile(r"\b(?:TSG\s*)?(SA|RAN|CT|SP|RP|CP)\s*#\s*(\d+(?:-?[A-Za-z]{1,3})?)\b", re.IGNORECASE)
_PENDING = re.compile(r"\b(?:tbc|tbd|n/a|not\s+yet)\b", re.IGNORECASE)
_LINE = re.compile(r"^(?P<label>[^:|]{3,80}?)\s*(?::|\||–|—|\s-\s)\s*(?P<value>.+)$")
_BLANK = frozenset(["", "-", "–", "—"])
_MONTH_NUMBERS = {name: number for number, name in enumerate(calendar.month_abbr) if name}


def normalise_release(text: str) -> str | None:
    """Normalised Release name: "Release 19", "Rel-19", "rel 19", "R19" → "Rel-19"; "Release 1999",
    "R99" → "R99"; None when ``text`` names no Release."""
    match = _RELEASE.search(text)
    if match is None:
        return None
    number = int(match[1] or match[2])
    if number in (99, 1999):
        return "R99"
    if not 1 <= number <= 40:
        return None
    return f"Rel-{number}"


def stage_of(label: str) -> str | None:
    """The stage a milestone label names: "Stage 3 freeze" → "stage3", "ASN.1 freeze" → "protocols"."""
    return next((stage for stage, pattern in _STAGE_PATTERNS if pattern.search(label)), None)


def parse_releases_page(html: bytes | str) -> list[Freeze]:
    """Freeze milestones stated on a 3GPP release page (the overview table or a single Release's
    page), with ``origin="crawled"``, sorted by release then stage; an empty list when there are none."""
    soup = BeautifulSoup(decode_page(html), "lxml")
    page_release = _page_release(soup)
    found: dict[tuple[str, str], Freeze] = {}
    for table in soup.find_all("table"):
        _read_table(table, page_release, found)
    for element in soup.find_all(["li", "p", "dd", "div"]):
        if element.find_parent("table") is not None or element.find(["li", "p", "div", "table"]) is not None:
            continue
        _read_line(element, page_release, found)
    return sorted(found.values(), key=_sort_key)


def _page_release(soup: BeautifulSoup) -> str | None:
    for candidate in (soup.find("h1"), soup.find("meta", attrs={"property": "og:title"}), soup.title):
        if isinstance(candidate, Tag):
            text = (
                str(candidate.get("content") or "") if candidate.name == "meta" else candidate.get_text(" ")
            )
            release = normalise_release(text)
            if release:
                return release
    return None


def _context_release(element: Tag, page_release: str | None) -> str | None:
    for heading in element.find_all_previous(["h1", "h2", "h3", "h4", "h5", "h6", "caption"]):
        release = normalise_release(heading.get_text(" "))
        if release:
            return release
    return page_release


def _read_table(table: Tag, page_release: str | None, found: dict[tuple[str, str], Freeze]) -> None:
    stage_columns: dict[int, str] | None = None
    context: str | None = None
    for row in table.find_all("tr"):
        if row.find_parent("table") is not table:
            continue
        texts = [_text(cell) for cell in row.find_all(["td", "th"], recursive=False)]
        if not texts:
            continue
        row_release = normalise_release(texts[0])
        if stage_columns is None and row_release is None:
            columns = {i: stage for i, text in enumerate(texts) if i > 0 and (stage := stage_of(text))}
            if columns and stage_of(texts[0]) is None:
                stage_columns = columns
                continue
        if stage_columns is not None and row_release is not None:
            for index, stage in stage_columns.items():
                if index < len(texts):
                    _add(found, row_release, stage, texts[index])
            continue
        stage = stage_of(texts[0]) if _LABEL.match(texts[0]) else None
        if stage is not None and len(texts) >= 2:
            if context is None:
                context = _context_release(table, page_release)
            release = next((r for t in texts if (r := normalise_release(t))), None) or context
            if release is not None:
                _add(found, release, stage, " ".join(t for t in texts[1:] if t not in _BLANK))


def _read_line(element: Tag, page_release: str | None, found: dict[tuple[str, str], Freeze]) -> None:
    match = _LINE.match(_text(element))
    if match is None:
        return
    stage = stage_of(match["label"]) if _LABEL.match(match["label"]) else None
    if stage is None:
        return
    release = normalise_release(match["label"]) or _context_release(element, page_release)
    if release is not None:
        _add(found, release, stage, match["value"])


def _add(found: dict[tuple[str, str], Freeze], release: str, stage: str, value: str) -> None:
    if (release, stage) in found:
        return
    when = parse_when(value)
    if when is None:
        return
    day, meeting, note = when
    found[(release, stage)] = Freeze(release, stage, day, meeting, note, origin="crawled")


def parse_when(value: str) -> tuple[date, str | None, str | None] | None:
    """(date, meeting, note) of a milestone cell such as "2023-12-15 (SA#102)", "2024-03 (SA#103)",
    "December 2025", "RAN1 June 2025; RAN2/3/4 September 2025"; None when it states no date."""
    candidates: list[tuple[date, bool]] = []
    for match in _WHEN.finditer(value):
        parsed = _candidate(match)
        if parsed is not None:
            candidates.append(parsed)
    if not candidates:
        return None
    day, month_only = max(candidates, key=lambda c: c[0])
    meetings = [f"{m[1].upper()}#{m[2]}" for m in _MEETING.finditer(value)]
    meeting = meetings[0] if len(meetings) == 1 else None
    notes: list[str] = []
    if month_only:
        notes.append(MONTH_ONLY)
    if len(candidates) > 1 or len(meetings) > 1:
        notes.append(" ".join(value.split()))
    return day, meeting, "; ".join(notes) or None


def _candidate(match: re.Match[str]) -> tuple[date, bool] | None:
    try:
        if match["y1"]:
            year, month = int(match["y1"]), int(match["m1"])
            if match["d1"]:
                return date(year, month, int(match["d1"])), False
            return _last_day(year, month), True
        if match["y2"]:
            return date(int(match["y2"]), _month(match["mon2"]), int(match["d2"])), False
        if match["y3"]:
            return date(int(match["y3"]), _month(match["mon3"]), int(match["d3"])), False
        year = int(match["y4"])
        return _last_day(year + 2000 if year < 100 else year, _month(match["mon4"])), True
    except ValueError:
        return None


def _month(name: str) -> int:
    return _MONTH_NUMBERS[name[:3].title()]


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _text(element: Tag) -> str:
    return " ".join(element.get_text(" ", strip=True).split())


def _release_number(release: str) -> int:
    if release == "R99":
        return 3  # Release 1999 came before Rel-4
    match = re.search(r"\d+", release)
    return int(match.group(0)) if match else 10_000


def _sort_key(freeze: Freeze) -> tuple[int, str, int]:
    stage = STAGES.index(freeze.stage) if freeze.stage in STAGES else len(STAGES)
    return _release_number(freeze.release), freeze.release, stage


def load_defaults(path: Path | None = None) -> list[Freeze]:
    """The shipped defaults (``config/freeze_defaults.yaml``), or those in ``path``; ``origin="default"``.

    Raises ValueError naming the entry when the file is malformed.
    """
    if path is None:
        text = resources.files("config").joinpath("freeze_defaults.yaml").read_text(encoding="utf-8")
        where = "config/freeze_defaults.yaml"
    else:
        text = path.read_text(encoding="utf-8")
        where = str(path)
    data = yaml.safe_load(text)
    items = data.get("freezes") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{where}: expected a top-level 'freezes:' list")
    freezes = [_default_entry(item, f"{where}: freezes[{i}]") for i, item in enumerate(items)]
    keys = [(f.release, f.stage) for f in freezes]
    duplicates = sorted({f"{r} {s}" for r, s in keys if keys.count((r, s)) > 1})
    if duplicates:
        raise ValueError(f"{where}: more than one entry for {', '.join(duplicates)}")
    return sorted(freezes, key=_sort_key)


def _default_entry(item: Any, where: str) -> Freeze:
    if not isinstance(item, dict):
        raise ValueError(f"{where}: expected a mapping with release, stage, date")
    unknown = set(item) - {"release", "stage", "date", "meeting", "note"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    release = normalise_release(str(item.get("release") or ""))
    if release is None:
        raise ValueError(f"{where}: release {item.get('release')!r} is not a Release such as Rel-19")
    stage = str(item.get("stage") or "")
    if stage not in STAGES:
        raise ValueError(f"{where}: stage {stage!r} is not one of {', '.join(STAGES)}")
    raw_date = item.get("date")
    note = str(item["note"]) if item.get("note") else None
    day: date | None
    if raw_date is None:
        day = None
        if not note or UNVERIFIED not in note:
            note = UNVERIFIED if not note else f"{UNVERIFIED}; {note}"
    elif isinstance(raw_date, date):
        day = raw_date
    elif isinstance(raw_date, str) and (month := re.fullmatch(r"(\d{4})-(\d{1,2})", raw_date.strip())):
        try:
            day = _last_day(int(month[1]), int(month[2]))
        except ValueError:
            raise ValueError(f"{where}: date {raw_date!r} is not a month") from None
        note = MONTH_ONLY if not note else f"{MONTH_ONLY}; {note}"
    else:
        raise ValueError(f"{where}: date {raw_date!r} is neither YYYY-MM-DD, YYYY-MM nor null")
    meeting = str(item["meeting"]) if item.get("meeting") else None
    return Freeze(release, stage, day, meeting, note, origin="default")


def effective(defaults: list[Freeze], crawled: list[Freeze], overrides: list[Freeze]) -> list[Freeze]:
    """One milestone per (release, stage): an override beats a crawled date, which beats a default.

    Each result carries the layer it came from in ``origin``. A crawled entry without a date does
    not hide a dated default (a page saying "TBC" is no news); an override always wins, even one
    without a date, so a user can blank out a date they know to be wrong. Sorted by release, stage.
    """
    chosen: dict[tuple[str, str], Freeze] = {}
    for layer, origin in ((defaults, "default"), (crawled, "crawled"), (overrides, "override")):
        for freeze in _keyed(layer):
            key = (freeze.release, freeze.stage)
            if origin == "crawled" and freeze.date is None and key in chosen and chosen[key].date is not None:
                continue
            chosen[key] = dataclasses.replace(freeze, origin=origin)
    return sorted(chosen.values(), key=_sort_key)


def _keyed(layer: Iterable[Freeze]) -> Iterable[Freeze]:
    for freeze in layer:
        release = normalise_release(freeze.release) or freeze.release
        yield freeze if release == freeze.release else dataclasses.replace(freeze, release=release)
