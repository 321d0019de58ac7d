"""Deadline rules engine: the windows that patent status events and application dates open.

What this module owns: period arithmetic, the service rules (when a notice counts as received or
notified), holiday roll-over, and turning events + rules into :class:`Deadline` rows with a status.
It owns no rule and no holiday: both are data, ``config/deadline_rules.yaml`` and
``config/holidays.yaml``, which users override with their own files (same rule ``id`` → replaced
field by field, new ``id`` → added, ``enabled: false`` → removed).

Computation, for one rule and one trigger:

1. **Trigger.** An event whose ``code`` is in the rule's ``trigger`` list, or, when the trigger
   names date fields (``filing_date``, ``priority_date``…, anything ending in ``_date``), the first
   of those fields the application has.
2. **Start** (``from``): ``date``/``mailing`` — the trigger date itself; ``receipt`` (CNIPA Rule 4)
   — a paper notice is presumed received 15 days after dispatch; an electronic notice dispatched on
   or after 2024-01-20 is served on its dispatch date, one dispatched earlier got the 15 days too;
   ``notification`` (EPC R.126) — documents dated 2023-11-01 or later are notified on their date,
   earlier ones 10 days after it. The numbers live in the rules file's ``service:`` section.
3. **Due** = start + ``period``; the start day is not counted and month/year periods end on the
   corresponding day, or the last day of a month that has no such day (Jan 31 + 1 month = Feb 28/29);
   ``month_end: end-of-month`` moves it to the month's last day (EPO renewal fees). ``later_of``
   takes the later of that and ``field + period`` (PCT Art. 19 and Chapter II). With
   ``holiday_roll`` a due date on a weekend or holiday of the office's calendar moves to the next
   working day; an adjusted working day (调休 Saturday) counts as working.
4. **Status**, from the application's later events up to ``today``: the earliest event in
   ``closes_on`` closes it, in ``ends_window_on`` ends it, in ``superseded_by`` (strictly later than
   the trigger) supersedes it; otherwise it is ``overdue`` once ``today`` is past the due date, or
   ``ended`` for an ``optional`` window (a voluntary amendment nobody made is not overdue).
   Those lists may name date fields too (``grant_date``), which then count as events.

A rule without ``period`` is a condition window (EPO divisional "while pending", US continuation
"before patenting or abandonment"): its due date is None and it stays open until an ending event.
A rule with ``repeat`` recurs (annuities, renewal fees): only the occurrences not yet finished
(grace period included) and the next one to open are returned.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from crawlers.items import PatentEvent

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
DEFAULT_RULES_FILE = CONFIG_DIR / "deadline_rules.yaml"
DEFAULT_HOLIDAYS_FILE = CONFIG_DIR / "holidays.yaml"

Status = Literal["open", "closed", "superseded", "overdue", "ended"]
STATUSES: tuple[Status, ...] = ("open", "closed", "superseded", "overdue", "ended")
FROM_KINDS = ("receipt", "notification", "mailing", "date")
MONTH_END_KINDS = ("corresponding-day", "end-of-month")
DELIVERY_KINDS = ("electronic", "paper")

__all__ = [
    "DEFAULT_HOLIDAYS_FILE",
    "DEFAULT_RULES_FILE",
    "Deadline",
    "EventRef",
    "Holidays",
    "LaterOf",
    "Period",
    "Rule",
    "ServiceRule",
    "add_period",
    "application_kind",
    "compute",
    "due_within",
    "load_holidays",
    "load_rules",
    "parse_period",
    "parse_rule",
    "with_trigger",
]


# ---------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True, slots=True)
class Period:
    """A period as months and days ("3 years 6 months" = 42 months); months are added first."""

    months: int
    days: int

    def __add__(self, other: Period) -> Period:
        return Period(self.months + other.months, self.days + other.days)

    def __mul__(self, factor: int) -> Period:
        return Period(self.months * factor, self.days * factor)

    def __neg__(self) -> Period:
        return Period(-self.months, -self.days)

    def __str__(self) -> str:
        parts = []
        if self.months:
            parts.append(f"{self.months} month{'s' if abs(self.months) != 1 else ''}")
        if self.days:
            parts.append(f"{self.days} day{'s' if abs(self.days) != 1 else ''}")
        return " ".join(parts) or "0 days"


_PERIOD_PART = re.compile(r"(\d+)\s*(years?|months?|weeks?|days?)\b", re.IGNORECASE)
_PERIOD_JOINERS = re.compile(r"[\s,]+|\band\b", re.IGNORECASE)
_UNIT_MONTHS = {"year": 12, "month": 1}
_UNIT_DAYS = {"week": 7, "day": 1}


@lru_cache(maxsize=256)
def parse_period(text: str) -> Period:
    """Parse "3 months" → Period(3, 0); also "185 days", "3 years 6 months", "2 weeks". ValueError otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"not a period: {text!r} (expected e.g. '3 months', '185 days', '3 years 6 months')")
    months = days = 0
    pos = 0
    found = False
    for match in _PERIOD_PART.finditer(text):
        if _PERIOD_JOINERS.sub("", text[pos : match.start()]):
            break
        count, unit = int(match[1]), match[2].lower().rstrip("s")
        months += count * _UNIT_MONTHS.get(unit, 0)
        days += count * _UNIT_DAYS.get(unit, 0)
        pos = match.end()
        found = True
    if not found or _PERIOD_JOINERS.sub("", text[pos:]):
        raise ValueError(f"not a period: {text!r} (expected e.g. '3 months', '185 days', '3 years 6 months')")
    if months == 0 and days == 0:
        raise ValueError(f"not a period: {text!r} is zero")
    return Period(months, days)


def _add_months(day: dt.date, months: int, *, end_of_month: bool = False) -> dt.date:
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, last if end_of_month else min(day.day, last))


def add_period(start: dt.date, period: str | Period, *, end_of_month: bool = False) -> dt.date:
    """``start`` + ``period``, the start day not counted (CNIPA Rule 5, EPC R.131(4)).

    Month and year periods end on the day of the last month that corresponds to the start day, or
    on that month's last day when it has none: 2024-01-31 + 1 month = 2024-02-29, 2025-01-31 + 1
    month = 2025-02-28, 2024-01-20 + 3 months = 2024-04-20. Days are added after the months.
    ``end_of_month`` moves the result to the last day of its month (EPO renewal fees, R.51(1)).
    """
    p = parse_period(period) if isinstance(period, str) else period
    day = _add_months(start, p.months, end_of_month=end_of_month) if p.months else start
    day = day + dt.timedelta(days=p.days)
    if end_of_month and not p.months:
        day = _add_months(day, 0, end_of_month=True)
    return day


# ---------------------------------------------------------------------------------------------
# Holidays


@dataclass(frozen=True, slots=True)
class _YearInfo:
    verified: bool
    source: str
    note: str


@dataclass(slots=True)
class _Calendar:
    office: str
    name: str
    weekend: frozenset[int]
    note: str
    holidays: dict[dt.date, str] = field(default_factory=dict)
    working_days: dict[dt.date, str] = field(default_factory=dict)
    years: dict[int, _YearInfo] = field(default_factory=dict)


_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_DEFAULT_WEEKEND = frozenset({5, 6})
_MAX_ROLL_DAYS = 60


class Holidays:
    """Working-day calendars per office (``CN``, ``EP``, ``US``, ``JP``, ``KR``, ``WO``…).

    A day is a working day unless it is a weekend day or a listed holiday; a listed working day
    (CN 调休: a Saturday or Sunday worked to bridge a holiday) is a working day whatever its
    weekday. An office without a calendar has Saturday/Sunday weekends and nothing else.
    """

    def __init__(self, calendars: Mapping[str, _Calendar]) -> None:
        self._calendars = {office.upper(): cal for office, cal in calendars.items()}

    def offices(self) -> list[str]:
        return sorted(self._calendars)

    def is_working_day(self, office: str, day: dt.date) -> bool:
        cal = self._calendars.get(office.upper())
        if cal is None:
            return day.weekday() not in _DEFAULT_WEEKEND
        if day in cal.working_days:
            return True
        if day in cal.holidays:
            return False
        return day.weekday() not in cal.weekend

    def next_working_day(self, office: str, day: dt.date) -> dt.date:
        """The first working day on or after ``day``: ``day`` itself when it is one. This is the
        roll-over of a deadline that falls on a weekend or holiday."""
        current = day
        for _ in range(_MAX_ROLL_DAYS):
            if self.is_working_day(office, current):
                return current
            current += dt.timedelta(days=1)
        raise ValueError(f"calendar {office}: no working day within {_MAX_ROLL_DAYS} days after {day}")

    def holiday_name(self, office: str, day: dt.date) -> str | None:
        cal = self._calendars.get(office.upper())
        return cal.holidays.get(day) if cal else None

    def caveat(self, office: str, day: dt.date) -> str | None:
        """Why a roll-over on ``day`` may be incomplete: no calendar, no data for the year, or data
        marked unverified. None when the year's data is verified."""
        cal = self._calendars.get(office.upper())
        if cal is None:
            return f"no holiday calendar for {office}: weekends only"
        info = cal.years.get(day.year)
        if info is None:
            if cal.years:
                return f"no {cal.office} holiday data for {day.year}: weekends only"
            return f"{cal.office} calendar has weekends only"
        if not info.verified:
            return f"{cal.office} holidays for {day.year} UNVERIFIED" + (
                f" ({info.note})" if info.note else ""
            )
        return None


def _as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a YAML date such as 2025-13-01
        raise ValueError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the top level must be a mapping, not {type(data).__name__}")
    return data


def _day_entries(value: Any, where: str) -> dict[dt.date, str]:
    """``[{date: D, name: N} | {from: D, to: D, name: N}]`` → {day: name}."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise ValueError(f"{where}: must be a list of {{date, name}} or {{from, to, name}}")
    out: dict[dt.date, str] = {}
    for i, entry in enumerate(value):
        here = f"{where}[{i}]"
        if isinstance(entry, dict):
            unknown = set(entry) - {"date", "from", "to", "name"}
            if unknown:
                raise ValueError(f"{here}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
            name = str(entry.get("name") or "")
            if "date" in entry:
                out[_as_date(entry["date"], f"{here}.date")] = name
                continue
            if "from" not in entry or "to" not in entry:
                raise ValueError(f"{here}: needs 'date', or 'from' and 'to'")
            first, last = _as_date(entry["from"], f"{here}.from"), _as_date(entry["to"], f"{here}.to")
            if last < first or (last - first).days > 31:
                raise ValueError(f"{here}: range {first}..{last} is reversed or longer than a month")
            day = first
            while day <= last:
                out[day] = name
                day += dt.timedelta(days=1)
        else:
            out[_as_date(entry, here)] = ""
    return out


def _parse_calendars(data: Mapping[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    """Validate one holidays file into plain dicts (merged before building the calendars)."""
    unknown = set(data) - {"calendars"}
    if unknown:
        raise ValueError(f"{path}: unknown top-level key(s) {', '.join(sorted(map(str, unknown)))}")
    calendars = data.get("calendars") or {}
    if not isinstance(calendars, dict):
        raise ValueError(f"{path}: 'calendars' must map office codes to calendars")
    out: dict[str, dict[str, Any]] = {}
    for office, raw in calendars.items():
        where = f"{path}: calendar {office}"
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: must be a mapping")
        bad = set(raw) - {"name", "weekend", "note", "years"}
        if bad:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(map(str, bad)))}")
        cal: dict[str, Any] = {"years": {}}
        if "name" in raw:
            cal["name"] = str(raw["name"])
        if "note" in raw:
            cal["note"] = str(raw["note"] or "")
        if "weekend" in raw:
            days = raw["weekend"] or []
            if not isinstance(days, list) or any(str(d).lower()[:3] not in _WEEKDAYS for d in days):
                raise ValueError(f"{where}: field 'weekend' must list days such as [sat, sun]")
            cal["weekend"] = frozenset(_WEEKDAYS[str(d).lower()[:3]] for d in days)
        years = raw.get("years") or {}
        if not isinstance(years, dict):
            raise ValueError(f"{where}: field 'years' must map years to holiday lists")
        for year, yraw in years.items():
            ywhere = f"{where} year {year}"
            try:
                year_num = int(year)
            except (TypeError, ValueError):
                raise ValueError(f"{ywhere}: not a year") from None
            if not isinstance(yraw, dict):
                raise ValueError(f"{ywhere}: must be a mapping")
            bad = set(yraw) - {"verified", "source", "note", "holidays", "working_days", "replace"}
            if bad:
                raise ValueError(f"{ywhere}: unknown key(s) {', '.join(sorted(map(str, bad)))}")
            verified = yraw.get("verified", False)
            if not isinstance(verified, bool):
                raise ValueError(f"{ywhere}: field 'verified' must be true or false")
            holidays = _day_entries(yraw.get("holidays"), f"{ywhere}: field 'holidays'")
            working = _day_entries(yraw.get("working_days"), f"{ywhere}: field 'working_days'")
            both = sorted(set(holidays) & set(working))
            if both:
                raise ValueError(f"{ywhere}: {both[0]} is both a holiday and a working day")
            cal["years"][year_num] = {
                "verified": verified,
                "source": str(yraw.get("source") or ""),
                "note": str(yraw.get("note") or ""),
                "holidays": holidays,
                "working_days": working,
                "replace": bool(yraw.get("replace", False)),
            }
        out[str(office).upper()] = cal
    return out


def load_holidays(path: Path | None = None, overrides: Path | None = None) -> Holidays:
    """Holiday calendars from ``path`` (default ``config/holidays.yaml``), extended by ``overrides``.

    In the override file a calendar's ``name``/``weekend``/``note`` replace the shipped ones; a
    year's holidays and working days are added to the shipped year (a day the override lists as a
    working day stops being a holiday and vice versa), or replace it when the year says
    ``replace: true``. Malformed files raise ValueError naming the file, office, year and field.
    """
    base_path = path or DEFAULT_HOLIDAYS_FILE
    merged = _parse_calendars(_read_yaml(base_path), base_path)
    if overrides is not None:
        for office, over in _parse_calendars(_read_yaml(overrides), overrides).items():
            cal = merged.setdefault(office, {"years": {}})
            for key in ("name", "note", "weekend"):
                if key in over:
                    cal[key] = over[key]
            for year, oy in over["years"].items():
                old = cal["years"].get(year)
                if old is None or oy["replace"]:
                    cal["years"][year] = oy
                    continue
                holidays = {d: n for d, n in old["holidays"].items() if d not in oy["working_days"]}
                holidays.update(oy["holidays"])
                working = {d: n for d, n in old["working_days"].items() if d not in oy["holidays"]}
                working.update(oy["working_days"])
                cal["years"][year] = {
                    "verified": oy["verified"],
                    "source": "; ".join(s for s in (old["source"], oy["source"]) if s),
                    "note": oy["note"] or old["note"],
                    "holidays": holidays,
                    "working_days": working,
                    "replace": False,
                }
    calendars: dict[str, _Calendar] = {}
    for office, cal in merged.items():
        built = _Calendar(
            office=office,
            name=cal.get("name", office),
            weekend=cal.get("weekend", _DEFAULT_WEEKEND),
            note=cal.get("note", ""),
        )
        for year, y in cal["years"].items():
            built.years[year] = _YearInfo(y["verified"], y["source"], y["note"])
            built.holidays.update(y["holidays"])
            built.working_days.update(y["working_days"])
        calendars[office] = built
    return Holidays(calendars)


# ---------------------------------------------------------------------------------------------
# Rules


@dataclass(frozen=True, slots=True)
class ServiceRule:
    """When a notice counts as served, for ``from: receipt`` (CNIPA) and ``notification`` (EPO).

    Notices dated before ``cutover`` are served ``before_cutover_days`` after their date whatever
    the delivery; from ``cutover`` on, paper notices after ``paper_days`` and electronic ones after
    ``electronic_days``. ``unknown_delivery`` says how to treat a notice whose event does not say
    (``metadata["delivery"]``).
    """

    cutover: dt.date
    before_cutover_days: int
    paper_days: int
    electronic_days: int
    unknown_delivery: Literal["electronic", "paper"] = "electronic"


# CNIPA Implementing Regulations Rule 4 (2023 revision, in force 2024-01-20) and EPC R.126(2)
# (10-day rule abolished for documents dated 2023-11-01 or later). The rules file may override.
DEFAULT_SERVICE: dict[str, ServiceRule] = {
    "receipt": ServiceRule(dt.date(2024, 1, 20), 15, 15, 0, "electronic"),
    "notification": ServiceRule(dt.date(2023, 11, 1), 10, 0, 0, "electronic"),
}


@dataclass(frozen=True, slots=True)
class LaterOf:
    """Due is the later of the rule's own due date and ``field`` + ``period``."""

    field: str
    period: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the rules table; see ``config/deadline_rules.yaml`` for what each field means."""

    id: str
    office: str
    window: str
    trigger: tuple[str, ...]
    period: str | None
    from_: str
    legal_basis: str
    verified: bool
    extendable: str
    label: str = ""
    month_end: str = "corresponding-day"
    holiday_roll: bool = True
    max_extended_period: str | None = None
    grace_period: str | None = None
    closes_on: tuple[str, ...] = ()
    superseded_by: tuple[str, ...] = ()
    ends_window_on: tuple[str, ...] = ()
    optional: bool = False
    note: str = ""
    applies_to: tuple[str, ...] = ()
    calendar: str = ""
    kinds: tuple[str, ...] = ()
    later_of: tuple[LaterOf, ...] = ()
    repeat: str | None = None
    repeat_count: int = 1
    open_before: str | None = None
    occurs_after: str | None = None
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    event_period: str | None = None
    closes_on_event_dates: tuple[str, ...] = ()
    service: ServiceRule | None = None

    @property
    def triggered_by_fields(self) -> bool:
        return bool(self.trigger) and all(_is_field(t) for t in self.trigger)

    @property
    def is_condition(self) -> bool:
        """A condition window ("while pending"): no period, no due date."""
        return self.period is None

    @property
    def offices(self) -> tuple[str, ...]:
        """Offices whose applications the rule applies to (``applies_to``, else its own office)."""
        return self.applies_to or (self.office,)


_FIELD = re.compile(r"^[a-z][a-z0-9_]*_date$")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_RULE_KEYS = {
    "id", "office", "window", "label", "trigger", "period", "from", "month_end", "holiday_roll",
    "extendable", "max_extended_period", "grace_period", "closes_on", "superseded_by",
    "ends_window_on", "optional", "legal_basis", "verified", "note", "enabled", "applies_to",
    "calendar", "kinds", "later_of", "repeat", "repeat_count", "open_before", "occurs_after",
    "effective_from", "effective_until", "event_period", "closes_on_event_dates",
}  # fmt: skip


def _is_field(name: str) -> bool:
    return bool(_FIELD.match(name))


class _RuleError(ValueError):
    def __init__(self, source: str, rule_id: str, field_name: str, problem: str) -> None:
        super().__init__(f"{source}: rule {rule_id!r}: field {field_name!r}: {problem}")


def _codes(data: Mapping[str, Any], key: str, source: str, rid: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _RuleError(source, rid, key, "must be a list of event codes or date fields")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise _RuleError(
                source,
                rid,
                key,
                f"{item!r} is not a string: quote event codes ('0009185' unquoted would be read as the number 9185)",
            )
        code = item.strip()
        if not code:
            raise _RuleError(source, rid, key, "empty code")
        if code not in out:
            out.append(code)
    return tuple(out)


def _text(data: Mapping[str, Any], key: str, source: str, rid: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise _RuleError(source, rid, key, "missing")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise _RuleError(source, rid, key, f"must be text, not {value!r}")
    return value.strip()


def _period_field(data: Mapping[str, Any], key: str, source: str, rid: str) -> str | None:
    value = _text(data, key, source, rid, required=False)
    if value is None:
        return None
    try:
        parse_period(value)
    except ValueError as exc:
        raise _RuleError(source, rid, key, str(exc)) from None
    return value


def _bool(data: Mapping[str, Any], key: str, source: str, rid: str, default: bool | None) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise _RuleError(
            source, rid, key, "missing" if value is None else f"must be true or false, not {value!r}"
        )
    return value


def _offices(data: Mapping[str, Any], key: str, source: str, rid: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str) and re.fullmatch(r"[A-Za-z]{2}", v) for v in value
    ):
        raise _RuleError(source, rid, key, "must list two-letter office codes such as [CN, WO]")
    return tuple(v.upper() for v in value)


def parse_rule(
    data: Mapping[str, Any], *, source: str = "<rule>", service: Mapping[str, ServiceRule] | None = None
) -> Rule:
    """Validate one rule mapping (as in the YAML file) into a :class:`Rule`.

    Raises ValueError naming ``source``, the rule id and the field at fault.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{source}: a rule must be a mapping, not {type(data).__name__}")
    raw_id = data.get("id")
    if not isinstance(raw_id, str) or not _RULE_ID.match(raw_id):
        raise _RuleError(
            source, str(raw_id), "id", "missing or not a lower-case id such as 'cn-oa-response-first'"
        )
    rid = raw_id
    unknown = sorted(set(map(str, data)) - _RULE_KEYS)
    if unknown:
        raise _RuleError(source, rid, unknown[0], f"unknown field (known: {', '.join(sorted(_RULE_KEYS))})")
    office = _text(data, "office", source, rid, required=True)
    assert office is not None
    if not re.fullmatch(r"[A-Za-z]{2}", office):
        raise _RuleError(
            source, rid, "office", f"{office!r} is not a two-letter office code (CN, EP, US, JP, KR, WO)"
        )
    window = _text(data, "window", source, rid, required=True)
    assert window is not None
    if "trigger" not in data:
        raise _RuleError(
            source,
            rid,
            "trigger",
            "missing (a list of event codes, or date fields such as filing_date; [] for none yet)",
        )
    trigger = _codes(data, "trigger", source, rid)
    kinds_of_trigger = {_is_field(t) for t in trigger}
    if len(kinds_of_trigger) > 1:
        raise _RuleError(source, rid, "trigger", "mixes event codes and date fields")
    by_field = kinds_of_trigger == {True}
    period = _period_field(data, "period", source, rid)
    from_ = data.get("from", "date")
    if from_ not in FROM_KINDS:
        raise _RuleError(source, rid, "from", f"{from_!r} is not one of {', '.join(FROM_KINDS)}")
    if by_field and from_ != "date":
        raise _RuleError(
            source, rid, "from", "a rule triggered by a date field counts from the date itself: use 'date'"
        )
    month_end = data.get("month_end", "corresponding-day")
    if month_end not in MONTH_END_KINDS:
        raise _RuleError(
            source, rid, "month_end", f"{month_end!r} is not one of {', '.join(MONTH_END_KINDS)}"
        )
    legal_basis = _text(data, "legal_basis", source, rid, required=True)
    extendable = _text(data, "extendable", source, rid, required=True)
    assert legal_basis is not None and extendable is not None
    max_ext = _period_field(data, "max_extended_period", source, rid)
    grace = _period_field(data, "grace_period", source, rid)
    if max_ext and grace:
        raise _RuleError(
            source,
            rid,
            "grace_period",
            "give max_extended_period (from the start) or grace_period (after the due date), not both",
        )
    later: list[LaterOf] = []
    raw_later = data.get("later_of") or []
    if not isinstance(raw_later, list):
        raise _RuleError(source, rid, "later_of", "must be a list of {field, period}")
    for item in raw_later:
        if not isinstance(item, Mapping) or set(item) != {"field", "period"}:
            raise _RuleError(
                source, rid, "later_of", f"{item!r} is not {{field: <name>_date, period: <period>}}"
            )
        if not isinstance(item["field"], str) or not _is_field(item["field"]):
            raise _RuleError(source, rid, "later_of", f"{item['field']!r} is not a date field")
        try:
            parse_period(str(item["period"]))
        except ValueError as exc:
            raise _RuleError(source, rid, "later_of", str(exc)) from None
        later.append(LaterOf(item["field"], str(item["period"])))
    repeat = _period_field(data, "repeat", source, rid)
    repeat_count = data.get("repeat_count", 1)
    if not isinstance(repeat_count, int) or isinstance(repeat_count, bool) or not 1 <= repeat_count <= 100:
        raise _RuleError(
            source, rid, "repeat_count", f"must be a whole number from 1 to 100, not {repeat_count!r}"
        )
    if repeat and not by_field:
        raise _RuleError(
            source, rid, "repeat", "a recurring rule must be triggered by a date field (filing_date…)"
        )
    if repeat and period is None:
        raise _RuleError(source, rid, "period", "a recurring rule needs the period to its first occurrence")
    if "repeat_count" in data and not repeat:
        raise _RuleError(source, rid, "repeat_count", "only meaningful with 'repeat'")
    open_before = _period_field(data, "open_before", source, rid)
    occurs_after = _text(data, "occurs_after", source, rid, required=False)
    if occurs_after is not None and not _is_field(occurs_after):
        raise _RuleError(source, rid, "occurs_after", f"{occurs_after!r} is not a date field")
    if (open_before or occurs_after) and not repeat:
        raise _RuleError(
            source, rid, "open_before" if open_before else "occurs_after", "only meaningful with 'repeat'"
        )
    if period is None and (max_ext or grace or later):
        raise _RuleError(
            source, rid, "period", "a condition window (no period) cannot have extensions or later_of"
        )
    effective: dict[str, dt.date | None] = {}
    for key in ("effective_from", "effective_until"):
        value = data.get(key)
        try:
            effective[key] = None if value is None else _as_date(value, key)
        except ValueError as exc:
            raise _RuleError(source, rid, key, str(exc)) from None
    kinds = data.get("kinds") or []
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list) or not all(isinstance(k, str) and k for k in kinds):
        raise _RuleError(source, rid, "kinds", "must list application kinds such as [invention, utility]")
    calendar_office = _text(data, "calendar", source, rid, required=False) or office
    if not re.fullmatch(r"[A-Za-z]{2}", calendar_office):
        raise _RuleError(source, rid, "calendar", f"{calendar_office!r} is not a two-letter office code")
    event_period = _text(data, "event_period", source, rid, required=False)
    event_dates = _codes(data, "closes_on_event_dates", source, rid)
    if (event_period or event_dates) and (by_field or not trigger):
        key = "event_period" if event_period else "closes_on_event_dates"
        raise _RuleError(source, rid, key, "only meaningful for a rule triggered by event codes")
    if event_period and period is None:
        raise _RuleError(source, rid, "event_period", "a condition window has no period to replace")
    note = _text(data, "note", source, rid, required=False) or ""
    label = _text(data, "label", source, rid, required=False) or rid
    services = service or DEFAULT_SERVICE
    return Rule(
        id=rid,
        office=office.upper(),
        window=window,
        label=label,
        trigger=trigger,
        period=period,
        from_=str(from_),
        month_end=str(month_end),
        holiday_roll=_bool(data, "holiday_roll", source, rid, True),
        extendable=extendable,
        max_extended_period=max_ext,
        grace_period=grace,
        closes_on=_codes(data, "closes_on", source, rid),
        superseded_by=_codes(data, "superseded_by", source, rid),
        ends_window_on=_codes(data, "ends_window_on", source, rid),
        optional=_bool(data, "optional", source, rid, False),
        legal_basis=legal_basis,
        verified=_bool(data, "verified", source, rid, None),
        note=note,
        applies_to=_offices(data, "applies_to", source, rid),
        calendar=calendar_office.upper(),
        kinds=tuple(kinds),
        later_of=tuple(later),
        repeat=repeat,
        repeat_count=repeat_count,
        open_before=open_before,
        occurs_after=occurs_after,
        effective_from=effective["effective_from"],
        effective_until=effective["effective_until"],
        event_period=event_period,
        closes_on_event_dates=event_dates,
        service=services.get(str(from_)),
    )


def _parse_service(data: Any, path: Path) -> dict[str, ServiceRule]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: 'service' must map receipt/notification to their rules")
    out: dict[str, ServiceRule] = {}
    for kind, raw in data.items():
        where = f"{path}: service {kind!r}"
        if kind not in ("receipt", "notification"):
            raise ValueError(f"{where}: only 'receipt' and 'notification' have service rules")
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: must be a mapping")
        keys = {"cutover", "before_cutover_days", "paper_days", "electronic_days", "unknown_delivery"}
        bad = set(raw) - keys
        missing = keys - set(raw) - {"unknown_delivery"}
        if bad or missing:
            raise ValueError(
                f"{where}: field {sorted(bad or missing)[0]!r}: {'unknown' if bad else 'missing'}"
            )
        numbers = {}
        for key in ("before_cutover_days", "paper_days", "electronic_days"):
            value = raw[key]
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 60:
                raise ValueError(f"{where}: field {key!r}: must be a number of days from 0 to 60")
            numbers[key] = value
        unknown_delivery = raw.get("unknown_delivery", "electronic")
        if unknown_delivery not in DELIVERY_KINDS:
            raise ValueError(f"{where}: field 'unknown_delivery': must be electronic or paper")
        out[kind] = ServiceRule(
            cutover=_as_date(raw["cutover"], f"{where}: field 'cutover'"),
            before_cutover_days=numbers["before_cutover_days"],
            paper_days=numbers["paper_days"],
            electronic_days=numbers["electronic_days"],
            unknown_delivery=unknown_delivery,
        )
    return out


def _rule_mappings(data: Mapping[str, Any], path: Path) -> list[dict[str, Any]]:
    unknown = set(data) - {"rules", "service"}
    if unknown:
        raise ValueError(
            f"{path}: unknown top-level key(s) {', '.join(sorted(map(str, unknown)))} (expected 'rules', 'service')"
        )
    rules = data.get("rules") or []
    if not isinstance(rules, list):
        raise ValueError(f"{path}: 'rules' must be a list")
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for i, raw in enumerate(rules):
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: rule #{i + 1}: must be a mapping")
        rid = raw.get("id")
        if not isinstance(rid, str) or not rid:
            raise ValueError(f"{path}: rule #{i + 1}: field 'id': missing")
        if rid in seen:
            raise ValueError(f"{path}: rule {rid!r}: field 'id': defined twice in this file")
        if "enabled" in raw and not isinstance(raw["enabled"], bool):
            raise _RuleError(str(path), rid, "enabled", "must be true or false")
        seen.add(rid)
        out.append(dict(raw))
    return out


def load_rules(
    path: Path | None = None, overrides: Path | None = None, *, include_disabled: bool = False
) -> list[Rule]:
    """The rules table from ``path`` (default ``config/deadline_rules.yaml``) and ``overrides``.

    An override rule with an existing ``id`` replaces that rule's fields one by one (fields it
    does not give are kept); a new ``id`` adds a rule (which must then be complete);
    ``enabled: false`` removes the rule (``enabled: true`` brings back one shipped disabled).
    The override file's ``service:`` entries replace the shipped ones. Malformed rules raise
    ValueError naming the file, the rule id and the field. ``include_disabled`` keeps disabled
    rules (for tests and documentation).
    """
    base_path = path or DEFAULT_RULES_FILE
    base = _read_yaml(base_path)
    service = dict(DEFAULT_SERVICE)
    service.update(_parse_service(base.get("service"), base_path))
    merged: dict[str, tuple[dict[str, Any], Path]] = {}
    for raw in _rule_mappings(base, base_path):
        merged[raw["id"]] = (raw, base_path)
    if overrides is not None:
        over = _read_yaml(overrides)
        service.update(_parse_service(over.get("service"), overrides))
        for raw in _rule_mappings(over, overrides):
            old = merged.get(raw["id"])
            merged[raw["id"]] = ({**old[0], **raw}, overrides) if old else (raw, overrides)
    rules = []
    for raw, source in merged.values():
        if raw.get("enabled", True) is False and not include_disabled:
            continue
        body = {k: v for k, v in raw.items() if k != "enabled"}
        rules.append(parse_rule(body, source=str(source), service=service))
    return rules


# ---------------------------------------------------------------------------------------------
# Deadlines


@dataclass(frozen=True, slots=True)
class EventRef:
    """The event (or date field) that closed, superseded or ended a deadline."""

    code: str
    date: dt.date

    def __str__(self) -> str:
        return f"{self.code} {self.date.isoformat()}"


@dataclass(frozen=True, slots=True)
class Deadline:
    """One window of one application, as computed on ``today``.

    ``start`` is the date the period runs from once the receipt/notification rules are applied;
    ``due`` is None for a condition window. ``closed_by`` is the event that closed, superseded or
    ended it. ``max_extended_due`` is the last day reachable with every extension or grace period.
    """

    application: str
    office: str
    rule_id: str
    window: str
    label: str
    trigger_code: str
    trigger_date: dt.date
    start: dt.date
    due: dt.date | None
    status: Status
    closed_by: EventRef | None
    extendable: str
    max_extended_due: dt.date | None
    legal_basis: str
    verified: bool
    note: str


_CN_KINDS = {"1": "invention", "2": "utility", "3": "design", "8": "pct-invention", "9": "pct-utility"}


def application_kind(application: str) -> str | None:
    """The kind a CN application number encodes: ``CN201810012345`` → "invention".

    CN numbers carry the kind in the digit after the year: 1 invention, 2 utility model, 3 design,
    8 PCT invention in the national phase, 9 PCT utility model (4-digit years since 2003, 2-digit
    years before; shortened serials as in ETSI exports, ``CN2006802116``, keep the year and kind).
    None for other offices or numbers that do not have the shape.
    """
    text = application.strip().upper()
    if not text.startswith("CN"):
        return None
    digits = re.sub(r"\D", "", text.split(".")[0])
    if len(digits) >= 10 and digits[:2] in ("19", "20"):
        return _CN_KINDS.get(digits[4])
    if len(digits) in (8, 9):
        return _CN_KINDS.get(digits[2])
    return None


def _kind(given: str | None, from_number: str | None) -> str | None:
    """The given kind, made specific by the number: a record's "invention" whose CN number says
    PCT national phase is "pct-invention"."""
    if given and from_number and from_number == f"pct-{given}":
        return from_number
    return given or from_number


def _office_of(application: str, events: Sequence[PatentEvent]) -> str:
    for event in events:
        if event.office:
            return event.office.upper()
    text = application.strip().upper()
    if text.startswith("PCT"):
        return "WO"
    match = re.match(r"[A-Z]{2}", text)
    return match.group(0) if match else ""


def _service_start(rule: Rule, event: PatentEvent) -> tuple[dt.date, str | None]:
    assert event.date is not None
    service = rule.service
    if rule.from_ not in ("receipt", "notification") or service is None:
        return event.date, None
    if event.date < service.cutover:
        days = service.before_cutover_days
        why = f"dated before {service.cutover}: served {days} days after it"
    else:
        if service.paper_days == service.electronic_days:
            days = service.paper_days
            if not days:
                return event.date, None
            return event.date + dt.timedelta(days=days), f"served {days} days after its date"
        given = str(event.metadata.get("delivery") or "").lower()
        delivery = given if given in DELIVERY_KINDS else service.unknown_delivery
        days = service.paper_days if delivery == "paper" else service.electronic_days
        assumed = "" if given in DELIVERY_KINDS else f" (delivery not given: taken as {delivery})"
        why = f"{delivery} notice{assumed}: served " + (
            f"{days} days after dispatch" if days else "on its dispatch date"
        )
        if not days:
            return event.date, why if assumed else None
    return event.date + dt.timedelta(days=days), why


@dataclass(frozen=True, slots=True)
class _Marker:
    code: str
    date: dt.date
    rank: int  # 0 closes, 1 ends, 2 supersedes: the order on the same day
    year: int | None = None  # the fee year a payment event names (EP Register RFEE "YEAR")


def _markers(
    rule: Rule, events: Sequence[PatentEvent], dates: Mapping[str, dt.date], today: dt.date
) -> list[_Marker]:
    out: list[_Marker] = []
    for rank, codes in enumerate((rule.closes_on, rule.ends_window_on, rule.superseded_by)):
        wanted = set(codes)
        for event in events:
            if event.code in wanted and event.date is not None and event.date <= today:
                year = event.metadata.get("fee_year")
                year = year if isinstance(year, int) and not isinstance(year, bool) else None
                out.append(_Marker(event.code, event.date, rank, year))
        for name in codes:
            value = dates.get(name) if _is_field(name) else None
            if value is not None and value <= today:
                out.append(_Marker(name, value, rank))
    out.sort(key=lambda m: (m.date, m.rank, m.code))
    return out


_STATUS_OF_RANK: dict[int, Status] = {0: "closed", 1: "ended", 2: "superseded"}


def _status(
    rule: Rule,
    markers: Sequence[_Marker],
    trigger_date: dt.date,
    trigger_code: str,
    due: dt.date | None,
    today: dt.date,
) -> tuple[Status, EventRef | None]:
    for m in markers:
        if m.date < trigger_date:
            continue
        if m.rank == 2 and m.date == trigger_date:
            continue  # the trigger itself, or a same-day copy of it from another source
        if m.rank == 0 and m.date == trigger_date and m.code == trigger_code:
            continue
        return _STATUS_OF_RANK[m.rank], EventRef(m.code, m.date)
    if due is not None and today > due:
        return ("ended" if rule.optional else "overdue"), None
    return "open", None


def _roll(rule: Rule, holidays: Holidays, day: dt.date, notes: list[str], what: str) -> dt.date:
    if not rule.holiday_roll:
        return day
    rolled = holidays.next_working_day(rule.calendar, day)
    if rolled != day:
        name = holidays.holiday_name(rule.calendar, day)
        reason = (
            f"falls on {name} ({rule.calendar} holiday)" if name else f"is not a {rule.calendar} working day"
        )
        notes.append(f"{what} {day} {reason}: moved to {rolled}")
    caveat = holidays.caveat(rule.calendar, day)
    if caveat and caveat not in notes:
        notes.append(caveat)
    return rolled


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


_UNITS = {"month": "months", "months": "months", "day": "days", "days": "days", "week": "weeks",
          "weeks": "weeks", "year": "years", "years": "years", "m": "months", "d": "days"}  # fmt: skip


def _event_period(rule: Rule, event: PatentEvent | None, notes: list[str]) -> str | None:
    """The period the trigger event itself sets (EP Register ``time-limit``), else the rule's."""
    if event is None or not rule.event_period:
        return rule.period
    given = event.metadata.get(rule.event_period)
    if isinstance(given, Mapping):
        value, unit = given.get("value"), _UNITS.get(str(given.get("unit") or "").strip().lower())
        if isinstance(value, int) and not isinstance(value, bool) and value > 0 and unit:
            period = f"{value} {unit}"
            notes.append(f"period {period} as set in the communication")
            return period
    return rule.period


def _event_markers(rule: Rule, event: PatentEvent | None, today: dt.date) -> list[_Marker]:
    """Closing dates the trigger event carries itself (EP Register DATE_OF_REPLY, GRANT_FEE_PAID)."""
    if event is None or not rule.closes_on_event_dates:
        return []
    dates = event.metadata.get("dates")
    if not isinstance(dates, Mapping):
        return []
    out = []
    for key in rule.closes_on_event_dates:
        value = dates.get(key)
        try:
            day = _as_date(value, key) if value else None
        except ValueError:
            day = None
        if day is not None and day <= today:
            out.append(_Marker(key, day, 0))
    return out


def _deadline(
    rule: Rule,
    application: str,
    trigger_code: str,
    trigger_date: dt.date,
    start: dt.date,
    dates: Mapping[str, dt.date],
    markers: Sequence[_Marker],
    holidays: Holidays,
    today: dt.date,
    notes: list[str],
    event: PatentEvent | None = None,
) -> Deadline:
    due: dt.date | None = None
    max_due: dt.date | None = None
    period = _event_period(rule, event, notes)
    own_markers = _event_markers(rule, event, today)
    if own_markers:
        markers = sorted([*markers, *own_markers], key=lambda m: (m.date, m.rank, m.code))
    if period is not None:
        end_of_month = rule.month_end == "end-of-month"
        raw_due = add_period(start, period, end_of_month=end_of_month)
        for later in rule.later_of:
            base = dates.get(later.field)
            if base is None:
                notes.append(
                    f"{later.field} unknown: the later-of date ({later.period} from it) is not applied"
                )
                continue
            candidate = add_period(base, later.period)
            if candidate > raw_due:
                notes.append(f"later of: {later.period} from {later.field} {base} = {candidate}")
                raw_due = candidate
        due = _roll(rule, holidays, raw_due, notes, "due date")
        if rule.max_extended_period:
            max_due = _roll(
                rule, holidays, add_period(start, rule.max_extended_period), notes, "extended date"
            )
        elif rule.grace_period:
            max_due = _roll(
                rule,
                holidays,
                add_period(raw_due, rule.grace_period, end_of_month=end_of_month),
                notes,
                "grace end",
            )
    given = event.metadata.get("deadline_as_given") if event is not None else None
    if given and due is not None and str(given) != due.isoformat():
        notes.append(f"the source gives the deadline {given}: check which is right")
    status, ref = _status(rule, markers, trigger_date, trigger_code, due, today)
    return Deadline(
        application=application,
        office=rule.office,
        rule_id=rule.id,
        window=rule.window,
        label=rule.label,
        trigger_code=trigger_code,
        trigger_date=trigger_date,
        start=start,
        due=due,
        status=status,
        closed_by=ref,
        extendable=rule.extendable,
        max_extended_due=max_due,
        legal_basis=rule.legal_basis,
        verified=rule.verified,
        note=_join(rule.note, *notes),
    )


def _in_effect(rule: Rule, day: dt.date) -> bool:
    if rule.effective_from and day < rule.effective_from:
        return False
    return not (rule.effective_until and day > rule.effective_until)


def _recurring(
    rule: Rule,
    application: str,
    field_name: str,
    base: dt.date,
    dates: Mapping[str, dt.date],
    markers: Sequence[_Marker],
    holidays: Holidays,
    today: dt.date,
    notes: Sequence[str],
) -> Iterator[Deadline]:
    assert rule.period is not None and rule.repeat is not None
    after: dt.date | None = None
    if rule.occurs_after:
        after = dates.get(rule.occurs_after)
        if after is None:
            return
    first, step = parse_period(rule.period), parse_period(rule.repeat)
    end_of_month = rule.month_end == "end-of-month"
    for k in range(rule.repeat_count):
        total = first + step * k
        raw_due = add_period(base, total, end_of_month=end_of_month)
        if after is not None and raw_due <= after:
            continue
        opens = add_period(raw_due, -(parse_period(rule.open_before) if rule.open_before else step))
        own_notes = list(notes)
        due = _roll(rule, holidays, raw_due, own_notes, "due date")
        last = due
        max_due = None
        if rule.grace_period:
            max_due = _roll(
                rule,
                holidays,
                add_period(raw_due, rule.grace_period, end_of_month=end_of_month),
                own_notes,
                "grace end",
            )
            last = max_due
        if last < today:
            continue
        status: Status = "open"
        ref: EventRef | None = None
        yearly = total.days == 0 and total.months % 12 == 0 and step.days == 0 and step.months % 12 == 0
        fee_year = total.months // 12 + 1 if yearly else None
        for m in markers:
            if (
                m.rank == 0
                and m.date <= last
                and (m.year == fee_year if m.year is not None and fee_year is not None else opens <= m.date)
            ):
                status, ref = "closed", EventRef(m.code, m.date)
                break
            if m.rank == 1 and m.date <= raw_due:
                status, ref = "ended", EventRef(m.code, m.date)
                break
        if status == "open" and today > due:
            status = "overdue"
        label = f"{rule.label} (year {fee_year})" if fee_year else f"{rule.label} (#{k + 1})"
        yield Deadline(
            application=application,
            office=rule.office,
            rule_id=rule.id,
            window=rule.window,
            label=label,
            trigger_code=field_name,
            trigger_date=base,
            start=base,
            due=due,
            status=status,
            closed_by=ref,
            extendable=rule.extendable,
            max_extended_due=max_due,
            legal_basis=rule.legal_basis,
            verified=rule.verified,
            note=_join(rule.note, *own_notes),
        )
        if opens > today:
            break


def _rule_deadlines(
    rule: Rule,
    application: str,
    kind: str | None,
    events: Sequence[PatentEvent],
    dates: Mapping[str, dt.date],
    holidays: Holidays,
    today: dt.date,
) -> Iterator[Deadline]:
    notes: list[str] = []
    if rule.kinds:
        if kind is None:
            notes.append(f"application kind unknown: this rule applies to {', '.join(rule.kinds)} only")
        elif kind not in rule.kinds:
            return
    markers = _markers(rule, events, dates, today)
    if rule.triggered_by_fields:
        for name in rule.trigger:
            base = dates.get(name)
            if base is None:
                continue
            if not _in_effect(rule, base):
                return
            if rule.repeat:
                yield from _recurring(rule, application, name, base, dates, markers, holidays, today, notes)
            else:
                yield _deadline(
                    rule, application, name, base, base, dates, markers, holidays, today, list(notes)
                )
            return
        return
    wanted = set(rule.trigger)
    seen: set[dt.date] = set()
    for event in events:
        if (
            event.code not in wanted
            or event.date is None
            or event.date in seen
            or not _in_effect(rule, event.date)
        ):
            continue
        seen.add(event.date)
        start, why = _service_start(rule, event)
        own = [*notes, why] if why else list(notes)
        yield _deadline(
            rule, application, event.code, event.date, start, dates, markers, holidays, today, own, event
        )


def compute(
    events: Sequence[PatentEvent],
    rules: Sequence[Rule],
    holidays: Holidays,
    *,
    application_dates: Mapping[str, Mapping[str, dt.date]] | None = None,
    today: dt.date,
    application_kinds: Mapping[str, str] | None = None,
) -> list[Deadline]:
    """Every deadline the ``events`` and ``application_dates`` open under ``rules``, on ``today``.

    Events may come in any order and from several sources; events without a date are ignored.
    ``application_dates`` maps an application number to its date fields (``filing_date``,
    ``priority_date``, ``grant_date``, ``national_entry_date``, ``search_report_mention_date``…)
    for the rules counted from those. ``application_kinds`` gives an application's kind
    (``invention``, ``utility``, ``design``, ``pct-invention``, ``pct-utility``) for rules limited
    to some kinds; CN kinds are otherwise read from the application number. The result is sorted
    by application, due date (condition windows last), rule and trigger.
    """
    by_app: dict[str, list[PatentEvent]] = {}
    for event in events:
        if event.date is not None:
            by_app.setdefault(event.application, []).append(event)
    for app_events in by_app.values():
        app_events.sort(key=lambda e: (e.date or dt.date.min, e.code, e.kind, e.text))
    dates_by_app = application_dates or {}
    kinds = application_kinds or {}
    out: list[Deadline] = []
    for application in sorted(set(by_app) | set(dates_by_app)):
        app_events = by_app.get(application, [])
        office = _office_of(application, app_events)
        kind = _kind(kinds.get(application), application_kind(application))
        dates = dates_by_app.get(application, {})
        for rule in rules:
            if office in rule.offices:
                out.extend(_rule_deadlines(rule, application, kind, app_events, dates, holidays, today))
    out.sort(key=_sort_key)
    return out


def _sort_key(d: Deadline) -> tuple[str, dt.date, str, dt.date, str]:
    return (d.application, d.due or dt.date.max, d.rule_id, d.trigger_date, d.trigger_code)


def due_within(deadlines: Iterable[Deadline], today: dt.date, days: int) -> list[Deadline]:
    """Open deadlines due from ``today`` to ``today + days`` (inclusive), soonest first."""
    last = today + dt.timedelta(days=days)
    hits = [d for d in deadlines if d.status == "open" and d.due is not None and today <= d.due <= last]
    return sorted(hits, key=lambda d: (d.due or dt.date.max, d.application, d.rule_id))


def with_trigger(rule: Rule, *codes: str) -> Rule:
    """A copy of ``rule`` triggered by ``codes`` (for rules shipped without known trigger codes)."""
    return replace(rule, trigger=tuple(codes))
