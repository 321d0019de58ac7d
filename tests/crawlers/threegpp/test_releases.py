"""Release freeze milestones: the release pages, the shipped defaults, and the three layers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from crawlers.threegpp.releases import (
    Freeze,
    effective,
    load_defaults,
    normalise_release,
    parse_releases_page,
    parse_when,
    stage_of,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "3gpp"


def test_releases_overview_table() -> None:
    freezes = parse_releases_page((FIXTURES / "releases_overview.html").read_bytes())
    assert freezes == [
        Freeze("Rel-15", "stage3", date(2019, 3, 22), "SA#83", None, "crawled"),
        Freeze("Rel-15", "protocols", date(2019, 6, 7), "SA#84", None, "crawled"),
        Freeze("Rel-16", "stage3", date(2020, 7, 3), "SA#88-e", None, "crawled"),
        Freeze("Rel-16", "protocols", date(2020, 7, 3), "SA#88-e", None, "crawled"),
        Freeze("Rel-17", "stage3", date(2022, 3, 18), "SA#95", None, "crawled"),
        Freeze("Rel-17", "protocols", date(2022, 6, 10), "SA#96", None, "crawled"),
        Freeze("Rel-18", "stage3", date(2023, 12, 15), "SA#102", None, "crawled"),
        Freeze("Rel-18", "protocols", date(2024, 3, 31), "SA#103", "month only", "crawled"),
    ]  # Release 19's "TBC" cells give nothing; the glossary list ("Stage 1" refers to …) is not a milestone


def test_single_release_page() -> None:
    freezes = parse_releases_page((FIXTURES / "release_19.html").read_text(encoding="utf-8"))
    assert freezes == [
        Freeze("Rel-19", "stage1", date(2023, 12, 31), "SA#102", "month only", "crawled"),
        Freeze("Rel-19", "stage2", date(2024, 12, 31), None, "month only", "crawled"),
        Freeze(
            "Rel-19",
            "stage3",
            date(2025, 9, 30),
            None,
            "month only; RAN1: June 2025; RAN2/3/4: September 2025",
            "crawled",
        ),
        Freeze("Rel-19", "protocols", date(2025, 12, 31), "RAN#110", "month only", "crawled"),
        # from the list under the "Release 20" heading; its "Stage 1 freeze: TBC" gives nothing
        Freeze("Rel-20", "stage2", date(2026, 9, 30), "SA#113", "month only", "crawled"),
    ]


def test_page_without_milestones() -> None:
    assert (
        parse_releases_page("<html><body><h1>Release 19</h1><p>Nothing frozen yet.</p></body></html>") == []
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-12-15 (SA#102)", (date(2023, 12, 15), "SA#102", None)),
        ("2024-03 (SA#103)", (date(2024, 3, 31), "SA#103", "month only")),
        ("2020-07-03 (SA#88-e)", (date(2020, 7, 3), "SA#88-e", None)),
        ("December 2025", (date(2025, 12, 31), None, "month only")),
        ("Feb 2024", (date(2024, 2, 29), None, "month only")),
        ("June'24", (date(2024, 6, 30), None, "month only")),
        ("18 March 2022, TSG SA #95", (date(2022, 3, 18), "SA#95", None)),
        ("March 18, 2022", (date(2022, 3, 18), None, None)),
        (
            "RAN1 Jun 2025; RAN2/3/4 Sep 2025",
            (date(2025, 9, 30), None, "month only; RAN1 Jun 2025; RAN2/3/4 Sep 2025"),
        ),
        ("TBC", None),
        ("-", None),
        ("2025-13", None),
    ],
)
def test_parse_when(value: str, expected: tuple[date, str | None, str | None] | None) -> None:
    assert parse_when(value) == expected


@pytest.mark.parametrize(
    ("text", "release"),
    [
        ("Release 19", "Rel-19"),
        ("Rel-19", "Rel-19"),
        ("rel 19", "Rel-19"),
        ("R19", "Rel-19"),
        ("Release 1999", "R99"),
        ("R99", "R99"),
        ("Release 4", "Rel-4"),
        ("Release 2024", None),
        ("RAN1", None),
        ("Release timelines", None),
    ],
)
def test_normalise_release(text: str, release: str | None) -> None:
    assert normalise_release(text) == release


@pytest.mark.parametrize(
    ("label", "stage"),
    [
        ("Stage 1 freeze", "stage1"),
        ("Stage 2 freeze", "stage2"),
        ("Stage 3 freeze", "stage3"),
        ("Functional Freeze (Stage 3 complete)", "stage3"),
        ("ASN.1 freeze", "protocols"),
        ("End date (Protocols stable)", "protocols"),
        ("Protocols stable", "protocols"),
        ("OpenAPI freeze", "protocols"),
        ("Status", None),
    ],
)
def test_stage_of(label: str, stage: str | None) -> None:
    assert stage_of(label) == stage


def test_shipped_defaults() -> None:
    defaults = load_defaults()
    by_key = {(f.release, f.stage): f for f in defaults}
    assert len(defaults) == 25
    assert all(f.origin == "default" for f in defaults)
    assert by_key[("Rel-15", "stage3")] == Freeze("Rel-15", "stage3", date(2019, 3, 22), "SA#83", "late drop")
    assert by_key[("Rel-16", "stage3")].note == "originally planned 2020-03-20"
    assert by_key[("Rel-17", "stage2")] == Freeze("Rel-17", "stage2", date(2021, 6, 30), None, "month only")
    assert by_key[("Rel-17", "protocols")] == Freeze("Rel-17", "protocols", date(2022, 6, 10), "SA#96", None)
    assert by_key[("Rel-18", "stage3")].date == date(2023, 12, 15)
    assert by_key[("Rel-18", "protocols")].date == date(2024, 6, 30)
    assert by_key[("Rel-19", "stage1")].date == date(2023, 12, 31)
    assert by_key[("Rel-19", "stage3")].date == date(2025, 9, 30)
    assert by_key[("Rel-19", "protocols")] == Freeze(
        "Rel-19", "protocols", date(2025, 12, 31), None, "month only"
    )
    # FACTS.md §3.1 gives no date: carried without one, marked UNVERIFIED
    unverified = [(f.release, f.stage) for f in defaults if f.date is None]
    assert unverified == [
        ("Rel-15", "stage1"), ("Rel-15", "stage2"), ("Rel-16", "stage1"), ("Rel-16", "stage2"),
        ("Rel-17", "stage1"), ("Rel-18", "stage1"), ("Rel-18", "stage2"),
        ("Rel-20", "stage1"), ("Rel-20", "stage2"), ("Rel-20", "stage3"), ("Rel-20", "protocols"),
        ("Rel-21", "stage1"),
    ]  # fmt: skip
    assert all((f.note or "").startswith("UNVERIFIED") for f in defaults if f.date is None)
    assert all(f.note is None or "UNVERIFIED" not in f.note for f in defaults if f.date is not None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("freezes: {}", "expected a top-level 'freezes:' list"),
        ("freezes:\n  - {release: Rel-19, stage: stage5, date: 2025-01-01}", "stage 'stage5' is not one of"),
        ("freezes:\n  - {release: Foo, stage: stage1, date: 2025-01-01}", "release 'Foo' is not a Release"),
        ("freezes:\n  - {release: Rel-19, stage: stage1, date: 'soon'}", "date 'soon' is neither"),
        ("freezes:\n  - {release: Rel-19, stage: stage1, date: '2025-13'}", "date '2025-13' is not a month"),
        ("freezes:\n  - {release: Rel-19, stage: stage1, when: 2025-01-01}", r"unknown keys \['when'\]"),
        (
            "freezes:\n  - {release: Rel-19, stage: stage1, date: null}\n  - {release: Release 19, stage: stage1, date: null}",
            "more than one entry for Rel-19 stage1",
        ),
    ],
)
def test_malformed_defaults_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "freezes.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_defaults(path)


def test_effective_layers() -> None:
    defaults = [
        Freeze("Rel-19", "stage3", date(2025, 9, 30), None, "month only"),
        Freeze("Rel-19", "protocols", date(2025, 12, 31), None, "month only"),
        Freeze("Rel-20", "stage1", None, None, "UNVERIFIED"),
        Freeze("Rel-9", "stage3", date(2009, 12, 10), None, None),
    ]
    crawled = [
        Freeze("Release 19", "protocols", date(2026, 3, 31), "RAN#111", "month only", "crawled"),
        Freeze("Rel-19", "stage3", None, None, "TBC", "crawled"),  # a page without a date is no news
        Freeze("Rel-20", "stage1", date(2025, 9, 30), None, None, "crawled"),
        Freeze("Rel-18", "stage3", date(2023, 12, 15), "SA#102", None, "crawled"),
    ]
    overrides = [
        Freeze("Rel-20", "stage1", date(2025, 12, 12), "SA#110", "per our delegate"),
        Freeze("Rel-9", "stage3", None, None, "ignore"),  # an override may blank a date out
    ]
    assert effective(defaults, crawled, overrides) == [
        Freeze("Rel-9", "stage3", None, None, "ignore", "override"),
        Freeze("Rel-18", "stage3", date(2023, 12, 15), "SA#102", None, "crawled"),
        Freeze("Rel-19", "stage3", date(2025, 9, 30), None, "month only", "default"),
        Freeze("Rel-19", "protocols", date(2026, 3, 31), "RAN#111", "month only", "crawled"),
        Freeze("Rel-20", "stage1", date(2025, 12, 12), "SA#110", "per our delegate", "override"),
    ]


def test_effective_with_the_shipped_defaults_and_a_crawl() -> None:
    crawled = parse_releases_page((FIXTURES / "releases_overview.html").read_bytes())
    merged = {(f.release, f.stage): f for f in effective(load_defaults(), crawled, [])}
    assert len(merged) == 25
    # the page's 2024-03 (SA#103) replaces the default Jun 2024
    assert merged[("Rel-18", "protocols")] == Freeze(
        "Rel-18", "protocols", date(2024, 3, 31), "SA#103", "month only", "crawled"
    )
    assert merged[("Rel-19", "stage1")].origin == "default"
    assert merged[("Rel-15", "stage1")] == Freeze("Rel-15", "stage1", None, None, "UNVERIFIED", "default")
