"""3GPP groups: lookup by any common spelling, TDoc numbers to groups, unknown names refused."""

from __future__ import annotations

import pytest

from crawlers.threegpp.groups import GROUPS, TDOC_RE, group, group_for_tdoc, normalise_tdoc


@pytest.mark.parametrize(
    ("spelling", "name", "code", "tsg", "ftp_dir"),
    [
        ("RAN1", "RAN1", "R1", "ran", "tsg_ran/WG1_RL1"),
        ("R1", "RAN1", "R1", "ran", "tsg_ran/WG1_RL1"),
        ("ran1", "RAN1", "R1", "ran", "tsg_ran/WG1_RL1"),
        ("RAN WG1", "RAN1", "R1", "ran", "tsg_ran/WG1_RL1"),
        ("TSG RAN WG3", "RAN3", "R3", "ran", "tsg_ran/WG3_Iu"),
        ("r5", "RAN5", "R5", "ran", "tsg_ran/WG5_Test_ex-T1"),
        ("RAN", "RAN", "RP", "ran", "tsg_ran/TSG_RAN"),
        ("RP", "RAN", "RP", "ran", "tsg_ran/TSG_RAN"),
        ("TSG SA", "SA", "SP", "sa", "tsg_sa/TSG_SA"),
        ("SA WG2", "SA2", "S2", "sa", "tsg_sa/WG2_Arch"),
        ("s6", "SA6", "S6", "sa", "tsg_sa/WG6_MissionCritical"),
        ("CP", "CT", "CP", "ct", "tsg_ct/TSG_CT"),
        ("CT1", "CT1", "C1", "ct", "tsg_ct/WG1_mm-cc-sm_ex-CN1"),
        ("CT WG3", "CT3", "C3", "ct", "tsg_ct/WG3_interworking_ex-CN3"),
        ("c4", "CT4", "C4", "ct", "tsg_ct/WG4_protocollars_ex-CN4"),
        ("CT6", "CT6", "C6", "ct", "tsg_ct/WG6_Smartcard_Ex-T3"),
    ],
)
def test_group_spellings(spelling: str, name: str, code: str, tsg: str, ftp_dir: str) -> None:
    found = group(spelling)
    assert (found.name, found.code, found.tsg, found.ftp_dir, found.tdoc_prefix) == (
        name,
        code,
        tsg,
        ftp_dir,
        code,
    )


def test_every_group_is_listed_once() -> None:
    names = [g.name for g in GROUPS]
    assert names == [
        "RAN", "RAN1", "RAN2", "RAN3", "RAN4", "RAN5",
        "SA", "SA1", "SA2", "SA3", "SA4", "SA5", "SA6",
        "CT", "CT1", "CT3", "CT4", "CT6",
    ]  # fmt: skip
    assert len({g.code for g in GROUPS}) == len(GROUPS)


@pytest.mark.parametrize("unknown", ["RAN9", "CT2", "GERAN", "", "X1"])
def test_unknown_group_lists_the_known_ones(unknown: str) -> None:
    with pytest.raises(ValueError, match=r"unknown 3GPP group .*known groups: RAN, RAN1, RAN2"):
        group(unknown)


@pytest.mark.parametrize(
    ("tdoc", "name"),
    [
        ("R1-2301234", "RAN1"),
        ("RP-230045", "RAN"),
        ("S2-2209002", "SA2"),
        ("C4-254193", "CT4"),
        ("SP-100336", "SA"),
        ("r1-100983", "RAN1"),
        (" R3\u2011247001 ", "RAN3"),  # RAN3's HTML lists use a non-breaking hyphen
        ("S4aA260090", "SA4"),  # SA4 ad hoc sub-group numbering, no hyphen
        ("R5w260200", "RAN5"),  # RAN5 workshop numbering
    ],
)
def test_group_for_tdoc(tdoc: str, name: str) -> None:
    found = group_for_tdoc(tdoc)
    assert found is not None and found.name == name


@pytest.mark.parametrize(
    "text", ["C2-123456", "R6-160001", "X9-2509715", "R1-25", "TS 23.501", "", "R1-23012345"]
)
def test_group_for_tdoc_none(text: str) -> None:
    assert group_for_tdoc(text) is None


def test_tdoc_re_finds_numbers_in_text() -> None:
    text = "Revision of noted S2-2000264 from S2#136AH. Revised in S2-2002295; see also RP-252001 and 23.501."
    assert [m.group(0) for m in TDOC_RE.finditer(text)] == ["S2-2000264", "S2-2002295", "RP-252001"]
    assert normalise_tdoc("c1-253740") == "C1-253740"
    assert normalise_tdoc("S2-2209002-23501-Correction") is None
