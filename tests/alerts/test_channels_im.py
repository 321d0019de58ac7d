"""IM channels through Apprise, against a loopback HTTPS intercept that stands in for each service:
the payloads DingTalk, WeCom, Feishu/Lark, Slack and Teams really receive, the signatures they
check, and how their refusals become DeliveryErrors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.channels import DeliveryError, Message, UnavailableChannel, build_channels, split_message
from alerts.channels.im import LIMITS, AppriseChannel
from config import Settings
from config.schema import ChannelSettings
from tests.alerts.receivers import HttpsIntercept, https_intercept

SUBJECT = "新匹配：CN112345678A 权利要求1"
MARKDOWN = "**条款 5.41** 已覆盖特征 1A、1B\n\n> An NR RedCap UE shall provide an indication.\n\n修改窗口 2024-12-20 关闭"

DINGTALK = "dingtalk://SEC0a1b2c3d4e5f@0123abcdtoken/"
WECOM = "wecombot://693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa"
FEISHU = "feishu://0c1a2b3c-d4e5-f607-8192-a3b4c5d6e7f8?secret=feishusecret01"
LARK = "lark://0c1a2b3c-d4e5-f607-8192-a3b4c5d6e7f8"
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/"
TEAMS = "workflows://prod-12.westus.logic.azure.com:443/a1b2c3d4e5f6/sigValue123"


def message(**kw: Any) -> Message:
    values: dict[str, Any] = {
        "subject": SUBJECT,
        "text": MARKDOWN,
        "markdown": MARKDOWN,
        "html": None,
        "thread": "patent:CN112345678A",
        "key": "alert:1:ip-chat",
        "language": "zh",
    }
    values.update(kw)
    return Message(**values)


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpsIntercept]:
    with https_intercept() as intercept:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "CURL_CA_BUNDLE"):
            monkeypatch.delenv(name, raising=False)
        for name, value in intercept.env().items():
            monkeypatch.setenv(name, value)
        yield intercept


def only_request(proxy: HttpsIntercept, host: str) -> Any:
    requests = proxy.requests_to(host)
    assert len(requests) == 1, [r.path for r in proxy.requests]
    return requests[0]


def failure(channel: AppriseChannel, msg: Message | None = None) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        channel.send(msg or message())
    return caught.value


# --- DingTalk ----------------------------------------------------------------------------------


def dingtalk_sign(timestamp: str, secret: str) -> str:
    """As https://open.dingtalk.com documents it: base64(HmacSHA256(secret, timestamp + "\\n" + secret))."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def test_dingtalk_gets_signed_markdown(proxy: HttpsIntercept) -> None:
    channel = AppriseChannel("ip-dingtalk", DINGTALK)
    assert (channel.kind, channel.max_bytes, channel.rate_per_minute) == ("dingtalk", 18_000, 20)
    before = time.time()
    channel.send(message())
    request = only_request(proxy, "oapi.dingtalk.com")
    assert (request.method, request.path) == ("POST", "/robot/send")
    query = {k: v[0] for k, v in request.query.items()}
    assert query["access_token"] == "0123abcdtoken"
    # The signature verifies against the secret, and the timestamp (ms) is the time of sending:
    # DingTalk refuses one more than an hour off.
    assert query["sign"] == dingtalk_sign(query["timestamp"], "SEC0a1b2c3d4e5f")
    assert before - 5 <= int(query["timestamp"]) / 1000 <= time.time() + 5
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.json() == {
        "msgtype": "markdown",
        "markdown": {"title": SUBJECT, "text": f"# {SUBJECT}\n\n{MARKDOWN}"},
        "at": {"atMobiles": [], "isAtAll": False},
    }
    assert "新匹配".encode() in request.body  # UTF-8 on the wire, not \\u escapes


@pytest.mark.parametrize(
    "url",
    [
        "https://oapi.dingtalk.com/robot/send?access_token=0123abcdtoken&secret=SEC0a1b2c3d4e5f",
        "dingtalk://0123abcdtoken/SEC0a1b2c3d4e5f",
    ],
)
def test_dingtalk_webhook_address_and_token_slash_secret_forms_are_signed_too(
    proxy: HttpsIntercept, url: str
) -> None:
    AppriseChannel("ip-dingtalk", url).send(message())
    query = {k: v[0] for k, v in only_request(proxy, "oapi.dingtalk.com").query.items()}
    assert query["access_token"] == "0123abcdtoken"
    assert query["sign"] == dingtalk_sign(query["timestamp"], "SEC0a1b2c3d4e5f")


@pytest.mark.parametrize(
    "answer, retryable, retry_after, words",
    [
        ({"errcode": 310000, "errmsg": "sign not match"}, False, None, ["310000", "sign not match"]),
        ({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}, True, 600.0, ["130101"]),
        ({"errcode": -1, "errmsg": "系统繁忙"}, True, None, ["-1", "系统繁忙"]),
    ],
)
def test_dingtalk_error_codes_in_a_200_answer_are_failures(
    proxy: HttpsIntercept,
    answer: dict[str, Any],
    retryable: bool,
    retry_after: float | None,
    words: list[str],
) -> None:
    proxy.respond("oapi.dingtalk.com", 200, answer)
    error = failure(AppriseChannel("ip-dingtalk", DINGTALK))
    assert error.retryable is retryable
    assert error.retry_after == retry_after
    for word in words:
        assert word in error.reason
    assert "ip-dingtalk" in error.reason


def test_dingtalk_http_500_is_retryable_with_the_body_as_reason(proxy: HttpsIntercept) -> None:
    proxy.respond("oapi.dingtalk.com", 500, "upstream exploded near shard 7")
    error = failure(AppriseChannel("ip-dingtalk", DINGTALK))
    assert error.retryable
    assert "500" in error.reason and "upstream exploded near shard 7" in error.reason


@pytest.mark.parametrize(
    "url, host, limit",
    [(DINGTALK, "oapi.dingtalk.com", 20_000), (FEISHU, "open.feishu.cn", 20 * 1024)],
)
def test_a_full_body_with_a_long_title_stays_under_the_service_request_limit(
    proxy: HttpsIntercept, url: str, host: str, limit: int
) -> None:
    channel = AppriseChannel("im", url)
    line = "权利要求1：终端提供能力指示\n"  # a line break every 43 bytes: escaped as two bytes in JSON
    body = (line * (channel.max_bytes // len(line.encode()) + 1)).encode()[: channel.max_bytes]
    channel.send(message(subject="很长的标题" * 100, markdown=body.decode("utf-8", errors="ignore")))
    assert len(only_request(proxy, host).body) <= limit


# --- WeCom -------------------------------------------------------------------------------------


def test_wecom_gets_markdown_content(proxy: HttpsIntercept) -> None:
    channel = AppriseChannel("ip-wecom", WECOM)
    assert (channel.kind, channel.max_bytes, channel.rate_per_minute) == ("wecom", 3_840, 20)
    channel.send(message())
    request = only_request(proxy, "qyapi.weixin.qq.com")
    assert request.path == "/cgi-bin/webhook/send"
    assert request.query == {"key": ["693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa"]}
    assert request.json() == {"msgtype": "markdown", "markdown": {"content": f"## {SUBJECT}\n{MARKDOWN}"}}


def test_a_fifty_kilobyte_chinese_digest_reaches_wecom_in_parts_under_4096_bytes(
    proxy: HttpsIntercept,
) -> None:
    channel = AppriseChannel("ip-wecom", WECOM)
    paragraph = "权利要求1的技术特征1A对应TS 23.501第5.41条：降低能力终端在随机接入过程中提供能力指示。"
    body = "\n\n".join(f"{i}. {paragraph * 3}" for i in range(140))
    assert len(body.encode()) > 50_000
    parts = split_message(body, channel.max_bytes)
    for part in parts:
        channel.send(message(markdown=part))
    contents = [r.json()["markdown"]["content"] for r in proxy.requests_to("qyapi.weixin.qq.com")]
    assert len(contents) == len(parts) > 12
    assert all(len(c.encode()) <= 4096 for c in contents)  # WeCom's documented limit, title included
    assert [c.split("\n", 1)[1] for c in contents] == parts  # in order, each under its title line


@pytest.mark.parametrize(
    "code, retryable, retry_after",
    [(45009, True, 60.0), (93000, False, None)],
)
def test_wecom_error_codes(
    proxy: HttpsIntercept, code: int, retryable: bool, retry_after: float | None
) -> None:
    proxy.respond("qyapi.weixin.qq.com", 200, {"errcode": code, "errmsg": "refused"})
    error = failure(AppriseChannel("ip-wecom", WECOM))
    assert (error.retryable, error.retry_after) == (retryable, retry_after)
    assert str(code) in error.reason


def test_a_long_title_is_cut_so_the_wecom_content_stays_under_4096_bytes(proxy: HttpsIntercept) -> None:
    channel = AppriseChannel("ip-wecom", WECOM)
    channel.send(message(subject="很长的标题" * 200, markdown="正" * (channel.max_bytes // 3)))
    content = only_request(proxy, "qyapi.weixin.qq.com").json()["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.split("\n", 1)[0].endswith("…")


# --- Feishu / Lark -----------------------------------------------------------------------------


def feishu_sign(timestamp: str, secret: str) -> str:
    """As the Feishu docs define it: base64(HmacSHA256(key=timestamp + "\\n" + secret, msg=""))."""
    return base64.b64encode(
        hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    ).decode()


def test_feishu_gets_a_signed_card_with_title_and_markdown(proxy: HttpsIntercept) -> None:
    channel = AppriseChannel("ip-feishu", FEISHU)
    assert (channel.kind, channel.max_bytes, channel.rate_per_minute) == ("feishu", 18_000, 100)
    channel.send(message())
    request = only_request(proxy, "open.feishu.cn")
    assert request.path == "/open-apis/bot/v2/hook/0c1a2b3c-d4e5-f607-8192-a3b4c5d6e7f8"
    body = request.json()
    assert body["msg_type"] == "interactive"
    assert body["card"]["header"]["title"] == {"tag": "plain_text", "content": SUBJECT}
    assert body["card"]["elements"] == [{"tag": "markdown", "content": MARKDOWN}]
    assert body["sign"] == feishu_sign(body["timestamp"], "feishusecret01")
    assert abs(int(body["timestamp"]) - time.time()) < 3600


def test_lark_goes_to_larksuite_unsigned(proxy: HttpsIntercept) -> None:
    channel = AppriseChannel("ip-lark", LARK)
    assert channel.kind == "feishu"
    channel.send(message())
    body = only_request(proxy, "open.larksuite.com").json()
    assert body["card"]["elements"][0]["content"] == MARKDOWN
    assert "sign" not in body


def test_feishu_native_webhook_address(proxy: HttpsIntercept) -> None:
    url = "https://open.feishu.cn/open-apis/bot/v2/hook/0c1a2b3c-d4e5-f607-8192-a3b4c5d6e7f8"
    AppriseChannel("ip-feishu", url).send(message())
    assert only_request(proxy, "open.feishu.cn").json()["msg_type"] == "interactive"


def test_feishu_refusal_codes(proxy: HttpsIntercept) -> None:
    proxy.respond(
        "open.feishu.cn", 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
    )
    error = failure(AppriseChannel("ip-feishu", FEISHU))
    assert not error.retryable
    assert "19021" in error.reason and "sign match fail" in error.reason
    proxy.respond("open.feishu.cn", 200, {"code": 11232, "msg": "frequency limited"})
    error = failure(AppriseChannel("ip-feishu", FEISHU))
    assert error.retryable and error.retry_after == 60.0


# --- Slack, Teams and other Apprise services (stock plugins) -----------------------------------


def test_slack_gets_the_title_and_mrkdwn(proxy: HttpsIntercept) -> None:
    channel = AppriseChannel("eng-slack", SLACK)
    assert (channel.kind, channel.max_bytes, channel.rate_per_minute) == ("slack", 3_000, 60)
    channel.send(message())
    request = only_request(proxy, "hooks.slack.com")
    assert request.path == "/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
    body = request.json()
    assert body["mrkdwn"] is True
    [attachment] = body["attachments"]
    assert attachment["title"] == SUBJECT
    assert attachment["text"] == MARKDOWN.replace("**条款 5.41**", "*条款 5.41*")  # Slack's bold


def test_slack_500_is_retryable_and_carries_the_answer(proxy: HttpsIntercept) -> None:
    proxy.respond("hooks.slack.com", 500, "rollup_error: internal kaboom")
    error = failure(AppriseChannel("eng-slack", SLACK))
    assert error.retryable
    assert "500" in error.reason and "rollup_error: internal kaboom" in error.reason


def test_slack_404_no_service_is_permanent(proxy: HttpsIntercept) -> None:
    proxy.respond("hooks.slack.com", 404, "no_service")
    error = failure(AppriseChannel("eng-slack", SLACK))
    assert not error.retryable
    assert "no_service" in error.reason


def test_teams_workflow_gets_an_adaptive_card(proxy: HttpsIntercept) -> None:
    channel = AppriseChannel("eng-teams", TEAMS)
    assert (channel.kind, channel.max_bytes, channel.rate_per_minute) == ("teams", 12_000, 30)
    channel.send(message())
    request = only_request(proxy, "prod-12.westus.logic.azure.com")
    assert request.path == "/workflows/a1b2c3d4e5f6/triggers/manual/paths/invoke"
    assert request.query["sig"] == ["sigValue123"]
    [attachment] = request.json()["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = [block["text"] for block in attachment["content"]["body"] if block["type"] == "TextBlock"]
    assert texts == [SUBJECT, MARKDOWN]


def test_teams_400_is_permanent(proxy: HttpsIntercept) -> None:
    proxy.respond("prod-12.westus.logic.azure.com", 400, {"error": {"code": "InvalidRequestContent"}})
    error = failure(AppriseChannel("eng-teams", TEAMS))
    assert not error.retryable
    assert "InvalidRequestContent" in error.reason


def test_any_other_apprise_service_works_with_generic_limits(proxy: HttpsIntercept) -> None:
    channel = AppriseChannel("relay", "jsons://hooks.example.test/notify")
    assert channel.kind == "apprise"
    assert channel.rate_per_minute == 30
    channel.send(message())
    body = only_request(proxy, "hooks.example.test").json()
    assert body["title"] == SUBJECT and body["message"] == MARKDOWN


# --- failures common to all --------------------------------------------------------------------


def test_an_unreachable_service_is_retryable_and_the_token_stays_out_of_the_reason(
    proxy: HttpsIntercept,
) -> None:
    proxy.refuse("qyapi.weixin.qq.com")
    error = failure(AppriseChannel("ip-wecom", WECOM))
    assert error.retryable
    assert "qyapi.weixin.qq.com" in error.reason
    assert "693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa" not in error.reason
    proxy.refuse("hooks.slack.com")
    error = failure(AppriseChannel("eng-slack", SLACK))
    assert error.retryable
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in error.reason


def test_concurrent_channels_keep_their_own_reasons(proxy: HttpsIntercept) -> None:
    proxy.respond("hooks.slack.com", 503, "slack-side trouble")
    proxy.respond("prod-12.westus.logic.azure.com", 502, "teams-side trouble")
    slack, teams = AppriseChannel("eng-slack", SLACK), AppriseChannel("eng-teams", TEAMS)
    errors: dict[str, list[str]] = {"slack": [], "teams": []}

    def run(name: str, channel: AppriseChannel) -> None:
        for _ in range(15):
            try:
                channel.send(message())
            except DeliveryError as exc:
                errors[name].append(exc.reason)

    threads = [threading.Thread(target=run, args=item) for item in (("slack", slack), ("teams", teams))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors["slack"]) == len(errors["teams"]) == 15
    assert all("slack-side" in r and "teams-side" not in r for r in errors["slack"])
    assert all("teams-side" in r and "slack-side" not in r for r in errors["teams"])


def test_a_body_over_max_bytes_is_refused_without_a_request(proxy: HttpsIntercept) -> None:
    channel = AppriseChannel("ip-wecom", WECOM)
    error = failure(channel, message(markdown="字" * 2000))  # 6,000 bytes
    assert not error.retryable
    assert "split_message" in error.reason
    assert proxy.requests == []


def test_channel_settings_override_the_service_limits_and_build_channels_names_them(
    proxy: HttpsIntercept, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEPWATCH_TEST_DINGTALK_URL", DINGTALK)
    settings = Settings(
        data_dir=tmp_path,
        channels=[
            ChannelSettings(
                name="ip-dingtalk", url_env="SEPWATCH_TEST_DINGTALK_URL", rate_per_minute=10, max_bytes=5000
            ),
            ChannelSettings(name="eng-slack", url=SLACK),
        ],
    )
    channels = build_channels(settings, strict=True)
    assert set(channels) == {"ip-dingtalk", "eng-slack"}
    assert (channels["ip-dingtalk"].max_bytes, channels["ip-dingtalk"].rate_per_minute) == (5000, 10)
    assert channels["eng-slack"].max_bytes == LIMITS["slack"].max_bytes
    channels["ip-dingtalk"].send(message(), None)
    assert only_request(proxy, "oapi.dingtalk.com").query["access_token"] == ["0123abcdtoken"]


@pytest.mark.parametrize(
    "config, words",
    [
        ({"url": "msteams://a/b/c"}, ["msteams", "workflows://"]),
        ({"url": "nosuchservice://token"}, ["nosuchservice"]),
        ({"url": "dingtalk://not valid!/"}, ["dingtalk"]),
        ({"url_env": "SEPWATCH_TEST_UNSET_URL"}, ["SEPWATCH_TEST_UNSET_URL"]),
    ],
)
def test_a_broken_channel_is_named_and_does_not_stop_the_others(
    tmp_path: Path, config: dict[str, str], words: list[str]
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        channels=[ChannelSettings(name="broken", **config), ChannelSettings(name="eng-slack", url=SLACK)],
    )
    with pytest.raises(ValueError) as caught:
        build_channels(settings, strict=True)
    assert "'broken'" in str(caught.value)
    for word in words:
        assert word in str(caught.value)
    channels = build_channels(settings)
    assert isinstance(channels["broken"], UnavailableChannel)
    assert channels["eng-slack"].kind == "slack"
    with pytest.raises(DeliveryError) as failed:
        channels["broken"].send(message(), None)
    assert failed.value.retryable  # waits in the outbox until the configuration is fixed
    assert "'broken'" in failed.value.reason
