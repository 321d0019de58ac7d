"""Alerts: the alert log, the delivery outbox, and APScheduler's persistent job store.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.models import Id, JSONType

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", Id, nullable=False),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("thread", sa.String(255), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("payload", JSONType, nullable=False),
        _ts("created_at"),
        _ts("acknowledged_at", nullable=True),
        sa.Column("acknowledged_by", sa.String(100)),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("dedupe_key", name="uq_alerts_dedupe_key"),
    )
    op.create_index("ix_alerts_kind", "alerts", ["kind"])
    op.create_index("ix_alerts_created_at", "alerts", ["created_at"])
    op.create_table(
        "outbox",
        sa.Column("id", Id, nullable=False),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column(
            "alert_id",
            Id,
            sa.ForeignKey("alerts.id", name="fk_outbox_alert_id_alerts"),
        ),
        sa.Column("recipient", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _ts("next_attempt_at"),
        sa.Column("last_error", sa.Text),
        sa.Column("claimed_by", sa.String(300)),
        _ts("sent_at", nullable=True),
        sa.Column(
            "digest_id",
            Id,
            sa.ForeignKey("outbox.id", name="fk_outbox_digest_id_outbox"),
        ),
        sa.Column("payload", JSONType, nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_alert_id", "outbox", ["alert_id"])
    # The table APScheduler's SQLAlchemyJobStore expects (it would create it itself; the schema is ours).
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(191), nullable=False),
        sa.Column("next_run_time", sa.Float(25)),
        sa.Column("job_state", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_apscheduler_jobs"),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs")
    op.drop_table("apscheduler_jobs")
    op.drop_index("ix_outbox_alert_id", "outbox")
    op.drop_index("ix_outbox_status_next_attempt_at", "outbox")
    op.drop_table("outbox")
    op.drop_index("ix_alerts_created_at", "alerts")
    op.drop_index("ix_alerts_kind", "alerts")
    op.drop_table("alerts")
