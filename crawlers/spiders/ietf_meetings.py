"""IETF meetings → meeting milestones: ``/api/v1/meeting/meeting/?type=ietf``, every page.

Meetings that end on or after ``ietf.since`` (default: 365 days ago) are stored, keyed
``ietf:meeting:<number>`` so a moved meeting updates its milestone (the earlier dates stay in its
history). The list is read in full on every crawl: it is a few pages, and a page answered "not
modified" would hide the pages after it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response

from crawlers.extract import RejectedInput
from crawlers.ietf import build
from crawlers.ietf.datatracker import parse_meeting
from crawlers.spiders.ietf_drafts import DatatrackerSpider


class Spider(DatatrackerSpider):
    name = "ietf_meetings"

    async def start(self) -> AsyncIterator[Any]:
        request = self.api_request(self.api("meeting/meeting", type="ietf"), self.parse_meetings)
        if request is not None:
            yield request

    def parse_meetings(self, response: Response) -> Iterator[Any]:
        listing = self.read_page(response)
        if listing is None:
            return
        for obj in listing.objects:
            try:
                meeting = parse_meeting(obj)
            except RejectedInput as exc:
                self.problem(response.url, exc.reason)
                continue
            if meeting.type not in (None, "ietf"):
                continue
            if meeting.end < self.since:
                self.report.add("meetings_before_since")
                continue
            yield build.meeting_milestone(meeting, self.base)
        if listing.next:
            request = self.api_request(self.on_site(listing.next), self.parse_meetings)
            if request is not None:
                yield request
