"""Messages: every alert kind in Chinese and English with its substance and the reason it reached the
reader; HTML escaped, markdown defused; digests grouped by kind."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.messages import AlertView, md, probe_message, reason_text, render, render_digest
from alerts.pipeline import evaluate, remind
from alerts.relay import view
from index import alerts as store_alerts
from sepwatch.app import App
from tests.alerts import events as ev


@pytest.fixture
def app(settings_env: dict[str, str], tmp_path: Path) -> Iterator[App]:
    with App.open(ev.settings_for(settings_env, tmp_path)) as opened:
        ev.patent(opened)
        ev.notice(opened)
        ev.spec(opened, "17.6.0", ev.V1)
        ev.match_new(opened)
        ev.spec(opened, "17.7.0", ev.V2)
        ev.match_new(opened)
        evaluate(opened, today=ev.TODAY)
        remind(opened, today=dt.date(2024, 12, 15))
        yield opened


def alert_of(app: App, predicate: str) -> AlertView:
    for a in reversed(store_alerts.list_alerts(app.store)):  # oldest first
        if predicate in (a.kind, a.payload.get("cause")):
            return view(a)
    raise AssertionError(f"no alert {predicate}")


QUOTE = "An NR RedCap UE using NR shall provide an NR RedCap indication"
OWNER = [{"why": "owner", "what": "CN112345678A", "via": "ip-wireless"}]


def test_linked_match_in_english_and_chinese(app: App) -> None:
    alert = alert_of(app, "match")
    en = render(alert, language="en", reason=reason_text(OWNER, "en"), key="alert:1:email:alice")
    assert en.subject.startswith("[sepwatch] Amendment window closes 2024-12-20")
    assert "CN112345678A claim 1 reads on TS 23.501 17.6.0 (all elements covered)" in en.subject
    for body in (en.text, en.html or ""):
        assert "Voluntary amendment (invention)" in html.unescape(body)
        assert "Implementing Regulations Rule 57(1)" in body
        assert "Feature 1A" in body and "providing a reduced capability indication" in body
        assert (
            "Clause 5.41 Support for RedCap" in body
            and "Normative word: shall (mandatory)" in html.unescape(body)
        )
        assert QUOTE in body
        assert "owner of claim map CN112345678A via team ip-wireless" in body
    assert en.thread == "patent:CN112345678A" and en.key == "alert:1:email:alice"
    assert en.data["payload"]["closes"] == "2024-12-20" and en.language == "en"

    zh = render(alert, language="zh", reason=reason_text(OWNER, "zh"), key="k")
    assert zh.subject.startswith("[sepwatch] 修改窗口 2024-12-20 截止")
    assert "CN112345678A 权利要求1 对应 TS 23.501 17.6.0（全面覆盖）" in zh.subject
    for body in (zh.text, zh.markdown, zh.html or ""):
        assert "技术特征 1A" in body and "条款 5.41" in body and "规范用语" in body
        assert "接收原因" in body and "权利要求对照表 CN112345678A 的负责人（经团队 ip-wireless）" in body
    assert QUOTE in zh.text and "截止日" in zh.text and "法律依据" in zh.text


def test_drift_shows_the_diff_and_whether_the_evidence_still_reads(app: App) -> None:
    alert = alert_of(app, "drift")
    en = render(alert, language="en", reason="", key="k")
    assert (
        "TS 23.501 §5.41 changed (TS 23.501 17.7.0), mapped by CN112345678A claim 1 feature 1A" in en.subject
    )
    assert "Mapped evidence no longer reads" in en.text
    assert "17.6.0 → 17.7.0" in en.text and "RRC signalling" in en.text and QUOTE in en.text
    assert "```" in en.markdown  # the diff as a code block
    zh = render(alert, language="zh", reason="", key="k")
    assert (
        "TS 23.501 第 5.41 条变更" in zh.subject and "原对应文本已不成立" in zh.text and "变更内容" in zh.text
    )


def test_status_deadline_milestone_and_source_kinds(app: App) -> None:
    status = render(alert_of(app, "patent-status"), language="zh", reason="", key="k")
    assert "专利状态变化" in status.subject and "CN202310123456" in status.subject
    assert "210307" in status.text and "开启期限" in status.text and "2024-12-20" in status.text
    deadline = render(alert_of(app, "deadline"), language="en", reason="", key="k")
    assert deadline.subject.endswith("due 2024-12-20 (in 5 days)")
    assert "Legal basis: Implementing Regulations Rule 57(1)" in deadline.text
    zh = render(alert_of(app, "deadline"), language="zh", reason="", key="k")
    assert "期限提醒" in zh.subject and "截止 2024-12-20（剩 5 天）" in zh.subject.replace(
        " (", "（"
    ).replace(")", "）")
    milestone = AlertView(
        9, "milestone", "group:RAN2", "t",
        {"title": "3GPP TSG RAN WG2#128", "milestone_kind": "meeting", "date": "2024-11-18", "end": "2024-11-22",
         "days_left": 3, "body": "3GPP", "group": "RAN2"},
    )  # fmt: skip
    assert "会议" in render(milestone, language="zh", reason="", key="k").subject
    assert "(meeting) 2024-11-18, in 3 days" in render(milestone, language="en", reason="", key="k").subject
    source = AlertView(
        10, "source-unhealthy", "source:threegpp_tdocs", "t",
        {"source": "threegpp_tdocs", "consecutive_failures": 6, "last_error": "HTTP 503", "state": "unhealthy"},
    )  # fmt: skip
    message = render(source, language="zh", reason="", key="k")
    assert (
        "数据源故障" in message.subject and "连续 6 次失败" in message.subject and "HTTP 503" in message.text
    )


def test_hostile_text_is_escaped_for_html_and_markdown() -> None:
    alert = AlertView(
        1,
        "patent-status",
        "patent:X",
        "t",
        {
            "application": "CN1",
            "text": "<script>alert(1)</script> *bold* [link](http://x)\n# heading",
            "code": "C",
        },
    )
    message = render(alert, language="en", reason="follows <b>", key="k")
    assert "<script>" not in (message.html or "") and "&lt;script&gt;" in (message.html or "")
    assert "&lt;b&gt;" in (message.html or "")
    assert "\\*bold\\*" in message.markdown and "\\[link\\]" in message.markdown
    assert "\n\\# heading" in message.markdown
    assert "<script>alert(1)</script>" in message.text  # plain text stays as the office wrote it
    assert "\n" not in message.subject
    assert md("a_b") == "a\\_b"


def test_digest_groups_alerts_by_kind_with_their_reasons(app: App) -> None:
    alerts = [view(a) for a in reversed(store_alerts.list_alerts(app.store))]
    items = [(a, "follows patent EP3456789") for a in alerts]
    en = render_digest(items, language="en", period="daily", key="digest:1", recipient="carol")
    assert en.subject == f"[sepwatch] Daily digest: {len(alerts)} alerts"
    headings = [
        line for line in en.text.splitlines() if line.startswith(("Window open", "Patent status", "Deadline"))
    ]
    assert headings == ["Window open (3)", "Deadline (1)", "Patent status changed (1)"]
    assert QUOTE in en.text and en.text.count("Why you get this: follows patent EP3456789") == len(alerts)
    assert en.data["alert_ids"] == [a.id for a in alerts]
    zh = render_digest(items, language="zh", period="weekly", key="digest:1", recipient="carol")
    assert zh.subject == f"[sepwatch] 每周摘要：{len(alerts)} 条提醒" and "窗口期内 (3)" in zh.text


def test_probe_message() -> None:
    message = probe_message("ip-chat", language="zh", key="test:ip-chat:1")
    assert message.subject == "[sepwatch] 测试消息：ip-chat" and "ip-chat" in message.text
