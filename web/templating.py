"""Jinja2 templates with autoescaping on for every template, and :func:`render` for pages."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from web.auth import User
from web.deps import NotSignedIn, csrf_token, current_user
from web.i18n import LANGUAGE_NAMES, LANGUAGES, get_language, translator

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

# Autoescape for every template whatever its file name: values from crawled documents are hostile.
environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=environment)


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str
    href: str
    label: str
    active: bool


# (message key, path, role needed or None): the main navigation of base.html.
NAV: tuple[tuple[str, str, str | None], ...] = (
    ("core.nav.search", "/search", None),
    ("core.nav.claims", "/claims", None),
    ("core.nav.calendar", "/calendar", None),
    ("core.nav.alerts", "/alerts", None),
    ("core.nav.sources", "/sources", None),
    ("core.nav.plots", "/plots", None),
    ("core.nav.users", "/admin/users", "admin"),
)


@functools.cache
def _static_version(name: str, mtime_ns: int) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>``: browsers may cache it for long and still see every change."""
    path = STATIC_DIR / name
    try:
        version = _static_version(name, path.stat().st_mtime_ns)
    except OSError:
        return f"/static/{name}"
    return f"/static/{name}?v={version}"


def nav_items(request: Request, user: User | None, t: Any) -> list[NavItem]:
    if user is None:
        return []
    path = request.url.path
    return [
        NavItem(key, href, t(key), path == href or path.startswith(href + "/"))
        for key, href, role in NAV
        if role is None or user.can(role)
    ]


def _user_of(request: Request) -> User | None:
    try:
        return current_user(request)
    except NotSignedIn:
        return None


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render *template* with *context* plus what every page needs (user, lang, t, csrf_token, nav…)."""
    user = _user_of(request)
    lang = get_language(request)
    t = translator(lang)
    values: dict[str, Any] = {
        "request": request,
        "user": user,
        "lang": lang,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "t": t,
        "csrf_token": csrf_token(request),
        "nav": nav_items(request, user, t),
        "path": request.url.path,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "static": static_url,
    }
    values.update(context or {})
    return templates.TemplateResponse(
        request, template, values, status_code=status_code, headers=dict(headers) if headers else None
    )
