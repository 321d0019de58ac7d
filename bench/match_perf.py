"""Speed of the claim matcher on one meeting: 1,500 documents of ~20 sections against 1,000 features.

Documents are titled with real TDoc titles from ../shared/realdata (RAN1#122-bis TDoc list, when
present; generated titles otherwise) and get ~20 generated clauses of 3GPP-like text: sentences
built from the entities, procedures, messages and verbs of RAN/SA specifications, word frequencies
Zipf-distributed, 40–400 words per clause. Features are paraphrases of random sentences of the
corpus (words dropped, claim words added, some words swapped for a claim-style synonym — "UE" for
"terminal" — whose original a third of the features keep as ``terms``), grouped into claims of 5.

Timed: building the CorpusIndex; scoring every feature against every document (the best chunk per
document, what alerting on a new meeting needs); ranking every claim's documents with evidence
quoted for the best 10.

    .venv/bin/python bench/match_perf.py [--documents 1500] [--sections 20] [--features 1000] [--seed 7]

Target: index + scoring of all features ≤ 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matcher.score import CorpusIndex, FeatureQuery, SectionText, rank_documents

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"

ENTITIES = [
    "UE",
    "gNB",
    "ng-eNB",
    "AMF",
    "SMF",
    "UPF",
    "PCF",
    "NEF",
    "NRF",
    "UDM",
    "AUSF",
    "CHF",
    "SMSF",
    "NWDAF",
    "LMF",
    "AF",
    "MME",
    "eNB",
    "IAB-node",
    "relay",
    "UE",
    "target",
    "gNB",
    "source",
    "gNB",
    "serving",
    "cell",
    "neighbour",
    "cell",
    "core",
    "network",
    "RAN",
    "node",
]
MESSAGES = [
    "RRCReconfiguration",
    "RRCSetupRequest",
    "RRCResume",
    "RRCRelease",
    "Paging",
    "MIB",
    "SIB1",
    "DCI",
    "UCI",
    "MAC",
    "CE",
    "Initial",
    "UE",
    "Message",
    "Path",
    "Switch",
    "Request",
    "Handover",
    "Request",
    "Registration",
    "Request",
    "PDU",
    "Session",
    "Establishment",
    "Request",
    "Measurement",
    "Report",
    "UE",
    "Capability",
    "Information",
    "NAS",
    "message",
    "LPP",
    "message",
]
OBJECTS = [
    "configuration",
    "indication",
    "parameter",
    "bitmap",
    "identifier",
    "timer",
    "threshold",
    "offset",
    "list",
    "field",
    "value",
    "report",
    "resource",
    "set",
    "bandwidth",
    "part",
    "carrier",
    "slot",
    "symbol",
    "beam",
    "reference",
    "signal",
    "SSB",
    "CSI-RS",
    "SRS",
    "PUSCH",
    "PDSCH",
    "PDCCH",
    "PUCCH",
    "PRACH",
    "preamble",
    "occasion",
    "window",
    "periodicity",
    "priority",
    "QoS",
    "flow",
    "session",
    "context",
    "capability",
    "key",
    "counter",
    "policy",
    "rule",
    "subscription",
    "location",
    "estimate",
    "measurement",
    "gap",
    "cycle",
    "duration",
    "power",
    "headroom",
    "grant",
    "assignment",
    "HARQ",
    "process",
    "codebook",
    "precoder",
    "layer",
    "port",
    "antenna",
    "panel",
    "TRP",
    "sidelink",
    "carrier",
    "aggregation",
    "dual",
    "connectivity",
    "RedCap",
    "indication",
    "paging",
    "occasion",
    "wake-up",
    "signal",
    "DRX",
    "cycle",
    "coverage",
    "enhancement",
    "repetition",
    "level",
    "NTN",
    "satellite",
    "GNSS",
    "timing",
    "advance",
    "Doppler",
    "compensation",
    "ephemeris",
    "data",
    "collection",
    "model",
    "inference",
    "monitoring",
]
VERBS = """shall transmit|shall send|shall include|shall provide|shall store|shall determine|shall
apply|shall start|shall stop|shall release|shall configure|may indicate|may request|may skip|
should consider|should select|shall report|shall monitor|shall derive|shall forward|shall not
transmit|shall not apply|may use""".replace("\n", " ").split("|")
CONDITIONS = """upon expiry of the timer|when the condition is met|if the parameter is configured|
during the RRC connection establishment procedure|after successful completion of the procedure|
when the UE is in RRC_IDLE|when the UE is in RRC_INACTIVE|if the capability is supported|in the
next available occasion|for each configured carrier|based on the latest measurement|unless
otherwise specified|as specified in clause 5.3.5|as defined in TS 38.331|within the validity
area|before the start of the window""".replace("\n", " ").split("|")
SYNONYMS = {
    "UE": "terminal",
    "gNB": "base station",
    "transmit": "send",
    "configuration": "setting",
    "indication": "indicator",
    "timer": "counter",
    "AMF": "mobility management function",
    "SMF": "session management function",
    "report": "message reporting",
    "resource": "radio resource",
    "beam": "spatial filter",
    "cell": "coverage area",
}
CLAIM_WORDS = ["wherein", "comprising", "said", "configured to", "the method comprising", "at least one"]


def zipf(rng: random.Random, words: list[str]) -> str:
    # Zipf-ish: index ~ floor(n ** u) - 1 favours the head of the list.
    return words[min(len(words) - 1, int(len(words) ** rng.random()) - 1)]


def sentence(rng: random.Random) -> str:
    parts = [
        "The",
        zipf(rng, ENTITIES),
        rng.choice(VERBS),
        "the",
        zipf(rng, OBJECTS),
        zipf(rng, OBJECTS),
        rng.choice(["to the", "from the", "in the", "for the"]),
        zipf(rng, ENTITIES) if rng.random() < 0.5 else zipf(rng, MESSAGES),
        rng.choice(CONDITIONS),
    ]
    if rng.random() < 0.4:
        parts += ["and", zipf(rng, VERBS).split()[-1], "the", zipf(rng, OBJECTS)]
    return " ".join(parts) + "."


def clause(rng: random.Random) -> str:
    words = rng.randint(40, 400)
    out: list[str] = []
    n = 0
    while n < words:
        s = sentence(rng)
        out.append(s)
        n += len(s.split())
    return " ".join(out)


def titles(count: int, rng: random.Random) -> list[str]:
    path = REALDATA / "3gpp" / "TDoc_List_Meeting_RAN1#122-bis.xlsx"
    found: list[str] = []
    if path.exists():
        from crawlers.threegpp.tdoclist import parse_tdoc_list

        found = [r.title for r in parse_tdoc_list(path.read_bytes(), path.name).records if r.title]
    while len(found) < count:
        found.append(f"Discussion on {zipf(rng, OBJECTS)} {zipf(rng, OBJECTS)}")
    return found[:count]


def corpus(documents: int, sections: int, rng: random.Random) -> dict[str, list[SectionText]]:
    docs: dict[str, list[SectionText]] = {}
    for d, title in enumerate(titles(documents, rng)):
        key = f"R1-25{d:05d}"
        entries = [SectionText(f"{key}:0", None, title, f"{title}\nSource: Company {d % 97}\n")]
        for s in range(1, sections):
            number = f"{1 + s // 5}.{s % 5}"
            entries.append(
                SectionText(f"{key}:{s}", number, f"{zipf(rng, OBJECTS)} {zipf(rng, OBJECTS)}", clause(rng))
            )
        docs[key] = entries
    return docs


def paraphrase(text: str, rng: random.Random) -> tuple[str, tuple[str, ...]]:
    words = text.rstrip(".").split()
    kept = [w for w in words if rng.random() > 0.25]
    terms: list[str] = []
    out: list[str] = []
    for w in kept:
        if w in SYNONYMS and rng.random() < 0.6:
            out.append(SYNONYMS[w])
            terms.append(w)
        else:
            out.append(w)
    out.insert(rng.randrange(len(out) + 1), rng.choice(CLAIM_WORDS))
    with_terms = rng.random() < 1 / 3
    return " ".join(out), tuple(terms) if with_terms else ()


def features(docs: dict[str, list[SectionText]], count: int, rng: random.Random) -> list[FeatureQuery]:
    keys = list(docs)
    out: list[FeatureQuery] = []
    while len(out) < count:
        section = rng.choice(docs[rng.choice(keys)][1:])
        sentences = [s for s in section.text.split(". ") if len(s.split()) > 6]
        text, terms = paraphrase(rng.choice(sentences), rng)
        out.append(FeatureQuery(f"F{len(out)}", text, terms))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=1500)
    parser.add_argument("--sections", type=int, default=20)
    parser.add_argument("--features", type=int, default=1000)
    parser.add_argument("--claim-size", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    t = time.perf_counter()
    docs = corpus(args.documents, args.sections, rng)
    feats = features(docs, args.features, rng)
    n_sections = sum(len(v) for v in docs.values())
    n_words = sum(len(s.text.split()) for v in docs.values() for s in v)
    print(
        f"generated {len(docs)} documents, {n_sections} sections, {n_words / 1e6:.2f} M words; "
        f"{len(feats)} features ({sum(1 for f in feats if f.terms)} with terms) in {time.perf_counter() - t:.1f}s"
    )

    t0 = time.perf_counter()
    index = CorpusIndex.build(docs)
    t_build = time.perf_counter() - t0
    print(f"index: {index.chunk_count} chunks in {t_build:.1f}s")

    t1 = time.perf_counter()
    matched_pairs = 0
    for feature in feats:
        matched_pairs += len(index.document_scores(feature))
    t_score = time.perf_counter() - t1
    pairs = len(feats) * n_sections
    print(
        f"scoring: {len(feats)} features x {len(docs)} documents in {t_score:.1f}s "
        f"({len(feats) / t_score:.0f} features/s; {matched_pairs} feature-document pairs with a match)"
    )

    t2 = time.perf_counter()
    claims = [feats[i : i + args.claim_size] for i in range(0, len(feats), args.claim_size)]
    all_elements = 0
    for claim in claims:
        for _, match in rank_documents(claim, index, limit=10):
            all_elements += match.all_elements
    t_rank = time.perf_counter() - t2
    print(
        f"ranking: {len(claims)} claims, top 10 documents with evidence each, in {t_rank:.1f}s ({all_elements} all-elements matches)"
    )

    total = t_build + t_score
    print(
        f"TOTAL index + scoring: {total:.1f}s (target <= 60 s) — "
        f"{pairs / total / 1e6:.2f} M feature x section pairs/s; with ranking {total + t_rank:.1f}s"
    )
    return 0 if total <= 60 else 1


if __name__ == "__main__":
    raise SystemExit(main())
