"""Campaign versions (``campaign_version``): the YAML text of each version and where it
stands in its lifecycle."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from bot.domain.clock import ensure_utc
from bot.services.ports import CampaignVersion
from storage.tables.campaigns import CampaignVersionRow

V = CampaignVersionRow.__table__  # type: ignore[attr-defined]
_COLUMNS = (V.c.id, V.c.campaign_id, V.c.version, V.c.status, V.c.source, V.c.body,
            V.c.created_at, V.c.created_by, V.c.approved_at, V.c.approved_by,
            V.c.activated_at, V.c.activated_by, V.c.paused_at, V.c.paused_by)
#: the columns a status move records who and when in
STATUS_COLUMNS = {"approved": ("approved_at", "approved_by"),
                  "active": ("activated_at", "activated_by"),
                  "paused": ("paused_at", "paused_by")}


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else ensure_utc(value)


def _version(row: Any) -> CampaignVersion:
    (i, cid, n, status, source, body, created_at, created_by, approved_at, approved_by,
     activated_at, activated_by, paused_at, paused_by) = row
    return CampaignVersion(i, cid, n, status, source, body, ensure_utc(created_at), created_by,
                           _utc(approved_at), approved_by, _utc(activated_at), activated_by,
                           _utc(paused_at), paused_by)


class SqlCampaignVersions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, campaign_id: str, source: str, body: str, created_by: str,
            at: datetime) -> CampaignVersion:
        latest = self.session.execute(select(func.max(V.c.version)).where(
            V.c.campaign_id == campaign_id)).scalar_one()
        number = (latest or 0) + 1
        new_id = self.session.execute(insert(V).values(
            campaign_id=campaign_id, version=number, status="draft", source=source[:255],
            body=body, created_at=at, created_by=created_by[:120]).returning(V.c.id)
        ).scalar_one()
        return CampaignVersion(int(new_id), campaign_id, number, "draft", source[:255], body,
                               at, created_by[:120])

    def get(self, campaign_id: str, version: int) -> CampaignVersion | None:
        row = self.session.execute(select(*_COLUMNS).where(
            V.c.campaign_id == campaign_id, V.c.version == version)).first()
        return None if row is None else _version(row)

    def versions(self, campaign_id: str | None = None) -> list[CampaignVersion]:
        from storage.read_statements import READS

        if campaign_id is None:
            rows = self.session.execute(READS["campaign_versions"])
        else:
            rows = self.session.execute(READS["campaign_versions_of"],
                                        {"campaign_id": campaign_id})
        return [_version(r) for r in rows]

    def set_status(self, version_id: int, status: str, by: str, at: datetime) -> None:
        values: dict[str, Any] = {"status": status}
        if status in STATUS_COLUMNS:
            when, who = STATUS_COLUMNS[status]
            values[when], values[who] = at, by[:120]
        self.session.execute(update(V).where(V.c.id == version_id).values(**values))
