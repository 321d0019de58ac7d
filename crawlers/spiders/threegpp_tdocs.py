"""3GPP TDocs of the followed groups: meeting calendars, TDoc lists, and the TDoc archives.

Per group, the meeting calendar (``/dynareport?code=Meetings-<code>.htm``) gives the meetings;
for each meeting in the window (``3gpp.since``, not cancelled) the Portal's TDoc list export gives
every TDoc's metadata, and the meeting's ``Docs/`` folder listing gives the archives, which are
downloaded when their listing stamp (date and size) changed since the last clean crawl.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawlers.extract import RejectedInput
from crawlers.spiders.threegpp_meetings import MeetingsSpider
from crawlers.threegpp import build
from crawlers.threegpp.listing import ListingEntry, parse_listing
from crawlers.threegpp.meetings import Meeting, tdoc_list_export_url
from crawlers.threegpp.tdoclist import parse_tdoc_list


class Spider(MeetingsSpider):
    name = "threegpp_tdocs"

    def meeting_requests(self, meeting: Meeting, group: str) -> Iterator[Any]:
        if meeting.cancelled or not self.in_window(meeting):
            return
        label = build.meeting_label(meeting)
        meta = {"meeting": label, "group": group}
        if meeting.mtg_id:
            url = tdoc_list_export_url(self.cfg.portal_url, meeting.mtg_id)
            request = self.fetch(url, self.parse_tdoc_list, meta=meta, leaf=True)
            if request is not None:
                yield request
        if self.cfg.download_tdocs and meeting.folder_url:
            folder = self.site(meeting.folder_url).rstrip("/") + "/Docs/"
            request = self.fetch(folder, self.parse_docs_folder, meta=meta)
            if request is not None:
                yield request

    def parse_tdoc_list(self, response: Response) -> Iterator[Any]:
        if self.unchanged(response):
            return
        try:
            listing = parse_tdoc_list(response.body, f"TDoc list of {response.meta['meeting']}")
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            return
        meeting = listing.meeting or response.meta["meeting"]
        self.report.add("tdoc_list_rows", len(listing.records))
        for reason in listing.skipped:
            self.problem(response.url, reason)
        for record in listing.records:
            yield build.listed_tdoc(record, meeting, response.url)
        self.seen(response)

    def parse_docs_folder(self, response: Response) -> Iterator[Any]:
        if self.unchanged(response):
            return
        try:
            entries = parse_listing(response.body, response.url)
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            return
        for entry in entries:
            if entry.is_dir or not entry.name.lower().endswith(".zip"):
                continue
            number = build.tdoc_number_in(entry.name)
            if number is None:
                continue
            request = self.fetch(
                self.site(entry.url),
                self.parse_tdoc_archive,
                stamp=_stamp(entry),
                leaf=True,
                meta={**response.meta, "tdoc": number, "modified": entry.modified},
            )
            if request is not None:
                yield request
        self.seen(response)

    def parse_tdoc_archive(self, response: Response) -> Iterator[Any]:
        if self.unchanged(response):
            return
        name = response.url.rsplit("/", 1)[-1]
        try:
            extracted, files = build.extract_archive(response.body, name)
        except RejectedInput as exc:
            # A broken archive is reported and skipped; it is not marked seen, so a fixed
            # re-upload (new stamp) or the next crawl tries it again.
            self.problem(response.url, exc.reason)
            return
        modified: dt.datetime | None = response.meta.get("modified")
        yield build.fetched_tdoc(
            response.meta["tdoc"],
            extracted,
            files,
            response.url,
            meeting=response.meta.get("meeting"),
            modified=modified,
        )
        self.seen(response)


def _stamp(entry: ListingEntry) -> str:
    return f"{entry.modified.isoformat() if entry.modified else '?'}|{entry.size if entry.size is not None else '?'}"
