"""3GPP specification numbers, versions and file names, and their ETSI transpositions.

* A version is ``x.y.z``: ``x`` is the Release once the spec is under change control (x ≥ 3; x = 3
  is Release 1999), 1 or 2 for drafts presented to the TSG; ``y`` counts technical changes, ``z``
  editorial ones.
* A spec file on the FTP server is the spec number without the dot, a hyphen, then the version in
  three base-36 characters (``38331-i40.zip`` = TS 38.331 V18.4.0, ``a`` = 10 … ``z`` = 35), or in
  six decimal digits, two per part, when a part exceeds 35 (``24229-083700`` = V8.37.0). Multi-part
  specs keep their part number: ``36521-1-h20.zip`` = TS 36.521-1 V17.2.0.
* ETSI publishes each 3GPP spec of series 21 to 55 as ETSI TS/TR ``1SS NNN``: 3GPP TS 36.300 is
  ETSI TS 136 300, 3GPP TS 44.018 is ETSI TS 144 018.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True, slots=True)
class SpecFile:
    spec: str  # "38.331", "36.521-1"
    version: str  # "18.4.0"
    release: int  # 18; 99 for Release 1999 (version 3.y.z); 0 for a draft (version 1.y.z or 2.y.z)


_FILE_NAME = re.compile(
    r"^(?P<series>\d{2})(?P<number>\d{3})(?P<part>(?:-\d{1,2})*)-(?P<version>[0-9a-z]{3}|\d{6})(?:\.(?:zip|docx|doc))?$",
    re.IGNORECASE,
)
_VERSION = re.compile(r"^\s*[vV]?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\s*$")
_SPEC = re.compile(
    r"(?<![\d.])(?:(?:3GPP\s*)?T[SR]\s*)?(?P<series>\d{2})\.?(?P<number>\d{3})(?P<part>(?:-\d{1,2})*)(?![\d.]*\d)",
    re.IGNORECASE,
)
_ETSI = re.compile(
    r"(?<!\d)(?:ETSI\s+)?(?:(?:TS|TR|EN|ES|EG|SR|GS|GR)\s+)?1(?P<series>\d{2})\s?(?P<number>\d{3})(?P<part>(?:-\d{1,2})*)(?!\d)",
    re.IGNORECASE,
)


def decode_spec_filename(name: str) -> SpecFile | None:
    """``38331-i40.zip`` → SpecFile("38.331", "18.4.0", 18); None for a name that is not a spec file."""
    base = name.strip().replace("\\", "/").rpartition("/")[2]
    match = _FILE_NAME.match(base)
    if match is None:
        return None
    code = match["version"].lower()
    if len(code) == 6:
        parts = (int(code[0:2]), int(code[2:4]), int(code[4:6]))
    else:
        parts = (_BASE36.index(code[0]), _BASE36.index(code[1]), _BASE36.index(code[2]))
    version = ".".join(str(p) for p in parts)
    spec = f"{match['series']}.{match['number']}{match['part']}"
    return SpecFile(spec=spec, version=version, release=release_of(version))


def release_of(version: str) -> int:
    """The Release a version belongs to: 18 for "18.4.0", 99 for "3.5.0" (Release 1999), 0 for a
    draft (1.y.z, 2.y.z)."""
    major = version_key(version)[0]
    if major >= 4:
        return major
    return 99 if major == 3 else 0


def encode_version(version: str) -> str:
    """File-name code of a version: "18.4.0" → "i40"; "8.37.0" → "083700" (six digits once a part
    is 36 or more)."""
    parts = version_key(version)
    if all(p < 36 for p in parts):
        return "".join(_BASE36[p] for p in parts)
    if any(p > 99 for p in parts):
        raise ValueError(f"version {version!r} has a part above 99: no 3GPP file name can carry it")
    return "".join(f"{p:02d}" for p in parts)


def version_key(version: str) -> tuple[int, int, int]:
    """Sort key of a version: "18.10.0" → (18, 10, 0), so 18.10.0 sorts after 18.9.0."""
    match = _VERSION.match(version)
    if match is None:
        raise ValueError(f"not a 3GPP version x.y.z: {version!r}")
    return int(match[1]), int(match[2]), int(match[3])


def spec_number(text: str) -> str | None:
    """The 3GPP spec number in "TS 38.331", "38331", "38.331", "3GPP TS 38.331 V18.4.0", "TR 36.521-1"
    as "38.331" / "36.521-1"; None when there is none. ETSI numbers ("136 300") are not accepted
    here: use :func:`etsi_to_3gpp`."""
    match = _SPEC.search(text.strip())
    if match is None:
        return None
    return f"{match['series']}.{match['number']}{match['part']}"


def etsi_to_3gpp(deliverable: str) -> str | None:
    """The 3GPP spec an ETSI deliverable transposes: "ETSI TS 136 300" / "TS 136 300" / "136300" →
    "36.300"; "ETSI TS 136 521-1" → "36.521-1".

    The rule: an ETSI number ``1SS NNN`` with ``SS`` in 21..55 (the 3GPP series, including the GSM
    series 41-55 that 3GPP maintains) is 3GPP ``SS.NNN``. Its limits: ETSI's own 101/102/103 series
    (e.g. TS 102 221, written by ETSI SCP, not 3GPP) and the pre-3GPP GSM deliverables (GTS, EN 300
    9xx) give None; the mapping says which spec, not which version or Release (the ETSI version
    V15.8.0 matches 3GPP V15.8.0 by convention, but that is not checked here).
    """
    match = _ETSI.search(deliverable.strip())
    if match is None:
        return None
    series = int(match["series"])
    if not 21 <= series <= 55:
        return None
    return f"{match['series']}.{match['number']}{match['part']}"
