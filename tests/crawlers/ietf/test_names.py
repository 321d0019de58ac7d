"""Draft names, RFC numbers and the 185-day draft lifetime."""

from __future__ import annotations

import datetime as dt

import pytest

from crawlers.ietf.names import expiry, month_number, rfc_number, split_draft_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("draft-ietf-quic-transport-34", ("draft-ietf-quic-transport", "34")),
        ("draft-ietf-quic-transport-34.txt", ("draft-ietf-quic-transport", "34")),
        ("draft-ietf-appsawg-file-scheme-16.xml", ("draft-ietf-appsawg-file-scheme", "16")),
        ("/archive/id/draft-ietf-appsawg-file-scheme-16.html", ("draft-ietf-appsawg-file-scheme", "16")),
        ("draft-ietf-quic-transport", ("draft-ietf-quic-transport", None)),
        ("Draft-IETF-QUIC-Transport-00.TXT", ("draft-ietf-quic-transport", "00")),
        ("draft-foo-2023-01", ("draft-foo-2023", "01")),
        ("  draft-kerwin-file-scheme-13 ", ("draft-kerwin-file-scheme", "13")),
        ("rfc8089.txt", ("rfc8089", None)),
        ("notes.txt", ("notes", None)),
    ],
)
def test_split_draft_name(name: str, expected: tuple[str, str | None]) -> None:
    assert split_draft_name(name) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rfc8089", "RFC 8089"),
        ("RFC 8089", "RFC 8089"),
        ("RFC8089", "RFC 8089"),
        ("RFC0793", "RFC 793"),
        ("rfc8089.txt", "RFC 8089"),
        ("rfc-2119", "RFC 2119"),
        ("RFC 0", None),
        ("8089", None),
        ("BCP 79", None),
        ("draft-ietf-quic-transport-34", None),
        ("see RFC 8089", None),
    ],
)
def test_rfc_number(text: str, expected: str | None) -> None:
    assert rfc_number(text) == expected


@pytest.mark.parametrize(
    ("submitted", "expected"),
    [
        # draft-ietf-appsawg-file-scheme-16: dated 16 December 2016, "Expires: June 19, 2017".
        (dt.date(2016, 12, 16), dt.date(2017, 6, 19)),
        (dt.datetime(2016, 12, 16, 2, 23, 31, tzinfo=dt.UTC), dt.date(2017, 6, 19)),
        # An aware time is taken in UTC: 23:30 in UTC-8 is already the next day.
        (dt.datetime(2016, 12, 15, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-8))), dt.date(2017, 6, 19)),
        (dt.date(2024, 2, 29), dt.date(2024, 9, 1)),
    ],
)
def test_expiry_is_185_days_after_submission(submitted: dt.date, expected: dt.date) -> None:
    assert expiry(submitted) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("December", 12), ("dec", 12), ("Sept.", 9), ("05", 5), ("13", None), ("Smarch", None)],
)
def test_month_number(text: str, expected: int | None) -> None:
    assert month_number(text) == expected
