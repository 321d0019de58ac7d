"""The generic JSON webhook against a real loopback HTTP server: body, idempotency key, signature,
and the answers that are retried or not."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from alerts.channels import DeliveryError, Message, build_channels
from alerts.channels.webhook import WebhookChannel
from config import Settings
from config.schema import ChannelSettings
from tests.alerts.receivers import WebhookReceiver, webhook_receiver

SECRET = "whsec-5f2a9c0e7d"


def message(**kw: Any) -> Message:
    values: dict[str, Any] = {
        "subject": "漂移：TS 23.501 §5.41 已修改",
        "text": "条款 5.41 在 17.7.0 中修改。\n<script>alert(1)</script>",
        "markdown": "**条款 5.41** 在 17.7.0 中修改。",
        "html": None,
        "thread": "spec:TS 23.501",
        "key": "alert:42:ops-hook",
        "language": "zh",
        "data": {"patent": "CN112345678A", "clause": "5.41", "closes": dt.date(2024, 12, 20)},
    }
    values.update(kw)
    return Message(**values)


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        yield receiver


def failure(channel: WebhookChannel) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        channel.send(message(), None)
    return caught.value


def test_the_receiver_gets_the_json_body_the_key_and_a_verifiable_signature(hook: WebhookReceiver) -> None:
    WebhookChannel("ops-hook", hook.url + "/hooks/sepwatch", secret=SECRET).send(message(), None)
    [request] = hook.requests
    assert (request.method, request.path) == ("POST", "/hooks/sepwatch")
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.headers["idempotency-key"] == "alert:42:ops-hook"
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-sepwatch-signature"], expected)
    assert request.headers["user-agent"].startswith("sepwatch/")
    assert request.json() == {
        "key": "alert:42:ops-hook",
        "subject": "漂移：TS 23.501 §5.41 已修改",
        "text": "条款 5.41 在 17.7.0 中修改。\n<script>alert(1)</script>",
        "markdown": "**条款 5.41** 在 17.7.0 中修改。",
        "thread": "spec:TS 23.501",
        "language": "zh",
        "data": {"patent": "CN112345678A", "clause": "5.41", "closes": "2024-12-20"},
    }
    assert "漂移".encode() in request.body


def test_without_a_secret_there_is_no_signature_and_retries_keep_the_key(hook: WebhookReceiver) -> None:
    channel = WebhookChannel("ops-hook", hook.url + "/in")
    channel.send(message(), None)
    channel.send(message(), None)
    first, second = hook.requests
    assert "x-sepwatch-signature" not in first.headers
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"] == "alert:42:ops-hook"
    assert first.body == second.body


@pytest.mark.parametrize(
    "status, headers, retry_after",
    [
        (429, {"Retry-After": "7"}, 7.0),
        (503, {"Retry-After": "120"}, 120.0),
        (500, {}, None),
        (502, {}, None),
        (408, {}, None),
    ],
)
def test_rate_limits_server_errors_and_timeouts_are_retried(
    hook: WebhookReceiver, status: int, headers: dict[str, str], retry_after: float | None
) -> None:
    hook.respond(status, "busy: come back later", headers=headers)
    error = failure(WebhookChannel("ops-hook", hook.url + "/in"))
    assert error.retryable
    assert error.retry_after == retry_after
    assert str(status) in error.reason and "busy: come back later" in error.reason


def test_retry_after_as_an_http_date(hook: WebhookReceiver) -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    hook.respond(429, "", headers={"Retry-After": format_datetime(when, usegmt=True)})
    error = failure(WebhookChannel("ops-hook", hook.url + "/in"))
    assert error.retry_after is not None and 500 < error.retry_after <= 600


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_client_errors_are_permanent(hook: WebhookReceiver, status: int) -> None:
    hook.respond(status, {"error": "rejected"})
    error = failure(WebhookChannel("ops-hook", hook.url + "/in"))
    assert not error.retryable
    assert str(status) in error.reason and "rejected" in error.reason


def test_a_redirect_is_not_followed_and_says_where_it_pointed(hook: WebhookReceiver) -> None:
    hook.respond(301, "", headers={"Location": "https://new.example.test/in"})
    error = failure(WebhookChannel("ops-hook", hook.url + "/in"))
    assert not error.retryable
    assert "https://new.example.test/in" in error.reason
    assert len(hook.requests) == 1


def test_an_outage_is_retryable_and_the_next_send_after_it_arrives(hook: WebhookReceiver) -> None:
    channel = WebhookChannel("ops-hook", hook.url + "/in")
    hook.stop()
    assert failure(channel).retryable
    hook.start()
    channel.send(message(), None)
    assert len(hook.requests) == 1


def test_a_receiver_that_never_answers_times_out_retryably() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        error = failure(WebhookChannel("ops-hook", f"http://127.0.0.1:{port}/in", timeout_s=0.3))
    assert error.retryable
    assert "in time" in error.reason


def test_secrets_in_the_url_stay_out_of_reasons(hook: WebhookReceiver) -> None:
    hook.respond(500, "")
    error = failure(WebhookChannel("ops-hook", hook.url + "/in?token=abcdef123456", secret=SECRET))
    assert "abcdef123456" not in error.reason and SECRET not in error.reason


@pytest.mark.parametrize("url", ["ftp://example.test/in", "not a url", "http:///nohost"])
def test_a_url_that_is_not_http_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="ops-hook"):
        WebhookChannel("ops-hook", url)


def test_built_from_settings_with_the_url_in_a_file(hook: WebhookReceiver, tmp_path: Path) -> None:
    url_file = tmp_path / "ops-hook.url"
    url_file.write_text(hook.url + "/from-file\n", encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path,
        channels=[ChannelSettings(name="ops-hook", type="webhook", url_file=url_file, secret=SECRET)],
    )
    channel = build_channels(settings, strict=True)["ops-hook"]
    assert (channel.kind, channel.rate_per_minute) == ("webhook", 60)
    channel.send(message(), None)
    [request] = hook.requests
    assert request.path == "/from-file"
    assert json.loads(request.body)["key"] == "alert:42:ops-hook"
    assert request.headers["x-sepwatch-signature"].startswith("sha256=")


def test_credentials_the_receiver_echoes_stay_out_of_reasons(hook: WebhookReceiver) -> None:
    # The reason is stored in the outbox and shown on the status page; the URL's credentials are
    # often repeated in a refusal ("invalid token ...").
    hook.respond(401, "invalid token abcdef123456 for hook T0123456789, password pw-9f8e7d6c")
    url = hook.url.replace("http://", "http://ops:pw-9f8e7d6c@") + "/in/T0123456789?token=abcdef123456"
    error = failure(WebhookChannel("ops-hook", url))
    assert "webhook answered 401" in error.reason
    for credential in ("abcdef123456", "T0123456789", "pw-9f8e7d6c"):
        assert credential not in error.reason
