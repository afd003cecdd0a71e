"""The campaigns' versions (their YAML texts and where each stands)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from storage.tables.base import Row, utc_field


class CampaignVersionRow(Row, table=True):
    """One version of a campaign: its YAML text and where it stands
    (draft → approved → active ↔ paused; retired when another version replaces it)."""

    __tablename__ = "campaign_version"
    __table_args__ = (UniqueConstraint("campaign_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(max_length=64, index=True)
    version: int
    status: str = Field(max_length=16, index=True)
    source: str = Field(max_length=255)
    body: str
    created_at: datetime = utc_field()
    created_by: str = Field(max_length=120)
    approved_at: datetime | None = utc_field(default=None)
    approved_by: str | None = Field(default=None, max_length=120)
    activated_at: datetime | None = utc_field(default=None)
    activated_by: str | None = Field(default=None, max_length=120)
    paused_at: datetime | None = utc_field(default=None)
    paused_by: str | None = Field(default=None, max_length=120)
