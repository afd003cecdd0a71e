"""Shared send rates and scheduled job runs."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from storage.tables.base import Row, utc_field


class RateBucketRow(Row, table=True):
    """A send rate shared by every worker (``storage/rate_buckets.py``): when the next
    send through ``key`` (a provider's sender) may go, in seconds since the epoch."""

    __tablename__ = "rate_bucket"
    key: str = Field(primary_key=True, max_length=200)
    next_at: float


class JobRunRow(Row, table=True):
    """When each scheduled job (the planning tick, the daily jobs) last ran to its end,
    whichever scheduler ran it: the missed-tick metric reads it."""

    __tablename__ = "job_run"
    job: str = Field(primary_key=True, max_length=64)
    started_at: datetime = utc_field()
    finished_at: datetime = utc_field()
