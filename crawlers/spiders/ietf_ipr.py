"""IPR disclosures on the followed drafts and their RFCs → one document per disclosure.

The followed documents are the drafts named in ``ietf.drafts``, the drafts of ``ietf.groups`` with
Datatracker activity since ``ietf.since`` (the same lists ``ietf_drafts`` reads), and the RFCs the
store knows those drafts became (``rfc`` in their metadata, from ``ietf_drafts`` or
``ietf_rfcindex``). For each, ``/api/v1/ipr/iprdisclosurebase/?docs__name=<name>`` lists the
disclosures; each disclosure is read once per crawl, and only when its record changed since the
last clean crawl (the record's digest is the fetch stamp of its document links): its links with
revisions (``/api/v1/ipr/iprdocrel/?disclosure=<id>``), then its holder disclosure
(``/api/v1/ipr/holderiprdisclosure/<id>/``) for the licensing declaration — third-party and generic
disclosures have none, and answer 404 there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from scrapy.http import Response
from sqlalchemy import select

from crawlers.extract import RejectedInput
from crawlers.ietf import build
from crawlers.ietf.datatracker import parse_draft, parse_ipr
from crawlers.ietf.names import rfc_number
from crawlers.spiders.ietf_drafts import DatatrackerSpider
from index.models import Document, Source


@dataclass(slots=True)
class DisclosureJob:
    id: int
    base: dict[str, Any]
    docrels: list[dict[str, Any]] = field(default_factory=list)
    first: Response | None = None  # the stamped document links: confirmed once stored


class Spider(DatatrackerSpider):
    name = "ietf_ipr"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asked: set[str] = set()  # document names whose disclosures were asked for
        self.disclosures: set[int] = set()
        self.rfc_of: dict[str, str] = {}

    async def start(self) -> AsyncIterator[Any]:
        if not self.cfg.groups and not self.cfg.drafts:
            self.problem(self.name, "nothing to follow: configure ietf.groups or ietf.drafts")
            return
        self.rfc_of = self.stored_rfc_links()
        for name in self.followed_drafts():
            for request in self.ask(name):
                yield request
        for acronym in self.followed_groups():
            request = self.api_request(self.group_list_url(acronym), self.parse_draft_list)
            if request is not None:
                yield request

    def stored_rfc_links(self) -> dict[str, str]:
        """Draft name → ``rfcNNNN`` for the stored drafts known to have become RFCs."""
        with self.store.session() as s:
            rows = s.execute(
                select(Document.number, Document.meta)
                .join(Source, Source.id == Document.source_id)
                .where(Source.name == build.SOURCE, Document.kind == "draft")
            ).all()
        links: dict[str, str] = {}
        for number, meta in rows:
            rfc = meta.get("rfc") if isinstance(meta, dict) else None
            if isinstance(rfc, str) and rfc_number(rfc):
                links[number] = "rfc" + rfc.split()[-1]
        return links

    def ask(self, name: str) -> Iterator[Any]:
        """Disclosures on ``name`` and on the RFC it became."""
        for document in (name, self.rfc_of.get(name)):
            if document is None or document in self.asked:
                continue
            self.asked.add(document)
            request = self.api_request(
                self.api("ipr/iprdisclosurebase", docs__name=document), self.parse_disclosures
            )
            if request is not None:
                yield request

    def parse_draft_list(self, response: Response) -> Iterator[Any]:
        listing = self.read_page(response)
        if listing is None:
            return
        for obj in listing.objects:
            try:
                record = parse_draft(obj)
            except RejectedInput as exc:
                self.problem(response.url, exc.reason)
                continue
            if self.in_window(record):
                yield from self.ask(record.name)
        if listing.next:
            request = self.api_request(self.on_site(listing.next), self.parse_draft_list)
            if request is not None:
                yield request

    def parse_disclosures(self, response: Response) -> Iterator[Any]:
        listing = self.read_page(response)
        if listing is None:
            return
        for obj in listing.objects:
            ident = obj.get("id")
            if not isinstance(ident, int) or isinstance(ident, bool):
                self.problem(response.url, "IPR disclosure: no numeric 'id'")
                continue
            if ident in self.disclosures:
                continue
            self.disclosures.add(ident)
            job = DisclosureJob(ident, obj)
            request = self.api_request(
                self.api("ipr/iprdocrel", disclosure=str(ident)),
                self.parse_docrels,
                stamp=build.fingerprint(obj),
                leaf=True,
                meta={"job": job},
            )
            if request is None:
                self.report.add("disclosures_unchanged")
            else:
                yield request
        if listing.next:
            request = self.api_request(self.on_site(listing.next), self.parse_disclosures)
            if request is not None:
                yield request

    def parse_docrels(self, response: Response) -> Iterator[Any]:
        job: DisclosureJob = response.meta["job"]
        if job.first is None:
            job.first = response
        listing = self.read_page(response)
        if listing is None:
            return
        job.docrels.extend(listing.objects)
        if listing.next:
            request = self.api_request(self.on_site(listing.next), self.parse_docrels, meta={"job": job})
        else:
            request = self.api_request(
                self.api(f"ipr/holderiprdisclosure/{job.id}"),
                self.parse_holder,
                meta={"job": job, "step": "holder"},
            )
        if request is not None:
            yield request

    def parse_holder(self, response: Response) -> Iterator[Any]:
        job: DisclosureJob = response.meta["job"]
        holder = self.read_object(response)
        if holder is not None and holder.get("id") not in (job.id, str(job.id)):
            self.problem(response.url, f"holder disclosure {holder.get('id')!r} is not disclosure {job.id}")
            holder = None
        yield from self.store_disclosure(job, holder)

    def store_disclosure(self, job: DisclosureJob, holder: dict[str, Any] | None) -> Iterator[Any]:
        disclosure = holder if holder is not None else job.base
        try:
            record = parse_ipr(disclosure, job.docrels, base_url=self.base)
        except RejectedInput as exc:
            self.problem(self.api(f"ipr/iprdisclosurebase/{job.id}"), exc.reason)
            return
        self.report.add("disclosures_read")
        yield build.ipr_document(record, disclosure)
        yield build.ipr_declaration(record, disclosure)
        if job.first is not None:
            self.seen(job.first)

    def failed(self, failure: Any) -> Iterator[Any]:  # type: ignore[override]
        request = getattr(failure, "request", None)
        meta: dict[str, Any] = request.meta if request is not None else {}
        response = getattr(failure.value, "response", None)
        if meta.get("step") == "holder" and response is not None and response.status == 404:
            # Not a holder disclosure (third party, generic): no licensing declaration.
            yield from self.store_disclosure(meta["job"], None)
            return
        super().failed(failure)
