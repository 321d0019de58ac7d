"""Server time of the search page at 50,000 stored and indexed sections (SQLite store + FTS5).

Stores N sections of mixed English/Chinese standards text (the generator of index_bench.py) as
documents of 100 sections with realistic facets (3GPP/IETF/CCSA bodies, working groups, kinds,
releases, specs, dates over three years), indexes them, signs in, then requests ``/search`` in
process through the ASGI app (httpx ASGITransport: no network, the whole server path — auth,
parameters, backend search with facets and snippets, page rendering) for varied queries: single
words, AND and OR, phrases, prefixes, Chinese words, filters, sort by date, later pages.

    .venv/bin/python bench/search_page_bench.py [--sections 50000] [--queries 300] [--seed 11]

Target (issue G): search page p95 <= 150 ms server time.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from index_bench import EN_WORDS, ZH_WORDS, percentile, section_text, zipf_choice

from config import load_settings
from crawlers.items import Section, StandardDocument
from sepwatch.app import App
from web import auth
from web.app import create_app

PER_DOCUMENT = 100
GROUPS = {
    "3GPP": ["RAN1", "RAN2", "RAN3", "RAN4", "SA2", "SA3", "CT1"],
    "IETF": ["quic", "httpbis", "tls", "lamps"],
    "CCSA": ["TC5", "TC3"],
}
KINDS = {"3GPP": ["spec", "tdoc", "cr"], "IETF": ["draft", "rfc"], "CCSA": ["spec"]}
RELEASES = ["Rel-17", "Rel-18", "Rel-19"]
START = dt.date(2023, 1, 1)


def documents(n_sections: int, rng: random.Random) -> list[StandardDocument]:
    docs = []
    for d in range((n_sections + PER_DOCUMENT - 1) // PER_DOCUMENT):
        body = rng.choices(list(GROUPS), weights=[6, 3, 1])[0]
        group = rng.choice(GROUPS[body])
        kind = rng.choice(KINDS[body])
        count = min(PER_DOCUMENT, n_sections - d * PER_DOCUMENT)
        sections = [
            Section(
                f"{d % 20 + 1}.{s // 10 + 1}.{s % 10 + 1}",
                " ".join(zipf_choice(rng, EN_WORDS if s % 3 else ZH_WORDS) for _ in range(3)),
                section_text(rng),
            )
            for s in range(count)
        ]
        docs.append(
            StandardDocument(
                source=f"bench_{body.lower()}",
                number=f"{body}-{d:05d}",
                kind=kind,
                title=" ".join(zipf_choice(rng, EN_WORDS) for _ in range(6)),
                sections=sections,
                body=body,
                group=group,
                meeting=f"{group}#{rng.randint(100, 130)}" if kind in ("tdoc", "cr") else None,
                release=rng.choice(RELEASES) if body == "3GPP" else None,
                spec=f"TS 38.{rng.randint(200, 340)}" if body == "3GPP" else None,
                date=START + dt.timedelta(days=rng.randint(0, 3 * 365)),
                version_label="1",
            )
        )
    return docs


SHAPES = (
    "one word",
    "two words",
    "3-word OR",
    "phrase",
    "Chinese word",
    "two Chinese words",
    "word + body + group filters",
    "prefix, by date",
    "English + Chinese, from a date",
    "one word, page 2",
)


def queries(rng: random.Random, n: int) -> list[dict[str, str]]:
    """Varied searches, as people type them and click them (shape ``i % 10``, see SHAPES)."""
    english = [w for w in EN_WORDS if len(w) > 3]
    out: list[dict[str, str]] = []
    for i in range(n):
        shape = i % 10
        if shape == 0:
            params = {"q": rng.choice(english)}
        elif shape == 1:
            params = {"q": " ".join(rng.sample(english, 2))}
        elif shape == 2:
            params = {"q": " OR ".join(rng.sample(english, 3))}
        elif shape == 3:
            params = {"q": f'"{" ".join(rng.sample(english, 2))}"'}
        elif shape == 4:
            params = {"q": rng.choice(ZH_WORDS)}
        elif shape == 5:
            params = {"q": " ".join(rng.sample(ZH_WORDS, 2))}
        elif shape == 6:
            params = {"q": rng.choice(english), "body": "3GPP", "group": rng.choice(GROUPS["3GPP"])}
        elif shape == 7:
            params = {"q": rng.choice(english)[:4] + "*", "sort": "date"}
        elif shape == 8:
            params = {"q": f"{rng.choice(english)} {rng.choice(ZH_WORDS)}", "from": "2024-01-01"}
        else:
            params = {"q": rng.choice(english), "page": "2"}
        out.append(params)
    return out


async def measure(app: App, username: str, password: str, searches: list[dict[str, str]]) -> list[float]:
    api = create_app(app)
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        login = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert token, "no sign-in form"
        signed = await client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
        )
        assert signed.status_code == 303, signed.text[:300]
        for params in searches[:10]:  # warm the caches and the templates
            await client.get("/search?" + urlencode(params))
        times: list[float] = []
        hits = 0
        for params in searches:
            t0 = time.perf_counter()
            answer = await client.get("/search?" + urlencode(params))
            times.append((time.perf_counter() - t0) * 1000)
            assert answer.status_code == 200, (params, answer.status_code)
            hits += '<li class="hit">' in answer.text
        print(f"{len(searches)} searches, {hits} with hits")
        return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sections", type=int, default=50_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="sepwatch-bench-") as tmp:
        settings = load_settings(None, env={"SEPWATCH_DATA_DIR": str(Path(tmp) / "data")})
        with App.open(settings) as app:
            t0 = time.perf_counter()
            docs = documents(args.sections, rng)
            for doc in docs:
                app.store.ingest(doc)
            app.indexer.drain()
            app.search.optimize()
            counts = app.search.counts()
            print(
                f"stored and indexed {counts['sections']} sections in {counts['documents']} documents "
                f"({time.perf_counter() - t0:.1f} s)"
            )
            password = "bench password 123"
            auth.add_user(app.store, "bench", role="viewer", password=password)
            times = asyncio.run(measure(app, "bench", password, queries(rng, args.queries)))
    for shape, label in enumerate(SHAPES):
        mine = times[shape :: len(SHAPES)]
        print(f"  {label:32} p50 {statistics.median(mine):6.1f} ms  p95 {percentile(mine, 95):6.1f} ms")
    p50, p95 = statistics.median(times), percentile(times, 95)
    print(
        f"search page server time: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms "
        f"[target p95 <= 150 ms]"
    )


if __name__ == "__main__":
    main()
