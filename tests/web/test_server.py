"""The server: start and stop, addresses, the signing key, health, and `sepwatch web` as a process."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from config import Settings
from sepwatch.app import App
from web.security import load_secret_key
from web.server import WebServerError, start_in_thread

from .conftest import ServerInfo, WebClient, csrf_of

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def test_secret_key_is_created_private_and_kept(settings: Settings) -> None:
    key = load_secret_key(settings)
    path = settings.data_dir / "web_secret.key"
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_key(settings) == key


def test_secret_key_file_setting(settings: Settings, tmp_path: Path) -> None:
    missing = tmp_path / "keys" / "web.key"
    configured = settings.model_copy(
        update={"web": settings.web.model_copy(update={"secret_key_file": missing})}
    )
    with pytest.raises(RuntimeError, match=r"web.secret_key_file .*web.key: cannot read the key"):
        load_secret_key(configured)  # a configured key is never invented
    missing.parent.mkdir()
    missing.write_text("c2hvcnQ=\n")
    with pytest.raises(RuntimeError, match="too short"):
        load_secret_key(configured)


def test_sessions_and_forms_survive_a_restart(web_app: App, anon: WebClient, server: ServerInfo) -> None:
    from web import auth

    auth.add_user(web_app.store, "restart", password="a long enough password")
    form = anon.get("/login")
    server.handle.stop()
    again = start_in_thread(web_app, host="127.0.0.1", port=0)
    try:
        with WebClient(base_url=again.url, cookies=anon.cookies, follow_redirects=False) as web:
            answer = web.post(
                "/login",
                data={
                    "username": "restart",
                    "password": "a long enough password",
                    "csrf_token": csrf_of(form.text),
                },
            )
            assert answer.status_code == 303  # the CSRF token from before the restart still holds
    finally:
        again.stop()


def test_a_busy_port_is_a_clear_error(web_app: App) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(
            WebServerError, match=rf"cannot listen on 127.0.0.1:{port}: Address already in use"
        ):
            start_in_thread(web_app, host="127.0.0.1", port=port)


def test_health_says_when_the_store_is_unreachable(
    server: ServerInfo, anon: WebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert anon.get("/health").json() == {"status": "ok", "store": "ok"}
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    dead = create_engine(
        f"postgresql+psycopg://nobody@127.0.0.1:{port}/x", connect_args={"connect_timeout": 2}
    )
    monkeypatch.setattr(server.app.store, "engine", dead)
    answer = anon.get("/health")
    assert answer.status_code == 503
    assert answer.json() == {"status": "error", "store": "unreachable"}  # nothing about the URL leaks


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_sepwatch_web_serves_until_sigterm(settings_env: dict[str, str], tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, **settings_env, "SEPWATCH_WEB__PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sepwatch", "web"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = None
        for _ in range(300):  # waiting for the process to come up, not measuring it
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
        assert health is not None, proc.stderr.read() if proc.stderr else ""
        assert health.json() == {"status": "ok", "store": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/me").status_code == 401
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "web UI at http://127.0.0.1:" in (proc.stderr.read() if proc.stderr else "")


def test_web_service_for_sepwatch_run(web_app: App) -> None:
    from web.server import WebService

    free = _free_port()
    settings = web_app.settings.model_copy(
        update={"web": web_app.settings.web.model_copy(update={"port": free})}
    )
    service = WebService(App(settings, web_app.store, web_app.search, web_app.indexer))
    service.start()
    try:
        assert httpx.get(f"http://127.0.0.1:{free}/health").json()["status"] == "ok"
    finally:
        service.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{free}/health", timeout=2)
