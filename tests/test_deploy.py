"""The production stack as shipped: docker-compose.yml validates with the compose tool, every
image is pinned, ports bind to localhost unless configured, secrets come only from the
environment file, and every variable it uses is documented in .env.example."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"


def compose_command() -> list[str]:
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if os.environ.get("CI"):
        pytest.fail("no docker compose tool on the CI machine (.ci/run installs docker-compose)")
    pytest.skip("neither `docker compose` nor `docker-compose` is installed")


def env_file(tmp_path: Path, **values: str) -> Path:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = re.sub(rf"^{key}=.*$", f"{key}={value}", text, flags=re.MULTILINE)
    path = tmp_path / "test.env"
    path.write_text(text, encoding="utf-8")
    return path


def test_compose_config_validates_with_the_example_env(tmp_path: Path) -> None:
    env = env_file(tmp_path, POSTGRES_PASSWORD="p1", ELASTIC_PASSWORD="p2", SEPWATCH_ES_PASSWORD="p3")
    proc = subprocess.run(
        [*compose_command(), "--env-file", str(env), "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr


def test_compose_refuses_to_start_without_passwords(tmp_path: Path) -> None:
    env = env_file(tmp_path)  # the example as shipped: passwords empty
    proc = subprocess.run(
        [*compose_command(), "--env-file", str(env), "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode != 0 and "POSTGRES_PASSWORD" in proc.stderr


def test_images_pinned_ports_local_secrets_from_env_only() -> None:
    spec = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    for name, service in spec["services"].items():
        image = service.get("image", "")
        if "build" not in service:
            assert re.search(r":\d+(\.\d+)+", image) or re.search(r":v\d+(\.\d+)+", image), (
                f"{name}: {image} not pinned"
            )
        for port in service.get("ports", []):
            assert str(port).startswith("${BIND_ADDRESS:-127.0.0.1}:"), (
                f"{name}: {port} not bound to localhost"
            )
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|API_KEY", key):
                assert str(value).startswith("${") or "${" in str(value), f"{name}: {key} is a literal secret"
    long_running = [
        n for n, s in spec["services"].items() if s.get("restart") != "no" and "profiles" not in s
    ]
    assert all("healthcheck" in spec["services"][n] for n in long_running)
    assert set(spec["volumes"]) == {"postgres-data", "es-data", "sepwatch-data"}


def test_every_variable_is_documented_in_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE.read_text(encoding="utf-8")))
    documented = set(
        re.findall(r"^([A-Z_][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    )
    assert used <= documented, used - documented
    assert not re.search(r"^[A-Z_]*PASSWORD=\S", ENV_EXAMPLE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert ".env" in (REPO / ".gitignore").read_text(encoding="utf-8").split()
