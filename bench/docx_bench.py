"""Benchmark: .docx extraction (crawlers.extract.docx) against python-docx reading the same text.

For the real 3GPP CR sample and for generated documents holding a table of 100, 1,000 and 5,000
rows, prints milliseconds per document and MB/s (of .docx bytes) for both, the speed ratio, and for
the generated tables the milliseconds per 1,000 rows, which stays flat when extraction is linear.

python-docx does the fair equivalent of our work: open the Document, read every paragraph's text
and every table cell's text. Run: ``.venv/bin/python bench/docx_bench.py``.
"""

from __future__ import annotations

import io
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path

import docx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawlers.extract.docx import extract  # noqa: E402

SAMPLE = REPO.parent / "shared" / "realdata" / "3gpp" / "CR_S2-2209002_23501_Correction_RedCap.docx"
ROWS = (100, 1000, 5000)
MIN_SECONDS = 1.0


def generated(rows: int) -> bytes:
    """Headings, paragraphs and one table of ``rows`` rows × 4 cells, like a spec's parameter table."""
    document = docx.Document()
    document.add_heading("5.3.5 RRC reconfiguration", level=2)
    document.add_paragraph("The purpose of this procedure is to modify an RRC connection.")
    document.add_heading("5.3.5.1 General", level=3)
    table = document.add_table(rows=rows, cols=4)
    for i, row in enumerate(table.rows):
        cells = row.cells
        cells[0].text = f"field{i}"
        cells[1].text = f"INTEGER (0..{i})"
        cells[2].text = "Need R" if i % 2 else "Cond HO"
        cells[3].text = f"Description of field {i}, used when the UE is configured with feature {i % 17}."
    document.add_heading("5.3.5.2 Initiation", level=3)
    document.add_paragraph("The network may initiate the procedure to a UE in RRC_CONNECTED.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def python_docx(data: bytes) -> int:
    document = docx.Document(io.BytesIO(data))
    chars = sum(len(paragraph.text) for paragraph in document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                chars += len(cell.text)
    return chars


def ours(data: bytes) -> int:
    return sum(len(section.text) for section in extract(data, "bench.docx").sections)


def per_document(function: Callable[[bytes], int], data: bytes) -> float:
    """Seconds per call: the best of a few rounds of enough calls to last ``MIN_SECONDS``."""
    function(data)
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            function(data)
        elapsed = time.perf_counter() - start
        if elapsed >= MIN_SECONDS / 4 or calls >= 1000:
            break
        calls *= 4
    best = elapsed / calls
    for _ in range(2):
        start = time.perf_counter()
        for _ in range(calls):
            function(data)
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def report(label: str, data: bytes, rows: int | None) -> tuple[float, float]:
    mine = per_document(ours, data)
    theirs = per_document(python_docx, data)
    mb = len(data) / 1e6
    line = (
        f"{label:<28} {len(data) / 1024:8.1f} KiB | ours {mine * 1e3:8.2f} ms {mb / mine:6.2f} MB/s"
        f" | python-docx {theirs * 1e3:8.2f} ms {mb / theirs:6.2f} MB/s | {theirs / mine:5.1f}x faster"
    )
    if rows:
        line += f" | ours {mine * 1e3 / rows * 1000:6.2f} ms, python-docx {theirs * 1e3 / rows * 1000:7.2f} ms per 1,000 rows"
    print(line, flush=True)
    return mine, theirs


def main() -> None:
    print(f"python {sys.version.split()[0]}, python-docx {getattr(docx, '__version__', '?')}")
    if SAMPLE.exists():
        report("real CR S2-2209002", SAMPLE.read_bytes(), None)
    else:
        print(f"real CR sample absent ({SAMPLE}): skipped")
    timings = {rows: report(f"generated, {rows:,} rows", generated(rows), rows) for rows in ROWS}
    # The fixed cost of a document (package, styles) hides in small sizes: the marginal cost per
    # row between two sizes shows whether extraction stays linear.
    for small, large in itertools.pairwise(ROWS):
        per_k = [(timings[large][i] - timings[small][i]) * 1e3 / (large - small) * 1000 for i in (0, 1)]
        print(
            f"marginal {small:,} -> {large:,} rows: ours {per_k[0]:6.2f} ms, python-docx {per_k[1]:7.2f} ms per 1,000 rows"
        )


if __name__ == "__main__":
    main()
