"""Time to import the RAN1#122-bis TDoc list (1,563 TDocs): parsing alone, and the whole import.

The whole import is what `sepwatch import TDoc_List_Meeting_RAN1#122-bis.xlsx` does: parse the
export, build one document per TDoc, store each (new document), and index them. Run:

    .venv/bin/python bench/tdoclist_bench.py [PATH]   (default: ../shared/realdata/3gpp/…)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from config import load_settings
from crawlers.threegpp.tdoclist import parse_tdoc_list
from sepwatch.app import App
from sepwatch.importing import import_paths

DEFAULT = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "realdata"
    / "3gpp"
    / "TDoc_List_Meeting_RAN1#122-bis.xlsx"
)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not path.exists():
        sys.exit(f"{path} is absent (the shared real samples are not beside this checkout)")
    data = path.read_bytes()
    parse_times = []
    for _ in range(5):
        start = time.perf_counter()
        listing = parse_tdoc_list(data, path.name)
        parse_times.append(time.perf_counter() - start)
    rows = len(listing.records)
    print(f"file: {path.name} ({len(data) / 1024:.0f} KiB, {rows} TDocs, {listing.layout})")
    print(
        f"parse only:    median {statistics.median(parse_times):.2f} s of 5 runs ({rows / statistics.median(parse_times):,.0f} rows/s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, env={"SEPWATCH_DATA_DIR": tmp, "HOME": tmp})
        with App.open(settings) as app:
            for label in ("first import (all new)", "second import (unchanged)"):
                start = time.perf_counter()
                summary = import_paths(app, [path])
                elapsed = time.perf_counter() - start
                print(
                    f"{label}: {elapsed:.2f} s ({rows / elapsed:,.0f} TDocs/s) — {summary.reports[0].detail}"
                )


if __name__ == "__main__":
    main()
