"""Matcher: claim maps, matches with evidence, drift events of mapped clauses, change-log cursors.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.models import Id, JSONType

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _ts(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "claim_maps",
        sa.Column("id", Id, nullable=False),
        sa.Column("patent", sa.String(60), nullable=False),
        sa.Column("path", sa.Text),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("owners", JSONType, nullable=False),
        sa.Column("content", JSONType, nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_claim_maps"),
        sa.UniqueConstraint("patent", name="uq_claim_maps_patent"),
    )
    op.create_table(
        "matches",
        sa.Column("id", Id, nullable=False),
        sa.Column("patent", sa.String(60), nullable=False),
        sa.Column("claim", sa.Integer, nullable=False),
        sa.Column(
            "document_id",
            Id,
            sa.ForeignKey("documents.id", name="fk_matches_document_id_documents"),
            nullable=False,
        ),
        sa.Column(
            "version_id",
            Id,
            sa.ForeignKey("versions.id", name="fk_matches_version_id_versions"),
            nullable=False,
        ),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("covered", sa.Integer, nullable=False),
        sa.Column("features", sa.Integer, nullable=False),
        sa.Column("all_elements", sa.Boolean, nullable=False),
        sa.Column("evidence", JSONType, nullable=False),
        sa.Column("evidence_digest", sa.String(64), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_matches"),
    )
    op.create_index("ix_matches_claim_document", "matches", ["patent", "claim", "document_id"])
    op.create_table(
        "drift_events",
        sa.Column("id", Id, nullable=False),
        sa.Column("dedupe_key", sa.String(64), nullable=False),
        sa.Column("patent", sa.String(60), nullable=False),
        sa.Column("claim", sa.Integer, nullable=False),
        sa.Column("feature", sa.String(40), nullable=False),
        sa.Column("spec", sa.String(100), nullable=False),
        sa.Column("clause", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column(
            "document_id",
            Id,
            sa.ForeignKey("documents.id", name="fk_drift_events_document_id_documents"),
            nullable=False,
        ),
        sa.Column(
            "version_id",
            Id,
            sa.ForeignKey("versions.id", name="fk_drift_events_version_id_versions"),
            nullable=False,
        ),
        sa.Column(
            "previous_version_id",
            Id,
            sa.ForeignKey("versions.id", name="fk_drift_events_previous_version_id_versions"),
        ),
        sa.Column("diff", sa.Text, nullable=False),
        sa.Column("still_reads", sa.Boolean),
        sa.Column("details", JSONType, nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_drift_events"),
        sa.UniqueConstraint("dedupe_key", name="uq_drift_events_dedupe_key"),
    )
    op.create_index("ix_drift_events_patent", "drift_events", ["patent"])
    op.create_table(
        "cursors",
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("name", name="pk_cursors"),
    )


def downgrade() -> None:
    op.drop_table("cursors")
    op.drop_index("ix_drift_events_patent", "drift_events")
    op.drop_table("drift_events")
    op.drop_index("ix_matches_claim_document", "matches")
    op.drop_table("matches")
    op.drop_table("claim_maps")
