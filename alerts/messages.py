"""Alerts rendered as messages, in Chinese or English, for email (text + HTML) and IM (markdown).

Every message carries the substance — the clause and its quoted text, the claim feature, the
normative word, the diff, the deadline and its legal basis, the source's error — and why it reached
its reader. Text from documents and offices is escaped for the format it goes into (HTML entities,
markdown punctuation); the subject is one line. A digest lists many alerts in one message, grouped
by kind.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from alerts.channels.base import Message

Language = Literal["zh", "en"]
PREFIX = "[sepwatch]"
DIGEST_QUOTE_CHARS = 300

# --- a tiny document model, rendered three ways ----------------------------------------------------

Part = tuple[str, str, str]  # (kind, label, text): heading | para | field | quote | code | rule


@dataclass(slots=True)
class _Doc:
    lang: Language = "en"
    parts: list[Part] = field(default_factory=list)

    @property
    def colon(self) -> str:
        return "：" if self.lang == "zh" else ": "

    def heading(self, text: str) -> None:
        self.parts.append(("heading", "", text))

    def para(self, text: str) -> None:
        self.parts.append(("para", "", text))

    def field(self, label: str, value: object) -> None:
        if value not in (None, "", []):
            self.parts.append(("field", label, str(value)))

    def quote(self, text: str | None) -> None:
        if text:
            self.parts.append(("quote", "", text))

    def code(self, text: str | None) -> None:
        if text:
            self.parts.append(("code", "", text))

    def rule(self) -> None:
        self.parts.append(("rule", "", ""))

    def text(self) -> str:
        out: list[str] = []
        previous = ""
        for kind, label, value in self.parts:
            if kind == "heading":
                out.append(f"{value}\n{'-' * min(len(value), 40)}")
            elif kind == "para":
                out.append(value)
            elif kind == "field":
                line = f"{label}{self.colon}{value}"
                # Consecutive fields form one block, one per line.
                if previous == "field":
                    out[-1] += "\n" + line
                else:
                    out.append(line)
            elif kind == "quote":
                out.append("\n".join(f"  > {line}" for line in value.splitlines() or [""]))
            elif kind == "code":
                out.append("\n".join(f"    {line}" for line in value.splitlines()))
            else:
                out.append("—" * 20)
            previous = kind
        return _join(out)

    def markdown(self) -> str:
        out: list[str] = []
        for kind, label, value in self.parts:
            if kind == "heading":
                out.append(f"#### {md(value)}")
            elif kind == "para":
                out.append(md(value))
            elif kind == "field":
                out.append(f"**{md(label)}**{self.colon}{md(value)}")
            elif kind == "quote":
                out.append("\n".join(f"> {md(line)}" for line in value.splitlines() or [""]))
            elif kind == "code":
                out.append("```\n" + value.replace("```", "ʼʼʼ") + "\n```")
            else:
                out.append("---")
        return _join(out)

    def html(self, subject: str) -> str:
        out = [f"<h2>{html.escape(subject)}</h2>"]
        for kind, label, value in self.parts:
            if kind == "heading":
                out.append(f"<h3>{html.escape(value)}</h3>")
            elif kind == "para":
                out.append(f"<p>{_br(value)}</p>")
            elif kind == "field":
                out.append(f"<p><b>{html.escape(label)}</b>{self.colon}{_br(value)}</p>")
            elif kind == "quote":
                out.append(
                    '<blockquote style="border-left:3px solid #999;margin:0 0 0 .5em;padding-left:.7em">'
                    f"{_br(value)}</blockquote>"
                )
            elif kind == "code":
                out.append(f'<pre style="background:#f4f4f4;padding:.5em">{html.escape(value)}</pre>')
            else:
                out.append("<hr>")
        return (
            '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
            f'<body style="font-family:sans-serif">{"".join(out)}</body></html>'
        )


def _join(blocks: list[str]) -> str:
    return "\n\n".join(blocks).strip() + "\n"


def _br(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = re.compile(r"^(\s*)([#+=-]|\d+\.)(?=\s)", re.MULTILINE)


def md(text: str) -> str:
    """``text`` with markdown's meaning taken away: punctuation escaped, no headings or lists."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def _utc(value: dt.datetime | None) -> str | None:
    """ISO time in UTC (SQLite hands back naive datetimes; they were stored as UTC)."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


def one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- words -------------------------------------------------------------------------------------------

WORDS: dict[str, dict[Language, str]] = {
    "match": {"en": "New match", "zh": "新匹配"},
    "drift": {"en": "Mapped clause changed", "zh": "映射条款变更"},
    "linked": {"en": "Window open", "zh": "窗口期内"},
    "patent-status": {"en": "Patent status changed", "zh": "专利状态变化"},
    "deadline": {"en": "Deadline", "zh": "期限提醒"},
    "milestone": {"en": "Standards milestone", "zh": "标准里程碑"},
    "source-unhealthy": {"en": "Source failing", "zh": "数据源故障"},
    "source-recovered": {"en": "Source recovered", "zh": "数据源恢复"},
    "test": {"en": "Test message", "zh": "测试消息"},
    "why": {"en": "Why you get this", "zh": "接收原因"},
    "claim": {"en": "claim", "zh": "权利要求"},
    "feature": {"en": "Feature", "zh": "技术特征"},
    "clause": {"en": "Clause", "zh": "条款"},
    "document": {"en": "Document", "zh": "文档"},
    "version": {"en": "Version", "zh": "版本"},
    "score": {"en": "Score", "zh": "得分"},
    "not_found": {"en": "no corresponding text found", "zh": "未找到对应文本"},
    "normative": {"en": "Normative word", "zh": "规范用语"},
    "all_elements": {"en": "all elements covered", "zh": "全面覆盖"},
    "diff": {"en": "Change", "zh": "变更内容"},
    "mapped_text": {"en": "Mapped evidence before the change", "zh": "变更前的对应文本"},
    "still_reads": {"en": "Mapped evidence still reads", "zh": "原对应文本仍然成立"},
    "no_longer_reads": {"en": "Mapped evidence no longer reads", "zh": "原对应文本已不成立"},
    "removed": {"en": "The clause was removed", "zh": "该条款已被删除"},
    "application": {"en": "Application", "zh": "申请"},
    "event": {"en": "Event", "zh": "事件"},
    "date": {"en": "Date", "zh": "日期"},
    "code": {"en": "Code", "zh": "代码"},
    "status": {"en": "Status", "zh": "状态"},
    "own": {"en": "own portfolio", "zh": "本方专利"},
    "competitor": {"en": "watched (not own)", "zh": "监控专利（非本方）"},
    "opens": {"en": "Opens", "zh": "开启期限"},
    "due": {"en": "Due", "zh": "截止日"},
    "window": {"en": "Window", "zh": "窗口"},
    "legal_basis": {"en": "Legal basis", "zh": "法律依据"},
    "extendable": {"en": "Extension", "zh": "可否延期"},
    "max_extended_due": {"en": "Latest with extensions", "zh": "延期后最晚"},
    "trigger": {"en": "Triggered by", "zh": "起算事件"},
    "unverified": {
        "en": "Rule not verified against the law: check the office's notice",
        "zh": "规则未经核实：请以官方通知书为准",
    },
    "note": {"en": "Note", "zh": "说明"},
    "source": {"en": "Source", "zh": "数据源"},
    "error": {"en": "Last error", "zh": "最近错误"},
    "since": {"en": "Failing since", "zh": "故障开始于"},
    "last_success": {"en": "Last success", "zh": "最近成功"},
    "group": {"en": "Group", "zh": "工作组"},
    "release": {"en": "Release", "zh": "版本（Release）"},
    "history": {"en": "Earlier dates", "zh": "此前日期"},
    "digest_daily": {"en": "Daily digest", "zh": "每日摘要"},
    "digest_weekly": {"en": "Weekly digest", "zh": "每周摘要"},
    "open_while_pending": {"en": "open while the application is pending", "zh": "申请未结案前均可"},
}

WINDOWS: dict[str, dict[Language, str]] = {
    "amendment": {"en": "amendment", "zh": "修改"},
    "divisional": {"en": "divisional", "zh": "分案"},
    "continuation": {"en": "continuation", "zh": "继续申请"},
    "response": {
        "en": "office-action response (claims may be amended)",
        "zh": "审查意见答复（可修改权利要求）",
    },
}

LEVELS: dict[str, dict[Language, str]] = {
    "mandatory": {"en": "mandatory", "zh": "强制性"},
    "recommended": {"en": "recommended", "zh": "推荐性"},
    "optional": {"en": "optional", "zh": "可选"},
}

MILESTONES: dict[str, dict[Language, str]] = {
    "freeze": {"en": "freeze", "zh": "冻结"},
    "meeting": {"en": "meeting", "zh": "会议"},
    "deadline": {"en": "document deadline", "zh": "文稿截止"},
    "expiry": {"en": "draft expiry", "zh": "草案过期"},
}


def w(key: str, lang: Language) -> str:
    return WORDS[key][lang]


def _colon(lang: Language) -> str:
    return "：" if lang == "zh" else ": "


def _days(n: int, lang: Language) -> str:
    if lang == "zh":
        return "今天" if n == 0 else (f"剩 {n} 天" if n > 0 else f"已过 {-n} 天")
    if n == 0:
        return "today"
    return f"in {n} day{'s' if n != 1 else ''}" if n > 0 else f"{-n} day{'s' if n != -1 else ''} ago"


def reason_text(reasons: Sequence[Mapping[str, Any]], lang: Language, fallback: str = "") -> str:
    """The structured reasons of a delivery in ``lang``; ``fallback`` (the stored English) when none."""
    if not reasons:
        return fallback
    out = []
    for r in reasons:
        why, what, via = r.get("why"), str(r.get("what") or ""), r.get("via")
        if lang == "zh":
            text = {
                "owner": f"权利要求对照表 {what} 的负责人",
                "patent": f"关注专利 {what}",
                "spec": f"关注标准 {what}",
                "group": f"关注工作组 {what}",
                "body": f"关注 {what}",
                "portfolio": "关注全部监控专利" if what.startswith("all") else "关注本方专利组合",
                "sources": "关注数据源状态",
            }.get(str(why), what)
            out.append(f"{text}（经团队 {via}）" if via else text)
        else:
            text = {
                "owner": f"owner of claim map {what}",
                "patent": f"follows patent {what}",
                "spec": f"follows spec {what}",
                "group": f"follows group {what}",
                "body": f"follows {what}",
                "portfolio": f"follows the portfolio ({what})",
                "sources": "follows source health",
            }.get(str(why), what)
            out.append(f"{text} via team {via}" if via else text)
    return ("；" if lang == "zh" else "; ").join(out)


# --- per kind ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertView:
    """What rendering needs of an alert (an AlertRow, or a test message)."""

    id: int | None
    kind: str
    thread: str
    title: str
    payload: Mapping[str, Any]
    created_at: dt.datetime | None = None


def subject_of(alert: AlertView, lang: Language) -> str:
    p = alert.payload
    kind = alert.kind
    c = _colon(lang)
    if kind == "linked":
        return f"{PREFIX} {_linked_headline(p, lang)}{c}{_cause_line(p, lang)}"
    if kind in ("match", "drift"):
        return f"{PREFIX} {w(kind, lang)}{c}{_cause_line(p, lang)}"
    if kind == "patent-status":
        return f"{PREFIX} {w(kind, lang)}{c}{p.get('application')} {one_line(str(p.get('text') or ''), 100)}"
    if kind == "deadline":
        days = int(p.get("days_left") or 0)
        when = (
            ("已逾期，截止日 " if lang == "zh" else "overdue since ")
            if p.get("overdue")
            else ("截止 " if lang == "zh" else "due ")
        )
        tail = "" if p.get("overdue") else f" ({_days(days, lang)})"
        label = one_line(str(p.get("label") or p.get("rule")), 90)
        return f"{PREFIX} {w(kind, lang)}{c}{p.get('application')} {label} {when}{p.get('due')}{tail}"
    if kind == "milestone":
        what = MILESTONES.get(str(p.get("milestone_kind")), {}).get(lang, str(p.get("milestone_kind")))
        days = int(p.get("days_left") or 0)
        return f"{PREFIX} {w(kind, lang)}{c}{one_line(str(p.get('title')), 100)} ({what}) {p.get('date')}, {_days(days, lang)}"
    if kind == "source-unhealthy":
        n = p.get("consecutive_failures")
        tail = f"连续 {n} 次失败" if lang == "zh" else f"{n} failed runs in a row"
        return f"{PREFIX} {w(kind, lang)}{c}{p.get('source')}, {tail}"
    if kind == "source-recovered":
        return f"{PREFIX} {w(kind, lang)}{c}{p.get('source')}"
    return f"{PREFIX} {w(kind, lang) if kind in WORDS else kind}{c}{one_line(alert.title, 150)}"


def _cause_line(p: Mapping[str, Any], lang: Language) -> str:
    cause = p.get("cause") or ("drift" if "drift_id" in p else "match")
    version = f" {p['version']}" if p.get("version") else ""
    if cause == "drift":
        if lang == "zh":
            return f"{p.get('spec')} 第 {p.get('clause')} 条变更（{p.get('document')}{version}），映射自 {p.get('patent')} 权利要求{p.get('claim')} 技术特征 {p.get('feature')}"
        return f"{p.get('spec')} §{p.get('clause')} changed ({p.get('document')}{version}), mapped by {p.get('patent')} claim {p.get('claim')} feature {p.get('feature')}"
    if lang == "zh":
        verdict = (
            w("all_elements", lang)
            if p.get("all_elements")
            else f"覆盖 {p.get('covered')}/{p.get('features')} 个技术特征"
        )
        return f"{p.get('patent')} 权利要求{p.get('claim')} 对应 {p.get('document')}{version}（{verdict}）"
    verdict = (
        w("all_elements", lang)
        if p.get("all_elements")
        else f"{p.get('covered')}/{p.get('features')} features"
    )
    return f"{p.get('patent')} claim {p.get('claim')} reads on {p.get('document')}{version} ({verdict})"


def _window_name(window: str, lang: Language) -> str:
    return WINDOWS.get(window, {}).get(lang, window)


def _linked_headline(p: Mapping[str, Any], lang: Language) -> str:
    windows = p.get("windows") or [{}]
    first = windows[0]
    name = _window_name(str(first.get("window")), lang)
    if p.get("closes"):
        days = p.get("days_left")
        tail = f"（{_days(int(days), lang)}）" if lang == "zh" and days is not None else ""
        tail = tail or (f" ({_days(int(days), lang)})" if days is not None else "")
        if lang == "zh":
            return f"{name}窗口 {p['closes']} 截止{tail}"
        return f"{name.capitalize()} window closes {p['closes']}{tail}"
    return (
        f"{name}窗口开放（{w('open_while_pending', lang)}）"
        if lang == "zh"
        else (f"{name.capitalize()} window open ({w('open_while_pending', lang)})")
    )


def _evidence(doc: _Doc, p: Mapping[str, Any], lang: Language, *, compact: bool) -> None:
    c = _colon(lang)
    for e in p.get("evidence") or []:
        feature = f"{w('feature', lang)} {e.get('feature')}"
        if e.get("feature_text"):
            feature += f"{c}{e['feature_text']}"
        doc.para(feature)
        if not e.get("covered") or not e.get("quote"):
            doc.para(f"  — {w('not_found', lang)}")
            continue
        where = f"{w('clause', lang)} {e.get('clause') or '-'}"
        if e.get("heading"):
            where += f" {e['heading']}"
        if e.get("normative"):
            level = LEVELS.get(str(e.get("normative_level")), {}).get(
                lang, str(e.get("normative_level") or "")
            )
            where += f" — {w('normative', lang)}{c}{e['normative']}" + (_paren(level, lang) if level else "")
        doc.para(where)
        quote = str(e["quote"])
        doc.quote(one_line(quote, DIGEST_QUOTE_CHARS) if compact else quote)


def _match_body(doc: _Doc, p: Mapping[str, Any], lang: Language, *, compact: bool) -> None:
    doc.para(_cause_line(p, lang))
    if not compact:
        doc.field(w("document", lang), " ".join(x for x in (p.get("document"), p.get("document_title")) if x))
        doc.field(w("version", lang), p.get("version"))
        doc.field(w("group", lang), " ".join(x for x in (p.get("group"), p.get("meeting")) if x))
        doc.field(w("score", lang), p.get("score"))
    _evidence(doc, p, lang, compact=compact)


def _drift_body(doc: _Doc, p: Mapping[str, Any], lang: Language, *, compact: bool) -> None:
    c = _colon(lang)
    doc.para(_cause_line(p, lang))
    feature = f"{w('feature', lang)} {p.get('feature')}"
    if p.get("feature_text"):
        feature += f"{c}{p['feature_text']}"
    doc.para(feature)
    if p.get("cr"):
        cr = p["cr"]
        doc.field(
            "CR",
            " ".join(str(x) for x in (cr.get("tdoc"), cr.get("cr"), cr.get("status"), cr.get("title")) if x),
        )
    if not compact:
        versions = " → ".join(str(x) for x in (p.get("previous_version"), p.get("version")) if x)
        doc.field(w("version", lang), versions)
    if p.get("removed"):
        doc.para(w("removed", lang))
    elif p.get("still_reads") is True:
        doc.para(w("still_reads", lang))
    elif p.get("still_reads") is False:
        doc.para(w("no_longer_reads", lang))
    if p.get("evidence"):
        doc.para(w("mapped_text", lang) + c.strip())
        evidence = str(p["evidence"])
        doc.quote(one_line(evidence, DIGEST_QUOTE_CHARS) if compact else evidence)
    if p.get("diff") and not compact:
        doc.para(w("diff", lang) + c.strip())
        doc.code(str(p["diff"]))


def _window_fields(doc: _Doc, d: Mapping[str, Any], lang: Language, *, due: bool = True) -> None:
    doc.field(w("window", lang), f"{d.get('label')} [{d.get('rule')}]")
    if due:
        doc.field(w("due", lang), d.get("due") or w("open_while_pending", lang))
    doc.field(w("trigger", lang), d.get("trigger"))
    doc.field(w("extendable", lang), d.get("extendable"))
    doc.field(w("max_extended_due", lang), d.get("max_extended_due"))
    doc.field(w("legal_basis", lang), d.get("legal_basis"))
    if d.get("verified") is False:
        doc.para(w("unverified", lang))


def _linked_body(doc: _Doc, p: Mapping[str, Any], lang: Language, *, compact: bool) -> None:
    windows = p.get("windows") or []
    if compact:
        for d in windows[:1]:
            doc.field(w("window", lang), f"{d.get('application')} {d.get('label')}")
            doc.field(w("due", lang), d.get("due") or w("open_while_pending", lang))
    else:
        doc.para(_linked_headline(p, lang))
        for d in windows:
            own = _paren(w("own", lang), lang) if d.get("own") else ""
            doc.heading(
                f"{w('application', lang)} {d.get('application')}{own}{doc.colon}"
                f"{_window_name(str(d.get('window')), lang)}"
            )
            _window_fields(doc, d, lang)
        doc.rule()
    if p.get("cause") == "drift":
        _drift_body(doc, p, lang, compact=compact)
    else:
        _match_body(doc, p, lang, compact=compact)


def _paren(text: str, lang: Language) -> str:
    return f"（{text}）" if lang == "zh" else f" ({text})"


def _status_body(doc: _Doc, p: Mapping[str, Any], lang: Language, *, compact: bool) -> None:
    app = f"{p.get('application')}" + (f" / {p['publication']}" if p.get("publication") else "")
    doc.field(w("application", lang), app)
    if p.get("patent_title"):
        doc.para(str(p["patent_title"]))
    doc.field(w("event", lang), p.get("text"))
    doc.field(w("code", lang), p.get("code"))
    doc.field(w("date", lang), p.get("date"))
    if not compact:
        doc.field(w("status", lang), p.get("status"))
        doc.para(w("own", lang) if p.get("own") else w("competitor", lang))
        if p.get("applicants"):
            doc.field("Applicants" if lang == "en" else "申请人", ", ".join(p["applicants"]))
        doc.field(w("source", lang), p.get("source"))
    for d in p.get("opens") or []:
        doc.heading(f"{w('opens', lang)}: {_window_name(str(d.get('window')), lang)}")
        _window_fields(doc, d, lang)


def _deadline_body(doc: _Doc, p: Mapping[str, Any], lang: Language, *, compact: bool) -> None:
    app = f"{p.get('application')}" + (_paren(w("own", lang), lang) if p.get("own") else "")
    doc.field(w("application", lang), app)
    if p.get("patent_title"):
        doc.para(str(p["patent_title"]))
    days = int(p.get("days_left") or 0)
    doc.field(w("due", lang), f"{p.get('due')} ({_days(days, lang)})")
    _window_fields(doc, p, lang, due=False)
    if p.get("note") and not compact:
        doc.field(w("note", lang), p.get("note"))


def _milestone_body(doc: _Doc, p: Mapping[str, Any], lang: Language, *, compact: bool) -> None:
    what = MILESTONES.get(str(p.get("milestone_kind")), {}).get(lang, str(p.get("milestone_kind")))
    doc.para(f"{p.get('title')} ({what})")
    span = str(p.get("date")) + (f" – {p['end']}" if p.get("end") else "")
    doc.field(w("date", lang), f"{span} ({_days(int(p.get('days_left') or 0), lang)})")
    doc.field(w("group", lang), " ".join(x for x in (p.get("body"), p.get("group")) if x))
    doc.field(w("release", lang), p.get("release"))
    history = [h.get("date") for h in p.get("history") or [] if h.get("date")]
    if history and not compact:
        doc.field(w("history", lang), ", ".join(history))


def _source_body(doc: _Doc, p: Mapping[str, Any], lang: Language, *, compact: bool) -> None:
    doc.field(w("source", lang), p.get("source"))
    doc.field(w("status", lang), p.get("state"))
    doc.field(w("since", lang), p.get("since"))
    doc.field(w("last_success", lang), p.get("last_success"))
    doc.field(w("error", lang), p.get("last_error"))


_BODIES = {
    "match": _match_body,
    "drift": _drift_body,
    "linked": _linked_body,
    "patent-status": _status_body,
    "deadline": _deadline_body,
    "milestone": _milestone_body,
    "source-unhealthy": _source_body,
    "source-recovered": _source_body,
}


def _body(doc: _Doc, alert: AlertView, lang: Language, *, compact: bool = False) -> None:
    render = _BODIES.get(alert.kind)
    if render is None:
        doc.para(alert.title)
        for key, value in alert.payload.items():
            doc.field(str(key), value)
        return
    render(doc, alert.payload, lang, compact=compact)


def render(
    alert: AlertView, *, language: str, reason: str, key: str, recipient: str | None = None
) -> Message:
    """One alert as a message to one reader; ``reason`` is already in ``language``."""
    lang: Language = "zh" if language == "zh" else "en"
    subject = one_line(subject_of(alert, lang), 250)
    doc = _Doc(lang)
    _body(doc, alert, lang)
    if reason:
        doc.rule()
        doc.field(w("why", lang), reason)
    return Message(
        subject=subject,
        text=doc.text(),
        markdown=f"### {md(subject)}\n\n" + doc.markdown(),
        html=doc.html(subject),
        thread=alert.thread,
        key=key,
        language=lang,
        data={
            "alert_id": alert.id,
            "kind": alert.kind,
            "title": alert.title,
            "payload": dict(alert.payload),
            "reason": reason,
            "recipient": recipient,
            "created_at": _utc(alert.created_at),
        },
    )


KIND_ORDER = (
    "linked",
    "match",
    "drift",
    "deadline",
    "patent-status",
    "milestone",
    "source-unhealthy",
    "source-recovered",
)


def render_digest(
    alerts: Sequence[tuple[AlertView, str]],
    *,
    language: str,
    period: str,
    key: str,
    recipient: str | None = None,
) -> Message:
    """Many alerts (each with its reason, in ``language``) as one message, grouped by kind."""
    lang: Language = "zh" if language == "zh" else "en"
    name = w("digest_weekly" if period == "weekly" else "digest_daily", lang)
    count = (
        f"{len(alerts)} 条提醒" if lang == "zh" else f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
    )
    subject = f"{PREFIX} {name}{_colon(lang)}{count}"
    groups: dict[str, list[tuple[AlertView, str]]] = {}
    for item in alerts:
        groups.setdefault(item[0].kind, []).append(item)
    order = [k for k in KIND_ORDER if k in groups] + sorted(k for k in groups if k not in KIND_ORDER)
    doc = _Doc(lang)
    for kind in order:
        items = groups[kind]
        label = w(kind, lang) if kind in WORDS else kind
        doc.heading(f"{label} ({len(items)})")
        for alert, reason in items:
            doc.para(f"#{alert.id} {one_line(subject_of(alert, lang).removeprefix(PREFIX).strip(), 250)}")
            _body(doc, alert, lang, compact=True)
            if reason:
                doc.field(w("why", lang), reason)
            doc.rule()
    return Message(
        subject=subject,
        text=doc.text(),
        markdown=f"### {md(subject)}\n\n" + doc.markdown(),
        html=doc.html(subject),
        thread=f"digest:{recipient or ''}",
        key=key,
        language=lang,
        data={
            "digest": period,
            "alert_ids": [a.id for a, _ in alerts],
            "recipient": recipient,
            "alerts": [
                {"alert_id": a.id, "kind": a.kind, "title": a.title, "payload": dict(a.payload), "reason": r}
                for a, r in alerts
            ],
        },
    )


def probe_message(channel: str, *, language: str = "en", key: str) -> Message:
    """What ``sepwatch alerts test CHANNEL`` sends."""
    lang: Language = "zh" if language == "zh" else "en"
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    text = (
        f"这是 sepwatch 发往渠道 {channel} 的测试消息（{now}）。收到即表示配置正确。"
        if lang == "zh"
        else f"This is a test message from sepwatch to channel {channel} ({now}). If you read it, the channel works."
    )
    alert = AlertView(None, "test", f"test:{channel}", text, {})
    subject = f"{PREFIX} {w('test', lang)}{_colon(lang)}{channel}"
    doc = _Doc(lang)
    doc.para(text)
    return Message(
        subject=subject,
        text=doc.text(),
        markdown=f"### {md(subject)}\n\n" + doc.markdown(),
        html=doc.html(subject),
        thread=alert.thread,
        key=key,
        language=lang,
        data={"kind": "test", "channel": channel, "sent_at": now},
    )
