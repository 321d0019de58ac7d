"""Alert rules: which stored events raise alerts, with what substance, about what subject.

Each rule turns one stored event into at most one :class:`~index.alerts.NewAlert` whose dedupe key
names the event (``match:42``, ``drift:7``, ``patent-event:<key>``, ``deadline:…:7d``), and the
:class:`~alerts.routing.Subject` routing needs. The payload carries the substance messages are
rendered from: patent, claim, feature ids and texts, clause numbers, quoted evidence, spec and
version label, normative word, diff excerpt, deadline due date and window, legal basis, source error.

**The linked alert.** A match or drift on a patent (or a family member) that has an open amendment,
divisional, continuation or office-action response window becomes one alert of kind ``linked``:
what reads on the claim (or which mapped clause changed) and the window with the date it closes.
It keeps the dedupe key of the match or drift, so the event raises one alert either way.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import select

from alerts.calendar import own_applications, patent_deadlines
from alerts.deadlines import Deadline, load_rules
from alerts.routing import Subject, group_key, names_patent, spec_key
from config import Settings
from index import patents as patent_store
from index.alerts import NewAlert, alert_exists, crawl_runs
from index.models import ClaimMapRow, Document, DriftRow, MatchRow, Milestone, Patent, PatentEventRow, Version
from index.store import Store

log = logging.getLogger(__name__)

# Windows in which claims can still be shaped to read on the standard: besides amendment, divisional,
# continuation and office-action response windows, the examination request (CN Rule 57(1), JP, KR
# voluntary amendments before the first action; EP with the reply to the search opinion), PCT
# national-phase entry (PCT Art. 28/41) and the JP appeal (amendments filed with it) — see
# ../shared/domain/FACTS.md §1. R.71(3) EPC allows reasoned amendments within its period (R.71(6)).
LINKED_WINDOWS = (
    "amendment",
    "divisional",
    "continuation",
    "response",
    "examination-request",
    "national-phase",
    "appeal",
)
LINKED_RULES = ("ep-r71-3-grant-fees",)
QUOTE_CHARS = 1200
DIFF_CHARS = 2000

Raised = tuple[NewAlert, Subject]


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _cut(text: str | None, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    number: str
    title: str | None
    kind: str
    spec: str | None
    group: str | None
    meeting: str | None
    body: str | None
    version: str | None  # the version label (18.4.0, -05) or None
    seq: int
    date: str | None


class Context:
    """What the rules look up, read once per evaluation: claim maps, patents, deadlines."""

    def __init__(self, store: Store, settings: Settings, today: dt.date) -> None:
        self.store = store
        self.settings = settings
        self.today = today
        self._documents: dict[int, DocumentInfo | None] = {}

    # --- claim maps and the applications they name

    @cached_property
    def claim_maps(self) -> dict[str, ClaimMapRow]:
        with self.store.session() as s:
            return {row.patent: row for row in s.scalars(select(ClaimMapRow))}

    @cached_property
    def _feature_texts(self) -> dict[tuple[str, int, str], str]:
        """Feature texts from the claim map files (the store keeps only a summary of each map)."""
        from matcher.claimmap import ClaimMapError, load

        out: dict[tuple[str, int, str], str] = {}
        for row in self.claim_maps.values():
            if not row.path:
                continue
            try:
                cm = load(Path(row.path))
            except (ClaimMapError, OSError) as exc:
                log.warning("claim map %s not readable for alert texts: %s", row.path, exc)
                continue
            for claim in cm.claims:
                for feature in claim.features:
                    out[(row.patent, claim.number, feature.id)] = feature.text
        return out

    def feature_text(self, patent: str, claim: int, feature: str) -> str | None:
        return self._feature_texts.get((patent, claim, feature))

    def family_of(self, patent: str) -> list[str]:
        row = self.claim_maps.get(patent)
        family = row.content.get("family", []) if row is not None else []
        return [patent, *(str(x) for x in family)]

    @cached_property
    def _patents(self) -> list[Patent]:
        return patent_store.patents(self.store)

    @cached_property
    def _by_application(self) -> dict[str, Patent]:
        return {p.application: p for p in self._patents}

    def patent(self, application: str) -> Patent | None:
        return self._by_application.get(application)

    def applications_of(self, numbers: Iterable[str]) -> list[Patent]:
        """The stored applications that any of ``numbers`` (application or publication) names."""
        wanted = [n for n in numbers if n]
        return [
            p
            for p in self._patents
            if any(names_patent(w, x) for w in wanted for x in (p.application, *p.publications))
        ]

    @cached_property
    def _maps_by_application(self) -> dict[str, list[ClaimMapRow]]:
        out: dict[str, list[ClaimMapRow]] = {}
        for row in self.claim_maps.values():
            for p in self.applications_of(self.family_of(row.patent)):
                out.setdefault(p.application, []).append(row)
        return out

    def maps_of_application(self, application: str) -> list[ClaimMapRow]:
        return self._maps_by_application.get(application, [])

    @cached_property
    def own(self) -> set[str]:
        return own_applications(self.store, self.settings)

    @cached_property
    def deadlines(self) -> list[Deadline]:
        return patent_deadlines(self.store, self.settings, self.today)

    @cached_property
    def status_codes(self) -> frozenset[str]:
        """Codes the deadline rules act on: such an event changes what is due."""
        codes: set[str] = set()
        for rule in load_rules(overrides=self.settings.deadlines.rules_file):
            codes.update(rule.trigger, rule.closes_on, rule.superseded_by, rule.ends_window_on)
        return frozenset(codes)

    @cached_property
    def _deadlines_by_application(self) -> dict[str, list[Deadline]]:
        out: dict[str, list[Deadline]] = {}
        for d in self.deadlines:
            out.setdefault(d.application, []).append(d)
        return out

    def deadlines_of(self, application: str) -> list[Deadline]:
        return self._deadlines_by_application.get(application, [])

    def open_windows(self, applications: Iterable[str]) -> list[Deadline]:
        hits = [
            d
            for application in set(applications)
            for d in self.deadlines_of(application)
            if d.status == "open" and (d.window in LINKED_WINDOWS or d.rule_id in LINKED_RULES)
        ]
        return sorted(hits, key=lambda d: (d.due or dt.date.max, d.application, d.rule_id))

    # --- documents

    def document(self, document_id: int, version_id: int) -> DocumentInfo | None:
        if version_id not in self._documents:
            with self.store.session() as s:
                row = s.execute(
                    select(Document, Version)
                    .join(Version, Version.document_id == Document.id)
                    .where(Version.id == version_id, Document.id == document_id)
                ).first()
            self._documents[version_id] = (
                None
                if row is None
                else DocumentInfo(
                    number=row[0].number,
                    title=row[1].title or row[0].title,
                    kind=row[0].kind,
                    spec=row[0].spec,
                    group=row[0].group_name,
                    meeting=row[0].meeting,
                    body=row[0].body,
                    version=row[1].label,
                    seq=row[1].seq,
                    date=_iso(row[1].doc_date),
                )
            )
        return self._documents[version_id]

    def version_label(self, version_id: int | None) -> str | None:
        if version_id is None:
            return None
        with self.store.session() as s:
            row = s.get(Version, version_id)
            return (row.label or f"#{row.seq}") if row is not None else None


# --- shared pieces -------------------------------------------------------------------------------


def window_dict(d: Deadline, own: set[str]) -> dict[str, Any]:
    return {
        "application": d.application,
        "office": d.office,
        "rule": d.rule_id,
        "window": d.window,
        "label": d.label,
        "due": _iso(d.due),
        "start": _iso(d.start),
        "trigger": f"{d.trigger_code} {d.trigger_date.isoformat()}",
        "status": d.status,
        "extendable": d.extendable,
        "max_extended_due": _iso(d.max_extended_due),
        "legal_basis": d.legal_basis,
        "verified": d.verified,
        "note": d.note,
        "own": d.application in own,
    }


def _claim_subject(
    ctx: Context, patent: str, doc: DocumentInfo | None, extra_specs: Sequence[str] = ()
) -> tuple[Subject, list[Patent]]:
    row = ctx.claim_maps.get(patent)
    family = ctx.family_of(patent)
    apps = ctx.applications_of(family)
    numbers = {*family, *(p.application for p in apps), *(x for p in apps for x in p.publications)}
    specs = {spec_key(x) for x in extra_specs if x}
    groups = set()
    if doc is not None:
        if doc.spec:
            specs.add(spec_key(doc.spec))
        if doc.kind in ("spec", "rfc", "draft"):
            specs.add(spec_key(doc.number))
        if doc.group:
            groups.add(group_key(doc.group))
    subject = Subject(
        patents=frozenset(numbers),
        claim_map=patent,
        owners=tuple(row.owners) if row is not None else (),
        specs=frozenset(specs),
        groups=frozenset(groups),
    )
    return subject, apps


def _linked(
    ctx: Context,
    key: str,
    cause: str,
    payload: dict[str, Any],
    title: str,
    subject: Subject,
    apps: list[Patent],
) -> Raised:
    """The alert for a match or drift: ``linked`` when an application of the family has an open window."""
    windows = ctx.open_windows(p.application for p in apps) if ctx.settings.alerts.linked else []
    thread = f"patent:{payload['patent']}"
    if not windows:
        return NewAlert(key, cause, thread, title, payload), subject
    first = windows[0]
    closes = first.due
    payload = {
        **payload,
        "cause": cause,
        "windows": [window_dict(d, ctx.own) for d in windows],
        "closes": _iso(closes),
        "days_left": (closes - ctx.today).days if closes else None,
    }
    when = f"closes {closes.isoformat()}" if closes else "open while pending"
    linked_title = f"{first.window.capitalize()} window of {first.application} {when}: {title}"
    own = any(d.application in ctx.own for d in windows)
    return NewAlert(key, "linked", thread, linked_title, payload), replace(subject, portfolio=True, own=own)


# --- rules ---------------------------------------------------------------------------------------


def match_alert(ctx: Context, row: MatchRow) -> Raised | None:
    mode = ctx.settings.alerts.new_match
    if mode == "off" or (mode == "all-elements" and not row.all_elements):
        return None
    doc = ctx.document(row.document_id, row.version_id)
    evidence = []
    for e in row.evidence:
        normative = e.get("normative") or {}
        evidence.append(
            {
                "feature": e.get("feature"),
                "feature_text": ctx.feature_text(row.patent, row.claim, str(e.get("feature"))),
                "covered": bool(e.get("covered")),
                "clause": e.get("section"),
                "heading": e.get("heading"),
                "quote": _cut(e.get("quote"), QUOTE_CHARS) if e.get("quote") else None,
                "normative": normative.get("word"),
                "normative_level": normative.get("level"),
                "score": e.get("score"),
            }
        )
    number = doc.number if doc else f"document {row.document_id}"
    version = doc.version if doc else None
    payload: dict[str, Any] = {
        "patent": row.patent,
        "claim_map_title": (
            ctx.claim_maps[row.patent].content.get("title") if row.patent in ctx.claim_maps else None
        ),
        "claim": row.claim,
        "match_id": row.id,
        "document": number,
        "document_title": doc.title if doc else None,
        "document_kind": doc.kind if doc else None,
        "spec": doc.spec if doc else None,
        "group": doc.group if doc else None,
        "meeting": doc.meeting if doc else None,
        "version": version,
        "version_id": row.version_id,
        "score": round(row.score, 4),
        "covered": row.covered,
        "features": row.features,
        "all_elements": row.all_elements,
        "evidence": evidence,
    }
    verdict = "all elements" if row.all_elements else f"{row.covered}/{row.features} features"
    title = f"{row.patent} claim {row.claim} reads on {number}{' ' + version if version else ''} ({verdict})"
    subject, apps = _claim_subject(ctx, row.patent, doc)
    return _linked(ctx, f"match:{row.id}", "match", payload, title, subject, apps)


def drift_alert(ctx: Context, row: DriftRow) -> Raised | None:
    if not ctx.settings.alerts.drift:
        return None
    doc = ctx.document(row.document_id, row.version_id)
    details = row.details or {}
    number = doc.number if doc else row.spec
    version = details.get("version") or (doc.version if doc else None)
    payload: dict[str, Any] = {
        "patent": row.patent,
        "claim": row.claim,
        "feature": row.feature,
        "feature_text": ctx.feature_text(row.patent, row.claim, row.feature),
        "drift_id": row.id,
        "drift_kind": row.kind,
        "spec": row.spec,
        "clause": row.clause,
        "document": number,
        "document_title": doc.title if doc else None,
        "version": version,
        "previous_version": ctx.version_label(row.previous_version_id),
        "mapped_version": details.get("mapped_version"),
        "removed": bool(details.get("removed")),
        "still_reads": row.still_reads,
        "evidence": _cut(details.get("evidence"), QUOTE_CHARS) or None,
        "diff": _cut(row.diff, DIFF_CHARS),
        "cr": (
            {k: details.get(k) for k in ("tdoc", "status", "cr", "title", "clauses_affected")}
            if row.kind == "cr"
            else None
        ),
    }
    via = (
        f"CR {details.get('tdoc')} ({details.get('status')})"
        if row.kind == "cr"
        else f"{number} {version or ''}".strip()
    )
    title = f"{row.spec} §{row.clause} changed ({via}): mapped by {row.patent} claim {row.claim} feature {row.feature}"
    subject, apps = _claim_subject(ctx, row.patent, doc, [row.spec])
    return _linked(ctx, f"drift:{row.id}", "drift", payload, title, subject, apps)


def _patent_subject(ctx: Context, application: str, numbers: Iterable[str]) -> Subject:
    maps = ctx.maps_of_application(application)
    return Subject(
        patents=frozenset({application, *numbers, *(n for m in maps for n in ctx.family_of(m.patent))}),
        claim_map=maps[0].patent if maps else None,
        owners=tuple(dict.fromkeys(o for m in maps for o in m.owners)),
        portfolio=True,
        own=application in ctx.own,
    )


def patent_event_alert(ctx: Context, row: PatentEventRow) -> Raised | None:
    """A status change: an event whose meaning is known, a legal status, or a code the deadline
    rules act on. Unknown documents and register noise do not raise alerts."""
    setting = ctx.settings.alerts.patent_status
    own = row.application in ctx.own
    if setting == "off" or (setting == "own" and not own):
        return None
    if not (row.known or row.kind == "status" or row.code in ctx.status_codes):
        return None
    patent = ctx.patent(row.application)
    publications = list(patent.publications) if patent else []
    opened = [
        window_dict(d, ctx.own)
        for d in ctx.deadlines_of(row.application)
        if d.trigger_code == row.code and d.trigger_date == row.date
    ]
    payload: dict[str, Any] = {
        "application": row.application,
        "office": row.office,
        "publication": row.publication or (publications[-1] if publications else None),
        "patent_title": patent.title if patent else None,
        "applicants": list(patent.applicants) if patent else [],
        "status": patent.status if patent else None,
        "code": row.code,
        "date": _iso(row.date),
        "text": _cut(row.text, 1000),
        "event_kind": row.kind,
        "known": row.known,
        "own": own,
        "source": row.source,
        "origin": row.origin,
        "opens": opened,
    }
    title = f"{row.application}: {_cut(row.text, 120)} ({row.code}{', ' + row.date.isoformat() if row.date else ''})"
    return (
        NewAlert(
            f"patent-event:{row.dedupe_key}", "patent-status", f"patent:{row.application}", title, payload
        ),
        _patent_subject(ctx, row.application, publications),
    )


def _nearest_offset(offsets: Sequence[int], days_left: int) -> int | None:
    """The reminder due now: the smallest offset not after today. A reminder missed while the
    daemon was down is raised late (the nearest one), the earlier ones are not raised at all."""
    passed = [o for o in offsets if o >= days_left >= 0]
    return min(passed) if passed else None


def deadline_reminders(ctx: Context) -> list[Raised]:
    offsets = sorted(set(ctx.settings.alerts.deadline_days))
    overdue_horizon = max([*offsets, 30])
    out: list[Raised] = []
    for d in ctx.deadlines:
        if d.due is None:
            continue
        days_left = (d.due - ctx.today).days
        if d.status == "overdue":
            # A deadline overdue for longer than the reminder horizon is old history, not news.
            if -days_left > overdue_horizon:
                continue
            step = "overdue"
        elif d.status == "open":
            offset = _nearest_offset(offsets, days_left)
            if offset is None:
                continue
            step = f"{offset}d"
        else:
            continue
        window = window_dict(d, ctx.own)
        patent = ctx.patent(d.application)
        payload = {
            **window,
            "days_left": days_left,
            "reminder": step,
            "overdue": step == "overdue",
            "patent_title": patent.title if patent else None,
        }
        when = "overdue since" if step == "overdue" else "due"
        title = f"{d.application}: {d.label} {when} {d.due.isoformat()}"
        key = f"deadline:{d.application}:{d.rule_id}:{d.due.isoformat()}:{step}"
        publications = list(patent.publications) if patent else []
        out.append(
            (
                NewAlert(key, "deadline", f"patent:{d.application}", title, payload),
                _patent_subject(ctx, d.application, publications),
            )
        )
    return out


def milestone_reminders(ctx: Context, rows: Sequence[Milestone]) -> list[Raised]:
    offsets = sorted(set(ctx.settings.alerts.milestone_days))
    out: list[Raised] = []
    for m in rows:
        if m.date is None or m.status == "cancelled":
            continue
        days_left = (m.date - ctx.today).days
        offset = _nearest_offset(offsets, days_left)
        if offset is None:
            continue
        payload = {
            "key": m.key,
            "milestone_kind": m.kind,
            "title": m.title,
            "date": _iso(m.date),
            "end": _iso(m.end_date),
            "body": m.body,
            "group": m.group_name,
            "release": m.release,
            "status": m.status,
            "days_left": days_left,
            "reminder": f"{offset}d",
            "origin": m.origin,
            "history": m.meta.get("history", []) if m.meta else [],
        }
        specs = set()
        if m.kind == "expiry":
            specs.add(spec_key(m.key.rsplit(":", 1)[-1]))
        subject = Subject(
            specs=frozenset(specs),
            groups=frozenset({group_key(m.group_name)} if m.group_name else set()),
            body=m.body,
        )
        where = m.group_name or m.body or m.source
        title = f"{m.title} on {m.date.isoformat()}" + (
            f" (in {days_left} days)" if days_left else " (today)"
        )
        out.append(
            (
                NewAlert(
                    f"milestone:{m.key}:{m.date.isoformat()}:{offset}d",
                    "milestone",
                    f"group:{where}",
                    title,
                    payload,
                ),
                subject,
            )
        )
    return out


def source_alerts(ctx: Context, health: Sequence[dict[str, Any]]) -> list[Raised]:
    """A source turning unhealthy, and recovering after that: one alert per transition.

    The failing streak is named by its first failed run, so a streak raises one alert however
    often it is evaluated; "recovered" is raised only for a streak that raised "unhealthy".
    """
    if not ctx.settings.alerts.source_health:
        return []
    window = max(ctx.settings.crawl.unhealthy_after_failures, 50)
    out: list[Raised] = []
    subject = Subject(sources=True)
    with ctx.store.session() as s:
        for h in health:
            name = h["source"]
            runs = crawl_runs(s, name, window + 1)
            if not runs:
                continue
            payload = {
                "source": name,
                "state": h["state"],
                "consecutive_failures": h["consecutive_failures"],
                "last_error": _cut(h.get("last_error"), 1000) or None,
                "last_success": h.get("last_success"),
                "last_run": h.get("last_run"),
            }
            if h["state"] == "unhealthy":
                streak = _streak(runs)
                first = streak[-1]
                payload["since"] = _iso(first.started_at)
                key = f"source:{name}:unhealthy:{first.id}"
                title = f"Source {name} is failing: {h['consecutive_failures']} failed runs in a row"
                out.append((NewAlert(key, "source-unhealthy", f"source:{name}", title, payload), subject))
            elif runs[0].status == "succeeded":
                streak = _streak(runs[1:])
                if not streak:
                    continue
                first = streak[-1]
                if not alert_exists(s, f"source:{name}:unhealthy:{first.id}"):
                    continue
                payload["since"] = _iso(first.started_at)
                payload["failed_runs"] = len(streak)
                key = f"source:{name}:recovered:{first.id}"
                title = f"Source {name} recovered after {len(streak)} failed runs"
                out.append((NewAlert(key, "source-recovered", f"source:{name}", title, payload), subject))
    return out


def _streak(runs: Sequence[Any]) -> list[Any]:
    """The failed runs at the head of ``runs`` (newest first), up to the last success."""
    out = []
    for r in runs:
        if r.status == "succeeded":
            break
        out.append(r)
    return out
