"""Email over SMTP: STARTTLS, implicit TLS or plain; text + HTML; stable Message-ID; one thread per
patent or specification.

The Message-ID is derived from the outbox row's dedupe key, so a retry of the same row carries the
same Message-ID (a mail client or archive that sees it twice can tell). In-Reply-To and References
name a root derived from ``Message.thread``: every alert about EP3000000 references the same root,
so mail clients thread them together without sepwatch sending the root itself.

SMTP replies map onto :class:`DeliveryError`: 4xx, refused or timed-out connections and dropped
sessions are retryable; 5xx replies (unknown mailbox, policy rejection) are not; a failed login is
not, and says so.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import threading
import time
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, getaddresses, parseaddr

from alerts.channels.base import DeliveryError, Message, check_size, digest_id
from config.schema import SmtpSettings

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
MESSAGE_ID_DOMAIN = "sepwatch"
# Text and HTML each carry the body; servers commonly accept 10-25 MB messages after base64.
MAX_BODY_BYTES = 2_000_000
# An idle connection is reused for this long; RFC 5321 asks servers to wait at least 5 minutes.
REUSE_SECONDS = 60.0
_POLICY = SMTP_POLICY.clone(cte_type="7bit")  # base64/quoted-printable bodies: no 8BITMIME needed


def message_id(key: str) -> str:
    return f"<{digest_id(key)}@{MESSAGE_ID_DOMAIN}>"


def thread_id(thread: str) -> str:
    return f"<{digest_id(thread)}@{MESSAGE_ID_DOMAIN}>"


class EmailChannel:
    """Sends each message to one address; keeps one SMTP session open between close sends."""

    kind = "email"

    def __init__(self, smtp: SmtpSettings, *, name: str = "email") -> None:
        if not smtp.host:
            raise ValueError("smtp.host is not set: email cannot be sent")
        self.name = name
        self.max_bytes = MAX_BODY_BYTES
        self.rate_per_minute = smtp.rate_per_minute
        self.settings = smtp
        self.host = smtp.host
        self.port = smtp.port or DEFAULT_PORTS[smtp.security]
        self.sender = parseaddr(smtp.from_addr)[1] or smtp.from_addr
        if "@" not in self.sender:
            raise ValueError(f"smtp.from_addr {smtp.from_addr!r} has no email address")
        self._lock = threading.Lock()
        self._session: smtplib.SMTP | None = None
        self._last_used = 0.0

    # building ----------------------------------------------------------------------------------

    def build(self, message: Message, address: str) -> EmailMessage:
        """The email ``message`` becomes for ``address`` (exposed for previews and tests)."""
        mail = EmailMessage(policy=_POLICY)
        mail["Subject"] = " ".join(message.subject.split())
        mail["From"] = self.settings.from_addr
        mail["To"] = address
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = message_id(message.key)
        root = thread_id(message.thread)
        mail["In-Reply-To"] = root
        mail["References"] = root
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
        mail["Content-Language"] = message.language
        mail["X-Sepwatch-Thread"] = " ".join(message.thread.split())  # one line, whatever the source
        mail.set_content(message.text, subtype="plain", charset="utf-8")
        if message.html is not None:
            mail.add_alternative(message.html, subtype="html", charset="utf-8")
        return mail

    # sending -----------------------------------------------------------------------------------

    def send(self, message: Message, address: str | None) -> None:
        if not address:
            raise DeliveryError("email needs an address and none was given", retryable=False)
        recipients = [a for _, a in getaddresses([address]) if a]
        if len(recipients) != 1 or "@" not in recipients[0]:
            raise DeliveryError(f"not an email address: {address!r}", retryable=False)
        check_size(self, message.text)
        try:
            mail = self.build(message, address)
        except (ValueError, TypeError) as exc:  # header injection, malformed address
            raise DeliveryError(f"cannot build the email for {address!r}: {exc}", retryable=False) from None
        with self._lock:
            try:
                self._deliver(mail, recipients[0])
            except BaseException:
                self._drop_session()
                raise

    def close(self) -> None:
        with self._lock:
            self._drop_session()

    def _deliver(self, mail: EmailMessage, recipient: str) -> None:
        reused = self._session is not None and time.monotonic() - self._last_used < REUSE_SECONDS
        if not reused:
            self._drop_session()
        try:
            session = self._session or self._open()
            self._session = session
            try:
                session.send_message(mail, from_addr=self.sender, to_addrs=[recipient])
            except smtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                # The server closed the idle session before our command was read: open a new one.
                log.debug("SMTP session to %s:%s was closed; reconnecting", self.host, self.port)
                self._drop_session()
                session = self._open()
                self._session = session
                session.send_message(mail, from_addr=self.sender, to_addrs=[recipient])
            self._last_used = time.monotonic()
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients.get(recipient, (550, b"refused"))
            raise _reply_error(f"recipient {recipient} refused", code, reply) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"SMTP login as {self.settings.username!r} at {self.host}:{self.port} was refused "
                f"({exc.smtp_code} {_text(exc.smtp_error)}); check smtp.username and SEPWATCH_SMTP__PASSWORD",
                retryable=False,
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(
                f"SMTP server {self.host}:{self.port} does not support what smtp.security/username need: {exc}",
                retryable=False,
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise _reply_error(
                f"SMTP server {self.host}:{self.port}", exc.smtp_code, exc.smtp_error
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"TLS certificate of {self.host}:{self.port} not trusted ({exc.verify_message}); "
                "set smtp.ca_file to the CA that signed it",
                retryable=False,
            ) from None
        except ssl.SSLError as exc:
            raise DeliveryError(f"TLS with {self.host}:{self.port} failed: {exc}") from None
        except smtplib.SMTPServerDisconnected as exc:
            raise DeliveryError(f"SMTP server {self.host}:{self.port} closed the connection: {exc}") from None
        except TimeoutError:
            raise DeliveryError(
                f"SMTP server {self.host}:{self.port} did not answer within {self.settings.timeout_s:g}s"
            ) from None
        except OSError as exc:  # refused, unreachable, name resolution
            raise DeliveryError(f"cannot reach SMTP server {self.host}:{self.port}: {exc}") from None
        except smtplib.SMTPException as exc:
            raise DeliveryError(f"SMTP error with {self.host}:{self.port}: {exc}") from None

    def _context(self) -> ssl.SSLContext:
        ca_file = self.settings.ca_file
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)

    def _open(self) -> smtplib.SMTP:
        timeout = self.settings.timeout_s
        session: smtplib.SMTP
        if self.settings.security == "ssl":
            session = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=self._context())
        else:
            session = smtplib.SMTP(self.host, self.port, timeout=timeout)
        try:
            session.ehlo()
            if self.settings.security == "starttls":
                if not session.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
                session.starttls(context=self._context())
                session.ehlo()
            if self.settings.username:
                password = self.settings.password.get_secret_value() if self.settings.password else ""
                session.login(self.settings.username, password)
        except BaseException:
            _quietly_close(session)
            raise
        return session

    def _drop_session(self) -> None:
        if self._session is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._session.quit()
            _quietly_close(self._session)
            self._session = None


def _quietly_close(session: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        session.close()


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", errors="replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())


def _reply_error(what: str, code: int, reply: bytes | str) -> DeliveryError:
    """4xx: try again later; 5xx: the server will not take it."""
    text = f"{what}: {code} {_text(reply)}"
    return DeliveryError(text, retryable=not 500 <= code < 600)
