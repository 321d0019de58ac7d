"""Splitting one patent claim into its technical features, in English and Chinese drafting style.

The splitter follows the conventions drafters use, not a grammar:

- The claim number ("1.", "1、", "1)") is removed and returned as ``number``.
- The preamble runs up to the first transition: ``comprising:``, ``comprises:``, ``including:``,
  ``consisting of:`` (also "the method comprising the steps of:"), or the first ``wherein`` or
  ``characterised in that``; in Chinese up to the first 其特征在于, 包括：/包含：, or 其中. A bare
  ``comprising`` without a colon is a transition only before the first ";".
- Elements are separated by ";" ("; and"), and every ``wherein`` / ``characterized in that``
  clause (其中, 其特征在于) is a feature of its own. A colon inside an element ("a processor
  configured to: receive …") opens a list whose items are features. Method steps written as one
  sentence ("receiving A, determining B, and monitoring C") are split at the gerunds.
- Dependent claims ("The method of claim 1, wherein …", "根据权利要求1所述的方法，其特征在于…")
  record the parent claim in ``parent``; their preamble is a reference, never a feature.

The preamble and the all-elements rule: the preamble is context ("A method", "一种数据传输方法")
unless it carries a limitation the standard must also meet: who performs the method or where it is
applied ("performed by a user equipment", "应用于终端设备"), or a technical purpose ("for beam
failure recovery"). Such a preamble becomes the first feature and ``preamble_feature`` is True, so
that a match shows whether the standard text also meets it (CN practice treats the technical
features of the preamble as part of the claim for 全面覆盖). Boilerplate purposes ("for wireless
communication", "无线通信") do not count.

Alternatives: "A and/or B", "A or B", "at least one of A, B, or C" (和/或, 或, A、B和C中的至少一种)
stay inside one feature; each group is returned in ``alternatives`` so that Table B.2 can say which
alternative the standard text corresponds to.

A claim with no transition and no separator cannot be split: it comes back as one feature and
``flag`` says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "EMPTY_FLAG",
    "UNSPLIT_FLAG",
    "Alternatives",
    "Language",
    "SplitResult",
    "detect_language",
    "find_alternatives",
    "split_claim",
]

Language = Literal["en", "zh"]
Alternatives = tuple[tuple[str, ...], ...]
"""Groups of alternatives found in one feature; each group has at least two members."""

UNSPLIT_FLAG = "could not be split: matched as one feature"
EMPTY_FLAG = "empty claim text"


@dataclass(frozen=True, slots=True)
class SplitResult:
    """One claim split into features.

    ``features`` are in claim order; when ``preamble_feature`` is True the first one is the
    preamble. ``alternatives[i]`` holds the alternative groups of ``features[i]`` (empty when it
    has none). ``number`` is the claim number found in front of the text, ``parent`` the claim a
    dependent claim refers to. ``flag`` is set when the claim could not be split.
    """

    preamble: str | None
    features: list[str]
    language: Language
    flag: str | None
    alternatives: list[Alternatives]
    number: int | None = None
    parent: int | None = None
    preamble_feature: bool = False


# ----------------------------------------------------------------------------------------------------
# Shared

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_NUMBER = re.compile(
    r"^\s*(?:claim\s+)?(?P<n>\d{1,3})\s*(?:[.．、:：)）]|\s+(?=[A-Z\u4e00-\u9fff]))\s*", re.I
)


def detect_language(text: str) -> Language:
    """Chinese when the text has more CJK ideographs than Latin words (Chinese claims cite RRC, UE…)."""
    return "zh" if len(_CJK.findall(text)) > len(_LATIN_WORD.findall(text)) else "en"


def _strip_number(text: str) -> tuple[int | None, str]:
    match = _NUMBER.match(text)
    if match is None:
        return None, text
    return int(match["n"]), text[match.end() :]


def split_claim(text: str) -> SplitResult:
    """Split the claim ``text`` into preamble and features (see the module docstring)."""
    language = detect_language(text)
    if not text.strip():
        return SplitResult(None, [], language, EMPTY_FLAG, [])
    return _split_zh(text) if language == "zh" else _split_en(text)


def find_alternatives(text: str, language: Language | None = None) -> Alternatives:
    """The alternative groups of one feature's text ("A and/or B", "at least one of A, B or C")."""
    lang = language or detect_language(text)
    return _alternatives_zh(text) if lang == "zh" else _alternatives_en(text)


def _result(
    language: Language,
    number: int | None,
    parent: int | None,
    preamble: str | None,
    preamble_feature: bool,
    parts: list[str],
    structured: bool,
) -> SplitResult:
    features = [part for part in parts if part]
    if preamble_feature and preamble:
        features.insert(0, preamble)
    flag = None
    if not structured:
        flag = UNSPLIT_FLAG
    if not features:
        # A transition with nothing after it ("A method comprising:"): the claim is its own feature.
        features = [preamble] if preamble else []
        flag = UNSPLIT_FLAG
        preamble_feature = bool(preamble)
    alternatives = [find_alternatives(feature, language) for feature in features]
    return SplitResult(preamble, features, language, flag, alternatives, number, parent, preamble_feature)


# ----------------------------------------------------------------------------------------------------
# English

_SPACE = re.compile(r"\s+")
_PARENT_EN = re.compile(
    r"\b(?:of|in|to|by|according\s+to|as\s+(?:claimed|recited|defined|set\s+forth|described)\s+in|as\s+in)\s+"
    r"(?:any\s+(?:one\s+)?of\s+)?(?:the\s+preceding\s+)?claims?\s+(?P<n>\d{1,3})\b",
    re.I,
)
_TRANSITION_COLON = re.compile(
    r"(?:,\s*)?\b(?:which\s+|that\s+)?(?:comprising|comprises|comprise|including|includes|consisting\s+of|"
    r"consists\s+of|having)(?:\s+the\s+(?:following\s+)?steps?(?:\s+of)?)?\s*:",
    re.I,
)
_TRANSITION_BARE = re.compile(r"(?:,\s*)?\b(?:comprising|comprises)\b(?:\s+the\s+steps?\s+of\b)?\s*", re.I)
_WHEREIN = re.compile(r"\bwherein\b", re.I)
_CHARACTERISED = re.compile(r"\bcharacteri[sz]ed\s+(?:in\s+that|by)\b", re.I)
_CLAUSE_START = re.compile(
    r"(?:,\s*(?:and\s+)?|\s+(?:and\s+)?)(?=(?:wherein|characteri[sz]ed\s+(?:in\s+that|by))\b)", re.I
)
_CLAUSE_KEYWORD = re.compile(r"^(?:wherein|characteri[sz]ed\s+(?:in\s+that|by))\b\s*[:,]?\s*", re.I)
_PREAMBLE_SUBJECT_TAIL = re.compile(r",\s*(?:the|said)\s+[\w()\-/ ]{1,60}$", re.I)
_EN_LEADING = re.compile(r"^(?:and|and\s+further|further)\s+(?=\S)", re.I)
_EN_TRAILING = re.compile(r"(?:[\s,;.]+|,?\s+(?:and|or)\s*)+$", re.I)
_EN_BOILERPLATE = re.compile(
    r"\s*\b(?:for|of|in)\s+(?:a\s+)?(?:wireless|mobile|radio|cellular)?\s*communications?(?:\s+system|\s+network)?\b",
    re.I,
)
_EN_LIMITING = re.compile(
    r",|\b(?:for|by|at|in|to|on|with|of|performed|executed|implemented|applied|configured|operating|"
    r"used|which|that)\b",
    re.I,
)
_GERUND = re.compile(r"^[a-z]{3,}ing\b")
_NOT_GERUND = frozenset(
    """including comprising containing using having being according corresponding following regarding
    concerning indicating during something nothing anything paging timing string thing bring ring spring
    sing king ping ceiling setting""".split()  # noqa: SIM905 - a word list reads better as text
)
_STEP_BREAK = re.compile(r",\s*(?:and\s+)?(?=[a-z]{3,}ing\b)")


def _clean_en(text: str) -> str:
    text = text.strip()
    text = _EN_TRAILING.sub("", text)
    text = _EN_LEADING.sub("", text)
    return text.strip()


def _is_gerund(fragment: str) -> bool:
    match = _GERUND.match(fragment)
    return match is not None and match.group(0) not in _NOT_GERUND


def _split_en(raw: str) -> SplitResult:
    number, text = _strip_number(_SPACE.sub(" ", raw).strip())
    text = text.strip()
    parent_match = _PARENT_EN.search(text)

    first_semicolon = text.find(";")
    candidates: list[tuple[int, int, bool]] = []  # (start, end, keyword kept in the body)
    for pattern, keep in ((_TRANSITION_COLON, False), (_WHEREIN, True), (_CHARACTERISED, True)):
        found = pattern.search(text)
        if found:
            candidates.append((found.start(), found.end(), keep))
    if not candidates:
        bare = _TRANSITION_BARE.search(text)
        if bare and (first_semicolon < 0 or bare.start() < first_semicolon):
            candidates.append((bare.start(), bare.end(), False))

    parent = int(parent_match["n"]) if parent_match else None
    if not candidates:
        whole = _clean_en(text)
        return _result("en", number, parent, None, False, [whole], False)
    start, end, keep = min(candidates)
    if parent_match and parent_match.start() >= start:
        parent = None  # "of claim 1" inside the body is a reference, not a dependency
    preamble = _clean_en(text[:start]) or None
    if preamble:
        preamble = _PREAMBLE_SUBJECT_TAIL.sub("", preamble).strip() or preamble
    body = text[start:] if keep else text[end:]
    parts = _elements_en(body)
    limits = preamble is not None and parent is None and _preamble_limits_en(preamble)
    return _result("en", number, parent, preamble, limits, parts, True)


def _elements_en(body: str) -> list[str]:
    segments = [s for s in (seg.strip() for seg in body.split(";")) if s]
    pieces: list[str] = []
    for segment in segments:
        for clause in _CLAUSE_START.split(segment):
            clause = _CLAUSE_KEYWORD.sub("", clause.strip())
            pieces.extend(_colon_items(clause))
    pieces = [_clean_en(piece) for piece in pieces]
    pieces = [piece for piece in pieces if piece]
    if len(pieces) == 1 and ";" not in body:
        pieces = _gerund_steps(pieces[0])
    return pieces


def _colon_items(clause: str) -> list[str]:
    """The lead-in of a list and its first item, separately ("a processor configured to: receive A")."""
    head, sep, tail = clause.partition(":")
    if sep and head.strip() and tail.strip():
        return [head, tail]
    return [clause]


def _gerund_steps(sentence: str) -> list[str]:
    """Steps written as one sentence ("receiving A, determining B, and monitoring C"), split when
    it starts with a step and ", and <gerund>" joins the last one."""
    if not _is_gerund(sentence) or not re.search(r",\s*and\s+[a-z]{3,}ing\b", sentence):
        return [sentence]
    steps: list[str] = []
    last = 0
    for match in _STEP_BREAK.finditer(sentence):
        if not _is_gerund(sentence[match.end() :]) or _inside_list(sentence, match.start()):
            continue
        steps.append(sentence[last : match.start()])
        last = match.end()
    steps.append(sentence[last:])
    return [_clean_en(step) for step in steps if _clean_en(step)]


def _inside_list(text: str, pos: int) -> bool:
    return (
        re.search(r"\b(?:at\s+least\s+one|one\s+or\s+more|any\s+one|one)\s+of\b[^;]*$", text[:pos])
        is not None
    )


def _preamble_limits_en(preamble: str) -> bool:
    subject = _EN_BOILERPLATE.sub("", preamble).strip(" ,")
    subject = re.sub(r"\([^)]*\)", "", subject)  # "(UE)" abbreviations carry no limitation
    return _EN_LIMITING.search(subject) is not None


# English alternatives

_DETERMINER = r"(?:a|an|the|one|each|said|any|at\s+least\s+one|first|second|third)"
_LIST_LEAD = re.compile(
    r"\b(?:at\s+least\s+one|one\s+or\s+more|any\s+one|any\s+combination|either\s+one|one)\s+of\s*:?\s*"
    r"(?:the\s+following\s*:?\s*)?",
    re.I,
)
_EITHER = re.compile(r"\beither\s+", re.I)
_LIST_END = re.compile(r"[;.](?:\s|$)|,\s*(?:wherein|and\s+wherein|whereby|when|if|where)\b|$", re.I)
_LIST_ITEM_SEP = re.compile(r"\s*,\s*(?:and/or\s+|or\s+|and\s+)?|\s+(?:and/or|or|and)\s+", re.I)
_ANDOR = re.compile(r"\s+(?P<op>and/or|or)\s+", re.I)
_LEFT_BOUND = re.compile(r"[,;:]")
_RIGHT_BOUND = re.compile(
    r"[,;:.]|\s+(?=(?:to|from|in|on|via|for|by|with|when|if|that|which|wherein|whereby|at|based\s+on|"
    r"before|after|during|upon|according|and/or|or)\b)",
    re.I,
)
_STARTS_DETERMINER = re.compile(rf"^{_DETERMINER}\b", re.I)
_LAST_DETERMINER = re.compile(rf"\b{_DETERMINER}\b(?!.*\b{_DETERMINER}\b)", re.I)


def _alternatives_en(text: str) -> Alternatives:
    groups: list[tuple[str, ...]] = []
    covered: list[tuple[int, int]] = []
    for lead in list(_LIST_LEAD.finditer(text)) + list(_EITHER.finditer(text)):
        end_match = _LIST_END.search(text, lead.end())
        end = end_match.start() if end_match else len(text)
        items = [item.strip(" ,") for item in _LIST_ITEM_SEP.split(text[lead.end() : end])]
        items = [item for item in items if item]
        if len(items) >= 2:
            groups.append(tuple(items))
            covered.append((lead.start(), end))
    for match in _ANDOR.finditer(text):
        if any(a <= match.start() < b for a, b in covered):
            continue
        group = _pair_en(text, match)
        if group:
            groups.append(group)
    return tuple(groups)


_PARTICIPLE = re.compile(r"\s+(?=[a-z]{3,}ed\b)")
_HEAD_WORDS = re.compile(r"\S+(?:\s+\S+)?")


def _participle(phrase: str) -> re.Match[str] | None:
    """A reduced relative clause after the noun ("a subgroup identifier assigned by …"); the first two
    words are skipped ("a configured grant")."""
    head = _HEAD_WORDS.match(phrase)
    return _PARTICIPLE.search(phrase, head.end() if head else 0)


def _pair_en(text: str, match: re.Match[str]) -> tuple[str, ...] | None:
    left_text = text[: match.start()]
    bounds = list(_LEFT_BOUND.finditer(left_text))
    left_segment = left_text[bounds[-1].end() :] if bounds else left_text
    right_text = text[match.end() :]
    stops = [found.start() for found in (_RIGHT_BOUND.search(right_text), _participle(right_text)) if found]
    right = right_text[: min(stops)].strip() if stops else right_text.strip()
    if not right or not left_segment.strip():
        return None
    if _STARTS_DETERMINER.match(right):
        last = _LAST_DETERMINER.search(left_segment)
        if last is None:
            return None
        left = left_segment[last.start() :].strip()
    elif match["op"].lower() == "or" and len(right.split()) > 1:
        return None  # "transmit or receive a signal": a clause-level "or", not two named things
    else:
        words = left_segment.split()
        left = words[-1]
        right = right.split()[0]
    return (left, right) if left and right else None


# ----------------------------------------------------------------------------------------------------
# Chinese

_CN_SPACE = re.compile(r"\s+")
_CN_GAP = re.compile(
    r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])\s+|\s+(?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])"
)
_PARENT_ZH = re.compile(
    r"^(?:根据|如|按照|依据|依照|基于)?\s*(?:权利要求|權利要求)\s*(?P<n>\d{1,3})"
    r"(?:\s*(?:至|到|-|~|或|、|和)\s*\d{1,3})*\s*(?:中?任一项|中?任意一项)?\s*(?:所述|所記載|中)"
)
_ZH_TRANSITIONS = re.compile(
    r"[，,]?\s*(?P<kw>其特征在于|(?:所述\S{0,12}?)?(?:包括|包含)(?:以下|如下)?(?:步骤)?[：:]|其中)\s*[，,：:]?"
)
_ZH_BODY_LEAD = re.compile(
    r"^[，,：:\s]*(?:(?:(?:所述|该)[^，,：:；;。]{0,12}?)?(?:包括|包含)(?:以下|如下)?(?:步骤)?[：:])?\s*"
)
_ZH_CLAUSE_START = re.compile(r"[，,。]\s*(?=其中|其特征在于)")
_ZH_CLAUSE_KEYWORD = re.compile(r"^(?:其中|其特征在于)\s*[，,：:]?\s*")
_ZH_PREAMBLE_TAIL = re.compile(r"[，,]\s*(?:所述|该)[^，,；;]{0,12}$")
_ZH_LEADING = re.compile(r"^(?:以及|并且|而且|和|及)\s*")
_ZH_TRAILING = re.compile(r"(?:[\s，,；;。.：:]+|[，,]?(?:以及|并且|和|及)\s*)+$")
_ZH_BOILERPLATE = re.compile(r"(?:无线|移动)?通信(?:系统|网络)?(?:中)?的?")
_ZH_LIMITING = re.compile(r"[，,]|应用于|用于|适用于|由|执行|配置|基于|位于|设置于|部署")


def _clean_zh(text: str) -> str:
    text = _ZH_TRAILING.sub("", text.strip())
    return _ZH_LEADING.sub("", text).strip()


def _split_zh(raw: str) -> SplitResult:
    text = _CN_GAP.sub("", _CN_SPACE.sub(" ", raw).strip())
    number, text = _strip_number(text)
    text = text.strip()
    parent_match = _PARENT_ZH.match(text)
    parent = int(parent_match["n"]) if parent_match else None
    search_from = parent_match.end() if parent_match else 0
    found = _ZH_TRANSITIONS.search(text, search_from)
    if found is None:
        return _result("zh", number, parent, None, False, [_clean_zh(text)], False)
    preamble = _clean_zh(text[: found.start()]) or None
    if preamble:
        preamble = _ZH_PREAMBLE_TAIL.sub("", preamble).strip() or preamble
    keyword = found["kw"]
    body = text[found.end() :]
    if keyword == "其特征在于":
        body = _ZH_BODY_LEAD.sub("", body)
    parts: list[str] = []
    for segment in re.split(r"[；;]", body):
        for clause in _ZH_CLAUSE_START.split(segment):
            clause = _ZH_CLAUSE_KEYWORD.sub("", clause.strip())
            clause = _ZH_BODY_LEAD.sub("", clause) if clause.startswith(("所述", "该")) else clause
            parts.extend(_colon_items_zh(clause))
    parts = [_clean_zh(part) for part in parts]
    limits = preamble is not None and parent is None and _preamble_limits_zh(preamble)
    return _result("zh", number, parent, preamble, limits, parts, True)


def _colon_items_zh(clause: str) -> list[str]:
    match = re.search(r"[：:]", clause)
    if match and clause[: match.start()].strip() and clause[match.end() :].strip():
        return [clause[: match.start()], clause[match.end() :]]
    return [clause]


def _preamble_limits_zh(preamble: str) -> bool:
    subject = re.sub(r"^一(?:种|个)", "", preamble)
    subject = _ZH_BOILERPLATE.sub("", subject)
    return _ZH_LIMITING.search(subject) is not None


# Chinese alternatives

# Words that end an alternative: prepositions, verbs and particles. Single characters only where they
# are rarely part of a technical term (not 上/中/前/后: 上行, 中继, 前导码…).
_ZH_STOP = (
    "通过|利用|使用|采用|基于|根据|包括|包含|携带|发送|接收|传输|确定|执行|进行|获取|监听|检测|上报|指示|"
    "配置|选择|用于|以及|如果|之间|之后|之前|向|从|在|将|对|与|由|为|是|的|时|且|并|则|当|若"
)
_ZH_BOUND = r"[，,、；;：:。（()）]"
_ZH_ANDOR = re.compile(r"和/或|和或|及/或|或者|(?<![和及/])或(?!者)")
_ZH_LIST = re.compile(
    r"(?:中的|中)(?:至少一(?:个|项|种|者)|任意一(?:个|项|种)|任一(?:个|项|种)?|一(?:个|项|种)或多(?:个|项|种))|之一"
)
_ZH_LIST_SEP = re.compile(r"、|和/或|和|或者|或|以及|及")
_ZH_STOPS = re.compile(rf"{_ZH_BOUND}|{_ZH_STOP}")
_ZH_STOP_WORDS = re.compile(_ZH_STOP)
_ZH_LIST_STOPS = re.compile(rf"[，,；;：:。（()）]|{_ZH_STOP}")  # "、" separates the items


def _alternatives_zh(text: str) -> Alternatives:
    groups: list[tuple[str, ...]] = []
    covered: list[tuple[int, int]] = []
    for lead in _ZH_LIST.finditer(text):
        before = text[: lead.start()]
        cut = _last_stop(before, _ZH_LIST_STOPS)
        items = [item.strip() for item in _ZH_LIST_SEP.split(before[cut:]) if item.strip()]
        if len(items) >= 2:
            groups.append(tuple(items))
            covered.append((cut, lead.end()))
    for match in _ZH_ANDOR.finditer(text):
        if any(a <= match.start() < b for a, b in covered):
            continue
        group = _pair_zh(text, match)
        if group:
            groups.append(group)
    return tuple(groups)


def _last_stop(text: str, stops: re.Pattern[str] = _ZH_STOPS) -> int:
    """Where the phrase ending ``text`` starts: after its last boundary or stop word."""
    return max((m.end() for m in stops.finditer(text) if m.end() < len(text)), default=0)


def _pair_zh(text: str, match: re.Match[str]) -> tuple[str, ...] | None:
    """The two alternatives around "和/或" / "或". Chinese has no spaces and its noun phrases hold
    verbs (参考信号接收功率), so every start after a stop word on the left and every end before one
    on the right is a candidate; the pair chosen is the most alike in length and wording, each stop
    word kept inside costing a little (alternatives are parallel: 消息3或消息A, 第一消息和/或第二消息)."""
    left_text = text[: match.start()]
    right_text = text[match.end() :]
    bound = list(re.finditer(_ZH_BOUND, left_text))
    floor = bound[-1].end() if bound else 0
    starts = [floor] + [
        m.end() for m in _ZH_STOP_WORDS.finditer(left_text, floor) if m.end() < len(left_text)
    ]
    ceiling_match = re.search(_ZH_BOUND, right_text)
    ceiling = ceiling_match.start() if ceiling_match else len(right_text)
    ends = [m.start() for m in _ZH_STOP_WORDS.finditer(right_text, 0, ceiling) if m.start() > 0] + [ceiling]
    best: tuple[int, str, str] | None = None
    for start in starts:
        left = left_text[start:].strip()
        for end in ends:
            right = right_text[:end].strip()
            if not left or not right:
                continue
            crossed = len(_ZH_STOP_WORDS.findall(left)) + len(_ZH_STOP_WORDS.findall(right))
            alike = _shared(left, right) + _shared(left[::-1], right[::-1])
            cost = abs(len(left) - len(right)) + 3 * crossed - 2 * alike
            if best is None or cost < best[0]:
                best = (cost, left, right)
    return (best[1], best[2]) if best else None


def _shared(a: str, b: str) -> int:
    """Length of the common prefix."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n
