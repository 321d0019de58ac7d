"""IM channels through Apprise URLs: DingTalk, WeCom, Feishu/Lark, Slack, Teams (Workflows), and any
other service Apprise knows.

Apprise parses the URL, holds the credentials and does the HTTP. For the three Chinese services
this module replaces the stock plugins' ``send`` (subclasses, same URLs) because Apprise 2.2:

* treats HTTP 200 as success, while DingTalk, WeCom and Feishu answer 200 with an error code in the
  body when they refuse a message (bad signature, keyword missing, rate limit) — the message would
  be lost silently;
* sends WeCom and Feishu as plain text (WeCom text is capped at 2,048 bytes), not markdown;
* escapes CJK text as \\uXXXX in the JSON (doubling its size against DingTalk's byte limit) and
  percent-encodes DingTalk's signature twice.

Apprise answers only True/False; the reason for a failure comes from the plugin's log, which each
channel captures through a private logger (so concurrent channels never mix their logs, and the
tokens in Apprise's debug lines never reach the application log).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

import apprise
import requests
from apprise import NotifyFormat, NotifyType
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.feishu import NotifyFeishu
from apprise.plugins.lark import NotifyLark
from apprise.plugins.slack import NotifySlack
from apprise.plugins.wecombot import NotifyWeComBot
from apprise.plugins.workflows import NotifyWorkflows

from alerts.channels.base import (
    DeliveryError,
    Message,
    check_size,
    parse_retry_after,
    redact,
    snippet,
    truncate_bytes,
    url_secrets,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    rate_per_minute: int


# Defaults per service; a channel's max_bytes / rate_per_minute settings override them.
# dingtalk: "每个机器人每分钟最多发送20条", then blocked for 10 minutes; a message of at most 20,000
#   bytes — 18,000 for the body leave room for the title (sent twice), the JSON around it and the
#   escaped line breaks ("\n" is two bytes in JSON).
# wecom: markdown.content at most 4,096 bytes (UTF-8), 20 messages a minute per robot; the title
#   line takes up to 256 of those bytes.
# feishu/lark: custom bots 100 requests a minute (and 5 a second); request body at most 20 KB —
#   18,000 for the body leaves room for the card around it.
# slack: incoming webhooks post 1 message a second; a section block's text is at most 3,000
#   characters (400 invalid_blocks past it), and 3,000 bytes are never more than 3,000 characters.
# teams (Workflows): a Teams message is at most ~28 KB; Apprise escapes non-ASCII as \uXXXX
#   (6 bytes per CJK character, twice its UTF-8 size), so 12,000 body bytes stay under it with the
#   adaptive card around them. No per-minute quota is documented for Workflows webhooks; 30 keeps
#   well inside the Teams channel-post throttling.
# apprise (other services): the plugin's own body_maxlen (characters, so bytes are safe), 30/min.
LIMITS: dict[str, Limits] = {
    "dingtalk": Limits(18_000, 20),
    "wecom": Limits(3_840, 20),
    "feishu": Limits(18_000, 100),
    "slack": Limits(3_000, 60),
    "teams": Limits(12_000, 30),
}
GENERIC_RATE_PER_MINUTE = 30
TITLE_BYTES = 250  # longest title sent; longer subjects are cut with an ellipsis

_ASSET = apprise.AppriseAsset(app_id="sepwatch", app_desc="sepwatch alerts", app_url="https://github.com/")


@dataclass
class _Failure:
    reason: str
    retryable: bool = True
    retry_after: float | None = None


# --- service error codes -----------------------------------------------------------------------
# Answers (HTTP 200) that mean "never": retrying cannot help until someone fixes the robot.
# Other non-zero codes are retried (bounded by delivery.max_attempts).
_PERMANENT = {
    # DingTalk: 310000 keyword/signature/IP whitelist mismatch, 300001/300005 token invalid or
    # unknown, 400102 robot disabled.
    "dingtalk": {310000, 300001, 300005, 400102},
    # WeCom: 93000 webhook invalid (robot removed), 40008 message type, 44004 empty content.
    "wecom": {93000, 40008, 44004},
    # Feishu/Lark: 19021 bad signature or stale timestamp, 19022 IP not allowed, 19024 keyword
    # missing, 9499 malformed request.
    "feishu": {19021, 19022, 19024, 9499},
}
# Rate-limit answers and how long the service wants us to stay away (seconds).
_BACK_OFF = {
    "dingtalk": {130101: 600.0},  # send too fast: the robot is blocked for 10 minutes
    "wecom": {45009: 60.0},  # api freq out of limit (20/min)
    "feishu": {11232: 60.0},  # frequency limited (100/min)
}


class _JsonRobot:
    """What the DingTalk/WeCom/Feishu replacements share: post UTF-8 JSON, read the error code."""

    service: ClassVar[str]
    code_fields: ClassVar[tuple[str, ...]] = ("errcode",)
    message_fields: ClassVar[tuple[str, ...]] = ("errmsg",)
    failure: _Failure | None = None
    logger: logging.Logger
    app_id: str
    verify_certificate: bool
    request_timeout: tuple[float, float]

    def _post(self, url: str, payload: dict[str, Any], params: dict[str, str] | None = None) -> bool:
        self.failure = None
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"User-Agent": self.app_id, "Content-Type": "application/json; charset=utf-8"}
        try:
            answer = requests.post(
                url,
                data=data,
                headers=headers,
                params=params,
                verify=self.verify_certificate,
                timeout=self.request_timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return self._fail(f"cannot reach {urlsplit(url).hostname}: {exc}")
        status = answer.status_code
        if status != 200:
            return self._fail(
                f"HTTP {status}: {snippet(answer.text)}",
                retryable=status in (408, 425, 429) or status >= 500,
                retry_after=parse_retry_after(answer.headers.get("Retry-After")),
            )
        try:
            body = answer.json()
        except ValueError:
            return self._fail(f"HTTP 200 but the answer is not JSON: {snippet(answer.text)}")
        if not isinstance(body, dict):
            return self._fail(f"HTTP 200 but an unexpected answer: {snippet(answer.text)}")
        code = next((body[f] for f in self.code_fields if f in body), 0)
        if code in (0, "0", None):
            self.logger.info("%s accepted the message", self.service)
            return True
        text = next((str(body[f]) for f in self.message_fields if f in body), "")
        try:
            number = int(code)
        except (TypeError, ValueError):
            number = -1
        back_off = _BACK_OFF[self.service].get(number)
        return self._fail(
            f"{self.service} refused the message: error {code} {snippet(text)}".rstrip(),
            retryable=number not in _PERMANENT[self.service],
            retry_after=back_off,
        )

    def _fail(self, reason: str, *, retryable: bool = True, retry_after: float | None = None) -> bool:
        self.failure = _Failure(reason, retryable, retry_after)
        self.logger.warning("%s", reason)
        return False


class DingTalkRobot(_JsonRobot, NotifyDingTalk):  # type: ignore[no-untyped-call]
    """DingTalk custom robot: markdown message, signed when the URL carries the secret."""

    service = "dingtalk"
    notify_format = NotifyFormat.MARKDOWN  # type: ignore[assignment]
    title_maxlen = 1000
    overflow_amalgamate_title = False

    def signature(self, timestamp_ms: int) -> str:
        """base64(HMAC-SHA256(secret, "timestamp\\nsecret")), as the DingTalk docs define it."""
        secret = str(self.secret)
        digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")

    def send(
        self,
        body: str,
        title: str = "",
        notify_type: NotifyType = NotifyType.INFO,
        body_format: NotifyFormat | None = None,
        **kwargs: Any,
    ) -> bool:
        title = " ".join(title.split())
        text = f"# {title}\n\n{body}" if title else body
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": title or self.app_desc, "text": text},
            "at": {"atMobiles": self.targets, "isAtAll": False},
        }
        params = {"access_token": self.token}
        if self.secret:
            now = int(time.time() * 1000)
            params.update(timestamp=str(now), sign=self.signature(now))
        return self._post("https://oapi.dingtalk.com/robot/send", payload, params)


class WeComRobot(_JsonRobot, NotifyWeComBot):  # type: ignore[no-untyped-call]
    """WeCom (企业微信) group robot: markdown message (content up to 4,096 bytes)."""

    service = "wecom"
    notify_format = NotifyFormat.MARKDOWN
    title_maxlen = 1000

    def send(
        self,
        body: str,
        title: str = "",
        notify_type: NotifyType = NotifyType.INFO,
        body_format: NotifyFormat | None = None,
        **kwargs: Any,
    ) -> bool:
        title = " ".join(title.split())
        content = f"## {title}\n{body}" if title else body
        return self._post(self.api_url, {"msgtype": "markdown", "markdown": {"content": content}})


class _FeishuCard(_JsonRobot):
    """Feishu/Lark custom bot: an interactive card with a title and a markdown element; signed
    (``?secret=`` in the URL) as the Feishu docs define it."""

    service = "feishu"
    code_fields = ("code", "StatusCode")
    message_fields = ("msg", "StatusMessage")
    notify_format = NotifyFormat.MARKDOWN
    title_maxlen = 1000
    overflow_amalgamate_title = False
    secret: str | None = None
    endpoint: str

    @staticmethod
    def sign(timestamp: int, secret: str) -> str:
        """base64(HMAC-SHA256(key="timestamp\\nsecret", message=b""))."""
        digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")

    def send(
        self,
        body: str,
        title: str = "",
        notify_type: NotifyType = NotifyType.INFO,
        body_format: NotifyFormat | None = None,
        **kwargs: Any,
    ) -> bool:
        title = " ".join(title.split())
        card: dict[str, Any] = {
            "config": {"wide_screen_mode": True},
            "elements": [{"tag": "markdown", "content": body}],
        }
        if title:
            card["header"] = {"title": {"tag": "plain_text", "content": title}}
        payload: dict[str, Any] = {"msg_type": "interactive", "card": card}
        if self.secret:
            now = int(time.time())
            payload.update(timestamp=str(now), sign=self.sign(now, self.secret))
        return self._post(self.endpoint, payload)


class FeishuRobot(_FeishuCard, NotifyFeishu):  # type: ignore[no-untyped-call]
    @property
    def endpoint(self) -> str:  # type: ignore[override]
        return f"https://open.feishu.cn/open-apis/bot/v2/hook/{self.token}"


class LarkRobot(_FeishuCard, NotifyLark):  # type: ignore[no-untyped-call]
    @property
    def endpoint(self) -> str:  # type: ignore[override]
        return f"https://open.larksuite.com/open-apis/bot/v2/hook/{self.token}"


_REPLACEMENTS: dict[type, type] = {
    NotifyDingTalk: DingTalkRobot,
    NotifyWeComBot: WeComRobot,
    NotifyFeishu: FeishuRobot,
    NotifyLark: LarkRobot,
}
_KINDS: dict[type, str] = {
    NotifyDingTalk: "dingtalk",
    NotifyWeComBot: "wecom",
    NotifyFeishu: "feishu",
    NotifyLark: "feishu",
    NotifySlack: "slack",
    NotifyWorkflows: "teams",
}

# Webhook addresses as the services show them, turned into Apprise URLs (Apprise 2.2 reads the
# native WeCom, Slack and Workflows addresses itself, not DingTalk's or Feishu's).
_DINGTALK_NATIVE = re.compile(r"^https://oapi\.dingtalk\.com/robot/send/?\?(?P<query>.+)$", re.I)
_FEISHU_NATIVE = re.compile(
    r"^https://open\.(?P<site>feishu\.cn|larksuite\.com)/open-apis/bot/v2/hook/(?P<token>[\w-]+)/?(\?(?P<query>.*))?$",
    re.I,
)


def _apprise_url(url: str) -> str:
    if match := _DINGTALK_NATIVE.match(url):
        query = parse_qs(match["query"])
        token = query.get("access_token", [""])[0]
        secret = query.get("secret", [""])[0]
        return f"dingtalk://{secret + '@' if secret else ''}{token}/"
    if match := _FEISHU_NATIVE.match(url):
        query = parse_qs(match["query"] or "")
        scheme = "feishu" if match["site"].lower() == "feishu.cn" else "lark"
        secret = query.get("secret", [""])[0]
        return f"{scheme}://{match['token']}/{'?secret=' + secret if secret else ''}"
    return url


def load_plugin(url: str) -> Any:
    """The Apprise plugin for ``url`` (Apprise URL, or a DingTalk/WeCom/Feishu/Slack/Teams webhook
    address as the service shows it); ValueError with Apprise's reason when it is unusable."""
    url = _apprise_url(url.strip())
    with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
        plugin: Any = apprise.Apprise.instantiate(url, asset=_ASSET)
    if plugin is None:
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        said = " ".join(line.split(" - ", 2)[-1] for line in captured.getvalue().splitlines())
        said = redact(said.replace(url, "<url>"), url_secrets(url))
        hint = (
            " (Teams: Apprise 2 dropped msteams:// with Office 365 connectors; use workflows://)"
            if scheme == "msteams"
            else ""
        )
        raise ValueError(
            f"Apprise cannot use this {scheme}:// URL{hint}: {said or 'unsupported or malformed'}"
        )
    replacement: Any = _REPLACEMENTS.get(type(plugin))
    if replacement is None:
        return plugin
    canonical = plugin.url(privacy=False)
    kwargs = replacement.parse_url(canonical)
    query = parse_qs(urlsplit(url).query)
    if replacement is DingTalkRobot and not plugin.secret:
        # dingtalk://TOKEN/SECRET: Apprise reads SECRET as a phone number and drops it, so the
        # robot would refuse every unsigned message. DingTalk secrets start with "SEC".
        path = [unquote(p) for p in urlsplit(url).path.split("/") if p]
        secrets = [p for p in path if re.fullmatch(r"SEC[0-9a-fA-F]+", p)]
        if secrets:
            kwargs["secret"] = secrets[0]
    robot = replacement(**kwargs)
    if issubclass(replacement, _FeishuCard) and query.get("secret"):
        robot.secret = query["secret"][0]
    return robot


def kind_of(plugin: Any) -> str:
    for cls, kind in _KINDS.items():
        if isinstance(plugin, cls):
            return kind
    return "apprise"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


_STATUS = re.compile(r"error=(\d{3})|HTTP (\d{3})")


class AppriseChannel:
    """One configured IM channel. Sends are serialised (one at a time per channel)."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        max_bytes: int | None = None,
        rate_per_minute: int | None = None,
    ) -> None:
        self.name = name
        self.plugin = load_plugin(url)
        self.kind = kind_of(self.plugin)
        limits = LIMITS.get(self.kind) or Limits(
            min(int(self.plugin.body_maxlen or 32768), 32768) or 32768, GENERIC_RATE_PER_MINUTE
        )
        self.max_bytes = max_bytes or limits.max_bytes
        self.rate_per_minute = rate_per_minute or limits.rate_per_minute
        self._secrets = url_secrets(url) | url_secrets(self.plugin.url(privacy=False))
        # The relay paces sends (RateLimiter); Apprise's own sleep between requests would block it.
        self.plugin.request_rate_per_sec = 0
        self._collector = _Collect()
        # A logger of its own, outside the logging registry: this channel's records only, at DEBUG
        # (the answer's body), never propagated to the application's handlers (tokens in URLs).
        logger = logging.Logger(f"sepwatch.channels.apprise.{name}", logging.DEBUG)
        logger.addHandler(self._collector)
        logger.propagate = False
        self.plugin.logger = logger
        self._apprise = apprise.Apprise(asset=_ASSET)
        self._apprise.add(self.plugin)
        self._lock = threading.Lock()

    def send(self, message: Message, address: str | None = None) -> None:
        body = message.markdown or message.text
        check_size(self, body)
        title = truncate_bytes(" ".join(message.subject.split()), TITLE_BYTES)
        with self._lock:
            self._collector.records.clear()
            if isinstance(self.plugin, _JsonRobot):
                self.plugin.failure = None
            try:
                accepted = bool(
                    self._apprise.notify(body=body, title=title, body_format=NotifyFormat.MARKDOWN)
                )
            except Exception as exc:  # a plugin bug must not take the relay down
                raise DeliveryError(f"{self.name}: Apprise failed: {self._clean(str(exc))}") from None
            if accepted:
                return
            raise self._error()

    def _clean(self, text: str) -> str:
        return redact(text, self._secrets)

    def _error(self) -> DeliveryError:
        failure: _Failure | None = getattr(self.plugin, "failure", None)
        if failure is not None:
            return DeliveryError(
                f"{self.name}: {self._clean(failure.reason)}",
                retryable=failure.retryable,
                retry_after=failure.retry_after,
            )
        # A stock plugin: its warning says what failed, its debug lines hold the answer's body.
        lines: list[str] = []
        for record in self._collector.records:
            text = record.getMessage()
            if record.levelno >= logging.WARNING or text.startswith(("Response Details", "Socket Exception")):
                lines.append(snippet(text.replace("\\r\\n", " "), 400))
        reason = self._clean("; ".join(lines)) or "Apprise reported a failure without a reason"
        status = None
        for line in lines:
            match = _STATUS.search(line)
            if match:
                status = int(match.group(1) or match.group(2))
        retryable = status is None or status in (408, 425, 429) or status >= 500
        return DeliveryError(f"{self.name}: {reason}", retryable=retryable)
