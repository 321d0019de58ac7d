"""FastAPI dependencies: the app, the signed-in user, roles and CSRF.

``enforce_auth`` and ``csrf_protect`` run for every route (app-level dependencies in
:func:`web.app.create_app`), so a route that forgets them is still closed: only the paths in
:data:`PUBLIC_PATHS` answer without sign-in, and every state change needs the CSRF token unless an
API token authenticated it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request

from config import Settings
from index.users import check_role, get_user
from sepwatch.app import App
from web import auth
from web.auth import LoginLimiter, User
from web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    CookieNames,
    ProxyNetwork,
    csrf_token_for,
    from_trusted_proxy,
    parse_networks,
    queue_cookie,
    tokens_equal,
)

log = logging.getLogger(__name__)

__all__ = [
    "PUBLIC_PATHS",
    "AdminUser",
    "EditorUser",
    "NotSignedIn",
    "SignedIn",
    "WebState",
    "csrf_protect",
    "csrf_token",
    "current_user",
    "enforce_auth",
    "get_app",
    "get_web",
    "ics_feed_user",
    "is_api",
    "require_role",
    "require_user",
]

# Route paths (as declared, with their {parameters}) that answer without sign-in.
PUBLIC_PATHS = frozenset({"/login", "/health", "/lang", "/calendar/feed/{token}.ics"})

AuthVia = Literal["session", "token", "proxy"]


@dataclass
class WebState:
    """What the web layer keeps for the life of the server (``app.state.web``)."""

    app: App
    secret_key: bytes
    limiter: LoginLimiter
    secure_cookies: bool
    trusted_proxies: list[ProxyNetwork] = field(default_factory=list)
    # id() of the routes whose path is in PUBLIC_PATHS; filled by create_app once the routers are in.
    public_routes: set[int] = field(default_factory=set)

    @classmethod
    def build(cls, app: App, secret_key: bytes) -> WebState:
        web = app.settings.web
        return cls(
            app=app,
            secret_key=secret_key,
            limiter=LoginLimiter(web.max_failed_logins),
            secure_cookies=bool(web.public_url and web.public_url.startswith("https://")),
            trusted_proxies=parse_networks(web.trusted_proxies),
        )

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def cookies(self) -> CookieNames:
        return CookieNames(self.secure_cookies)

    @property
    def session_max_age(self) -> int:
        return int(self.settings.web.session_hours * 3600)


class NotSignedIn(Exception):
    """Raised by require_user; pages answer with a redirect to /login, the API with 401."""

    def __init__(self, detail: str = "not signed in") -> None:
        super().__init__(detail)
        self.detail = detail


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def get_web(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def get_app(request: Request) -> App:
    """The sepwatch App (store, search index, settings) this server runs on."""
    return get_web(request).app


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def _authenticate(request: Request, web: WebState) -> tuple[User, AuthVia] | None:
    store = web.app.store
    bearer = _bearer(request)
    if bearer is not None:
        user = auth.api_token_user(store, bearer)
        if user is None:
            request.state.bad_token = True
            return None
        return user, "token"
    session_token = request.cookies.get(web.cookies.session)
    session_user = auth.session_user(store, session_token) if session_token else None
    header = web.settings.web.trusted_proxy_header
    if header and from_trusted_proxy(request, web.trusted_proxies):
        name = request.headers.get(header, "").strip()
        if name:
            proxy_user = get_user(store, name)
            if proxy_user is None or proxy_user.disabled:
                request.state.proxy_refused = name
                return None
            if session_user is not None and session_user.id == proxy_user.id:
                return session_user, "proxy"
            # The proxy vouches for someone the session is not: start that person's own session, so the
            # CSRF token of their pages is bound to a cookie of theirs.
            token = auth.new_session(store, proxy_user, web.settings.web.session_hours)
            request.state.session_token = token
            queue_cookie(
                request, web.cookies.session, token, max_age=web.session_max_age, secure=web.secure_cookies
            )
            return proxy_user, "proxy"
    if session_user is not None:
        return session_user, "session"
    return None


def current_user(request: Request) -> User | None:
    """The signed-in user, or None (also for an API token that is not valid: enforce_auth says so)."""
    if "user" in request.scope.get("state", {}):
        user: User | None = request.state.user
        return user
    result = _authenticate(request, get_web(request))
    request.state.user, request.state.auth_via = result if result else (None, None)
    return request.state.user  # type: ignore[no-any-return]


def require_user(request: Request, user: Annotated[User | None, Depends(current_user)]) -> User:
    """The signed-in user; otherwise pages redirect to /login and the API answers 401."""
    if user is None:
        if getattr(request.state, "bad_token", False):
            raise NotSignedIn("invalid or revoked API token")
        raise NotSignedIn()
    return user


def require_role(role: Literal["viewer", "editor", "admin"]) -> Callable[..., User]:
    """A dependency giving the signed-in user when they have *role* or a higher one, else 403."""
    check_role(role)

    def dependency(user: Annotated[User, Depends(require_user)]) -> User:
        if not user.can(role):
            raise HTTPException(status_code=403, detail=f"this needs the {role} role")
        return user

    dependency.__name__ = f"require_{role}"
    return dependency


def enforce_auth(request: Request, user: Annotated[User | None, Depends(current_user)]) -> None:
    """App-wide: every route but PUBLIC_PATHS needs a signed-in user."""
    if id(request.scope.get("route")) in get_web(request).public_routes:
        return
    if user is None:
        if getattr(request.state, "bad_token", False):
            raise NotSignedIn("invalid or revoked API token")
        refused = getattr(request.state, "proxy_refused", None)
        if refused:
            raise HTTPException(
                status_code=403,
                detail=f"the single sign-on user {refused!r} has no enabled sepwatch account; ask an admin",
            )
        raise NotSignedIn()


def csrf_token(request: Request) -> str:
    """The CSRF token of this request's session (or pre-session cookie, created when missing)."""
    web = get_web(request)
    session_token = getattr(request.state, "session_token", None) or request.cookies.get(web.cookies.session)
    if session_token:
        return csrf_token_for(web.secret_key, "session", session_token)
    pre = getattr(request.state, "pre_token", None) or request.cookies.get(web.cookies.pre)
    if not pre:
        pre = secrets.token_urlsafe(32)
        queue_cookie(request, web.cookies.pre, pre, max_age=None, secure=web.secure_cookies)
    request.state.pre_token = pre
    return csrf_token_for(web.secret_key, "pre", pre)


async def csrf_protect(request: Request, _user: Annotated[User | None, Depends(current_user)]) -> None:
    """App-wide: a state-changing request must carry the CSRF token (form field or X-CSRF-Token header).

    Requests authenticated by an API token are exempt: they carry no cookie a browser would send
    on its own.
    """
    if request.method in SAFE_METHODS or getattr(request.state, "auth_via", None) == "token":
        return
    web = get_web(request)
    if not (request.cookies.get(web.cookies.session) or request.cookies.get(web.cookies.pre)) and not getattr(
        request.state, "session_token", None
    ):
        raise HTTPException(
            status_code=403, detail="CSRF check failed: no session; reload the page and try again"
        )
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not given or not tokens_equal(given, csrf_token(request)):
        raise HTTPException(status_code=403, detail="CSRF check failed: reload the page and try again")


def ics_feed_user(request: Request, token: str) -> User:
    """The user whose personal calendar feed token is in the URL; 404 for unknown tokens and disabled users."""
    user = auth.ics_token_user(get_app(request).store, token)
    if user is None:
        raise HTTPException(status_code=404, detail="no such calendar feed")
    return user


SignedIn = Annotated[User, Depends(require_user)]
"""``user: SignedIn`` in a route's parameters: the signed-in user (same as ``Depends(require_user)``)."""
EditorUser = Annotated[User, Depends(require_role("editor"))]
AdminUser = Annotated[User, Depends(require_role("admin"))]
