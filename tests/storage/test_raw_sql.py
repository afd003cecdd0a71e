"""Statements on the DB-API cursor bind, decode and fail as SQLAlchemy's own execution
does, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.models import MessageRow
from storage.raw_sql import RawStatement

M = MessageRow.__table__  # type: ignore[attr-defined]
_INSERT = RawStatement(insert(M).values(
    channel=bindparam("b_channel"), address=bindparam("b_address"),
    provider_id=bindparam("b_provider_id"), created_at=bindparam("b_at"),
    reading=bindparam("b_reading"), body="hello", direction="in", status="received",
    attempts=0, fallback_channels=["email"]).returning(M.c.id))
_READ = RawStatement(select(M.c.reading, M.c.created_at, M.c.fallback_channels, M.c.body,
                            M.c.subject).where(M.c.id == bindparam("b_id")))
_TOUCH = RawStatement(update(M).where(M.c.channel == bindparam("b_channel"))
                      .values(subject=bindparam("b_subject")))


def test_values_are_bound_and_read_back_as_the_column_types_give_them(engine, clock):
    at = clock.now() - timedelta(hours=2)
    reading = {"intent": "promise", "amounts": [5000], "note": "是的"}
    with engine.begin() as conn:
        (message_id,), = _INSERT.all(conn, {"b_channel": "sms", "b_address": "+14155550100",
                                            "b_provider_id": "SM1", "b_at": at,
                                            "b_reading": reading})
        raw = _READ.first(conn, {"b_id": message_id})
        core = conn.execute(select(M.c.reading, M.c.created_at, M.c.fallback_channels,
                                   M.c.body, M.c.subject).where(M.c.id == message_id)).one()
        assert tuple(raw or ()) == tuple(core) == (reading, at, ["email"], "hello", None)
        assert raw is not None and raw[1].utcoffset() == timedelta(0)
        assert _READ.first(conn, {"b_id": message_id + 1}) is None
        assert _TOUCH.run(conn, {"b_channel": "sms", "b_subject": "s"}) == 1
        assert _TOUCH.run(conn, {"b_channel": "email", "b_subject": "s"}) == 0


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(engine, clock):
    values = {"b_channel": "sms", "b_address": "+14155550100", "b_provider_id": "SM1",
              "b_at": clock.now(), "b_reading": None}
    with engine.connect() as conn:
        conn.begin()
        _INSERT.all(conn, values)
        with pytest.raises(IntegrityError) as caught:
            _INSERT.all(conn, {**values, "b_address": "+14155550199"})
        # the driver's own error underneath (what a unit of work reads to tell a
        # concurrent write), and no bound value in the message
        assert caught.value.orig is not None
        assert "+14155550199" not in str(caught.value)
        conn.rollback()
