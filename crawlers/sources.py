"""The sources a user can crawl by name: the built-in spiders and the configured feeds and listings."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from config import Settings

# Built-in spiders: module crawlers.spiders.<name>, class attribute ``name`` equal to it.
BUILTIN = (
    "threegpp_meetings",
    "threegpp_tdocs",
    "threegpp_specs",
    "threegpp_releases",
    "ietf_drafts",
    "ietf_rfcindex",
    "ietf_meetings",
    "ietf_ipr",
    "epo_ops",
    "uspto_odp",
)


class UnknownSource(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class SourceSpec:
    name: str
    module: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def spider_class(self) -> type[Any]:
        module = importlib.import_module(f"crawlers.spiders.{self.module}")
        return module.Spider  # type: ignore[no-any-return]


def available(settings: Settings) -> list[str]:
    return [*BUILTIN, *(f.name for f in settings.feeds), *(lst.name for lst in settings.listings)]


def resolve(settings: Settings, name: str) -> SourceSpec:
    if name in BUILTIN:
        return SourceSpec(name, name)
    for feed in settings.feeds:
        if feed.name == name:
            return SourceSpec(name, "generic_feed", {"feed": feed})
    for listing in settings.listings:
        if listing.name == name:
            return SourceSpec(name, "generic_listing", {"listing": listing})
    raise UnknownSource(f"no source named {name!r}; sources: {', '.join(available(settings))}")
