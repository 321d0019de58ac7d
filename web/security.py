"""Security headers, cookies, CSRF tokens, the signing key and the client's address.

CSRF: a synchroniser token derived from the session cookie (signed in) or from a random pre-session
cookie (the sign-in form, the language switch), ``HMAC-SHA256(key, kind + ":" + cookie value)``.
Nothing extra is stored, a token cannot be reused with another session, and an attacker who cannot
read our pages cannot compute it. Requests authenticated by an API token carry no ambient
credentials and need no CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config import Settings

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SECRET_KEY_BYTES = 32

ProxyNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class CookieNames:
    """Cookie names; with Secure cookies the ``__Host-`` prefix also pins them to this host and path /."""

    def __init__(self, secure: bool) -> None:
        prefix = "__Host-" if secure else ""
        self.session = f"{prefix}sepwatch_session"
        self.pre = f"{prefix}sepwatch_pre"


def load_secret_key(settings: Settings) -> bytes:
    """The key that signs CSRF tokens: read from web.secret_key_file, or created in data_dir (0600)."""
    path = settings.web.secret_key_file or settings.data_dir / "web_secret.key"
    if settings.web.secret_key_file is None and not path.exists():
        _create_key_file(path)
    try:
        text = path.read_text(encoding="ascii").strip()
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"web.secret_key_file {path}: cannot read the key: {exc}") from None
    if len(key) < 16:
        raise RuntimeError(f"web.secret_key_file {path}: the key is too short (at least 16 bytes, base64)")
    if path.stat().st_mode & 0o077:
        log.warning("web secret key %s can be read by other users; chmod 600 it", path)
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = base64.urlsafe_b64encode(secrets.token_bytes(SECRET_KEY_BYTES)).decode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first; use theirs
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text + "\n")
    log.info("created the web secret key %s", path)


def csrf_token_for(key: bytes, kind: str, cookie_value: str) -> str:
    digest = hmac.new(key, f"{kind}:{cookie_value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def tokens_equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def parse_networks(items: Sequence[str]) -> list[ProxyNetwork]:
    return [ipaddress.ip_network(item, strict=False) for item in items]


def _in_networks(address: str, networks: Sequence[ProxyNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def peer_address(request: Request) -> str:
    return request.client.host if request.client else ""


def from_trusted_proxy(request: Request, networks: Sequence[ProxyNetwork]) -> bool:
    return bool(networks) and _in_networks(peer_address(request), networks)


def client_address(request: Request, networks: Sequence[ProxyNetwork]) -> str:
    """The client's address: the peer, or behind trusted proxies the last untrusted X-Forwarded-For hop."""
    peer = peer_address(request)
    if not from_trusted_proxy(request, networks):
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _in_networks(hop, networks):
            return hop
    return hops[0] if hops else peer


def queue_cookie(
    request: Request, name: str, value: str | None, *, max_age: int | None, secure: bool
) -> None:
    """Set (or with value None delete) a cookie on whatever response this request ends with."""
    holder = Response()
    if value is None:
        holder.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")
    else:
        holder.set_cookie(
            name, value, max_age=max_age, path="/", secure=secure, httponly=True, samesite="lax"
        )
    pending: dict[str, bytes] = request.scope.setdefault("state", {}).setdefault("set_cookies", {})
    pending[name] = next(value for header, value in holder.raw_headers if header == b"set-cookie")


class SecurityHeadersMiddleware:
    """Adds the security headers to every response, and the cookies queued with :func:`queue_cookie`."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra: dict[bytes, bytes] = {
                    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"same-origin",
                    b"x-frame-options": b"DENY",
                    b"cross-origin-opener-policy": b"same-origin",
                    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), payment=()",
                }
                # Pages and API answers hold confidential data: no shared or disk cache keeps them.
                if not scope["path"].startswith("/static/"):
                    extra[b"cache-control"] = b"no-store"
                if self.hsts:
                    extra[b"strict-transport-security"] = b"max-age=31536000"
                headers += [(name, value) for name, value in extra.items() if name not in present]
                state: dict[str, Any] = scope.get("state", {})
                headers += [(b"set-cookie", value) for value in state.get("set_cookies", {}).values()]
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # The server's own error response would go out without these headers; send ours, then let
            # the exception travel on to be logged.
            if not started:
                await _INTERNAL_ERROR(scope, receive, send_with_headers)
            raise


_INTERNAL_ERROR = HTMLResponse(
    '<!doctype html><html><head><meta charset="utf-8"><title>500 · sepwatch</title></head>'
    "<body><h1>Something went wrong · 出错了</h1><p>The error is logged. · 错误已记录。</p>"
    '<p><a href="/">sepwatch</a></p></body></html>',
    status_code=500,
)
