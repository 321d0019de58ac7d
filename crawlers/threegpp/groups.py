"""The 3GPP Technical Specification Groups and Working Groups sepwatch crawls, and TDoc numbers.

Each group has a dynareport code (``R1`` → ``www.3gpp.org/dynareport?code=Meetings-R1.htm``), a
directory under ``www.3gpp.org/ftp/`` and a TDoc prefix (``R1-2301234``). The directory names are
free text chosen by MCC long ago, not official identifiers; the ones below are those the FTP server
uses (checked against several independent public tools that crawl it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Group:
    name: str  # "RAN1"
    code: str  # dynareport code, "R1"
    tsg: str  # "ran" | "sa" | "ct"
    ftp_dir: str  # "tsg_ran/WG1_RL1", relative to https://www.3gpp.org/ftp/
    tdoc_prefix: str  # "R1"


GROUPS: tuple[Group, ...] = (
    Group("RAN", "RP", "ran", "tsg_ran/TSG_RAN", "RP"),
    Group("RAN1", "R1", "ran", "tsg_ran/WG1_RL1", "R1"),
    Group("RAN2", "R2", "ran", "tsg_ran/WG2_RL2", "R2"),
    Group("RAN3", "R3", "ran", "tsg_ran/WG3_Iu", "R3"),
    Group("RAN4", "R4", "ran", "tsg_ran/WG4_Radio", "R4"),
    Group("RAN5", "R5", "ran", "tsg_ran/WG5_Test_ex-T1", "R5"),
    Group("SA", "SP", "sa", "tsg_sa/TSG_SA", "SP"),
    Group("SA1", "S1", "sa", "tsg_sa/WG1_Serv", "S1"),
    Group("SA2", "S2", "sa", "tsg_sa/WG2_Arch", "S2"),
    Group("SA3", "S3", "sa", "tsg_sa/WG3_Security", "S3"),
    Group("SA4", "S4", "sa", "tsg_sa/WG4_CODEC", "S4"),
    Group("SA5", "S5", "sa", "tsg_sa/WG5_TM", "S5"),
    Group("SA6", "S6", "sa", "tsg_sa/WG6_MissionCritical", "S6"),
    Group("CT", "CP", "ct", "tsg_ct/TSG_CT", "CP"),
    Group("CT1", "C1", "ct", "tsg_ct/WG1_mm-cc-sm_ex-CN1", "C1"),
    Group("CT3", "C3", "ct", "tsg_ct/WG3_interworking_ex-CN3", "C3"),
    Group("CT4", "C4", "ct", "tsg_ct/WG4_protocollars_ex-CN4", "C4"),
    Group("CT6", "C6", "ct", "tsg_ct/WG6_Smartcard_Ex-T3", "C6"),
)

# A TDoc number: the group prefix, then either "-" or a sub-group tag written without the hyphen
# (SA4 ad hoc "S4aA260090", RAN5 workshop "R5w260200", SA3-LI "S3i250001"), then 6 digits (plenaries
# and pre-2019 WGs: "RP-230045", "C4-254193", "R1-100983") or 7 digits (WGs since 2019: "R1-2301234").
# The prefixes cover every RAN, SA and CT group, closed ones too (RAN6, CT2, CT5), so their numbers
# still parse; group_for_tdoc() only knows the groups above. GERAN ("GP-") and pre-2005 CN/T groups
# ("N1-", "T2-") are not covered.
TDOC_RE = re.compile(
    r"(?<![A-Za-z0-9])(?P<prefix>[RSC][1-6P])(?:-|(?P<sub>[a-z][A-Za-z]?))(?P<number>\d{6,7})(?!\d)"
)

_BY_KEY: dict[str, Group] = {key: g for g in GROUPS for key in (g.name, g.code)}

_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-"})
_NOISE = re.compile(r"[\s_\-#.]+")


def group(name: str) -> Group:
    """The group called ``name``: "RAN1", "R1", "ran1", "RAN WG1", "TSG RAN WG1", "SA", "SP", "CT WG4"."""
    key = _NOISE.sub("", name.upper())
    key = key.removeprefix("3GPP").removeprefix("TSG")
    key = key.replace("WG", "")
    found = _BY_KEY.get(key)
    if found is None:
        known = ", ".join(g.name for g in GROUPS)
        raise ValueError(
            f"unknown 3GPP group {name!r}; known groups: {known} (or their codes RP, R1, SP, S2, CP, C1, …)"
        )
    return found


def normalise_tdoc(text: str) -> str | None:
    """``text`` as a TDoc number ("r1-2301234 " → "R1-2301234"), or None when it is not one."""
    candidate = text.strip().translate(_DASHES)
    if len(candidate) >= 2:
        candidate = candidate[:2].upper() + candidate[2:]
    match = TDOC_RE.fullmatch(candidate)
    return match.group(0) if match else None


def group_for_tdoc(tdoc: str) -> Group | None:
    """The group that issued ``tdoc`` ("R1-2301234" → RAN1, "RP-230045" → RAN), None if unknown."""
    number = normalise_tdoc(tdoc)
    if number is None:
        return None
    return _BY_KEY.get(number[:2])
