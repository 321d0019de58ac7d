"""Who gets an alert, on which channels, and why.

People and teams come from the settings. A recipient gets an alert when they (or a team they are in)
own the claim map it concerns, follow its patent, spec or group, follow the portfolio (own or all
watched patents) for status changes and deadlines, or follow source health. Each delivery says why
(``owner of claim map CN112345678A via team ip-wireless``).

Channels: a person gets email (when they have an address and ``smtp.host`` is set) and their own IM
channels; a team gets its channels (its group chats). A person in two teams that both get the alert
gets one message per channel, and an IM channel named by a team and by a person gets one message:
one delivery per alert × channel (× address for email), carrying every reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from config import Settings
from config.schema import FollowSettings
from index.alerts import Delivery

EMAIL = "email"
TEAM_PREFIX = "team:"

Why = Literal["owner", "patent", "spec", "group", "body", "portfolio", "sources"]


@dataclass(frozen=True, slots=True)
class Subject:
    """What an alert is about, as far as routing is concerned."""

    patents: frozenset[str] = frozenset()  # claim-map patent, family, applications, publications
    claim_map: str | None = None
    owners: tuple[str, ...] = ()
    specs: frozenset[str] = frozenset()  # spec keys (see spec_key)
    groups: frozenset[str] = frozenset()  # group keys (see group_key)
    body: str | None = None  # a milestone of a whole body (a release freeze): followers of its groups
    portfolio: bool = False  # a status change or deadline: portfolio followers get it
    own: bool = False  # … of an own application
    sources: bool = False  # source health


@dataclass(frozen=True, slots=True)
class Reason:
    why: Why
    what: str
    via: str | None = None  # the team through which a person gets it

    def text(self) -> str:
        base = {
            "owner": f"owner of claim map {self.what}",
            "patent": f"follows patent {self.what}",
            "spec": f"follows spec {self.what}",
            "group": f"follows group {self.what}",
            "body": f"follows {self.what}",
            "portfolio": f"follows the portfolio ({self.what})",
            "sources": "follows source health",
        }[self.why]
        return f"{base} via team {self.via}" if self.via else base

    def as_dict(self) -> dict[str, Any]:
        return {"why": self.why, "what": self.what, "via": self.via}


def spec_key(text: str) -> str:
    """One spelling per spec: "3GPP TS 38.331", "TS 38.331", "38331" → "38.331"; "RFC 9000" → "rfc 9000"."""
    from crawlers.threegpp.versions import spec_number

    number = spec_number(text)
    if number:
        return number
    return " ".join(text.split()).casefold()


def group_key(text: str) -> str:
    """One spelling per group: "R2", "RAN WG2", "ran2" → "ran2"; other bodies' groups casefolded."""
    from crawlers.threegpp.groups import group

    try:
        return group(text).name.casefold()
    except ValueError:
        return " ".join(text.split()).casefold()


def body_of(text: str, *, spec: bool) -> str | None:
    """The standards body a followed group or spec belongs to (3GPP or IETF), when recognisable."""
    from crawlers.threegpp.groups import group
    from crawlers.threegpp.versions import spec_number

    folded = text.strip().casefold()
    if spec:
        if spec_number(text):
            return "3GPP"
        return "IETF" if folded.startswith(("rfc", "draft-")) else None
    try:
        group(text)
        return "3GPP"
    except ValueError:
        return "IETF" if re.fullmatch(r"[a-z][a-z0-9-]{1,30}", folded) else None


_CHECK_DIGIT = re.compile(r"\.[0-9X]$")


def patent_key(text: str) -> str:
    """Numbers compared without spaces, punctuation or a CN check digit: "CN 202310123456.1" → "CN202310123456"."""
    return re.sub(r"[\s,/-]", "", _CHECK_DIGIT.sub("", text.strip().upper()))


def names_patent(given: str, number: str) -> bool:
    """Whether the number ``given`` names ``number``: equal, or the same publication without its
    kind code ("EP3000000" names "EP3000000A1")."""
    wanted, key = patent_key(given), patent_key(number)
    return key == wanted or (
        key.startswith(wanted) and re.fullmatch(r"[A-Z]\d?", key[len(wanted) :]) is not None
    )


def _patent_followed(followed: str, subject: frozenset[str]) -> bool:
    return any(names_patent(followed, number) for number in subject)


def reasons_for(name: str, follows: FollowSettings, subject: Subject) -> list[Reason]:
    """Why the person or team ``name`` (with ``follows``) should get an alert about ``subject``."""
    out: list[Reason] = []
    if subject.claim_map and name in subject.owners:
        out.append(Reason("owner", subject.claim_map))
    for number in follows.patents:
        if _patent_followed(number, subject.patents):
            out.append(Reason("patent", number))
    for spec in follows.specs:
        if spec_key(spec) in subject.specs:
            out.append(Reason("spec", spec))
    for group in follows.groups:
        if group_key(group) in subject.groups:
            out.append(Reason("group", group))
    if subject.body and not subject.groups:
        followed = [(g, False) for g in follows.groups] + [(s, True) for s in follows.specs]
        for what, is_spec in followed:
            if body_of(what, spec=is_spec) == subject.body:
                out.append(Reason("body", f"{subject.body} {'spec' if is_spec else 'group'} {what}"))
                break
    if subject.portfolio and (follows.portfolio == "all" or (follows.portfolio == "own" and subject.own)):
        out.append(Reason("portfolio", "all watched patents" if follows.portfolio == "all" else "own"))
    if subject.sources and follows.sources:
        out.append(Reason("sources", "all"))
    return out


@dataclass(slots=True)
class _Pending:
    recipient: str
    channel: str
    mode: str
    language: str
    address: str | None
    reasons: list[Reason] = field(default_factory=list)

    def add(self, reasons: Iterable[Reason]) -> None:
        for reason in reasons:
            if reason not in self.reasons:
                self.reasons.append(reason)

    def delivery(self) -> Delivery:
        payload: dict[str, Any] = {
            "language": self.language,
            "reasons": [r.as_dict() for r in self.reasons],
        }
        if self.address:
            payload["address"] = self.address
        return Delivery(
            recipient=self.recipient,
            channel=self.channel,
            mode=self.mode,
            reason="; ".join(r.text() for r in self.reasons),
            payload=payload,
        )


class Router:
    """Routes alerts by the people and teams of ``settings``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.email = bool(settings.smtp.host)

    def route(self, subject: Subject) -> list[Delivery]:
        team_reasons = {t.name: reasons_for(t.name, t.follows, subject) for t in self.settings.teams}
        by_destination: dict[tuple[str, str], _Pending] = {}

        def put(
            recipient: str, channel: str, mode: str, language: str, address: str | None, why: list[Reason]
        ) -> None:
            destination = (channel, (address or "").casefold())
            pending = by_destination.get(destination)
            if pending is None:
                pending = by_destination[destination] = _Pending(recipient, channel, mode, language, address)
            pending.add(why)

        for team in self.settings.teams:
            why = team_reasons[team.name]
            if why:
                for channel in team.channels:
                    put(f"{TEAM_PREFIX}{team.name}", channel, team.delivery, team.language, None, why)
        for person in self.settings.people:
            why = reasons_for(person.name, person.follows, subject)
            for team_name in person.teams:
                why.extend(Reason(r.why, r.what, team_name) for r in team_reasons.get(team_name, []))
            if not why:
                continue
            if person.email and self.email:
                put(person.name, EMAIL, person.delivery, person.language, person.email, why)
            for channel in person.channels:
                put(person.name, channel, person.delivery, person.language, None, why)
        return [p.delivery() for p in by_destination.values()]


def recipients(deliveries: Sequence[Delivery]) -> list[str]:
    return sorted({d.recipient for d in deliveries})
