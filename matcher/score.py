"""Feature-level scoring of claim features against standard text: the pure core of the matcher.

No store, no I/O: sections in, evidence out.

**Chunks.** Each section is cut into chunks of about :data:`CHUNK_WORDS` words at sentence ends
(a Chinese character counts as half a word); a section that short stays whole. A chunk keeps its
section and its character span, so evidence is quoted verbatim. The section heading's words count
towards every chunk of the section.

**Terms.** The tokenisation of :mod:`index.search.analysis` (NFKC, Porter stems, CJK runs as
overlapping bigrams), with English stop words and claim boilerplate ("wherein", "said",
"comprising", 所述, 其特征在于…) removed, on both sides.

**Score.** A feature is a set of *slots*, one per distinct content term of its text, each weighted
by its BM25 idf (with :data:`PRIOR_CHUNKS` pseudo-chunks added, so a one-document index does not
make every shared word worthless). A chunk scores

    sum over slots of  weight * min(1, BM25 saturation of the term in the chunk)  /  sum of weights

— idf-weighted coverage of the feature, discounted for chunks longer than average, in 0..1: 1.0
means every word of the feature is in a chunk of average length. Capping each term at 1 makes the
score comparable across documents and corpora (a threshold means the same everywhere) at the cost
of ignoring repetition, which matters little for ~200-word chunks.

**Synonyms.** A feature's ``terms`` are OR-alternatives with the weight of the feature word they
stand for. A term sharing a word with the feature text stands for that word (and adds nothing
lexically; it still helps the semantic path). A term sharing none ("UE" for "terminal") is
assigned to the slot it most likely replaces: the one it co-occurs with least in the index (a
synonym substitutes for a word, it rarely stands beside it), the rarest on ties, one term per slot
while free slots remain. A multi-word term matches a chunk holding all its words.

**Semantic mix.** With sentence vectors (see :mod:`matcher.semantic`) a chunk scores
``0.85 * cosine + 0.15 * lexical`` (DESIGN: slightly better than either alone), else lexical only.

**Claims.** A claim scores the mean over its features of their best chunk (DESIGN: the mean ranks
better than the minimum or rank fusion). A feature is *covered* when its best score reaches the
threshold; the all-elements verdict is that every feature is covered — a verdict, not a rank.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import re
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import TYPE_CHECKING

from index.search.analysis import CJK_RUN, WORD, stem
from matcher import normative
from matcher.diff import normalise
from matcher.normative import Convention, NormativeHint

if TYPE_CHECKING:
    from matcher.semantic import Embedder, VectorMatrix

K1 = 1.2
B = 0.75
CHUNK_WORDS = 200
PRIOR_CHUNKS = 100
MAX_QUOTE_CHARS = 400
SEMANTIC_WEIGHT = 0.85
MIN_TRANSLATION_TERMS = 2

# Calibrated on bench/match_eval (see its module docstring): the threshold with the best F1 of
# "feature covered" (labelled features in their relevant document against the top-5 wrong ones),
# rounded down to 0.05: 0.36 lexical (F1 0.56), 0.42 with all-MiniLM-L6-v2 (int8 ONNX, F1 0.56).
DEFAULT_THRESHOLD = 0.35
SEMANTIC_THRESHOLD = 0.4

_STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each either else etc ever every
    few for from further had has have having he her here hers him his how however i if in into is it
    its itself just least less let like made make many me might more most much must my neither no nor
    not now of off on once one only onto or other others otherwise our ours out over own per rather
    same she should since so some such than that the their theirs them then there these they this
    those though through thus to too under until up upon us very via was we were what when where
    whether which while who whom whose why will with within without would yet you your shall may
    cannot need
    wherein whereby whereas wherefrom comprising comprises comprise comprised including includes
    said thereof therein thereto thereby therefrom thereon herein hereby claim claims claimed
    according respective respectively plurality step steps first second third configured
    e g i.e eg ie
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Claim boilerplate as bigrams (所述 said, 其特征在于 characterised in that, 一种 a, 包括 comprising,
# 以及 and, 进行 perform) and function characters standing alone between Latin words.
_CJK_STOP = frozenset(
    [
        "所述",
        "其特",
        "特征",
        "征在",
        "在于",
        "一种",
        "包括",
        "以及",
        "进行",
        "的",
        "了",
        "和",
        "与",
        "或",
        "及",
        "在",
        "是",
        "向",
        "从",
        "对",
        "将",
        "为",
        "被",
        "由",
        "于",
        "中",
        "其",
    ]
)
_CJK_CLASS = CJK_RUN.pattern.rstrip("+")
_CJK_CHAR = re.compile(_CJK_CLASS)
_SENTENCE_END = re.compile(r"[.!?;](?=\s)|[。！？；]|\n[ \t]*\n")
_LONG_RUN = re.compile(r"\S+")


# --- public data ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SectionText:
    """One section as the matcher sees it. ``key`` identifies it (``"<version_id>:<ord>"``);
    ``convention`` says how to read its normative words (None: detect from the wording)."""

    key: str
    number: str | None
    heading: str | None
    text: str
    convention: Convention | None = None


@dataclass(frozen=True, slots=True)
class FeatureQuery:
    """One claim feature: its text and optional synonyms (``terms``)."""

    id: str
    text: str
    terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a feature reads on a section.

    ``quote`` is a verbatim slice of the section text (``offset`` is where it starts; from the
    heading when the section has no text), at most :data:`MAX_QUOTE_CHARS` characters: the
    sentence(s) of the chunk that hold most of the matched terms. ``score`` is in 0..1 (see the
    module docstring); ``lexical`` and ``semantic`` are its parts. ``matched_terms`` are the
    feature's words (or synonyms) found in the chunk, as written in the feature; ``coverage`` is
    the share of the feature's distinct content terms found.
    """

    section_key: str
    number: str | None
    heading: str | None
    quote: str
    score: float
    matched_terms: tuple[str, ...]
    coverage: float
    normative: NormativeHint | None
    offset: int = 0
    lexical: float = 0.0
    semantic: float | None = None


@dataclass(frozen=True, slots=True)
class FeatureMatch:
    feature_id: str
    evidence: list[Evidence]
    covered: bool

    @property
    def score(self) -> float:
        return self.evidence[0].score if self.evidence else 0.0


@dataclass(frozen=True, slots=True)
class ClaimMatch:
    """``score`` is the mean of the features' best scores (for ranking); ``all_elements`` is true
    when every feature is covered (the all-elements rule; false for a claim without features)."""

    score: float
    features: list[FeatureMatch]
    all_elements: bool
    covered_count: int


# --- terms ------------------------------------------------------------------------------------


def _token_terms(token: str) -> tuple[str, ...]:
    # Long tokens (a Chinese paragraph is one run) are rare and would bloat the cache.
    return _cached_terms(token) if len(token) <= 40 else _analyse(token)


def _analyse(token: str) -> tuple[str, ...]:
    if _CJK_CHAR.match(token):
        if len(token) == 1:
            return () if token in _CJK_STOP else (token,)
        return tuple(b for b in map(str.__add__, token, token[1:]) if b not in _CJK_STOP)
    folded = token.casefold()
    if folded in _STOP_WORDS or len(folded) < 2 or (folded.isdigit() and len(folded) < 3):
        return ()
    return (stem(folded),)


_cached_terms = lru_cache(maxsize=1 << 18)(_analyse)


def _nfkc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def terms(text: str) -> list[str]:
    """The content terms of ``text`` as the matcher indexes them: stop words removed, English
    words as Porter stems, CJK runs as overlapping bigrams (a lone character as itself)."""
    return list(chain.from_iterable(map(_token_terms, WORD.findall(_nfkc(text)))))


# --- chunks -----------------------------------------------------------------------------------


def _units(text: str) -> int:
    words = len(text.split())
    if text.isascii():
        return words
    return words + len(_CJK_CHAR.findall(text)) // 2


def _sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        spans.append((pos, m.end()))
        pos = m.end()
    if pos < end:
        spans.append((pos, end))
    return [(s, e) for s, e in spans if not text[s:e].isspace()]


def _split_long(text: str, start: int, end: int, chunk_words: int) -> list[tuple[int, int]]:
    """A sentence longer than a chunk (a table, ABNF, an unpunctuated Chinese run) cut at spaces
    every ``chunk_words`` words; a CJK run counts one word per two characters and is cut inside."""
    pieces: list[tuple[int, int]] = []
    pos, count = start, 0.0
    for m in _LONG_RUN.finditer(text, start, end):
        a, b = m.span()
        if not m.group().isascii() and _CJK_CHAR.search(m.group()):
            while a < b:
                room = max(1, int((chunk_words - count) * 2))
                if b - a <= room:
                    count += (b - a) / 2
                    break
                pieces.append((pos, a + room))
                pos = a = a + room
                count = 0.0
        else:
            count += 1
        if count >= chunk_words:
            pieces.append((pos, b))
            pos, count = b, 0.0
    if pos < end and text[pos:end].strip():
        pieces.append((pos, end))
    elif pieces:
        pieces[-1] = (pieces[-1][0], end)
    else:
        pieces.append((start, end))
    return pieces


def chunk_spans(text: str, chunk_words: int = CHUNK_WORDS) -> list[tuple[int, int]]:
    """Character spans of the chunks of ``text``: consecutive, covering it, cut at sentence ends
    into about ``chunk_words`` words each; a text up to 1.5 chunks long stays whole."""
    if chunk_words < 1:
        raise ValueError("chunk_words must be positive")
    if not text.strip():
        return []
    if _units(text) <= chunk_words * 3 // 2:
        return [(0, len(text))]
    chunks: list[tuple[int, int]] = []
    start, size = 0, 0
    for s, e in _sentence_spans(text):
        n = _units(text[s:e])
        if n > chunk_words:
            if size:
                chunks.append((start, s))
            pieces = _split_long(text, s, e, chunk_words)
            chunks.extend(pieces[:-1])
            start, size = pieces[-1][0], _units(text[pieces[-1][0] : pieces[-1][1]])
            continue
        if size and size + n > chunk_words and size >= chunk_words // 2:
            chunks.append((start, s))
            start, size = s, 0
        size += n
    chunks.append((start, len(text)))
    if len(chunks) > 1 and _units(text[chunks[-1][0] : chunks[-1][1]]) < chunk_words // 4:
        last = chunks.pop()
        chunks[-1] = (chunks[-1][0], last[1])
    # Spans are consecutive: each starts where the previous ended.
    return [
        (chunks[i][0] if i else 0, chunks[i + 1][0] if i + 1 < len(chunks) else len(text))
        for i in range(len(chunks))
    ]


def _chunk_plan(sections: Sequence[SectionText], chunk_words: int) -> Iterable[tuple[int, int, int]]:
    """(section position, start, end) of every chunk, in index order. A section without text but
    with a heading is one empty chunk (its heading still matches)."""
    for i, section in enumerate(sections):
        spans = chunk_spans(section.text, chunk_words)
        if spans:
            for s, e in spans:
                yield i, s, e
        elif section.heading and terms(section.heading):
            yield i, 0, 0


def chunk_texts(sections: Sequence[SectionText], chunk_words: int = CHUNK_WORDS) -> list[str]:
    """The text of every chunk (heading first), in the order the index holds them: what a
    background stage embeds once per section version and passes back as ``vectors``."""
    out: list[str] = []
    for i, s, e in _chunk_plan(sections, chunk_words):
        section = sections[i]
        body = section.text[s:e].strip()
        out.append(f"{section.heading}\n{body}" if section.heading else body)
    return out


# --- queries ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Group:
    """One slot of a feature: its own terms (one, or all words of a translation term), synonyms
    assigned to it (each a tuple of terms, all required), its weight, and how it is shown."""

    terms: tuple[str, ...]
    weight: float
    surface: str
    alts: tuple[tuple[tuple[str, ...], str], ...] = ()

    def options(self) -> Iterable[tuple[tuple[str, ...], str]]:
        yield self.terms, self.surface
        yield from self.alts

    def matched_by(self, found: set[str] | frozenset[str]) -> str | None:
        for option, surface in self.options():
            if all(t in found for t in option):
                return surface
        return None


@dataclass(frozen=True, slots=True)
class _Query:
    """A compiled feature. ``translation`` is the feature said again by its terms in the other
    script (English terms of a Chinese feature): a chunk scores the better of the two."""

    feature: FeatureQuery
    groups: tuple[_Group, ...]
    total: float
    cjk_runs: tuple[tuple[str, tuple[int, ...]], ...] = ()  # (run, group index of each bigram)
    translation: _Query | None = None
    # Filled in by __post_init__: which groups a term satisfies alone, and multi-word options.
    single: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False)
    multi: tuple[tuple[int, tuple[str, ...]], ...] = field(default=(), compare=False)

    def matched_groups(self, found: set[str]) -> set[int]:
        """Indexes of the groups that ``found`` (a chunk's or sentence's terms) satisfies."""
        single, multi = self.single, self.multi
        hit = {g for t in found if (gs := single.get(t)) for g in gs}
        hit.update(g for g, option in multi if g not in hit and all(t in found for t in option))
        return hit

    def fraction(self, found: set[str]) -> float:
        if not self.total:
            return 0.0
        return sum(self.groups[g].weight for g in self.matched_groups(found)) / self.total

    def __post_init__(self) -> None:
        single: dict[str, list[int]] = {}
        multi: list[tuple[int, tuple[str, ...]]] = []
        for g, group in enumerate(self.groups):
            for option, _ in group.options():
                if len(option) == 1:
                    single.setdefault(option[0], []).append(g)
                else:
                    multi.append((g, option))
        object.__setattr__(self, "single", {t: tuple(gs) for t, gs in single.items()})
        object.__setattr__(self, "multi", tuple(multi))


def _feature_slots(text: str) -> tuple[list[tuple[str, str]], list[tuple[str, list[str]]]]:
    """Distinct (term, surface) of a feature in order, and each CJK run with its bigram terms."""
    slots: list[tuple[str, str]] = []
    seen: set[str] = set()
    runs: list[tuple[str, list[str]]] = []
    for token in WORD.findall(_nfkc(text)):
        found = _token_terms(token)
        if _CJK_CHAR.match(token):
            runs.append((token, [token[i : i + 2] for i in range(len(token) - 1)] or [token]))
        for term in found:
            if term not in seen:
                seen.add(term)
                slots.append((term, term if _CJK_CHAR.match(token) else token))
    return slots, runs


# --- the index --------------------------------------------------------------------------------


class _Core:
    """Chunks, postings and statistics of any number of documents (one for a SectionIndex)."""

    def __init__(
        self,
        documents: Sequence[tuple[str, Sequence[SectionText]]],
        chunk_words: int,
        embedder: Embedder | None,
        vectors: Sequence[Sequence[float]] | None,
    ) -> None:
        self.chunk_words = chunk_words
        self.sections: list[SectionText] = []
        self.doc_keys: list[str] = []
        self.doc_ranges: list[tuple[int, int]] = []
        self.chunk_section = array("i")
        self.chunk_start = array("i")
        self.chunk_end = array("i")
        self.chunk_doc = array("i")
        lengths = array("i")
        post_ids: dict[str, array[int]] = {}
        post_tf: dict[str, array[int]] = {}
        heading_terms: dict[str | None, list[str]] = {}
        for doc_i, (doc_key, doc_sections) in enumerate(documents):
            first_chunk = len(self.chunk_start)
            base = len(self.sections)
            self.sections.extend(doc_sections)
            for i, s, e in _chunk_plan(doc_sections, chunk_words):
                section = doc_sections[i]
                head = heading_terms.get(section.heading)
                if head is None:
                    head = terms(section.heading) if section.heading else []
                    if len(heading_terms) < 100_000:
                        heading_terms[section.heading] = head
                chunk_terms = head + terms(section.text[s:e]) if e > s else head
                c = len(self.chunk_start)
                self.chunk_section.append(base + i)
                self.chunk_start.append(s)
                self.chunk_end.append(e)
                self.chunk_doc.append(doc_i)
                lengths.append(len(chunk_terms))
                for term, tf in Counter(chunk_terms).items():
                    ids = post_ids.get(term)
                    if ids is None:
                        ids = post_ids[term] = array("i")
                        post_tf[term] = array("H")
                    ids.append(c)
                    post_tf[term].append(min(tf, 65535))
            self.doc_keys.append(doc_key)
            self.doc_ranges.append((first_chunk, len(self.chunk_start)))
        self.n_chunks = len(self.chunk_start)
        self.avgdl = (sum(lengths) / self.n_chunks) if self.n_chunks else 1.0
        norm = [K1 * (1 - B + B * n / self.avgdl) if self.avgdl else K1 for n in lengths]
        k1p = K1 + 1
        self.postings: dict[str, tuple[array[int], array[float]]] = {}
        for term, ids in post_ids.items():
            tfs = post_tf[term]
            sats = array("f", [min(1.0, tf * k1p / (tf + norm[c])) for c, tf in zip(ids, tfs, strict=True)])
            self.postings[term] = (ids, sats)
        self.embedder = embedder
        self.query_vectors: dict[str, list[float]] = {}  # feature text -> vector, for repeated queries
        self.vectors: VectorMatrix | None = None
        if vectors is None and embedder is not None and self.n_chunks:
            texts = list(chain.from_iterable(chunk_texts(s, chunk_words) for _, s in documents))
            vectors = embedder.encode(texts)
        if vectors is not None:
            if embedder is None:
                raise ValueError("vectors need the embedder that made them, to encode the features")
            if len(vectors) != self.n_chunks:
                raise ValueError(f"{len(vectors)} vectors for {self.n_chunks} chunks")
            from matcher.semantic import VectorMatrix

            self.vectors = VectorMatrix(vectors)

    # --- queries

    def idf(self, term: str) -> float:
        entry = self.postings.get(term)
        df = len(entry[0]) if entry else 0
        n = self.n_chunks + PRIOR_CHUNKS
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _alt_chunks(self, alt_terms: tuple[str, ...]) -> dict[int, float]:
        """Chunks holding every term of a synonym, with the smallest saturation among them."""
        entries = [self.postings.get(t) for t in alt_terms]
        if not entries or any(e is None for e in entries):
            return {}
        present = sorted((e for e in entries if e is not None), key=lambda e: len(e[0]))
        ids, sats = present[0]
        result = dict(zip(ids, sats, strict=True))
        for other_ids, other_sats in present[1:]:
            if not result:
                break
            nxt: dict[int, float] = {}
            for c, s in zip(other_ids, other_sats, strict=True):
                prev = result.get(c)
                if prev is not None:
                    nxt[c] = min(prev, s)
            result = nxt
        return result

    def _overlap(self, term: str, chunks: dict[int, float]) -> int:
        """How many of ``chunks`` hold ``term``."""
        entry = self.postings.get(term)
        if entry is None:
            return 0
        ids = entry[0]
        if len(chunks) * 16 < len(ids):
            n = len(ids)
            return sum(1 for c in chunks if (i := bisect_left(ids, c)) < n and ids[i] == c)
        return sum(1 for c in ids if c in chunks)

    def compile(self, feature: FeatureQuery) -> _Query:
        text_cjk = _CJK_CHAR.search(feature.text) is not None
        other_script = [
            t for t in feature.terms if (_CJK_CHAR.search(t) is not None) != text_cjk and terms(t)
        ]
        translation: _Query | None = None
        synonyms = list(feature.terms)
        if len(other_script) >= MIN_TRANSLATION_TERMS:
            translation = self._translation(feature, other_script)
            synonyms = [t for t in feature.terms if t not in other_script]
        slots, runs = _feature_slots(feature.text)
        slot_terms = [t for t, _ in slots]
        weights = [self.idf(t) for t in slot_terms]
        assigned = self._assign(slot_terms, weights, synonyms)
        groups = tuple(
            _Group((term,), weights[i], surface, tuple(assigned.get(i, ())))
            for i, (term, surface) in enumerate(slots)
        )
        index_of = {g.terms[0]: i for i, g in enumerate(groups)}
        cjk = tuple((run, tuple(index_of.get(b, -1) for b in bigrams)) for run, bigrams in runs)
        return _Query(feature, groups, sum(weights), cjk, translation)

    def _translation(self, feature: FeatureQuery, raw_terms: list[str]) -> _Query:
        groups: dict[tuple[str, ...], _Group] = {}
        for raw in raw_terms:
            option = tuple(dict.fromkeys(terms(raw)))
            if option not in groups:
                groups[option] = _Group(option, max(self.idf(t) for t in option), raw.strip())
        return _Query(feature, tuple(groups.values()), sum(g.weight for g in groups.values()))

    def _assign(
        self, slot_terms: list[str], weights: list[float], synonyms: list[str]
    ) -> dict[int, list[tuple[tuple[str, ...], str]]]:
        """Which slot each synonym stands for (see the module docstring)."""
        own = set(slot_terms)
        free: list[tuple[tuple[str, ...], str]] = []
        for raw in synonyms:
            alt = tuple(dict.fromkeys(terms(raw)))
            if alt and not own.intersection(alt):
                free.append((alt, raw.strip()))
        assigned: dict[int, list[tuple[tuple[str, ...], str]]] = {}
        if not free or not slot_terms:
            return assigned
        # Cost of letting synonym a stand for slot s: how often a's chunks also hold s.
        pairs: list[tuple[float, float, int, int]] = []
        for a_i, (alt, _) in enumerate(free):
            chunks = self._alt_chunks(alt)
            for s_i, term in enumerate(slot_terms):
                # A synonym that never occurs here is assigned last and steals no slot.
                cost = self._overlap(term, chunks) / len(chunks) if chunks else 2.0
                pairs.append((cost, -weights[s_i], a_i, s_i))
        pairs.sort()
        used_alts: set[int] = set()
        used_slots: set[int] = set()
        for _, _, a_i, s_i in pairs:
            if a_i in used_alts or (s_i in used_slots and len(used_slots) < len(slot_terms)):
                continue
            used_alts.add(a_i)
            used_slots.add(s_i)
            assigned.setdefault(s_i, []).append(free[a_i])
        return assigned

    def lexical(self, query: _Query) -> dict[int, float]:
        """Normalised lexical score of every chunk sharing a term with the feature (the better of
        the feature and its translation)."""
        acc: dict[int, float] = {}
        if not query.total:
            return acc
        get = acc.get
        for group in query.groups:
            w = group.weight / query.total
            if len(group.terms) == 1 and not group.alts:
                entry = self.postings.get(group.terms[0])
                if entry is not None:
                    for c, s in zip(entry[0], entry[1], strict=True):
                        acc[c] = get(c, 0.0) + w * s
                continue
            best: dict[int, float] = {}
            for option, _ in group.options():
                for c, s in self._alt_chunks(option).items():
                    if s > best.get(c, 0.0):
                        best[c] = s
            for c, s in best.items():
                acc[c] = get(c, 0.0) + w * s
        if query.translation is not None:
            for c, v in self.lexical(query.translation).items():
                if v > get(c, 0.0):
                    acc[c] = v
        return acc

    def score_chunks(self, query: _Query) -> _Scored:
        lexical = self.lexical(query)
        semantic: list[float] | None = None
        if self.vectors is not None and self.embedder is not None:
            text = query.feature.text
            if query.feature.terms:
                text = f"{text} ({'; '.join(query.feature.terms)})"
            vector = self.query_vectors.get(text)
            if vector is None:
                vector = self.embedder.encode([text])[0]
                if len(self.query_vectors) >= 10_000:
                    self.query_vectors.clear()
                self.query_vectors[text] = vector
            semantic = self.vectors.cosine(vector)
        if semantic is None:
            return _Scored(query, lexical, None, None)
        mixed = [SEMANTIC_WEIGHT * s if s > 0 else 0.0 for s in semantic]
        for c, v in lexical.items():
            mixed[c] += (1 - SEMANTIC_WEIGHT) * v
        return _Scored(query, lexical, semantic, mixed)

    def top_chunks(self, scored: _Scored, k: int, lo: int, hi: int) -> list[tuple[float, int]]:
        """The ``k`` best chunks in [lo, hi) with a score above zero, best first (ties: first)."""
        if scored.semantic is None:
            if lo == 0 and hi == self.n_chunks:
                items: Iterable[tuple[int, float]] = scored.lexical.items()
            else:
                get = scored.lexical.get
                items = ((c, v) for c in range(lo, hi) if (v := get(c)) is not None)
            best = heapq.nsmallest(k, ((-v, c) for c, v in items if v > 0))
        else:
            mixed = scored.mixed or []
            best = heapq.nsmallest(k, ((-v, c) for c in range(lo, hi) if (v := mixed[c]) > 0))
        return [(-neg, c) for neg, c in best]

    def document_bests(self, scored: _Scored) -> list[float]:
        """The best chunk score of every document (0.0 where nothing matched)."""
        bests = [0.0] * len(self.doc_keys)
        doc = self.chunk_doc
        if scored.semantic is None:
            for c, v in scored.lexical.items():
                d = doc[c]
                if v > bests[d]:
                    bests[d] = v
        else:
            for c, v in enumerate(scored.mixed or []):
                d = doc[c]
                if v > bests[d]:
                    bests[d] = v
        return bests

    # --- evidence

    def evidence(self, scored: _Scored, c: int, score: float) -> Evidence:
        query = scored.query
        section = self.sections[self.chunk_section[c]]
        start, end = self.chunk_start[c], self.chunk_end[c]
        found = set(terms(section.text[start:end]))
        if section.heading:
            found.update(terms(section.heading))
        if query.translation is not None and query.translation.fraction(found) > query.fraction(found):
            query = query.translation
        matched = [g.matched_by(found) for g in query.groups]
        coverage = sum(1 for m in matched if m is not None) / len(matched) if matched else 0.0
        if end > start:
            q_start, q_end = _quote_span(section.text, start, end, query)
            quote, offset = section.text[q_start:q_end], q_start
        else:
            quote, offset = (section.heading or "")[:MAX_QUOTE_CHARS], 0
        return Evidence(
            section_key=section.key,
            number=section.number,
            heading=section.heading,
            quote=quote,
            score=round(score, 6),
            matched_terms=_surfaces(query, matched),
            coverage=round(coverage, 6),
            normative=normative.hint(quote, section.convention),
            offset=offset,
            lexical=round(scored.lexical.get(c, 0.0), 6),
            semantic=None if scored.semantic is None else round(scored.semantic[c], 6),
        )


@dataclass(frozen=True, slots=True)
class _Scored:
    """A feature scored against every chunk: lexical (only chunks sharing a term), semantic
    (cosine, every chunk) and their mix (every chunk) when the index has vectors."""

    query: _Query
    lexical: dict[int, float]
    semantic: list[float] | None
    mixed: list[float] | None


def _surfaces(query: _Query, matched: list[str | None]) -> tuple[str, ...]:
    """Matched words as the feature writes them; adjacent CJK bigrams merged back into words."""
    out: list[str] = []
    cjk_groups: set[int] = set()
    for run, group_of in query.cjk_runs:
        i = 0
        while i < len(group_of):
            if group_of[i] < 0 or matched[group_of[i]] != query.groups[group_of[i]].surface:
                i += 1
                continue
            j = i
            while (
                j + 1 < len(group_of)
                and group_of[j + 1] >= 0
                and matched[group_of[j + 1]] == query.groups[group_of[j + 1]].surface
            ):
                j += 1
            out.append(run[i : j + 2] if len(run) > 1 else run)
            cjk_groups.update(group_of[i : j + 1])
            i = j + 1
    for i, m in enumerate(matched):
        if m is not None and i not in cjk_groups:
            out.append(m)
    return tuple(dict.fromkeys(out))


def _quote_span(text: str, start: int, end: int, query: _Query) -> tuple[int, int]:
    """The sentence(s) of text[start:end] that hold most of the feature's weight, ≤ 400 chars."""
    sentences = _sentence_spans(text, start, end)
    if not sentences:
        return _strip(text, start, min(end, start + MAX_QUOTE_CHARS))
    weights: list[float] = []
    found: list[set[int]] = []
    for s, e in sentences:
        groups = query.matched_groups(set(terms(text[s:e])))
        found.append(groups)
        weights.append(sum(query.groups[i].weight for i in groups))
    best = max(range(len(sentences)), key=lambda i: (weights[i], -i))
    lo, hi = best, best
    have = set(found[best])
    # Add a neighbour while it brings new matched terms and the quote stays short enough.
    while True:
        options = [i for i in (lo - 1, hi + 1) if 0 <= i < len(sentences) and found[i] - have]
        grown = False
        for i in options:
            a, b = min(lo, i), max(hi, i)
            if sentences[b][1] - sentences[a][0] <= MAX_QUOTE_CHARS:
                lo, hi = a, b
                have |= found[i]
                grown = True
                break
        if not grown:
            break
    s, e = _strip(text, sentences[lo][0], sentences[hi][1])
    if e - s <= MAX_QUOTE_CHARS:
        return s, e
    return _window(text, s, e, query)


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _window(text: str, s: int, e: int, query: _Query) -> tuple[int, int]:
    """The ≤ 400-character stretch of a long sentence with the most matched words, cut at spaces."""
    wanted = {t for g in query.groups for option, _ in g.options() for t in option}
    hits = [
        m.start() for m in WORD.finditer(text, s, e) if wanted.intersection(_token_terms(_nfkc(m.group())))
    ]
    if not hits:
        anchor = s
    else:
        best, j = 0, 0
        anchor = hits[0]
        for i, h in enumerate(hits):
            while hits[j] < h - MAX_QUOTE_CHARS + 40:
                j += 1
            if i - j + 1 > best:
                best, anchor = i - j + 1, hits[j]
        anchor = max(s, anchor - 40)
    w_end = min(e, anchor + MAX_QUOTE_CHARS)
    if anchor > s:
        space = text.find(" ", anchor, w_end)
        anchor = space + 1 if 0 <= space < anchor + 30 else anchor
    if w_end < e:
        space = text.rfind(" ", anchor, w_end)
        w_end = space if space > anchor + MAX_QUOTE_CHARS // 2 else w_end
    return _strip(text, anchor, w_end)


def _pairs(
    documents: Mapping[str, Sequence[SectionText]] | Iterable[tuple[str, Sequence[SectionText]]],
) -> list[tuple[str, Sequence[SectionText]]]:
    if isinstance(documents, Mapping):
        return list(documents.items())
    return list(documents)


class SectionIndex:
    """The chunks of one document version (or any set of sections), ready to match features."""

    __slots__ = ("_core",)

    def __init__(self, core: _Core) -> None:
        self._core = core

    @classmethod
    def build(
        cls,
        sections: Sequence[SectionText],
        chunk_words: int = CHUNK_WORDS,
        *,
        embedder: Embedder | None = None,
        vectors: Sequence[Sequence[float]] | None = None,
    ) -> SectionIndex:
        """Index ``sections``. With an ``embedder`` chunks are also embedded (or ``vectors``, one per
        :func:`chunk_texts` entry, made earlier by the same embedder, are used) and scores mix."""
        return cls(_Core([("", sections)], chunk_words, embedder, vectors))

    @property
    def semantic(self) -> bool:
        return self._core.vectors is not None

    @property
    def chunk_count(self) -> int:
        return self._core.n_chunks

    def best(self, feature: FeatureQuery, k: int = 3) -> list[Evidence]:
        """The ``k`` best chunks for the feature, best first; empty when nothing matches."""
        core = self._core
        scored = core.score_chunks(core.compile(feature))
        return [core.evidence(scored, c, v) for v, c in core.top_chunks(scored, k, 0, core.n_chunks)]


class CorpusIndex:
    """The chunks of many documents in one index, grouped by document: statistics over the whole
    corpus, so ranking 1,000 documents needs one index, not 1,000."""

    __slots__ = ("_core", "_position")

    def __init__(self, core: _Core) -> None:
        self._core = core
        self._position = {key: i for i, key in enumerate(core.doc_keys)}

    @classmethod
    def build(
        cls,
        documents: Mapping[str, Sequence[SectionText]] | Iterable[tuple[str, Sequence[SectionText]]],
        chunk_words: int = CHUNK_WORDS,
        *,
        embedder: Embedder | None = None,
        vectors: Sequence[Sequence[float]] | None = None,
    ) -> CorpusIndex:
        """Index documents (key → sections). ``vectors``: one per chunk, documents in order."""
        docs = _pairs(documents)
        keys = [k for k, _ in docs]
        if len(set(keys)) != len(keys):
            raise ValueError("document keys must be unique")
        return cls(_Core(docs, chunk_words, embedder, vectors))

    @property
    def semantic(self) -> bool:
        return self._core.vectors is not None

    @property
    def documents(self) -> tuple[str, ...]:
        return tuple(self._core.doc_keys)

    @property
    def chunk_count(self) -> int:
        return self._core.n_chunks

    @property
    def section_count(self) -> int:
        return len(self._core.sections)

    def best(self, feature: FeatureQuery, k: int = 3, *, document: str | None = None) -> list[Evidence]:
        """The ``k`` best chunks for the feature in one document (or in the whole corpus)."""
        core = self._core
        scored = core.score_chunks(core.compile(feature))
        lo, hi = self._range(document)
        return [core.evidence(scored, c, v) for v, c in core.top_chunks(scored, k, lo, hi)]

    def document_scores(self, feature: FeatureQuery) -> dict[str, float]:
        """The best chunk score of the feature in every document where it matches at all."""
        core = self._core
        bests = core.document_bests(core.score_chunks(core.compile(feature)))
        return {core.doc_keys[d]: v for d, v in enumerate(bests) if v > 0}

    def _range(self, document: str | None) -> tuple[int, int]:
        if document is None:
            return 0, self._core.n_chunks
        position = self._position.get(document)
        if position is None:
            raise KeyError(f"no document {document!r} in this index")
        return self._core.doc_ranges[position]


# --- claims -----------------------------------------------------------------------------------


def _threshold(index: SectionIndex | CorpusIndex, threshold: float | None) -> float:
    if threshold is not None:
        return threshold
    return SEMANTIC_THRESHOLD if index.semantic else DEFAULT_THRESHOLD


def _claim(feature_ids: Sequence[str], evidence: Sequence[list[Evidence]], threshold: float) -> ClaimMatch:
    features = [
        FeatureMatch(fid, ev, bool(ev) and ev[0].score >= threshold)
        for fid, ev in zip(feature_ids, evidence, strict=True)
    ]
    covered = sum(1 for f in features if f.covered)
    score = sum(f.score for f in features) / len(features) if features else 0.0
    return ClaimMatch(round(score, 6), features, bool(features) and covered == len(features), covered)


def match_claim(
    features: Sequence[FeatureQuery],
    index: SectionIndex | CorpusIndex,
    *,
    threshold: float | None = None,
    k: int = 3,
    document: str | None = None,
) -> ClaimMatch:
    """Match every feature of a claim against one indexed document (``document`` picks one from a
    CorpusIndex). ``threshold`` defaults to :data:`DEFAULT_THRESHOLD`, or
    :data:`SEMANTIC_THRESHOLD` when the index mixes in sentence vectors."""
    limit = _threshold(index, threshold)
    if isinstance(index, CorpusIndex):
        evidence = [index.best(f, k, document=document) for f in features]
    else:
        if document is not None:
            raise ValueError("document= needs a CorpusIndex")
        evidence = [index.best(f, k) for f in features]
    return _claim([f.id for f in features], evidence, limit)


def rank_documents(
    features: Sequence[FeatureQuery],
    documents: Mapping[str, SectionIndex] | CorpusIndex,
    *,
    threshold: float | None = None,
    k: int = 3,
    limit: int | None = None,
) -> list[tuple[str, ClaimMatch]]:
    """Documents by claim score, best first (ties by key); only documents where some feature
    matches. ``limit`` keeps the best few — evidence is quoted only for those."""
    if not isinstance(documents, CorpusIndex):
        ranked = [
            (key, match_claim(features, idx, threshold=threshold, k=k)) for key, idx in documents.items()
        ]
        ranked = [(key, m) for key, m in ranked if m.score > 0]
        ranked.sort(key=lambda item: (-item[1].score, item[0]))
        return ranked[:limit] if limit is not None else ranked
    corpus = documents
    core = corpus._core
    cut = _threshold(corpus, threshold)
    scored = [core.score_chunks(core.compile(f)) for f in features]
    totals = [0.0] * len(core.doc_keys)
    for s in scored:
        for d, v in enumerate(core.document_bests(s)):
            totals[d] += v
    order = sorted((d for d, t in enumerate(totals) if t > 0), key=lambda d: (-totals[d], core.doc_keys[d]))
    if limit is not None:
        order = order[:limit]
    ranked = []
    for d in order:
        lo, hi = core.doc_ranges[d]
        evidence = [[core.evidence(s, c, v) for v, c in core.top_chunks(s, k, lo, hi)] for s in scored]
        ranked.append((core.doc_keys[d], _claim([f.id for f in features], evidence, cut)))
    return ranked


def evidence_digest(match: ClaimMatch) -> str:
    """A stable hash of what a match says: per feature, whether it is covered and which sections
    and quotes support it (order of equal evidence and score wiggles do not matter)."""
    payload = [
        [
            f.feature_id,
            f.covered,
            sorted({(e.section_key, normalise(e.quote)) for e in f.evidence}),
        ]
        for f in match.features
    ]
    blob = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()
