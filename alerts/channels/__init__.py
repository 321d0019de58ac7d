"""Delivery channels: email (SMTP), IM through Apprise URLs, and a generic JSON webhook.

``build_channels(settings)`` gives every configured channel by name ("email" when smtp.host is
set). A channel that cannot be built (URL variable unset, URL Apprise cannot use) does not stop
the others: it is returned as an :class:`UnavailableChannel` whose sends fail (retryably, so the
messages wait in the outbox until the configuration is fixed) with the reason; ``strict=True``
raises instead, naming every broken channel.
"""

from __future__ import annotations

import logging

from alerts.channels.base import (
    Channel,
    DeliveryError,
    Message,
    RateLimiter,
    part_marker,
    split_message,
)
from config.schema import ChannelSettings, Settings

log = logging.getLogger(__name__)

__all__ = [
    "Channel",
    "DeliveryError",
    "Message",
    "RateLimiter",
    "UnavailableChannel",
    "build_channel",
    "build_channels",
    "part_marker",
    "split_message",
]


class UnavailableChannel:
    """Stands in for a channel whose configuration is broken; every send fails with the reason."""

    kind = "unavailable"
    max_bytes = 1_000_000
    rate_per_minute = 60

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def send(self, message: Message, address: str | None = None) -> None:
        raise DeliveryError(f"channel {self.name!r} is not usable: {self.reason}", retryable=True)


def build_channel(config: ChannelSettings) -> Channel:
    """The channel one ``channels:`` entry describes; ValueError naming the channel if it is unusable."""
    from alerts.channels.im import AppriseChannel
    from alerts.channels.webhook import WebhookChannel

    url = config.resolved_url()
    try:
        if config.type == "webhook":
            return WebhookChannel(
                config.name,
                url,
                secret=config.secret.get_secret_value() if config.secret else None,
                max_bytes=config.max_bytes,
                rate_per_minute=config.rate_per_minute,
            )
        return AppriseChannel(
            config.name, url, max_bytes=config.max_bytes, rate_per_minute=config.rate_per_minute
        )
    except ValueError as exc:
        message = str(exc)
        if not message.startswith("channel "):
            message = f"channel {config.name!r}: {message}"
        raise ValueError(message) from None


def build_channels(settings: Settings, *, strict: bool = False) -> dict[str, Channel]:
    """Every configured channel by name: "email" (when smtp.host is set) and each of ``channels``."""
    from alerts.channels.email import EmailChannel

    channels: dict[str, Channel] = {}
    problems: list[str] = []
    if settings.smtp.host:
        try:
            channels["email"] = EmailChannel(settings.smtp)
        except ValueError as exc:
            problems.append(f"email: {exc}")
            channels["email"] = UnavailableChannel("email", str(exc))
    for config in settings.channels:
        if config.name in channels:
            problems.append(f'channel {config.name!r}: the name is taken ("email" is the SMTP channel)')
            continue
        try:
            channels[config.name] = build_channel(config)
        except ValueError as exc:
            problems.append(str(exc))
            channels[config.name] = UnavailableChannel(config.name, str(exc))
    if problems:
        if strict:
            raise ValueError("; ".join(problems))
        for problem in problems:
            log.error("%s", problem)
    return channels
