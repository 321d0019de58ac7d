"""Core routes: sign-in and out, language, account, user administration, health, and their JSON API."""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from index import users as user_store
from index.users import ROLES, UserError
from web import auth
from web.auth import MIN_PASSWORD_LENGTH, User
from web.deps import AdminUser, SignedIn, get_app, get_web
from web.i18n import LANGUAGE_COOKIE, LANGUAGES, get_language, translator
from web.security import client_address, queue_cookie
from web.templating import render

log = logging.getLogger(__name__)
router = APIRouter()

Text = Annotated[str, Form()]
LANGUAGE_COOKIE_DAYS = 365


def safe_next(
    value: str | None, default: str = "/", avoid: tuple[str, ...] = ("/login", "/logout", "/lang")
) -> str:
    """A local path to go to after a form; anything that could leave the site becomes *default*."""
    if not value:
        return default
    parts = urlsplit(value)
    if (
        parts.scheme
        or parts.netloc
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or any(ch in value for ch in "\r\n\t\\")
    ):
        return default
    if parts.path in avoid:
        return default
    return value


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- public -----------------------------------------------------------------------------------------


@router.get("/health", summary="Liveness and store reachability (no sign-in)")
def health(request: Request) -> JSONResponse:
    try:
        with get_app(request).store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health: the store is unreachable: %s", exc)
        return JSONResponse({"status": "error", "store": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "store": "ok"})


@router.get("/", include_in_schema=False)
def home(_user: SignedIn) -> RedirectResponse:
    return _see_other("/search")


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/") -> Response:
    if getattr(request.state, "user", None) is not None:
        return _see_other(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "username": "", "error": None})


@router.post("/login", include_in_schema=False)
def login(request: Request, username: Text = "", password: Text = "", next: Text = "/") -> Response:
    web = get_web(request)
    t = translator(get_language(request))
    address = client_address(request, web.trusted_proxies)
    context: dict[str, Any] = {"next": safe_next(next), "username": username}
    wait = web.limiter.retry_after(username, address)
    if wait > 0:
        log.warning("sign-in refused: too many failures for %r from %s", username, address)
        minutes = max(1, math.ceil(wait / 60))
        return render(
            request,
            "login.html",
            {**context, "error": t("core.login.too_many", minutes=minutes)},
            status_code=429,
            headers={"Retry-After": str(math.ceil(wait))},
        )
    user = auth.check_password(web.app.store, username, password)
    if user is None:
        web.limiter.failed(username, address)
        log.info("failed sign-in for %r from %s", username, address)
        return render(request, "login.html", {**context, "error": t("core.login.failed")}, status_code=401)
    web.limiter.succeeded(username, address)
    old = request.cookies.get(web.cookies.session)
    if old:
        auth.end_session(web.app.store, old)  # a session id known before sign-in is never reused
    token = auth.new_session(web.app.store, user, web.settings.web.session_hours)
    response = _see_other(safe_next(next))
    response.set_cookie(
        web.cookies.session,
        token,
        max_age=web.session_max_age,
        path="/",
        secure=web.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    response.delete_cookie(
        web.cookies.pre, path="/", secure=web.secure_cookies, httponly=True, samesite="lax"
    )
    log.info("%s signed in from %s", user.username, address)
    return response


@router.post("/lang", include_in_schema=False)
def switch_language(request: Request, lang: Text = "", next: Text = "/") -> Response:
    if lang not in LANGUAGES:
        raise HTTPException(status_code=400, detail=f"unknown language {lang!r}")
    web = get_web(request)
    user: User | None = getattr(request.state, "user", None)
    if user is not None:
        user_store.update_user(web.app.store, user.username, language=lang)
    response = _see_other(safe_next(next, avoid=("/logout", "/lang")))
    response.set_cookie(
        LANGUAGE_COOKIE,
        lang,
        max_age=LANGUAGE_COOKIE_DAYS * 86400,
        path="/",
        secure=web.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, user: SignedIn) -> Response:
    web = get_web(request)
    token = request.cookies.get(web.cookies.session)
    if token:
        auth.end_session(web.app.store, token)
    response = _see_other("/login")
    response.delete_cookie(
        web.cookies.session, path="/", secure=web.secure_cookies, httponly=True, samesite="lax"
    )
    log.info("%s signed out", user.username)
    return response


# --- account ----------------------------------------------------------------------------------------


def _account(request: Request, user: User, status_code: int = 200, **extra: Any) -> Response:
    store = get_app(request).store
    found = user_store.password_hash(store, user.username)
    context = {
        "tokens": user_store.list_tokens(store, user.id),
        "ics_created": user_store.ics_token_created(store, user.id),
        "has_password": bool(found and found[1]),
        "min_password": MIN_PASSWORD_LENGTH,
        "notice": None,
        "error": None,
        **extra,
    }
    return render(request, "account.html", context, status_code=status_code)


def _base_url(request: Request) -> str:
    public = get_web(request).settings.web.public_url
    return public or str(request.base_url).rstrip("/")


@router.get("/account", include_in_schema=False)
def account(request: Request, user: SignedIn, done: str = "") -> Response:
    t = translator(get_language(request))
    notices = {"saved": "core.account.saved", "revoked": "core.tokens.revoked", "ics_off": "core.ics.deleted"}
    return _account(request, user, notice=t(notices[done]) if done in notices else None)


@router.post("/account/profile", include_in_schema=False)
def account_profile(
    request: Request, user: SignedIn, display_name: Text = "", language: Text = ""
) -> Response:
    user_store.update_user(
        get_app(request).store,
        user.username,
        display_name=display_name,
        language=language if language in LANGUAGES else None,
    )
    return _see_other("/account?done=saved")


@router.post("/account/password", include_in_schema=False)
def account_password(
    request: Request,
    user: SignedIn,
    current_password: Text = "",
    new_password: Text = "",
    confirm_password: Text = "",
) -> Response:
    web = get_web(request)
    t = translator(get_language(request))
    address = client_address(request, web.trusted_proxies)
    if web.limiter.retry_after(user.username, address) > 0:
        return _account(request, user, 429, error=t("core.login.too_many", minutes=15))
    if auth.check_password(web.app.store, user.username, current_password) is None:
        web.limiter.failed(user.username, address)
        return _account(request, user, 400, error=t("core.account.wrong_password"))
    if new_password != confirm_password:
        return _account(request, user, 400, error=t("core.account.mismatch"))
    try:
        auth.change_password(web.app.store, user.username, new_password)
    except UserError as exc:
        return _account(request, user, 400, error=str(exc))
    # Every session ended with the old password; this browser gets a new one.
    token = auth.new_session(web.app.store, user, web.settings.web.session_hours)
    request.state.session_token = token
    queue_cookie(request, web.cookies.session, token, max_age=web.session_max_age, secure=web.secure_cookies)
    log.info("%s changed their password", user.username)
    return _account(request, user, notice=t("core.account.password_changed"))


@router.post("/account/tokens", include_in_schema=False)
def account_token_create(request: Request, user: SignedIn, name: Text = "") -> Response:
    try:
        token, record = auth.create_api_token(get_app(request).store, user, name)
    except UserError as exc:
        return _account(request, user, 400, error=str(exc))
    log.info("%s created the API token %r", user.username, record.name)
    return _account(request, user, new_token=token, new_token_name=record.name)


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
def account_token_revoke(request: Request, token_id: int, user: SignedIn) -> Response:
    if not user_store.revoke_token(get_app(request).store, user.id, token_id):
        raise HTTPException(status_code=404, detail="no such token")
    return _see_other("/account?done=revoked")


@router.post("/account/ics", include_in_schema=False)
def account_ics(request: Request, user: SignedIn) -> Response:
    token = auth.regenerate_ics_token(get_app(request).store, user)
    return _account(request, user, ics_url=f"{_base_url(request)}/calendar/feed/{token}.ics")


@router.post("/account/ics/delete", include_in_schema=False)
def account_ics_delete(request: Request, user: SignedIn) -> Response:
    user_store.set_ics_token(get_app(request).store, user.id, None)
    return _see_other("/account?done=ics_off")


# --- user administration (admins) ------------------------------------------------------------------


def _admin_page(request: Request, status_code: int = 200, **extra: Any) -> Response:
    context = {
        "rows": user_store.user_overview(get_app(request).store),
        "roles": ROLES,
        "min_password": MIN_PASSWORD_LENGTH,
        "notice": None,
        "error": None,
        **extra,
    }
    return render(request, "admin_users.html", context, status_code=status_code)


def _guard_last_admin(request: Request, username: str, *, new_role: str | None, disable: bool) -> None:
    store = get_app(request).store
    target = user_store.get_user(store, username)
    if target is None or target.role != "admin" or target.disabled:
        return
    if (disable or (new_role is not None and new_role != "admin")) and user_store.admins_left(
        store, without=username
    ) == 0:
        raise UserError(translator(get_language(request))("core.users.last_admin"))


@router.get("/admin/users", include_in_schema=False)
def admin_users(request: Request, _admin: AdminUser, done: str = "", name: str = "") -> Response:
    t = translator(get_language(request))
    notices = {"added": "core.users.added", "updated": "core.users.updated"}
    # Only names of real users are echoed, so a crafted link cannot put words in the page.
    known = done in notices and user_store.get_user(get_app(request).store, name) is not None
    return _admin_page(request, notice=t(notices[done], name=name) if known else None)


@router.post("/admin/users", include_in_schema=False)
def admin_users_add(
    request: Request,
    admin: AdminUser,
    username: Text = "",
    display_name: Text = "",
    role: Text = "viewer",
    password: Text = "",
) -> Response:
    try:
        created = auth.add_user(
            get_app(request).store, username, role=role, password=password or None, display_name=display_name
        )
    except UserError as exc:
        return _admin_page(request, 400, error=str(exc))
    log.info("%s added the user %s (%s)", admin.username, created.username, created.role)
    return _see_other(f"/admin/users?done=added&name={quote(created.username)}")


def _admin_update(request: Request, admin: User, username: str, **changes: Any) -> Response:
    try:
        _guard_last_admin(
            request, username, new_role=changes.get("role"), disable=bool(changes.get("disabled"))
        )
        updated = user_store.update_user(get_app(request).store, username, **changes)
    except UserError as exc:
        return _admin_page(request, 400, error=str(exc))
    log.info("%s changed the user %s: %s", admin.username, updated.username, changes)
    return _see_other(f"/admin/users?done=updated&name={quote(updated.username)}")


@router.post("/admin/users/{username}/role", include_in_schema=False)
def admin_users_role(request: Request, username: str, admin: AdminUser, role: Text = "") -> Response:
    return _admin_update(request, admin, username, role=role)


@router.post("/admin/users/{username}/disable", include_in_schema=False)
def admin_users_disable(request: Request, username: str, admin: AdminUser) -> Response:
    return _admin_update(request, admin, username, disabled=True)


@router.post("/admin/users/{username}/enable", include_in_schema=False)
def admin_users_enable(request: Request, username: str, admin: AdminUser) -> Response:
    return _admin_update(request, admin, username, disabled=False)


# --- JSON API ---------------------------------------------------------------------------------------


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    language: str | None
    disabled: bool

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            language=user.language,
            disabled=user.disabled,
        )


class UserDetailOut(UserOut):
    has_password: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(description="1-100 characters: letters, digits, _ . @ + - (stored in lower case)")
    role: str = Field(default="viewer", description="viewer, editor or admin")
    password: str | None = Field(default=None, description="None: signs in only through single sign-on")
    display_name: str | None = None
    language: str | None = Field(default=None, description="zh, en, or None (the browser decides)")


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str | None = None
    disabled: bool | None = None
    display_name: str | None = None
    password: str | None = Field(default=None, description="A new password; ends the user's sessions")


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="What the token is for")


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself: shown only in this answer")


def _token_out(record: user_store.ApiToken) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "prefix": record.prefix,
        "created_at": record.created_at,
        "last_used_at": record.last_used_at,
    }


@router.get("/api/v1/me", summary="The signed-in user", response_model=UserOut)
def api_me(user: SignedIn) -> UserOut:
    return UserOut.of(user)


@router.get("/api/v1/tokens", summary="Your live API tokens", response_model=list[TokenOut])
def api_tokens(request: Request, user: SignedIn) -> list[TokenOut]:
    return [TokenOut(**_token_out(t)) for t in user_store.list_tokens(get_app(request).store, user.id)]


@router.post("/api/v1/tokens", summary="Create an API token", status_code=201, response_model=TokenCreated)
def api_token_create(request: Request, body: TokenCreate, user: SignedIn) -> TokenCreated:
    try:
        token, record = auth.create_api_token(get_app(request).store, user, body.name)
    except UserError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return TokenCreated(**_token_out(record), token=token)


@router.delete("/api/v1/tokens/{token_id}", summary="Revoke one of your API tokens", status_code=204)
def api_token_revoke(request: Request, token_id: int, user: SignedIn) -> Response:
    if not user_store.revoke_token(get_app(request).store, user.id, token_id):
        raise HTTPException(status_code=404, detail=f"no live token {token_id} of yours")
    return Response(status_code=204)


def _detail(row: user_store.UserOverview) -> UserDetailOut:
    return UserDetailOut(
        **UserOut.of(row.user).model_dump(),
        has_password=row.has_password,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


@router.get("/api/v1/users", summary="Every user (admin)", response_model=list[UserDetailOut])
def api_users(request: Request, _admin: AdminUser) -> list[UserDetailOut]:
    return [_detail(row) for row in user_store.user_overview(get_app(request).store)]


@router.post("/api/v1/users", summary="Add a user (admin)", status_code=201, response_model=UserOut)
def api_user_create(request: Request, body: UserCreate, admin: AdminUser) -> UserOut:
    try:
        created = auth.add_user(
            get_app(request).store,
            body.username,
            role=body.role,
            password=body.password,
            display_name=body.display_name,
            language=body.language,
        )
    except UserError as exc:
        status = 409 if "already exists" in str(exc) else 400
        raise HTTPException(status_code=status, detail=str(exc)) from None
    log.info("%s added the user %s (%s) through the API", admin.username, created.username, created.role)
    return UserOut.of(created)


@router.patch("/api/v1/users/{username}", summary="Change a user's role, state, name or password (admin)")
def api_user_update(request: Request, username: str, body: UserPatch, admin: AdminUser) -> UserOut:
    store = get_app(request).store
    try:
        _guard_last_admin(request, username, new_role=body.role, disable=bool(body.disabled))
        if body.password is not None:
            auth.change_password(store, username, body.password)
        updated = user_store.update_user(
            store, username, role=body.role, disabled=body.disabled, display_name=body.display_name
        )
    except UserError as exc:
        status = 404 if str(exc).startswith("no user") else 400
        raise HTTPException(status_code=status, detail=str(exc)) from None
    log.info("%s changed the user %s through the API", admin.username, updated.username)
    return UserOut.of(updated)


def api_schema(request: Request) -> dict[str, Any]:
    """The OpenAPI document of the JSON API (the /api/ paths)."""
    schema: dict[str, Any] = dict(request.app.openapi())
    schema["paths"] = {path: ops for path, ops in schema.get("paths", {}).items() if path.startswith("/api/")}
    schema.setdefault("components", {})["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "An API token from the account page"}
    }
    schema["security"] = [{"bearer": []}]
    return schema


@router.get("/api/v1/openapi.json", include_in_schema=False)
def api_openapi(request: Request, _user: SignedIn) -> JSONResponse:
    return JSONResponse(api_schema(request))


@router.get("/api/docs", include_in_schema=False)
def api_docs(request: Request, _user: SignedIn) -> Response:
    operations = [
        {"method": method.upper(), "path": path, "summary": op.get("summary", "")}
        for path, ops in api_schema(request)["paths"].items()
        for method, op in ops.items()
    ]
    return render(request, "api_docs.html", {"operations": operations, "base_url": _base_url(request)})
