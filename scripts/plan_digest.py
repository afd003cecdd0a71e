#!/usr/bin/env python
"""A digest of everything one planning tick decides for a synthetic portfolio.

Generates ``--cases`` synthetic open cases (``bench_campaign.generate``, default 20,000)
into a fresh database (a SQLite file in a temporary folder, or the database at ``--db``,
emptied first as ``bench_campaign.py`` empties it), runs one planning tick at a fixed
instant in one process, and hashes what it wrote: every outbox message (case, channel,
address, template, step, variant, campaign, purpose, language, body, subject, fallback
channels, reference and idempotency key), every decision record (case, local date, step,
variant, channel, outcome, reasons, key), every work item and every case's status. Two
commits that plan alike print the same digest, so a refactoring can show it changed no
decision.

Usage: ``python scripts/plan_digest.py [--cases N] [--seed S] [--db URL]``; the last
line is ``plan_digest: cases=N outbox=... decisions=... digest=<sha256> backend=NAME``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_campaign as bench  # noqa: E402
from sqlalchemy import select  # noqa: E402

from storage.db import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    CaseRow,
    ContactDecisionRow,
    MessageRow,
    WorkItemRow,
)

MESSAGE = ("case_id", "channel", "address", "template_id", "step_id", "variant", "campaign_id",
           "purpose", "lang", "body", "subject", "fallback_channels", "ref",
           "idempotency_key", "status", "next_attempt_at")
DECISION = ("case_id", "local_date", "campaign_id", "step_id", "variant", "channel",
            "allowed", "reasons", "key")
WORK = ("case_id", "kind", "detail", "priority")


def tick(engine: Any) -> None:
    """One tick at ``bench_campaign.NOW`` in this process (old and new wiring)."""
    from bot.bootstrap import bootstrap
    try:
        from storage.campaign_files import load_campaigns
    except ImportError:  # before campaign files were read in storage
        from bot.campaigns import load_campaigns  # type: ignore[attr-defined,no-redef]
    from bot.domain.clock import FixedClock
    from bot.settings import Settings

    settings = Settings(_env_file=None,  # type: ignore[call-arg]
                        database_url=engine.url.render_as_string(hide_password=False))
    clock = FixedClock(bench.NOW)
    container = bootstrap(settings, clock=clock, engine=engine)
    campaigns = load_campaigns(ROOT / "campaigns")
    if hasattr(container, "planning"):
        planning = container.planning(campaigns)
    else:  # the wiring before use cases went over ports
        from bot.services.planning import CampaignBook, PlanningService

        planning = PlanningService(engine, clock, settings, container.renderer,
                                   CampaignBook(campaigns, settings.jurisdiction))
    report = planning.tick(bench.NOW, workers=1)
    print(f"tick: {report.summary()}", flush=True)


def rows(engine: Any, model: Any, columns: tuple[str, ...]) -> list[list[str]]:
    table = model.__table__
    with engine.connect() as conn:
        found = conn.execute(select(*(table.c[c] for c in columns))).all()
    return sorted([json.dumps(v, default=str, ensure_ascii=False) for v in r] for r in found)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", help="database URL (default: a SQLite file in a temp dir); a "
                                 "PostgreSQL database is emptied first")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            engine = bench.make_db(args.db, Path(tmp))
        else:
            engine = make_engine(f"sqlite:///{tmp}/digest.db")
            upgrade(engine)
        backend = engine.dialect.name
        bench.generate(engine, args.cases, seed=args.seed)
        tick(engine)
        digest = hashlib.sha256()
        counts = {}
        for name, model, columns in (("outbox", MessageRow, MESSAGE),
                                     ("decisions", ContactDecisionRow, DECISION),
                                     ("work_items", WorkItemRow, WORK),
                                     ("cases", CaseRow, ("id", "status", "version"))):
            found = rows(engine, model, columns)
            counts[name] = len(found)
            for r in found:
                digest.update("\x1f".join(r).encode() + b"\n")
            digest.update(f"--{name}--".encode())
        engine.dispose()
    print(f"plan_digest: cases={args.cases} " + " ".join(f"{k}={v}" for k, v in counts.items())
          + f" digest={digest.hexdigest()} backend={backend}")


if __name__ == "__main__":
    main()
