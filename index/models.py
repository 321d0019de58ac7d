"""Tables of the store of record.

The schema is owned by the migrations in ``index/migrations``; these classes mirror it and a test
checks that they agree (``alembic check``-style comparison in tests/index/test_migrations.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Unicode,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")
# BIGINT on PostgreSQL, INTEGER PRIMARY KEY (the rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Source(Base):
    """Where documents come from: a crawler (``3gpp_tdocs``) or local import (``local``)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Run(Base):
    """One crawl or import run: the run ledger."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # import | crawl
    source: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)  # running | succeeded | failed | interrupted
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    args: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    counts: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    errors: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)


class Document(Base):
    """A document's identity (source + number) and its current metadata."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("source_id", "number"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    number: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(String(40))
    group_name: Mapped[str | None] = mapped_column(String(100))
    meeting: Mapped[str | None] = mapped_column(String(100))
    spec: Mapped[str | None] = mapped_column(String(100))
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Version(Base):
    """One distinct content of a document; ``content_hash`` is over its normalised text."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("document_id", "seq"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    seq: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    # A listing entry's stand-in text (TDoc list row…) until the document itself is fetched.
    partial: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    title: Mapped[str | None] = mapped_column(Text)
    release: Mapped[str | None] = mapped_column(String(40))
    doc_date: Mapped[dt.date | None] = mapped_column(Date)
    origin: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    section_count: Mapped[int] = mapped_column(Integer)
    char_count: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SectionRow(Base):
    """A clause of a version, in document order."""

    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("version_id", "ord"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    ord: Mapped[int] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(100))
    heading: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))


class Change(Base):
    """Append-only change log: what the matcher and the alerts consume, in id order.

    Database triggers (see the first migration) refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_document_id", "document_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))  # document_added | version_added
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class IndexQueue(Base):
    """Versions whose search-index entry is not yet up to date.

    Written in the same transaction as the version, removed once the search index has it, so a
    crash or an unavailable index never loses an update: it is caught up on the next drain.
    """

    __tablename__ = "index_queue"

    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), primary_key=True, autoincrement=False)
    enqueued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Milestone(Base):
    """A dated event for the deadline calendar (meeting, freeze, draft expiry), keyed stably so
    that a date that slips updates the same row; ``meta["history"]`` keeps the earlier dates."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(Text)
    date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    body: Mapped[str | None] = mapped_column(String(40))
    group_name: Mapped[str | None] = mapped_column(String(100))
    release: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str | None] = mapped_column(String(40))
    origin: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FetchState(Base):
    """What a source last fetched at a URL: validators for conditional requests, the listing's
    stamp (date and size) and the body's hash, so an unchanged resource is not fetched again."""

    __tablename__ = "fetch_state"
    __table_args__ = (UniqueConstraint("source", "url"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(100))
    stamp: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Patent(Base):
    """A patent application in the portfolio or watched: bibliographic data merged over sources."""

    __tablename__ = "patents"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    application: Mapped[str] = mapped_column(String(60), unique=True)
    office: Mapped[str] = mapped_column(String(8), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    applicants: Mapped[list[str]] = mapped_column(JSONType, default=list)
    filing_date: Mapped[dt.date | None] = mapped_column(Date)
    priority_date: Mapped[dt.date | None] = mapped_column(Date)
    publications: Mapped[list[str]] = mapped_column(JSONType, default=list)
    grant_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(20))
    family: Mapped[str | None] = mapped_column(String(60), index=True)
    parents: Mapped[list[str]] = mapped_column(JSONType, default=list)
    children: Mapped[list[str]] = mapped_column(JSONType, default=list)
    sources: Mapped[list[str]] = mapped_column(JSONType, default=list)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PatentEventRow(Base):
    """A status event of an application, append-only in id order (what alerts consume).

    ``dedupe_key`` (office, application, kind, code, date, normalised text) makes a re-crawl or a
    re-import of the same event a no-op.
    """

    __tablename__ = "patent_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    application: Mapped[str] = mapped_column(String(60), index=True)
    office: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(100))
    date: Mapped[dt.date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    known: Mapped[bool] = mapped_column(Boolean)
    publication: Mapped[str | None] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(100))
    origin: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeclarationRow(Base):
    """A declaration linking patents to specifications (ETSI ISLD, IETF IPR…)."""

    __tablename__ = "declarations"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(100))
    declarant: Mapped[str] = mapped_column(Text)
    patents: Mapped[list[str]] = mapped_column(JSONType, default=list)
    specs: Mapped[list[str]] = mapped_column(JSONType, default=list)
    deliverables: Mapped[list[str]] = mapped_column(JSONType, default=list)
    family: Mapped[str | None] = mapped_column(String(60))
    licensing: Mapped[str | None] = mapped_column(Text)
    date: Mapped[dt.date | None] = mapped_column(Date)
    origin: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClaimMapRow(Base):
    """A claim map as last loaded (one per patent), kept so matches and drift can name it."""

    __tablename__ = "claim_maps"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patent: Mapped[str] = mapped_column(String(60), unique=True)
    path: Mapped[str | None] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    owners: Mapped[list[str]] = mapped_column(JSONType, default=list)
    content: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MatchRow(Base):
    """A claim read on a document version: per-feature evidence, claim score, all-elements verdict.

    A new row is written only when the evidence differs from the latest match of the same claim on
    the same document (``evidence_digest``), so an unchanged re-read is not news.
    """

    __tablename__ = "matches"
    __table_args__ = (Index("ix_matches_claim_document", "patent", "claim", "document_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patent: Mapped[str] = mapped_column(String(60))
    claim: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    score: Mapped[float] = mapped_column(Float)
    covered: Mapped[int] = mapped_column(Integer)
    features: Mapped[int] = mapped_column(Integer)
    all_elements: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    evidence_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DriftRow(Base):
    """A change of a clause a claim feature is mapped to: a new spec version or a CR touching it."""

    __tablename__ = "drift_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    patent: Mapped[str] = mapped_column(String(60), index=True)
    claim: Mapped[int] = mapped_column(Integer)
    feature: Mapped[str] = mapped_column(String(40))
    spec: Mapped[str] = mapped_column(String(100))
    clause: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))  # spec-version | cr
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    previous_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    diff: Mapped[str] = mapped_column(Text)
    still_reads: Mapped[bool | None] = mapped_column(Boolean)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Cursor(Base):
    """How far a consumer of the change log has read (the matcher, the alert rules…)."""

    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AlertRow(Base):
    """Something a person should know: a match, a drift, a status change, a deadline, a failing source.

    ``dedupe_key`` names the event that caused it (``match:42``, ``deadline:EP3000000:ep-r71-3:7d``), so
    an event evaluated twice (after a crash) cannot raise two alerts. ``payload`` holds the substance
    the messages are rendered from: clause, quoted text, claim feature, deadline.
    """

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    thread: Mapped[str] = mapped_column(String(255))  # patent:EP3000000 | spec:TS 38.331 | source:NAME
    title: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))


class OutboxRow(Base):
    """One message to one recipient on one channel: written with its alert, delivered by the relay.

    ``status``: pending (due at ``next_attempt_at``) → sent, or dead after repeated failure; digest
    deliveries wait as held until the digest job bundles them into one digest row (``digest_id``).
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(100))
    # the recipient's delivery: immediate | daily | weekly (held for that digest); digest: a bundle
    mode: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))  # pending | sent | dead | held | digested
    reason: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    # host:pid of the relay holding the row's lease, so a restart can release a dead relay's rows at once.
    claimed_by: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SchedulerJob(Base):
    """APScheduler's persistent job store (SQLAlchemyJobStore's table, created by our migrations)."""

    __tablename__ = "apscheduler_jobs"

    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)


class UserRow(Base):
    """A local account of the web UI and JSON API; ``role`` is viewer, editor or admin.

    ``password_hash`` is an argon2id hash (None: the account signs in only through the trusted proxy
    or API tokens); ``ics_token_hash`` the SHA-256 of the personal calendar feed token.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    language: Mapped[str | None] = mapped_column(String(5))
    password_hash: Mapped[str | None] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    ics_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ics_token_created_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiTokenRow(Base):
    """An API token of a user: only its SHA-256 is kept; ``prefix`` lets people tell tokens apart."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSessionRow(Base):
    """A sign-in: the SHA-256 of the session cookie's value, valid until ``expires_at``."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
