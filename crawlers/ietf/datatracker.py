"""The IETF Datatracker JSON API (``/api/v1``, Django Tastypie): list pages and typed records.

A list response is ``{"meta": {"limit", "next", "offset", "previous", "total_count"}, "objects": [...]}``;
``next`` is a path with query (``/api/v1/doc/document/?limit=20&offset=20&…``) or null. Related
objects are resource URIs: documents by name (``/api/v1/doc/document/draft-ietf-quic-transport/``),
groups, states and disclosures by numeric id (``/api/v1/group/group/1705/``, ``/api/v1/doc/state/1/``),
names by slug (``/api/v1/name/streamname/ietf/``, ``/api/v1/doc/statetype/draft-iesg/``). Times are
UTC, written ``2016-12-16T02:23:31Z`` (``ietf/api/__init__.py`` Serializer); naive ones are read as UTC.

Resources (field names from ietf-tools/datatracker ``ietf/*/resources.py`` and ``models.py``):

- ``/api/v1/doc/document/?group__acronym=<wg>&type=draft`` → :func:`parse_draft`
- ``/api/v1/doc/state/`` → :func:`parse_state`, :func:`resolve_states`
- ``/api/v1/doc/docevent/?doc__name=<name>`` → :func:`parse_event`
- ``/api/v1/doc/relateddocument/?source__name=<name>`` (what it replaces, obsoletes, updates,
  ``became_rfc``) and ``?target__name=<name>`` (what replaces it) → :func:`parse_relation`
- ``/api/v1/meeting/meeting/?type=ietf`` → :func:`parse_meeting`
- ``/api/v1/group/group/?acronym=<wg>`` → :func:`parse_group`, :func:`group_acronyms`
- ``/api/v1/ipr/iprdisclosurebase/?docs__name=<name>`` (or ``holderiprdisclosure``,
  ``thirdpartyiprdisclosure``, ``genericiprdisclosure``) with ``/api/v1/ipr/iprdocrel/?disclosure=<id>``
  for the revisions each disclosure covers → :func:`parse_ipr`

Nothing here fetches: the spider fetches, these functions read the bytes and the objects.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from crawlers.extract import RejectedInput
from crawlers.ietf.names import expiry

API_ROOT = "/api/v1"
DEFAULT_BASE_URL = "https://datatracker.ietf.org"


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list response; ``next`` is the path of the next page, None on the last."""

    objects: list[dict[str, Any]]
    next: str | None
    total: int | None
    offset: int | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class DraftRecord:
    name: str
    rev: str | None
    title: str | None
    abstract: str | None
    time: dt.datetime | None
    expires: dt.date | None  # the API's value, else time + 185 days (expires_estimated)
    group: str | None  # acronym, when the group's URI is in the ``groups`` mapping given
    state_uris: tuple[str, ...]
    std_level: str | None  # slug: "ps", "inf", …
    intended_std_level: str | None
    stream: str | None  # slug: "ietf", "irtf", "iab", "ise"
    pages: int | None
    group_uri: str | None = None
    rfc: str | None = None  # "RFC 8089" when the API gives the number (documents of type rfc)
    expires_estimated: bool = False
    uri: str | None = None


@dataclass(frozen=True, slots=True)
class StateRecord:
    uri: str
    slug: str
    name: str
    type: str  # state type slug: "draft", "draft-iesg", "draft-stream-ietf", …


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int | None
    doc: str | None  # document name
    type: str  # new_revision, changed_state, published_rfc, expired_document, …
    time: dt.datetime | None
    desc: str
    rev: str | None
    by: str | None = None  # person URI


@dataclass(frozen=True, slots=True)
class RelationRecord:
    source: str  # document name: the source "replaces"/"obs"/"updates"/"became_rfc" the target
    target: str
    relationship: str  # slug


@dataclass(frozen=True, slots=True)
class MeetingRecord:
    number: str
    start: dt.date
    end: dt.date  # start + days - 1, as Meeting.end_date() computes it
    city: str | None
    country: str | None
    time_zone: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True)
class GroupRecord:
    uri: str
    acronym: str
    name: str | None
    type: str | None  # slug: "wg", "rg", "area", "individ", …
    state: str | None  # slug: "active", "conclude", …
    parent_uri: str | None = None


@dataclass(frozen=True, slots=True)
class IprRecord:
    id: int
    title: str | None
    holder: str | None  # holder_legal_name
    time: dt.datetime | None
    state: str | None  # slug: "posted", "pending", "removed", …
    documents: tuple[tuple[str, str | None], ...]  # (document name, revisions such as "16" or "00-03")
    licensing: str | None  # slug of the licence declaration (holder disclosures only)
    url: str


# --- pages -------------------------------------------------------------------------------------


def page(data: bytes, *, name: str = "Datatracker response") -> Page:
    """Read a Tastypie list response; anything else is a :class:`RejectedInput` naming ``name``."""
    try:
        decoded = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RejectedInput(f"{name}: not JSON ({exc})") from None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("objects"), list):
        raise RejectedInput(f"{name}: not a Datatracker list response: no 'objects' list")
    objects = decoded["objects"]
    if not all(isinstance(o, dict) for o in objects):
        raise RejectedInput(f"{name}: not a Datatracker list response: 'objects' holds non-objects")
    meta = decoded.get("meta", {})
    if not isinstance(meta, dict):
        raise RejectedInput(f"{name}: not a Datatracker list response: 'meta' is not an object")
    following = meta.get("next")
    if following is not None and not isinstance(following, str):
        raise RejectedInput(f"{name}: 'meta.next' is not a string")
    return Page(
        objects=objects,
        next=following or None,
        total=_int(meta.get("total_count")),
        offset=_int(meta.get("offset")),
        limit=_int(meta.get("limit")),
    )


def fixture_name(path_and_query: str) -> str:
    """Where a recorded response to ``path_and_query`` is stored (see tests/fixtures/ietf/datatracker).

    ``/api/v1/doc/document/?type=draft&group__acronym=appsawg`` →
    ``api/v1/doc/document/__group__acronym=appsawg&type=draft.json`` (parameters sorted, ``format``
    dropped); a URL without query → ``…/index.json``.
    """
    parts = urlsplit(path_and_query)
    path = parts.path.strip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "format")
    if not query:
        return f"{path}/index.json"
    return f"{path}/__{urlencode(query)}.json"


# --- records -----------------------------------------------------------------------------------


def parse_draft(obj: Mapping[str, Any], *, groups: Mapping[str, str] | None = None) -> DraftRecord:
    """A ``doc/document`` object. ``groups`` maps group URIs to acronyms (:func:`group_acronyms`)."""
    name = _required(obj, "name", "document")
    time = _datetime(obj.get("time"))
    expires_at = _datetime(obj.get("expires"))
    expires = expires_at.date() if expires_at else _date(obj.get("expires"))
    estimated = False
    if expires is None and time is not None:
        expires, estimated = expiry(time), True
    group_uri = _str(obj.get("group"))
    rfc = _str(obj.get("rfc"))
    return DraftRecord(
        name=name,
        rev=_str(obj.get("rev")),
        title=_str(obj.get("title")),
        abstract=_str(obj.get("abstract")),
        time=time,
        expires=expires,
        group=(groups or {}).get(group_uri or ""),
        state_uris=tuple(u for u in obj.get("states") or () if isinstance(u, str)),
        std_level=uri_slug(obj.get("std_level")),
        intended_std_level=uri_slug(obj.get("intended_std_level")),
        stream=uri_slug(obj.get("stream")),
        pages=_int(obj.get("pages")),
        group_uri=group_uri,
        rfc=f"RFC {int(rfc)}" if rfc and rfc.isdigit() else None,
        expires_estimated=estimated,
        uri=_str(obj.get("resource_uri")),
    )


def parse_state(obj: Mapping[str, Any]) -> StateRecord:
    """A ``doc/state`` object."""
    return StateRecord(
        uri=_required(obj, "resource_uri", "state"),
        slug=_required(obj, "slug", "state"),
        name=_required(obj, "name", "state"),
        type=uri_slug(obj.get("type")) or "",
    )


def states_by_uri(objects: Iterable[Mapping[str, Any]]) -> dict[str, StateRecord]:
    states = [parse_state(o) for o in objects]
    return {s.uri: s for s in states}


def resolve_states(draft: DraftRecord, states: Mapping[str, StateRecord]) -> dict[str, str]:
    """State type → state name, e.g. ``{"draft": "Active", "draft-iesg": "In Last Call"}``.

    URIs missing from ``states`` are left out (fetch ``/api/v1/doc/state/`` to know them all).
    """
    resolved: dict[str, str] = {}
    for uri in draft.state_uris:
        state = states.get(uri)
        if state is not None:
            resolved[state.type] = state.name
    return resolved


def parse_event(obj: Mapping[str, Any]) -> EventRecord:
    """A ``doc/docevent`` object."""
    return EventRecord(
        id=_int(obj.get("id")),
        doc=uri_slug(obj.get("doc")),
        type=_required(obj, "type", "docevent"),
        time=_datetime(obj.get("time")),
        desc=_str(obj.get("desc")) or "",
        rev=_str(obj.get("rev")),
        by=_str(obj.get("by")),
    )


def parse_relation(obj: Mapping[str, Any]) -> RelationRecord:
    """A ``doc/relateddocument`` object (target is a document URI, or a ``docalias`` URI in older data)."""
    source, target = uri_slug(obj.get("source")), uri_slug(obj.get("target"))
    relationship = uri_slug(obj.get("relationship"))
    if not source or not target or not relationship:
        raise RejectedInput("relateddocument: 'source', 'target' and 'relationship' URIs are required")
    return RelationRecord(source=source, target=target, relationship=relationship)


def parse_meeting(obj: Mapping[str, Any]) -> MeetingRecord:
    """A ``meeting/meeting`` object."""
    number = _required(obj, "number", "meeting")
    start = _date(obj.get("date"))
    if start is None:
        raise RejectedInput(f"meeting {number}: no valid 'date'")
    days = _int(obj.get("days")) or 1
    return MeetingRecord(
        number=number,
        start=start,
        end=start + dt.timedelta(days=max(days, 1) - 1),
        city=_str(obj.get("city")),
        country=_str(obj.get("country")),
        time_zone=_str(obj.get("time_zone")),
        type=uri_slug(obj.get("type")),
    )


def parse_group(obj: Mapping[str, Any]) -> GroupRecord:
    """A ``group/group`` object."""
    return GroupRecord(
        uri=_required(obj, "resource_uri", "group"),
        acronym=_required(obj, "acronym", "group"),
        name=_str(obj.get("name")),
        type=uri_slug(obj.get("type")),
        state=uri_slug(obj.get("state")),
        parent_uri=_str(obj.get("parent")),
    )


def group_acronyms(objects: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Group URI → acronym, for :func:`parse_draft`."""
    groups = [parse_group(o) for o in objects]
    return {g.uri: g.acronym for g in groups}


def parse_ipr(
    obj: Mapping[str, Any],
    docrels: Iterable[Mapping[str, Any]] = (),
    *,
    base_url: str = DEFAULT_BASE_URL,
) -> IprRecord:
    """An IPR disclosure (``iprdisclosurebase`` or one of its kinds) and the ``iprdocrel`` objects
    that link it to documents; without those, its ``docs`` URIs give the documents (no revisions)."""
    ident = _int(obj.get("id"))
    if ident is None:
        ident = _int(uri_slug(obj.get("resource_uri")))
    if ident is None:
        raise RejectedInput("IPR disclosure: no 'id'")
    documents: list[tuple[str, str | None]] = []
    for rel in docrels:
        if _int(uri_slug(rel.get("disclosure"))) != ident:
            continue
        document = uri_slug(rel.get("document"))
        if document:
            documents.append((document, _str(rel.get("revisions"))))
    if not documents:
        documents = [(n, None) for n in (uri_slug(u) for u in obj.get("docs") or ()) if n]
    return IprRecord(
        id=ident,
        title=_str(obj.get("title")),
        holder=_str(obj.get("holder_legal_name")),
        time=_datetime(obj.get("time")),
        state=uri_slug(obj.get("state")),
        documents=tuple(documents),
        licensing=uri_slug(obj.get("licensing")),
        url=f"{base_url.rstrip('/')}/ipr/{ident}/",
    )


# --- values ------------------------------------------------------------------------------------


def uri_slug(uri: object) -> str | None:
    """The last path segment of a resource URI: ``/api/v1/name/streamname/ietf/`` → ``ietf``."""
    if not isinstance(uri, str) or not uri.strip():
        return None
    segment = urlsplit(uri.strip()).path.rstrip("/").rsplit("/", 1)[-1]
    return segment or None


def _required(obj: Mapping[str, Any], key: str, resource: str) -> str:
    value = _str(obj.get(key))
    if value is None:
        raise RejectedInput(f"{resource}: the field {key!r} is missing or empty")
    return value


def _str(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _datetime(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or ("T" not in value and " " not in value.strip()):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _date(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
