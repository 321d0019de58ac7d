"""IETF document names: draft name and revision, RFC numbers, and the Internet-Draft lifetime.

Drafts are named ``draft-<who>-<topic>-NN`` where ``NN`` is the two-digit revision; the
Datatracker sets a revision to expire ``INTERNET_DRAFT_DAYS_TO_EXPIRE`` (185) days after it was
submitted. RFCs are written ``RFC 8089`` here, whatever form the source used (``rfc8089``,
``RFC8089``, ``RFC08089``).
"""

from __future__ import annotations

import datetime as dt
import re

DRAFT_LIFETIME_DAYS = 185
"""Datatracker ``INTERNET_DRAFT_DAYS_TO_EXPIRE`` (FACTS.md §4); the boilerplate says six months."""

_EXTENSION = re.compile(r"\.(?:txt|xml|html?|pdf|ps|json|md)$", re.IGNORECASE)
_DRAFT = re.compile(r"(?P<name>draft-[a-z0-9][a-z0-9._+-]*?)(?:-(?P<rev>\d{2}))?", re.IGNORECASE)
_RFC = re.compile(r"rfc[\s_-]?0*(?P<number>[1-9]\d{0,4})", re.IGNORECASE)


def split_draft_name(name: str) -> tuple[str, str | None]:
    """``"draft-ietf-quic-transport-34"`` → ``("draft-ietf-quic-transport", "34")``.

    A directory part and a file extension (``.txt``, ``.xml``…) are ignored; a name without a
    revision gives ``(name, None)``. Names are lower-cased, as the Datatracker stores them.
    Anything that is not a draft name comes back stripped with ``None``.
    """
    base = _basename(name)
    m = _DRAFT.fullmatch(base)
    if m is None:
        return base, None
    return m["name"].lower(), m["rev"]


def rfc_number(text: str) -> str | None:
    """``"rfc8089"``, ``"RFC 8089"``, ``"RFC8089"``, ``"RFC0793"``, ``"rfc8089.txt"`` → ``"RFC 8089"``
    (``"RFC 793"``); anything else → None."""
    m = _RFC.fullmatch(_basename(text))
    return f"RFC {int(m['number'])}" if m else None


def expiry(submitted: dt.date | dt.datetime) -> dt.date:
    """The day a draft revision submitted at ``submitted`` expires (185 days later).

    An aware datetime is taken in UTC, the Datatracker's clock; a naive one as it is.
    """
    if isinstance(submitted, dt.datetime):
        if submitted.tzinfo is not None:
            submitted = submitted.astimezone(dt.UTC)
        return (submitted + dt.timedelta(days=DRAFT_LIFETIME_DAYS)).date()
    return submitted + dt.timedelta(days=DRAFT_LIFETIME_DAYS)


def _basename(name: str) -> str:
    base = name.strip().replace("\\", "/").rsplit("/", 1)[-1]
    return _EXTENSION.sub("", base)


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}


def month_number(text: str) -> int | None:
    """``"December"``, ``"Dec"``, ``"dec."`` or ``"12"`` → 12; anything else → None."""
    text = text.strip().rstrip(".").lower()
    if text.isdigit():
        value = int(text)
        return value if 1 <= value <= 12 else None
    return _MONTHS.get(text)
