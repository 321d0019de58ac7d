"""Spiders end to end: ``sepwatch crawl`` in a real process against a loopback HTTP mirror."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.mirror import Mirror, serve

SEPWATCH = [sys.executable, "-m", "sepwatch"]


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with serve() as m:
        yield m


class Sepwatch:
    """Runs sepwatch commands with a configuration file pointing at the mirror."""

    def __init__(self, env: dict[str, str], config: Path) -> None:
        self.env = env
        self.config = config

    def configure(self, settings: dict[str, Any]) -> None:
        base = {"crawl": {"delay_s": 0, "retries": 1, "backoff_s": 0, "obey_robots_txt": True}}
        for key, value in settings.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                base[key] = {**base[key], **value}
            else:
                base[key] = value
        self.config.write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")

    def __call__(self, *args: str, ok: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [*SEPWATCH, "--config", str(self.config), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if ok and proc.returncode != 0:
            pytest.fail(f"sepwatch {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def crawl(self, source: str, *, ok: bool = True) -> dict[str, Any]:
        proc = self("crawl", source, "--json", ok=ok)
        try:
            result: dict[str, Any] = json.loads(proc.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"crawl {source} printed no JSON:\n{proc.stdout}\n{proc.stderr}")
        return result

    def export(self, what: str = "documents", *args: str) -> list[dict[str, Any]]:
        out = self("export", what, *args).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def search(self, *args: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self("search", "--json", *args).stdout)
        return result


@pytest.fixture
def sepwatch(settings_env: dict[str, str], tmp_path: Path) -> Sepwatch:
    env = {**os.environ, **settings_env, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config")}
    return Sepwatch(env, tmp_path / "sepwatch.yaml")


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def docx_of(paragraphs: list[tuple[str, str]]) -> bytes:
    """A Word document from (style, text) pairs; style "H1".."H3" for headings, "" for body text."""
    import docx

    document = docx.Document()
    for style, text in paragraphs:
        if style.startswith("H"):
            document.add_heading(text, level=int(style[1:]))
        else:
            document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
