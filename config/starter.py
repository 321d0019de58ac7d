"""The commented starter configuration and the list of setting keys, both generated from the schema.

Because both walk :class:`~config.schema.Settings`, a new setting appears in the starter file
(and in the README check that uses :func:`all_setting_keys`) as soon as it is declared.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from config.loader import CONFIG_ENV, CONFIG_FILE_NAME, env_var_name
from config.schema import Settings, annotation_members, literal_values, section_model, user_fields

__all__ = ["all_setting_keys", "starter_yaml"]

_WIDTH = 88

_HEADER = f"""\
sepwatch configuration — a starter file generated from the settings schema.

sepwatch reads the first of: the file given on the command line, the file named
by {CONFIG_ENV}, ./{CONFIG_FILE_NAME}, $XDG_CONFIG_HOME/sepwatch/{CONFIG_FILE_NAME}
(default ~/.config/sepwatch/{CONFIG_FILE_NAME}). Without a file every setting has
the default shown here. Unknown keys are errors.

Every setting can be overridden by an environment variable: SEPWATCH_ and the key
in capitals, with __ between a section and its key, e.g.
  {{store_url}}=postgresql://user:secret@db.example/sepwatch
  {{max_file_mb}}=500
Keep secrets such as database passwords in the environment, not in this file.

Relative paths are relative to this file's directory; ~ is the home directory.
A commented-out "# key: value" line is a setting that is unset by default; the
value shown is an example."""


def all_setting_keys() -> list[str]:
    """Every user setting as a dotted key, in schema order: ``data_dir``, ``store.url``…"""
    return _keys(Settings, "")


def _keys(model: type[BaseModel], prefix: str) -> list[str]:
    keys: list[str] = []
    for key, field in user_fields(model).items():
        sub = section_model(field)
        keys += _keys(sub, f"{prefix}{key}.") if sub is not None else [prefix + key]
    return keys


def starter_yaml() -> str:
    """A commented configuration file with every setting at its default; loading it gives the defaults."""
    header = _HEADER.format(
        store_url=env_var_name("store.url"), max_file_mb=env_var_name("import.max_file_mb")
    )
    lines = _comment(header, "", wrap=False)
    _emit(Settings, "", lines)
    return "\n".join(lines) + "\n"


def _emit(model: type[BaseModel], indent: str, lines: list[str]) -> None:
    for position, (key, field) in enumerate(user_fields(model).items()):
        if position or not indent:
            lines.append("")
        sub = section_model(field)
        if sub is not None:
            lines += _comment(field.description or "", indent)
            lines.append(f"{indent}{key}:")
            _emit(sub, indent + "  ", lines)
            continue
        lines += _comment(" ".join(filter(None, [field.description, _constraints(field)])), indent)
        default = _default(field)
        if default is None:
            example = _example(field)
            lines.append(
                f"{indent}# {_yaml_pair(key, example)}" if example is not None else f"{indent}# {key}:"
            )
        else:
            lines.append(indent + _yaml_pair(key, default))


def _comment(text: str, indent: str, *, wrap: bool = True) -> list[str]:
    if not text:
        return []
    width = _WIDTH - len(indent) - 2
    rows = textwrap.wrap(text, width, break_on_hyphens=False) if wrap else text.splitlines()
    return [f"{indent}# {row}".rstrip() for row in rows]


def _default(field: FieldInfo) -> Any:
    """The static default of *field*, or None when it is unset, empty, or computed at load time."""
    if field.default_factory is not None:
        # Container defaults (lists, mappings) are static; data_dir's factory reads the environment.
        if field.default_factory in (list, dict):
            return None
        value = field.default_factory()  # type: ignore[call-arg]
        return value if isinstance(value, (list, dict)) and value else None
    if field.default is PydanticUndefined:
        return None
    return field.default


def _example(field: FieldInfo) -> Any:
    extra = field.json_schema_extra
    return extra.get("example") if isinstance(extra, dict) else None


def _constraints(field: FieldInfo) -> str:
    """The allowed values and bounds, so the reader need not guess them."""
    values = literal_values(field)
    if len(values) > 1:
        return "One of: " + ", ".join(str(value) for value in values) + "."
    # pydantic keeps ge/gt/le/lt as annotated_types.Ge/Gt/Le/Lt objects in the field metadata.
    words = {"ge": "At least", "gt": "More than", "le": "At most", "lt": "Less than"}
    notes = [
        f"{label} {getattr(item, attribute)}."
        for _, metadata in annotation_members(field)
        for item in metadata
        for attribute, label in words.items()
        if getattr(item, attribute, None) is not None
    ]
    return " ".join(notes)


def _yaml_pair(key: str, value: Any) -> str:
    plain = str(value) if isinstance(value, Path) else value
    # Flow style keeps a list or mapping on the one line that may be commented out.
    flow = None if isinstance(plain, (list, dict)) else False
    dumped = yaml.safe_dump(
        {key: plain}, default_flow_style=flow, allow_unicode=True, width=1000, sort_keys=False
    )
    if flow is None:
        dumped = yaml.safe_dump(
            {key: plain}, default_flow_style=True, allow_unicode=True, width=1000, sort_keys=False
        )[1:-2]
    return dumped.rstrip("\n")
