"""Engines: SQLite (a file, WAL mode, foreign keys on) or PostgreSQL through a URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import create_engine


def make_engine(url: str, **kw: Any) -> Engine:
    """Create an engine with the pragmas and pool settings each backend needs.

    Statement parameters (addresses, message bodies) never appear in a database error's
    message (``hide_parameters``): such messages end up in logs."""
    kw.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connect_args = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, connect_args=connect_args, **kw)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy own transactions (pysqlite's own BEGIN handling is off).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if parsed.database not in (None, "", ":memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    kw.setdefault("pool_pre_ping", True)
    # up to 15 connections (SQLAlchemy's default 5 + 10 overflow), all kept once opened:
    # with overflow, a web server whose 14 database threads were busy closed the extra
    # connections as they came back and opened new ones for the next burst (one new
    # PostgreSQL backend per six webhooks, each forked, authenticated and its prepared
    # statements lost)
    kw.setdefault("pool_size", 15)
    kw.setdefault("max_overflow", 0)
    return create_engine(parsed, **kw)


def upsert(conn: Connection, table: Any) -> Any:
    """An ``INSERT`` that takes ``ON CONFLICT`` clauses, in the connection's dialect
    (PostgreSQL's, else SQLite's). The dialect's module is imported when first used: a
    process on SQLite never imports PostgreSQL's (a command line's start)."""
    from importlib import import_module

    name = "postgresql" if conn.dialect.name == "postgresql" else "sqlite"
    return import_module(f"sqlalchemy.dialects.{name}").insert(table)
