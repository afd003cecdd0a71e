"""Console sessions, failed logins, the audit trail and campaign versions in memory."""

from __future__ import annotations

import builtins
import dataclasses
from datetime import datetime

from bot.services.ports import AuditRecord, CampaignVersion, SessionRecord
from storage.memory.database import MemoryDatabase

#: the fields a status move records who and when in
_STATUS_FIELDS = {"approved": ("approved_at", "approved_by"),
                  "active": ("activated_at", "activated_by"),
                  "paused": ("paused_at", "paused_by")}


class MemorySessionRepository:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def add(self, user_id: int, token_hash: str, created_at: datetime,
            expires_at: datetime) -> int:
        if token_hash in self.db["sessions"]:
            raise ValueError("session token already exists")
        record = SessionRecord(self.db.next_id("sessions"), user_id, token_hash, created_at,
                               expires_at)
        self.db.put("sessions", token_hash, record)
        return record.id

    def get(self, token_hash: str) -> SessionRecord | None:
        return self.db["sessions"].get(token_hash)

    def revoke(self, token_hash: str, at: datetime) -> bool:
        record = self.db["sessions"].get(token_hash)
        if record is None or record.revoked_at is not None:
            return False
        self.db.put("sessions", token_hash, dataclasses.replace(record, revoked_at=at))
        return True

    def revoke_user(self, user_id: int, at: datetime) -> int:
        hashes = [h for h, r in self.db["sessions"].items()
                  if r.user_id == user_id and r.revoked_at is None]
        return sum(self.revoke(h, at) for h in hashes)


class MemoryLoginAttempts:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def add_failure(self, key: str, at: datetime) -> None:
        self.db.put("login_failures", self.db.next_id("login_failures"), (key[:160], at))

    def failures_since(self, key: str, since: datetime) -> int:
        return sum(1 for k, at in self.db["login_failures"].values()
                   if k == key[:160] and at >= since)

    def clear(self, key: str) -> None:
        for i in [i for i, (k, _) in self.db["login_failures"].items() if k == key[:160]]:
            self.db.delete("login_failures", i)


class MemoryAuditLog:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def add(self, record: AuditRecord) -> None:
        i = self.db.next_id("audit")
        self.db.put("audit", i, dataclasses.replace(
            record, id=i, actor=record.actor[:120], action=record.action[:40],
            target=None if record.target is None else record.target[:160],
            detail=dict(record.detail)))

    def recent(self, limit: int = 100, *, action: str | None = None,
               actor: str | None = None) -> builtins.list[AuditRecord]:
        rows = [r for _, r in sorted(self.db["audit"].items(), reverse=True)
                if (action is None or r.action == action)
                and (actor is None or r.actor.startswith(actor))]
        return rows[:limit]


class MemoryCampaignVersions:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def add(self, campaign_id: str, source: str, body: str, created_by: str,
            at: datetime) -> CampaignVersion:
        number = 1 + max((v.version for v in self.db["campaign_versions"].values()
                          if v.campaign_id == campaign_id), default=0)
        record = CampaignVersion(self.db.next_id("campaign_versions"), campaign_id, number,
                                 "draft", source[:255], body, at, created_by[:120])
        self.db.put("campaign_versions", record.id, record)
        return record

    def get(self, campaign_id: str, version: int) -> CampaignVersion | None:
        return next((v for v in self.db["campaign_versions"].values()
                     if v.campaign_id == campaign_id and v.version == version), None)

    def versions(self, campaign_id: str | None = None) -> builtins.list[CampaignVersion]:
        return sorted((v for v in self.db["campaign_versions"].values()
                       if campaign_id is None or v.campaign_id == campaign_id),
                      key=lambda v: (v.campaign_id, v.version))

    def set_status(self, version_id: int, status: str, by: str, at: datetime) -> None:
        record = self.db["campaign_versions"].get(version_id)
        if record is None:
            return
        changes: dict[str, object] = {"status": status}
        if status in _STATUS_FIELDS:
            when, who = _STATUS_FIELDS[status]
            changes[when], changes[who] = at, by[:120]
        self.db.put("campaign_versions", version_id, dataclasses.replace(record, **changes))
