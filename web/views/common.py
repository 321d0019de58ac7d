"""Helpers shared by the views: anchors, safe links, highlighted snippets, pagination."""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from urllib.parse import urlsplit

from markupsafe import Markup, escape
from pydantic import BaseModel

_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
# Tags a backend snippet might carry besides <mark>: dropped, their text kept (escaped).
_ANY_TAG = re.compile(r"<[^>]*>")


def clause_anchor(number: str | None, ord_: int) -> str:
    """The HTML id of a section: ``c-5.3.5.1`` from its clause number, ``o-12`` without one."""
    if number:
        slug = _ANCHOR_UNSAFE.sub("-", number.strip()).strip("-")
        if slug:
            return f"c-{slug[:80]}"
    return f"o-{ord_}"


def safe_url(value: object) -> str | None:
    """``value`` when it is an absolute http(s) URL, else None: stored links (origins, tracker
    pages) come from crawled documents, so ``javascript:`` and ``data:`` are never made links."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if any(c in text for c in "\x00\r\n\t\"'<> "):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def highlighted(snippet_html: str) -> Markup:
    """A search backend's snippet made safe to show: every text piece is unescaped and escaped
    again and only the ``<mark>`` spans become markup, so whatever a backend (or a stored text
    that found its way into one) hands over, the only tag that reaches the page is ``<mark>``."""
    out: list[str] = []
    pos = 0
    for m in _MARK.finditer(snippet_html):
        out.append(_text(snippet_html[pos : m.start()]))
        out.append(f"<mark>{_text(m.group(1))}</mark>")
        pos = m.end()
    out.append(_text(snippet_html[pos:]))
    return Markup("".join(out))  # noqa: S704 - every piece is escaped above


def _text(fragment: str) -> str:
    return str(escape(html.unescape(_ANY_TAG.sub("", fragment))))


def plain(snippet_html: str) -> str:
    """A snippet's text without markup (for the JSON API's ``text`` field and for titles)."""
    return html.unescape(_ANY_TAG.sub("", snippet_html))


class Pagination(BaseModel):
    page: int
    per_page: int
    total: int
    pages: int

    @classmethod
    def of(cls, page: int, per_page: int, total: int) -> Pagination:
        return cls(page=page, per_page=per_page, total=total, pages=max(1, math.ceil(total / per_page)))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def scalar_text(value: object) -> str:
    """A metadata value as one line of text (lists joined, nested mappings as key: value)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(scalar_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {scalar_text(v)}" for k, v in value.items())
    return str(value)
