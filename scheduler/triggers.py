"""Schedules as written in configuration, turned into APScheduler triggers.

``every 6h`` (also ``30m``, ``2d``, ``90s``), a five-field cron expression (``0 3 * * *``), or ``off``.
"""

from __future__ import annotations

import datetime as dt
import re

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_EVERY = re.compile(r"^every\s+(\d+)\s*([smhd])$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_schedule(text: str, timezone: dt.tzinfo | str = "UTC") -> BaseTrigger | None:
    """The trigger for *text*, or None for ``off``; ValueError explains a schedule it cannot read."""
    value = text.strip()
    if value.lower() == "off":
        return None
    if m := _EVERY.match(value):
        amount = int(m.group(1))
        if amount <= 0:
            raise ValueError(f"schedule {text!r}: the interval must be positive")
        return IntervalTrigger(timezone=timezone, **{_UNITS[m.group(2).lower()]: amount})
    if len(value.split()) == 5:
        try:
            return CronTrigger.from_crontab(value, timezone=timezone)
        except ValueError as exc:
            raise ValueError(f"schedule {text!r}: {exc}") from None
    raise ValueError(f"schedule {text!r} is not 'every N[s|m|h|d]', a five-field cron expression or 'off'")
