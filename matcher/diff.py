"""Clause drift: what changed between two versions of a clause, and whether quoted evidence survived.

Text is compared as tokens: a Latin word (a run of non-space characters) or a single CJK character,
so English is diffed word by word and Chinese character by character, and mixed text gets both.
Tokens are compared after NFKC (full-width ＲＲＣ equals RRC) and with typographic quotes and dashes
folded to ASCII, and whitespace never takes part: a re-wrapped or re-indented clause is unchanged,
including a line break after a hyphen or slash (plain-text RFCs wrap "path-absolute" as "path-" +
newline + "absolute", and long URLs after a "/").
The texts in ``ops`` are slices of the original texts, so they keep their own spelling.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from index.search.analysis import CJK_RUN

Tag = Literal["equal", "replace", "delete", "insert"]
_TAGS: dict[str, Tag] = {"equal": "equal", "replace": "replace", "delete": "delete", "insert": "insert"}

_CJK_CLASS = CJK_RUN.pattern.rstrip("+")  # "[...]": one CJK character
_LATIN = rf"[^\s{_CJK_CLASS[1:-1]}]+"
# A line break right after a hyphen or a slash is layout (xml2rfc wraps "path-absolute" as
# "path-\n   absolute", and URLs after a "/"): the word goes on after it.
_TOKEN = re.compile(rf"{_CJK_CLASS}|{_LATIN}(?:(?:(?<=\w-)|(?<=/))\n[ \t]*{_LATIN})*")
_WRAPPED = re.compile(r"(?:(?<=\w-)|(?<=/))\n[ \t]*(?=\S)")
_FOLD = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "\u00ad": None,
    }
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；])|\n\s*\n")
_SPACE_NEAR_CJK = re.compile(rf"\s+(?={_CJK_CLASS})|(?<={_CJK_CLASS})\s+")


@dataclass(frozen=True, slots=True)
class ClauseDiff:
    """``ops`` covers both texts in order (``equal`` runs included); ``unified`` is a sentence-level
    unified diff for people; ``ratio`` is the token similarity (1.0 when unchanged)."""

    ops: list[tuple[Tag, str, str]]
    unified: str
    ratio: float
    changed: bool


def _fold(token: str) -> str:
    return _WRAPPED.sub("", unicodedata.normalize("NFKC", token).translate(_FOLD))


def _tokens(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    keys: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _TOKEN.finditer(text):
        keys.append(_fold(m.group()))
        spans.append(m.span())
    return keys, spans


def _slice(text: str, spans: list[tuple[int, int]], i: int, j: int) -> str:
    return text[spans[i][0] : spans[j - 1][1]] if j > i else ""


def clause_diff(old: str, new: str) -> ClauseDiff:
    """Token-level differences between two versions of a clause's text."""
    old_keys, old_spans = _tokens(old)
    new_keys, new_spans = _tokens(new)
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    ops: list[tuple[Tag, str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        ops.append((_TAGS[tag], _slice(old, old_spans, i1, i2), _slice(new, new_spans, j1, j2)))
    changed = any(tag != "equal" for tag, _, _ in ops)
    ratio = matcher.ratio() if old_keys or new_keys else 1.0
    unified = _unified(old, new) if changed else ""
    return ClauseDiff(ops=ops, unified=unified, ratio=ratio, changed=changed)


def _sentences(text: str) -> list[str]:
    return [s for s in (normalise(part) for part in _SENTENCE_BREAK.split(text)) if s]


def _unified(old: str, new: str) -> str:
    lines = difflib.unified_diff(_sentences(old), _sentences(new), "old", "new", lineterm="", n=1)
    return "\n".join(lines)


def normalise(text: str) -> str:
    """Text as compared: NFKC, typographic quotes and dashes folded, line breaks after hyphens
    and slashes joined, whitespace collapsed to one space and removed next to CJK characters (Chinese has no
    spaces, so any there are layout)."""
    text = _WRAPPED.sub("", unicodedata.normalize("NFKC", text).translate(_FOLD))
    text = " ".join(text.split())
    return _SPACE_NEAR_CJK.sub("", text)


def evidence_still_reads(old_quote: str, new_text: str) -> bool:
    """Is the quoted evidence still present, word for word, in the new clause text?

    Layout (line breaks, spaces, full-width forms, curly quotes) does not matter; a changed word
    does. An empty quote reads anywhere.
    """
    quote = normalise(old_quote)
    return not quote or quote in normalise(new_text)
