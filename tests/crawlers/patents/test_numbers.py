"""Patent number normalisation: every documented form of each office, and what is refused."""

from __future__ import annotations

import pytest

from crawlers.patents.numbers import normalise_application, normalise_publication, office_of


@pytest.mark.parametrize(
    ("office", "text", "expected"),
    [
        # EP: check digit dropped, prefix optional, epodoc four-digit year form folded
        ("EP", "15150001.3", "EP15150001"),
        ("EP", "EP15150001", "EP15150001"),
        ("EP", "15150001", "EP15150001"),
        ("EP", " ep 15 150 001.3 ", "EP15150001"),
        ("EP", "99203729", "EP99203729"),
        ("EP", "    99203729", "EP99203729"),  # left-padded as in OPS legal L003EP
        ("EP", "EP20100167109", "EP10167109"),  # epodoc form in OPS exchange documents
        ("EP", "20240168513", "EP24168513"),  # register division parent-doc form
        ("ep", "EP20060711571", "EP06711571"),  # ETSI ISLD (epodoc)
        # US: separators, docdb year prefix, epodoc provisional marker
        ("US", "16/123,456", "US16123456"),
        ("US", "16123456", "US16123456"),
        ("US", "US 16/123456", "US16123456"),
        ("US", "201615044813", "US15044813"),
        ("US", "US201615044813", "US15044813"),
        ("US", "US201261713164P", "US61713164"),
        ("US", "61/713,164", "US61713164"),
        ("US", "20685698", "US20685698"),  # old docdb without series code: kept
        # CN: check digit (with or without the dot), ZL prefix, epodoc short form
        ("CN", "201810012345.6", "CN201810012345"),
        ("CN", "CN201810012345.6", "CN201810012345"),
        ("CN", "ZL201810012345.6", "CN201810012345"),
        ("CN", "ZL 2018 1 0012345.X", "CN201810012345"),
        ("CN", "2013800622588", "CN201380062258"),  # OPS "original" form
        ("CN", "201380062258", "CN201380062258"),  # OPS docdb form
        ("CN", "CN20138062258", "CN201380062258"),  # OPS epodoc form
        ("CN", "98123456.X", "CN98123456"),
        ("CN", "981234567", "CN98123456"),
        # WO / PCT: receiving office, four-digit year, six-digit serial
        ("WO", "PCT/CN2019/123456", "WOCN2019123456"),
        ("WO", "PCT/CN19/123456", "WOCN2019123456"),
        ("WO", "PCT/US01/12345", "WOUS2001012345"),
        ("WO", "PCT/GB98/01234", "WOGB1998001234"),
        ("WO", "WOCN2019123456", "WOCN2019123456"),
        ("WO", "WO2013US64552", "WOUS2013064552"),  # epodoc, year first
        ("WO", "WO2014EP01597", "WOEP2014001597"),  # EP Register form
        ("WO", "US2013064552", "WOUS2013064552"),  # docdb form (country WO)
        ("WO", "EP2014001597", "WOEP2014001597"),
        ("US", "PCT/US2013/064552", "WOUS2013064552"),  # a PCT number is WO whatever the office
        ("EP", "WO2014EP01597", "WOEP2014001597"),
        # other offices: separators out, check digit after a final dot dropped
        ("JP", "2019-123456", "JP2019123456"),
        ("DE", "10 2015 123 456.7", "DE102015123456"),
        ("NL", "1010536", "NL1010536"),
        ("DE", "201310211960", "DE201310211960"),
    ],
)
def test_normalise_application(office: str, text: str, expected: str) -> None:
    assert normalise_application(office, text) == expected


@pytest.mark.parametrize(
    ("office", "text", "message"),
    [
        ("EPO", "15150001", "two-letter office code"),
        ("", "15150001", "two-letter office code"),
        ("EP", "   ", "empty application number"),
        ("EP", "US16123456", "carries the prefix US, not EP"),
        ("CN", "CN", "no number"),
        ("WO", "PCT/", "no number"),
    ],
)
def test_normalise_application_refuses(office: str, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalise_application(office, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EP 3000000 A1", "EP3000000A1"),
        ("EP3000000A1", "EP3000000A1"),
        ("EP.3000000.A1", "EP3000000A1"),
        ("ep3000000 a1", "EP3000000A1"),
        ("EP3000000", "EP3000000"),
        ("EP.2400812", "EP2400812"),
        ("US 10,047,600 B2", "US10047600B2"),
        ("US 2016/0123456 A1", "US20160123456A1"),
        ("WO 2014/206532 A1", "WO2014206532A1"),
        ("CN104968889A", "CN104968889A"),
        ("NL1010536C", "NL1010536C"),
        ("HRP20251003T1", "HRP20251003T1"),
        ("KR100959952B", "KR100959952B"),
        ("JPWO2006075628A1", "JPWO2006075628A1"),
    ],
)
def test_normalise_publication(text: str, expected: str) -> None:
    assert normalise_publication(text) == expected


@pytest.mark.parametrize("text", ["", "3000000A1", "EP", "EP-A1", "E3000000"])
def test_normalise_publication_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="not a publication number"):
        normalise_publication(text)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("EP15150001", "EP"),
        ("ep 15150001", "EP"),
        ("EP.3000000.A1", "EP"),
        ("US16123456", "US"),
        ("WO2013US64552", "WO"),
        ("PCT/CN2019/123456", "WO"),
        ("ZL201810012345.6", "CN"),
        ("HRP20251003T1", "HR"),
        ("15150001", None),
        ("16/123,456", None),
        ("", None),
        ("EPO", None),
    ],
)
def test_office_of(number: str, expected: str | None) -> None:
    assert office_of(number) == expected


def test_forms_of_one_application_agree() -> None:
    """The CN and US applications of the realdata biblio samples, in every form OPS gives them."""
    assert {normalise_application("CN", n) for n in ("201380062258", "CN20138062258", "2013800622588")} == {
        "CN201380062258"
    }
    assert {normalise_application("US", n) for n in ("201615044813", "US201615044813", "15044813")} == {
        "US15044813"
    }
