"""Done when: with loopback sources and receivers, ``sepwatch run`` crawls on schedule and delivers a
match alert by email and IM within 60 s of the crawl.

The source is a feed on the loopback mirror; the claim map is the RedCap map of the alert tests,
owned by team ip-wireless; alice (in that team) reads email (aiosmtpd) and DingTalk (through the
HTTPS intercept, as Apprise really posts it). The daemon is a real process on embedded defaults
apart from the test's sources, people and channels.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.alerts import events as ev
from tests.alerts.receivers import https_intercept, smtp_server
from tests.mirror import Mirror
from tests.scheduler.daemons import FEED_PATH, RSS, Deployment, rss

pytestmark = pytest.mark.slow

DINGTALK = "dingtalk://SEC0a1b2c3d4e5f@0123abcdtoken/"
UNRELATED = ("n1", "Meeting notice", "The next plenary meets in Fukuoka.")
REDCAP = ("n2", "RedCap indication during random access", ev.V1)


def test_a_crawled_entry_that_reads_on_a_claim_reaches_email_and_im_within_60_s(
    deployment: Deployment, mirror: Mirror, tmp_path: Path
) -> None:
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "cn112345678.yaml").write_text(ev.CLAIM_MAP, encoding="utf-8")
    mirror.put(FEED_PATH, rss(UNRELATED), RSS)
    with smtp_server() as smtp, https_intercept() as proxy:
        deployment.env.update(proxy.env())
        deployment.configure(
            {
                "feeds": [
                    {"name": "sa2_news", "url": mirror.url + FEED_PATH, "body": "3GPP", "group": "SA2"}
                ],
                "schedule": {"default": "every 3s", "relay_interval_s": 1},
                "matcher": {"claims_dir": str(maps)},
                "smtp": smtp.settings(),
                "channels": [{"name": "alice-im", "url": DINGTALK}],
                "teams": [{"name": "ip-wireless"}],
                "people": [
                    {
                        "name": "alice",
                        "email": "alice@example.com",
                        "channels": ["alice-im"],
                        "teams": ["ip-wireless"],
                    }
                ],
            }
        )
        daemon = deployment.daemon()
        daemon.wait_for(
            lambda: [r for r in deployment.runs("sa2_news") if r.status == "succeeded"], "the first crawl"
        )

        mirror.put(FEED_PATH, rss(REDCAP, UNRELATED), RSS)
        crawled = daemon.wait_for(
            lambda: [r for r in deployment.runs("sa2_news") if r.counts.get("new_document")][1:],
            "the crawl of the new entry",
        )[0]
        [mail] = smtp.wait_for(1, timeout=90)
        proxy.wait_for(1, timeout=90)
        delivered = dt.datetime.now(dt.UTC)
        finished = crawled.finished_at.replace(tzinfo=crawled.finished_at.tzinfo or dt.UTC)
        latency = (delivered - finished).total_seconds()
        print(f"crawl finished → email and DingTalk delivered: {latency:.1f} s")
        assert latency <= 60

        assert mail["To"] == "alice@example.com"
        assert "CN112345678A" in mail["Subject"]
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "An NR RedCap UE using NR shall provide" in text  # the quoted standard text
        assert "1A" in text  # the claim feature
        assert "ip-wireless" in text  # why it reached alice
        [im] = proxy.requests_to("oapi.dingtalk.com")
        body = im.json()
        assert body["msgtype"] == "markdown"
        assert "CN112345678A" in body["markdown"]["title"]
        assert "An NR RedCap UE using NR shall provide" in body["markdown"]["text"]

        # Nothing more arrives over the next crawls (and the relay passes between them): it went out once.
        runs_before = len(deployment.runs("sa2_news"))
        daemon.wait_for(lambda: len(deployment.runs("sa2_news")) >= runs_before + 2, "two more crawls")
        assert len(smtp.mails) == 1 and len(proxy.requests_to("oapi.dingtalk.com")) == 1
        assert daemon.terminate() == 0
