"""Real receivers on loopback for the delivery channels: an SMTP server, an HTTPS intercepting
proxy that stands in for DingTalk/WeCom/Feishu/Slack/Teams, and a plain HTTP webhook receiver.

All three run in background threads of the test process, record what they receive, can be told
to answer with errors, and can be stopped and started again on the SAME port (an outage). Child
processes (the daemon under test) reach them through the settings and environment they give.

SMTP — ``smtp_server(security="none"|"starttls"|"ssl", users={"alice": "pw"}) as smtp``
    aiosmtpd on 127.0.0.1. ``smtp.port``, ``smtp.host``; ``smtp.mails`` (ReceivedMail: mail_from,
    rcpt_tos, raw bytes, ``message`` an email.message.EmailMessage parsed with policy.default,
    ``tls`` whether the session was encrypted);
    ``smtp.messages`` (just the EmailMessages); ``smtp.wait_for(n, timeout=10)`` blocks until n
    mails arrived and returns ``smtp.messages``. ``smtp.fail("RCPT"|"MAIL"|"DATA",
    "550 5.1.1 User unknown", times=None)`` answers that stage with that reply (``times`` replies,
    or until ``smtp.clear_failures()``). ``smtp.stop()`` closes the listener and every open
    connection; ``smtp.start()`` listens again on the same port. For TLS modes ``smtp.ca_file``
    is the trustme CA that signed the server's certificate for "localhost" and 127.0.0.1.
    ``smtp.settings()`` is the ``smtp:`` section (dict) a sepwatch configuration needs to reach
    it (host, port, security, ca_file, username/password when ``users`` was given, from_addr).

HTTPS intercept — ``https_intercept() as proxy``
    A proxy on 127.0.0.1 that answers CONNECT host:443 with 200, then speaks TLS with a
    certificate for that host signed by its own trustme CA and records the HTTP request(s):
    ``proxy.requests`` (ReceivedRequest: host, method, path, query {name: [values]},
    ``raw_query``, headers with lower-case names, body bytes, ``.json()``, ``.text``);
    ``proxy.requests_to(host)``; ``proxy.wait_for(n, timeout=10)``. Answers: each known
    service host answers what the real service answers on success (DingTalk and WeCom
    ``{"errcode":0,"errmsg":"ok"}``, Feishu/Lark ``{"code":0,"msg":"success"}``, Slack ``ok``,
    Teams/Power Automate 202); ``proxy.respond(host, status, body, headers=None, times=None)``
    overrides that (``body`` str/bytes, or a dict/list sent as JSON); ``proxy.refuse(host,
    times=None)`` answers CONNECT with 502 (the service is unreachable); ``proxy.reset()``
    restores the defaults. ``proxy.env()`` is the environment a process needs to go through
    it: HTTPS_PROXY/https_proxy, REQUESTS_CA_BUNDLE/SSL_CERT_FILE = ``proxy.ca_file``, and
    NO_PROXY/no_proxy limited to loopback names. ``proxy.stop()`` / ``proxy.start()``: outage.
    In pytest: ``for k, v in proxy.env().items(): monkeypatch.setenv(k, v)``.

Webhook — ``webhook_receiver() as hook``
    A plain HTTP server on 127.0.0.1 that records every request (``hook.requests``, the same
    ReceivedRequest) and answers 200 ``{"ok": true}`` unless told otherwise:
    ``hook.respond(status, body="", headers=None, times=None)``; ``hook.url`` is its base URL
    (post to ``hook.url + "/any/path"``); ``hook.wait_for(n)``; ``hook.stop()`` / ``hook.start()``.
"""

from __future__ import annotations

import json
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout}s")
        time.sleep(0.02)


# --- SMTP --------------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    tls: bool  # the session was encrypted (STARTTLS or implicit TLS) when the mail arrived


@dataclass
class _Failure:
    reply: str
    times: int | None


class _Handler:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self.receiver = receiver

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        reply = self.receiver._failure("MAIL")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.receiver._failure("RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = self.receiver._failure("DATA")
        if reply:
            return reply
        raw = envelope.original_content or b""
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        transport = server.transport
        tls = transport is not None and transport.get_extra_info("ssl_object") is not None
        mail = ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), raw, parsed, tls)
        with self.receiver._lock:
            self.receiver.mails.append(mail)
        return "250 Message accepted for delivery"


class _TrackingController(Controller):
    """A Controller that remembers its connections so that stop() can cut them (an outage)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sessions: list[SMTP] = []

    def factory(self) -> SMTP:
        smtp: SMTP = super().factory()  # type: ignore[no-untyped-call]
        self.sessions.append(smtp)
        return smtp

    def stop(self, no_assert: bool = False) -> None:
        def close_all() -> None:
            for smtp in self.sessions:
                if smtp.transport is not None:
                    smtp.transport.close()

        if self.loop.is_running():
            done = threading.Event()

            def run() -> None:
                close_all()
                done.set()

            self.loop.call_soon_threadsafe(run)
            done.wait(5)
        super().stop(no_assert=no_assert)


Security = Literal["none", "starttls", "ssl"]


@dataclass
class SmtpReceiver:
    security: Security = "none"
    users: dict[str, str] = field(default_factory=dict)
    host: str = LOOPBACK
    port: int = 0
    mails: list[ReceivedMail] = field(default_factory=list)
    ca_file: Path | None = None
    _controller: _TrackingController | None = None
    _failures: dict[str, _Failure] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server_context: ssl.SSLContext | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [m.message for m in self.mails]

    def fail(self, stage: Literal["MAIL", "RCPT", "DATA"], reply: str, times: int | None = None) -> None:
        with self._lock:
            self._failures[stage] = _Failure(reply, times)

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def _failure(self, stage: str) -> str | None:
        with self._lock:
            rule = self._failures.get(stage)
            if rule is None:
                return None
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    del self._failures[stage]
            return rule.reply

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        _wait(lambda: len(self.mails) >= count, timeout, f"{count} mail(s) at SMTP port {self.port}")
        return self.messages

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode()
            if user in self.users and self.users[user] == auth_data.password.decode():
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> None:
        if self._controller is not None:
            return
        kwargs: dict[str, Any] = {}
        if self.security == "starttls":
            kwargs.update(tls_context=self._server_context, require_starttls=True)
        elif self.security == "ssl":
            kwargs.update(ssl_context=self._server_context)
        if self.users:
            # aiosmtpd knows about STARTTLS only; with implicit TLS (and without TLS) it must be told
            # that AUTH is fine, and then it cannot also insist on it.
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=self.security == "starttls",
                auth_require_tls=self.security == "starttls",
            )
        controller = _TrackingController(
            _Handler(self), hostname=self.host, port=self.port, server_hostname="localhost", **kwargs
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self, **overrides: Any) -> dict[str, Any]:
        section: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "from_addr": "sepwatch <alerts@sepwatch.test>",
            "timeout_s": 10,
        }
        if self.ca_file is not None:
            section["ca_file"] = str(self.ca_file)
        if self.users:
            user, password = next(iter(self.users.items()))
            section.update(username=user, password=password)
        section.update(overrides)
        return section


@contextmanager
def smtp_server(security: Security = "none", users: dict[str, str] | None = None) -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver(security=security, users=dict(users or {}), port=free_port())
    with tempfile.TemporaryDirectory(prefix="sepwatch-smtp-") as tmp:
        if security != "none":
            ca = trustme.CA()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("localhost", LOOPBACK).configure_cert(context)
            receiver._server_context = context
            receiver.ca_file = Path(tmp) / "smtp-ca.pem"
            ca.cert_pem.write_to_path(str(receiver.ca_file))
        receiver.start()
        try:
            yield receiver
        finally:
            receiver.stop()


# --- HTTP recording ----------------------------------------------------------------------------


@dataclass
class ReceivedRequest:
    host: str
    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.raw_query, keep_blank_values=True)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str]
    times: int | None


def _answer(status: int, body: Any, headers: dict[str, str] | None, times: int | None) -> _Answer:
    head = dict(headers or {})
    if isinstance(body, (dict, list)):
        data = json.dumps(body, ensure_ascii=False).encode()
        head.setdefault("Content-Type", "application/json; charset=utf-8")
    elif isinstance(body, str):
        data = body.encode()
        head.setdefault("Content-Type", "text/plain; charset=utf-8")
    else:
        data = bytes(body)
    return _Answer(status, data, head, times)


def _take(rules: list[_Answer]) -> _Answer | None:
    for rule in rules:
        if rule.times is None:
            return rule
        if rule.times > 0:
            rule.times -= 1
            return rule
    return None


def _record_handler(
    host_of: Any, record: Any, pick: Any
) -> type[BaseHTTPRequestHandler]:  # pragma: no cover - exercised through the receivers
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = self._read_chunked()
            else:
                body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            host = host_of(self)
            request = ReceivedRequest(
                host=host,
                method=self.command,
                path=url.path,
                raw_query=url.query,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            record(request)
            answer: _Answer = pick(host)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(answer.body)
            self.wfile.flush()
            self.close_connection = True

        def _read_chunked(self) -> bytes:
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()

        do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = _handle

    return Handler


class _Server:
    """A ThreadingHTTPServer that can stop and start again on the same port."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int) -> None:
        self.handler = handler
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._server is not None:
            return
        server = ThreadingHTTPServer((LOOPBACK, self.port), self.handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join(5)
        self._server = None


# --- HTTPS intercepting proxy ------------------------------------------------------------------

SUCCESS: dict[str, tuple[int, Any]] = {
    "oapi.dingtalk.com": (200, {"errcode": 0, "errmsg": "ok"}),
    "qyapi.weixin.qq.com": (200, {"errcode": 0, "errmsg": "ok"}),
    "open.feishu.cn": (
        200,
        {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"},
    ),
    "open.larksuite.com": (
        200,
        {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"},
    ),
    "hooks.slack.com": (200, "ok"),
}


def _default_answer(host: str) -> _Answer:
    if host in SUCCESS:
        status, body = SUCCESS[host]
        return _answer(status, body, None, None)
    if host.endswith((".logic.azure.com", ".powerautomate.com", ".powerplatform.com")):
        return _answer(202, b"", None, None)
    return _answer(200, {}, None, None)


class HttpsIntercept:
    def __init__(self, workdir: Path) -> None:
        self.ca = trustme.CA()
        self.ca_file = workdir / "intercept-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.requests: list[ReceivedRequest] = []
        self._answers: dict[str, list[_Answer]] = {}
        self._refusals: dict[str, list[int | None]] = {}
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()
        self._server = _Server(self._proxy_handler(), free_port())
        self.port = self._server.port

    # the API tests use
    def respond(
        self,
        host: str,
        status: int,
        body: Any = b"",
        headers: dict[str, str] | None = None,
        times: int | None = None,
    ) -> None:
        with self._lock:
            self._answers.setdefault(host, []).insert(0, _answer(status, body, headers, times))

    def refuse(self, host: str, times: int | None = None) -> None:
        with self._lock:
            self._refusals[host] = [times]

    def reset(self) -> None:
        with self._lock:
            self._answers.clear()
            self._refusals.clear()

    def requests_to(self, host: str) -> list[ReceivedRequest]:
        with self._lock:
            return [r for r in self.requests if r.host == host]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        _wait(lambda: len(self.requests) >= count, timeout, f"{count} request(s) at the HTTPS intercept")
        with self._lock:
            return list(self.requests)

    def env(self) -> dict[str, str]:
        proxy = f"http://{LOOPBACK}:{self.port}"
        loopback = "localhost,127.0.0.1,::1"
        return {
            "HTTPS_PROXY": proxy,
            "https_proxy": proxy,
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
            "SSL_CERT_FILE": str(self.ca_file),
            "NO_PROXY": loopback,
            "no_proxy": loopback,
        }

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    # internals
    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _pick(self, host: str) -> _Answer:
        with self._lock:
            return _take(self._answers.get(host, [])) or _default_answer(host)

    def _refused(self, host: str) -> bool:
        with self._lock:
            rules = self._refusals.get(host)
            if not rules:
                return False
            times = rules[0]
            if times is None:
                return True
            if times <= 0:
                del self._refusals[host]
                return False
            rules[0] = times - 1
            return True

    def _context(self, host: str) -> ssl.SSLContext:
        with self._lock:
            if host not in self._contexts:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                self.ca.issue_cert(host).configure_cert(context)
                self._contexts[host] = context
            return self._contexts[host]

    def _proxy_handler(self) -> type[BaseHTTPRequestHandler]:
        intercept = self
        inner = _record_handler(lambda h: h.server_host, intercept._record, intercept._pick)

        class Inner(inner):  # type: ignore[misc,valid-type]
            server_host = ""

        class Proxy(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_CONNECT(self) -> None:
                host = self.path.rsplit(":", 1)[0].strip("[]")
                if intercept._refused(host):
                    self.send_response(502, "Bad Gateway")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    self.close_connection = True
                    return
                self.send_response(200, "Connection established")
                self.end_headers()
                self.wfile.flush()
                try:
                    tls = intercept._context(host).wrap_socket(self.connection, server_side=True)
                except (ssl.SSLError, OSError):
                    self.close_connection = True
                    return
                handler = type("Inner", (Inner,), {"server_host": host})
                try:
                    handler(tls, self.client_address, self.server)
                except (ssl.SSLError, OSError):
                    pass
                finally:
                    with suppress(OSError):
                        tls.close()
                self.close_connection = True

        return Proxy


@contextmanager
def https_intercept() -> Iterator[HttpsIntercept]:
    with tempfile.TemporaryDirectory(prefix="sepwatch-intercept-") as tmp:
        proxy = HttpsIntercept(Path(tmp))
        proxy.start()
        try:
            yield proxy
        finally:
            proxy.stop()


# --- generic webhook receiver ------------------------------------------------------------------


class WebhookReceiver:
    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self._answers: list[_Answer] = []
        self._lock = threading.Lock()
        self.port = free_port()
        handler = _record_handler(lambda h: f"{LOOPBACK}:{self.port}", self._record, self._pick)
        self._server = _Server(handler, self.port)
        self.url = f"http://{LOOPBACK}:{self.port}"

    def respond(
        self, status: int, body: Any = b"", headers: dict[str, str] | None = None, times: int | None = None
    ) -> None:
        with self._lock:
            self._answers.insert(0, _answer(status, body, headers, times))

    def reset(self) -> None:
        with self._lock:
            self._answers.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        _wait(lambda: len(self.requests) >= count, timeout, f"{count} request(s) at the webhook receiver")
        with self._lock:
            return list(self.requests)

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _pick(self, host: str) -> _Answer:
        with self._lock:
            return _take(self._answers) or _answer(200, {"ok": True}, None, None)


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    hook.start()
    try:
        yield hook
    finally:
        hook.stop()
