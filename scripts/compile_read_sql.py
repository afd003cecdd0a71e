#!/usr/bin/env python
"""Write storage/read_sql.py: the read-only command line's statements
(storage/read_statements.py) compiled for SQLite and PostgreSQL. Run after changing
those statements or the tables they read; tests/storage/test_dbapi_read.py fails while
the file is stale."""

from __future__ import annotations

from pathlib import Path

from storage.read_statements import read_sql_module

TARGET = Path(__file__).resolve().parents[1] / "storage" / "read_sql.py"

if __name__ == "__main__":
    TARGET.write_text(read_sql_module(), encoding="utf-8")
    print(f"wrote {TARGET}")
