"""Declarations checked against claim maps and legal status.

Three findings a licensing team acts on: a declared patent whose application lapsed, was withdrawn
or abandoned; a mapped patent (a claim map exists) that no declaration names; and a declaration
of a specification whose latest stored version no longer contains a clause the claims are mapped to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crawlers.threegpp.build import spec_label
from crawlers.threegpp.versions import spec_number
from index import matches as records
from index import patents
from index.models import Patent
from index.store import Store
from matcher.claimmap import ClaimMap

# Status texts and event codes that mean the right is gone or going (office texts vary).
_DEAD_TEXT = re.compile(
    r"withdrawn|lapsed|abandon|revoked|expired|refused|deemed to be withdrawn|视为撤回|终止|驳回|失效|撤回",
    re.IGNORECASE,
)
_DEAD_CODES = frozenset({"ABN", "ABN2", "ABNF", "200022", "200702"})


@dataclass(slots=True)
class Finding:
    kind: str  # declared-but-dead | mapped-not-declared | declared-clause-gone
    patent: str
    detail: str
    declaration: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "patent": self.patent,
            "detail": self.detail,
            "declaration": self.declaration,
        }


def _numbers(cm: ClaimMap) -> set[str]:
    return {cm.patent, *cm.family}


def check(store: Store, maps: Sequence[ClaimMap]) -> list[Finding]:
    findings: list[Finding] = []
    declarations = patents.declarations(store)
    stored = patents.patents(store)
    by_number: dict[str, Patent] = {}
    for p in stored:
        by_number[p.application] = p
        for pub in p.publications:
            by_number[pub] = p
    events: dict[str, list[Any]] = {}
    for e in patents.events(store):
        events.setdefault(e.application, []).append(e)

    for d in declarations:
        for number in d.patents:
            found = by_number.get(number)
            if found is None:
                continue
            p = found
            dead = [
                e for e in events.get(p.application, []) if e.code in _DEAD_CODES or _DEAD_TEXT.search(e.text)
            ]
            if (p.status and _DEAD_TEXT.search(p.status)) or dead:
                reason = p.status or f"{dead[-1].code} {dead[-1].date}: {dead[-1].text}"
                findings.append(Finding("declared-but-dead", number, f"{p.application}: {reason}", d.key))
                break

    declared_numbers = {n for d in declarations for n in d.patents}
    for cm in maps:
        numbers = _numbers(cm)
        stored_pubs = {
            pub for n in numbers if (q := by_number.get(n)) for pub in [q.application, *q.publications]
        }
        if not (numbers | stored_pubs) & declared_numbers and not any(
            n.startswith(x) or x.startswith(n) for n in numbers for x in declared_numbers
        ):
            findings.append(
                Finding("mapped-not-declared", cm.patent, "a claim map exists but no declaration names it")
            )

    for cm in maps:
        numbers = _numbers(cm)
        covering = [d for d in declarations if numbers & set(d.patents)]
        for d in covering:
            declared_specs = {spec_number(s) for s in d.specs} - {None}
            for claim in cm.claims:
                for feature in claim.features:
                    for mapping in feature.maps_to:
                        spec = spec_number(mapping.spec)
                        if spec is None or spec not in declared_specs:
                            continue
                        label = spec_label(spec)
                        versions = records.latest_spec_versions(store, label)
                        if not versions:
                            continue
                        latest = versions[-1]
                        numbers_in = {s.number for s in records.sections_of(store, latest.id)}
                        if mapping.clause not in numbers_in:
                            findings.append(
                                Finding(
                                    "declared-clause-gone",
                                    cm.patent,
                                    f"{label} v{latest.label or latest.seq} has no clause {mapping.clause} "
                                    f"(claim {claim.number}, feature {feature.id})",
                                    d.key,
                                )
                            )
    return findings
