"""Logging for the long-running commands: level and format from the settings
(``DUEBOT_LOG_LEVEL``, ``DUEBOT_LOG_FORMAT=text|json``), and no personal data on the
error paths.

duebot's own log lines never name a full phone number, email address, account number
or message body (they mask or leave them out). What they cannot control is an
exception's message: a database error quotes the values it refused ("Key
(address)=(+14155550101) already exists"), a parser quotes its input. So the formatters
here render a traceback with its frames and the exception's type (and, for a database
error, the driver's error class and SQLSTATE) but without the message. The engine is
created with ``hide_parameters=True`` for the same reason (``storage/db.py``).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import IO, Any

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_NAME = "duebot"


def exception_summary(exc_info: Any) -> str:
    """A traceback without the exception's message (see the module docstring)."""
    _, exc, tb = exc_info
    if exc is None:
        return ""
    lines = ["Traceback (most recent call last):\n",
             *traceback.format_list(traceback.extract_tb(tb))]
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    orig = getattr(exc, "orig", None)
    if orig is not None:
        name += f" from {type(orig).__module__}.{type(orig).__qualname__}"
        if getattr(orig, "sqlstate", None):
            name += f" (SQLSTATE {orig.sqlstate})"
    lines.append(f"{name}: message withheld (it may quote personal data)")
    return "".join(lines)


class PrivateTextFormatter(logging.Formatter):
    """The usual one-line format; exceptions without their message."""

    def formatException(self, ei: Any) -> str:
        return exception_summary(ei)

    def format(self, record: logging.LogRecord) -> str:
        # another handler may have cached the full text (message included) on the record
        cached, record.exc_text = record.exc_text, None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message; an exception as its type
    and frames (without its message)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = exception_summary(record.exc_info)
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StandardError(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler on whatever ``sys.stderr`` is when a record is written (a test runner
    may swap it between commands)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(level: str = "INFO", fmt: str = "text",
                      stream: IO[str] | None = None) -> logging.Handler:
    """Send every logger's records (uvicorn's and the libraries' included) to one handler
    on ``stream`` (default standard error) at ``level``; returns the handler."""
    name = level.strip().upper()
    if name not in LEVELS:
        raise ValueError(f"DUEBOT_LOG_LEVEL must be one of {', '.join(LEVELS)}, got {level!r}")
    if fmt not in FORMATS:
        raise ValueError(f"DUEBOT_LOG_FORMAT must be one of {', '.join(FORMATS)}, got {fmt!r}")
    handler = logging.StreamHandler(stream) if stream is not None else _StandardError()
    handler.setFormatter(JsonFormatter() if fmt == "json" else PrivateTextFormatter(TEXT_FORMAT))
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)  # configured again (tests, several commands in a process)
    root.addHandler(handler)
    root.setLevel(name)
    for noisy in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(noisy)
        logger.handlers.clear()
        logger.propagate = True
    return handler
