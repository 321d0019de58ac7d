"""Serving the web UI with uvicorn: alone (``sepwatch web``) or in a thread of ``sepwatch run``."""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

from index.users import list_users
from sepwatch.app import App
from web.app import create_app

log = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
_FEED_TOKEN = re.compile(r"(/calendar/feed/)[^/?\s.]+")


class WebServerError(RuntimeError):
    """The web server could not start; the message says where and why."""


class _RedactFeedTokens(logging.Filter):
    """Access log lines must not carry the secret of a personal calendar feed URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _FEED_TOKEN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        return True


_access_filter = _RedactFeedTokens()


@dataclass
class WebServer:
    """A running web server; ``stop()`` ends it (open requests get STOP_TIMEOUT_S to finish)."""

    host: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout)


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise WebServerError(f"web.host {host!r}: cannot resolve it: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise WebServerError(f"the web UI cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def start_in_thread(app: App, *, host: str | None = None, port: int | None = None) -> WebServer:
    """Serve the web UI of *app* in a daemon thread; returns once it accepts connections.

    *host* and *port* default to ``web.host`` and ``web.port``; port 0 picks a free port (see ``.port``).
    WebServerError when the address cannot be bound.
    """
    settings = app.settings.web
    host = host if host is not None else settings.host
    port = port if port is not None else settings.port
    if not _is_loopback(host) and not (settings.public_url or "").startswith("https://"):
        log.warning(
            "the web UI listens on %s without web.public_url set to an https:// URL: put it behind an "
            "HTTPS reverse proxy and set web.public_url, or session cookies travel unencrypted",
            host,
        )
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(app),
        log_config=None,  # sepwatch.logs configures logging
        proxy_headers=False,  # web.trusted_proxies decides whom to believe (web.security.client_address)
        server_header=False,
        timeout_graceful_shutdown=int(STOP_TIMEOUT_S),
        lifespan="off",
    )
    logging.getLogger("uvicorn.access").addFilter(_access_filter)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="sepwatch-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise WebServerError(f"the web UI did not start on {host}:{bound_port} (see the log)")
        time.sleep(0.02)
    handle = WebServer(host, bound_port, server, thread)
    log.info("web UI at %s", settings.public_url or handle.url)
    if not any(not user.disabled for user in list_users(app.store)):
        log.warning(
            "nobody can sign in yet: create the first account with `sepwatch users add NAME --role admin`"
        )
    return handle


def serve_forever(
    app: App, stop: threading.Event, *, host: str | None = None, port: int | None = None
) -> None:
    """Serve the web UI until *stop* is set (``sepwatch web``)."""
    handle = start_in_thread(app, host=host, port=port)
    try:
        while not stop.wait(1.0):
            if not handle.thread.is_alive():
                raise WebServerError("the web server stopped unexpectedly (see the log)")
    finally:
        handle.stop()
        log.info("web UI stopped")


class WebService:
    """The web UI as an extra service of ``sepwatch run`` (sepwatch.service.ExtraService: name, start, stop)."""

    name = "web"

    def __init__(self, app: App) -> None:
        self.app = app
        self.handle: WebServer | None = None

    def start(self) -> None:
        self.handle = start_in_thread(self.app)

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.stop()
            self.handle = None
