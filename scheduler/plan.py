"""What the daemon schedules: the configured sources and the schedule of each.

A built-in source is scheduled when the configuration gives it something to follow (a 3GPP spider
with no 3GPP groups would only record a failure every few hours); feeds and listings are
configured by being listed. Naming a known source in ``schedule.sources`` with a schedule other
than ``off`` schedules it whatever else the configuration says.
"""

from __future__ import annotations

from dataclasses import dataclass

from apscheduler.triggers.base import BaseTrigger

from config import Settings
from crawlers.sources import BUILTIN, available
from scheduler.triggers import parse_schedule


def _builtin_configured(settings: Settings, name: str) -> bool:
    threegpp, ietf, portfolio = settings.threegpp, settings.ietf, settings.portfolio
    follows_3gpp = bool(threegpp.groups or threegpp.specs)
    follows_ietf = bool(ietf.groups or ietf.drafts)
    watches_patents = bool(portfolio.own or portfolio.competitors)
    rules = {
        "threegpp_meetings": bool(threegpp.groups),
        "threegpp_tdocs": bool(threegpp.groups),
        "threegpp_specs": bool(threegpp.specs),
        "threegpp_releases": follows_3gpp,
        "ietf_drafts": follows_ietf,
        "ietf_rfcindex": follows_ietf,
        "ietf_meetings": follows_ietf,
        "ietf_ipr": follows_ietf,
        "epo_ops": bool(settings.epo.client_id and settings.epo.client_secret) and watches_patents,
        "uspto_odp": settings.uspto.api_key is not None and bool(portfolio.own),
    }
    return rules.get(name, False)


def configured_sources(settings: Settings) -> list[str]:
    """The sources to schedule, in the order `sepwatch status` lists them."""
    explicit = {name for name, text in settings.schedule.sources.items() if text.strip().lower() != "off"}
    chosen = []
    for name in available(settings):
        if name in BUILTIN and not (_builtin_configured(settings, name) or name in explicit):
            continue
        chosen.append(name)
    return chosen


def unknown_scheduled_sources(settings: Settings) -> list[str]:
    """Names in ``schedule.sources`` that are no source at all (a typo, a removed feed)."""
    known = set(available(settings))
    return sorted(name for name in settings.schedule.sources if name not in known)


@dataclass(frozen=True, slots=True)
class SourceSchedule:
    source: str
    text: str  # as written in the configuration
    trigger: BaseTrigger | None  # None: off


def source_schedules(settings: Settings) -> list[SourceSchedule]:
    schedule = settings.schedule
    out = []
    for name in configured_sources(settings):
        text = schedule.sources.get(name, schedule.default)
        out.append(SourceSchedule(name, text, parse_schedule(text, schedule.timezone)))
    return out
