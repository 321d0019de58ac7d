"""3GPP meeting calendars of the followed groups → meeting milestones (dates, place, cancelled)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response

from crawlers.extract import RejectedInput
from crawlers.spiders.base import SepwatchSpider, rebase
from crawlers.threegpp import build
from crawlers.threegpp.groups import group
from crawlers.threegpp.meetings import Meeting, parse_meetings

CANONICAL_HOSTS = ("www.3gpp.org", "3gpp.org", "ftp.3gpp.org")
PORTAL_HOSTS = ("portal.3gpp.org",)


class MeetingsSpider(SepwatchSpider):
    """Reads the calendars; subclasses add requests per meeting (:meth:`meeting_requests`)."""

    name = "threegpp_meetings"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cfg = self.config.threegpp
        self.since = self.cfg.since or (dt.date.today() - dt.timedelta(days=365))

    async def start(self) -> AsyncIterator[Any]:
        if not self.cfg.groups:
            self.problem(self.name, "no groups configured (3gpp.groups)")
        for name in self.cfg.groups:
            g = group(name)
            url = f"{self.cfg.site_url.rstrip('/')}/dynareport?code=Meetings-{g.code}.htm"
            # The calendar is read on every crawl: a meeting's folder changes while its row does not.
            request = self.fetch(url, self.parse_calendar, meta={"group": g.name}, conditional=False)
            if request is not None:
                yield request

    def site(self, url: str) -> str:
        return rebase(rebase(url, CANONICAL_HOSTS, self.cfg.site_url), PORTAL_HOSTS, self.cfg.portal_url)

    def in_window(self, meeting: Meeting) -> bool:
        last_day = meeting.end or meeting.start
        return last_day is None or last_day >= self.since

    def parse_calendar(self, response: Response) -> Iterator[Any]:
        try:
            meetings = parse_meetings(response.body, response.url)
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            return
        group_name = response.meta["group"]
        for meeting in meetings:
            if not self.in_window(meeting):
                continue
            yield build.meeting_milestone(meeting, group_name, response.url)
            yield from self.meeting_requests(meeting, group_name)

    def meeting_requests(self, meeting: Meeting, group: str) -> Iterator[Any]:
        return iter(())


Spider = MeetingsSpider
