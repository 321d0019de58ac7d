"""What every delivery channel shares: the message, the error, the protocol, splitting and pacing.

A channel delivers one :class:`Message` and returns only when the service accepted it; anything
else raises :class:`DeliveryError`, whose ``retryable`` tells the relay whether to try again later
(network down, 4xx SMTP reply, HTTP 5xx/429, rate limited) or to give up (unknown mailbox, revoked
webhook, bad signature). The relay splits long bodies with :func:`split_message` under the
channel's ``max_bytes`` and paces sends with one :class:`RateLimiter` per channel.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True, slots=True)
class Message:
    """One message as every channel sees it; the renderer fills it, the channels only carry it."""

    subject: str  # one line; email Subject, IM title
    text: str  # plain text (email text part; webhook)
    markdown: str  # IM body (DingTalk/WeCom/Feishu/Slack/Teams markdown); may equal text
    html: str | None  # email HTML part (already escaped by the renderer)
    thread: str  # "patent:EP3000000" | "spec:TS 38.331" | "source:NAME": email threading
    key: str  # the outbox row's dedupe_key: stable Message-ID seed, dedupe header for webhooks
    language: str = "en"
    data: dict[str, Any] = field(default_factory=dict)  # structured payload (webhook JSON body carries it)


class DeliveryError(Exception):
    """A message was not accepted. ``retryable`` False: sending it again will fail the same way.

    ``retry_after`` (seconds) is the service's own wish (HTTP Retry-After, DingTalk's ten-minute
    block after its rate limit); the relay waits at least that long.
    """

    def __init__(self, reason: str, *, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"DeliveryError({self.reason!r}, retryable={self.retryable}, retry_after={self.retry_after})"


@runtime_checkable
class Channel(Protocol):
    name: str  # "email" or the configured channel name
    kind: str  # email | dingtalk | wecom | feishu | slack | teams | webhook | apprise
    max_bytes: int  # longest body (UTF-8 bytes); the relay splits longer ones before send
    rate_per_minute: int

    def send(self, message: Message, address: str | None) -> None:
        """Deliver; ``address`` is the email address for "email", None for IM. Raises DeliveryError."""
        ...


def digest_id(seed: str, length: int = 32) -> str:
    """A stable hex identifier for ``seed`` (Message-ID, References, calendar UIDs)."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:length]


# --- splitting ---------------------------------------------------------------------------------


def part_marker(index: int, count: int) -> str:
    """The marker appended to part ``index`` (1-based) of ``count``: a blank line and "(i/n)"."""
    return f"\n\n({index}/{count})"


_PARAGRAPH = re.compile(r"\n[ \t]*\r?\n")
_SENTENCE = re.compile(r"[.!?]+[)\"'\]]*[ \t]+|[。！？；…]+[”」』）)]*")
_SPACE = re.compile(r"\s+")


def split_message(body: str, max_bytes: int) -> list[str]:
    """Split ``body`` into parts of at most ``max_bytes`` UTF-8 bytes each, marker included.

    A body that fits is returned whole, without marker. Otherwise every part ends with
    :func:`part_marker` ("(i/n)"); removing the markers and joining the parts gives ``body``
    back exactly. Cuts fall after a paragraph break if one lies in the second half of the part,
    else after a line break, else after a sentence end (Latin or CJK punctuation), else at a
    space, else between two characters — never inside a character, between a base character and
    its combining marks or joiners, or between CR and LF.
    """
    encoded_size = len(body.encode("utf-8"))
    if encoded_size <= max_bytes:
        return [body]
    # offsets[i] = UTF-8 size of body[:i]; lets each cut be found by bisection.
    offsets = [0]
    for char in body:
        offsets.append(offsets[-1] + len(char.encode("utf-8")))
    count = 2
    while True:
        budget = max_bytes - len(part_marker(count, count).encode("utf-8"))
        if budget < 4:
            raise ValueError(f"max_bytes={max_bytes} leaves no room for text beside the part marker")
        cuts = _cut_points(body, offsets, budget)
        # The markers' width depends on the number of parts: the room kept for "(n/n)" must suffice.
        if len(str(len(cuts))) <= len(str(count)):
            break
        count = len(cuts)
    parts: list[str] = []
    start = 0
    total = len(cuts)
    for index, end in enumerate(cuts, start=1):
        parts.append(body[start:end] + part_marker(index, total))
        start = end
    return parts


def _cut_points(body: str, offsets: list[int], budget: int) -> list[int]:
    """End indexes (exclusive) of consecutive pieces of ``body``, each at most ``budget`` bytes."""
    cuts: list[int] = []
    start = 0
    length = len(body)
    while start < length:
        # The furthest end whose piece fits in budget bytes.
        limit = bisect.bisect_right(offsets, offsets[start] + budget) - 1
        if limit >= length:
            cuts.append(length)
            break
        end = _best_cut(body, start, limit, offsets, budget)
        cuts.append(end)
        start = end
    return cuts


def _best_cut(body: str, start: int, limit: int, offsets: list[int], budget: int) -> int:
    window = body[start:limit]
    half = offsets[start] + budget // 2
    for pattern in (_PARAGRAPH, _NEWLINE, _SENTENCE, _SPACE):
        end = None
        for match in pattern.finditer(window):
            end = start + match.end()
        if end is not None and offsets[end] >= half and _can_cut(body, end):
            return end
    end = limit
    while end > start + 1 and not _can_cut(body, end):
        end -= 1
    return end


_NEWLINE = re.compile(r"\n")
_JOINERS = {"\u200d", "\u200c", "\u034f"}


def _can_cut(body: str, index: int) -> bool:
    """Whether a cut before ``body[index]`` keeps every character cluster whole."""
    if index <= 0 or index >= len(body):
        return True
    before, after = body[index - 1], body[index]
    if before == "\r" and after == "\n":
        return False
    if before in _JOINERS or after in _JOINERS:
        return False
    if unicodedata.combining(after) or unicodedata.category(after) in ("Mn", "Me"):
        return False
    # Variation selectors, emoji skin-tone modifiers and tag characters belong to the character before.
    code = ord(after)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or 0x1F3FB <= code <= 0x1F3FF:
        return False
    if 0xE0020 <= code <= 0xE007F:
        return False
    if _is_regional(before) and _is_regional(after):
        # Flags are pairs of regional indicators: cut only after an even run of them.
        run = 0
        while index - run - 1 >= 0 and _is_regional(body[index - run - 1]):
            run += 1
        return run % 2 == 0
    return True


def _is_regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


# --- pacing ------------------------------------------------------------------------------------


class RateLimiter:
    """A token bucket: ``rate_per_minute`` tokens a minute, at most ``burst`` saved up.

    ``burst`` defaults to 1, which spaces sends evenly (DingTalk counts 20 a minute and blocks the
    robot for ten minutes past that; a fuller bucket would let 2x the rate through in a minute).
    ``take`` always records the send — even one made before ``delay`` reached 0 — so the next
    delay accounts for it. Thread-safe; uses a monotonic clock (injectable for tests).
    """

    def __init__(
        self,
        rate_per_minute: int,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_minute < 1:
            raise ValueError(f"rate_per_minute must be at least 1, not {rate_per_minute}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst}")
        self.rate_per_minute = rate_per_minute
        self.burst = burst
        self._interval = 60.0 / rate_per_minute  # seconds per token
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        self._tokens = min(float(self.burst), self._tokens + elapsed / self._interval)

    def delay(self) -> float:
        """Seconds until the next send is allowed (0 = now); does not consume."""
        with self._lock:
            self._refill()
            if self._tokens >= 1.0:
                return 0.0
            return (1.0 - self._tokens) * self._interval

    def take(self) -> None:
        """Consume one token (the bucket may go into debt; later delays grow accordingly)."""
        with self._lock:
            self._refill()
            self._tokens -= 1.0

    def try_take(self) -> float:
        """Consume a token if one is there and return 0; else return the delay, consuming nothing."""
        with self._lock:
            self._refill()
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) * self._interval


# --- helpers shared by the channel modules -----------------------------------------------------


def truncate_bytes(text: str, max_bytes: int, ellipsis: str = "…") -> str:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes on a character boundary, with an ellipsis."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    room = max_bytes - len(ellipsis.encode("utf-8"))
    cut = text.encode("utf-8")[: max(room, 0)].decode("utf-8", errors="ignore")
    return cut + ellipsis


def snippet(text: str, limit: int = 300) -> str:
    """A one-line, bounded excerpt of a remote answer, for error reasons and logs."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent/unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def redact(text: str, secrets: set[str]) -> str:
    """``text`` with every secret (longest first) replaced by ***."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def url_secrets(url: str) -> set[str]:
    """Pieces of ``url`` that may be credentials, to keep them out of error reasons: user, password,
    a host that is not a DNS name (tokens stand there: wecombot://KEY), path segments, and query
    values named like credentials or long enough to be one."""
    parts = urlsplit(url.strip())
    found = {parts.username or "", parts.password or ""}
    if parts.hostname and "." not in parts.hostname:
        found.add(parts.hostname)
    found.update(unquote(p) for p in parts.path.split("/"))
    for name, values in parse_qs(parts.query).items():
        named = any(word in name.lower() for word in ("secret", "token", "key", "sig", "pass", "auth"))
        found.update(v for v in values if named or len(v) >= 16)
    return {s for s in found if len(s) >= 6}


def check_size(channel: Channel, body: str) -> None:
    """Refuse a body the channel cannot carry in one message (the relay should have split it)."""
    size = len(body.encode("utf-8"))
    if size > channel.max_bytes:
        raise DeliveryError(
            f"channel {channel.name!r}: body of {size} bytes exceeds max_bytes={channel.max_bytes}; "
            "split it with split_message first",
            retryable=False,
        )
