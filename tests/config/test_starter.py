"""The starter configuration and the list of keys, both generated from the schema."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from config import Settings, all_setting_keys, load_settings, starter_yaml
from config.loader import env_var_name
from config.schema import section_model, user_fields

COMMENTED_SETTING = re.compile(r"^(\s*)# ([a-z_]+):(.*)$")


def _flatten(data: dict[str, Any], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for key, value in data.items():
        # A mapping is a section unless it is itself a setting (freeze_overrides).
        nested = isinstance(value, dict) and prefix + key not in all_setting_keys()
        keys += _flatten(value, f"{prefix}{key}.") if nested else [prefix + key]
    return keys


def _uncommented(text: str) -> str:
    """The starter with every "# key: example" line (the last line of its block) switched on."""
    lines = [*text.splitlines(), ""]
    return "\n".join(
        COMMENTED_SETTING.sub(r"\1\2:\3", line) if not following.strip() else line
        for line, following in itertools.pairwise(lines)
    )


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return {"HOME": str(tmp_path / "home")}


def test_all_setting_keys() -> None:
    assert all_setting_keys() == [
        "data_dir",
        "store.url",
        "store.auto_migrate",
        "search.backend",
        "search.sqlite_path",
        "search.sqlite_busy_timeout_s",
        "search.elasticsearch_url",
        "search.elasticsearch_index_prefix",
        "search.elasticsearch_username",
        "search.elasticsearch_password",
        "search.elasticsearch_api_key",
        "search.elasticsearch_ca_certs",
        "import.max_file_mb",
        "import.pdf_max_pages",
        "import.index_batch_sections",
        "logging.level",
        "logging.format",
        "crawl.user_agent",
        "crawl.timeout_s",
        "crawl.retries",
        "crawl.backoff_s",
        "crawl.max_backoff_s",
        "crawl.delay_s",
        "crawl.concurrency_per_host",
        "crawl.obey_robots_txt",
        "crawl.time_limit_s",
        "crawl.unhealthy_after_failures",
        "3gpp.site_url",
        "3gpp.portal_url",
        "3gpp.groups",
        "3gpp.since",
        "3gpp.download_tdocs",
        "3gpp.specs",
        "3gpp.spec_min_release",
        "3gpp.releases",
        "3gpp.freeze_overrides",
        "ietf.datatracker_url",
        "ietf.archive_url",
        "ietf.rfc_editor_url",
        "ietf.groups",
        "ietf.drafts",
        "ietf.since",
        "portfolio.own",
        "portfolio.competitors",
        "epo.base_url",
        "epo.client_id",
        "epo.client_secret",
        "uspto.base_url",
        "uspto.api_key",
        "deadlines.rules_file",
        "deadlines.holidays_file",
        "matcher.claims_dir",
        "matcher.min_covered",
        "schedule.timezone",
        "schedule.default",
        "schedule.sources",
        "schedule.misfire_grace_s",
        "schedule.max_parallel_crawls",
        "schedule.relay_interval_s",
        "schedule.reminders_at",
        "schedule.daily_digest_at",
        "schedule.weekly_digest_day",
        "alerts.new_match",
        "alerts.drift",
        "alerts.patent_status",
        "alerts.deadline_days",
        "alerts.milestone_days",
        "alerts.milestone_kinds",
        "alerts.source_health",
        "alerts.linked",
        "delivery.max_attempts",
        "delivery.backoff_s",
        "delivery.max_backoff_s",
        "smtp.host",
        "smtp.port",
        "smtp.security",
        "smtp.username",
        "smtp.password",
        "smtp.from_addr",
        "smtp.timeout_s",
        "smtp.ca_file",
        "smtp.rate_per_minute",
        "web.enabled",
        "web.host",
        "web.port",
        "web.public_url",
        "web.session_hours",
        "web.max_failed_logins",
        "web.trusted_proxy_header",
        "web.trusted_proxies",
        "web.secret_key_file",
        "channels",
        "teams",
        "people",
        "feeds",
        "listings",
    ]


def test_all_setting_keys_follows_the_schema() -> None:
    def walk(model: type[BaseModel], prefix: str) -> list[str]:
        keys: list[str] = []
        for key, field in user_fields(model).items():
            sub = section_model(field)
            keys += walk(sub, f"{prefix}{key}.") if sub else [prefix + key]
        return keys

    assert all_setting_keys() == walk(Settings, "")
    assert "config_file" not in all_setting_keys()


@pytest.mark.parametrize("extra", [{}, {"XDG_DATA_HOME": "/xdg/data"}])
def test_starter_loads_to_the_defaults(tmp_path: Path, env: dict[str, str], extra: dict[str, str]) -> None:
    path = tmp_path / "sepwatch.yaml"
    path.write_text(starter_yaml(), encoding="utf-8")
    from_starter = load_settings(path, env={**env, **extra})
    defaults = load_settings(env={**env, **extra})
    assert from_starter.config_file == path
    assert defaults.config_file is None
    assert from_starter.model_dump() == defaults.model_dump()


def test_starter_shows_every_key_with_a_valid_value(tmp_path: Path, env: dict[str, str]) -> None:
    text = _uncommented(starter_yaml())
    assert sorted(_flatten(yaml.safe_load(text))) == sorted(all_setting_keys())
    path = tmp_path / "uncommented.yaml"
    path.write_text(text, encoding="utf-8")
    load_settings(path, env=env)  # every example is itself a valid value


def _documented_settings(text: str) -> dict[str, str]:
    """Dotted key → the comment block above it, read from the starter's layout."""
    found: dict[str, str] = {}
    section = ""
    comment: list[str] = []
    lines = [*text.splitlines(), ""]
    for line, following in itertools.pairwise(lines):
        setting = re.match(r"^(\s*)(?:# )?([a-z0-9_]+):", line)
        # a commented-out setting is the last line of its block; other "# word:" lines are prose
        if setting is not None and (not line.lstrip().startswith("#") or not following.strip()):
            indent, key = setting.groups()
            if not indent and line == f"{key}:":
                section = key
            else:
                found[f"{section}.{key}" if indent else key] = " ".join(comment)
            comment = []
        elif line.strip():
            comment.append(line.strip().removeprefix("#").strip())
        else:
            comment = []
    return found


@pytest.mark.parametrize("key", all_setting_keys())
def test_starter_documents_every_key_under_its_section(key: str) -> None:
    model: type[BaseModel] = Settings
    *sections, leaf = key.split(".")
    for section in sections:
        sub = section_model(user_fields(model)[section])
        assert sub is not None
        model = sub
    description = user_fields(model)[leaf].description or ""
    assert description
    assert description in _documented_settings(starter_yaml())[key]


def test_unset_settings_are_commented_out_with_an_example() -> None:
    text = starter_yaml()
    assert "  # url: postgresql+psycopg://user@host/sepwatch" in text.splitlines()
    assert "# data_dir: ~/.local/share/sepwatch" in text.splitlines()
    assert "  max_file_mb: 200" in text.splitlines()


def test_starter_header_explains_environment_overrides() -> None:
    header = starter_yaml().split("\n\n# ")[0]
    assert "SEPWATCH_" in header
    assert env_var_name("store.url") == "SEPWATCH_STORE__URL"
    assert "SEPWATCH_STORE__URL=" in header
    assert "SEPWATCH_IMPORT__MAX_FILE_MB=" in header
    assert all(line.startswith("#") or not line for line in header.splitlines())
