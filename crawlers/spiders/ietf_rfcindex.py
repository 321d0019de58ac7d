"""The RFC Editor's ``rfc-index.xml`` → the RFCs that concern what is followed, and draft → RFC links.

Which RFCs are stored (the index lists about 9,000; storing them all is not asked for): those of a
followed working group (``ietf.groups``, matched on the index's ``wg_acronym``), those a followed
draft (``ietf.drafts``) became, and the RFCs these obsolete or update or are obsoleted or updated by
(one step, no further). Each is a partial document (:func:`crawlers.ietf.build.rfc_document`): the
index entry stands in for the RFC's text until that text is imported. The draft a followed RFC
came from gets ``{"rfc": "RFC 8089"}`` through a partial item.

The index is large: it is fetched with a conditional request and not read again while unchanged.
The followed groups and drafts are kept as the fetch stamp, so a changed configuration reads the
index in full once instead of waiting for the RFC Editor to change it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response

from crawlers.extract import RejectedInput
from crawlers.ietf import build
from crawlers.ietf.names import split_draft_name
from crawlers.ietf.rfcindex import parse_rfc_index
from crawlers.spiders.base import SepwatchSpider


class Spider(SepwatchSpider):
    name = "ietf_rfcindex"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cfg = self.config.ietf
        self.groups = sorted({g.strip().lower() for g in self.cfg.groups if g.strip()})
        self.drafts = sorted({split_draft_name(d)[0] for d in self.cfg.drafts if d.strip()})

    async def start(self) -> AsyncIterator[Any]:
        if not self.groups and not self.drafts:
            self.problem(self.name, "nothing to follow: configure ietf.groups or ietf.drafts")
            return
        url = f"{self.cfg.rfc_editor_url.rstrip('/')}/rfc-index.xml"
        followed = "groups=" + ",".join(self.groups) + ";drafts=" + ",".join(self.drafts)
        known = self.states.get(url)
        same = known is not None and known.stamp == followed
        request = self.fetch(url, self.parse_index, conditional=same, meta={"reread": not same})
        if request is not None:
            # Saved with the fetch state by seen(): what was followed when the index was read.
            request.meta["sepwatch_stamp"] = followed
            yield request

    def parse_index(self, response: Response) -> Iterator[Any]:
        if not response.meta["reread"] and self.unchanged(response):
            return
        try:
            index = parse_rfc_index(response.body, name=response.url)
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            return
        self.report.add("rfcs_in_index", len(index.rfcs))
        selected = build.select_rfcs(index.rfcs, self.groups, self.drafts)
        self.report.add("rfcs_selected", len(selected))
        for entry, why in selected:
            yield build.rfc_document(entry, selection=why, rfc_editor_url=self.cfg.rfc_editor_url)
            if why != "related":
                link = build.draft_rfc_link(entry)
                if link is not None:
                    yield link
        self.seen(response)
