"""The settings schema: every configuration key, its type, default and help text.

This module is the single declaration of what can be configured. The loader
(:mod:`config.loader`) reads YAML and ``SEPWATCH_`` environment variables into it,
the starter configuration (:mod:`config.starter`) is generated from it, and the
README is checked against it. To add a setting, add a field with a
``description`` (its help text); to add a section, add a model with
``extra="forbid"`` and a field of that type on :class:`Settings`.

Conventions the loader and the starter rely on:

- A field whose type is a model is a section (a YAML mapping).
- A field typed :data:`ExpandedPath` (or ``Path``) is a filesystem path: ``~`` is
  expanded and, when relative, it is taken relative to the configuration file's
  directory (or the current directory for an environment variable).
- A field typed :data:`DatabaseURL` gets the same treatment for the path of a
  ``sqlite:///`` URL.
- ``json_schema_extra={"example": ...}`` gives the value the starter shows for a
  setting without a default.
- A field with ``exclude=True`` is not a user setting: it is rejected in YAML
  and the environment and left out of the starter.
"""

from __future__ import annotations

import os
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic.fields import FieldInfo
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = [
    "DatabaseURL",
    "DatabaseURLMarker",
    "ExpandedPath",
    "ImportSettings",
    "LoggingSettings",
    "SearchSettings",
    "Settings",
    "StoreSettings",
    "accepts_text",
    "annotation_members",
    "default_data_dir",
    "home_dir",
    "is_database_url",
    "is_path",
    "literal_values",
    "redact_url",
    "section_model",
    "user_fields",
]


def _expanduser(path: Path) -> Path:
    return path.expanduser()


class DatabaseURLMarker:
    """Marks a ``str`` field as a database URL whose sqlite path is resolved like a path."""


ExpandedPath = Annotated[Path, AfterValidator(_expanduser)]
"""A filesystem path with ``~`` expanded."""

DatabaseURL = Annotated[str, DatabaseURLMarker()]
"""An SQLAlchemy database URL."""

_SUPPORTED_URLS = "sqlite:///PATH, postgresql://… or postgresql+psycopg://…"


def home_dir(env: Mapping[str, str]) -> Path:
    """The user's home directory: ``HOME`` from *env* when set, else the process's idea of it."""
    home = env.get("HOME")
    return Path(home) if home else Path.home()


def default_data_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/sepwatch``, or ``~/.local/share/sepwatch`` when it is unset or relative.

    The XDG base directory specification says relative values are invalid and must be ignored.
    """
    xdg = env.get("XDG_DATA_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "sepwatch"
    return home_dir(env) / ".local" / "share" / "sepwatch"


def redact_url(url: str) -> str:
    """*url* with its password replaced by ``***``; unparsable text is returned unchanged."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


class StoreSettings(BaseModel):
    """The store of record: documents, versions, patents, deadlines, alerts and the outbox."""

    model_config = ConfigDict(extra="forbid")

    url: DatabaseURL | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the store of record. Unset: the SQLite file sepwatch.sqlite in data_dir. "
            "Use PostgreSQL when the web UI and the daemon run on different hosts "
            "(a postgresql:// URL is read as postgresql+psycopg://). Put the password in the "
            "environment (SEPWATCH_STORE__URL), not in this file."
        ),
        json_schema_extra={"example": "postgresql+psycopg://user@host/sepwatch"},
    )
    auto_migrate: bool = Field(
        default=True,
        description="Apply schema migrations to the store on start.",
    )

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        try:
            driver = make_url(value).drivername
        except ArgumentError:
            # The URL may hold a password, so it is not repeated in the message.
            raise ValueError(f"not a database URL; expected {_SUPPORTED_URLS}") from None
        if driver == "postgresql":
            return "postgresql+psycopg" + value[len("postgresql") :]
        if driver in ("sqlite", "postgresql+psycopg"):
            return value
        if driver == "postgres":
            raise ValueError("unsupported database URL scheme 'postgres'; write postgresql://… instead")
        raise ValueError(f"unsupported database URL scheme {driver!r}; expected {_SUPPORTED_URLS}")

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Settings end up in logs; the URL may carry a password.
        for name, value in super().__repr_args__():
            yield name, (redact_url(value) if name == "url" and isinstance(value, str) else value)


class SearchSettings(BaseModel):
    """The search index, derived from the store and rebuilt by ``sepwatch reindex``."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["sqlite"] = Field(
        default="sqlite",
        description="Search backend: sqlite (FTS5, embedded, needs no server).",
    )
    sqlite_path: ExpandedPath | None = Field(
        default=None,
        description="File of the sqlite search index. Unset: search.sqlite in data_dir.",
        json_schema_extra={"example": "/var/lib/sepwatch/search.sqlite"},
    )

    @field_validator("backend", mode="before")
    @classmethod
    def _backend_available(cls, value: object) -> object:
        if value == "elasticsearch":
            raise ValueError("the elasticsearch backend is not available yet; use sqlite")
        return value


class ImportSettings(BaseModel):
    """Limits applied to every imported or downloaded file (YAML key ``import``)."""

    model_config = ConfigDict(extra="forbid")

    max_file_mb: int = Field(
        default=200,
        ge=1,
        description="Largest file accepted, in megabytes; larger files are rejected.",
    )
    pdf_max_pages: int = Field(
        default=5000,
        ge=1,
        description="Most pages read from one PDF; longer PDFs are rejected.",
    )
    index_batch_sections: int = Field(
        default=5000,
        ge=100,
        description=(
            "How many sections are stored before the search index is brought up to date "
            "during a batch import or crawl."
        ),
    )


class LoggingSettings(BaseModel):
    """What the daemon and the command line log, and how."""

    model_config = ConfigDict(extra="forbid")

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO",
        description="Lowest level of the messages logged.",
    )
    format: Literal["text", "json"] = Field(
        default="text",
        description="Log line format: text for people, json (one object per line) for log collectors.",
    )


class Settings(BaseModel):
    """The whole validated configuration. Build it with :func:`config.load_settings`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    data_dir: ExpandedPath = Field(
        # The loader always passes data_dir, computed from the environment mapping it was given;
        # this factory only serves direct construction (Settings()) and reads the process environment.
        default_factory=lambda: default_data_dir(os.environ),
        description=(
            "Where the SQLite store, the search index and downloads live. "
            "Unset: $XDG_DATA_HOME/sepwatch, or ~/.local/share/sepwatch."
        ),
        json_schema_extra={"example": "~/.local/share/sepwatch"},
    )
    store: StoreSettings = Field(
        default_factory=StoreSettings,
        description="The store of record: the SQL database that holds everything sepwatch knows.",
    )
    search: SearchSettings = Field(
        default_factory=SearchSettings,
        description="The search index, derived from the store and rebuilt by `sepwatch reindex`.",
    )
    imports: ImportSettings = Field(
        default_factory=ImportSettings,
        alias="import",
        description="Limits on imported and downloaded files.",
    )
    logging: LoggingSettings = Field(
        default_factory=LoggingSettings,
        description="What is logged, and in which format.",
    )
    config_file: Path | None = Field(
        default=None,
        exclude=True,
        description="The configuration file that was read, if any. Set by the loader; not a setting.",
    )

    def store_url(self) -> str:
        """The SQLAlchemy URL of the store, with the data_dir default applied."""
        if self.store.url is not None:
            return self.store.url
        return f"sqlite:///{self.data_dir / 'sepwatch.sqlite'}"

    def search_sqlite_path(self) -> Path:
        """The file of the sqlite search index, with the data_dir default applied."""
        if self.search.sqlite_path is not None:
            return self.search.sqlite_path
        return self.data_dir / "search.sqlite"

    def redacted_store_url(self) -> str:
        """:meth:`store_url` with the password replaced by ``***``, for logs and status output."""
        return make_url(self.store_url()).render_as_string(hide_password=True)


# --- Introspection used by the loader and the starter -------------------------------------------


def user_fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """The user settings of *model* by their YAML key (the alias when there is one), in order."""
    return {
        field.alias or name: field for name, field in model.model_fields.items() if field.exclude is not True
    }


def annotation_members(field: FieldInfo) -> list[tuple[Any, tuple[Any, ...]]]:
    """The alternatives of *field*'s type as ``(type, metadata)``, unions and ``Annotated`` unwrapped."""

    def walk(annotation: Any, metadata: tuple[Any, ...]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
        origin = get_origin(annotation)
        if origin is Annotated:
            base, *extra = get_args(annotation)
            yield from walk(base, (*metadata, *extra))
        elif origin is Union or origin is types.UnionType:
            for member in get_args(annotation):
                yield from walk(member, metadata)
        else:
            yield annotation, metadata

    return list(walk(field.annotation, tuple(field.metadata)))


def section_model(field: FieldInfo) -> type[BaseModel] | None:
    """The model of *field* when it is a section, else None."""
    for annotation, _ in annotation_members(field):
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
    return None


def is_path(field: FieldInfo) -> bool:
    """Whether *field* holds a filesystem path."""
    return any(
        isinstance(annotation, type) and issubclass(annotation, Path)
        for annotation, _ in annotation_members(field)
    )


def is_database_url(field: FieldInfo) -> bool:
    """Whether *field* holds a database URL (see :data:`DatabaseURL`)."""
    return any(
        isinstance(marker, DatabaseURLMarker)
        for _, metadata in annotation_members(field)
        for marker in metadata
    )


def literal_values(field: FieldInfo) -> list[Any]:
    """The allowed values of a ``Literal`` field, else an empty list."""
    return [
        value
        for annotation, _ in annotation_members(field)
        if get_origin(annotation) is Literal
        for value in get_args(annotation)
    ]


def accepts_text(field: FieldInfo) -> bool:
    """Whether *field* takes text as such (a string, a path or a choice of strings)."""
    return (
        is_path(field)
        or any(annotation is str for annotation, _ in annotation_members(field))
        or any(isinstance(value, str) for value in literal_values(field))
    )
