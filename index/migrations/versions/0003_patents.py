"""Patents: applications, their status events, and declarations linking patents to specifications.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.models import Id, JSONType

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _ts(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "patents",
        sa.Column("id", Id, nullable=False),
        sa.Column("application", sa.String(60), nullable=False),
        sa.Column("office", sa.String(8), nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("applicants", JSONType, nullable=False),
        sa.Column("filing_date", sa.Date),
        sa.Column("priority_date", sa.Date),
        sa.Column("publications", JSONType, nullable=False),
        sa.Column("grant_date", sa.Date),
        sa.Column("status", sa.Text),
        sa.Column("kind", sa.String(20)),
        sa.Column("family", sa.String(60)),
        sa.Column("parents", JSONType, nullable=False),
        sa.Column("children", JSONType, nullable=False),
        sa.Column("sources", JSONType, nullable=False),
        sa.Column("meta", JSONType, nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_patents"),
        sa.UniqueConstraint("application", name="uq_patents_application"),
    )
    op.create_index("ix_patents_office", "patents", ["office"])
    op.create_index("ix_patents_family", "patents", ["family"])
    op.create_table(
        "patent_events",
        sa.Column("id", Id, nullable=False),
        sa.Column("dedupe_key", sa.String(64), nullable=False),
        sa.Column("application", sa.String(60), nullable=False),
        sa.Column("office", sa.String(8), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("date", sa.Date),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("known", sa.Boolean, nullable=False),
        sa.Column("publication", sa.String(60)),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("origin", sa.Text),
        sa.Column("meta", JSONType, nullable=False),
        sa.Column("run_id", Id, sa.ForeignKey("runs.id", name="fk_patent_events_run_id_runs")),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_patent_events"),
        sa.UniqueConstraint("dedupe_key", name="uq_patent_events_dedupe_key"),
    )
    op.create_index("ix_patent_events_application", "patent_events", ["application"])
    op.create_table(
        "declarations",
        sa.Column("id", Id, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("declarant", sa.Text, nullable=False),
        sa.Column("patents", JSONType, nullable=False),
        sa.Column("specs", JSONType, nullable=False),
        sa.Column("deliverables", JSONType, nullable=False),
        sa.Column("family", sa.String(60)),
        sa.Column("licensing", sa.Text),
        sa.Column("date", sa.Date),
        sa.Column("origin", sa.Text),
        sa.Column("meta", JSONType, nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_declarations"),
        sa.UniqueConstraint("key", name="uq_declarations_key"),
    )


def downgrade() -> None:
    op.drop_table("declarations")
    op.drop_index("ix_patent_events_application", "patent_events")
    op.drop_table("patent_events")
    op.drop_index("ix_patents_family", "patents")
    op.drop_index("ix_patents_office", "patents")
    op.drop_table("patents")
