"""Text analysis for the embedded index: CJK bigrams, query parsing and highlighted snippets.

FTS5's ``unicode61`` tokenizer keeps a run of Chinese characters as one token, so 专利 would not
find 本专利申请. Before indexing, every run of CJK characters is rewritten as its overlapping
bigrams followed by its last character (本专 专利 利申 申请 请). A query word of two or more
characters becomes the phrase of its bigrams, so any substring of a run is found, in order; a lone
character is a prefix query, which finds it at every position (each character starts a bigram or
ends its run). English goes through FTS5's ``porter`` stemmer; snippets use the same Porter
algorithm (snowballstemmer) to find which words to highlight.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

from index.search.base import QueryError

# Han (incl. extension A, compatibility), kana, hangul, and the supplementary ideograph planes.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
CJK_RUN = re.compile(f"[{_CJK}]+")
# A token as unicode61 sees it: letters and digits; CJK runs are handled separately.
_LATIN_WORD = re.compile(rf"[^\W{_CJK}_]+")
WORD = re.compile(rf"[^\W{_CJK}_]+|[{_CJK}]+")

# Bump when index_text() changes: the embedded index then rebuilds itself from the store.
ANALYSIS_VERSION = "3"


_SPLIT_RUNS = re.compile(f"([{_CJK}]+)")


def index_text(text: str) -> str:
    """The text as handed to FTS5: each CJK run padded with spaces and turned into its bigrams.

    NFKC folds full-width Latin and digits (ＲＲＣ, common from Chinese input methods) into ASCII.
    On the ingest path of every section, so written for speed: one C-level split, then one
    ``str.join`` per run (a regex callback or template replacement costs several times more).
    """
    parts = _SPLIT_RUNS.split(text if text.isascii() else unicodedata.normalize("NFKC", text))
    for i in range(1, len(parts), 2):
        run = parts[i]
        parts[i] = f" {' '.join(map(_add, run, run[1:]))} {run[-1]} " if len(run) > 1 else f" {run} "
    return "".join(parts)


_add = str.__add__


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    stem: str = _STEMMER.stemWord(word)
    return stem


_STEMMER = snowballstemmer.stemmer("porter")


def stem(word: str) -> str:
    """Case-folded Porter stem of a word, as FTS5's ``porter unicode61`` tokenizer produces."""
    return _stem(word.casefold())


# --- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """One query unit: a word, a quoted phrase, or a prefix (``netw*``)."""

    text: str
    phrase: bool = False
    prefix: bool = False
    negated: bool = False


@dataclass(slots=True)
class ParsedQuery:
    """A query as a disjunction of conjunctions: ``a b OR c -d`` is ``(a AND b) OR (c NOT d)``."""

    groups: list[list[Term]] = field(default_factory=list)

    @property
    def positive_terms(self) -> list[Term]:
        return [t for g in self.groups for t in g if not t.negated]

    def is_empty(self) -> bool:
        return not self.positive_terms


_QUERY_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


MAX_QUERY_TERMS = 64


def parse_query(query: str) -> ParsedQuery:
    """Parse the user's query syntax; anything unknown is taken as words.

    Raises :class:`QueryError` for more than :data:`MAX_QUERY_TERMS` terms.

    Syntax: words (all must match), ``"exact phrase"``, ``OR`` between alternatives, ``-word`` or
    ``NOT word`` to exclude, ``word*`` for a prefix. Case does not matter except for OR and NOT.
    """
    groups: list[list[Term]] = [[]]
    negate_next = False
    for m in _QUERY_TOKEN.finditer(unicodedata.normalize("NFKC", query)):
        minus, phrase, word = m.group(1), m.group(2), m.group(3)
        if phrase is not None:
            if _tokens(phrase):
                groups[-1].append(Term(phrase, phrase=True, negated=bool(minus) or negate_next))
            negate_next = False
            continue
        if word == "OR":
            if groups[-1]:
                groups.append([])
            continue
        if word == "NOT":
            negate_next = True
            continue
        negated = negate_next
        negate_next = False
        if word.startswith("-") and len(word) > 1:
            negated, word = True, word[1:]
        prefix = word.endswith("*") and len(word.rstrip("*")) > 0
        word = word.rstrip("*") if prefix else word
        if _tokens(word):
            groups[-1].append(Term(word, prefix=prefix, negated=negated))
    parsed = ParsedQuery([g for g in groups if any(not t.negated for t in g)])
    if (n := sum(len(g) for g in parsed.groups)) > MAX_QUERY_TERMS:
        raise QueryError(f"too many terms in the query ({n}); at most {MAX_QUERY_TERMS}")
    return parsed


def _tokens(text: str) -> list[str]:
    return WORD.findall(text)


def _fts_quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _term_to_fts(term: Term) -> str:
    """One term as an FTS5 expression: a phrase of its tokens (CJK as in ``index_text``), quoted."""
    tokens = _tokens(term.text)
    parts: list[str] = []
    for i, tok in enumerate(tokens):
        if CJK_RUN.fullmatch(tok) and len(tok) > 1:
            parts.extend(tok[j : j + 2] for j in range(len(tok) - 1))
            if i < len(tokens) - 1:
                # Inside the phrase the run ends here, so the index has its last character next.
                parts.append(tok[-1])
        else:
            parts.append(tok)
    # A lone CJK character at the end of a term starts a bigram or ends its run: a prefix finds both.
    ends_in_cjk_char = len(parts[-1]) == 1 and CJK_RUN.fullmatch(parts[-1]) is not None
    phrase = _fts_quote(parts[0]) if len(parts) == 1 else f'"{_join(parts)}"'
    return f"({phrase} *)" if term.prefix or ends_in_cjk_char else phrase


def _join(parts: list[str]) -> str:
    return " ".join(p.replace('"', '""') for p in parts)


def to_fts5(query: ParsedQuery) -> str:
    """Compile to an FTS5 MATCH expression; every user token is quoted, so no syntax can leak."""
    ors: list[str] = []
    for group in query.groups:
        pos = " AND ".join(_term_to_fts(t) for t in group if not t.negated)
        neg = " OR ".join(_term_to_fts(t) for t in group if t.negated)
        ors.append(f"(({pos}) NOT ({neg}))" if neg else f"({pos})")
    return " OR ".join(ors)


# --- snippets ----------------------------------------------------------------------------------


def match_spans(text: str, terms: list[Term]) -> list[tuple[int, int]]:
    """Character spans of ``text`` that the positive query terms match, sorted, non-overlapping."""
    stems: set[str] = set()
    prefixes: list[str] = []
    cjk: list[str] = []
    for term in terms:
        for tok in _tokens(term.text):
            if CJK_RUN.fullmatch(tok):
                cjk.append(tok)
            elif term.prefix:
                prefixes.append(tok.casefold())
            else:
                stems.add(stem(tok))
    spans: list[tuple[int, int]] = []
    if stems or prefixes:
        # A Porter stem keeps the word's first letter, so most words are ruled out unstemmed.
        heads = {s[:1] for s in stems}
        starts = tuple(prefixes)
        for m in _LATIN_WORD.finditer(text):
            word = m.group()
            folded = (word if word.isascii() else unicodedata.normalize("NFKC", word)).casefold()
            if (folded[:1] in heads and stem(folded) in stems) or (starts and folded.startswith(starts)):
                spans.append(m.span())
    for run in cjk:
        start = text.find(run)
        while start != -1:
            spans.append((start, start + len(run)))
            start = text.find(run, start + len(run))
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def snippet(text: str, terms: list[Term], width: int = 240, mark: str = "mark") -> str:
    """An HTML snippet of ``text`` around the densest cluster of matches.

    The text is escaped first and the ``<mark>`` tags are added around escaped matches afterwards,
    so nothing from the document can ever become markup.
    """
    return snippet_from_spans(text, match_spans(text, terms), width, mark)


def snippet_from_spans(text: str, spans: list[tuple[int, int]], width: int = 240, mark: str = "mark") -> str:
    """The HTML window of ``text`` around the densest cluster of ``spans`` (sorted, disjoint match
    offsets), each match in ``<mark>``: escaped first, marked after. Every backend builds its
    snippets with this, so they read the same whichever backend found the matches."""
    if not spans:
        start, end = 0, min(len(text), width)
    else:
        best_i, best_n = 0, 0
        j = 0
        for i, (s, _e) in enumerate(spans):
            while j < len(spans) and spans[j][1] - s <= width:
                j += 1
            if j - i > best_n:
                best_i, best_n = i, j - i
        first = spans[best_i][0]
        last = spans[best_i + max(best_n, 1) - 1][1]
        slack = max(0, width - (last - first))
        start = max(0, first - min(slack // 3, first))
        end = min(len(text), max(last, start + width))
        start = _word_boundary_left(text, start)
        end = _word_boundary_right(text, end)
    out: list[str] = ["…" if start > 0 else ""]
    pos = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(html.escape(text[pos:s]))
        out.append(f"<{mark}>{html.escape(text[s:e])}</{mark}>")
        pos = e
    out.append(html.escape(text[pos:end]))
    if end < len(text):
        out.append("…")
    return " ".join("".join(out).split())


def _word_boundary_left(text: str, pos: int) -> int:
    if pos <= 0:
        return 0
    space = text.rfind(" ", max(0, pos - 20), pos)
    return space + 1 if space != -1 else pos


def _word_boundary_right(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    space = text.find(" ", pos, pos + 20)
    return space if space != -1 else pos
