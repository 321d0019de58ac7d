"""Chinese and English for the web UI.

Messages live in one catalog per area, ``web/locale/<area>.yaml``, as ``{key: {en: ..., zh: ...}}``;
every key of an area begins with ``<area>.`` so areas cannot collide. The language of a request is
the signed-in user's setting, else the ``sepwatch_lang`` cookie set by the language switch, else the
browser's Accept-Language, else English.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from starlette.requests import Request

log = logging.getLogger(__name__)

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")
DEFAULT_LANGUAGE: Language = "en"
LANGUAGE_COOKIE = "sepwatch_lang"
LANGUAGE_NAMES: dict[Language, str] = {"en": "English", "zh": "中文"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_AREA = re.compile(r"^[a-z][a-z0-9_]*$")
_ACCEPT_ITEM = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


class CatalogError(ValueError):
    """A catalog file that cannot be used; the message names the file, the key and the problem."""


def load_catalogs(directory: Path = LOCALE_DIR) -> dict[str, dict[Language, str]]:
    """Every message of every area: key → {en, zh}. CatalogError on any malformed or duplicate entry."""
    messages: dict[str, dict[Language, str]] = {}
    origin: dict[str, Path] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.yaml")):
        area = path.stem
        if not _AREA.match(area):
            problems.append(f"{path}: the file name must be an area name (lower-case letters, digits, _)")
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{path}: cannot read: {exc}")
            continue
        if not isinstance(data, dict):
            problems.append(f"{path}: expected a mapping of keys to {{en: ..., zh: ...}}")
            continue
        for key, texts in data.items():
            where = f"{path}: {key}"
            if not isinstance(key, str) or not key.startswith(f"{area}."):
                problems.append(f"{where}: keys of {path.name} must begin with '{area}.'")
                continue
            if key in origin:
                problems.append(f"{where}: already defined in {origin[key]}")
                continue
            if not isinstance(texts, dict) or set(texts) != set(LANGUAGES):
                found = ", ".join(map(str, texts)) if isinstance(texts, dict) else type(texts).__name__
                problems.append(
                    f"{where}: needs exactly the languages {', '.join(LANGUAGES)}, found {found} "
                    "(in {en: ..., zh: ...} put texts with commas, colons or ? in quotes)"
                )
                continue
            if not all(isinstance(text, str) and text for text in texts.values()):
                problems.append(f"{where}: every text must be a non-empty string")
                continue
            origin[key] = path
            messages[key] = {cast(Language, lang): text for lang, text in texts.items()}
    if problems:
        raise CatalogError("\n".join(problems))
    return messages


@functools.cache
def _catalogs() -> dict[str, dict[Language, str]]:
    return load_catalogs()


_missing_logged: set[str] = set()


class Translator:
    """``t("core.sign_in")`` → the text in this translator's language; ``t("x.n", n=3)`` fills ``{n}``."""

    def __init__(self, lang: Language, messages: Mapping[str, Mapping[Language, str]]) -> None:
        self.lang = lang
        self._messages = messages

    def __call__(self, key: str, /, **values: Any) -> str:
        texts = self._messages.get(key)
        if texts is None:
            if key not in _missing_logged:
                _missing_logged.add(key)
                log.warning("no message %r in web/locale", key)
            return key
        text = texts[self.lang]
        if values:
            try:
                return text.format(**values)
            except (KeyError, IndexError, ValueError):
                log.warning("message %r does not take %s", key, sorted(values))
        return text


def translator(lang: str) -> Translator:
    return Translator(lang if lang in LANGUAGES else DEFAULT_LANGUAGE, _catalogs())


def parse_accept_language(header: str) -> Language | None:
    """The supported language the browser prefers most (zh-CN, zh-Hant, en-GB … count), else None."""
    best: tuple[float, int, Language] | None = None
    for position, item in enumerate(header.split(",")[:30]):
        match = _ACCEPT_ITEM.match(item)
        if not match:
            continue
        tag, q_text = match.groups()
        try:
            q = float(q_text) if q_text is not None else 1.0
        except ValueError:
            continue
        primary = tag.split("-")[0].lower()
        if primary not in LANGUAGES or q <= 0:
            continue
        candidate = (q, -position, cast(Language, primary))
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else None


def get_language(request: Request) -> Language:
    """The language of this request: user setting > switch cookie > Accept-Language > English."""
    user = getattr(request.state, "user", None)
    language = getattr(user, "language", None)
    if language in LANGUAGES:
        return cast(Language, language)
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return parse_accept_language(request.headers.get("accept-language", "")) or DEFAULT_LANGUAGE
