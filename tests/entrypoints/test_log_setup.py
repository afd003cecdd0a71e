"""``DUEBOT_LOG_LEVEL`` and ``DUEBOT_LOG_FORMAT``: the handler the runners install, and
exceptions logged without their message."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import exc as sa_exc

from bot.entrypoints.log_setup import configure_logging

PHONE = "+14155550123"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)


def _fail() -> None:
    try:
        raise sa_exc.IntegrityError("INSERT INTO contact_point ...", {"address": PHONE},
                                    Exception(f"Key (address)=({PHONE}) already exists"))
    except sa_exc.IntegrityError:
        logging.getLogger("duebot.test").exception("could not store the contact point")


def test_text_format_keeps_the_traceback_but_not_the_message() -> None:
    out = io.StringIO()
    configure_logging("debug", "text", stream=out)
    logging.getLogger("duebot.test").debug("a debug line")
    _fail()
    text = out.getvalue()
    assert "DEBUG duebot.test: a debug line" in text
    assert "ERROR duebot.test: could not store the contact point" in text
    assert "Traceback (most recent call last):" in text and "in _fail" in text
    assert "sqlalchemy.exc.IntegrityError from builtins.Exception: message withheld" in text
    assert PHONE not in text


def test_json_format_is_one_object_a_line() -> None:
    out = io.StringIO()
    configure_logging("WARNING", "json", stream=out)
    logging.getLogger("duebot.test").info("not shown at WARNING")
    _fail()
    (line,) = out.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "duebot.test"
    assert entry["message"] == "could not store the contact point"
    assert "message withheld" in entry["exception"] and PHONE not in line


def test_configuring_twice_keeps_one_handler() -> None:
    configure_logging("INFO", "text", stream=io.StringIO())
    configure_logging("INFO", "json", stream=io.StringIO())
    assert sum(h.get_name() == "duebot" for h in logging.getLogger().handlers) == 1


@pytest.mark.parametrize(("level", "fmt", "message"), [
    ("LOUD", "text", "DUEBOT_LOG_LEVEL must be one of"),
    ("INFO", "xml", "DUEBOT_LOG_FORMAT must be one of"),
])
def test_bad_settings_name_the_setting(level: str, fmt: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        configure_logging(level, fmt, stream=io.StringIO())
