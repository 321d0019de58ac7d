"""Deadline engine: every shipped rule against dates computed by hand, plus period arithmetic,
holiday calendars, rule and holiday overrides, and malformed override files.

Each case's comment shows the arithmetic: ``start`` (after the receipt/notification rules) +
period = raw date → roll-over. Weekdays and holidays were checked against the calendars in
config/holidays.yaml (CN 2024–2026 from the State Council notices).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
import yaml

from alerts.deadlines import (
    DEFAULT_RULES_FILE,
    Deadline,
    EventRef,
    Period,
    add_period,
    application_kind,
    compute,
    due_within,
    load_holidays,
    load_rules,
    parse_period,
    with_trigger,
)
from crawlers.items import PatentEvent

D = dt.date.fromisoformat
RULES = load_rules(include_disabled=True)
BY_ID = {r.id: r for r in RULES}
HOLIDAYS = load_holidays()


def event(app: str, code: str, date: str | None, delivery: str | None = None) -> PatentEvent:
    return PatentEvent(
        source="test",
        office=app[:2],
        application=app,
        code=code,
        date=D(date) if date else None,
        text="",
        kind="notice",
        metadata={"delivery": delivery} if delivery else {},
    )


@dataclass
class Case:
    rule: str
    name: str
    app: str
    today: str
    # (trigger_date, start, due, status, closed_by "CODE YYYY-MM-DD", max_extended_due)
    want: list[tuple[str, str, str | None, str, str | None, str | None]]
    events: list[tuple[str, ...]] = field(default_factory=list)  # (code, date[, delivery])
    dates: dict[str, str] = field(default_factory=dict)
    kind: str | None = None
    trigger: tuple[str, ...] = ()  # codes for rules shipped without known trigger codes


# fmt: off
CASES = [
    # ------------------------------------------------------------------ CNIPA
    Case(
        # e-notice dated 2024-01-19, before the 2024-01-20 cut-over: +15 → start 2024-02-03;
        # + 3 months = 2024-05-03, inside 劳动节 (May 1–5) → Monday 2024-05-06
        "cn-voluntary-amendment-invention", "e-notice before cut-over gets +15 days", "CN202310012345",
        today="2024-04-01", events=[("210307", "2024-01-19", "electronic")],
        want=[("2024-01-19", "2024-02-03", "2024-05-06", "open", None, None)],
    ),
    Case(
        # e-notice dated on the cut-over day: served that day; 2024-01-20 + 3 months = 2024-04-20 (Sat) → Mon 04-22
        "cn-voluntary-amendment-invention", "e-notice on the cut-over day: no +15", "CN202310012345",
        today="2024-02-01", events=[("210307", "2024-01-20", "electronic")],
        want=[("2024-01-20", "2024-01-20", "2024-04-22", "open", None, None)],
    ),
    Case(
        # paper notice after the cut-over: 2024-03-01 + 15 = 03-16; + 3 months = 06-16 (Sun) → Mon 06-17
        "cn-voluntary-amendment-invention", "paper notice after cut-over gets +15 days", "CN202310012345",
        today="2024-03-20", events=[("210308", "2024-03-01", "paper")],
        want=[("2024-03-01", "2024-03-16", "2024-06-17", "open", None, None)],
    ),
    Case(
        # delivery not given → electronic: 2024-07-01 + 3 months = 2024-10-01, 国庆节 Oct 1–7 → Tue 10-08;
        # an optional window nobody used lapses to "ended", not "overdue"
        "cn-voluntary-amendment-invention", "National Day roll-over, then lapsed", "CN202310012345",
        today="2024-11-01", events=[("210307", "2024-07-01")],
        want=[("2024-07-01", "2024-07-01", "2024-10-08", "ended", None, None)],
    ),
    Case(
        # 2024-07-12 + 3 months = 2024-10-12, a Saturday worked (国庆节调休): no roll-over
        "cn-voluntary-amendment-invention", "调休 Saturday is a working day", "CN202310012345",
        today="2024-08-01", events=[("210307", "2024-07-12", "electronic")],
        want=[("2024-07-12", "2024-07-12", "2024-10-12", "open", None, None)],
    ),
    Case(
        # utility-model application (kind digit 2): the invention rule does not apply
        "cn-voluntary-amendment-invention", "not for utility models", "CN202320012345",
        today="2024-08-01", events=[("210307", "2024-07-12", "electronic")], want=[],
    ),
    Case(
        # PCT invention (kind digit 8): 2025-06-10 + 3 months = 2025-09-10 (Wed)
        "cn-translation-correction-pct", "PCT national-phase invention", "CN202480012345",
        today="2025-07-01", events=[("210307", "2025-06-10", "electronic")],
        want=[("2025-06-10", "2025-06-10", "2025-09-10", "open", None, None)],
    ),
    Case(
        "cn-translation-correction-pct", "not for direct inventions", "CN202410012345",
        today="2025-07-01", events=[("210307", "2025-06-10", "electronic")], want=[],
    ),
    Case(
        # utility model filed 2024-11-30 + 2 months = 2025-01-30, inside 春节 (Jan 28–Feb 4) → Wed 02-05
        "cn-voluntary-amendment-utility-design", "Spring Festival roll-over", "CN202420012345",
        today="2024-12-15", dates={"filing_date": "2024-11-30"},
        want=[("2024-11-30", "2024-11-30", "2025-02-05", "open", None, None)],
    ),
    Case(
        # design filed 2024-12-31 + 2 months: February 2025 has no 31st → 2025-02-28 (Fri)
        "cn-voluntary-amendment-utility-design", "month end, common year", "CN202430012345",
        today="2025-01-10", dates={"filing_date": "2024-12-31"},
        want=[("2024-12-31", "2024-12-31", "2025-02-28", "open", None, None)],
    ),
    Case(
        # PCT utility model entered 2023-12-31 + 2 months: leap February → 2024-02-29 (Thu)
        "cn-voluntary-amendment-pct-utility", "month end, leap year", "CN202390012345",
        today="2024-01-15", dates={"national_entry_date": "2023-12-31"},
        want=[("2023-12-31", "2023-12-31", "2024-02-29", "open", None, None)],
    ),
    Case(
        # first OA 2024-09-02 + 4 months = 2025-01-02 (Thu, 元旦 is only Jan 1); max: + 6 months =
        # 2025-03-02 (Sun) → 03-03; superseded by the second OA of 2024-12-20
        "cn-oa-response-first", "superseded by a new OA", "CN202410012345",
        today="2025-03-01",
        events=[("210401", "2024-09-02", "electronic"), ("210403", "2024-12-20", "electronic")],
        want=[("2024-09-02", "2024-09-02", "2025-01-02", "superseded", "210403 2024-12-20", "2025-03-03")],
    ),
    Case(
        # 2025-03-10 + 4 months = 2025-07-10 (Thu); max + 6 months = 2025-09-10 (Wed); grant notice ends it
        "cn-oa-response-first", "ended by the grant notice", "CN202410012345",
        today="2025-06-01",
        events=[("210401", "2025-03-10", "electronic"), ("210413", "2025-05-06", "electronic")],
        want=[("2025-03-10", "2025-03-10", "2025-07-10", "ended", "210413 2025-05-06", "2025-09-10")],
    ),
    Case(
        # second OA 2024-12-20 + 2 months = 2025-02-20 (Thu); max + 4 months = 2025-04-20 (Sun) → 04-21;
        # no reply code known, so on 2025-03-01 it is overdue
        "cn-oa-response-later", "overdue", "CN202410012345",
        today="2025-03-01",
        events=[("210401", "2024-09-02", "electronic"), ("210403", "2024-12-20", "electronic")],
        want=[("2024-12-20", "2024-12-20", "2025-02-20", "overdue", None, "2025-04-21")],
    ),
    Case(
        # priority 2023-02-28 + 3 years = 2026-02-28, a Saturday worked (春节调休 2026) → stays
        "cn-examination-request", "from priority; 调休 Saturday", "CN202410012345",
        today="2026-01-10", dates={"priority_date": "2023-02-28", "filing_date": "2024-02-27"},
        want=[("2023-02-28", "2023-02-28", "2026-02-28", "open", None, None)],
    ),
    Case(
        "cn-examination-request", "closed by the notice of entry into examination", "CN202410012345",
        today="2026-01-10", dates={"priority_date": "2023-02-28", "filing_date": "2024-02-27"},
        events=[("210307", "2024-05-06", "electronic")],
        want=[("2023-02-28", "2023-02-28", "2026-02-28", "closed", "210307 2024-05-06", None)],
    ),
    Case(
        # no priority: filing 2024-02-29 + 3 years = 2027-02-28 (Sun; Feb 2027 has no 29th) → Mon 03-01
        "cn-examination-request", "from filing; leap day", "CN202410012346",
        today="2026-11-21", dates={"filing_date": "2024-02-29"},
        want=[("2024-02-29", "2024-02-29", "2027-03-01", "open", None, None)],
    ),
    Case(
        # grant notice + 办理登记手续通知书 the same day: one deadline; 2025-06-16 + 2 months = 08-16 (Sat) → 08-18
        "cn-divisional", "last divisional date lapses", "CN202410012345",
        today="2025-09-01",
        events=[("210413", "2025-06-16", "electronic"), ("200602", "2025-06-16", "electronic")],
        want=[("2025-06-16", "2025-06-16", "2025-08-18", "ended", None, None)],
    ),
    Case(
        "cn-registration", "closed by the grant announcement", "CN202410012345",
        today="2025-09-01",
        events=[("210413", "2025-06-16", "electronic"), ("200602", "2025-06-16", "electronic"), ("GR01", "2025-07-25")],
        want=[("2025-06-16", "2025-06-16", "2025-08-18", "closed", "GR01 2025-07-25", None)],
    ),
    Case(
        # filing 2018-03-15, granted 2021-06-01. On 2026-04-01: year-9 annuity due 2026-03-15 (8th
        # anniversary, Sun) → 03-16, grace 2026-03-15 + 6 months = 09-15 → overdue; the year-10 one
        # (2027-03-15, Mon; grace 2027-09-15 = 中秋节 2027 → 09-16) opens 2026-12-15, the last listed
        "cn-annuity", "in grace, and the next one", "CN201810012345",
        today="2026-04-01", dates={"filing_date": "2018-03-15", "grant_date": "2021-06-01"},
        want=[
            ("2018-03-15", "2018-03-15", "2026-03-16", "overdue", None, "2026-09-15"),
            ("2018-03-15", "2018-03-15", "2027-03-15", "open", None, "2027-09-16"),
        ],
    ),
    Case(
        "cn-annuity", "not before grant", "CN201810012345",
        today="2020-04-01", dates={"filing_date": "2018-03-15"}, want=[],
    ),
    Case(
        # rejection e-notice 2023-12-29, before the cut-over: +15 = 2024-01-13; + 3 months = 04-13 (Sat) → 04-15
        "cn-reexamination", "before cut-over, overdue", "CN202110012345",
        today="2024-05-01", events=[("210407", "2023-12-29", "electronic")],
        want=[("2023-12-29", "2024-01-13", "2024-04-15", "overdue", None, None)],
    ),
    Case(
        # deemed withdrawn, paper: 2025-09-20 + 15 = 10-05; + 2 months = 2025-12-05 (Fri)
        "cn-restoration", "paper notice", "CN202110012345",
        today="2025-11-01", events=[("200022", "2025-09-20", "paper")],
        want=[("2025-09-20", "2025-10-05", "2025-12-05", "open", None, None)],
    ),
    Case(
        # grant announced 2025-07-31 + 3 months = 2025-10-31 (Fri)
        "cn-patent-term-adjustment", "from the grant date", "CN201910012345",
        today="2025-08-01", dates={"grant_date": "2025-07-31"},
        want=[("2025-07-31", "2025-07-31", "2025-10-31", "open", None, None)],
    ),
    Case(
        # PCT priority 2023-08-31 + 30 months = 2026-02-28 (Sat worked, 春节调休) → stays; + 32 months
        # = 2026-04-30 (Thu)
        "cn-pct-national-entry", "30 months, 32 with grace fee", "WO2024CN123456",
        today="2026-01-05", dates={"priority_date": "2023-08-31"},
        want=[("2023-08-31", "2023-08-31", "2026-02-28", "open", None, "2026-04-30")],
    ),
    # ------------------------------------------------------------------ EPO
    Case(
        # Bulletin mention 2024-08-31 + 6 months = 2025-02-28 (Fri); examination requested 2024-12-02
        "ep-examination-request", "closed by the request", "EP23150001",
        today="2025-01-01", dates={"search_report_mention_date": "2024-08-31"},
        events=[("0009171", "2024-12-02")],
        want=[("2024-08-31", "2024-08-31", "2025-02-28", "closed", "0009171 2024-12-02", None)],
    ),
    Case(
        # dated 2023-10-25, before 2023-11-01: 10-day rule → 11-04; + 6 months = 2024-05-04 (Sat) → 05-06
        "ep-r161-162", "10-day rule before 2023-11-01", "EP22150001",
        today="2024-03-01", events=[("R161", "2023-10-25")], trigger=("R161",),
        want=[("2023-10-25", "2023-11-04", "2024-05-06", "open", None, None)],
    ),
    Case(
        # dated 2023-11-01: notified that day; + 6 months = 2024-05-01 (Wed; EPO closing days not loaded)
        "ep-r161-162", "no 10-day rule from 2023-11-01", "EP22150001",
        today="2024-03-01", events=[("R161", "2023-11-01")], trigger=("R161",),
        want=[("2023-11-01", "2023-11-01", "2024-05-01", "open", None, None)],
    ),
    Case(
        # 0009185 2024-01-31 + 4 months = 2024-05-31 (Fri), superseded by EXRE 2024-09-10;
        # EXRE 2024-09-10 + 4 months = 2025-01-10 (Fri), ended by the intention to grant 2024-12-01
        "ep-art94-3-response", "superseded, then ended by R.71(3)", "EP21150001",
        today="2025-02-01",
        events=[("0009185", "2024-01-31"), ("EXRE", "2024-09-10"), ("IGRA", "2024-12-01")],
        want=[
            ("2024-01-31", "2024-01-31", "2024-05-31", "superseded", "EXRE 2024-09-10", None),
            ("2024-09-10", "2024-09-10", "2025-01-10", "ended", "IGRA 2024-12-01", None),
        ],
    ),
    Case(
        # IGRA 2023-10-20 + 10 days = 10-30; + 4 months: no Feb 30 → 2024-02-29; superseded by the
        # new IGRA 2024-02-01 (no 10-day rule): + 4 months = 06-01 (Sat) → 06-03; grant fees paid
        "ep-r71-3-grant-fees", "10-day rule, supersession, closure", "EP20150001",
        today="2024-08-01",
        events=[("IGRA", "2023-10-20"), ("IGRA", "2024-02-01"), ("0009210", "2024-05-15")],
        want=[
            ("2023-10-20", "2023-10-30", "2024-02-29", "superseded", "IGRA 2024-02-01", None),
            ("2024-02-01", "2024-02-01", "2024-06-03", "closed", "0009210 2024-05-15", None),
        ],
    ),
    Case(
        "ep-divisional", "open while pending (no due date)", "EP20150002",
        today="2026-11-21", dates={"filing_date": "2020-03-02"},
        want=[("2020-03-02", "2020-03-02", None, "open", None, None)],
    ),
    Case(
        "ep-divisional", "ended by the mention of grant", "EP20150002",
        today="2026-11-21", dates={"filing_date": "2020-03-02"}, events=[("0009210", "2024-07-17")],
        want=[("2020-03-02", "2020-03-02", None, "ended", "0009210 2024-07-17", None)],
    ),
    Case(
        "ep-divisional", "ended by the grant date", "EP20150002",
        today="2026-11-21", dates={"filing_date": "2020-03-02", "grant_date": "2025-01-15"},
        want=[("2020-03-02", "2020-03-02", None, "ended", "grant_date 2025-01-15", None)],
    ),
    Case(
        # filing 2015-01-08. Year 13: 12th anniversary 2027-01-08 → end of month 01-31 (Sun) → 02-01;
        # grace 2027-01-31 + 6 months = 07-31 (Sat) → 08-02; opened 2026-10-31 and paid 2026-11-03.
        # Year 14: 2028-01-31 (Mon), grace 2028-07-31 (Mon), opens 2027-10-31: the last one listed
        "ep-renewal-fee", "end of month, paid, next", "EP15150001",
        today="2026-11-21", dates={"filing_date": "2015-01-08"}, events=[("RFEE", "2026-11-03")],
        want=[
            ("2015-01-08", "2015-01-08", "2027-02-01", "closed", "RFEE 2026-11-03", "2027-08-02"),
            ("2015-01-08", "2015-01-08", "2028-01-31", "open", None, "2028-07-31"),
        ],
    ),
    Case(
        # priority 2023-05-31 + 31 months = 2025-12-31 (Wed)
        "ep-euro-pct-entry", "31 months", "WO2023JP000123",
        today="2025-06-01", dates={"priority_date": "2023-05-31"},
        want=[("2023-05-31", "2023-05-31", "2025-12-31", "open", None, None)],
    ),
    # ------------------------------------------------------------------ USPTO
    Case(
        # filed 2024-11-30 + 3 months: no Feb 30 → 2025-02-28 (Fri); the first action ends it
        "us-preliminary-amendment", "ended by the first action", "US18000001",
        today="2025-03-01", dates={"filing_date": "2024-11-30"}, events=[("CTNF", "2025-02-10")],
        want=[("2024-11-30", "2024-11-30", "2025-02-28", "ended", "CTNF 2025-02-10", None)],
    ),
    Case(
        # national stage 2024-08-31 + 3 months = 2024-11-30 (Sat) → Mon 12-02
        "us-preliminary-amendment-national-stage", "weekend roll-over", "US18000002",
        today="2024-09-10", dates={"national_entry_date": "2024-08-31"},
        want=[("2024-08-31", "2024-08-31", "2024-12-02", "open", None, None)],
    ),
    Case(
        # CTNF recorded 2024-02-28 + 3 months = 05-28 (Tue), max + 6 months = 08-28; replaced by the
        # mailing MCTNF 2024-03-14: + 3 months = 06-14 (Fri), + 6 months = 09-14 (Sat) → 09-16; reply A...
        "us-ctnf-response", "mailing supersedes, reply closes, 6-month cap", "US17000001",
        today="2024-08-01",
        events=[("CTNF", "2024-02-28"), ("MCTNF", "2024-03-14"), ("A...", "2024-07-01")],
        want=[
            ("2024-02-28", "2024-02-28", "2024-05-28", "superseded", "MCTNF 2024-03-14", "2024-08-28"),
            ("2024-03-14", "2024-03-14", "2024-06-14", "closed", "A... 2024-07-01", "2024-09-16"),
        ],
    ),
    Case(
        # 2024-04-04 + 3 months = 2024-07-04, Independence Day → Fri 07-05; + 6 months = 10-04 (Fri)
        "us-ctnf-response", "federal holiday, overdue", "US17000002",
        today="2024-07-20", events=[("CTNF", "2024-04-04")],
        want=[("2024-04-04", "2024-04-04", "2024-07-05", "overdue", None, "2024-10-04")],
    ),
    Case(
        # 2025-08-27 + 3 months = 2025-11-27, Thanksgiving → Fri 11-28; + 6 months = 2026-02-27 (Fri); RCE
        "us-ctfr-response", "Thanksgiving roll-over, closed by RCE", "US17000003",
        today="2026-01-05", events=[("CTFR", "2025-08-27"), ("RCEX", "2025-12-15")],
        want=[("2025-08-27", "2025-08-27", "2025-11-28", "closed", "RCEX 2025-12-15", "2026-02-27")],
    ),
    Case(
        "us-continuation", "open until issue (no due date)", "US16123456",
        today="2023-06-01", dates={"filing_date": "2016-09-02"}, events=[("NOA", "2023-05-18")],
        want=[("2016-09-02", "2016-09-02", None, "open", None, None)],
    ),
    Case(
        "us-continuation", "ended when the patent issues", "US16123456",
        today="2026-11-21", dates={"filing_date": "2016-09-02"},
        events=[("NOA", "2023-05-18"), ("IFEE", "2023-08-16"), ("EGRANT.NTF", "2023-09-19")],
        want=[("2016-09-02", "2016-09-02", None, "ended", "EGRANT.NTF 2023-09-19", None)],
    ),
    Case(
        "us-continuation", "ended by abandonment", "US16123457",
        today="2026-11-21", dates={"filing_date": "2016-09-02"}, events=[("ABN2", "2018-10-02")],
        want=[("2016-09-02", "2016-09-02", None, "ended", "ABN2 2018-10-02", None)],
    ),
    Case(
        # NOA 2025-04-04 + 3 months = 2025-07-04, Independence Day → Mon 07-07 (Sat/Sun between); paid
        "us-issue-fee", "holiday roll-over, paid", "US17000004",
        today="2025-08-01", events=[("NOA", "2025-04-04"), ("IFEE", "2025-06-30")],
        want=[("2025-04-04", "2025-04-04", "2025-07-07", "closed", "IFEE 2025-06-30", None)],
    ),
    Case(
        # granted 2022-03-01 + 3 years 6 months = 2025-09-01, Labor Day → Tue 09-02;
        # grace to + 4 years = 2026-03-01 (Sun) → 03-02
        "us-maintenance-fee-3.5", "Labor Day roll-over", "US11000001", kind="utility",
        today="2025-06-01", dates={"grant_date": "2022-03-01"},
        want=[("2022-03-01", "2022-03-01", "2025-09-02", "open", None, "2026-03-02")],
    ),
    Case(
        "us-maintenance-fee-3.5", "none for design patents", "US29000001", kind="design",
        today="2025-06-01", dates={"grant_date": "2022-03-01"}, want=[],
    ),
    Case(
        # granted 2018-08-28 + 7 years 6 months = 2026-02-28 (Sat) → Mon 03-02; grace + 8 years = 2026-08-28
        "us-maintenance-fee-7.5", "overdue, in grace", "US10000001", kind="utility",
        today="2026-03-10", dates={"grant_date": "2018-08-28"},
        want=[("2018-08-28", "2018-08-28", "2026-03-02", "overdue", None, "2026-08-28")],
    ),
    Case(
        # granted 2015-05-26 + 11 years 6 months = 2026-11-26, Thanksgiving → Fri 11-27; + 12 years = 2027-05-26
        "us-maintenance-fee-11.5", "Thanksgiving roll-over", "US9000001", kind="utility",
        today="2026-11-21", dates={"grant_date": "2015-05-26"},
        want=[("2015-05-26", "2015-05-26", "2026-11-27", "open", None, "2027-05-26")],
    ),
    # ------------------------------------------------------------------ JPO
    Case(
        # 2025-01-31 + 3 months: no Apr 31 → 2025-04-30 (Wed); + 6 months = 2025-07-31 (Thu)
        "jp-oa-response-foreign", "3 months, extendable to 6", "JP2023000001",
        today="2025-02-01", events=[("JPNRR", "2025-01-31")], trigger=("JPNRR",),
        want=[("2025-01-31", "2025-01-31", "2025-04-30", "open", None, "2025-07-31")],
    ),
    Case(
        # 2025-01-31 + 60 days: Feb 28 is +28, Mar 31 is +59 → 2025-04-01 (Tue)
        "jp-oa-response-domestic", "60 days", "JP2023000002",
        today="2025-02-01", events=[("JPNRR", "2025-01-31")], trigger=("JPNRR",),
        want=[("2025-01-31", "2025-01-31", "2025-04-01", "open", None, None)],
    ),
    Case(
        # 2025-06-30 + 4 months = 2025-10-30 (Thu)
        "jp-appeal-refusal", "4 months", "JP2023000003",
        today="2025-07-01", events=[("JPREF", "2025-06-30")], trigger=("JPREF",),
        want=[("2025-06-30", "2025-06-30", "2025-10-30", "open", None, None)],
    ),
    Case(
        # shipped disabled (UNVERIFIED); filing 2023-03-31 + 3 years = 2026-03-31 (Tue)
        "jp-examination-request", "placeholder: 3 years", "JP2023000004",
        today="2026-11-21", dates={"filing_date": "2023-03-31"},
        want=[("2023-03-31", "2023-03-31", "2026-03-31", "overdue", None, None)],
    ),
    # ------------------------------------------------------------------ KIPO
    Case(
        "kr-voluntary-amendment", "open while pending", "KR1020240012345",
        today="2025-06-01", dates={"filing_date": "2024-05-02"},
        want=[("2024-05-02", "2024-05-02", None, "open", None, None)],
    ),
    Case(
        "kr-voluntary-amendment", "ended at grant", "KR1020240012345",
        today="2026-06-01", dates={"filing_date": "2024-05-02", "grant_date": "2026-01-15"},
        want=[("2024-05-02", "2024-05-02", None, "ended", "grant_date 2026-01-15", None)],
    ),
    Case(
        # notice 2025-07-11 (first day of the 4-month regime) + 4 months = 2025-11-11 (Tue); + 8 months = 2026-03-11
        "kr-oa-response", "4 months from 2025-07-11", "KR1020230012345",
        today="2025-08-01", events=[("KROA", "2025-07-11")], trigger=("KROA",),
        want=[("2025-07-11", "2025-07-11", "2025-11-11", "open", None, "2026-03-11")],
    ),
    Case(
        "kr-oa-response", "not for notices before 2025-07-11", "KR1020230012345",
        today="2025-08-01", events=[("KROA", "2025-07-10")], trigger=("KROA",), want=[],
    ),
    Case(
        # notice 2025-07-10 + 2 months = 2025-09-10 (Wed)
        "kr-oa-response-before-2025-07-11", "2 months before the change", "KR1020230012345",
        today="2025-08-01", events=[("KROA", "2025-07-10")], trigger=("KROA",),
        want=[("2025-07-10", "2025-07-10", "2025-09-10", "open", None, None)],
    ),
    Case(
        # shipped disabled; filing 2024-02-29 + 3 years = 2027-02-28 (Sun) → 2027-03-01
        "kr-examination-request", "placeholder: 3 years", "KR1020240012346",
        today="2026-11-21", dates={"filing_date": "2024-02-29"},
        want=[("2024-02-29", "2024-02-29", "2027-03-01", "open", None, None)],
    ),
    # ------------------------------------------------------------------ PCT
    Case(
        # ISR 2024-11-20 + 2 months = 2025-01-20 (Mon) is later than priority 2023-08-15 + 16 months = 2024-12-15
        "pct-art19-amendment", "2 months from the ISR is later", "WO2024CN000001",
        today="2024-12-01", dates={"priority_date": "2023-08-15"}, events=[("ISR", "2024-11-20")],
        want=[("2024-11-20", "2024-11-20", "2025-01-20", "open", None, None)],
    ),
    Case(
        # ISR 2024-05-10 + 2 months = 07-10; priority 2024-01-31 + 16 months = 2025-05-31 (Sat, later)
        # → Mon 06-02; international publication ends it
        "pct-art19-amendment", "16 months from priority is later", "WO2024CN000002",
        today="2025-09-01", dates={"priority_date": "2024-01-31"},
        events=[("ISR", "2024-05-10"), ("PAMPH", "2025-08-01")],
        want=[("2024-05-10", "2024-05-10", "2025-06-02", "ended", "PAMPH 2025-08-01", None)],
    ),
    Case(
        # ISR and WOSA on one day: one deadline. 2024-11-20 + 3 months = 2025-02-20; priority
        # 2023-08-15 + 22 months = 2025-06-15 (Sun, later) → Mon 06-16
        "pct-chapter2-demand", "22 months from priority is later", "WO2024CN000001",
        today="2025-01-01", dates={"priority_date": "2023-08-15"},
        events=[("ISR", "2024-11-20"), ("WOSA", "2024-11-20")],
        want=[("2024-11-20", "2024-11-20", "2025-06-16", "open", None, None)],
    ),
    Case(
        # priority 2024-02-29 + 30 months = 2026-08-29 (Sat) → Mon 08-31
        "pct-national-phase", "30 months", "WO2024CN000003",
        today="2026-01-01", dates={"priority_date": "2024-02-29"},
        want=[("2024-02-29", "2024-02-29", "2026-08-31", "open", None, None)],
    ),
]
# fmt: on


def _run(case: Case) -> list[Deadline]:
    rule = BY_ID[case.rule]
    if case.trigger:
        rule = with_trigger(rule, *case.trigger)
    events = [event(case.app, *e) for e in case.events]
    dates = {case.app: {k: D(v) for k, v in case.dates.items()}} if case.dates else None
    kinds = {case.app: case.kind} if case.kind else None
    got = compute(
        events, [rule], HOLIDAYS, application_dates=dates, today=D(case.today), application_kinds=kinds
    )
    assert all(d.rule_id == case.rule and d.application == case.app for d in got)
    return got


def _row(d: Deadline) -> tuple[str, str, str | None, str, str | None, str | None]:
    return (
        d.trigger_date.isoformat(),
        d.start.isoformat(),
        d.due.isoformat() if d.due else None,
        d.status,
        str(d.closed_by) if d.closed_by else None,
        d.max_extended_due.isoformat() if d.max_extended_due else None,
    )


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}: {c.name}" for c in CASES])
def test_rule(case: Case) -> None:
    assert [_row(d) for d in _run(case)] == case.want


def test_every_shipped_rule_has_a_hand_computed_case() -> None:
    shipped = {r["id"] for r in yaml.safe_load(DEFAULT_RULES_FILE.read_text(encoding="utf-8"))["rules"]}
    with_dates = {c.rule for c in CASES if c.want}
    assert shipped == set(BY_ID)
    assert shipped - with_dates == set()
    assert {c.rule for c in CASES} <= shipped


def test_rules_shipped_without_trigger_codes_never_fire_as_shipped() -> None:
    untriggered = [r for r in RULES if not r.trigger]
    assert {r.id for r in untriggered} == {
        "ep-r161-162",
        "jp-oa-response-foreign",
        "jp-oa-response-domestic",
        "jp-appeal-refusal",
        "kr-oa-response",
        "kr-oa-response-before-2025-07-11",
    }
    events = [event("EP22150001", "R161", "2024-01-10"), event("JP2023000001", "JPNRR", "2025-01-31")]
    assert compute(events, untriggered, HOLIDAYS, today=D("2025-02-01")) == []


def test_verified_flags_follow_the_sources() -> None:
    unverified = {r.id for r in RULES if not r.verified}
    assert unverified == {
        "cn-oa-response-first",
        "cn-oa-response-later",
        "cn-reexamination",
        "ep-art94-3-response",
        "ep-r71-3-grant-fees",
        "us-ctnf-response",
        "us-ctfr-response",
        "jp-appeal-refusal",
        "jp-examination-request",
        "kr-oa-response",
        "kr-oa-response-before-2025-07-11",
        "kr-examination-request",
        "pct-national-phase",
    }
    for rule in RULES:
        if not rule.verified:
            assert "UNVERIFIED" in rule.note or "UNVERIFIED" in rule.legal_basis, rule.id


def test_disabled_placeholders_are_not_loaded_by_default() -> None:
    ids = {r.id for r in load_rules()}
    assert "jp-examination-request" not in ids
    assert "kr-examination-request" not in ids
    assert "cn-oa-response-first" in ids


def test_notes_explain_service_and_roll_over() -> None:
    [d] = _run(next(c for c in CASES if c.name == "e-notice before cut-over gets +15 days"))
    assert "dated before 2024-01-20: served 15 days after it" in d.note
    assert "due date 2024-05-03 falls on 劳动节 Labour Day (CN holiday): moved to 2024-05-06" in d.note
    [d] = _run(next(c for c in CASES if c.name == "National Day roll-over, then lapsed"))
    assert "delivery not given: taken as electronic" in d.note
    [d] = _run(next(c for c in CASES if c.rule == "kr-examination-request"))
    assert "KR calendar has weekends only" in d.note
    [d] = _run(next(c for c in CASES if c.name == "from filing; leap day"))
    assert "CN holidays for 2027 UNVERIFIED" in d.note


def test_unknown_kind_is_flagged_not_dropped() -> None:
    rule = BY_ID["us-maintenance-fee-3.5"]
    dates = {"US11000001": {"grant_date": D("2022-03-01")}}
    [d] = compute([], [rule], HOLIDAYS, application_dates=dates, today=D("2025-06-01"))
    assert "application kind unknown" in d.note


@pytest.mark.parametrize(
    ("application", "kind"),
    [
        ("CN202410012345", "invention"),
        ("CN202420012345", "utility"),
        ("CN202430012345", "design"),
        ("CN202480012345", "pct-invention"),
        ("CN202490012345", "pct-utility"),
        ("CN2006802116", "pct-invention"),  # pre-2004 format: YY + kind + serial (ETSI export)
        ("CN98123456.7", "invention"),
        ("EP20060711571", None),
        ("CN12", None),
    ],
)
def test_application_kind(application: str, kind: str | None) -> None:
    assert application_kind(application) == kind


def test_events_in_any_order_give_the_same_deadlines() -> None:
    events = [
        event("CN202410012345", "210307", "2024-07-01", "electronic"),
        event("CN202410012345", "210401", "2024-09-02", "electronic"),
        event("CN202410012345", "210403", "2024-12-20", "electronic"),
        event("CN202410012345", "210413", "2025-06-16", "electronic"),
        event("CN202410012345", "GR01", "2025-07-25"),
        event("CN202410012345", "XXXX", None),
        event("US17000001", "CTNF", "2024-02-28"),
        event("US17000001", "MCTNF", "2024-03-14"),
        event("US17000001", "A...", "2024-07-01"),
    ]
    dates = {"CN202410012345": {"filing_date": D("2024-01-31")}}
    expected = compute(events, RULES, HOLIDAYS, application_dates=dates, today=D("2025-08-01"))
    assert len(expected) >= 8
    rng = random.Random(7)
    for _ in range(5):
        shuffled = events[:]
        rng.shuffle(shuffled)
        assert compute(shuffled, RULES, HOLIDAYS, application_dates=dates, today=D("2025-08-01")) == expected


def test_future_events_do_not_change_status_yet() -> None:
    events = [event("US17000001", "CTNF", "2024-04-04"), event("US17000001", "A...", "2024-06-20")]
    [before] = compute(events, [BY_ID["us-ctnf-response"]], HOLIDAYS, today=D("2024-06-01"))
    [after] = compute(events, [BY_ID["us-ctnf-response"]], HOLIDAYS, today=D("2024-06-20"))
    assert (before.status, before.closed_by) == ("open", None)
    assert (after.status, after.closed_by) == ("closed", EventRef("A...", D("2024-06-20")))


def test_due_within() -> None:
    events = [
        event("US17000001", "CTNF", "2024-04-04"),  # due 2024-07-05
        event("US17000002", "NOA", "2024-04-15"),  # due 2024-07-15
        event("US17000003", "CTFR", "2024-03-01"),  # due 2024-06-03 (06-01 Sat): before today
        event("US17000004", "CTNF", "2024-05-20"),  # due 2024-08-20: outside 30 days
    ]
    all_deadlines = compute(events, RULES, HOLIDAYS, today=D("2024-06-20"))
    soon = due_within(all_deadlines, D("2024-06-20"), 30)
    assert [(d.application, d.rule_id, d.due) for d in soon] == [
        ("US17000001", "us-ctnf-response", D("2024-07-05")),
        ("US17000002", "us-issue-fee", D("2024-07-15")),
    ]
    assert [d.status for d in all_deadlines if d.application == "US17000003"] == ["overdue"]


# ---------------------------------------------------------------------------------------------
# Period arithmetic


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        ("2024-01-31", "1 month", "2024-02-29"),  # leap year: Feb 29
        ("2025-01-31", "1 month", "2025-02-28"),  # common year: Feb 28
        ("2024-01-20", "3 months", "2024-04-20"),  # start day not counted: same day number
        ("2024-02-29", "1 year", "2025-02-28"),
        ("2024-02-29", "4 years", "2028-02-29"),
        ("2023-08-31", "6 months", "2024-02-29"),
        ("2024-03-31", "1 month", "2024-04-30"),
        ("2022-03-01", "3 years 6 months", "2025-09-01"),
        ("2024-01-01", "185 days", "2024-07-04"),  # 31+29+31+30+31+30 = 182 → Jul 1, +3
        ("2025-01-31", "60 days", "2025-04-01"),
        ("2024-12-25", "2 weeks", "2025-01-08"),
        ("2024-11-30", "1 month 5 days", "2025-01-04"),  # months first: Dec 30, then 5 days
    ],
)
def test_add_period(start: str, period: str, expected: str) -> None:
    assert add_period(D(start), period) == D(expected)


def test_add_period_end_of_month() -> None:
    assert add_period(D("2015-01-08"), "2 years", end_of_month=True) == D("2017-01-31")
    assert add_period(D("2023-02-10"), "1 year", end_of_month=True) == D("2024-02-29")


@pytest.mark.parametrize("text", ["", "3 moons", "months 3", "0 days", "3", "3 months later", "-1 month"])
def test_parse_period_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a period"):
        parse_period(text)


def test_parse_period_units() -> None:
    assert parse_period("3 years 6 months") == Period(42, 0)
    assert parse_period("185 days") == Period(0, 185)
    assert parse_period("2 weeks") == Period(0, 14)


# ---------------------------------------------------------------------------------------------
# Holidays


@pytest.mark.parametrize(
    ("office", "day", "working"),
    [
        ("CN", "2024-10-01", False),  # 国庆节
        ("CN", "2024-10-08", True),
        ("CN", "2024-10-12", True),  # Saturday worked (调休)
        ("CN", "2024-10-13", False),  # ordinary Sunday
        ("CN", "2024-02-18", True),  # Sunday worked (春节调休)
        ("CN", "2025-01-28", False),  # 除夕 2025 (春节 from 2025 starts on New Year's Eve)
        ("CN", "2026-02-23", False),  # 春节 2026, Monday
        ("CN", "2026-02-28", True),  # Saturday worked
        ("CN", "2027-02-05", False),  # statutory 除夕 2027 (unverified year)
        ("US", "2024-07-04", False),
        ("US", "2025-01-20", False),  # MLK day and Inauguration Day
        ("US", "2025-11-28", True),  # day after Thanksgiving is not a federal holiday
        ("EP", "2024-05-01", True),  # EPO closing days not loaded
        ("EP", "2024-05-04", False),
        ("XX", "2024-05-04", False),  # no calendar: weekends only
        ("XX", "2024-05-03", True),
    ],
)
def test_is_working_day(office: str, day: str, working: bool) -> None:
    assert HOLIDAYS.is_working_day(office, D(day)) is working


@pytest.mark.parametrize(
    ("office", "day", "expected"),
    [
        ("CN", "2024-10-01", "2024-10-08"),
        ("CN", "2024-10-08", "2024-10-08"),
        ("CN", "2025-01-28", "2025-02-05"),
        ("CN", "2026-02-14", "2026-02-14"),  # Saturday worked
        ("CN", "2026-02-15", "2026-02-24"),
        ("US", "2025-11-27", "2025-11-28"),
        ("cn", "2024-05-01", "2024-05-06"),  # office codes are case-insensitive
    ],
)
def test_next_working_day(office: str, day: str, expected: str) -> None:
    assert HOLIDAYS.next_working_day(office, D(day)) == D(expected)


def test_caveats() -> None:
    assert HOLIDAYS.caveat("CN", D("2025-06-01")) is None
    assert "UNVERIFIED" in (HOLIDAYS.caveat("CN", D("2027-06-01")) or "")
    assert HOLIDAYS.caveat("CN", D("2031-06-01")) == "no CN holiday data for 2031: weekends only"
    assert HOLIDAYS.caveat("EP", D("2025-06-01")) == "EP calendar has weekends only"
    assert HOLIDAYS.caveat("XX", D("2025-06-01")) == "no holiday calendar for XX: weekends only"
    assert "UNVERIFIED" in (HOLIDAYS.caveat("US", D("2025-06-01")) or "")


def test_holiday_override_adds_and_replaces(tmp_path: Path) -> None:
    over = tmp_path / "holidays.yaml"
    over.write_text(
        """
calendars:
  CN:
    years:
      2025:
        verified: true
        holidays: [{date: 2025-09-03, name: one-off holiday}]
        working_days: [{date: 2025-10-08, name: made a working day}]
      2027:
        verified: true
        replace: true
        holidays: [{from: 2027-02-05, to: 2027-02-12, name: 春节}]
        working_days: [{date: 2027-02-20, name: 调休}]
  EP:
    years:
      2025:
        verified: true
        holidays: [{date: 2025-05-01, name: Labour Day}]
""",
        encoding="utf-8",
    )
    h = load_holidays(overrides=over)
    assert not h.is_working_day("CN", D("2025-09-03"))
    assert h.is_working_day("CN", D("2025-10-08"))
    assert not h.is_working_day("CN", D("2025-10-07"))  # the rest of the shipped year is kept
    assert not h.is_working_day("CN", D("2027-02-12"))
    assert h.is_working_day("CN", D("2027-02-20"))  # a Saturday worked
    assert h.is_working_day("CN", D("2027-04-05"))  # replaced year: the shipped Qingming day is gone
    assert h.caveat("CN", D("2027-02-12")) is None
    assert not h.is_working_day("EP", D("2025-05-01"))
    assert h.holiday_name("EP", D("2025-05-01")) == "Labour Day"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("calendars: [CN]", "'calendars' must map office codes"),
        (
            "calendars:\n  CN:\n    years:\n      2025:\n        holidays: [{date: '2025-02-30'}]",
            "calendar CN year 2025: field 'holidays'[0].date",
        ),
        (
            "calendars:\n  CN:\n    years:\n      2025:\n        holidays: [{date: 2025-13-01}]",
            "not valid YAML",
        ),
        (
            "calendars:\n  CN:\n    years:\n      2025:\n        verified: yes please",
            "calendar CN year 2025: field 'verified'",
        ),
        ("calendars:\n  CN:\n    weekend: [caturday]", "calendar CN: field 'weekend'"),
        ("calendars:\n  CN:\n    years:\n      twenty: {}", "calendar CN year twenty: not a year"),
        (
            "calendars:\n  CN:\n    years:\n      2025:\n        holidays: [{date: 2025-05-01}]\n        working_days: [{date: 2025-05-01}]",
            "2025-05-01 is both",
        ),
        ("calendars: {CN: {years: {2025: {holidays: [{from: 2025-05-05, to: 2025-05-01}]}}}}", "reversed"),
        ("holidays: []", "unknown top-level key"),
        ("calendars: [unclosed", "not valid YAML"),
    ],
)
def test_malformed_holidays_override(tmp_path: Path, text: str, message: str) -> None:
    over = tmp_path / "bad_holidays.yaml"
    over.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_holidays(overrides=over)
    assert str(over) in str(info.value)
    assert message in str(info.value)


# ---------------------------------------------------------------------------------------------
# Rule overrides


def test_override_replaces_fields_adds_and_removes(tmp_path: Path) -> None:
    over = tmp_path / "rules.yaml"
    over.write_text(
        """
rules:
  - id: cn-oa-response-first
    period: 3 months
    max_extended_period: 5 months
    note: "our agent docketed 3 months"
  - id: cn-reexamination
    enabled: false
  - id: jp-examination-request
    enabled: true
  - id: acme-internal-review
    office: CN
    window: response
    label: "Internal review before the reply is due"
    trigger: ["210401"]
    period: 1 month
    from: receipt
    extendable: "no"
    legal_basis: "company practice"
    verified: false
""",
        encoding="utf-8",
    )
    rules = {r.id: r for r in load_rules(overrides=over)}
    first = rules["cn-oa-response-first"]
    shipped = BY_ID["cn-oa-response-first"]
    assert (first.period, first.max_extended_period, first.note) == (
        "3 months",
        "5 months",
        "our agent docketed 3 months",
    )
    assert (first.trigger, first.superseded_by, first.legal_basis) == (
        shipped.trigger,
        shipped.superseded_by,
        shipped.legal_basis,
    )
    assert "cn-reexamination" not in rules
    assert "jp-examination-request" in rules
    events = [event("CN202410012345", "210401", "2024-09-02", "electronic")]
    got = {d.rule_id: d for d in compute(events, list(rules.values()), HOLIDAYS, today=D("2024-09-03"))}
    # 2024-09-02 + 3 months = 2024-12-02 (Mon); + 5 months = 2025-02-02 (Sun), then 春节 to Feb 4 → 02-05
    assert (got["cn-oa-response-first"].due, got["cn-oa-response-first"].max_extended_due) == (
        D("2024-12-02"),
        D("2025-02-05"),
    )
    # 2024-09-02 + 1 month = 2024-10-02, inside 国庆节 → 2024-10-08
    assert got["acme-internal-review"].due == D("2024-10-08")


def test_override_changes_the_service_rules(tmp_path: Path) -> None:
    over = tmp_path / "rules.yaml"
    over.write_text(
        """
service:
  receipt: {cutover: 2024-01-20, before_cutover_days: 15, paper_days: 15, electronic_days: 0, unknown_delivery: paper}
""",
        encoding="utf-8",
    )
    rule = next(r for r in load_rules(overrides=over) if r.id == "cn-voluntary-amendment-invention")
    [d] = compute([event("CN202410012345", "210307", "2024-07-01")], [rule], HOLIDAYS, today=D("2024-08-01"))
    # unknown delivery now taken as paper: 2024-07-01 + 15 = 07-16; + 3 months = 10-16 (Wed)
    assert (d.start, d.due) == (D("2024-07-16"), D("2024-10-16"))


@pytest.mark.parametrize(
    ("text", "rule_id", "field_name"),
    [
        ("rules:\n  - {id: cn-oa-response-first, period: four months}", "cn-oa-response-first", "period"),
        ("rules:\n  - {id: cn-oa-response-first, trigger: [210401]}", "cn-oa-response-first", "trigger"),
        ("rules:\n  - {id: cn-oa-response-first, perid: 3 months}", "cn-oa-response-first", "perid"),
        ("rules:\n  - {id: cn-oa-response-first, from: post}", "cn-oa-response-first", "from"),
        ("rules:\n  - {id: cn-oa-response-first, verified: 'yes'}", "cn-oa-response-first", "verified"),
        (
            "rules:\n  - {id: cn-oa-response-first, trigger: ['210401', filing_date]}",
            "cn-oa-response-first",
            "trigger",
        ),
        ("rules:\n  - {id: cn-oa-response-first, month_end: sometimes}", "cn-oa-response-first", "month_end"),
        (
            "rules:\n  - {id: cn-oa-response-first, grace_period: 1 month}",
            "cn-oa-response-first",
            "grace_period",
        ),
        ("rules:\n  - {id: cn-oa-response-first, office: China}", "cn-oa-response-first", "office"),
        ("rules:\n  - {id: cn-oa-response-first, enabled: maybe}", "cn-oa-response-first", "enabled"),
        ("rules:\n  - {id: cn-annuity, repeat_count: 0}", "cn-annuity", "repeat_count"),
        ("rules:\n  - {id: cn-examination-request, from: receipt}", "cn-examination-request", "from"),
        ("rules:\n  - {id: ep-divisional, max_extended_period: 2 months}", "ep-divisional", "period"),
        (
            "rules:\n  - {id: pct-art19-amendment, later_of: [{field: priority, period: 16 months}]}",
            "pct-art19-amendment",
            "later_of",
        ),
        ("rules:\n  - {id: kr-oa-response, effective_from: someday}", "kr-oa-response", "effective_from"),
        ("rules:\n  - {id: new-rule, office: CN, window: response, trigger: []}", "new-rule", "legal_basis"),
        ("rules:\n  - {id: new-rule, office: CN, trigger: []}", "new-rule", "window"),
        ("rules:\n  - {id: x, enabled: false}\n  - {id: x, enabled: true}", "x", "id"),
        ("rules:\n  - {office: CN}", "#1", "id"),
    ],
)
def test_malformed_override_names_file_rule_and_field(
    tmp_path: Path, text: str, rule_id: str, field_name: str
) -> None:
    over = tmp_path / "my_rules.yaml"
    over.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_rules(overrides=over)
    message = str(info.value)
    assert message.startswith(str(over))
    assert rule_id in message
    assert f"field '{field_name}'" in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: {id: x}", "'rules' must be a list"),
        ("rulez: []", "unknown top-level key"),
        ("- just a list", "top level must be a mapping"),
        ("rules: [unclosed", "not valid YAML"),
        ("service: {receipt: {cutover: 2024-01-20}}", "service 'receipt': field"),
        (
            "service: {notification: {cutover: 2023-11-01, before_cutover_days: 10, paper_days: 0, electronic_days: 0, unknown_delivery: fax}}",
            "unknown_delivery",
        ),
    ],
)
def test_malformed_override_file(tmp_path: Path, text: str, message: str) -> None:
    over = tmp_path / "my_rules.yaml"
    over.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_rules(overrides=over)
    assert str(over) in str(info.value)
    assert message in str(info.value)


def test_missing_override_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ValueError, match=r"nope\.yaml: cannot read"):
        load_rules(overrides=missing)


def test_rule_objects_are_immutable_values() -> None:
    rule = BY_ID["us-issue-fee"]
    assert replace(rule) == rule
    with pytest.raises(AttributeError):
        rule.period = "4 months"  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# What the office data itself says: periods, reply dates, fee years, deadlines as given


def _step(code: str, date: str, **metadata: object) -> PatentEvent:
    return PatentEvent(
        source="epo_ops",
        office="EP",
        application="EP10167109",
        code=code,
        date=D(date),
        text=code,
        kind="procedural-step",
        metadata=dict(metadata),
    )


def test_period_and_reply_date_carried_by_the_register_step() -> None:
    exre = _step(
        "EXRE",
        "2024-03-15",
        time_limit={"value": 6, "unit": "months"},
        dates={"DATE_OF_DISPATCH": "2024-03-15", "DATE_OF_REPLY": "2024-08-24"},
    )
    [before, after] = [
        compute([exre], [BY_ID["ep-art94-3-response"]], HOLIDAYS, today=D(today))[0]
        for today in ("2024-08-01", "2024-09-01")
    ]
    # 2024-03-15 + 6 months (the communication's own period, not the default 4) = 2024-09-15 (Sun) → 09-16
    assert (before.due, before.status) == (D("2024-09-16"), "open")
    assert "period 6 months as set in the communication" in before.note
    assert (after.status, after.closed_by) == ("closed", EventRef("DATE_OF_REPLY", D("2024-08-24")))


def test_grant_fee_paid_on_the_igra_step_closes_r71_3() -> None:
    igra = _step(
        "IGRA", "2024-06-27", dates={"DATE_OF_DISPATCH": "2024-06-27", "GRANT_FEE_PAID": "2024-10-16"}
    )
    [d] = compute([igra], [BY_ID["ep-r71-3-grant-fees"]], HOLIDAYS, today=D("2024-11-01"))
    # 2024-06-27 + 4 months = 2024-10-27 (Sun) → 10-28
    assert (d.due, d.status, d.closed_by) == (
        D("2024-10-28"),
        "closed",
        EventRef("GRANT_FEE_PAID", D("2024-10-16")),
    )


def test_renewal_fee_payment_counts_for_the_year_it_names() -> None:
    rule = BY_ID["ep-renewal-fee"]
    dates = {"EP10167109": {"filing_date": D("2010-06-16")}}
    # year 17 is due 2026-06-30 (16th anniversary → end of June), grace 2026-12-31; year 18 due 2027-06-30.
    # A payment dated in year 17's window but naming year 18 (paid early) must not close year 17.
    early = _step("RFEE", "2026-07-10", fee_year=18, dates={"DATE_OF_PAYMENT": "2026-07-10"})
    got = compute([early], [rule], HOLIDAYS, application_dates=dates, today=D("2026-11-21"))
    assert [(d.label, d.due, d.status, d.closed_by) for d in got] == [
        ("Renewal fee (year 17)", D("2026-06-30"), "overdue", None),
        ("Renewal fee (year 18)", D("2027-06-30"), "closed", EventRef("RFEE", D("2026-07-10"))),
    ]
    late = _step("RFEE", "2026-08-03", fee_year=17)
    got = compute([late], [rule], HOLIDAYS, application_dates=dates, today=D("2026-11-21"))
    assert [(d.status, d.closed_by) for d in got] == [
        ("closed", EventRef("RFEE", D("2026-08-03"))),
        ("open", None),
    ]


def test_a_deadline_given_by_the_source_is_cross_checked() -> None:
    notice = PatentEvent(
        source="cnipa_import",
        office="CN",
        application="CN202410012345",
        code="210401",
        date=D("2024-09-02"),
        text="第一次审查意见通知书",
        kind="notice",
        metadata={"delivery": "electronic", "deadline_as_given": "2025-01-17"},
    )
    [d] = compute([notice], [BY_ID["cn-oa-response-first"]], HOLIDAYS, today=D("2024-09-03"))
    assert d.due == D("2025-01-02")
    assert "the source gives the deadline 2025-01-17: check which is right" in d.note


def test_real_register_and_odp_samples() -> None:
    """The shipped rules against what the EPO and USPTO parsers make of the real samples."""
    from crawlers.patents.epo import parse_procedural_steps
    from crawlers.patents.uspto import parse_transactions
    from tests.conftest import realdata

    steps = parse_procedural_steps(
        realdata("epo", "ops_register_procedural_steps_EP2400812_2025.xml").read_bytes(),
        application="EP10167109",
    )
    transactions = parse_transactions(
        realdata("uspto", "odp_transactions.json").read_bytes(), application="US15123456"
    )
    dates = {"US15123456": {"filing_date": D("2016-09-02")}}
    got = compute(
        [*steps, *transactions], load_rules(), HOLIDAYS, application_dates=dates, today=D("2026-11-21")
    )
    rows = [
        (d.application, d.rule_id, d.trigger_code, *_row(d)) for d in got if d.rule_id != "ep-renewal-fee"
    ]
    assert rows == [
        # EXRE dispatched 2017-02-01, before 2023-11-01: +10 days; + 4 months (time-limit 04) = 06-11 (Sun) → 06-12
        (
            "EP10167109",
            "ep-art94-3-response",
            "EXRE",
            "2017-02-01",
            "2017-02-11",
            "2017-06-12",
            "closed",
            "DATE_OF_REPLY 2017-06-01",
            None,
        ),
        # 2018-03-15 + 10 = 03-25; + 6 months (time-limit 06) = 2018-09-25 (Tue)
        (
            "EP10167109",
            "ep-art94-3-response",
            "EXRE",
            "2018-03-15",
            "2018-03-25",
            "2018-09-25",
            "closed",
            "DATE_OF_REPLY 2018-08-24",
            None,
        ),
        # 2019-01-03 + 10 = 01-13; + 4 months = 2019-05-13 (Mon)
        (
            "EP10167109",
            "ep-art94-3-response",
            "EXRE",
            "2019-01-03",
            "2019-01-13",
            "2019-05-13",
            "closed",
            "DATE_OF_REPLY 2019-05-09",
            None,
        ),
        # IGRA 2019-06-27 + 10 = 07-07; + 4 months = 2019-11-07 (Thu); fees paid 2019-10-16
        (
            "EP10167109",
            "ep-r71-3-grant-fees",
            "IGRA",
            "2019-06-27",
            "2019-07-07",
            "2019-11-07",
            "closed",
            "GRANT_FEE_PAID 2019-10-16",
            None,
        ),
        # filed 2016-09-02 + 3 months = 12-02 (Fri); the first action (CTNF 2018-02-28) ends it
        (
            "US15123456",
            "us-preliminary-amendment",
            "filing_date",
            "2016-09-02",
            "2016-09-02",
            "2016-12-02",
            "ended",
            "CTNF 2018-02-28",
            None,
        ),
        # CTNF 2018-02-28 + 3 months = 05-28; replaced by the mailing MCTNF 2018-03-14: + 3 months = 06-14,
        # cap + 6 months = 09-14 (Fri); abandoned for failure to respond (ABN2 2018-10-02)
        (
            "US15123456",
            "us-ctnf-response",
            "CTNF",
            "2018-02-28",
            "2018-02-28",
            "2018-05-28",
            "superseded",
            "MCTNF 2018-03-14",
            "2018-08-28",
        ),
        (
            "US15123456",
            "us-ctnf-response",
            "MCTNF",
            "2018-03-14",
            "2018-03-14",
            "2018-06-14",
            "ended",
            "ABN2 2018-10-02",
            "2018-09-14",
        ),
        (
            "US15123456",
            "us-continuation",
            "filing_date",
            "2016-09-02",
            "2016-09-02",
            None,
            "ended",
            "ABN2 2018-10-02",
            None,
        ),
    ]


def test_a_records_kind_is_made_specific_by_the_cn_number() -> None:
    rule = BY_ID["cn-translation-correction-pct"]
    events = [event("CN202480012345", "210307", "2025-06-10", "electronic")]
    kinds = {"CN202480012345": "invention"}  # what a PatentRecord says
    [d] = compute(events, [rule], HOLIDAYS, today=D("2025-07-01"), application_kinds=kinds)
    assert d.due == D("2025-09-10")
    kinds = {"CN202480012345": "utility"}  # a contradiction: the given kind wins
    assert compute(events, [rule], HOLIDAYS, today=D("2025-07-01"), application_kinds=kinds) == []
