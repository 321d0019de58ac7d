"""IETF Internet-Drafts followed (``ietf.groups``, ``ietf.drafts``): Datatracker facts and texts.

The crawl reads the state resources (``/api/v1/doc/state/``, every page), looks each followed
group up (``/api/v1/group/group/?acronym=<wg>``: an unknown acronym is reported) and lists its
drafts (``/api/v1/doc/document/?group__acronym=<wg>&type=draft``, following ``meta.next``); each
draft named in ``ietf.drafts`` is read from ``/api/v1/doc/document/<name>/``, and its group, when
it is not a followed one, from the group's resource. Group drafts without Datatracker activity
since ``ietf.since`` (default: the last 365 days) are skipped; drafts named one by one never are.

Per draft, only when its document record changed since the last clean crawl (the record's
digest is kept as the fetch stamp of its event list): its events (revision dates, known
revisions), its relations in both directions (replaces, replaced-by, became-RFC), then the
current revision's text from ``{archive_url}/<name>-<rev>.txt`` — ``.xml`` when the text file is
missing — unless that revision's text is stored already (stamp ``<name>-<rev>``); then a partial
item carries the new facts (states…) onto the stored version. Each draft also gets its expiry
milestone (see :mod:`crawlers.ietf.build` for the statuses). A draft is confirmed only once
stored with its text, so a draft whose text could not be had is tried again by the next crawl.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import Response

from crawlers.extract import RejectedInput
from crawlers.ietf import build
from crawlers.ietf.datatracker import (
    API_ROOT,
    DraftRecord,
    EventRecord,
    Page,
    RelationRecord,
    StateRecord,
    page,
    parse_draft,
    parse_event,
    parse_group,
    parse_relation,
    states_by_uri,
)
from crawlers.ietf.names import split_draft_name
from crawlers.spiders.base import SepwatchSpider


class DatatrackerSpider(SepwatchSpider):
    """What the Datatracker spiders share: API URLs, JSON requests, list pages, followed drafts."""

    name = "ietf_datatracker"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cfg = self.config.ietf
        self.base = self.cfg.datatracker_url.rstrip("/")
        self.since = self.cfg.since or (dt.date.today() - dt.timedelta(days=365))

    def api(self, resource: str, **params: str) -> str:
        """``api("doc/document", type="draft", group__acronym="quic")`` →
        ``…/api/v1/doc/document/?group__acronym=quic&type=draft`` (parameters sorted by name)."""
        url = f"{self.base}{API_ROOT}/{resource.strip('/')}/"
        return f"{url}?{urlencode(sorted(params.items()))}" if params else url

    def on_site(self, path: str) -> str:
        """A resource URI or ``meta.next`` (``/api/v1/…``, or absolute) on the configured base."""
        parts = urlsplit(path)
        return self.base + parts.path + (f"?{parts.query}" if parts.query else "")

    def api_request(
        self,
        url: str,
        callback: Any,
        *,
        meta: dict[str, Any] | None = None,
        stamp: str | None = None,
        leaf: bool = False,
    ) -> scrapy.Request | None:
        """A request for a JSON resource, always answered in full: the callbacks need the body.

        With ``stamp``, None when the URL's stamp is unchanged since the last clean crawl.
        """
        request = self.fetch(url, callback, stamp=stamp, leaf=leaf, meta=meta, conditional=stamp is not None)
        if request is None:
            return None
        request.headers.pop("If-None-Match", None)
        request.headers.pop("If-Modified-Since", None)
        # Tastypie picks the format from Accept; Scrapy's default Accept would get XML.
        request.headers["Accept"] = "application/json"
        return request

    def read_page(self, response: Response) -> Page | None:
        try:
            return page(response.body, name=response.url)
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            return None

    def read_object(self, response: Response) -> dict[str, Any] | None:
        try:
            decoded = json.loads(response.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.problem(response.url, f"not JSON ({exc})")
            return None
        if not isinstance(decoded, dict):
            self.problem(response.url, "not a Datatracker resource: not a JSON object")
            return None
        return decoded

    def followed_drafts(self) -> list[str]:
        """``ietf.drafts`` as draft names without revision; anything else is reported."""
        names: list[str] = []
        for text in self.cfg.drafts:
            name, _rev = split_draft_name(text)
            if not name.startswith("draft-"):
                self.problem(
                    self.name, f"ietf.drafts: {text!r} is not a draft name like draft-ietf-quic-http"
                )
            elif name not in names:
                names.append(name)
        return names

    def followed_groups(self) -> list[str]:
        """``ietf.groups`` as Datatracker acronyms (lower case), each once."""
        return list(dict.fromkeys(g.strip().lower() for g in self.cfg.groups if g.strip()))

    def group_list_url(self, acronym: str) -> str:
        return self.api("doc/document", group__acronym=acronym, type="draft")

    def in_window(self, record: DraftRecord) -> bool:
        """A group's draft is followed while the Datatracker shows activity since ``ietf.since``."""
        return record.time is None or record.time.astimezone(dt.UTC).date() >= self.since


@dataclass(slots=True)
class DraftJob:
    """One draft on its way through the chain of requests."""

    obj: dict[str, Any]
    record: DraftRecord
    group: str | None = None
    events: list[EventRecord] = field(default_factory=list)
    relations: list[RelationRecord] = field(default_factory=list)
    first: Response | None = None  # the stamped event list: confirmed once the draft is stored


_NO_GROUP_TYPES = ("individ",)
_NO_GROUP_ACRONYMS = ("none",)


class Spider(DatatrackerSpider):
    name = "ietf_drafts"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state_records: list[dict[str, Any]] = []
        self.known_states: dict[str, StateRecord] = {}
        self.group_acronyms: dict[str, str | None] = {}  # group URI → acronym (None: no group)
        self.unknown_groups: set[str] = set()  # group URIs that could not be read
        self.waiting: dict[str, list[DraftJob]] = {}  # group URI being looked up → drafts in it
        self.lookups_pending = 0
        self.claimed: set[str] = set()

    async def start(self) -> AsyncIterator[Any]:
        if not self.cfg.groups and not self.cfg.drafts:
            self.problem(self.name, "nothing to follow: configure ietf.groups or ietf.drafts")
            return
        request = self.api_request(self.api("doc/state"), self.parse_states)
        if request is not None:
            yield request

    # --- states, groups, lists ----------------------------------------------------------------

    def parse_states(self, response: Response) -> Iterator[Any]:
        listing = self.read_page(response)
        if listing is None:
            return
        self.state_records.extend(listing.objects)
        if listing.next:
            request = self.api_request(self.on_site(listing.next), self.parse_states)
            if request is not None:
                yield request
            return
        try:
            self.known_states = states_by_uri(self.state_records)
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            return
        groups = self.followed_groups()
        self.lookups_pending = len(groups)
        for acronym in groups:
            request = self.api_request(
                self.api("group/group", acronym=acronym),
                self.parse_group_lookup,
                meta={"step": "group-lookup", "acronym": acronym},
            )
            if request is not None:
                yield request
        if not groups:
            yield from self.named_drafts()

    def parse_group_lookup(self, response: Response) -> Iterator[Any]:
        acronym: str = response.meta["acronym"]
        listing = self.read_page(response)
        found = None
        for obj in listing.objects if listing else ():
            try:
                group = parse_group(obj)
            except RejectedInput as exc:
                self.problem(response.url, exc.reason)
                continue
            if group.acronym.lower() == acronym.lower():
                found = group
                self.group_acronyms[group.uri] = group.acronym
        if listing is not None and found is None:
            self.problem(response.url, f"ietf.groups: the Datatracker has no group {acronym!r}")
        if found is not None:
            request = self.api_request(
                self.group_list_url(found.acronym), self.parse_draft_list, meta={"acronym": found.acronym}
            )
            if request is not None:
                yield request
        yield from self.lookup_done()

    def lookup_done(self) -> Iterator[Any]:
        """Drafts named one by one are read once the followed groups are known (their drafts'
        groups need no lookup of their own)."""
        self.lookups_pending -= 1
        if self.lookups_pending == 0:
            yield from self.named_drafts()

    def named_drafts(self) -> Iterator[Any]:
        for name in self.followed_drafts():
            if name in self.claimed:  # listed in a followed group already
                continue
            request = self.api_request(self.api(f"doc/document/{name}"), self.parse_draft_detail)
            if request is not None:
                yield request

    def parse_draft_list(self, response: Response) -> Iterator[Any]:
        listing = self.read_page(response)
        if listing is None:
            return
        self.report.add("drafts_listed", len(listing.objects))
        for obj in listing.objects:
            yield from self.start_draft(obj, response.url, listed_in=response.meta["acronym"])
        if listing.next:
            request = self.api_request(
                self.on_site(listing.next), self.parse_draft_list, meta={"acronym": response.meta["acronym"]}
            )
            if request is not None:
                yield request

    def parse_draft_detail(self, response: Response) -> Iterator[Any]:
        obj = self.read_object(response)
        if obj is not None:
            yield from self.start_draft(obj, response.url, listed_in=None)

    # --- one draft ----------------------------------------------------------------------------

    def start_draft(self, obj: dict[str, Any], where: str, *, listed_in: str | None) -> Iterator[Any]:
        try:
            record = parse_draft(obj)
        except RejectedInput as exc:
            self.problem(where, exc.reason)
            return
        if record.name in self.claimed:
            return
        if listed_in is not None and not self.in_window(record):
            self.report.add("drafts_before_since")
            return
        self.claimed.add(record.name)
        job = DraftJob(obj=obj, record=record)
        uri = record.group_uri
        if uri is None:
            job.group = build.group_from_name(record.name)
        elif uri in self.group_acronyms:
            job.group = self.group_acronyms[uri]
        elif uri in self.unknown_groups:
            job.group = build.group_from_name(record.name)
        elif uri in self.waiting:
            self.waiting[uri].append(job)
            return
        else:
            request = self.api_request(
                self.on_site(uri), self.parse_group_detail, meta={"step": "group", "group_uri": uri}
            )
            if request is not None:
                self.waiting[uri] = [job]
                yield request
                return
        yield from self.events_step(job)

    def parse_group_detail(self, response: Response) -> Iterator[Any]:
        uri: str = response.meta["group_uri"]
        obj = self.read_object(response)
        if obj is None:
            yield from self.group_unknown(uri)
            return
        try:
            group = parse_group(obj)
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            yield from self.group_unknown(uri)
            return
        individual = group.type in _NO_GROUP_TYPES or group.acronym.lower() in _NO_GROUP_ACRONYMS
        acronym = None if individual else group.acronym
        self.group_acronyms[uri] = acronym
        for job in self.waiting.pop(uri, []):
            job.group = acronym
            yield from self.events_step(job)

    def group_unknown(self, uri: str) -> Iterator[Any]:
        """The group could not be read: the name tells the WG of draft-ietf-<wg>-… drafts."""
        self.unknown_groups.add(uri)
        for job in self.waiting.pop(uri, []):
            job.group = build.group_from_name(job.record.name)
            yield from self.events_step(job)

    def events_step(self, job: DraftJob) -> Iterator[Any]:
        request = self.api_request(
            self.api("doc/docevent", doc__name=job.record.name),
            self.parse_events,
            stamp=build.fingerprint(job.obj),
            leaf=True,
            meta={"step": "events", "job": job},
        )
        if request is None:
            self.report.add("drafts_unchanged")
            return
        yield request

    def parse_events(self, response: Response) -> Iterator[Any]:
        job: DraftJob = response.meta["job"]
        if job.first is None:
            job.first = response
        listing = self.read_page(response)
        if listing is None:
            return
        for obj in listing.objects:
            try:
                job.events.append(parse_event(obj))
            except RejectedInput as exc:
                self.problem(response.url, exc.reason)
        if listing.next:
            yield from self.then(self.on_site(listing.next), self.parse_events, job, "events")
            return
        yield from self.then(
            self.api("doc/relateddocument", source__name=job.record.name), self.parse_relations, job, "source"
        )

    def parse_relations(self, response: Response) -> Iterator[Any]:
        job: DraftJob = response.meta["job"]
        listing = self.read_page(response)
        if listing is None:
            return
        for obj in listing.objects:
            try:
                job.relations.append(parse_relation(obj))
            except RejectedInput as exc:
                self.problem(response.url, exc.reason)
        direction = response.meta["step"]
        if listing.next:
            yield from self.then(self.on_site(listing.next), self.parse_relations, job, direction)
        elif direction == "source":
            yield from self.then(
                self.api("doc/relateddocument", target__name=job.record.name),
                self.parse_relations,
                job,
                "target",
            )
        else:
            yield from self.text_step(job)

    def then(self, url: str, callback: Any, job: DraftJob, step: str) -> Iterator[Any]:
        request = self.api_request(url, callback, meta={"step": step, "job": job})
        if request is not None:
            yield request

    def facts(self, job: DraftJob) -> build.DraftFacts:
        return build.draft_facts(
            job.record,
            states=self.known_states,
            events=job.events,
            relations=job.relations,
            group=job.group,
            datatracker_url=self.base,
        )

    # --- the text -----------------------------------------------------------------------------

    def text_step(self, job: DraftJob) -> Iterator[Any]:
        rev = job.record.rev
        if rev is None:
            self.problem(
                job.record.uri or job.record.name, "the Datatracker gives no revision: no text to fetch"
            )
            yield from self.without_text(job, stored=False)
            return
        stamp = f"{job.record.name}-{rev}"
        base = f"{self.cfg.archive_url.rstrip('/')}/{stamp}"
        meta = {"step": "text", "job": job, "fallback": base + ".xml"}
        txt = self.fetch(base + ".txt", self.parse_text, stamp=stamp, leaf=True, meta=meta)
        if txt is None or self.fetch(base + ".xml", self.parse_text, stamp=stamp, leaf=True) is None:
            yield from self.without_text(job, stored=True)
            return
        yield txt

    def parse_text(self, response: Response) -> Iterator[Any]:
        job: DraftJob = response.meta["job"]
        if self.unchanged(response):
            yield from self.without_text(job, stored=True)
            return
        file_name = response.url.rsplit("/", 1)[-1]
        expected = f"{job.record.name}-{job.record.rev}"
        try:
            extracted = build.extract_document(response.body, file_name)
            docname = extracted.metadata.get("docname")
            if isinstance(docname, str) and docname != expected:
                raise RejectedInput(f"{file_name}: the file is {docname}, not {expected}")
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            yield from self.without_text(job, stored=False)
            return
        facts = self.facts(job)
        self.report.add("draft_texts")
        yield build.draft_document(facts, extracted, response.url)
        yield from self.milestone(facts)
        self.seen(response)
        if job.first is not None:
            self.seen(job.first)

    def without_text(self, job: DraftJob, *, stored: bool) -> Iterator[Any]:
        """The facts as a partial item; the draft is confirmed only when its text is stored."""
        facts = self.facts(job)
        yield build.draft_update(facts, text_stored=stored)
        yield from self.milestone(facts)
        if stored and job.first is not None:
            self.seen(job.first)

    def milestone(self, facts: build.DraftFacts) -> Iterator[Any]:
        milestone = build.expiry_milestone(facts)
        if milestone is not None:
            yield milestone

    # --- failures -----------------------------------------------------------------------------

    def failed(self, failure: Any) -> Iterator[Any]:  # type: ignore[override]
        request = getattr(failure, "request", None)
        meta: dict[str, Any] = request.meta if request is not None else {}
        step = meta.get("step")
        response = getattr(failure.value, "response", None)
        status = response.status if response is not None else None
        if step == "text" and meta.get("fallback") and status == 404:
            # No .txt for this revision (XML-only submissions): the .xml is the text.
            self.report.add("text_fallback_to_xml")
            job: DraftJob = meta["job"]
            stamp = f"{job.record.name}-{job.record.rev}"
            xml = self.fetch(
                meta["fallback"], self.parse_text, stamp=stamp, leaf=True, meta={"step": "text", "job": job}
            )
            if xml is not None:
                yield xml
            else:
                yield from self.without_text(job, stored=True)
            return
        super().failed(failure)
        if step == "text":
            yield from self.without_text(meta["job"], stored=False)
        elif step == "group-lookup":
            yield from self.lookup_done()
        elif step == "group":
            yield from self.group_unknown(meta["group_uri"])
        elif "job" in meta:
            self.report.add("drafts_failed")
