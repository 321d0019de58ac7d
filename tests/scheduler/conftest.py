"""Fixtures of the daemon tests (the helpers are in tests/scheduler/daemons.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mirror import Mirror, serve
from tests.scheduler.daemons import Deployment, deployment_for, silent_port


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with serve() as m:
        yield m


@pytest.fixture
def deployment(settings_env: dict[str, str], tmp_path: Path) -> Iterator[Deployment]:
    with deployment_for(settings_env, tmp_path) as d:
        yield d


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback URL that accepts connections and never answers: a crawl of it hangs."""
    with silent_port() as port:
        yield f"http://127.0.0.1:{port}"
