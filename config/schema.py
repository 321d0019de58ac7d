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

import datetime as dt
import ipaddress
import os
import re
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
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

    backend: Literal["sqlite", "elasticsearch"] = Field(
        default="sqlite",
        description="Search backend: sqlite (FTS5, embedded, needs no server) or elasticsearch (shared deployments).",
    )
    sqlite_path: ExpandedPath | None = Field(
        default=None,
        description="File of the sqlite search index. Unset: search.sqlite in data_dir.",
        json_schema_extra={"example": "/var/lib/sepwatch/search.sqlite"},
    )
    sqlite_busy_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="How long a write waits for a locked sqlite index before it is treated as unavailable (queued, retried).",
    )
    elasticsearch_url: str = Field(
        default="http://localhost:9200",
        description="Elasticsearch URL (https with security on in production).",
    )
    elasticsearch_index_prefix: str = Field(
        default="sepwatch",
        pattern=r"^[a-z][a-z0-9_-]{0,40}$",
        description="Prefix of the index names and alias (<prefix>-sections).",
    )
    elasticsearch_username: str | None = Field(
        default=None, description="Elasticsearch user (with elasticsearch_password)."
    )
    elasticsearch_password: SecretStr | None = Field(
        default=None, description="Elasticsearch password; set SEPWATCH_SEARCH__ELASTICSEARCH_PASSWORD."
    )
    elasticsearch_api_key: SecretStr | None = Field(
        default=None,
        description="Elasticsearch API key (instead of user and password), from the environment.",
    )
    elasticsearch_ca_certs: ExpandedPath | None = Field(
        default=None,
        description="CA certificate file that signed the Elasticsearch server certificate.",
        json_schema_extra={"example": "/etc/sepwatch/es-ca.crt"},
    )


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


class CrawlSettings(BaseModel):
    """How every spider behaves on the network: identity, politeness, retries, health."""

    model_config = ConfigDict(extra="forbid")

    user_agent: str = Field(
        default="sepwatch/0.1 (standards and patent watch; self-hosted)",
        description="User-Agent sent with every request.",
    )
    timeout_s: float = Field(default=60.0, gt=0, description="Seconds before one request is given up.")
    retries: int = Field(
        default=4,
        ge=0,
        description="Retries of a request that failed with a network error, 429 or 5xx, with backoff.",
    )
    backoff_s: float = Field(
        default=2.0,
        ge=0,
        description="Wait before the first retry; it doubles on each further retry (Retry-After wins).",
    )
    max_backoff_s: float = Field(default=300.0, ge=0, description="Longest wait between two retries.")
    delay_s: float = Field(
        default=1.0,
        ge=0,
        description="Pause between two requests to the same site (AutoThrottle adapts it to the server).",
    )
    concurrency_per_host: int = Field(default=2, ge=1, description="Parallel requests to one site.")
    obey_robots_txt: bool = Field(default=True, description="Honour each site's robots.txt.")
    time_limit_s: int = Field(
        default=6 * 3600,
        ge=60,
        description="A crawl still running after this many seconds is stopped and recorded as failed.",
    )
    unhealthy_after_failures: int = Field(
        default=6,
        ge=1,
        description="A source whose last this-many runs all failed is shown as unhealthy.",
    )


class ThreeGppSettings(BaseModel):
    """3GPP: the working groups followed, their meetings, TDocs, specifications and freezes (YAML key ``3gpp``)."""

    model_config = ConfigDict(extra="forbid")

    site_url: str = Field(
        default="https://www.3gpp.org",
        description="Base URL of the 3GPP site: meeting calendars (dynareport), FTP listings, spec archive, release pages.",
    )
    portal_url: str = Field(
        default="https://portal.3gpp.org",
        description="Base URL of the 3GPP Portal: the TDoc list export of each meeting.",
    )
    groups: list[str] = Field(
        default_factory=list,
        description="Groups followed, e.g. [RAN1, RAN2, SA2, CT1]: their meetings, TDoc lists and TDocs are collected.",
        json_schema_extra={"example": ["RAN1", "RAN2", "SA2"]},
    )
    since: dt.date | None = Field(
        default=None,
        description="Collect meetings that end on or after this date. Unset: the last 365 days.",
        json_schema_extra={"example": "2025-01-01"},
    )
    download_tdocs: bool = Field(
        default=True,
        description="Download each TDoc's archive and index its text; off: TDoc lists (metadata) only.",
    )
    specs: list[str] = Field(
        default_factory=list,
        description="Specifications followed, e.g. ['38.331', '23.501']: every version in the archive is collected.",
        json_schema_extra={"example": ["38.331", "23.501"]},
    )
    spec_min_release: int = Field(
        default=15,
        ge=3,
        description="Spec versions of releases older than this are not downloaded.",
    )
    releases: list[int] = Field(
        default_factory=lambda: [18, 19, 20, 21],
        description="Releases whose freeze dates are read from the 3GPP release pages.",
    )

    @field_validator("groups")
    @classmethod
    def _known_groups(cls, value: list[str]) -> list[str]:
        from crawlers.threegpp.groups import group  # the list of 3GPP groups lives with the parsers

        return [group(name).name for name in value]  # ValueError names the unknown group and the known ones

    freeze_overrides: dict[str, dict[str, dt.date]] = Field(
        default_factory=dict,
        description=(
            "Freeze dates you know better than the site, by release and stage "
            "(stage1, stage2, stage3, protocols); they win over crawled dates, which win over shipped defaults."
        ),
        json_schema_extra={"example": {"Rel-20": {"stage3": "2027-03-19"}}},
    )


class IetfSettings(BaseModel):
    """IETF: working groups and drafts followed, the RFC index, meetings and IPR disclosures."""

    model_config = ConfigDict(extra="forbid")

    datatracker_url: str = Field(
        default="https://datatracker.ietf.org",
        description="Base URL of the Datatracker (its JSON API is under /api/v1).",
    )
    archive_url: str = Field(
        default="https://www.ietf.org/archive/id",
        description="Where draft texts are downloaded from (<name>-<rev>.txt and .xml).",
    )
    rfc_editor_url: str = Field(
        default="https://www.rfc-editor.org",
        description="Base URL of the RFC Editor: rfc-index.xml and RFC texts.",
    )
    groups: list[str] = Field(
        default_factory=list,
        description="Working groups followed by acronym, e.g. [quic, httpbis]: all their drafts are collected.",
        json_schema_extra={"example": ["quic", "httpbis"]},
    )
    drafts: list[str] = Field(
        default_factory=list,
        description="Individual drafts followed by name (without revision), in addition to the groups' drafts.",
        json_schema_extra={"example": ["draft-ietf-appsawg-file-scheme"]},
    )
    since: dt.date | None = Field(
        default=None,
        description="Skip draft revisions and meetings before this date. Unset: the last 365 days.",
        json_schema_extra={"example": "2025-01-01"},
    )


class FeedSource(BaseModel):
    """An RSS or Atom feed whose entries become documents."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=r"^[a-z][a-z0-9_]{1,60}$", description="Source name, used by `sepwatch crawl NAME`."
    )
    url: str = Field(description="URL of the feed.")
    body: str | None = Field(default=None, description="Standards body, e.g. ETSI (a search filter).")
    group: str | None = Field(default=None, description="Group within the body (a search filter).")
    kind: str = Field(
        default="feed-entry", description="Document kind given to the entries (a search filter)."
    )


class ListingSource(BaseModel):
    """A listing page read with CSS selectors; each row becomes a document."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=r"^[a-z][a-z0-9_]{1,60}$", description="Source name, used by `sepwatch crawl NAME`."
    )
    url: str = Field(description="URL of the first listing page.")
    row: str = Field(description="CSS selector of one entry (row) on the page.")
    title: str = Field(description="CSS selector of the title within a row; `sel@attr` takes an attribute.")
    link: str | None = Field(default=None, description="Selector of the entry's link (default: `a@href`).")
    date: str | None = Field(default=None, description="Selector of the entry's date.")
    number: str | None = Field(default=None, description="Selector of the entry's number; unset: its link.")
    number_pattern: str | None = Field(
        default=None,
        description="Regex applied to the number text (or the link); its groups build the number.",
    )
    number_format: str | None = Field(
        default=None,
        description="str.format template over number_pattern's named groups, e.g. '11-{yy}/{dcn}r{rev:d}'.",
    )
    extra: dict[str, str] = Field(
        default_factory=dict,
        description="More fields to keep per entry: name → selector (`sel@attr` allowed).",
    )
    date_format: str | None = Field(
        default=None, description="strptime format of dates; unset: common formats."
    )
    next_page: str | None = Field(default=None, description="Selector of the link to the next page.")
    max_pages: int = Field(default=5, ge=1, description="Most listing pages read per crawl.")
    follow: bool = Field(default=False, description="Fetch each entry's link and index the document itself.")
    body: str | None = Field(default=None, description="Standards body, e.g. IEEE (a search filter).")
    group: str | None = Field(default=None, description="Group within the body (a search filter).")


class PortfolioSettings(BaseModel):
    """The patents watched: the organisation's own families and its competitors'."""

    model_config = ConfigDict(extra="forbid")

    own: list[str] = Field(
        default_factory=list,
        description="Own applications or publications, with office prefix (EP3000000, US16123456, CN201810012345).",
        json_schema_extra={"example": ["EP3000000", "US16123456"]},
    )
    competitors: list[str] = Field(
        default_factory=list,
        description="Competitors by applicant name, e.g. ['NTT DOCOMO']: their new publications are tracked (EPO search).",
        json_schema_extra={"example": ["NTT DOCOMO"]},
    )


class EpoSettings(BaseModel):
    """EPO Open Patent Services (register, INPADOC legal status, families)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(default="https://ops.epo.org/3.2", description="Base URL of OPS.")
    client_id: str | None = Field(
        default=None, description="OPS consumer key; set SEPWATCH_EPO__CLIENT_ID in the environment."
    )
    client_secret: SecretStr | None = Field(
        default=None, description="OPS consumer secret; set SEPWATCH_EPO__CLIENT_SECRET in the environment."
    )


class UsptoSettings(BaseModel):
    """USPTO Open Data Portal (applications, transactions, continuity, documents)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(
        default="https://api.uspto.gov", description="Base URL of the Open Data Portal API."
    )
    api_key: SecretStr | None = Field(
        default=None, description="ODP API key; set SEPWATCH_USPTO__API_KEY in the environment."
    )


class DeadlineSettings(BaseModel):
    """The deadline engine: rules and holiday calendars are data; these files override the shipped ones."""

    model_config = ConfigDict(extra="forbid")

    rules_file: ExpandedPath | None = Field(
        default=None,
        description="YAML file of rules that replace (same id), disable (enabled: false) or add to config/deadline_rules.yaml.",
        json_schema_extra={"example": "/etc/sepwatch/deadline_rules.yaml"},
    )
    holidays_file: ExpandedPath | None = Field(
        default=None,
        description="YAML file of holidays and working days that extend config/holidays.yaml.",
        json_schema_extra={"example": "/etc/sepwatch/holidays.yaml"},
    )


class MatcherSettings(BaseModel):
    """Claim maps and how new documents are matched against them."""

    model_config = ConfigDict(extra="forbid")

    claims_dir: ExpandedPath | None = Field(
        default=None,
        description="Folder of claim maps (one YAML file per patent); matched against every new document version.",
        json_schema_extra={"example": "~/ip/claim-maps"},
    )
    min_covered: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="A claim is reported on a document when at least this share of its features find evidence there.",
    )


Schedule = Annotated[str, AfterValidator(lambda v: _check_schedule(v))]
"""``every 6h`` / ``every 30m`` / ``every 2d``, a five-field cron expression (``0 3 * * *``), or ``off``."""


def _check_schedule(value: str) -> str:
    from scheduler.triggers import parse_schedule  # the parser lives with the scheduler

    parse_schedule(value)  # ValueError says what is wrong
    return value.strip()


class ScheduleSettings(BaseModel):
    """When the daemon runs what: crawls per source, the outbox relay, reminders and digests."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(
        default="UTC",
        description="Time zone of cron schedules, reminder and digest times (IANA name, e.g. Asia/Shanghai).",
    )
    default: Schedule = Field(
        default="every 12h",
        description="Schedule of every configured source without its own entry in sources ('off': none).",
    )
    sources: dict[str, Schedule] = Field(
        default_factory=dict,
        description="Schedule per source name: 'every 6h', a cron expression '0 3 * * *', or 'off'.",
        json_schema_extra={"example": {"threegpp_tdocs": "every 3h", "threegpp_specs": "0 4 * * *"}},
    )
    misfire_grace_s: int = Field(
        default=7 * 24 * 3600,
        ge=1,
        description="A schedule missed (machine asleep, daemon down) by less than this runs once on wake-up.",
    )
    max_parallel_crawls: int = Field(default=2, ge=1, description="Crawls that may run at the same time.")
    relay_interval_s: float = Field(
        default=10.0, gt=0, description="How often the relay looks for messages due in the outbox."
    )
    reminders_at: str = Field(
        default="07:30",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="Daily time (HH:MM, schedule.timezone) at which deadline and milestone reminders are raised.",
    )
    daily_digest_at: str = Field(
        default="08:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="Time of the daily digest (HH:MM).",
    )
    weekly_digest_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = Field(
        default="mon", description="Day of the weekly digest (at daily_digest_at)."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; give an IANA name such as Asia/Shanghai or UTC"
            ) from None
        return value.strip()


class AlertRuleSettings(BaseModel):
    """Which events raise alerts, and when reminders fall due."""

    model_config = ConfigDict(extra="forbid")

    new_match: Literal["off", "all-elements", "partial"] = Field(
        default="partial",
        description=(
            "Alert on a new match: all-elements (every feature of the claim covered) or partial "
            "(matcher.min_covered reached)."
        ),
    )
    drift: bool = Field(
        default=True, description="Alert when a mapped clause changes (new spec version, CR)."
    )
    patent_status: Literal["off", "own", "all"] = Field(
        default="all", description="Alert on patent status changes: own portfolio only, or competitors' too."
    )
    deadline_days: list[int] = Field(
        default_factory=lambda: [30, 7, 1],
        description="Days before a patent deadline at which a reminder is raised (and once when overdue).",
    )
    milestone_days: list[int] = Field(
        default_factory=lambda: [14, 3, 0],
        description="Days before a standards milestone (freeze, meeting start, document deadline) at which a reminder is raised.",
    )
    milestone_kinds: list[str] = Field(
        default_factory=lambda: ["freeze", "meeting", "deadline", "expiry"],
        description="Milestone kinds that raise reminders.",
    )
    source_health: bool = Field(
        default=True,
        description="Alert when a source turns unhealthy (crawl.unhealthy_after_failures or 24 h of failures) and when it recovers.",
    )
    linked: bool = Field(
        default=True,
        description="Name the open amendment or divisional window (and the date it closes) in match and drift alerts.",
    )


class DeliverySettings(BaseModel):
    """How the relay delivers the outbox: retries, backoff, dead letters."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(
        default=10,
        ge=1,
        description="Failed attempts after which a message is dead (shown in `sepwatch status`).",
    )
    backoff_s: float = Field(
        default=30.0, ge=0, description="Wait before the first retry; doubles each time."
    )
    max_backoff_s: float = Field(default=3600.0, ge=0, description="Longest wait between two attempts.")


class SmtpSettings(BaseModel):
    """The mail server that sends email alerts."""

    model_config = ConfigDict(extra="forbid")

    host: str | None = Field(
        default=None,
        description="SMTP server; unset: no email.",
        json_schema_extra={"example": "smtp.example.com"},
    )
    port: int | None = Field(
        default=None, ge=1, le=65535, description="Port; unset: 587 (starttls), 465 (ssl), 25 (none)."
    )
    security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls",
        description="starttls (submission, port 587), ssl (implicit TLS, port 465) or none.",
    )
    username: str | None = Field(default=None, description="SMTP user.")
    password: SecretStr | None = Field(
        default=None, description="SMTP password; set SEPWATCH_SMTP__PASSWORD in the environment."
    )
    from_addr: str = Field(
        default="sepwatch@localhost",
        description="Sender address (From:), e.g. 'sepwatch <ip-alerts@example.com>'.",
    )
    timeout_s: float = Field(
        default=30.0, gt=0, description="Seconds before a connection or command is given up."
    )
    ca_file: ExpandedPath | None = Field(
        default=None, description="CA certificate file that signed the server's certificate (private CAs)."
    )
    rate_per_minute: int = Field(default=60, ge=1, description="Most messages sent per minute.")


class WebSettings(BaseModel):
    """The web UI and JSON API: where it listens, sign-in sessions, the reverse proxy in front of it."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="`sepwatch run` serves the web UI as well.")
    host: str = Field(
        default="127.0.0.1",
        description="Address the web UI listens on; 0.0.0.0 (all) only behind an HTTPS reverse proxy.",
    )
    port: int = Field(default=8400, ge=1, le=65535, description="Port the web UI listens on.")
    public_url: str | None = Field(
        default=None,
        description=(
            "URL people reach the UI at, e.g. https://sepwatch.example.com; https makes the session cookie "
            "Secure and turns on HSTS. Also the base of the personal calendar feed URLs."
        ),
        json_schema_extra={"example": "https://sepwatch.example.com"},
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 90, description="A sign-in lasts this many hours, then signing in again."
    )
    max_failed_logins: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins per user and address within 15 minutes before further attempts are refused.",
    )
    trusted_proxy_header: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9-]{1,100}$",
        description=(
            "Header carrying the user name signed in by the company SSO proxy (e.g. X-Forwarded-User); "
            "honoured only on requests from trusted_proxies. Unset: off."
        ),
        json_schema_extra={"example": "X-Forwarded-User"},
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            "Addresses or networks of the reverse proxies (e.g. [127.0.0.1, 10.0.0.0/24]) whose "
            "trusted_proxy_header and X-Forwarded-For are believed."
        ),
        json_schema_extra={"example": ["127.0.0.1"]},
    )
    secret_key_file: ExpandedPath | None = Field(
        default=None,
        description=(
            "File holding the key that signs CSRF tokens, outside the repository. "
            "Unset: web_secret.key in data_dir, created (mode 0600) on first start."
        ),
        json_schema_extra={"example": "/etc/sepwatch/web_secret.key"},
    )

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
            raise ValueError(f"public_url must be an http:// or https:// URL without query, got {value!r}")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {item!r} is not an IP address or network") from None
        return [item.strip() for item in value]


class ChannelSettings(BaseModel):
    """A named IM channel: an Apprise URL (DingTalk, WeCom, Feishu/Lark, Slack, Teams…) or a JSON webhook."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=r"^[a-z][a-z0-9_-]{0,60}$", description="Channel name people and teams refer to."
    )
    type: Literal["apprise", "webhook"] = Field(
        default="apprise", description="apprise (url is an Apprise URL) or webhook (url receives JSON posts)."
    )
    url: SecretStr | None = Field(
        default=None,
        description=(
            "Apprise URL (dingtalk://TOKEN/SECRET, wecombot://KEY, feishu://TOKEN, slack://…, workflows://…) "
            "or webhook URL. It holds a token: prefer url_env or url_file."
        ),
    )
    url_env: str | None = Field(
        default=None, description="Name of the environment variable that holds the URL (instead of url)."
    )
    url_file: ExpandedPath | None = Field(
        default=None,
        description="File (outside the repository) whose first line is the URL (instead of url).",
    )
    secret: SecretStr | None = Field(
        default=None, description="webhook: key of the HMAC-SHA256 signature sent in X-Sepwatch-Signature."
    )
    rate_per_minute: int | None = Field(
        default=None,
        ge=1,
        description="Most messages per minute; unset: the service's limit (Slack 60, DingTalk 20…).",
    )
    max_bytes: int | None = Field(
        default=None,
        ge=200,
        description="Longest message; longer ones are split. Unset: the service's limit.",
    )

    @model_validator(mode="after")
    def _one_url(self) -> ChannelSettings:
        given = [key for key in ("url", "url_env", "url_file") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(f"channel {self.name!r}: give exactly one of url, url_env, url_file")
        return self

    def resolved_url(self) -> str:
        """The URL from wherever it is kept; ValueError names what is missing."""
        if self.url is not None:
            return self.url.get_secret_value().strip()
        if self.url_env is not None:
            value = os.environ.get(self.url_env, "").strip()
            if not value:
                raise ValueError(f"channel {self.name!r}: environment variable {self.url_env} is not set")
            return value
        assert self.url_file is not None
        try:
            lines = self.url_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ValueError(
                f"channel {self.name!r}: cannot read url_file {self.url_file}: {exc.strerror}"
            ) from None
        if not lines or not lines[0].strip():
            raise ValueError(f"channel {self.name!r}: url_file {self.url_file} is empty")
        return lines[0].strip()


Delivery = Literal["immediate", "daily", "weekly"]


class FollowSettings(BaseModel):
    """What a person or team follows, beyond claim-map owners: groups, specs, patents."""

    model_config = ConfigDict(extra="forbid")

    groups: list[str] = Field(default_factory=list, description="Standards groups (RAN2, SA2, quic…).")
    specs: list[str] = Field(default_factory=list, description="Specifications (38.331, RFC 9000…).")
    patents: list[str] = Field(default_factory=list, description="Patents or families by number.")
    portfolio: Literal["none", "own", "all"] = Field(
        default="none",
        description="Patent status changes and deadlines of the own portfolio, or all watched patents.",
    )
    sources: bool = Field(default=False, description="Source failures and recoveries.")


class TeamSettings(BaseModel):
    """A team: members, its own channels (a group chat), what it follows."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=r"^[a-z][a-z0-9_-]{0,60}$", description="Team name; also a claim-map owner tag."
    )
    channels: list[str] = Field(default_factory=list, description="Team channels (names from channels).")
    delivery: Delivery = Field(default="immediate", description="immediate, daily or weekly digest.")
    language: Literal["zh", "en"] = Field(default="en", description="Language of the team's messages.")
    follows: FollowSettings = Field(default_factory=FollowSettings, description="What the team follows.")


class PersonSettings(BaseModel):
    """A person who receives alerts."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=r"^[a-z][a-z0-9_.-]{0,60}$", description="Short name (also a claim-map owner tag)."
    )
    email: str | None = Field(default=None, description="Email address; alerts come by email when set.")
    channels: list[str] = Field(
        default_factory=list, description="IM channels (names from channels) for direct messages."
    )
    teams: list[str] = Field(
        default_factory=list, description="Teams the person belongs to (gets what they follow)."
    )
    delivery: Delivery = Field(default="immediate", description="immediate, daily or weekly digest.")
    language: Literal["zh", "en"] = Field(default="en", description="Language of the person's messages.")
    follows: FollowSettings = Field(default_factory=FollowSettings, description="What the person follows.")


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
    crawl: CrawlSettings = Field(
        default_factory=CrawlSettings,
        description="How spiders behave on the network: identity, politeness, retries, health.",
    )
    threegpp: ThreeGppSettings = Field(
        default_factory=ThreeGppSettings,
        alias="3gpp",
        description="3GPP groups, meetings, TDocs, specifications and release freezes.",
    )
    ietf: IetfSettings = Field(
        default_factory=IetfSettings,
        description="IETF working groups, drafts, the RFC index, meetings and IPR disclosures.",
    )
    portfolio: PortfolioSettings = Field(
        default_factory=PortfolioSettings,
        description="The patents watched: own applications and competitors by applicant.",
    )
    epo: EpoSettings = Field(
        default_factory=EpoSettings, description="EPO Open Patent Services: credentials from the environment."
    )
    uspto: UsptoSettings = Field(
        default_factory=UsptoSettings, description="USPTO Open Data Portal: API key from the environment."
    )
    deadlines: DeadlineSettings = Field(
        default_factory=DeadlineSettings, description="Deadline rules and holiday calendars (overrides)."
    )
    matcher: MatcherSettings = Field(
        default_factory=MatcherSettings,
        description="Claim maps and the matching of new documents against them.",
    )
    schedule: ScheduleSettings = Field(
        default_factory=ScheduleSettings,
        description="When the daemon crawls each source, relays the outbox, raises reminders and sends digests.",
    )
    alerts: AlertRuleSettings = Field(
        default_factory=AlertRuleSettings,
        description="Which events raise alerts and when reminders fall due.",
    )
    delivery: DeliverySettings = Field(
        default_factory=DeliverySettings, description="Retries, backoff and dead letters of the outbox relay."
    )
    smtp: SmtpSettings = Field(default_factory=SmtpSettings, description="The mail server for email alerts.")
    web: WebSettings = Field(
        default_factory=WebSettings,
        description="The web UI and JSON API: address, sessions, reverse proxy and single sign-on header.",
    )
    channels: list[ChannelSettings] = Field(
        default_factory=list,
        description="IM channels by name: Apprise URLs or JSON webhooks. Items: name, type, url, secret, rate_per_minute, max_bytes.",
        json_schema_extra={"example": [{"name": "ip-dingtalk", "url": "dingtalk://TOKEN/SECRET"}]},
    )
    teams: list[TeamSettings] = Field(
        default_factory=list,
        description="Teams: name, channels, delivery, language, follows (groups, specs, patents, portfolio, sources).",
        json_schema_extra={
            "example": [{"name": "ip-wireless", "channels": ["ip-dingtalk"], "follows": {"portfolio": "own"}}]
        },
    )
    people: list[PersonSettings] = Field(
        default_factory=list,
        description="People: name, email, channels, teams, delivery (immediate|daily|weekly), language, follows.",
        json_schema_extra={
            "example": [
                {"name": "alice", "email": "alice@example.com", "teams": ["ip-wireless"], "delivery": "daily"}
            ]
        },
    )
    feeds: list[FeedSource] = Field(
        default_factory=list,
        description="RSS/Atom feeds; each entry becomes a document. Items: name, url, body, group.",
        json_schema_extra={
            "example": [{"name": "etsi_news", "url": "https://www.etsi.org/rss", "body": "ETSI"}]
        },
    )
    listings: list[ListingSource] = Field(
        default_factory=list,
        description=(
            "Listing pages read with CSS selectors; each row becomes a document. Items: name, url, row, title, "
            "link, date, number, number_pattern, number_format, date_format, next_page, max_pages, follow, "
            "body, group, extra "
            "(examples in config/examples/)."
        ),
        json_schema_extra={
            "example": [
                {
                    "name": "itut_sg17_tds",
                    "url": "https://www.itu.int/md/T25-SG17-TD/en",
                    "row": "table tr",
                    "title": "td:nth-of-type(2)",
                    "number": "td:nth-of-type(1) a",
                }
            ]
        },
    )
    config_file: Path | None = Field(
        default=None,
        exclude=True,
        description="The configuration file that was read, if any. Set by the loader; not a setting.",
    )

    @model_validator(mode="after")
    def _unique_source_names(self) -> Settings:
        from crawlers.sources import BUILTIN

        seen: set[str] = set(BUILTIN)
        sources: list[FeedSource | ListingSource] = [*self.feeds, *self.listings]
        for source in sources:
            if source.name in seen:
                raise ValueError(
                    f"source name {source.name!r} is used twice (feeds, listings and built-in spiders)"
                )
            seen.add(source.name)
        return self

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
