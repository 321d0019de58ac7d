"""Store of record: sources, runs, documents, versions, sections, change log, index queue.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.models import Id, JSONType

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", Id, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
        sa.UniqueConstraint("name", name="uq_sources_name"),
    )
    op.create_table(
        "runs",
        sa.Column("id", Id, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source", sa.String(100)),
        sa.Column("status", sa.String(20), nullable=False),
        _ts("started_at"),
        _ts("finished_at", nullable=True),
        sa.Column("pid", sa.Integer),
        sa.Column("host", sa.String(255)),
        sa.Column("args", JSONType, nullable=False),
        sa.Column("counts", JSONType, nullable=False),
        sa.Column("errors", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_table(
        "documents",
        sa.Column("id", Id, nullable=False),
        sa.Column("source_id", Id, nullable=False),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("body", sa.String(40)),
        sa.Column("group_name", sa.String(100)),
        sa.Column("meeting", sa.String(100)),
        sa.Column("spec", sa.String(100)),
        sa.Column("meta", JSONType, nullable=False),
        sa.Column("version_count", sa.Integer, nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name="fk_documents_source_id_sources"),
        sa.UniqueConstraint("source_id", "number", name="uq_documents_source_id_number"),
    )
    op.create_index("ix_documents_kind", "documents", ["kind"])
    op.create_table(
        "versions",
        sa.Column("id", Id, nullable=False),
        sa.Column("document_id", Id, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("label", sa.String(100)),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("release", sa.String(40)),
        sa.Column("doc_date", sa.Date),
        sa.Column("origin", sa.Text),
        sa.Column("meta", JSONType, nullable=False),
        sa.Column("section_count", sa.Integer, nullable=False),
        sa.Column("char_count", sa.Integer, nullable=False),
        sa.Column("run_id", Id),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_versions"),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_versions_document_id_documents"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_versions_run_id_runs"),
        sa.UniqueConstraint("document_id", "seq", name="uq_versions_document_id_seq"),
    )
    op.create_table(
        "sections",
        sa.Column("id", Id, nullable=False),
        sa.Column("version_id", Id, nullable=False),
        sa.Column("ord", sa.Integer, nullable=False),
        sa.Column("number", sa.String(100)),
        sa.Column("heading", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sections"),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], name="fk_sections_version_id_versions"),
        sa.UniqueConstraint("version_id", "ord", name="uq_sections_version_id_ord"),
    )
    op.create_table(
        "changes",
        sa.Column("id", Id, nullable=False),
        _ts("at"),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("document_id", Id, nullable=False),
        sa.Column("version_id", Id),
        sa.Column("run_id", Id),
        sa.Column("details", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_changes"),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_changes_document_id_documents"),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], name="fk_changes_version_id_versions"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_changes_run_id_runs"),
    )
    op.create_index("ix_changes_document_id", "changes", ["document_id"])
    op.create_table(
        "index_queue",
        sa.Column("version_id", Id, nullable=False, autoincrement=False),
        _ts("enqueued_at"),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("version_id", name="pk_index_queue"),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], name="fk_index_queue_version_id_versions"),
    )
    _append_only("changes")


def _append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` in the database itself, not just in our code."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION sepwatch_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION sepwatch_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def downgrade() -> None:
    for table in ("index_queue", "changes", "sections", "versions", "documents", "runs", "sources"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS sepwatch_append_only()")
