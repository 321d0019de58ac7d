"""Spec file names, versions, spec numbers and ETSI transpositions."""

from __future__ import annotations

import pytest

from crawlers.threegpp.listing import parse_listing
from crawlers.threegpp.versions import (
    SpecFile,
    decode_spec_filename,
    encode_version,
    etsi_to_3gpp,
    release_of,
    spec_number,
    version_key,
)
from tests.conftest import realdata


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("38331-i40.zip", SpecFile("38.331", "18.4.0", 18)),
        ("24229-083700", SpecFile("24.229", "8.37.0", 8)),
        ("24229-083700.zip", SpecFile("24.229", "8.37.0", 8)),
        ("38331-I40.ZIP", SpecFile("38.331", "18.4.0", 18)),
        ("23501-g30.docx", SpecFile("23.501", "16.3.0", 16)),
        ("21900-k10.doc", SpecFile("21.900", "20.1.0", 20)),
        ("36521-1-h20.zip", SpecFile("36.521-1", "17.2.0", 17)),
        ("38101-1-ja0.zip", SpecFile("38.101-1", "19.10.0", 19)),
        ("23041-300.zip", SpecFile("23.041", "3.0.0", 99)),  # Release 1999
        ("38331-100.zip", SpecFile("38.331", "1.0.0", 0)),  # draft, no Release yet
        (
            "https://www.3gpp.org/ftp/Specs/archive/38_series/38.331/38331-i40.zip",
            SpecFile("38.331", "18.4.0", 18),
        ),
    ],
)
def test_decode_spec_filename(name: str, expected: SpecFile) -> None:
    assert decode_spec_filename(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "38331-i4.zip",
        "38331-i40.pdf",
        "38331-i40.zip.bak",
        "3831-i40.zip",
        "38.331-i40.zip",
        "S2-2209002.zip",
        "",
        "38331",
    ],
)
def test_decode_spec_filename_none(name: str) -> None:
    assert decode_spec_filename(name) is None


def test_every_file_of_the_real_series_listing_decodes() -> None:
    url = "https://www.3gpp.org/ftp/Specs/latest/Rel-16/23_series/"
    listing = parse_listing(
        realdata("3gpp", "ftp_Specs_latest_Rel-16_23_series_listing.htm").read_bytes(), url
    )
    decoded = [decode_spec_filename(e.name) for e in listing]
    assert all(d is not None and d.release == 16 for d in decoded)
    assert decoded[0] == SpecFile("23.041", "16.0.0", 16)
    assert decoded[6] == SpecFile("23.222", "16.3.0", 16)


@pytest.mark.parametrize(
    ("version", "code"),
    [
        ("18.4.0", "i40"),
        ("8.37.0", "083700"),
        ("19.10.1", "ja1"),
        ("3.0.0", "300"),
        ("35.35.35", "zzz"),
        ("36.0.0", "360000"),
    ],
)
def test_encode_version_round_trips(version: str, code: str) -> None:
    assert encode_version(version) == code
    decoded = decode_spec_filename(f"38331-{code}.zip")
    assert decoded is not None and decoded.version == version


@pytest.mark.parametrize("bad", ["18.4", "18.4.0.1", "v18", "a.b.c", "100.0.0"])
def test_bad_versions(bad: str) -> None:
    with pytest.raises(ValueError):
        encode_version(bad)


def test_version_key_orders_numerically() -> None:
    versions = ["18.10.0", "18.9.0", "8.37.0", "18.4.1", "V19.0.0"]
    assert sorted(versions, key=version_key) == ["8.37.0", "18.4.1", "18.9.0", "18.10.0", "V19.0.0"]
    assert version_key("18.4.0") == (18, 4, 0)
    assert (release_of("18.4.0"), release_of("3.1.0"), release_of("2.0.0")) == (18, 99, 0)


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("TS 38.331", "38.331"),
        ("38331", "38.331"),
        ("38.331", "38.331"),
        ("3GPP TS 38.331", "38.331"),
        ("3GPP TS 38.331 V18.4.0 (2024-12)", "38.331"),
        ("3gpp tr 38.913", "38.913"),
        ("TS 36.521-1", "36.521-1"),
        ("see TS 23.501, clause 5.2", "23.501"),
        ("136300", None),
        ("R1-2301234", None),
        ("version 18.4.0", None),
        ("", None),
    ],
)
def test_spec_number(text: str, spec: str | None) -> None:
    assert spec_number(text) == spec


@pytest.mark.parametrize(
    ("deliverable", "spec"),
    [
        ("ETSI TS 136 300", "36.300"),
        ("TS 136 300", "36.300"),
        ("136300", "36.300"),
        ("ETSI TS 138 331 V18.4.0 (2025-01)", "38.331"),
        ("ETSI TR 121 905", "21.905"),
        ("ETSI TS 144 018", "44.018"),
        ("ETSI TS 136 521-1", "36.521-1"),
        ("ETSI TS 155 205", "55.205"),
        ("ETSI TS 102 221", None),  # ETSI SCP's own smart card spec
        ("ETSI TS 156 001", None),  # outside the 3GPP series 21..55
        ("ETSI EN 301 908-1", None),
        ("38.331", None),
    ],
)
def test_etsi_to_3gpp(deliverable: str, spec: str | None) -> None:
    assert etsi_to_3gpp(deliverable) == spec
