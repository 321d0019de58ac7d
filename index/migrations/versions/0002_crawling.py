"""Crawling: partial (listing-only) versions, milestones, per-URL fetch state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.models import Id, JSONType

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _ts(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.add_column("versions", sa.Column("partial", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "milestones",
        sa.Column("id", Id, nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("date", sa.Date),
        sa.Column("end_date", sa.Date),
        sa.Column("body", sa.String(40)),
        sa.Column("group_name", sa.String(100)),
        sa.Column("release", sa.String(40)),
        sa.Column("status", sa.String(40)),
        sa.Column("origin", sa.Text),
        sa.Column("meta", JSONType, nullable=False),
        sa.Column("run_id", Id, sa.ForeignKey("runs.id", name="fk_milestones_run_id_runs")),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_milestones"),
        sa.UniqueConstraint("key", name="uq_milestones_key"),
    )
    op.create_index("ix_milestones_source", "milestones", ["source"])
    op.create_index("ix_milestones_kind", "milestones", ["kind"])
    op.create_index("ix_milestones_date", "milestones", ["date"])
    op.create_table(
        "fetch_state",
        sa.Column("id", Id, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.String(100)),
        sa.Column("stamp", sa.Text),
        sa.Column("content_hash", sa.String(64)),
        _ts("fetched_at"),
        sa.PrimaryKeyConstraint("id", name="pk_fetch_state"),
        sa.UniqueConstraint("source", "url", name="uq_fetch_state_source_url"),
    )


def downgrade() -> None:
    op.drop_table("fetch_state")
    op.drop_index("ix_milestones_date", "milestones")
    op.drop_index("ix_milestones_kind", "milestones")
    op.drop_index("ix_milestones_source", "milestones")
    op.drop_table("milestones")
    with op.batch_alter_table("versions") as batch:
        batch.drop_column("partial")
