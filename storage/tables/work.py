"""The collectors' queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from storage.tables.base import Row, utc_field


class WorkItemRow(Row, table=True):
    """An item in the collectors' queue: a conversation that needs a human."""

    __tablename__ = "work_item"
    __table_args__ = (Index("ix_work_item_open", "done_at", "priority"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="collection_case.id")
    message_id: int | None = Field(default=None, foreign_key="message.id", index=True)
    kind: str = Field(max_length=32)  # dispute | legal | callback | low_confidence | ...
    detail: str = Field(default="", max_length=500)
    priority: int = 50
    due_at: datetime | None = utc_field(default=None)
    created_at: datetime = utc_field()
    done_at: datetime | None = utc_field(default=None)
    done_by: str | None = Field(default=None, max_length=64)
