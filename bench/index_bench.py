"""Ingest and query speed of the embedded index, against a bare FTS5 table on the same text.

Generates N sections of realistic mixed English/Chinese standards text (Markdown files of 100
sections each), imports them through the real pipeline (read → extract → store → index), and
loads the same section texts into a bare FTS5 table (default tokenizer, one transaction). Then
runs 1-, 2- and 10-term OR queries returning the top 10 on both.

    .venv/bin/python bench/index_bench.py [--sections 50000] [--queries 200] [--seed 7]

Targets (issue 2): ingest >= 0.5x bare; 10-term query p95 <= 100 ms and <= 1.5x bare.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import load_settings
from index.search.base import SearchQuery
from sepwatch.app import App
from sepwatch.importing import import_paths

EN_WORDS = """
the a of to and in for is be by on with that shall may UE gNB cell network terminal base station
message RRC configuration reconfiguration procedure timer paging beam measurement report resource
block uplink downlink channel carrier bandwidth part slot symbol subcarrier spacing PDCCH PDSCH
PUSCH PUCCH SSB CSI reference signal handover mobility connection release establishment security key
integrity ciphering layer protocol entity MAC PDU header field value indicator bitmap index
parameter set list element transmission reception power control feedback acknowledgement HARQ
retransmission scheduling grant request response capability feature group band combination frequency
range numerology sidelink relay positioning location estimate accuracy latency reliability energy
saving sleep wake discontinuous cycle
""".split()  # noqa: SIM905 - a word list reads better as text
ZH_WORDS = """
终端 基站 网络 消息 配置 过程 定时器 寻呼 波束 测量 报告 资源 上行 下行 信道 载波 带宽 时隙 符号 参考信号 切换 移动性 连接 释放 建立 安全 密钥 完整性 加密 协议 实体 数据
传输 接收 功率 控制 反馈 调度 授权 请求 响应 能力 特征 频率 范围 侧行链路 中继 定位 精度 时延 可靠性 节能 睡眠 唤醒 周期 专利 标准 权利要求 技术方案 实施例 发明 申请 审查
必要 许可 所述 其特征在于 包括 用于 根据 确定 指示
""".split()  # noqa: SIM905 - a word list reads better as text
PUNCT_ZH = "，。；、"


_CUM_WEIGHTS: dict[int, list[float]] = {}


def zipf_choice(rng: random.Random, words: list[str]) -> str:
    # Rank-frequency ~ 1/rank (Zipf's law): a few words are everywhere, most are rare.
    cum = _CUM_WEIGHTS.get(len(words))
    if cum is None:
        total, cum = 0.0, []
        for rank in range(1, len(words) + 1):
            total += 1 / rank
            cum.append(total)
        _CUM_WEIGHTS[len(words)] = cum
    return rng.choices(words, cum_weights=cum)[0]


def english_sentence(rng: random.Random) -> str:
    words = [zipf_choice(rng, EN_WORDS) for _ in range(rng.randint(8, 22))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def chinese_sentence(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(6, 16)):
        out.append(zipf_choice(rng, ZH_WORDS))
        if rng.random() < 0.15:
            out.append(rng.choice(PUNCT_ZH[:3]))
    return "".join(out) + "。"


def section_text(rng: random.Random) -> str:
    kind = rng.random()
    sentences = []
    for _ in range(rng.randint(3, 8)):
        if kind < 0.5 or (kind >= 0.8 and rng.random() < 0.5):
            sentences.append(english_sentence(rng))
        else:
            sentences.append(chinese_sentence(rng))
    return " ".join(sentences)


def generate(root: Path, n_sections: int, rng: random.Random, per_file: int = 100) -> list[str]:
    texts: list[str] = []
    for f in range((n_sections + per_file - 1) // per_file):
        lines = [f"# Specification {f}", ""]
        for s in range(min(per_file, n_sections - f * per_file)):
            heading = " ".join(zipf_choice(rng, EN_WORDS if s % 3 else ZH_WORDS) for _ in range(3))
            body = section_text(rng)
            texts.append(body)
            lines += [f"## {f % 20 + 1}.{s + 1} {heading}", "", body, ""]
        (root / f"spec_{f:05d}.md").write_text("\n".join(lines), encoding="utf-8")
    return texts


def queries(rng: random.Random, n: int, terms: int, english_only: bool = False) -> list[str]:
    vocab = [w for w in EN_WORDS if len(w) > 3] + ([] if english_only else ZH_WORDS)
    return [" OR ".join(rng.sample(vocab, terms)) for _ in range(n)]


# What a bare FTS5 table answers: the ten best rows. Ours answers the ten best documents with their
# best sections, highlighted snippets and the total count.
BARE_QUERY = "SELECT rowid, rank FROM bare WHERE bare MATCH ? ORDER BY rank LIMIT 10"


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sections", type=int, default=50_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="sepwatch-bench-") as tmp:
        tmpdir = Path(tmp)
        docs = tmpdir / "docs"
        docs.mkdir()
        texts = generate(docs, args.sections, rng)
        mb = sum(len(t.encode()) for t in texts) / 1e6
        print(f"sections: {len(texts)} ({mb:.1f} MB of text) in {len(list(docs.iterdir()))} Markdown files")

        settings = load_settings(None, env={"SEPWATCH_DATA_DIR": str(tmpdir / "data")})
        with App.open(settings) as app:
            t0 = time.perf_counter()
            summary = import_paths(app, [docs])
            ours_ingest = time.perf_counter() - t0
            # Each file also has a title section (its level-1 heading) besides the generated ones.
            assert summary.ok and app.search.counts()["sections"] >= len(texts), "import lost sections"

            bare = sqlite3.connect(tmpdir / "bare.sqlite", isolation_level=None)
            bare.execute("PRAGMA journal_mode=WAL")
            bare.execute("PRAGMA synchronous=NORMAL")
            bare.execute("CREATE VIRTUAL TABLE bare USING fts5(body)")
            t0 = time.perf_counter()
            bare.execute("BEGIN")
            bare.executemany("INSERT INTO bare (body) VALUES (?)", ((t,) for t in texts))
            bare.execute("COMMIT")
            bare_ingest = time.perf_counter() - t0

            ours_rate, bare_rate = len(texts) / ours_ingest, len(texts) / bare_ingest
            print(
                f"ingest sections/s: ours {ours_rate:,.0f} (store + index, {ours_ingest:.1f} s), "
                f"bare FTS5 {bare_rate:,.0f} ({bare_ingest:.1f} s), ratio {ours_rate / bare_rate:.2f}  [target >= 0.50]"
            )

            t0 = time.perf_counter()
            app.indexer.rebuild()
            reindex = time.perf_counter() - t0
            print(
                f"reindex (index stage alone: read store, analyse, FTS5): {len(texts) / reindex:,.0f} sections/s, "
                f"ratio to bare {len(texts) / reindex / bare_rate:.2f}"
            )

            for label, english_only in (("mixed English/Chinese terms", False), ("English terms only", True)):
                print(f"queries, {label}:")
                for n_terms in (1, 2, 10):
                    qs = queries(rng, args.queries, n_terms, english_only)
                    for q in qs[:5]:  # warm both caches the same way
                        app.search.search(SearchQuery(q, limit=10))
                        bare.execute(BARE_QUERY, (q,)).fetchall()
                    ours_ms, bare_ms = [], []
                    for q in qs:
                        t0 = time.perf_counter()
                        app.search.search(SearchQuery(q, limit=10))
                        ours_ms.append((time.perf_counter() - t0) * 1000)
                        t0 = time.perf_counter()
                        bare.execute(BARE_QUERY, (q,)).fetchall()
                        bare_ms.append((time.perf_counter() - t0) * 1000)
                    o50, o95 = statistics.median(ours_ms), percentile(ours_ms, 95)
                    b50, b95 = statistics.median(bare_ms), percentile(bare_ms, 95)
                    target = "  [target p95 <= 100 ms and <= 1.5x bare]" if n_terms == 10 else ""
                    print(
                        f"  {n_terms:>2}-term OR query, top 10: ours p50 {o50:.1f} ms p95 {o95:.1f} ms; "
                        f"bare p50 {b50:.1f} ms p95 {b95:.1f} ms; ratio p50 {o50 / b50:.2f} p95 {o95 / b95:.2f}{target}"
                    )
            bare.close()


if __name__ == "__main__":
    main()
