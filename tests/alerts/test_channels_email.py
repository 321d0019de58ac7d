"""Email through a real SMTP server (aiosmtpd on loopback): what the server receives, TLS, login,
and how refusals and outages map onto retryable / permanent DeliveryErrors."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from alerts.channels import DeliveryError, Message, build_channels
from alerts.channels.email import EmailChannel
from config import Settings
from config.schema import SmtpSettings
from tests.alerts.receivers import SmtpReceiver, smtp_server

SUBJECT = "新匹配：CN112345678A 权利要求1 读到 TS 23.501 §5.41"
TEXT = "权利要求1的全部技术特征均被覆盖。\n\n条款 5.41：An NR RedCap UE shall provide an indication.\n"
HTML = (
    "<p>权利要求1的全部技术特征均被覆盖。</p><blockquote>An NR RedCap UE &lt;shall&gt; provide</blockquote>"
)


def message(key: str = "alert:1:alice:email", thread: str = "patent:CN112345678A", **kw: Any) -> Message:
    values: dict[str, Any] = {
        "subject": SUBJECT,
        "text": TEXT,
        "markdown": TEXT,
        "html": HTML,
        "thread": thread,
        "key": key,
        "language": "zh",
    }
    values.update(kw)
    return Message(**values)


def sha_id(seed: str) -> str:
    return f"<{hashlib.sha256(seed.encode()).hexdigest()[:32]}@sepwatch>"


def channel(smtp: SmtpReceiver, **overrides: Any) -> EmailChannel:
    return EmailChannel(SmtpSettings(**smtp.settings(**overrides)))


def parts(mail: EmailMessage) -> dict[str, str]:
    """Decoded text parts by type; line ends as Python writes them (MIME text is CRLF on the wire)."""
    return {
        part.get_content_type(): part.get_content().replace("\r\n", "\n")
        for part in mail.walk()
        if not part.is_multipart()
    }


@pytest.fixture
def plain() -> Iterator[SmtpReceiver]:
    with smtp_server("none") as smtp:
        yield smtp


def test_the_server_receives_both_parts_a_decoded_chinese_subject_and_the_sender(plain: SmtpReceiver) -> None:
    channel(plain).send(message(), "alice@example.com")
    [received] = plain.wait_for(1)
    mail = plain.mails[0]
    assert mail.mail_from == "alerts@sepwatch.test"
    assert mail.rcpt_tos == ["alice@example.com"]
    assert received["From"] == "sepwatch <alerts@sepwatch.test>"
    assert received["To"] == "alice@example.com"
    assert received["Subject"] == SUBJECT
    # On the wire the subject is RFC 2047 encoded: headers stay ASCII.
    raw_subject = next(line for line in mail.raw.split(b"\r\n") if line.lower().startswith(b"subject:"))
    assert raw_subject.isascii() and b"=?utf-8?" in raw_subject.lower()
    assert received.get_content_type() == "multipart/alternative"
    assert parts(received) == {"text/plain": TEXT, "text/html": HTML + "\n"}
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Date"]


def test_message_id_is_stable_per_key_and_references_name_the_thread(plain: SmtpReceiver) -> None:
    email = channel(plain)
    email.send(message(key="alert:7:alice:email"), "alice@example.com")
    email.send(message(key="alert:7:alice:email"), "alice@example.com")  # the retry of the same row
    email.send(message(key="alert:8:alice:email"), "alice@example.com")  # next alert, same patent
    email.send(message(key="alert:9:alice:email", thread="spec:TS 38.331"), "alice@example.com")
    first, retry, second, other = plain.wait_for(4)
    assert first["Message-ID"] == retry["Message-ID"] == sha_id("alert:7:alice:email")
    assert second["Message-ID"] == sha_id("alert:8:alice:email") != first["Message-ID"]
    root = sha_id("patent:CN112345678A")
    for mail in (first, retry, second):
        assert mail["In-Reply-To"] == root
        assert mail["References"] == root
    assert other["References"] == sha_id("spec:TS 38.331") != root


def test_a_message_without_html_is_plain_text(plain: SmtpReceiver) -> None:
    channel(plain).send(message(html=None), "alice@example.com")
    [received] = plain.wait_for(1)
    assert received.get_content_type() == "text/plain"
    assert received.get_content().replace("\r\n", "\n") == TEXT


def test_header_injection_through_the_subject_stays_in_the_subject(plain: SmtpReceiver) -> None:
    channel(plain).send(message(subject="Alert\r\nBcc: mallory@evil.test\r\n\r\nforged"), "alice@example.com")
    [received] = plain.wait_for(1)
    assert received["Bcc"] is None
    assert received["Subject"] == "Alert Bcc: mallory@evil.test forged"
    assert plain.mails[0].rcpt_tos == ["alice@example.com"]


def test_a_thread_key_from_a_crawled_number_with_line_breaks_is_still_delivered(plain: SmtpReceiver) -> None:
    """Threads are named after patent and spec numbers, which come from crawled text."""
    channel(plain).send(message(thread="spec:TS 38.331\r\nBcc: mallory@evil.test"), "alice@example.com")
    [received] = plain.wait_for(1)
    assert received["Bcc"] is None
    assert received["X-Sepwatch-Thread"] == "spec:TS 38.331 Bcc: mallory@evil.test"


@pytest.mark.parametrize(
    "address", [None, "", "not an address", "alice@example.com\r\nBcc: x@evil.test", "a@x.test, b@y.test"]
)
def test_a_missing_or_malformed_address_is_permanent(plain: SmtpReceiver, address: str | None) -> None:
    with pytest.raises(DeliveryError) as caught:
        channel(plain).send(message(), address)
    assert not caught.value.retryable
    assert plain.mails == []


def test_starttls_verified_with_the_configured_ca_and_login() -> None:
    with smtp_server("starttls", users={"alerts": "s3cret-pw"}) as smtp:
        channel(smtp).send(message(), "alice@example.com")
        smtp.wait_for(1)
        assert smtp.mails[0].tls
        assert smtp.mails[0].message["Subject"] == SUBJECT


def test_starttls_with_an_untrusted_certificate_is_refused_and_says_how_to_fix_it() -> None:
    with smtp_server("starttls") as smtp:
        settings = smtp.settings()
        del settings["ca_file"]  # the system CAs do not know the test CA
        with pytest.raises(DeliveryError) as caught:
            EmailChannel(SmtpSettings(**settings)).send(message(), "alice@example.com")
        assert not caught.value.retryable
        assert "ca_file" in caught.value.reason
        assert smtp.mails == []


def test_starttls_required_but_not_offered_is_permanent(plain: SmtpReceiver) -> None:
    with pytest.raises(DeliveryError) as caught:
        channel(plain, security="starttls").send(message(), "alice@example.com")
    assert not caught.value.retryable
    assert "STARTTLS" in caught.value.reason


def test_implicit_tls_on_its_own_port() -> None:
    with smtp_server("ssl", users={"alerts": "s3cret-pw"}) as smtp:
        channel(smtp).send(message(), "alice@example.com")
        smtp.wait_for(1)
        assert smtp.mails[0].tls


def test_a_refused_login_is_permanent_and_names_the_user_not_the_password() -> None:
    with smtp_server("starttls", users={"alerts": "s3cret-pw"}) as smtp:
        with pytest.raises(DeliveryError) as caught:
            channel(smtp, password="wrong-password").send(message(), "alice@example.com")
        error = caught.value
        assert not error.retryable
        assert "'alerts'" in error.reason and "535" in error.reason
        assert "wrong-password" not in error.reason
        assert smtp.mails == []


@pytest.mark.parametrize(
    "stage, reply, retryable",
    [
        ("RCPT", "550 5.1.1 User unknown", False),
        ("RCPT", "451 4.3.0 Greylisted, try again later", True),
        ("MAIL", "421 4.7.0 Too many connections", True),
        ("MAIL", "553 5.7.1 Sender address rejected", False),
        ("DATA", "452 4.3.1 Insufficient system storage", True),
        ("DATA", "554 5.7.1 Message rejected as spam", False),
    ],
)
def test_smtp_replies_map_to_retryable_or_permanent(
    plain: SmtpReceiver, stage: Any, reply: str, retryable: bool
) -> None:
    plain.fail(stage, reply)
    with pytest.raises(DeliveryError) as caught:
        channel(plain).send(message(), "alice@example.com")
    assert caught.value.retryable is retryable
    assert reply.split(" ", 1)[0] in caught.value.reason
    assert reply.split(" ", 2)[2] in caught.value.reason
    assert plain.mails == []


def test_an_outage_fails_retryably_and_the_same_channel_delivers_once_the_server_is_back(
    plain: SmtpReceiver,
) -> None:
    email = channel(plain)
    email.send(message(key="k1"), "alice@example.com")  # leaves a session open
    plain.stop()
    with pytest.raises(DeliveryError) as caught:
        email.send(message(key="k2"), "alice@example.com")
    assert caught.value.retryable
    plain.start()
    email.send(message(key="k2"), "alice@example.com")
    received = plain.wait_for(2)
    assert [m["Message-ID"] for m in received] == [sha_id("k1"), sha_id("k2")]


def test_a_server_that_never_answers_times_out_retryably() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the TCP connection, never sends a greeting
        port = silent.getsockname()[1]
        email = EmailChannel(SmtpSettings(host="127.0.0.1", port=port, security="none", timeout_s=0.3))
        with pytest.raises(DeliveryError) as caught:
            email.send(message(), "alice@example.com")
    assert caught.value.retryable
    assert "did not answer" in caught.value.reason or "closed" in caught.value.reason


def test_a_refused_connection_is_retryable() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]  # bound, not listening: connections are refused
        email = EmailChannel(SmtpSettings(host="127.0.0.1", port=port, security="none"))
        with pytest.raises(DeliveryError) as caught:
            email.send(message(), "alice@example.com")
    assert caught.value.retryable
    assert f"127.0.0.1:{port}" in caught.value.reason


def test_a_body_over_the_limit_is_refused_before_connecting(plain: SmtpReceiver) -> None:
    email = channel(plain)
    with pytest.raises(DeliveryError) as caught:
        email.send(message(text="长" * (email.max_bytes // 3 + 1)), "alice@example.com")
    assert not caught.value.retryable
    assert plain.mails == []


def test_build_channels_gives_email_only_when_a_host_is_set(tmp_path: Any) -> None:
    assert "email" not in build_channels(Settings(data_dir=tmp_path))
    with smtp_server("none") as smtp:
        settings = Settings(data_dir=tmp_path, smtp=SmtpSettings(**smtp.settings()))
        channels = build_channels(settings)
        assert channels["email"].kind == "email"
        assert channels["email"].rate_per_minute == settings.smtp.rate_per_minute
        channels["email"].send(message(), "alice@example.com")
        assert smtp.wait_for(1)[0]["Subject"] == SUBJECT


def test_default_ports_follow_the_security_mode() -> None:
    assert EmailChannel(SmtpSettings(host="mail.test", security="starttls")).port == 587
    assert EmailChannel(SmtpSettings(host="mail.test", security="ssl")).port == 465
    assert EmailChannel(SmtpSettings(host="mail.test", security="none")).port == 25
    assert EmailChannel(SmtpSettings(host="mail.test", port=2525)).port == 2525
