"""Reading what campaign outcomes are computed from (:class:`bot.services.ports.OutcomeSource`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from bot.services.ports import OutcomeFacts
from storage.dbapi_read import outcome_facts
from storage.read_statements import READS


class SqlOutcomeSource:
    """The ``facts_*`` reads of :mod:`storage.read_statements` through SQLAlchemy, made
    into facts as the read-only path makes them (:func:`storage.dbapi_read.outcome_facts`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def outcome_facts(self) -> OutcomeFacts:
        with self.engine.connect() as conn:
            def rows(name: str) -> list[Any]:
                return list(conn.execute(READS[name]))

            return outcome_facts(rows)
