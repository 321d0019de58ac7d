"""IETF items from parsed inputs: the same builders serve the IETF spiders and ``sepwatch import``.

Identity: every IETF document is of source ``ietf``; a draft's number is its name without revision
(``draft-ietf-appsawg-file-scheme``) and its ``version_label`` the revision (``16``), an RFC's number
is ``RFC 8089``, an IPR disclosure's ``IPR 9001``. A draft crawled from the archive and the same
file imported by hand therefore land on the same document with the same sections.

A draft's Datatracker facts (states, expiry, replaces/replaced-by, the RFC it became, known
revisions) are gathered in :class:`DraftFacts`. With the revision's text they make the draft's
version (:func:`draft_document`); without it — the text of that revision is stored already, or
cannot be had — a *partial* item (:func:`draft_update`) whose stand-in section never replaces stored
text but whose metadata is merged into the latest version, so states stay current.

Expiry milestones (:func:`expiry_milestone`) are keyed ``ietf:expiry:<name>`` without revision, so a
new revision moves the same milestone and its history keeps the earlier date. Every followed draft
gets one; a draft that will no longer expire as a draft carries a ``status`` saying why, from its
Datatracker states, first match wins: ``rfc`` (draft state RFC, or a ``became_rfc`` relation),
``replaced`` (Replaced), ``withdrawn`` (Withdrawn by Submitter / by IETF), ``dead`` (an IESG or
stream state whose slug is ``dead``), ``expired`` (Expired). Active drafts have no status.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from crawlers.extract import Extracted, RejectedInput
from crawlers.ietf import drafttext, rfcxml
from crawlers.ietf.datatracker import (
    DraftRecord,
    EventRecord,
    IprRecord,
    MeetingRecord,
    RelationRecord,
    StateRecord,
)
from crawlers.ietf.names import DRAFT_LIFETIME_DAYS, expiry, rfc_number, split_draft_name
from crawlers.ietf.rfcindex import RfcEntry
from crawlers.items import Declaration, Milestone, Section, StandardDocument

SOURCE = "ietf"
BODY = "IETF"
SNIFF_BYTES = 4096

# --- what a file is ----------------------------------------------------------------------------

# The title block of an I-D or RFC: "Internet-Draft" (alone or followed by the right column) or
# "Request for Comments: 8089", flush left.
_TEXT_HEADER = re.compile(
    r"^(?:Internet[- ]Draft|INTERNET[- ]DRAFT)(?:\s{2,}\S.*)?$|^Request for Comments:\s*\d{1,5}\b",
    re.MULTILINE,
)
# Something else only an I-D/RFC title page has: its left-column fields, the docname line, the
# boilerplate heading or a page footer.
_TEXT_CORROBORATION = re.compile(
    r"^(?:Expires|Intended [Ss]tatus|Category|Obsoletes|Updates|ISSN):"
    r"|^\s+<?draft-[a-z0-9][a-z0-9._+-]*-\d{2}(?:\.txt)?>?\s*$"
    r"|^Status of [Tt]his Memo\s*$"
    r"|\S\s+\[Page \d+\]\s*$",
    re.MULTILINE,
)
_DOCTYPE_ROOT = re.compile(r"\s+([A-Za-z_:][A-Za-z0-9_.:-]*)")


def is_ietf_text(head: bytes) -> bool:
    """Do the first bytes of a file show the title page of an Internet-Draft or RFC in plain text?

    Needs a title-block header (``Internet-Draft`` or ``Request for Comments: N`` flush left) and
    one more title-page feature (``Expires:``/``Intended status:``/``Category:`` lines, the
    ``draft-…-NN`` name line, ``Status of This Memo`` or a ``[Page N]`` footer).
    """
    if b"\x00" in head[:SNIFF_BYTES]:
        return False
    text = head[:SNIFF_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return _TEXT_HEADER.search(text) is not None and _TEXT_CORROBORATION.search(text) is not None


def is_rfc_xml(head: bytes) -> bool:
    """Is the first element after the prolog ``<rfc`` (or does the DOCTYPE name ``rfc`` as root)?"""
    text = rfcxml.decode_prolog(head[:SNIFF_BYTES])
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if text.startswith("<!DOCTYPE", pos):
            m = _DOCTYPE_ROOT.match(text, pos + len("<!DOCTYPE"))
            return m is not None and m.group(1) == "rfc"
        if text.startswith("<rfc", pos):
            return pos + 4 < len(text) and text[pos + 4] in " \t\r\n>/"
        closing = "?>" if text.startswith("<?", pos) else "-->" if text.startswith("<!--", pos) else None
        if closing is None:
            return False
        end = text.find(closing, pos)
        if end < 0:
            return False
        pos = end + len(closing)


def extract_document(data: bytes, name: str) -> Extracted:
    """An Internet-Draft or RFC as xml2rfc XML (by content or a ``.xml`` name) or as plain text."""
    if name.lower().endswith(".xml") or is_rfc_xml(data[:SNIFF_BYTES]):
        return rfcxml.extract(data, name)
    return drafttext.extract(data, name)


def group_from_name(name: str) -> str | None:
    """``draft-ietf-<wg>-…`` / ``draft-irtf-<rg>-…`` name their group (I-D naming guidelines)."""
    parts = name.lower().split("-")
    if len(parts) >= 4 and parts[0] == "draft" and parts[1] in ("ietf", "irtf"):
        return parts[2]
    return None


def draft_stand_in(name: str) -> list[Section]:
    """The section a draft has while its text is not stored; the same for every IETF spider, so
    two of them describing the same text-less draft never make versions of each other's stand-in."""
    return [
        Section(None, None, f"{name}: Internet-Draft known from the Datatracker; its text is not stored.")
    ]


def fingerprint(obj: Mapping[str, Any]) -> str:
    """A stable digest of a JSON object: an API record's identity across crawls."""
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


# --- drafts ------------------------------------------------------------------------------------

_STATUS_BY_DRAFT_STATE = {
    "rfc": "rfc",
    "repl": "replaced",
    "auth-rm": "withdrawn",
    "ietf-rm": "withdrawn",
    "expired": "expired",
}
_STATUS_ORDER = ("rfc", "replaced", "withdrawn", "dead", "expired")


@dataclass(frozen=True, slots=True)
class DraftFacts:
    """What the Datatracker says about a draft's current revision."""

    name: str
    rev: str | None
    title: str | None
    abstract: str | None
    group: str | None
    revision_date: dt.date | None  # when the current revision was submitted (UTC)
    expires: dt.date | None
    states: dict[str, str]  # state type → state name
    state_slugs: dict[str, str]  # state type → state slug
    std_level: str | None
    intended_std_level: str | None
    stream: str | None
    replaces: tuple[str, ...]
    replaced_by: tuple[str, ...]
    obsoletes: tuple[str, ...]
    updates: tuple[str, ...]
    rfc: str | None
    revisions: tuple[str, ...]
    page_url: str

    @property
    def status(self) -> str | None:
        """None for a live draft, else rfc / replaced / withdrawn / dead / expired."""
        found = set()
        draft_state = self.state_slugs.get("draft")
        if draft_state in _STATUS_BY_DRAFT_STATE:
            found.add(_STATUS_BY_DRAFT_STATE[draft_state])
        if self.rfc:
            found.add("rfc")
        if any(slug == "dead" for kind, slug in self.state_slugs.items() if kind != "draft"):
            found.add("dead")
        return next((s for s in _STATUS_ORDER if s in found), None)

    def metadata(self) -> dict[str, Any]:
        """The facts as document metadata. ``rev`` is the Datatracker's current revision; a
        version's label says which revision's text it holds (they differ while the text of a new
        revision cannot be had)."""
        meta: dict[str, Any] = {
            "rev": self.rev,
            "status": self.status or "active",
            "states": dict(self.states),
            "expires": self.expires.isoformat() if self.expires else None,
            "std_level": self.std_level,
            "intended_std_level": self.intended_std_level,
            "stream": self.stream,
            "replaces": list(self.replaces),
            "replaced_by": list(self.replaced_by),
            "rfc": self.rfc,
            "revisions": list(self.revisions),
            "abstract": self.abstract,
            "datatracker": self.page_url,
        }
        if self.obsoletes:
            meta["obsoletes"] = list(self.obsoletes)
        if self.updates:
            meta["updates"] = list(self.updates)
        # Merged into the stored metadata: an unknown value must not erase a known one.
        return {k: v for k, v in meta.items() if v is not None}


def draft_facts(
    record: DraftRecord,
    *,
    states: Mapping[str, StateRecord],
    events: Iterable[EventRecord] = (),
    relations: Iterable[RelationRecord] = (),
    group: str | None = None,
    datatracker_url: str,
) -> DraftFacts:
    """The facts of ``record`` given the state resources, its events and its relations (both
    directions: what it replaces/obsoletes/updates/became, and what replaces it)."""
    name = record.name
    revision_times: dict[str, dt.datetime] = {}
    for event in events:
        if event.type == "new_revision" and event.rev and event.time is not None:
            known = revision_times.get(event.rev)
            revision_times[event.rev] = max(known, event.time) if known else event.time
    revision_time = revision_times.get(record.rev or "")
    expires = record.expires if not record.expires_estimated else None
    if revision_time is not None:
        revision_date: dt.date | None = revision_time.astimezone(dt.UTC).date()
        expires = expires or expiry(revision_time)
    elif expires is not None:
        revision_date = expires - dt.timedelta(days=DRAFT_LIFETIME_DAYS)
    else:
        revision_date = record.time.astimezone(dt.UTC).date() if record.time else None
        expires = record.expires
    replaces: list[str] = []
    replaced_by: list[str] = []
    obsoletes: list[str] = []
    updates: list[str] = []
    rfc = record.rfc
    for rel in relations:
        if rel.source == name and rel.relationship == "replaces":
            _add(replaces, rel.target)
        elif rel.target == name and rel.relationship == "replaces":
            _add(replaced_by, rel.source)
        elif rel.source == name and rel.relationship == "became_rfc":
            rfc = rfc_number(rel.target) or rfc
        elif rel.source == name and rel.relationship == "obs":
            _add(obsoletes, rfc_number(rel.target) or rel.target)
        elif rel.source == name and rel.relationship == "updates":
            _add(updates, rfc_number(rel.target) or rel.target)
    known_states = [states[uri] for uri in record.state_uris if uri in states]
    revisions = set(revision_times)
    if record.rev:
        revisions.add(record.rev)
    return DraftFacts(
        name=name,
        rev=record.rev,
        title=record.title,
        abstract=record.abstract,
        group=group,
        revision_date=revision_date,
        expires=expires,
        states={s.type: s.name for s in known_states},
        state_slugs={s.type: s.slug for s in known_states},
        std_level=record.std_level,
        intended_std_level=record.intended_std_level,
        stream=record.stream,
        replaces=tuple(replaces),
        replaced_by=tuple(replaced_by),
        obsoletes=tuple(obsoletes),
        updates=tuple(updates),
        rfc=rfc,
        revisions=tuple(sorted(revisions, key=lambda r: (len(r), r))),
        page_url=f"{datatracker_url.rstrip('/')}/doc/{name}/",
    )


def _add(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def draft_document(facts: DraftFacts, extracted: Extracted, origin: str) -> StandardDocument:
    """The draft's current revision with its text (downloaded from ``origin``)."""
    return StandardDocument(
        source=SOURCE,
        number=facts.name,
        kind="draft",
        title=facts.title or extracted.title,
        sections=extracted.sections,
        body=BODY,
        group=facts.group,
        date=facts.revision_date,
        version_label=facts.rev,
        origin=origin,
        metadata={**extracted.metadata, **facts.metadata()},
    )


def draft_update(facts: DraftFacts, *, text_stored: bool) -> StandardDocument:
    """The draft's Datatracker facts without its text (a partial item).

    ``text_stored``: the current revision's text is stored already, so the stored version may take
    this revision's label and date; otherwise (its text could not be had) they are left alone, not
    to label older text with a newer revision.
    """
    return StandardDocument(
        source=SOURCE,
        number=facts.name,
        kind="draft",
        title=facts.title,
        sections=draft_stand_in(facts.name),
        body=BODY,
        group=facts.group,
        date=facts.revision_date if text_stored else None,
        version_label=facts.rev if text_stored else None,
        origin=facts.page_url,
        metadata=facts.metadata(),
        partial=True,
    )


def expiry_milestone(facts: DraftFacts) -> Milestone | None:
    """The current revision's expiry (None when neither a revision nor a date is known)."""
    if facts.expires is None or facts.rev is None:
        return None
    return Milestone(
        source=SOURCE,
        key=f"ietf:expiry:{facts.name}",
        kind="expiry",
        title=f"{facts.name}-{facts.rev} expires",
        date=facts.expires,
        body=BODY,
        group=facts.group,
        status=facts.status,
        origin=facts.page_url,
        metadata={"rev": facts.rev},
    )


def imported_document(extracted: Extracted, origin: str) -> StandardDocument:
    """A draft or RFC read from a file (text or XML), identified by what its title page says."""
    meta = extracted.metadata
    number = meta.get("number")
    name = meta.get("name")
    if isinstance(number, str):
        kind, label = "rfc", None
    elif isinstance(name, str) and name.startswith("draft-"):
        kind, number, label = "draft", name, meta.get("rev")
    else:
        raise RejectedInput(
            f"{PurePosixPath(origin).name}: neither a draft name (draft-…-NN) nor an RFC number "
            "on the title page or in the file name"
        )
    date = None
    if meta.get("date_precision") in ("day", "month") and isinstance(meta.get("date"), str):
        date = dt.date.fromisoformat(meta["date"])
    return StandardDocument(
        source=SOURCE,
        number=number,
        kind=kind,
        title=extracted.title,
        sections=extracted.sections,
        body=BODY,
        group=group_from_name(number) if kind == "draft" else None,
        date=date,
        version_label=label if isinstance(label, str) else None,
        origin=origin,
        metadata=dict(meta),
    )


# --- RFCs --------------------------------------------------------------------------------------


def select_rfcs(
    entries: Sequence[RfcEntry], groups: Iterable[str], drafts: Iterable[str]
) -> list[tuple[RfcEntry, str]]:
    """The RFCs worth storing, each with why: ``group`` (a followed working group's RFC), ``draft``
    (a followed draft became it) or ``related`` (one of those obsoletes/updates it or the reverse;
    one step only). In index order."""
    followed_groups = {g.strip().lower() for g in groups}
    followed_drafts = {split_draft_name(d)[0] for d in drafts}
    why: dict[str, str] = {}
    for entry in entries:
        if entry.wg and entry.wg.lower() in followed_groups:
            why[entry.number] = "group"
        elif entry.draft and split_draft_name(entry.draft)[0] in followed_drafts:
            why[entry.number] = "draft"
    related = {
        number
        for entry in entries
        if entry.number in why
        for number in (*entry.obsoletes, *entry.obsoleted_by, *entry.updates, *entry.updated_by)
        if number not in why
    }
    return [
        (entry, why.get(entry.number, "related"))
        for entry in entries
        if entry.number in why or entry.number in related
    ]


def rfc_document(entry: RfcEntry, *, selection: str, rfc_editor_url: str) -> StandardDocument:
    """An RFC as the index describes it: a partial item (a stand-in for its text)."""
    lines = [f"{entry.number}: {entry.title}"]
    if entry.authors:
        lines.append(f"Authors: {', '.join(entry.authors)}")
    if entry.date:
        lines.append(f"Date: {entry.date:%B %Y}")
    status = [entry.status or "status unknown"]
    if entry.stream:
        status.append(f"stream {entry.stream}")
    if entry.wg:
        status.append(f"working group {entry.wg}")
    lines.append(f"Status: {status[0]}" + (f" ({', '.join(status[1:])})" if len(status) > 1 else ""))
    for label, values in (
        ("Obsoletes", entry.obsoletes),
        ("Obsoleted by", entry.obsoleted_by),
        ("Updates", entry.updates),
        ("Updated by", entry.updated_by),
        ("Also", entry.is_also),
    ):
        if values:
            lines.append(f"{label}: {', '.join(values)}")
    if entry.draft:
        lines.append(f"Draft: {entry.draft}")
    text = "\n".join(lines)
    if entry.abstract:
        text += "\n\n" + entry.abstract
    digits = entry.number.split()[-1]
    metadata: dict[str, Any] = {
        "status": entry.status,
        "publication_status": entry.publication_status,
        "stream": entry.stream,
        "area": entry.area,
        "obsoletes": list(entry.obsoletes),
        "obsoleted_by": list(entry.obsoleted_by),
        "updates": list(entry.updates),
        "updated_by": list(entry.updated_by),
        "is_also": list(entry.is_also),
        "see_also": list(entry.see_also),
        "draft": entry.draft,
        "doi": entry.doi,
        "authors": list(entry.authors),
        "keywords": list(entry.keywords),
        "pages": entry.pages,
        "formats": list(entry.formats),
        "errata_url": entry.errata_url,
        "selection": selection,
    }
    return StandardDocument(
        source=SOURCE,
        number=entry.number,
        kind="rfc",
        title=entry.title or None,
        sections=[Section(None, entry.title or None, text)],
        body=BODY,
        group=entry.wg,
        date=entry.date,
        origin=f"{rfc_editor_url.rstrip('/')}/info/rfc{digits}",
        metadata={k: v for k, v in metadata.items() if v is not None},
        partial=True,
    )


def draft_rfc_link(entry: RfcEntry) -> StandardDocument | None:
    """A partial item putting ``{"rfc": "RFC 8089"}`` on the draft the RFC came from."""
    if not entry.draft:
        return None
    name, _rev = split_draft_name(entry.draft)
    if not name.startswith("draft-"):
        return None
    return StandardDocument(
        source=SOURCE,
        number=name,
        kind="draft",
        title=None,
        sections=draft_stand_in(name),
        body=BODY,
        group=entry.wg,
        metadata={"rfc": entry.number},
        partial=True,
    )


# --- meetings and IPR --------------------------------------------------------------------------


def meeting_milestone(meeting: MeetingRecord, datatracker_url: str) -> Milestone:
    where = f" ({meeting.city})" if meeting.city else ""
    return Milestone(
        source=SOURCE,
        key=f"ietf:meeting:{meeting.number}",
        kind="meeting",
        title=f"IETF {meeting.number}{where}",
        date=meeting.start,
        end=meeting.end,
        body=BODY,
        origin=f"{datatracker_url.rstrip('/')}/meeting/{meeting.number}/",
        metadata={"city": meeting.city, "country": meeting.country, "time_zone": meeting.time_zone},
    )


# Free-text fields of the disclosure kinds (holder, third party, generic), in reading order.
_IPR_TEXT_FIELDS = (
    ("patent_info", "Patent information"),
    ("licensing_comments", "Licensing comments"),
    ("statement", "Statement"),
    ("notes", "Notes"),
)


def ipr_document(record: IprRecord, disclosure: Mapping[str, Any]) -> StandardDocument:
    """An IPR disclosure: ``disclosure`` is the API object whose free-text fields are read (the
    holder disclosure when there is one, else the base disclosure)."""
    documents = [{"name": rfc_number(name) or name, "rev": rev} for name, rev in record.documents]
    lines = []
    if record.holder:
        lines.append(f"Holder: {record.holder}")
    if record.state:
        lines.append(f"State: {record.state}")
    if record.licensing:
        lines.append(f"Licensing: {record.licensing}")
    if documents:
        named = [f"{d['name']} (revisions {d['rev']})" if d["rev"] else str(d["name"]) for d in documents]
        lines.append(f"Documents: {', '.join(named)}")
    for key, label in _IPR_TEXT_FIELDS:
        value = disclosure.get(key)
        if isinstance(value, str) and value.strip():
            lines.append(f"{label}: {value.strip()}")
    title = record.title or f"IPR disclosure #{record.id}"
    metadata: dict[str, Any] = {
        "holder": record.holder,
        "state": record.state,
        "licensing": record.licensing,
        "documents": documents,
        "url": record.url,
    }
    return StandardDocument(
        source=SOURCE,
        number=f"IPR {record.id}",
        kind="ipr-disclosure",
        title=title,
        sections=[Section(None, title, "\n".join(lines) or title)],
        body=BODY,
        date=record.time.astimezone(dt.UTC).date() if record.time else None,
        origin=record.url,
        metadata={k: v for k, v in metadata.items() if v is not None},
    )


_PATENT_NUMBER = re.compile(r"\b([A-Z]{2})\s?((?:\d[\d,./ ]{4,14}\d))\s?([A-Z]\d?)?\b")


def ipr_declaration(record: IprRecord, disclosure: Mapping[str, Any]) -> Declaration:
    """The disclosure as a declaration linking its patents (read from ``patent_info``) to the
    drafts and RFCs it names — the IETF counterpart of an ETSI declaration."""
    from crawlers.patents.numbers import normalise_publication

    patents: list[str] = []
    info = disclosure.get("patent_info")
    for country, digits, kind in _PATENT_NUMBER.findall(info if isinstance(info, str) else ""):
        text = f"{country}{re.sub(r'[^0-9]', '', digits)}{kind or ''}"
        try:
            number = normalise_publication(text) if kind else text
        except ValueError:
            number = text
        if number not in patents:
            patents.append(number)
    specs = [rfc_number(name) or name for name, _rev in record.documents]
    return Declaration(
        source="ietf_ipr",
        key=f"ietf:ipr:{record.id}",
        declarant=record.holder or "(not named)",
        patents=patents,
        specs=specs,
        licensing=record.licensing,
        date=record.time.astimezone(dt.UTC).date() if record.time else None,
        origin=record.url,
        metadata={"state": record.state, "title": record.title, "patent_info": info},
    )
