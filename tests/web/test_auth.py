"""Sign-in, sessions, CSRF, roles, API tokens, trusted proxy: against the real server over HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from config import Settings
from index import users as user_store
from index.models import WebSessionRow, utcnow
from sepwatch.app import App
from web import auth
from web.app import route_table
from web.deps import PUBLIC_PATHS
from web.security import CONTENT_SECURITY_POLICY
from web.server import start_in_thread

from .conftest import PASSWORD, Credentials, ServerInfo, WebClient, csrf_of, sign_in

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def concrete(path: str) -> str:
    """A request path for a route path: every {parameter} becomes 1."""
    return re.sub(r"\{[^}]+\}", "1", path)


def web_settings_with(settings: Settings, **web: Any) -> Settings:
    return settings.model_copy(update={"web": settings.web.model_copy(update=web)})


# --- sign-in and out --------------------------------------------------------------------------------


def test_sign_in_lands_on_the_page_asked_for_and_sign_out_ends_the_session(
    anon: WebClient, user: Callable[..., Credentials], server: ServerInfo
) -> None:
    alice = user("viewer", username="Alice")
    asked = anon.get("/account")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/login?next=%2Faccount"

    form = anon.get(asked.headers["location"])
    assert form.status_code == 200
    answer = anon.post(
        "/login",
        data={
            "username": "ALICE",
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "/account",
        },
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/account"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie
    page = anon.get("/account")
    assert page.status_code == 200 and "alice" in page.text

    session = anon.cookies["sepwatch_session"]
    out = anon.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert anon.get("/account").status_code == 303
    # The cookie's value is dead on the server too, not merely deleted in this browser.
    with httpx.Client(base_url=server.url, cookies={"sepwatch_session": session}) as replay:
        assert replay.get("/api/v1/me").status_code == 401
    assert alice.username == "alice"


@pytest.mark.parametrize("who", ["wrong password", "unknown user"])
def test_wrong_credentials_are_refused_alike(
    anon: WebClient, user: Callable[..., Credentials], who: str
) -> None:
    bob = user("viewer")
    name = bob.username if who == "wrong password" else "nobody"
    token = csrf_of(anon.get("/login").text)
    answer = anon.post("/login", data={"username": name, "password": "not the password", "csrf_token": token})
    assert answer.status_code == 401
    assert "Wrong user name or password." in answer.text
    assert "sepwatch_session" not in answer.headers.get("set-cookie", "")
    assert anon.get("/api/v1/me").status_code == 401


def test_disabled_user_cannot_sign_in_and_loses_sessions_and_tokens(
    client: Callable[..., WebClient], anon: WebClient, server: ServerInfo
) -> None:
    carol = client("editor")
    assert carol.credentials is not None
    token, _ = auth.create_api_token(server.app.store, _user(server, carol.credentials.username), "script")
    assert carol.get("/api/v1/me").status_code == 200

    user_store.update_user(server.app.store, carol.credentials.username, disabled=True)

    assert carol.get("/api/v1/me").status_code == 401
    assert carol.get("/account").status_code == 303
    assert anon.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert sign_in(anon, carol.credentials).status_code == 401


def test_an_expired_session_sends_the_user_to_sign_in_again(
    client: Callable[..., WebClient], server: ServerInfo
) -> None:
    dave = client("viewer")
    assert dave.get("/account").status_code == 200
    with server.app.store.session(write=True) as s:
        s.execute(update(WebSessionRow).values(expires_at=utcnow()))
    assert dave.get("/account").headers["location"] == "/login?next=%2Faccount"
    assert dave.get("/api/v1/me").status_code == 401


def test_a_session_id_known_before_sign_in_is_not_kept(
    anon: WebClient, user: Callable[..., Credentials]
) -> None:
    erin = user("viewer")
    anon.cookies.set("sepwatch_session", "sws_planted-by-an-attacker", domain="127.0.0.1")
    assert sign_in(anon, erin).status_code == 303
    assert anon.cookies["sepwatch_session"] != "sws_planted-by-an-attacker"


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_sign_in_never_redirects_off_the_site(
    anon: WebClient, user: Callable[..., Credentials], target: str
) -> None:
    frank = user("viewer")
    token = csrf_of(anon.get("/login").text)
    answer = anon.post(
        "/login", data={"username": frank.username, "password": PASSWORD, "csrf_token": token, "next": target}
    )
    assert answer.headers["location"] == "/"


def test_changing_the_password_ends_the_other_sessions(
    client: Callable[..., WebClient], server: ServerInfo
) -> None:
    laptop = client("viewer")
    assert laptop.credentials is not None
    phone = client(credentials=laptop.credentials)
    new = "another long password 2"
    answer = laptop.post(
        "/account/password",
        data={
            "csrf_token": laptop.csrf,
            "current_password": PASSWORD,
            "new_password": new,
            "confirm_password": new,
        },
    )
    assert answer.status_code == 200 and "Your password is changed" in answer.text
    assert laptop.get("/api/v1/me").status_code == 200  # this browser got a new session
    assert phone.get("/api/v1/me").status_code == 401
    assert auth.check_password(server.app.store, laptop.credentials.username, new) is not None


def test_wrong_current_password_does_not_change_it(
    client: Callable[..., WebClient], server: ServerInfo
) -> None:
    web = client("viewer")
    assert web.credentials is not None
    answer = web.post(
        "/account/password",
        data={
            "csrf_token": web.csrf,
            "current_password": "guess",
            "new_password": "x" * 12,
            "confirm_password": "x" * 12,
        },
    )
    assert answer.status_code == 400 and "The current password is wrong." in answer.text
    assert auth.check_password(server.app.store, web.credentials.username, PASSWORD) is not None


# --- every route is closed --------------------------------------------------------------------------


def test_every_route_but_sign_in_health_and_static_needs_sign_in(server: ServerInfo, anon: WebClient) -> None:
    checked = []
    for path, methods, _route in route_table(server.api):
        if path in PUBLIC_PATHS or path.startswith("/static"):
            continue
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            answer = anon.request(method, concrete(path))
            if path.startswith("/api/"):
                assert answer.status_code == 401, (method, path, answer.status_code)
                assert answer.json() == {"detail": "not signed in"}
            else:
                assert answer.status_code == 303, (method, path, answer.status_code, answer.text[:200])
                assert answer.headers["location"].startswith("/login"), (method, path)
            checked.append((method, path))
    assert ("GET", "/account") in checked and ("GET", "/api/v1/users") in checked
    assert len(checked) >= 20
    assert anon.get("/health").json() == {"status": "ok", "store": "ok"}
    assert anon.get("/login").status_code == 200
    assert anon.get("/static/app.css").status_code == 200
    assert anon.get("/calendar/feed/swc_not-a-token.ics").status_code == 404
    assert anon.get("/docs").status_code == 404 and anon.get("/openapi.json").status_code == 404


def test_public_paths_are_exactly_these() -> None:
    # Adding a public path is a security decision: it must show up in review as a change of this test.
    assert frozenset({"/login", "/health", "/lang", "/calendar/feed/{token}.ics"}) == PUBLIC_PATHS


@pytest.fixture
def probe_server(web_app: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerInfo]:
    import web.app

    monkeypatch.setattr(web.app, "ROUTERS", [*web.app.ROUTERS, "tests.web.probe_routes"])
    handle = start_in_thread(web_app, host="127.0.0.1", port=0)
    yield ServerInfo(handle.url, web_app, handle)
    handle.stop()


@contextmanager
def _client_on(server: ServerInfo, credentials: Credentials | None = None) -> Iterator[WebClient]:
    with WebClient(base_url=server.url, follow_redirects=False, timeout=30) as web:
        if credentials is not None:
            assert sign_in(web, credentials).status_code == 303
        yield web


def test_a_route_that_forgot_its_dependencies_is_still_closed(
    probe_server: ServerInfo, user: Callable[..., Credentials]
) -> None:
    with _client_on(probe_server) as anon:
        assert anon.get("/probe/forgot-auth").status_code == 303
        assert anon.post("/probe/forgot-csrf").status_code == 303
    with _client_on(probe_server, user("viewer")) as viewer:
        assert viewer.get("/probe/forgot-auth").json() == {"secret": "claim map of EP3000000"}
        assert viewer.post("/probe/forgot-csrf").status_code == 403
        assert viewer.post("/probe/forgot-csrf", headers={"X-CSRF-Token": viewer.csrf}).json() == {
            "changed": "yes"
        }


# --- roles ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "editor_ok", "admin_ok"),
    [("viewer", False, False), ("editor", True, False), ("admin", True, True)],
)
def test_roles_are_enforced_on_pages_and_api(
    probe_server: ServerInfo, user: Callable[..., Credentials], role: str, editor_ok: bool, admin_ok: bool
) -> None:
    with _client_on(probe_server, user(role)) as web:
        assert web.get("/probe/viewer").status_code == 200
        page = web.get("/probe/editor")
        assert page.status_code == (200 if editor_ok else 403)
        if not editor_ok:
            assert "Your role does not allow this" in page.text and "<html" in page.text
        api = web.post("/api/v1/probe/editor", data={"note": "n", "csrf_token": web.csrf})
        assert api.status_code == (200 if editor_ok else 403)
        if not editor_ok:
            assert api.json() == {"detail": "this needs the editor role"}
        assert web.get("/admin/users").status_code == (200 if admin_ok else 403)
        assert web.get("/api/v1/users").status_code == (200 if admin_ok else 403)
        created = web.post(
            "/api/v1/users",
            json={"username": f"new-{role}", "role": "admin"},
            headers={"X-CSRF-Token": web.csrf},
        )
        assert created.status_code == (201 if admin_ok else 403)


def test_admin_manages_users_in_the_page(client: Callable[..., WebClient], server: ServerInfo) -> None:
    admin = client("admin")
    added = admin.post(
        "/admin/users",
        data={
            "csrf_token": admin.csrf,
            "username": "Grace",
            "role": "editor",
            "password": "grace's long password",
        },
    )
    assert added.status_code == 303
    listing = admin.get(added.headers["location"])
    assert "User grace added." in listing.text and "grace" in listing.text
    assert _user(server, "grace").role == "editor"

    assert (
        admin.post("/admin/users/grace/role", data={"csrf_token": admin.csrf, "role": "viewer"}).status_code
        == 303
    )
    assert admin.post("/admin/users/grace/disable", data={"csrf_token": admin.csrf}).status_code == 303
    grace = _user(server, "grace")
    assert (grace.role, grace.disabled) == ("viewer", True)

    again = admin.post(
        "/admin/users", data={"csrf_token": admin.csrf, "username": "grace", "password": "x" * 12}
    )
    assert again.status_code == 400 and "already exists" in again.text
    short = admin.post(
        "/admin/users", data={"csrf_token": admin.csrf, "username": "heidi", "password": "short"}
    )
    assert short.status_code == 400 and "too short" in short.text


def test_the_last_admin_cannot_lock_everyone_out(
    client: Callable[..., WebClient], server: ServerInfo
) -> None:
    admin = client("admin")
    assert admin.credentials is not None
    me = admin.credentials.username
    refused = admin.post(f"/admin/users/{me}/disable", data={"csrf_token": admin.csrf})
    assert refused.status_code == 400 and "last enabled admin" in refused.text
    demoted = admin.patch(
        f"/api/v1/users/{me}", json={"role": "viewer"}, headers={"X-CSRF-Token": admin.csrf}
    )
    assert demoted.status_code == 400
    assert _user(server, me).role == "admin" and not _user(server, me).disabled


# --- CSRF -------------------------------------------------------------------------------------------


def test_every_state_change_without_the_csrf_token_is_refused(
    client: Callable[..., WebClient], server: ServerInfo
) -> None:
    admin = client("admin")
    assert admin.credentials is not None
    checked = []
    for path, methods, _route in route_table(server.api):
        for method in sorted(methods & UNSAFE):
            url = concrete(path).replace("/users/1", f"/users/{admin.credentials.username}")
            for headers, data in [({}, {}), ({"X-CSRF-Token": "forged"}, {"csrf_token": "forged"})]:
                answer = admin.request(method, url, headers=headers, data=data or None)
                assert answer.status_code == 403, (method, path, answer.status_code, answer.text[:200])
            checked.append((method, path))
    assert ("POST", "/logout") in checked and ("POST", "/login") in checked
    assert ("DELETE", "/api/v1/tokens/{token_id}") in checked and (
        "PATCH",
        "/api/v1/users/{username}",
    ) in checked
    assert admin.get("/api/v1/me").status_code == 200  # still signed in: nothing above took effect
    assert user_store.list_tokens(server.app.store, _user(server, admin.credentials.username).id) == []


def test_the_csrf_token_of_one_session_does_not_work_for_another(client: Callable[..., WebClient]) -> None:
    first, second = client("viewer"), client("viewer")
    answer = second.post("/account/tokens", data={"csrf_token": first.csrf, "name": "x"})
    assert answer.status_code == 403
    assert "The form was too old or came from another site" in answer.text


def test_sign_in_form_needs_its_csrf_token(anon: WebClient, user: Callable[..., Credentials]) -> None:
    ivan = user("viewer")
    no_cookie = anon.post("/login", data={"username": ivan.username, "password": PASSWORD, "csrf_token": "x"})
    assert no_cookie.status_code == 403
    anon.get("/login")
    forged = anon.post("/login", data={"username": ivan.username, "password": PASSWORD, "csrf_token": "x"})
    assert forged.status_code == 403
    assert anon.get("/api/v1/me").status_code == 401


def test_api_calls_with_the_session_cookie_need_the_csrf_header(client: Callable[..., WebClient]) -> None:
    web = client("viewer")
    assert web.post("/api/v1/tokens", json={"name": "cli"}).status_code == 403
    created = web.post("/api/v1/tokens", json={"name": "cli"}, headers={"X-CSRF-Token": web.csrf})
    assert created.status_code == 201


# --- API tokens -------------------------------------------------------------------------------------


def test_api_token_from_the_account_page_works_once_shown_and_revoked(
    client: Callable[..., WebClient], anon: WebClient, server: ServerInfo
) -> None:
    web = client("editor")
    page = web.post("/account/tokens", data={"csrf_token": web.csrf, "name": "nightly <export>"})
    assert page.status_code == 200
    token = re.search(r'<code id="new-token" class="copyable">(swt_[A-Za-z0-9_-]+)</code>', page.text)
    assert token, page.text
    assert "nightly &lt;export&gt;" in page.text
    bearer = {"Authorization": f"Bearer {token.group(1)}"}

    me = anon.get("/api/v1/me", headers=bearer)
    assert me.status_code == 200 and me.json()["role"] == "editor"
    assert anon.get("/account", headers=bearer).status_code == 200  # pages take tokens too
    # Token-authenticated calls carry no ambient credentials: no CSRF token needed.
    more = anon.post("/api/v1/tokens", json={"name": "second"}, headers=bearer)
    assert more.status_code == 201 and more.json()["token"].startswith("swt_")

    listed = web.get("/account")
    assert token.group(1) not in listed.text  # shown only once
    tokens = anon.get("/api/v1/tokens", headers=bearer).json()
    assert [t["name"] for t in tokens] == ["nightly <export>", "second"]
    assert all("token" not in t for t in tokens)

    first_id = tokens[0]["id"]
    revoked = web.post(f"/account/tokens/{first_id}/revoke", data={"csrf_token": web.csrf})
    assert revoked.status_code == 303
    assert anon.get("/api/v1/me", headers=bearer).status_code == 401
    assert anon.get("/api/v1/me", headers=bearer).json() == {"detail": "invalid or revoked API token"}
    assert web.post(f"/account/tokens/{first_id}/revoke", data={"csrf_token": web.csrf}).status_code == 404


def test_api_token_revoked_through_the_api_and_not_by_others(
    client: Callable[..., WebClient], anon: WebClient
) -> None:
    owner, other = client("viewer"), client("admin")
    made = owner.post("/api/v1/tokens", json={"name": "t"}, headers={"X-CSRF-Token": owner.csrf}).json()
    bearer = {"Authorization": f"Bearer {made['token']}"}
    assert (
        other.delete(f"/api/v1/tokens/{made['id']}", headers={"X-CSRF-Token": other.csrf}).status_code == 404
    )
    assert anon.get("/api/v1/me", headers=bearer).status_code == 200
    assert anon.delete(f"/api/v1/tokens/{made['id']}", headers=bearer).status_code == 204
    assert anon.get("/api/v1/me", headers=bearer).status_code == 401


@pytest.mark.parametrize("header", ["Bearer swt_made-up", "Bearer", "Bearer sws_session-like", "Basic YTpi"])
def test_bad_authorization_headers_are_refused(anon: WebClient, header: str) -> None:
    answer = anon.get("/api/v1/me", headers={"Authorization": header})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


def test_only_hashes_of_secrets_are_stored(client: Callable[..., WebClient], server: ServerInfo) -> None:
    web = client("viewer")
    token = web.post("/api/v1/tokens", json={"name": "t"}, headers={"X-CSRF-Token": web.csrf}).json()["token"]
    session = web.cookies["sepwatch_session"]
    with server.app.store.engine.connect() as conn:
        dump = " ".join(
            str(row)
            for table in ("users", "api_tokens", "web_sessions")
            for row in conn.exec_driver_sql(f"SELECT * FROM {table}")
        )
    assert token not in dump and session not in dump and PASSWORD not in dump
    assert auth.hash_secret(token) in dump and "$argon2id$" in dump


# --- failed sign-in limit ---------------------------------------------------------------------------


def _try(client: WebClient, name: str, password: str, **headers: str) -> httpx.Response:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login", data={"username": name, "password": password, "csrf_token": token}, headers=headers
    )


def test_failed_sign_ins_are_limited_per_user_and_address(
    anon: WebClient, user: Callable[..., Credentials], server: ServerInfo
) -> None:
    now = [1000.0]
    server.web.limiter.clock = lambda: now[0]
    judy, ken = user("viewer"), user("viewer")
    for _ in range(5):
        assert _try(anon, judy.username, "wrong").status_code == 401
    blocked = _try(anon, judy.username, PASSWORD)
    assert blocked.status_code == 429
    assert "Try again in 15 minutes" in blocked.text and blocked.headers["retry-after"] == "900"
    with WebClient(base_url=server.url, follow_redirects=False) as other:
        assert _try(other, ken.username, PASSWORD).status_code == 303  # another user from the same address
    now[0] += 15 * 60 + 1
    assert _try(anon, judy.username, PASSWORD).status_code == 303


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_limit_counts_the_forwarded_address_behind_a_trusted_proxy(settings: Settings) -> None:
    app, handle = _serve(web_settings_with(settings, trusted_proxies=["127.0.0.1"]))
    try:
        auth.add_user(app.store, "mallory", password=PASSWORD)
        with WebClient(base_url=handle.url, follow_redirects=False) as web:
            for _ in range(5):
                assert _try(web, "mallory", "wrong", **{"X-Forwarded-For": "203.0.113.9"}).status_code == 401
            assert _try(web, "mallory", PASSWORD, **{"X-Forwarded-For": "203.0.113.9"}).status_code == 429
            assert _try(web, "mallory", PASSWORD, **{"X-Forwarded-For": "198.51.100.7"}).status_code == 303
    finally:
        handle.stop()
        app.close()


# --- trusted proxy header ---------------------------------------------------------------------------


def _serve(settings: Settings) -> tuple[App, Any]:
    app = App.open(settings)
    return app, start_in_thread(app, host="127.0.0.1", port=0)


@pytest.mark.parametrize(
    ("header", "proxies", "honoured"),
    [
        (None, ["127.0.0.1"], False),  # off by default
        ("X-Forwarded-User", ["10.0.0.0/8"], False),  # the request does not come from a trusted proxy
        ("X-Forwarded-User", [], False),
        ("X-Forwarded-User", ["127.0.0.0/8"], True),
    ],
)
def test_trusted_proxy_header_only_when_enabled_and_from_trusted_addresses(
    settings: Settings, header: str | None, proxies: list[str], honoured: bool
) -> None:
    app, handle = _serve(web_settings_with(settings, trusted_proxy_header=header, trusted_proxies=proxies))
    try:
        auth.add_user(app.store, "sso.user@example.com", role="editor", password=None)
        with WebClient(base_url=handle.url, follow_redirects=False) as web:
            me = web.get("/api/v1/me", headers={"X-Forwarded-User": "SSO.User@example.com"})
            if not honoured:
                assert me.status_code == 401
                return
            assert me.status_code == 200 and me.json()["username"] == "sso.user@example.com"
            # A browser behind the proxy gets a session, so its forms carry a CSRF token bound to it.
            page = web.get("/account", headers={"X-Forwarded-User": "sso.user@example.com"})
            assert page.status_code == 200
            saved = web.post(
                "/account/profile",
                data={"csrf_token": csrf_of(page.text), "display_name": "SSO User", "language": "zh"},
                headers={"X-Forwarded-User": "sso.user@example.com"},
            )
            assert saved.status_code == 303
            assert _user_in(app, "sso.user@example.com").display_name == "SSO User"
            # Another person behind the same proxy never rides on the first one's session cookie.
            auth.add_user(app.store, "other", password=None)
            assert web.get("/api/v1/me", headers={"X-Forwarded-User": "other"}).json()["username"] == "other"
            unknown = web.get("/api/v1/me", headers={"X-Forwarded-User": "stranger"})
            assert (
                unknown.status_code == 403 and "has no enabled sepwatch account" in unknown.json()["detail"]
            )
    finally:
        handle.stop()
        app.close()


# --- headers ----------------------------------------------------------------------------------------


def test_security_headers_on_pages_api_errors_and_static(
    client: Callable[..., WebClient], anon: WebClient
) -> None:
    web = client("viewer")
    for answer in [
        web.get("/account"),
        web.get("/api/v1/me"),
        anon.get("/login"),
        anon.get("/nowhere"),
        anon.get("/static/app.js"),
    ]:
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in answer.headers  # plain http here
    assert web.get("/account").headers["cache-control"] == "no-store"
    assert anon.get("/nowhere").status_code == 404


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_https_public_url_makes_cookies_secure_and_turns_on_hsts(settings: Settings) -> None:
    app, handle = _serve(web_settings_with(settings, public_url="https://sepwatch.example.com"))
    try:
        auth.add_user(app.store, "secure", password=PASSWORD)
        with WebClient(base_url=handle.url, follow_redirects=False) as web:
            page = web.get("/login")
            assert page.headers["strict-transport-security"] == "max-age=31536000"
            assert page.headers["set-cookie"].startswith("__Host-sepwatch_pre=")
            assert "Secure" in page.headers["set-cookie"]
            # httpx, like a browser, keeps Secure cookies off plain http: send it by hand.
            pre = page.headers["set-cookie"].split(";")[0].split("=", 1)[1]
            answer = web.post(
                "/login",
                data={"username": "secure", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
                headers={"Cookie": f"__Host-sepwatch_pre={pre}"},
            )
            assert answer.status_code == 303
            assert answer.headers["set-cookie"].startswith("__Host-sepwatch_session=")
            assert "Secure" in answer.headers["set-cookie"]
    finally:
        handle.stop()
        app.close()


def _user(server: ServerInfo, name: str) -> auth.User:
    return _user_in(server.app, name)


def _user_in(app: App, name: str) -> auth.User:
    found = user_store.get_user(app.store, name)
    assert found is not None
    return found


# --- personal calendar feed -------------------------------------------------------------------------


def test_calendar_feed_url_is_shown_once_works_without_sign_in_and_can_be_replaced(
    client: Callable[..., WebClient], anon: WebClient, server: ServerInfo, caplog: pytest.LogCaptureFixture
) -> None:
    web = client("viewer")
    page = web.post("/account/ics", data={"csrf_token": web.csrf})
    found = re.search(r'<code id="ics-url" class="copyable">([^<]+)</code>', page.text)
    assert found, page.text
    url = found.group(1)
    assert url.startswith(f"{server.url}/calendar/feed/swc_") and url.endswith(".ics")
    path = url.removeprefix(server.url)
    assert path not in web.get("/account").text  # shown only when made

    with caplog.at_level("INFO", logger="uvicorn.access"):
        feed = anon.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert "GET /calendar/feed/***.ics HTTP/1.1" in caplog.text
    assert path.split("/")[-1] not in caplog.text  # the secret stays out of the access log

    replaced = web.post("/account/ics", data={"csrf_token": web.csrf})
    assert "ics-url" in replaced.text
    assert anon.get(path).status_code == 404
    new_path = re.search(r'id="ics-url" class="copyable">[^<]*(/calendar/feed/[^<]+)</code>', replaced.text)
    assert new_path
    assert anon.get(new_path.group(1)).status_code == 200
    assert web.post("/account/ics/delete", data={"csrf_token": web.csrf}).status_code == 303
    assert anon.get(new_path.group(1)).status_code == 404


def test_shipped_password_hashing_is_argon2id_at_the_rfc_9106_parameters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.undo()  # the fixture lowers the cost for speed; this is what production uses
    assert auth.hash_password("a long test password").startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_stale_token_does_not_lock_the_public_pages(anon: WebClient) -> None:
    stale = {"Authorization": "Bearer swt_revoked-long-ago"}
    assert anon.get("/health", headers=stale).status_code == 200
    assert anon.get("/login", headers=stale).status_code == 200


def test_admin_notices_echo_only_real_user_names(client: Callable[..., WebClient]) -> None:
    admin = client("admin")
    assert admin.credentials is not None
    real = admin.get("/admin/users", params={"done": "updated", "name": admin.credentials.username})
    assert f"User {admin.credentials.username} updated." in real.text
    crafted = admin.get("/admin/users", params={"done": "added", "name": "mallory as admin; call +1-555"})
    assert "mallory as admin" not in crafted.text
