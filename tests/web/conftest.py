"""Fixtures of the web tests: a real server on loopback over a real store, users, signed-in clients, Chromium.

- ``web_app``: a sepwatch App on the ``settings`` fixture (SQLite and PostgreSQL through ``store_url``;
  ``@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)`` runs a test on SQLite only).
- ``server``: uvicorn in a thread on a free loopback port (``server.url``).
- ``user(role=…)``: a new account; ``client(role=…)``: an httpx client signed in as a new user of that role,
  with ``client.csrf`` its CSRF token; ``anon``: a client that is not signed in.
- ``browser`` (per session), ``page``, ``page_signed_in(role=…)``, ``screenshot(page, name)``: Chromium
  (Debian's, /usr/bin/chromium) through Playwright. Screenshots go to tests/artifacts/<test>/ — every open
  page of a failing test automatically, others when a test asks.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from config import Settings
from sepwatch.app import App
from tests.conftest import REPO
from web import auth
from web.deps import WebState
from web.server import WebServer, start_in_thread

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
PASSWORD = "a long test password 1"
_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
_names = itertools.count(1)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    id: int
    role: str


@dataclass(frozen=True)
class ServerInfo:
    url: str
    app: App
    handle: WebServer

    @property
    def api(self) -> FastAPI:
        """The FastAPI application the server runs."""
        api: FastAPI = self.handle.server.config.app
        return api

    @property
    def web(self) -> WebState:
        """The web layer's state: secret key, failed sign-in limiter, settings."""
        return get_web_state(self.api)


class WebClient(httpx.Client):
    """An httpx client on the test server; ``csrf`` is the CSRF token of its current session."""

    csrf: str = ""
    credentials: Credentials | None = None

    def refresh_csrf(self) -> str:
        page = self.get("/login" if self.credentials is None else "/account")
        match = _CSRF_INPUT.search(page.text) or _CSRF_META.search(page.text)
        assert match, f"no CSRF token on {page.url} ({page.status_code})"
        self.csrf = match.group(1)
        return self.csrf


def get_web_state(api: FastAPI) -> WebState:
    state: WebState = api.state.web
    return state


def csrf_of(html: str) -> str:
    match = _CSRF_INPUT.search(html) or _CSRF_META.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: WebClient, credentials: Credentials) -> httpx.Response:
    """Sign *client* in through the form, as a browser does; returns the answer to the POST."""
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": credentials.username, "password": credentials.password, "csrf_token": token},
    )
    if response.status_code == 303:
        client.credentials = credentials
        client.refresh_csrf()
    return response


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id, with the cost turned down: the shipped cost (~0.3 s a hash here) would dominate the run."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    """The settings the test server runs on; override this fixture to change web.* settings."""
    return settings


@pytest.fixture
def web_app(web_settings: Settings) -> Iterator[App]:
    app = App.open(web_settings)
    yield app
    app.close()


@pytest.fixture
def server(web_app: App) -> Iterator[ServerInfo]:
    handle = start_in_thread(web_app, host="127.0.0.1", port=0)
    yield ServerInfo(handle.url, web_app, handle)
    handle.stop()


@pytest.fixture
def user(web_app: App) -> Callable[..., Credentials]:
    def make(
        role: str = "viewer",
        username: str | None = None,
        password: str | None = PASSWORD,
        language: str | None = None,
    ) -> Credentials:
        name = username or f"{role}{next(_names)}"
        created = auth.add_user(web_app.store, name, role=role, password=password, language=language)
        return Credentials(created.username, password or "", created.id, role)

    return make


@pytest.fixture
def anon(server: ServerInfo) -> Iterator[WebClient]:
    with WebClient(base_url=server.url, follow_redirects=False, timeout=30) as client:
        yield client


@pytest.fixture
def client(server: ServerInfo, user: Callable[..., Credentials]) -> Iterator[Callable[..., WebClient]]:
    opened: list[WebClient] = []

    def make(role: str = "viewer", credentials: Credentials | None = None) -> WebClient:
        web = WebClient(base_url=server.url, follow_redirects=False, timeout=30)
        opened.append(web)
        response = sign_in(web, credentials or user(role))
        assert response.status_code == 303, response.text
        return web

    yield make
    for web in opened:
        web.close()


# --- Playwright and Chromium --------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _artifact_dir(node: pytest.Item) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", node.nodeid.split("::", 1)[-1])[:120]
    return ARTIFACTS / name


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        reason = f"Chromium is not installed ({CHROMIUM}); .ci/run installs the Debian package chromium"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")), headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser_pages(request: pytest.FixtureRequest) -> Iterator[list[Any]]:
    """Every page opened by the test, screenshotted when the test failed."""
    pages: list[Any] = []
    yield pages
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = _artifact_dir(request.node)
        folder.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(pages, 1):
            if not page.is_closed():
                page.screenshot(path=str(folder / f"failure-{number}.png"), full_page=True)
    for page in pages:
        page.context.close()


@pytest.fixture
def new_page(browser: Any, server: ServerInfo, browser_pages: list[Any]) -> Callable[..., Any]:
    """``new_page(locale="zh-CN")``: a page in a fresh browser context (its own cookies) on the test server."""

    def make(**context_options: Any) -> Any:
        context = browser.new_context(base_url=server.url, **context_options)
        page = context.new_page()
        page.set_default_timeout(15_000)
        console_errors: list[str] = []
        page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
        page.console_errors = console_errors  # CSP violations show up here
        browser_pages.append(page)
        return page

    return make


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


@pytest.fixture
def page_signed_in(
    new_page: Callable[..., Any], client: Callable[..., WebClient], server: ServerInfo
) -> Callable[..., Any]:
    """``page_signed_in(role="editor")``: a page whose context holds the session of a new user of that role."""

    def make(role: str = "editor", credentials: Credentials | None = None, **context_options: Any) -> Any:
        signed_in = client(role, credentials)
        page = new_page(**context_options)
        page.context.add_cookies(
            [{"name": name, "value": value, "url": server.url} for name, value in signed_in.cookies.items()]
        )
        page.credentials = signed_in.credentials
        return page

    return make


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """``screenshot(page, "search-results")`` → tests/artifacts/<test>/search-results.png."""

    def take(page: Any, name: str) -> Path:
        folder = _artifact_dir(request.node)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
