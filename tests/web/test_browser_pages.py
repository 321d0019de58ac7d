"""A new user's day in Chromium: sign in, search in Chinese and English, read a document and its
diff, read a claim chart and export it (the .xlsx opened with openpyxl), see the calendar,
acknowledge an alert. Screenshots of each step go to tests/artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from index import alerts as alert_store
from sepwatch.app import App
from tests.web.conftest import Credentials
from tests.web.pages_data import RRC_V2, Corpus, corpus_fixture, web_settings_fixture  # noqa: F401 - fixtures

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def expect(page: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(page)


def test_a_day_in_the_ui(
    corpus: Corpus,
    web_app: App,
    new_page: Callable[..., Any],
    user: Callable[..., Credentials],
    screenshot: Callable[[Any, str], Path],
    tmp_path: Path,
) -> None:
    editor = user("editor", username="lin")
    page = new_page(locale="zh-CN", accept_downloads=True)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # Nothing without signing in: the search sends us to the sign-in page, and back after it.
    page.goto("/search?q=终端")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("#username", editor.username)
    page.fill("#password", editor.password)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/search\?q="))
    # Chinese from the browser's language; the Chinese query finds the Chinese standard.
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    hit = page.locator("ol.hits li.hit").first
    expect(hit).to_contain_text("YD/T 3929-2021")
    expect(hit.locator("mark").first).to_have_text("终端")
    screenshot(page, "01-search-chinese")

    # An English query from the search box; switch the UI to English.
    page.click(".langswitch button[value=en]")
    page.fill("#q", "RRC reconfiguration")
    page.press("#q", "Enter")
    expect(page.locator("ol.hits li.hit")).to_have_count(1)
    expect(page.locator("ol.hits")).to_contain_text("TS 38.331")
    expect(page.locator(".snippet mark").first).to_have_text("RRC")
    # Refine by a facet, then remove it again.
    page.click(".facets a:text-is('RAN2')")
    expect(page.locator(".chips")).to_contain_text("Group: RAN2")
    screenshot(page, "02-search-english-facet")

    # The document from its best section: the page opens at the clause.
    page.click("ol.hits .hit-section a.hit-where >> nth=0")
    expect(page.locator("h1")).to_contain_text("TS 38.331")
    expect(page.locator("section.clause#c-5\\.3\\.5\\.1")).to_contain_text(RRC_V2)
    expect(page.locator("section.matches")).to_contain_text("CN112345678A")
    # The table of contents filter (progressive JavaScript).
    page.fill("input.toc-filter", "conditional")
    expect(page.locator(".toc-list li:visible")).to_have_count(1)
    screenshot(page, "03-document")

    page.click("text=Changes since version 1")
    expect(page.locator("h1")).to_contain_text("changes in version 2")
    changed = page.locator("section.clause-diff#c-5\\.3\\.5\\.1")
    expect(changed.locator("del").first).to_have_text(" shall")
    expect(changed.locator("ins").first).to_have_text(" may")
    screenshot(page, "04-diff")
    page.goto(f"/documents/{corpus.zh_id}/diff")
    expect(page.locator(".diff-text del")).to_have_text("应当")
    expect(page.locator(".diff-text ins")).to_have_text("可以")
    screenshot(page, "05-diff-chinese")

    # The claim chart, and its export.
    page.click("nav.mainnav >> text=Claim maps")
    page.click("a:text-is('CN112345678A')")
    table = page.locator("table.b2")
    expect(table).to_contain_text("[1A]")
    expect(table).to_contain_text("3GPP TS 38.331 V18.4.0 §5.3.5.1")
    expect(page.locator("section.drift")).to_contain_text("new spec version")
    screenshot(page, "06-claim-chart")
    page.select_option("form.export select[name=format]", "xlsx")
    page.select_option("form.export select[name=language]", "en")
    with page.expect_download() as download_info:
        page.click("form.export button[type=submit]")
    download = download_info.value
    assert download.suggested_filename == "CN112345678A-B2.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = openpyxl.load_workbook(saved)
    b2 = book[book.sheetnames[1]]
    cells = [str(c.value) for row in b2.iter_rows() for c in row if c.value]
    assert any("[1B] performing a reconfiguration with sync" in c for c in cells)
    assert any(RRC_V2 in c for c in cells)

    # The calendar: next week's meeting, and the month of the office action's deadline.
    page.click("nav.mainnav >> text=Calendar")
    page.goto(f"/calendar?date={corpus.meeting_date.isoformat()}")
    day = page.locator(f"td.day:has(time[datetime='{corpus.meeting_date.isoformat()}'])")
    expect(day).to_contain_text("RAN2#131")
    page.select_option("select[name=team]", "ietf-team")  # submits by itself
    expect(page).to_have_url(re.compile(r"team=ietf-team"))
    expect(
        page.locator(f"td.day:has(time[datetime='{corpus.meeting_date.isoformat()}'])")
    ).not_to_contain_text("RAN2#131")
    page.goto(f"/calendar?date={corpus.deadline_date.isoformat()}")
    expect(page.locator(f"td.day:has(time[datetime='{corpus.deadline_date.isoformat()}'])")).to_contain_text(
        corpus.deadline_subject
    )
    screenshot(page, "07-calendar")

    # Acknowledge an alert.
    page.click("nav.mainnav >> text=Alerts")
    row = page.locator(f"tr#alert-{corpus.alert_ids[0]}")
    row.locator("button.ack-one").click()
    expect(page.locator("p.notice[role=status]")).to_contain_text("1 alerts acknowledged")
    expect(page.locator(f"tr#alert-{corpus.alert_ids[0]}")).to_contain_text("lin")
    screenshot(page, "08-alerts")
    stored = alert_store.alerts_by_id(web_app.store, [corpus.alert_ids[0]])[corpus.alert_ids[0]]
    assert stored.acknowledged_by == "lin" and stored.acknowledged_at is not None

    assert dialogs == []
    assert page.console_errors == []


def test_viewer_cannot_acknowledge_or_upload(corpus: Corpus, page_signed_in: Callable[..., Any]) -> None:
    page = page_signed_in("viewer")
    page.goto("/alerts")
    expect(page.locator("button.ack-one")).to_have_count(0)
    page.goto("/claims/CN112345678A")
    expect(page.locator("section.upload")).to_have_count(0)
    expect(page.locator("table.b2")).to_contain_text("[1B]")
