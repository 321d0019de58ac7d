"""Requirement level of a piece of standard text, read from its own normative wording.

Three drafting conventions are recognised:

``rfc2119``
    IETF key words (RFC 2119, as clarified by RFC 8174: only in upper case): MUST, MUST NOT,
    REQUIRED, SHALL, SHALL NOT, SHOULD, SHOULD NOT, RECOMMENDED, NOT RECOMMENDED, MAY, OPTIONAL.
    Lower-case "must" or "should" in an RFC is plain English and not normative.
``3gpp``
    3GPP drafting rules (TR 21.801): "shall" / "shall not" (requirement), "should" / "should not"
    (recommendation), "may" / "need not" (permission), all in lower case. "can", "will", "must",
    "might" are not normative and are ignored; "may not" is ambiguous and ignored.
``gbt1.1``
    Chinese standards (GB/T 1.1): 应 / 必须 (requirement), 不应 / 不得 / 禁止 (prohibition),
    宜 / 推荐 / 建议 (recommendation), 不宜 (recommendation against), 可 / 可以 / 可选 / 不必
    (permission). 应 and 可 are also parts of ordinary words (响应, 应用, 可能, 可靠, 许可…), which
    are excluded.

Precedence: the strongest key word of the text decides. Absolute forms (mandatory, prohibited) beat
recommendations, which beat permissions; between two absolute forms (or two of the same level) the
first in the text wins. A key word inside quotation marks (``The key words "MUST", "MUST NOT"…``)
is a mention, not a use, and text that is mostly upper case (a heading, a form) is not read for
RFC 2119 key words. With ``convention=None`` the convention is detected: upper-case RFC 2119 key
words first, then Chinese, then 3GPP lower-case words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Level = Literal["mandatory", "recommended", "optional", "prohibited"]
Convention = Literal["rfc2119", "3gpp", "gbt1.1"]

_STRENGTH: dict[str, int] = {"mandatory": 3, "prohibited": 3, "recommended": 2, "optional": 1}


@dataclass(frozen=True, slots=True)
class NormativeHint:
    """``level`` as the text states it; ``word`` is the key word as written (``SHALL NOT``, ``may``,
    ``不得``); ``negated`` is true for a recommendation against (SHOULD NOT, NOT RECOMMENDED,
    should not, 不宜) — "prohibited" already says it for the absolute forms."""

    level: Level
    word: str
    convention: Convention
    negated: bool = False


# Longer forms first, so "MUST NOT" is not read as "MUST".
_RFC_WORDS: tuple[tuple[str, Level, bool], ...] = (
    ("NOT RECOMMENDED", "recommended", True),
    ("MUST NOT", "prohibited", False),
    ("SHALL NOT", "prohibited", False),
    ("SHOULD NOT", "recommended", True),
    ("MUST", "mandatory", False),
    ("REQUIRED", "mandatory", False),
    ("SHALL", "mandatory", False),
    ("SHOULD", "recommended", False),
    ("RECOMMENDED", "recommended", False),
    ("MAY", "optional", False),
    ("OPTIONAL", "optional", False),
)
_3GPP_WORDS: tuple[tuple[str, Level, bool], ...] = (
    ("shall not", "prohibited", False),
    ("should not", "recommended", True),
    ("need not", "optional", False),
    ("shall", "mandatory", False),
    ("should", "recommended", False),
    ("may", "optional", False),
)
_OPEN_QUOTES = "\"'“‘«「『"


def _word_pattern(words: tuple[tuple[str, Level, bool], ...], flags: int = 0) -> re.Pattern[str]:
    alternatives = "|".join(w.replace(" ", r"\s+") for w, _, _ in words)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", flags)


_RFC = _word_pattern(_RFC_WORDS)
_3GPP = _word_pattern(_3GPP_WORDS)
# "may not" is ambiguous (not permitted / permitted not to) and TR 21.801 forbids it: skip it.
_MAY_NOT = re.compile(r"(?<![\w-])may\s+not(?![\w-])")

# 应 after these characters ends an ordinary word (响应 response, 对应 correspond, 相应, 适应…), and
# before these it starts one (应用 application, 应答 answer, 应急 emergency, 应变).
_CN_YING = re.compile(r"(?<![响对相适供效反呼回感顺理答])应(?![用答急变])")
_CN_KE = re.compile(r"(?<![许认宁不])可(?![能靠见信是否])")
_CN_YI = re.compile(r"(?<![便适事不])宜")
_CN_FORMS: tuple[tuple[re.Pattern[str], Level, bool], ...] = (
    (re.compile(r"不应|不得|禁止|不准"), "prohibited", False),
    (re.compile(r"必须"), "mandatory", False),
    (_CN_YING, "mandatory", False),
    (re.compile(r"不宜"), "recommended", True),
    (re.compile(r"推荐|建议"), "recommended", False),
    (_CN_YI, "recommended", False),
    (re.compile(r"可以|可选|不必"), "optional", False),
    (_CN_KE, "optional", False),
)


def hint(text: str, convention: Convention | None = None) -> NormativeHint | None:
    """The requirement level the text states, or None when it uses no normative key word."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text)
    if convention in (None, "rfc2119"):
        found = _rfc2119(text)
        if found is not None or convention == "rfc2119":
            return found
    if convention in (None, "gbt1.1"):
        found = _chinese(text)
        if found is not None or convention == "gbt1.1":
            return found
    return _lower_case(text)


def _strongest(
    candidates: list[tuple[int, str, Level, bool]], convention: Convention
) -> NormativeHint | None:
    if not candidates:
        return None
    # max() keeps the first of equals; candidates are sorted by position.
    candidates.sort(key=lambda c: c[0])
    _, word, level, negated = max(candidates, key=lambda c: _STRENGTH[c[2]])
    return NormativeHint(level, word, convention, negated)


def _quoted(text: str, start: int, end: int) -> bool:
    return start > 0 and text[start - 1] in _OPEN_QUOTES and end < len(text) and text[end] in "\"'”’»」』"


def _rfc2119(text: str) -> NormativeHint | None:
    if _RFC.search(text) is None:
        return None
    letters = [c for c in _RFC.sub("", text) if c.isalpha()]
    if len(letters) >= 8 and sum(c.isupper() for c in letters) > 0.6 * len(letters):
        return None  # an all-caps heading or form, not key words
    table = {w: (level, negated) for w, level, negated in _RFC_WORDS}
    found: list[tuple[int, str, Level, bool]] = []
    for m in _RFC.finditer(text):
        if _quoted(text, m.start(), m.end()):
            continue
        word = " ".join(m.group().split())
        level, negated = table[word]
        found.append((m.start(), word, level, negated))
    return _strongest(found, "rfc2119")


def _lower_case(text: str) -> NormativeHint | None:
    table = {w: (level, negated) for w, level, negated in _3GPP_WORDS}
    skip = {m.start() for m in _MAY_NOT.finditer(text)}
    found: list[tuple[int, str, Level, bool]] = []
    for m in _3GPP.finditer(text):
        if m.start() in skip or _quoted(text, m.start(), m.end()):
            continue
        word = " ".join(m.group().split())
        level, negated = table[word]
        found.append((m.start(), word, level, negated))
    return _strongest(found, "3gpp")


def _chinese(text: str) -> NormativeHint | None:
    if text.isascii():
        return None
    found: list[tuple[int, str, Level, bool]] = []
    taken: set[int] = set()
    for pattern, level, negated in _CN_FORMS:
        for m in pattern.finditer(text):
            span = set(range(m.start(), m.end()))
            if span & taken:
                continue  # 不应 was read already; its 应 is not a second key word
            taken |= span
            found.append((m.start(), m.group(), level, negated))
    return _strongest(found, "gbt1.1")
