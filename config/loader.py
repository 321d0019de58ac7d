"""Reads the configuration file and the ``SEPWATCH_`` environment into :class:`Settings`.

This is the one place that reads the environment for settings. Precedence, highest first:
``SEPWATCH_<KEY>`` environment variables, the configuration file, the schema defaults.

The file is the first of:

1. the ``path`` argument (an error if it does not exist);
2. the file named by ``SEPWATCH_CONFIG`` (an error if it does not exist);
3. ``./sepwatch.yaml`` in the current directory;
4. ``$XDG_CONFIG_HOME/sepwatch/sepwatch.yaml`` (``~/.config/sepwatch/sepwatch.yaml``);

and without any, every setting has its default.

Environment variables: ``SEPWATCH_`` then the dotted key in any case with ``__`` for the dot
(``SEPWATCH_STORE__URL``, ``SEPWATCH_IMPORT__MAX_FILE_MB``). Values of text settings (paths,
URLs, choices) are taken verbatim; other values are read as YAML scalars (``true``, ``5``).
An empty value is ignored. ``SEPWATCH_CONFIG``, ``SEPWATCH_FAULTPOINT`` and ``SEPWATCH_TEST_*``
are reserved for other uses and ignored here.

Every problem found is reported at once in a :class:`ConfigError`, one line each, naming the file
and line or the environment variable, the dotted key, what was expected and what was given.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config.schema import (
    Settings,
    accepts_text,
    annotation_members,
    default_data_dir,
    home_dir,
    is_database_url,
    is_path,
    literal_values,
    section_model,
    user_fields,
)

__all__ = [
    "CONFIG_ENV",
    "CONFIG_FILE_NAME",
    "ENV_PREFIX",
    "ConfigError",
    "env_var_name",
    "find_config_file",
    "load_settings",
]

ENV_PREFIX = "SEPWATCH_"
CONFIG_ENV = "SEPWATCH_CONFIG"
CONFIG_FILE_NAME = "sepwatch.yaml"
# Names under the prefix that belong to other parts of sepwatch (tests, crash injection).
RESERVED_ENV = frozenset({CONFIG_ENV, "SEPWATCH_FAULTPOINT"})
RESERVED_ENV_PREFIXES = ("SEPWATCH_TEST_",)

Loc = tuple[str | int, ...]

_BOUNDS = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
_BOUND_CTX = {"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt"}
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^:/@\s]*:)[^@\s]*@")


class ConfigError(Exception):
    """The configuration cannot be used; ``str()`` is the whole message, one line per problem."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        super().__init__("\n".join(self.problems))


def env_var_name(key: str) -> str:
    """The environment variable that overrides the dotted *key*: ``store.url`` → ``SEPWATCH_STORE__URL``."""
    return ENV_PREFIX + key.upper().replace(".", "__")


def find_config_file(
    path: Path | None = None, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Path | None:
    """The configuration file to read, absolute, or None when there is none (see the module docstring)."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    home = home_dir(env)
    if path is not None:
        explicit = cwd / _expand_home(str(path), home)
        if not explicit.exists():
            raise ConfigError(f"{explicit}: configuration file not found")
        return explicit
    named = _env_get(env, CONFIG_ENV)
    if named:
        explicit = cwd / _expand_home(named, home)
        if not explicit.exists():
            raise ConfigError(f"{explicit}: configuration file not found (named by {CONFIG_ENV})")
        return explicit
    local = cwd / CONFIG_FILE_NAME
    if local.is_file():
        return local
    xdg = env.get("XDG_CONFIG_HOME", "")
    config_home = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".config"
    user = config_home / "sepwatch" / CONFIG_FILE_NAME
    if user.is_file():
        return user
    return None


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read, merge and validate the configuration; raise :class:`ConfigError` listing every problem.

    *env* defaults to ``os.environ``; pass a mapping to load without touching the process environment.
    """
    env = os.environ if env is None else env
    cwd = Path.cwd()
    home = home_dir(env)
    config_file = find_config_file(path, env, cwd)

    data: dict[Any, Any] = {}
    lines: dict[Loc, int] = {}
    located: list[tuple[Loc, str]] = []  # problems with a key, reported in file order
    if config_file is not None:
        data, lines, located = _read_file(config_file)
        _prepare(Settings, data, (), config_file.parent, home, located)

    overrides, env_sources, env_problems = _env_overrides(env)
    _prepare(Settings, overrides, (), cwd, home, located)
    _merge(data, overrides)

    data.setdefault("data_dir", default_data_dir(env))
    data["config_file"] = config_file
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        located += [(tuple(error["loc"]), _explain(error)) for error in exc.errors(include_url=False)]
    problems = [
        _where(loc, config_file, lines, env_sources) + message
        for loc, message in sorted(
            located,
            key=lambda problem: (
                _env_source(problem[0], env_sources) or "",
                _line_of(problem[0], lines) or 0,
            ),
        )
    ]
    problems += env_problems
    if problems or settings is None:
        raise ConfigError(problems)
    return settings


# --- File ---------------------------------------------------------------------------------------


def _read_file(path: Path) -> tuple[dict[Any, Any], dict[Loc, int], list[tuple[Loc, str]]]:
    """The top-level mapping of *path*, the line of each key, and duplicate-key problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: cannot read the configuration file: not UTF-8 text (byte {exc.start})"
        ) from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: invalid YAML{where}: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    finally:
        loader.dispose()
    if node is None or data is None:
        return {}, {}, []
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping of settings (key: value lines) at the top level, "
            f"got {_describe(data)}"
        )
    lines: dict[Loc, int] = {}
    duplicates: list[tuple[Loc, str]] = []
    _key_lines(node, (), lines, duplicates)
    return data, lines, duplicates


def _key_lines(node: yaml.Node, loc: Loc, lines: dict[Loc, int], duplicates: list[tuple[Loc, str]]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            here = (*loc, key_node.value)
            line = key_node.start_mark.line + 1
            if here in lines:
                # yaml.safe_load would silently keep the last one.
                duplicates.append((here, f"duplicate key; set again on line {line}"))
                continue
            lines[here] = line
            _key_lines(value_node, here, lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*loc, index)] = item.start_mark.line + 1
            _key_lines(item, (*loc, index), lines, duplicates)


# --- Environment --------------------------------------------------------------------------------


def _env_get(env: Mapping[str, str], name: str) -> str | None:
    if name in env:
        return env[name]
    return next((value for key, value in env.items() if key.upper() == name), None)


def _is_reserved(upper_name: str) -> bool:
    return upper_name in RESERVED_ENV or upper_name.startswith(RESERVED_ENV_PREFIXES)


def _env_overrides(env: Mapping[str, str]) -> tuple[dict[str, Any], dict[Loc, str], list[str]]:
    """The ``SEPWATCH_`` overrides as nested data, the variable behind each key, and problems."""
    data: dict[str, Any] = {}
    sources: dict[Loc, str] = {}
    problems: list[str] = []
    for name in sorted(env):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or _is_reserved(upper):
            continue
        label = f"environment variable {name}: "
        parts = upper[len(ENV_PREFIX) :].lower().split("__")
        if not all(parts):
            problems.append(label + "not a setting name; nest keys with __, e.g. SEPWATCH_STORE__URL")
            continue
        model: type[BaseModel] = Settings
        node = data
        for depth, part in enumerate(parts):
            key = ".".join(parts[: depth + 1])
            fields = user_fields(model)
            field = fields.get(part)
            if field is None:
                problems.append(f"{label}{key}: unknown key; expected one of: {', '.join(fields)}")
                break
            sub = section_model(field)
            if depth < len(parts) - 1:
                if sub is None:
                    problems.append(f"{label}{key} is a single setting, not a section")
                    break
                model = sub
                node = node.setdefault(part, {})
                continue
            if sub is not None:
                problems.append(f"{label}{key} is a section; set its keys with {name}__<KEY>")
            elif tuple(parts) in sources:
                problems.append(f"{label}{key} is also set by {sources[tuple(parts)]}")
            elif env[name] != "":
                node[part] = _env_value(env[name], field)
                sources[tuple(parts)] = name
    return data, sources, problems


def _env_value(raw: str, field: FieldInfo) -> Any:
    """Text settings verbatim (YAML would eat ``' #…'`` and quotes in passwords); others as YAML scalars."""
    if accepts_text(field):
        return raw
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    return value if isinstance(value, bool | int | float | str) else raw


# --- Preparation and merging --------------------------------------------------------------------


def _expand_home(text: str, home: Path) -> Path:
    if text == "~" or text.startswith("~/"):
        return home / text[2:]
    try:
        return Path(text).expanduser()
    except RuntimeError:  # ~user of an unknown user: leave it for the user to see
        return Path(text)


def _resolve_path(text: str, base: Path, home: Path) -> Path:
    path = _expand_home(text, home)
    return path if path.is_absolute() else base / path


def _resolve_sqlite_url(text: str, base: Path, home: Path) -> str:
    try:
        url = make_url(text.strip())
    except ArgumentError:
        return text  # the schema reports it
    database = url.database
    if not url.drivername.startswith("sqlite") or not database or database == ":memory:":
        return text
    if database.startswith("file:"):  # SQLite URI filename: left to SQLite
        return text
    return url.set(database=str(_resolve_path(database, base, home))).render_as_string(hide_password=False)


def _prepare(
    model: type[BaseModel],
    data: dict[Any, Any],
    loc: Loc,
    base: Path,
    home: Path,
    problems: list[tuple[Loc, str]],
) -> None:
    """Check *data*'s keys against *model*, drop unknown ones, read empty sections as {}, resolve paths."""
    fields = user_fields(model)
    for key in list(data):
        here = (*loc, key)
        field = fields.get(key) if isinstance(key, str) else None
        if field is None:
            problems.append((here, f"unknown key; expected one of: {', '.join(fields)}"))
            del data[key]
            continue
        value = data[key]
        sub = section_model(field)
        if sub is not None:
            if value is None:  # "store:" with every key commented out
                data[key] = value = {}
            if isinstance(value, dict):
                _prepare(sub, value, here, base, home, problems)
        elif isinstance(value, str):
            if is_path(field):
                data[key] = _resolve_path(value, base, home)
            elif is_database_url(field):
                data[key] = _resolve_sqlite_url(value, base, home)


def _merge(base: dict[Any, Any], over: Mapping[Any, Any]) -> None:
    for key, value in over.items():
        if isinstance(value, Mapping) and key in base:
            if isinstance(base[key], dict):
                _merge(base[key], value)
            # else the file has a scalar where a section belongs: keep it so that error is reported
        else:
            base[key] = value


# --- Messages -----------------------------------------------------------------------------------


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _env_source(loc: Loc, env_sources: Mapping[Loc, str]) -> str | None:
    """The environment variable that set *loc* or its nearest enclosing key, if any."""
    return next(
        (env_sources[loc[:depth]] for depth in range(len(loc), 0, -1) if loc[:depth] in env_sources), None
    )


def _line_of(loc: Loc, lines: Mapping[Loc, int]) -> int | None:
    """The file line of *loc*, or of its nearest enclosing key."""
    return next((lines[loc[:depth]] for depth in range(len(loc), 0, -1) if loc[:depth] in lines), None)


def _where(
    loc: Loc, config_file: Path | None, lines: Mapping[Loc, int], env_sources: Mapping[Loc, str]
) -> str:
    """``"<file>: <key> (line N): "`` or ``"environment variable <NAME>: <key>: "``."""
    key = _dotted(loc) or "(top level)"
    variable = _env_source(loc, env_sources)
    if variable is not None:
        return f"environment variable {variable}: {key}: "
    if config_file is None:
        return f"{key}: "
    line = _line_of(loc, lines)
    return f"{config_file}: {key}" + (f" (line {line})" if line is not None else "") + ": "


def _field_at(loc: Loc) -> FieldInfo | None:
    model: type[BaseModel] | None = Settings
    field = None
    for part in loc:
        if model is None or not isinstance(part, str):
            return None
        field = user_fields(model).get(part) or model.model_fields.get(part)
        if field is None:
            return None
        model = section_model(field)
    return field


def _describe(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        text = _URL_PASSWORD.sub(r"\1***@", value)
        return json.dumps(text if len(text) <= 80 else text[:77] + "...", ensure_ascii=False)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return str(value)


def _one_of(values: Sequence[Any]) -> str:
    names = [str(value) for value in values]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _kind(field: FieldInfo | None) -> str:
    types_ = {annotation for annotation, _ in annotation_members(field)} if field is not None else set()
    if int in types_:
        return "an integer"
    if float in types_:
        return "a number"
    return "a value"


def _explain(error: ErrorDetails) -> str:
    """What was expected and what was given, in the words of the YAML file."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    loc = tuple(error["loc"])
    got = f", got {_describe(error['input'])}"
    field = _field_at(loc)
    if kind == "extra_forbidden":
        parent = _field_at(loc[:-1]) if loc[:-1] else None
        model = section_model(parent) if parent is not None else Settings
        allowed = ", ".join(user_fields(model)) if model is not None else ""
        return f"unknown key; expected one of: {allowed}"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "expected an integer" + got
    if kind in ("float_type", "float_parsing"):
        return "expected a number" + got
    if kind in _BOUNDS:
        return f"expected {_kind(field)} {_BOUNDS[kind]} {ctx.get(_BOUND_CTX[kind])}" + got
    if kind in ("bool_type", "bool_parsing"):
        return "expected true or false" + got
    if kind == "string_type":
        return "expected text" + got
    if kind == "path_type":
        return "expected a path" + got
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "expected a section (a mapping of keys)" + got
    if kind == "literal_error":
        values = literal_values(field) if field is not None else []
        return f"expected {_one_of(values) if values else ctx.get('expected')}" + got
    if kind == "missing":
        return "required setting is missing"
    message = error["msg"]
    return message[:1].lower() + message[1:] + got
