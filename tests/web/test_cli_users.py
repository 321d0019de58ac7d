"""`sepwatch users …` as an administrator runs it: real processes on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import load_settings
from sepwatch.app import App
from web import auth

SEPWATCH = [sys.executable, "-m", "sepwatch"]


@pytest.fixture
def env(settings_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **settings_env, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config")}


def sw(
    env: dict[str, str], *args: str, stdin: str | None = None, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*SEPWATCH, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    if ok and proc.returncode != 0:
        pytest.fail(f"sepwatch {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_users_lifecycle(env: dict[str, str], settings_env: dict[str, str]) -> None:
    added = sw(
        env, "users", "add", "Alice", "--role", "admin", "--password-stdin", stdin="correct horse battery\n"
    )
    assert added.stdout.strip() == "added alice (admin)"
    sw(env, "users", "add", "sso.bob", "--no-password")

    again = sw(env, "users", "add", "alice", "--password-stdin", stdin="another password\n", ok=False)
    assert again.returncode == 1 and "user 'alice' already exists" in again.stderr
    short = sw(env, "users", "add", "carol", "--password-stdin", stdin="short\n", ok=False)
    assert short.returncode == 1 and "too short: at least 10 characters" in short.stderr
    bad = sw(env, "users", "add", "bad name!", "--password-stdin", stdin="long enough password\n", ok=False)
    assert bad.returncode == 1 and "user name 'bad name!' is not valid" in bad.stderr

    listed = [json.loads(line) for line in sw(env, "users", "list", "--json").stdout.splitlines()]
    assert [(u["username"], u["role"], u["has_password"], u["disabled"]) for u in listed] == [
        ("alice", "admin", True, False),
        ("sso.bob", "viewer", False, False),
    ]

    token_run = sw(env, "users", "token", "alice", "--name", "nightly export")
    token = token_run.stdout.strip()
    assert token.startswith("swt_") and "shown only now" in token_run.stderr

    sw(env, "users", "passwd", "alice", "--password-stdin", stdin="a brand new password\n")
    sw(env, "users", "role", "sso.bob", "editor")
    sw(env, "users", "disable", "sso.bob")

    with App.open(load_settings(None, env=settings_env)) as app:
        assert auth.check_password(app.store, "alice", "correct horse battery") is None
        assert auth.check_password(app.store, "ALICE", "a brand new password") is not None
        assert auth.api_token_user(app.store, token) is not None
        bob = auth.users.get_user(app.store, "sso.bob")
        assert bob is not None and (bob.role, bob.disabled) == ("editor", True)

    sw(env, "users", "enable", "sso.bob")
    text = sw(env, "users", "list").stdout
    assert "sso.bob\teditor\tenabled, SSO only\tnever signed in" in text
    missing = sw(env, "users", "disable", "nobody", ok=False)
    assert missing.returncode == 1 and "no user 'nobody'" in missing.stderr
