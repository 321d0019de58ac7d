"""What the page routers share: the API's JSON response, parameter parsing, safe redirects."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse

# In JSON these characters only ever occur inside strings, where the \u escapes mean the same.
_HTML_SIGNIFICANT = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


class SafeJSONResponse(JSONResponse):
    """JSON with ``<``, ``>`` and ``&`` written as ``\\u`` escapes: stored text quoted in an answer
    (``<script>`` in a crawled title) cannot be read as markup by anything that sniffs or embeds
    the body, and ``json.loads`` gives back exactly the stored text."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.translate(_HTML_SIGNIFICANT).encode("utf-8")


def parse_date(value: str | None, name: str) -> dt.date | None:
    """A YYYY-MM-DD query parameter; ValueError naming the parameter when it is not one."""
    if value is None or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{name}: expected a date as YYYY-MM-DD, got {value[:40]!r}") from None


def local_target(value: str | None, default: str) -> str:
    """A redirect target from a form: a path on this site, never another site (``//host``, ``\\``)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 32 for c in value):
        return default
    return value


def not_found(detail: str) -> HTTPException:
    return HTTPException(status_code=404, detail=detail)
