"""USPTO responses as patent records and events: Open Data Portal (ODP) file-wrapper JSON, Global
Dossier family lists and Assignment Search XML. Pure parsers: bytes in, items out, no network.

ODP answers come in two generations and this module reads both:

* the beta shape, ``{"patentBag": [{...flat fields..., "transactionContentBag": [...],
  "continuityBag": {"parentContinuityBag": [...], "childContinuityBag": [...]}}]}``, with
  transactions as ``recordedDate``/``caseActionCode``/``caseActionDescriptionText`` and continuity
  dates as ``filingDate``;
* the current shape, ``{"patentFileWrapperDataBag": [{"applicationNumberText": ...,
  "applicationMetaData": {...}, "eventDataBag": [...], "parentContinuityBag": [...], ...}]}``, with
  events as ``eventDate``/``eventCode``/``eventDescriptionText`` and continuity dates as
  ``parentApplicationFilingDate``/``childApplicationFilingDate``.

The documents list (``documentBag``) is the same in both, except that the direction and download
link are ``directionCategory``/``downloadUrl`` in older captures and
``documentDirectionCategory``/``downloadURI`` in newer ones. Its ``officialDate`` is the mailing
date of outgoing papers, the date reply periods run from; the date is taken as printed, in the
Eastern time of the timestamp, never shifted to UTC.

Office texts carry double and trailing spaces (``"Abandoned  --  Failure to Respond..."``): every
text is whitespace-normalised. Global Dossier mixes epoch milliseconds (UTC midnight) with
``MM/DD/YYYY`` strings; both are read. Everything kept in ``metadata`` is JSON-safe (dates as ISO
strings), because the store keeps metadata as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

from crawlers.extract import RejectedInput
from crawlers.items import PatentEvent, PatentRecord
from crawlers.patents.numbers import normalise_application, normalise_publication

SOURCE = "uspto_odp"
GLOBAL_DOSSIER_SOURCE = "uspto_global_dossier"
OFFICE = "US"
MAX_BYTES = 64 * 1024 * 1024
DEFAULT_NAME = "USPTO response"

KNOWN_CODES: dict[str, str] = {
    # FACTS §2.3: the codes that open or close reply windows.
    "CTNF": "Non-Final Rejection",
    "CTFR": "Final Rejection",
    "CTRS": "Restriction Requirement",
    "NOA": "Notice of Allowance",
    "ABN": "Abandonment",
    # Deadline-relevant codes that the USPTO itself describes in the ODP samples (US 15/123,456).
    "MCTNF": "Mail Non-Final Rejection",
    "ABN2": "Abandonment for Failure to Respond to Office Action",
    "MABN2": "Mail Abandonment for Failure to Respond to Office Action",
}
"""Event and document codes whose meaning sepwatch relies on. ``CTAV`` is deliberately absent: its
meaning is UNVERIFIED in the fact sheet, so CTAV events keep the office's text and ``known=False``."""

_BAGS = ("patentFileWrapperDataBag", "patentBag")
_EVENT_BAGS = ("eventDataBag", "transactionContentBag")
_META_KEYS = frozenset(
    [
        "applicationMetaData",
        "inventionTitle",
        "filingDate",
        "applicationStatusDescriptionText",
        "applicationStatusCode",
        "firstApplicantName",
        "applicantBag",
        "patentNumber",
    ]
)
_CONTINUITY_KEYS = frozenset(["continuityBag", "parentContinuityBag", "childContinuityBag"])
_SNIFF_KEYS = (b'"patentFileWrapperDataBag"', b'"patentBag"', b'"documentBag"', b'"corrAppNum"')
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NUMBER_IN_URL = re.compile(r"/applications/([^/?#]+)")
_NUMBER_IN_NAME = re.compile(r"(?<![\d/])(\d{2}/?\d{3},?\d{3}|PCT/?[A-Z]{2}\d{2,4}/?\d{5,6})(?![\d])")
_VALID_APPLICATION = re.compile(r"^(?:US[0-9]{8}|WO[A-Z]{2}[0-9]{10})$")
_SOLR_NULLS = frozenset(["", "NULL", "0001-01-01T00:00:00Z"])
_ADDRESS_KEYS = (
    ("addressLineOneText",),
    ("addressLineTwoText",),
    ("cityName",),
    ("geographicRegionName", "geographicRegionCode"),
    ("countryName", "countryCode"),
    ("postalCode",),
)
_FLAGS = {"Y": True, "N": False, "TRUE": True, "FALSE": False}


# ----------------------------------------------------------------------------------------------------
# Public API


def is_odp_json(head: bytes) -> bool:
    """True when the first bytes of a file look like an ODP or Global Dossier JSON answer."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"{") and any(key in text for key in _SNIFF_KEYS)


def parse_any(data: bytes, name: str = DEFAULT_NAME) -> tuple[list[PatentRecord], list[PatentEvent]]:
    """Records and events of any ODP answer (application/biblio/search, transactions, continuity,
    documents) or a Global Dossier family list, recognised by its JSON shape.

    A response that carries no application number (the transactions and continuity answers of the
    beta API) takes it from ``name`` when that is the request URL (``…/applications/15123456/…``)
    or a file name containing the number (``15123456_transactions.json``).
    """
    doc = _load(data, name)
    if "documentBag" in doc:
        return [], _documents(doc, name, None)
    if isinstance(doc.get("list"), list) and ("corrAppNum" in doc or "type" in doc):
        return _global_dossier(doc, name), []
    items = _items(doc, name)
    if any(_META_KEYS.intersection(item) for item in items):
        records, events = _application(doc, name, events=True)
        if not records:
            raise RejectedInput(f"{name}: no application (no applicationNumberText) in the ODP answer")
        return records, events
    if any(key in item for item in items for key in _EVENT_BAGS):
        return [], _transactions(doc, name, None)
    if any(_CONTINUITY_KEYS.intersection(item) for item in items):
        return _continuity_records(doc, name), []
    if not items:
        return [], []
    keys = sorted({key for item in items for key in item})
    raise RejectedInput(
        f"{name}: no ODP application data, events or continuity in it (keys: {', '.join(keys)})"
    )


def parse_application(data: bytes, name: str = DEFAULT_NAME) -> tuple[list[PatentRecord], list[PatentEvent]]:
    """The full application answer: one record per application, and its transactions as events
    (``kind="transaction"``). Raises :class:`RejectedInput` when no application is in it."""
    doc = _load(data, name)
    records, events = _application(doc, name, events=True)
    if not records:
        raise RejectedInput(f"{name}: no application (no applicationNumberText) in the ODP answer")
    return records, events


def parse_biblio(data: bytes, name: str = DEFAULT_NAME) -> list[PatentRecord]:
    """The bibliographic (meta-data) answer: one record per application, no events."""
    doc = _load(data, name)
    records, _events = _application(doc, name, events=False)
    if not records:
        raise RejectedInput(f"{name}: no application (no applicationNumberText) in the ODP answer")
    return records


def parse_search(data: bytes, name: str = DEFAULT_NAME) -> list[PatentRecord]:
    """One record per hit of an ODP search answer; an answer without hits gives an empty list."""
    doc = _load(data, name)
    return _application(doc, name, events=False)[0]


def parse_transactions(
    data: bytes, name: str = DEFAULT_NAME, application: str | None = None
) -> list[PatentEvent]:
    """The transaction history as events (``kind="transaction"``, code = the office's event code,
    text whitespace-normalised). ``application`` names the application when the answer does not
    (beta answers do not); otherwise it is read from ``name`` (request URL or file name)."""
    return _transactions(_load(data, name), name, application)


def parse_continuity(data: bytes, name: str = DEFAULT_NAME) -> tuple[list[str], list[str]]:
    """Parents and children of the continuity answer, normalised (``US61983088``,
    ``WO2015US27322``…), in the office's order. Parents include the whole chain the office lists
    (the provisional a PCT parent claims, too)."""
    doc = _load(data, name)
    parents: list[str] = []
    children: list[str] = []
    for item in _items(doc, name):
        for entry in _continuity(item):
            target = parents if entry["relation"] == "parent" else children
            if entry["application"] not in target:
                target.append(entry["application"])
    return parents, children


def parse_documents(
    data: bytes, name: str = DEFAULT_NAME, application: str | None = None
) -> list[PatentEvent]:
    """The file-wrapper documents as events (``kind="document"``): code = documentCode (CTNF, NOA,
    …), date = the official (mailing) date as printed, text = the office's description; the
    document id, direction and download links go in metadata (``url`` is the PDF)."""
    doc = _load(data, name)
    if "documentBag" not in doc:
        raise RejectedInput(f"{name}: not an ODP documents answer (no documentBag)")
    return _documents(doc, name, application)


def parse_global_dossier(data: bytes, name: str = DEFAULT_NAME) -> list[PatentRecord]:
    """The family members of a Global Dossier application list, one record per office filing,
    with its publications, filing date and (derived from the members it claims) priority date."""
    doc = _load(data, name)
    if not isinstance(doc.get("list"), list):
        raise RejectedInput(f"{name}: not a Global Dossier application list (no 'list' of members)")
    return _global_dossier(doc, name)


def parse_assignments(data: bytes, name: str = DEFAULT_NAME) -> list[dict[str, Any]]:
    """Assignments of a USPTO Assignment Search (Solr XML) answer, one dict per recorded assignment:

    ``reel_frame`` ("018247/0405"), ``conveyance``, ``recorded_date``, ``execution_date`` (the
    earliest), ``assignors`` [{name, execution_date}], ``assignees`` [{name, address}],
    ``properties`` [{application, filing_date, patent, issue_date, publication, publication_date,
    title}], ``correspondent``, ``pages``. Dates are ISO strings; unknowns are None. XML with a DTD
    or entities is refused (the service never sends one).
    """
    _check_size(data, name)
    if not data.strip():
        raise RejectedInput(f"{name}: empty file")
    try:
        root = SafeElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise RejectedInput(
            f"{name}: XML with a DTD or entity declarations refused ({type(exc).__name__})"
        ) from None
    except SafeElementTree.ParseError as exc:
        raise RejectedInput(f"{name}: malformed or truncated XML ({exc})") from None
    if root.tag != "response":
        raise RejectedInput(f"{name}: not a USPTO assignment search answer (root element <{root.tag}>)")
    result = next((r for r in root.iter("result") if r.get("name", "response") == "response"), None)
    if result is None:
        raise RejectedInput(f"{name}: not a USPTO assignment search answer (no <result> element)")
    return [_solr_assignment(_solr_fields(doc)) for doc in result.iter("doc")]


# ----------------------------------------------------------------------------------------------------
# Loading


def _check_size(data: bytes, name: str) -> None:
    if len(data) > MAX_BYTES:
        raise RejectedInput(f"{name}: too large: {len(data)} bytes (limit {MAX_BYTES})")


def _load(data: bytes, name: str) -> dict[str, Any]:
    _check_size(data, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RejectedInput(f"{name}: not UTF-8 text, so not a USPTO JSON answer") from None
    stripped = text.lstrip()
    if not stripped:
        raise RejectedInput(f"{name}: empty file")
    if stripped.startswith("<"):
        raise RejectedInput(f"{name}: markup, not JSON (an error page instead of the USPTO answer?)")
    try:
        doc = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise RejectedInput(
            f"{name}: truncated or invalid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise RejectedInput(f"{name}: JSON nested too deeply") from None
    if not isinstance(doc, dict):
        raise RejectedInput(f"{name}: JSON {type(doc).__name__}, not the object a USPTO answer is")
    return doc


def _items(doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
    for key in _BAGS:
        if key in doc:
            bag = doc[key]
            if bag is None:
                return []
            if not isinstance(bag, list):
                raise RejectedInput(f"{name}: {key} is a JSON {type(bag).__name__}, not a list")
            return [item for item in bag if isinstance(item, dict)]
    message = _text(doc.get("message")) or _text(doc.get("error")) or _text(doc.get("errorDetails"))
    if message:
        raise RejectedInput(f"{name}: the ODP answered with an error: {message}")
    keys = ", ".join(sorted(doc)) or "none"
    raise RejectedInput(f"{name}: JSON, but not a USPTO ODP or Global Dossier answer (keys: {keys})")


# ----------------------------------------------------------------------------------------------------
# Values


def _text(value: Any) -> str | None:
    """Whitespace-normalised text of a scalar, None when empty or not a scalar."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str | int | float):
        text = " ".join(str(value).split())
        return text or None
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value)
    return _FLAGS.get(text.upper()) if text else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = _text(value)
    if text and re.fullmatch(r"\d+(?:\.0+)?", text):
        return int(float(text))
    return None


def _date(value: Any) -> dt.date | None:
    """An ODP date: ``YYYY-MM-DD``, or a timestamp whose date is taken as printed (no UTC shift)."""
    text = _text(value)
    if not text:
        return None
    match = _ISO_DATE.match(text)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != [] and v != {}}


def _us_application(text: str) -> str | None:
    """A US application number normalised (series code + six digits); PCT numbers go to the WO
    office. None for anything else."""
    office = "WO" if text.upper().replace(" ", "").startswith("PCT") else OFFICE
    number = _normalised_application(office, text)
    return number if number and _VALID_APPLICATION.match(number) else None


def _normalised_application(office: str, text: str) -> str | None:
    try:
        number = normalise_application(office, text)
    except (ValueError, RejectedInput):
        return None
    return number or None


def _normalised_publication(text: str) -> str | None:
    try:
        number = normalise_publication(text)
    except (ValueError, RejectedInput):
        return None
    return number or None


def _relative(text: str) -> str:
    """A related application's number: normalised when possible, else the office text as is."""
    return _us_application(text) or text


# ----------------------------------------------------------------------------------------------------
# Applications


def _application(
    doc: dict[str, Any], name: str, *, events: bool
) -> tuple[list[PatentRecord], list[PatentEvent]]:
    records: list[PatentRecord] = []
    found: list[PatentEvent] = []
    for item in _items(doc, name):
        meta = _dict(item.get("applicationMetaData")) or item
        raw = _text(item.get("applicationNumberText")) or _text(meta.get("applicationNumberText"))
        if raw is None:
            continue
        application = _us_application(raw)
        if application is None:
            raise RejectedInput(f"{name}: {raw!r} is not a US application number")
        records.append(_record(item, meta, application))
        if events:
            found.extend(_events_of(item, application))
    return records, found


def _record(item: dict[str, Any], meta: dict[str, Any], application: str) -> PatentRecord:
    continuity = _continuity(item)
    parents = _unique(e["application"] for e in continuity if e["relation"] == "parent")
    children = _unique(e["application"] for e in continuity if e["relation"] == "child")
    priorities = [
        _foreign_priority(p) for p in _list(item.get("foreignPriorityBag") or meta.get("foreignPriorityBag"))
    ]
    claimed = [p["filing_date"] for p in priorities if p.get("filing_date")]
    claimed += [
        e["filing_date"]
        for e in continuity
        if e["relation"] == "parent" and e.get("type") == "PRO" and e.get("filing_date")
    ]
    entity = _dict(meta.get("entityStatusData"))
    earliest, patent = _text(meta.get("earliestPublicationNumber")), _text(meta.get("patentNumber"))
    candidates = (
        _normalised_publication(earliest) if earliest else None,
        _normalised_publication(f"US{patent}") if patent else None,
    )
    publications = _unique(p for p in candidates if p)
    pct = _text(meta.get("pctPublicationNumber"))
    assignments = [_odp_assignment(a) for a in _list(item.get("assignmentBag") or meta.get("assignmentBag"))]
    metadata = _compact(
        {
            "status_code": _int(meta.get("applicationStatusCode")),
            "status_date": _iso(_date(meta.get("applicationStatusDate"))),
            "first_inventor_to_file": _flag(meta.get("firstInventorToFileIndicator")),
            "entity_status": _text(
                entity.get("businessEntityStatusCategory") or meta.get("businessEntityStatusCategory")
            ),
            "small_entity": _flag(
                entity.get("smallEntityStatusIndicator", meta.get("smallEntityStatusIndicator"))
            ),
            "application_type": _text(meta.get("applicationTypeCode")),
            "application_type_label": _text(meta.get("applicationTypeLabelName")),
            "national_stage": _flag(meta.get("nationalStageIndicator")),
            "effective_filing_date": _iso(_date(meta.get("effectiveFilingDate"))),
            "earliest_publication_date": _iso(_date(meta.get("earliestPublicationDate"))),
            "pct_publication": (_normalised_publication(pct) or pct) if pct else None,
            "docket_number": _text(meta.get("docketNumber")),
            "group_art_unit": _text(meta.get("groupArtUnitNumber")),
            "examiner": _text(meta.get("examinerNameText")),
            "customer_number": _text(meta.get("customerNumber")),
            "confirmation_number": _text(meta.get("applicationConfirmationNumber")),
            "inventors": _unique(
                n for i in _list(meta.get("inventorBag")) if (n := _text(_dict(i).get("inventorNameText")))
            ),
            "cpc": _unique(c for c in map(_text, _list(meta.get("cpcClassificationBag"))) if c),
            "foreign_priorities": priorities,
            "continuity": continuity,
            "assignments": assignments,
        }
    )
    return PatentRecord(
        source=SOURCE,
        office=OFFICE,
        application=application,
        title=_text(meta.get("inventionTitle")),
        applicants=_applicants(meta),
        filing_date=_date(meta.get("filingDate")),
        priority_date=min((dt.date.fromisoformat(d) for d in claimed), default=None),
        publications=publications,
        grant_date=_date(meta.get("grantDate")),
        status=_text(meta.get("applicationStatusDescriptionText")),
        kind=_kind(_text(meta.get("applicationTypeCode"))),
        parents=parents,
        children=children,
        metadata=metadata,
    )


def _kind(code: str | None) -> str | None:
    # A US utility application is an invention patent application; "utility" is the CN utility model.
    return {"UTL": "invention", "DES": "design", "PLT": "plant"}.get(code or "")


def _applicants(meta: dict[str, Any]) -> list[str]:
    names = _unique(
        n
        for a in _list(meta.get("applicantBag"))
        if (n := _text(_dict(a).get("applicantNameText")) or _text(_dict(a).get("applicant")))
    )
    if not names and (first := _text(meta.get("firstApplicantName"))):
        names = [first]
    return names


def _unique(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def _foreign_priority(entry: Any) -> dict[str, Any]:
    e = _dict(entry)
    return _compact(
        {
            "office": _text(e.get("ipOfficeName") or e.get("ipOfficeCode")),
            "application": _text(e.get("applicationNumberText")),
            "filing_date": _iso(_date(e.get("filingDate"))),
        }
    )


def _continuity(item: dict[str, Any]) -> list[dict[str, Any]]:
    """Continuity entries of an item in either generation, as JSON-safe dicts."""
    bag = _dict(item.get("continuityBag")) or item
    out: list[dict[str, Any]] = []
    for relation, other in (("parent", "child"), ("child", "parent")):
        for entry in _list(bag.get(f"{relation}ContinuityBag")):
            e = _dict(entry)
            number = _text(e.get(f"{relation}ApplicationNumberText"))
            if number is None:
                continue
            of = _text(e.get(f"{other}ApplicationNumberText"))
            patent = _text(e.get(f"{relation}PatentNumber"))
            out.append(
                _compact(
                    {
                        "relation": relation,
                        "application": _relative(number),
                        "of": _relative(of) if of else None,
                        "type": _text(e.get("claimParentageTypeCode")),
                        "description": _text(e.get("claimParentageTypeCodeDescription")),
                        "filing_date": _iso(
                            _date(e.get(f"{relation}ApplicationFilingDate") or e.get("filingDate"))
                        ),
                        "status_code": _int(
                            e.get(f"{relation}ApplicationStatusCode", e.get("applicationStatusCode"))
                        ),
                        "status": _text(
                            e.get(f"{relation}ApplicationStatusDescriptionText")
                            or e.get("applicationStatusDescriptionText")
                        ),
                        "patent": (_normalised_publication(f"US{patent}") or patent) if patent else None,
                    }
                )
            )
    return out


def _continuity_records(doc: dict[str, Any], name: str) -> list[PatentRecord]:
    records: list[PatentRecord] = []
    for item in _items(doc, name):
        continuity = _continuity(item)
        raw = _text(item.get("applicationNumberText"))
        application = _us_application(raw) if raw else _from_name(name) or _continuity_subject(continuity)
        if application is None:
            raise RejectedInput(
                f"{name}: the continuity answer does not say whose continuity it is; "
                "name the file after the application (15123456_continuity.json)"
            )
        records.append(
            PatentRecord(
                source=SOURCE,
                office=OFFICE,
                application=application,
                parents=_unique(e["application"] for e in continuity if e["relation"] == "parent"),
                children=_unique(e["application"] for e in continuity if e["relation"] == "child"),
                metadata={"continuity": continuity},
            )
        )
    return records


def _continuity_subject(continuity: list[dict[str, Any]]) -> str | None:
    """The application a beta continuity answer is about: the one child among the parent entries
    that is nobody's parent there, agreeing with the parent of every child entry."""
    parents = {e["application"] for e in continuity if e["relation"] == "parent"}
    candidates = {e["of"] for e in continuity if e["relation"] == "parent" and e.get("of")} - parents
    candidates |= {e["of"] for e in continuity if e["relation"] == "child" and e.get("of")}
    return candidates.pop() if len(candidates) == 1 else None


# ----------------------------------------------------------------------------------------------------
# Events


def _from_name(name: str) -> str | None:
    """The application a request URL or file name is about (``…/applications/15123456/…``)."""
    match = _NUMBER_IN_URL.search(name)
    if match and (found := _us_application(unquote(match[1]))):
        return found
    base = PurePosixPath(name.replace("\\", "/")).name
    match = _NUMBER_IN_NAME.search(base)
    return _us_application(match[1]) if match else None


def _subject(raw: str | None, given: str | None, name: str, what: str) -> str:
    """The application events belong to: the answer's own number, else ``given``, else ``name``;
    an answer about another application than ``given`` is refused."""
    wanted = (_us_application(given) or given) if given else None
    if raw:
        found = _us_application(raw)
        if found is None:
            raise RejectedInput(f"{name}: {raw!r} is not a US application number")
        if wanted and found != wanted:
            raise RejectedInput(f"{name}: the {what} are for {found}, not {wanted}")
        return found
    application = wanted or _from_name(name)
    if application is None:
        raise RejectedInput(
            f"{name}: the {what} do not say which application they belong to; "
            "pass the application or name the file after it (15123456_transactions.json)"
        )
    return application


def _transactions(doc: dict[str, Any], name: str, given: str | None) -> list[PatentEvent]:
    events: list[PatentEvent] = []
    for item in _items(doc, name):
        if not any(key in item for key in _EVENT_BAGS):
            continue
        meta = _dict(item.get("applicationMetaData"))
        raw = _text(item.get("applicationNumberText")) or _text(meta.get("applicationNumberText"))
        events.extend(_events_of(item, _subject(raw, given, name, "transactions")))
    return events


def _events_of(item: dict[str, Any], application: str) -> list[PatentEvent]:
    events: list[PatentEvent] = []
    for key in _EVENT_BAGS:
        for entry in _list(item.get(key)):
            e = _dict(entry)
            code = _text(e.get("eventCode")) or _text(e.get("caseActionCode"))
            if code is None:
                continue
            text = _text(e.get("eventDescriptionText")) or _text(e.get("caseActionDescriptionText")) or code
            events.append(
                PatentEvent(
                    source=SOURCE,
                    office=OFFICE,
                    application=application,
                    code=code,
                    date=_date(e.get("eventDate") or e.get("recordedDate")),
                    text=text,
                    kind="transaction",
                    known=code in KNOWN_CODES,
                )
            )
    return events


def _documents(doc: dict[str, Any], name: str, given: str | None) -> list[PatentEvent]:
    bag = doc.get("documentBag")
    if bag is None:
        return []
    if not isinstance(bag, list):
        raise RejectedInput(f"{name}: documentBag is a JSON {type(bag).__name__}, not a list")
    events: list[PatentEvent] = []
    subjects: dict[str | None, str] = {}
    for entry in bag:
        e = _dict(entry)
        code = _text(e.get("documentCode"))
        if code is None:
            continue
        raw = _text(e.get("applicationNumberText"))
        if raw not in subjects:
            subjects[raw] = _subject(raw, given, name, "documents")
        downloads = [
            _compact(
                {
                    "format": _text(d.get("mimeTypeIdentifier")),
                    "url": _text(d.get("downloadUrl") or d.get("downloadURI")),
                    "pages": _int(d.get("pageTotalQuantity")),
                }
            )
            for d in map(_dict, _list(e.get("downloadOptionBag")))
        ]
        pdf = next((d for d in downloads if d.get("format") == "PDF" and d.get("url")), None)
        first = pdf or next((d for d in downloads if d.get("url")), None)
        events.append(
            PatentEvent(
                source=SOURCE,
                office=OFFICE,
                application=subjects[raw],
                code=code,
                date=_date(e.get("officialDate")),
                text=_text(e.get("documentCodeDescriptionText")) or code,
                kind="document",
                known=code in KNOWN_CODES,
                metadata=_compact(
                    {
                        "document_id": _text(e.get("documentIdentifier")),
                        "direction": _text(e.get("documentDirectionCategory") or e.get("directionCategory")),
                        "official_date": _text(e.get("officialDate")),
                        "url": first.get("url") if first else None,
                        "pages": first.get("pages") if first else None,
                        "downloads": [d for d in downloads if d],
                    }
                ),
            )
        )
    return events


# ----------------------------------------------------------------------------------------------------
# Global Dossier


def _gd_date(*values: Any) -> dt.date | None:
    """The first readable date: epoch milliseconds (UTC), ``MM/DD/YYYY`` or ISO."""
    for value in values:
        day = _gd_one_date(value)
        if day is not None:
            return day
    return None


def _gd_one_date(value: Any) -> dt.date | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, int | float):
        try:
            return (_EPOCH + dt.timedelta(milliseconds=value)).date()
        except (OverflowError, ValueError):
            return None
    text = _text(value)
    if not text:
        return None
    match = _US_DATE.match(text)
    if match:
        try:
            return dt.date(int(match[3]), int(match[1]), int(match[2]))
        except ValueError:
            return None
    return _date(text)


def _global_dossier(doc: dict[str, Any], name: str) -> list[PatentRecord]:
    raw_subject = _text(doc.get("corrAppNum")) or _text(doc.get("id"))
    subject_office = _text(doc.get("country")) or OFFICE
    family_of = (_normalised_application(subject_office, raw_subject) or raw_subject) if raw_subject else None
    members: list[tuple[dict[str, Any], str, str, dt.date | None]] = []
    for entry in _list(doc.get("list")):
        m = _dict(entry)
        number_doc = _dict(m.get("docNum"))
        office = _text(m.get("countryCode")) or _text(number_doc.get("country"))
        raw = _text(m.get("appNum")) or _text(number_doc.get("docNumber"))
        if office is None or raw is None:
            continue
        application = _normalised_application(office, raw) or f"{office}{raw}"
        filed = _gd_date(m.get("appDateStr"), m.get("appDate"), number_doc.get("date"))
        members.append((m, office, application, filed))
    filed_by_number = {application: filed for _m, _o, application, filed in members}
    records: list[PatentRecord] = []
    for m, office, application, filed in members:
        publications: list[str] = []
        published: list[dict[str, Any]] = []
        grant: dt.date | None = None
        for p in map(_dict, _list(m.get("pubList"))):
            country = _text(p.get("pubCountry")) or office
            number = _text(p.get("pubNum"))
            if number is None:
                continue
            kind = _text(p.get("kindCode")) or ""
            publication = _normalised_publication(f"{country}{number}{kind}") or f"{country}{number}{kind}"
            day = _gd_date(p.get("pubDateStr"), p.get("pubDate"))
            publications.append(publication)
            published.append(_compact({"number": publication, "kind": kind or None, "date": _iso(day)}))
            # Kind B is the granted patent at the offices a portfolio meets (US, EP, JP, KR, CN since 2010).
            if kind.startswith("B") and day and (grant is None or day < grant):
                grant = day
        claims: list[str] = []
        for c in map(_dict, _list(m.get("priorityClaimList"))):
            claim_office, claim_number = _text(c.get("country")), _text(c.get("docNumber"))
            if claim_office and claim_number:
                claims.append(
                    _normalised_application(claim_office, claim_number) or f"{claim_office}{claim_number}"
                )
        claims = _unique(claims)
        priority = min(
            (d for c in claims if c != application and (d := filed_by_number.get(c)) is not None),
            default=None,
        )
        applicants = [n for n in map(_text, _list(m.get("applicantNames"))) if n]
        records.append(
            PatentRecord(
                source=GLOBAL_DOSSIER_SOURCE,
                office=office,
                application=application,
                title=_text(m.get("title")),
                applicants=_unique(applicants),
                filing_date=filed,
                priority_date=priority,
                publications=_unique(publications),
                grant_date=grant,
                metadata=_compact(
                    {
                        "family_of": family_of,
                        "kind_code": _text(m.get("kindCode")),
                        "ip5": m.get("ip5") if isinstance(m.get("ip5"), bool) else None,
                        "priority_claims": claims,
                        "publication_dates": published,
                    }
                ),
            )
        )
    return records


# ----------------------------------------------------------------------------------------------------
# Assignments


def _solr_fields(doc: Any) -> dict[str, list[str | None]]:
    """A Solr ``<doc>``: each named field as a list of values, sentinels ("NULL", year 1) as None."""
    fields: dict[str, list[str | None]] = {}
    for child in doc:
        key = child.get("name")
        if not key:
            continue
        nodes = list(child) if child.tag == "arr" else [child]
        values: list[str | None] = []
        for node in nodes:
            text = " ".join((node.text or "").split())
            values.append(None if text in _SOLR_NULLS else text)
        fields[key] = values
    return fields


def _solr_date(text: str | None) -> str | None:
    return _iso(_date(text))


def _solr_assignment(fields: dict[str, list[str | None]]) -> dict[str, Any]:
    def one(key: str) -> str | None:
        values = fields.get(key) or [None]
        return values[0]

    def many(key: str) -> list[str | None]:
        return fields.get(key) or []

    def at(values: list[str | None], index: int) -> str | None:
        return values[index] if index < len(values) else None

    assignors = [
        _compact({"name": n, "execution_date": _solr_date(at(many("patAssignorExDate"), i))})
        for i, n in enumerate(many("patAssignorName"))
        if n
    ]
    address_keys = (
        "patAssigneeAddress1",
        "patAssigneeAddress2",
        "patAssigneeCity",
        "patAssigneeState",
        "patAssigneeCountryName",
        "patAssigneePostcode",
    )
    assignees = []
    for i, n in enumerate(many("patAssigneeName")):
        if not n:
            continue
        parts = [p for key in address_keys if (p := at(many(key), i))]
        assignees.append(_compact({"name": n, "address": ", ".join(parts) or None}))
    properties = []
    for i, raw in enumerate(many("applNum")):
        patent, publication = at(many("patNum"), i), at(many("publNum"), i)
        pct = at(many("pctNum"), i)
        properties.append(
            _compact(
                {
                    "application": (_us_application(raw) or raw) if raw else None,
                    "filing_date": _solr_date(at(many("filingDate"), i)),
                    "patent": (_normalised_publication(f"US{patent}") or patent) if patent else None,
                    "issue_date": _solr_date(at(many("issueDate"), i)),
                    "publication": (_normalised_publication(f"US{publication}") or publication)
                    if publication
                    else None,
                    "publication_date": _solr_date(at(many("publDate"), i)),
                    "pct": pct,
                    "title": at(many("inventionTitle"), i),
                }
            )
        )
    reel, frame = one("reelNo"), one("frameNo")
    display = one("displayId")
    if display and "-" in display:
        reel_frame: str | None = display.replace("-", "/")
    elif reel and frame and reel.isdigit() and frame.isdigit():
        reel_frame = f"{int(reel):06d}/{int(frame):04d}"
    else:
        reel_frame = one("id")
    executed = [d for d in (_solr_date(x) for x in many("patAssignorExDate")) if d]
    pages = one("pageCount")
    return _compact(
        {
            "reel_frame": reel_frame,
            "conveyance": one("conveyanceText"),
            "recorded_date": _solr_date(one("recordedDate")),
            "execution_date": _solr_date(one("patAssignorEarliestExDate")) or min(executed, default=None),
            "assignors": assignors,
            "assignees": assignees,
            "properties": properties,
            "correspondent": one("corrName"),
            "attorney_docket": one("attorneyDockNum"),
            "pages": int(pages) if pages and pages.isdigit() else None,
        }
    )


def _odp_assignment(entry: Any) -> dict[str, Any]:
    """An ODP ``assignmentBag`` entry in the same shape as :func:`parse_assignments` gives."""
    a = _dict(entry)
    reel, frame = _text(a.get("reelNumber")), _text(a.get("frameNumber"))
    assignees = []
    for e in map(_dict, _list(a.get("assigneeBag"))):
        address = _dict(e.get("assigneeAddress"))
        parts = [
            p
            for keys in _ADDRESS_KEYS
            if (p := next((t for key in keys if (t := _text(address.get(key)))), None))
        ]
        assignees.append(
            _compact({"name": _text(e.get("assigneeNameText")), "address": ", ".join(parts) or None})
        )
    correspondence = [
        _dict(c) for c in _list(a.get("correspondenceAddressBag") or a.get("correspondenceAddress"))
    ]
    return _compact(
        {
            "reel_frame": _text(a.get("reelNumber/frameNumber"))
            or (f"{reel}/{frame}" if reel and frame else None),
            "conveyance": _text(a.get("conveyanceText")),
            "recorded_date": _iso(_date(a.get("assignmentRecordedDate"))),
            "received_date": _iso(_date(a.get("assignmentReceivedDate"))),
            "mailed_date": _iso(_date(a.get("assignmentMailedDate"))),
            "execution_date": min(
                (d for e in _list(a.get("assignorBag")) if (d := _iso(_date(_dict(e).get("executionDate"))))),
                default=None,
            ),
            "assignors": [
                _compact(
                    {
                        "name": _text(e.get("assignorName")),
                        "execution_date": _iso(_date(e.get("executionDate"))),
                    }
                )
                for e in map(_dict, _list(a.get("assignorBag")))
            ],
            "assignees": [x for x in assignees if x],
            "correspondent": _text(correspondence[0].get("correspondentNameText"))
            if correspondence
            else None,
            "pages": _int(a.get("pageNumber")),
        }
    )
