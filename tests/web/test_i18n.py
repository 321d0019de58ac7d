"""Chinese and English: the catalogs, the language chosen for a request, and the switch."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from pathlib import Path

import pytest

from index import users as user_store
from web.i18n import CatalogError, load_catalogs, parse_accept_language, translator
from web.templating import TEMPLATES_DIR

from .conftest import Credentials, ServerInfo, WebClient, csrf_of

SIGN_IN = {"en": "<h1>Sign in</h1>", "zh": "<h1>登录</h1>"}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_catalog_has_both_languages_with_the_same_placeholders() -> None:
    messages = load_catalogs()
    assert "core.sign_in" in messages
    for key, texts in messages.items():
        assert _fields(texts["en"]) == _fields(texts["zh"]), key
        assert texts["en"] != key and texts["zh"] != key


def test_every_message_a_template_uses_exists() -> None:
    messages = load_catalogs()
    used: dict[str, Path] = {}
    for template in TEMPLATES_DIR.rglob("*.html"):
        for key in re.findall(
            r"""\bt\(\s*['"]([a-z0-9_.]+)['"]\s*[,)]""", template.read_text(encoding="utf-8")
        ):
            used[key] = template
    assert "core.sign_out" in used
    missing = {key: str(path.relative_to(TEMPLATES_DIR)) for key, path in used.items() if key not in messages}
    assert missing == {}


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"search.yaml": "core.title: {en: T, zh: 标题}\n"}, "keys of search.yaml must begin with 'search.'"),
        ({"search.yaml": "search.title: {en: Title}\n"}, "needs exactly the languages en, zh, found en"),
        (
            {"search.yaml": "search.sort: {en: Sort, dates and versions, zh: 排序}\n"},
            "put texts with commas, colons or ? in quotes",
        ),
        ({"search.yaml": "search.title: {en: '', zh: 标题}\n"}, "every text must be a non-empty string"),
        ({"search.yaml": "- a list\n"}, "expected a mapping"),
        ({"search.yaml": "search.x: {en: [unclosed\n"}, "cannot read"),
        ({"Search.yaml": "{}\n"}, "the file name must be an area name"),
    ],
)
def test_broken_catalogs_are_refused_naming_file_and_key(
    tmp_path: Path, files: dict[str, str], problem: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as raised:
        load_catalogs(tmp_path)
    assert problem in str(raised.value)
    assert str(tmp_path / next(iter(files))) in str(raised.value)


def test_translator_fills_placeholders_and_shows_unknown_keys() -> None:
    zh, en = translator("zh"), translator("en")
    assert zh("core.sign_in") == "登录" and en("core.sign_in") == "Sign in"
    assert en("core.users.added", name="bob") == "User bob added."
    assert en("core.no.such.key") == "core.no.such.key"
    assert translator("fr")("core.sign_in") == "Sign in"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-GB,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh-Hant-TW", "zh"),
        ("fr-FR,fr;q=0.9,zh;q=0.5,en;q=0.4", "zh"),
        ("de, en;q=0", None),
        ("fr", None),
        ("", None),
        ("en;q=0.5, zh;q=0.5", "en"),  # equal weight: the first listed
        ("*;q=0.1, zh;q=bogus, en", "en"),
        (";;;,,,zh", "zh"),
    ],
)
def test_accept_language(header: str, expected: str | None) -> None:
    assert parse_accept_language(header) == expected


def test_language_follows_browser_then_cookie_then_user_setting(
    anon: WebClient, client: Callable[..., WebClient], user: Callable[..., Credentials], server: ServerInfo
) -> None:
    assert SIGN_IN["en"] in anon.get("/login").text
    page = anon.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert SIGN_IN["zh"] in page.text and '<html lang="zh-CN">' in page.text

    switched = anon.post("/lang", data={"lang": "en", "next": "/login", "csrf_token": csrf_of(page.text)})
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    assert SIGN_IN["en"] in anon.get("/login", headers={"Accept-Language": "zh-CN"}).text  # the cookie wins

    web = client(credentials=user("viewer", language="zh"))
    web.cookies.set("sepwatch_lang", "en", domain="127.0.0.1")
    account = web.get("/account")
    assert "我的账户" in account.text  # the user's own setting wins over the cookie

    to_en = web.post("/lang", data={"lang": "en", "next": "/account", "csrf_token": web.csrf})
    assert to_en.status_code == 303
    assert "Your account" in web.get("/account", headers={"Accept-Language": "zh"}).text
    assert web.credentials is not None
    stored = user_store.get_user(server.app.store, web.credentials.username)
    assert stored is not None and stored.language == "en"  # the switch remembers it for the user


def test_the_switch_refuses_unknown_languages_and_foreign_targets(anon: WebClient) -> None:
    token = csrf_of(anon.get("/login").text)
    assert anon.post("/lang", data={"lang": "fr", "csrf_token": token}).status_code == 400
    away = anon.post("/lang", data={"lang": "zh", "next": "https://evil.example/", "csrf_token": token})
    assert away.headers["location"] == "/"
    assert anon.post("/lang", data={"lang": "zh"}).status_code == 403  # CSRF


def test_browser_default_choice_on_the_account_page(client: Callable[..., WebClient]) -> None:
    web = client("viewer")
    saved = web.post(
        "/account/profile", data={"csrf_token": web.csrf, "display_name": "张三", "language": ""}
    )
    assert saved.status_code == 303
    page = web.get("/account", headers={"Accept-Language": "zh-CN"})
    assert "我的账户" in page.text and "张三" in page.text
