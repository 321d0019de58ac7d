"""Patent number normalisation shared by every office: one spelling per application or publication.

Application numbers become the office code followed by the office's own number, without
separators and without a check digit (``EP15150001``, ``US16123456``, ``CN201810012345``,
``WOCN2019123456``). Publication numbers become country + number + kind code (``EP3000000A1``).
The same application reaches sepwatch in the office's original form, in EPO docdb and epodoc
forms, and in declaration databases (ETSI ISLD uses epodoc); the rules below map those forms to one.

Application numbers, by office:

``EP``
    ``15150001.3``, ``EP 15150001``, ``EP15150001`` → ``EP15150001`` (the check digit after the dot
    is dropped). The epodoc form with a four-digit year and a padding zero, ``EP20100167109`` or
    ``20240168513``, becomes the two-digit year and the last six digits: ``EP10167109``.
``US``
    ``16/123,456``, ``16123456`` → ``US16123456``. The docdb/epodoc form with the filing year in
    front, ``201615044813``, and the epodoc provisional marker, ``US201261713164P``, lose the year
    (and the ``P``): ``US15044813``, ``US61713164``. Older docdb and epodoc numbers that dropped
    the series code (``20685698``, ``20060506842``) cannot be converted without a series table and
    are kept as given.
``CN``
    ``201810012345.6``, ``CN201810012345.6``, ``ZL201810012345.6`` and the 13-digit form with the
    check digit but no dot, ``2018100123456``, → ``CN201810012345``; the pre-2003 form
    ``98123456.X`` → ``CN98123456``. The 11-digit epodoc form that drops a zero of the serial,
    ``CN20138062258``, is padded back to 12 digits (``CN201380062258``).
``WO`` (PCT applications; any office when the text starts with ``PCT`` or ``WO``)
    ``PCT/CN2019/123456``, ``PCT/CN19/123456``, the epodoc form ``WO2019CN123456`` (year first),
    the docdb form ``CN2019123456`` (office ``WO``) and ``WOCN2019123456`` → ``WOCN2019123456``:
    receiving office, four-digit year, six-digit serial (two-digit years of 78 and above are
    19xx). A serial that a source truncated cannot be repaired.
any other office
    The office code plus the number with spaces and separators removed and a check digit after a
    final dot dropped: JP ``2019-123456`` → ``JP2019123456``.

Publication numbers: ``EP 3000000 A1``, ``EP3000000A1``, ``EP.3000000.A1`` (OPS docdb) and
``ep3000000 a1`` → ``EP3000000A1``; the kind code is kept when given and the number's digits are
kept as written (US pre-grant ``US 2016/0123456 A1`` → ``US20160123456A1``; docdb writes that one
``US2016123456A1``).
"""

from __future__ import annotations

import re

_OFFICE = re.compile(r"[A-Z]{2}")
_SEPARATORS = re.compile(r"[\s,/\-_]+")
_CHECK_DIGIT = re.compile(r"\.[0-9X]$")
_EP_EPODOC = re.compile(r"(?:19|20)(\d\d)0(\d{6})")
_US_WITH_YEAR = re.compile(r"(?:19|20)\d\d(\d{8})")
_CN_WITH_CHECK = re.compile(r"\d{12}[0-9X]|\d{8}[0-9X]")
_CN_EPODOC = re.compile(r"((?:19|20)\d\d[1-9])(\d{6})")
_WO_SLASHED = re.compile(r"(?:PCT|WO)?/?([A-Z]{2})/?(\d{4}|\d{2})/(\d{1,6})")
_WO_COMPACT = re.compile(r"(?:PCT|WO)?/?([A-Z]{2})(\d{4})(\d{1,6})")
_WO_EPODOC = re.compile(r"(?:WO)?(\d{4})([A-Z]{2})(\d{1,6})")
_PUBLICATION = re.compile(r"([A-Z]{2})([A-Z]{0,2}\d{3,})([A-Z]\d?)?")
_PUBLICATION_SEPARATORS = re.compile(r"[\s.,/\-_]+")
_OFFICE_PREFIX = re.compile(r"(PCT|[A-Z]{2})[\s./]*[A-Z]{0,2}\d")


def normalise_application(office: str, text: str) -> str:
    """The application number ``text`` of ``office`` in sepwatch's spelling (rules in the module doc).

    Raises ValueError for an office that is not a two-letter code, for an empty number, and for a
    number that carries another office's prefix (``EP`` given, ``US16123456`` written).
    """
    code = office.strip().upper()
    if not _OFFICE.fullmatch(code):
        raise ValueError(f"not a two-letter office code: {office!r}")
    raw = "".join(text.split()).upper()
    if not raw:
        raise ValueError("empty application number")
    if code == "WO" or raw.startswith(("PCT", "WO")):
        return _wo(raw, text)
    number = _SEPARATORS.sub("", raw)
    if number.startswith(code) or (code == "CN" and number.startswith("ZL")):
        number = number[2:]
    elif _OFFICE.fullmatch(number[:2]):
        raise ValueError(f"{text!r} carries the prefix {number[:2]}, not {code}")
    if _CHECK_DIGIT.search(number):
        number = number[:-2]
    number = number.replace(".", "")
    if not number:
        raise ValueError(f"no number in {text!r}")
    if code == "EP":
        if m := _EP_EPODOC.fullmatch(number):
            number = m[1] + m[2]
    elif code == "US":
        if number.endswith("P") and number[:-1].isdigit():
            number = number[:-1]
        if m := _US_WITH_YEAR.fullmatch(number):
            number = m[1]
    elif code == "CN":
        if _CN_WITH_CHECK.fullmatch(number):
            number = number[:-1]
        elif m := _CN_EPODOC.fullmatch(number):
            number = f"{m[1]}0{m[2]}"
    return code + number


def _wo(raw: str, text: str) -> str:
    if (m := _WO_SLASHED.fullmatch(raw)) or (m := _WO_COMPACT.fullmatch(raw)):
        country, year, serial = m[1], m[2], m[3]
    elif m := _WO_EPODOC.fullmatch(raw):
        year, country, serial = m[1], m[2], m[3]
    else:
        rest = _SEPARATORS.sub("", raw).removeprefix("PCT").removeprefix("WO")
        if not rest:
            raise ValueError(f"no number in {text!r}")
        return "WO" + rest
    if len(year) == 2:
        year = ("19" if int(year) >= 78 else "20") + year
    return f"WO{country}{year}{serial.zfill(6)}"


def normalise_publication(text: str) -> str:
    """``EP 3000000 A1`` / ``EP.3000000.A1`` / ``EP3000000A1`` → ``EP3000000A1`` (kind kept if given).

    Raises ValueError when ``text`` does not start with a two-letter country code followed by a number.
    """
    compact = _PUBLICATION_SEPARATORS.sub("", text.strip().upper())
    m = _PUBLICATION.fullmatch(compact)
    if m is None:
        raise ValueError(f"not a publication number: {text!r}")
    return m[1] + m[2] + (m[3] or "")


def office_of(number: str) -> str | None:
    """The office code a number starts with (``EP15150001`` → ``EP``), or None for a bare number.

    ``PCT/…`` numbers belong to ``WO``; ``ZL…`` (Chinese patent numbers) to ``CN``.
    """
    m = _OFFICE_PREFIX.match(number.strip().upper())
    if m is None:
        return None
    prefix = m[1]
    return {"PCT": "WO", "ZL": "CN"}.get(prefix, prefix)
