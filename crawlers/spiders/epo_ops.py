"""EPO Open Patent Services: register data, procedural steps, INPADOC legal events and families of
the portfolio's EP applications, and new publications of the watched competitors.

Authentication is OAuth2 client credentials (``epo.client_id``/``epo.client_secret``, from the
environment); the token is fetched with httpx and renewed when OPS says it expired. OPS meters
every service: each answer's ``X-Throttling-Control`` header gives the system state and, per
service, a colour and the requests per minute allowed. The spider paces each service to that rate,
slows down on yellow and red, stops using a service that is black, and stops the crawl when a
quota is exhausted (403 with a quota message) instead of hammering the server.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import httpx
from scrapy import Request
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from crawlers.extract import RejectedInput
from crawlers.spiders.base import SepwatchSpider

_SERVICE = re.compile(r"(\w+)=(\w+):(\d+)")
_STATE = re.compile(r"^\s*(\w+)")
# Extra pause per request when a service's light is not green (seconds).
_SLOWDOWN = {"green": 0.0, "yellow": 2.0, "red": 10.0}
_SERVICE_OF = {
    "register": "other",
    "legal": "inpadoc",
    "family": "inpadoc",
    "published-data/search": "search",
}


def is_ep_publication(number: str) -> bool:
    """EP publication numbers have 7 digits (EP3000000); application numbers 8 (EP15150001)."""
    digits = number[2:]
    return number.startswith("EP") and digits.isdigit() and len(digits) == 7


class Spider(SepwatchSpider):
    name = "epo_ops"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cfg = self.config.epo
        self.base = self.cfg.base_url.rstrip("/")
        self.token: str | None = None
        self.next_at: dict[str, float] = {}
        self.blocked: set[str] = set()

    # --- authentication ---------------------------------------------------------------------

    def _fetch_token(self) -> str:
        secret = self.cfg.client_secret.get_secret_value() if self.cfg.client_secret else ""
        response = httpx.post(
            f"{self.base}/auth/accesstoken",
            auth=(self.cfg.client_id or "", secret),
            data={"grant_type": "client_credentials"},
            headers={"User-Agent": self.config.crawl.user_agent},
            timeout=self.config.crawl.timeout_s,
        )
        response.raise_for_status()
        token = response.json().get("access_token")
        if not token:
            raise ValueError("OPS answered without an access_token")
        return str(token)

    async def start(self) -> AsyncIterator[Any]:
        if not self.cfg.client_id or not self.cfg.client_secret:
            self.not_configured(
                "no OPS credentials: set SEPWATCH_EPO__CLIENT_ID and SEPWATCH_EPO__CLIENT_SECRET"
            )
            return
        try:
            self.token = await asyncio.to_thread(self._fetch_token)
        except (httpx.HTTPError, ValueError) as exc:
            self.report.failed_requests += 1
            self.report.error(f"{self.base}/auth/accesstoken", f"OAuth token request failed: {exc}")
            return
        own = [n for n in self.config.portfolio.own if n.startswith("EP")]
        for number in own:
            kind = "publication" if is_ep_publication(number) else "application"
            # The register biblio first: it names the application, under which the events and
            # procedural steps are then asked for (an answer keyed by publication does not name it).
            yield self.api(f"register/{kind}/epodoc/{number}/biblio", number)
            if kind == "publication":
                yield self.api(f"legal/publication/epodoc/{number}", number)
                yield self.api(f"family/publication/epodoc/{number}", number)
        for name in self.config.portfolio.competitors:
            query = quote(f'pa="{name}"', safe="")
            yield self.api(f"published-data/search?q={query}", name, competitor=True)

    def api(self, path: str, subject: str, *, competitor: bool = False) -> Request:
        return Request(
            f"{self.base}/rest-services/{path}",
            callback=self.parse_ops,
            errback=self.failed,
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/xml"},
            meta={
                "subject": subject,
                "path": path,
                "competitor": competitor,
                "handle_httpstatus_list": [400, 401, 403],
            },
            dont_filter=True,
        )

    # --- answers --------------------------------------------------------------------------------

    async def parse_ops(self, response: Response) -> AsyncIterator[Any]:
        path: str = response.meta["path"]
        service = next((v for k, v in _SERVICE_OF.items() if path.startswith(k)), "other")
        if (
            response.status in (400, 401)
            and b"expired" in response.body.lower()
            and not response.meta.get("renewed")
        ):
            self.token = await asyncio.to_thread(self._fetch_token)
            retry = self.api(path, response.meta["subject"], competitor=response.meta["competitor"])
            retry.meta["renewed"] = True
            yield retry
            return
        if response.status == 403:
            reason = response.body[:300].decode("utf-8", "replace")
            self.report.failed_requests += 1
            self.report.error(response.url, f"OPS refused (403): {' '.join(reason.split())}")
            if "quota" in reason.lower():
                self.logger.warning("OPS quota exhausted; stopping this crawl")
                raise CloseSpider("quota exceeded")
            return
        if response.status >= 400:
            self.report.failed_requests += 1
            self.report.error(response.url, f"HTTP {response.status}")
            return
        self._pace(response, service)
        self._quota(response)
        from crawlers.patents.epo import parse_any, parse_search_result

        if response.meta["competitor"] and path.startswith("published-data/search"):
            try:
                found = parse_search_result(response.body, response.url)
            except RejectedInput as exc:
                self.problem(response.url, exc.reason)
                return
            self.report.add("competitor_publications", len(found))
            for docdb in found:
                for what in (
                    f"published-data/publication/docdb/{docdb}/biblio",
                    f"legal/publication/docdb/{docdb}",
                ):
                    yield self.api(what, response.meta["subject"], competitor=True)
            return
        try:
            application = None if is_ep_publication(response.meta["subject"]) else response.meta["subject"]
            records, events = parse_any(response.body, response.url, application=application)
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            return
        if path.startswith("register/") and path.endswith("/biblio"):
            for record in records:
                if record.office == "EP" and record.application:
                    yield self.api(
                        f"register/application/epodoc/{record.application}/events,procedural-steps",
                        record.application,
                    )
        for record in records:
            if response.meta["competitor"]:
                record.metadata = {**record.metadata, "competitor": response.meta["subject"]}
            record.origin = record.origin or response.url
            yield record
        for event in events:
            event.origin = event.origin or response.url
            yield event
        self.report.add("ops_answers")
        delay = self.next_at.get(service, 0.0) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def _pace(self, response: Response, service: str) -> None:
        header = (response.headers.get(b"X-Throttling-Control") or b"").decode("latin-1")
        if not header:
            return
        state = _STATE.match(header)
        for name, colour, per_minute in _SERVICE.findall(header):
            if name != service:
                continue
            if colour == "black":
                self.blocked.add(name)
                self.report.error(response.url, f"OPS service {name} is black (blocked): {header}")
            interval = 60.0 / max(int(per_minute), 1) + _SLOWDOWN.get(colour, 30.0)
            if state and state.group(1) == "overloaded":
                interval += 10.0
            self.next_at[name] = time.monotonic() + interval

    def _quota(self, response: Response) -> None:
        for header, key in (
            (b"X-IndividualQuotaPerHour-Used", "ops_quota_hour_used"),
            (b"X-RegisteredQuotaPerWeek-Used", "ops_quota_week_used"),
        ):
            value = response.headers.get(header)
            if value and value.strip().isdigit():
                self.report.counts[key] = int(value)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        return iter(())
