"""The generic JSON webhook: one POST per message, for systems of your own (ticketing, chat bridges).

Body: ``{"key", "subject", "text", "markdown", "thread", "language", "data"}`` as UTF-8 JSON.
Headers: ``Idempotency-Key: <key>`` (the same across retries: the receiver can drop repeats) and,
when the channel has a ``secret``, ``X-Sepwatch-Signature: sha256=<hex HMAC-SHA256 of the body>``.
Answers: 2xx accepted; 429 and 5xx (with their Retry-After), 408 and network failures are retried;
any other answer (4xx, redirects) is permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from typing import Any

import httpx

from alerts.channels.base import (
    DeliveryError,
    Message,
    check_size,
    parse_retry_after,
    redact,
    snippet,
    url_secrets,
)

try:
    from sepwatch import __version__
except ImportError:  # pragma: no cover
    __version__ = "0"

DEFAULT_MAX_BYTES = 256_000
DEFAULT_RATE_PER_MINUTE = 60
DEFAULT_TIMEOUT_S = 30.0


def signature(secret: str, body: bytes) -> str:
    """The X-Sepwatch-Signature value for ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def payload(message: Message) -> bytes:
    """The JSON body posted for ``message``."""
    document = {
        "key": message.key,
        "subject": message.subject,
        "text": message.text,
        "markdown": message.markdown,
        "thread": message.thread,
        "language": message.language,
        "data": message.data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


class WebhookChannel:
    kind = "webhook"

    def __init__(
        self,
        name: str,
        url: str,
        *,
        secret: str | None = None,
        max_bytes: int | None = None,
        rate_per_minute: int | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"channel {name!r}: webhook URL must be http:// or https:// with a host")
        self.name = name
        self.url = url
        self.max_bytes = max_bytes or DEFAULT_MAX_BYTES
        self.rate_per_minute = rate_per_minute or DEFAULT_RATE_PER_MINUTE
        self._secret = secret
        self._secrets = url_secrets(url) | {s for s in (secret or "",) if len(s) >= 6}
        self._client = httpx.Client(
            timeout=timeout_s,
            follow_redirects=False,
            headers={"User-Agent": f"sepwatch/{__version__}"},
        )
        self._lock = threading.Lock()

    def send(self, message: Message, address: str | None = None) -> None:
        check_size(self, message.text)
        body = payload(message)
        headers: dict[str, Any] = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message.key,
        }
        if self._secret:
            headers["X-Sepwatch-Signature"] = signature(self._secret, body)
        try:
            answer = self._client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"{self.name}: no answer in time ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.name}: cannot reach the webhook: {self._clean(str(exc))}") from None
        status = answer.status_code
        if 200 <= status < 300:
            return
        text = f"{self.name}: webhook answered {status}"
        detail = snippet(answer.text) if answer.content else ""
        if detail:
            text += f": {self._clean(detail)}"
        if status == 429 or status >= 500 or status == 408:
            raise DeliveryError(
                text, retryable=True, retry_after=parse_retry_after(answer.headers.get("Retry-After"))
            )
        if 300 <= status < 400:
            text += f" (redirect to {answer.headers.get('Location', '?')}: put the final URL in the channel)"
        raise DeliveryError(text, retryable=False)

    def close(self) -> None:
        self._client.close()

    def _clean(self, text: str) -> str:
        return redact(text, self._secrets)
