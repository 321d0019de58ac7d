"""The alert log: what was raised, to whom it went, and who acknowledged it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select

from index import alerts as alert_store
from index.models import AlertRow, Version
from index.store import Store
from web.views.common import Pagination, aware, scalar_text

PER_PAGE = 50
Acknowledged = Literal["all", "yes", "no"]
# Payload fields shown as the alert's substance, in this order; the rest is listed after them.
_PAYLOAD_FIRST = (
    "patent",
    "claim",
    "feature",
    "spec",
    "clause",
    "document",
    "version",
    "due",
    "window",
    "quote",
)


class DeliveryOut(BaseModel):
    recipient: str
    channel: str
    mode: str
    status: str = Field(description="pending | held | sent | dead | digested")
    attempts: int
    last_error: str | None
    sent_at: dt.datetime | None


class AlertOut(BaseModel):
    id: int
    kind: str
    thread: str
    title: str
    created_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    details: list[tuple[str, str]] = Field(description="The payload as (key, text) pairs.")
    document_id: int | None = Field(default=None, description="The document the alert is about, if any.")
    version_id: int | None = Field(default=None, description="The version the alert is about, if any.")
    patent: str | None = None
    deliveries: list[DeliveryOut]


class AlertPage(BaseModel):
    kind: list[str]
    acknowledged: Acknowledged
    kinds: list[tuple[str, int]] = Field(description="Every alert kind with its count.")
    unacknowledged: int
    pagination: Pagination
    alerts: list[AlertOut]


def _details(payload: dict[str, Any]) -> list[tuple[str, str]]:
    keys = [k for k in _PAYLOAD_FIRST if k in payload] + sorted(k for k in payload if k not in _PAYLOAD_FIRST)
    out = []
    for key in keys:
        value = payload[key]
        if value in (None, "", [], {}):
            continue
        out.append((str(key), scalar_text(value)))
    return out


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def alert_page(
    store: Store, kind: Sequence[str], acknowledged: Acknowledged, page: int, per_page: int = PER_PAGE
) -> AlertPage:
    query = select(AlertRow)
    count = select(func.count()).select_from(AlertRow)
    if kind:
        query = query.where(AlertRow.kind.in_(list(kind)))
        count = count.where(AlertRow.kind.in_(list(kind)))
    if acknowledged == "yes":
        query = query.where(AlertRow.acknowledged_at.is_not(None))
        count = count.where(AlertRow.acknowledged_at.is_not(None))
    elif acknowledged == "no":
        query = query.where(AlertRow.acknowledged_at.is_(None))
        count = count.where(AlertRow.acknowledged_at.is_(None))
    with store.session() as s:
        total = s.scalar(count) or 0
        pagination = Pagination.of(max(1, page), per_page, total)
        if pagination.page > pagination.pages:
            pagination = Pagination.of(pagination.pages, per_page, total)
        rows = list(s.scalars(query.order_by(AlertRow.id.desc()).limit(per_page).offset(pagination.offset)))
        kinds = [
            (str(k), int(n))
            for k, n in s.execute(
                select(AlertRow.kind, func.count()).group_by(AlertRow.kind).order_by(AlertRow.kind)
            )
        ]
        version_ids = {v for r in rows if (v := _int((r.payload or {}).get("version_id"))) is not None}
        documents: dict[int, int] = {
            int(v): int(d)
            for v, d in s.execute(select(Version.id, Version.document_id).where(Version.id.in_(version_ids)))
        }
        open_count = (
            s.scalar(select(func.count()).select_from(AlertRow).where(AlertRow.acknowledged_at.is_(None)))
            or 0
        )
    deliveries = alert_store.deliveries_of(store, [r.id for r in rows])
    return AlertPage(
        kind=list(kind),
        acknowledged=acknowledged,
        kinds=kinds,
        unacknowledged=open_count,
        pagination=pagination,
        alerts=[
            AlertOut(
                id=r.id,
                kind=r.kind,
                thread=r.thread,
                title=r.title,
                created_at=aware(r.created_at),
                acknowledged_at=aware(r.acknowledged_at),
                acknowledged_by=r.acknowledged_by,
                details=_details(r.payload or {}),
                document_id=_int((r.payload or {}).get("document_id"))
                or documents.get(_int((r.payload or {}).get("version_id")) or 0),
                version_id=_int((r.payload or {}).get("version_id")),
                patent=(r.payload or {}).get("patent")
                if isinstance((r.payload or {}).get("patent"), str)
                else None,
                deliveries=[
                    DeliveryOut(
                        recipient=d.recipient,
                        channel=d.channel,
                        mode=d.mode,
                        status=d.status,
                        attempts=d.attempts,
                        last_error=d.last_error,
                        sent_at=aware(d.sent_at),
                    )
                    for d in deliveries.get(r.id, [])
                ],
            )
            for r in rows
        ],
    )


def acknowledge(store: Store, ids: Sequence[int], by: str) -> list[int]:
    """Acknowledge the alerts (the first acknowledgement is kept); returns the ids that exist."""
    return alert_store.acknowledge(store, ids, by)
