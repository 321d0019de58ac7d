"""The README documents every setting, every command and the two set-up commands."""

from __future__ import annotations

import click

from config import all_setting_keys
from sepwatch.cli import cli
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    missing = [key for key in all_setting_keys() if f"`{key}`" not in README]
    assert missing == []


def _commands(group: click.Group, prefix: str = "sepwatch") -> list[str]:
    names: list[str] = []
    for name, command in group.commands.items():
        names.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            names.extend(_commands(command, f"{prefix} {name}"))
    return names


def test_every_command_is_documented() -> None:
    missing = [name for name in _commands(cli) if f"`{name}" not in README]
    assert missing == []


def test_the_two_commands_are_the_makefile_targets() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "make run" in README and "make test" in README
    assert "\nrun:" in makefile and "\ntest:" in makefile


def test_changelog_follows_keep_a_changelog() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog")
    assert "## [Unreleased]" in changelog or "## [0.1.0]" in changelog
