"""What every table has in common (the tables: the modules beside this one)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Row(SQLModel):
    """What every table has in common: pydantic's validation and serialisation schema is
    built when first used, not when the class is made. Rows are never validated (a
    table model's constructor only sets values) nor dumped, so nothing builds it, and a
    process no longer pays for 23 schemas at import (a command line's start)."""

    model_config = {"defer_build": True}


def utc_field(**kw: Any) -> Any:
    """A column of aware UTC datetimes."""
    return Field(sa_type=UTCDateTime, **kw)
