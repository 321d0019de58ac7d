"""The web core in a real browser (Debian's Chromium through Playwright), and the CSP rules on every page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from web.app import route_table
from web.security import CONTENT_SECURITY_POLICY

from .conftest import PASSWORD, Credentials, ServerInfo, WebClient

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def test_admin_adds_a_user_who_signs_in_switches_language_and_signs_out(
    page_signed_in: Callable[..., Any],
    new_page: Callable[..., Any],
    server: ServerInfo,
    screenshot: Callable[[Any, str], Path],
) -> None:
    admin = page_signed_in("admin")
    admin.goto("/admin/users")
    admin.fill("#new_username", "Wang.Wei")
    admin.fill("#new_display_name", "王伟")
    admin.select_option("#new_role", "editor")
    admin.fill("#new_password", "王伟的长密码 2025")
    admin.click("#add-user button[type=submit]")
    admin.wait_for_url(re.compile(r"/admin/users\?done=added"))
    assert "User wang.wei added." in admin.inner_text(".notice")
    assert admin.console_errors == []

    page = new_page()
    first = page.goto("/account")
    assert first is not None
    assert re.search(r"/login\?next=%2Faccount$", page.url)
    assert first.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.fill("#username", "wang.wei")
    page.fill("#password", "王伟的长密码 2025")
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(r"/account$"))
    assert page.inner_text("h1") == "Your account"
    assert page.inner_text(".topbar .account") == "王伟"

    page.click(".langswitch button[value=zh]")
    page.wait_for_url(re.compile(r"/account$"))
    assert page.inner_text("h1") == "我的账户"
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert "搜索" in page.inner_text(".mainnav")
    screenshot(page, "account-zh")

    page.click(".signout button")
    page.wait_for_url(re.compile(r"/login$"))
    assert page.inner_text("h1") == "登录"
    page.goto("/account")
    assert "/login" in page.url
    assert page.console_errors == []  # no CSP violation, no script error


def test_wrong_password_in_the_browser(
    new_page: Callable[..., Any], user: Callable[..., Credentials]
) -> None:
    someone = user("viewer")
    page = new_page(locale="zh-CN")
    page.goto("/login")
    assert page.inner_text("h1") == "登录"  # the browser's language
    page.fill("#username", someone.username)
    page.fill("#password", "not it")
    page.click("#login-form button[type=submit]")
    assert page.inner_text(".notice.error") == "用户名或密码错误。"
    assert page.input_value("#username") == someone.username


def test_tokens_are_shown_once_and_revoked_after_a_confirmation(
    page_signed_in: Callable[..., Any], server: ServerInfo
) -> None:
    page = page_signed_in("viewer")
    page.goto("/account")
    page.fill("#token_name", "nightly export")
    page.click("#tokens form.inline button[type=submit]")
    token = page.inner_text("#new-token")
    assert token.startswith("swt_")
    page.goto("/account")
    assert token not in page.content()

    dialogs: list[str] = []

    def answer(dialog: Any) -> None:
        dialogs.append(dialog.message)
        if len(dialogs) == 1:
            dialog.dismiss()
        else:
            dialog.accept()

    page.on("dialog", answer)
    revoke = page.locator("#tokens table form button")
    revoke.click()  # dismissed: nothing happens (app.js is loaded and allowed by the CSP)
    assert page.locator("#tokens table").count() == 1
    revoke.click()
    page.wait_for_url(re.compile(r"/account\?done=revoked"))
    assert dialogs == ["Revoke the token nightly export? Scripts using it stop working."] * 2
    assert page.locator("#tokens table").count() == 0
    assert page.console_errors == []


def test_no_page_has_inline_script_style_or_event_handlers(
    client: Callable[..., WebClient], anon: WebClient, server: ServerInfo
) -> None:
    admin = client("admin")
    checked: list[str] = []
    answers = [("/login", anon.get("/login")), ("/nowhere", admin.get("/nowhere"))]
    for path, methods, _route in route_table(server.api):
        if "GET" not in methods or path.startswith(("/static", "/api/", "/health")) or path == "/":
            continue
        answers.append((path, admin.get(re.sub(r"\{[^}]+\}", "1", path))))
    for path, answer in answers:
        if not answer.headers.get("content-type", "").startswith("text/html"):
            continue
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        soup = BeautifulSoup(answer.text, "html.parser")
        for script in soup.find_all("script"):
            assert script.get("src") and not script.get_text(strip=True), (path, str(script)[:200])
            assert str(script["src"]).startswith("/static/"), (path, script["src"])
        assert soup.find_all("style") == [], path
        for tag in soup.find_all(True):
            for attribute, value in tag.attrs.items():
                assert not attribute.lower().startswith("on"), (path, tag.name, attribute)
                assert attribute.lower() != "style", (path, tag.name, value)
                if attribute in ("href", "src", "action", "formaction"):
                    assert not str(value).strip().lower().startswith("javascript:"), (path, tag.name, value)
        for link in soup.find_all("link", href=True):
            assert str(link["href"]).startswith("/"), (path, link["href"])  # no CDN
        checked.append(path)
    assert {"/login", "/account", "/admin/users", "/nowhere"} <= set(checked)


def test_sign_in_page_is_legible_without_javascript(browser: Any, server: ServerInfo) -> None:
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", "x")
        assert page.is_visible("#login-form button[type=submit]")
    finally:
        context.close()


def test_password_is_never_echoed(new_page: Callable[..., Any], user: Callable[..., Credentials]) -> None:
    someone = user("viewer")
    page = new_page()
    page.goto("/login")
    page.fill("#username", someone.username)
    page.fill("#password", PASSWORD + "x")
    page.click("#login-form button[type=submit]")
    assert PASSWORD not in page.content()
