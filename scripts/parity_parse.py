#!/usr/bin/env python3
"""Check that two versions of the reply parser read every reply identically.

Reads every row of tests/replies/corpus/*/*.jsonl and the shared development sets
(../shared/replies/dev-*.jsonl), plus a seeded set of longer replies made by joining two
rows of the same language, with the parser of this checkout and with the parser of
``--baseline`` (another checkout of the project, e.g. the commit a change started from),
and compares, reply by reply: the reading with the learned model (intent, opt_out,
opt_out_scope, promises, confidence, needs_human, review reasons, deceased, recurrence,
spans), the rules' reading alone (model None), and the review head's features
(``read_reply``, what the training script reads) and the exact numbers behind the
rounded confidences (the model's probabilities, the review head's estimate). Prints the
count of differences and the first few; exits 1 when there is any.

Usage: python scripts/parity_parse.py --baseline /path/to/other/checkout
       python scripts/parity_parse.py --dump out.jsonl   (this checkout's readings only)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _rows(root: Path) -> list[dict[str, Any]]:
    paths = sorted((root / "tests" / "replies" / "corpus").glob("*/*.jsonl"))
    paths += sorted((root.parent / "shared" / "replies").glob("dev-*.jsonl"))
    if not paths:
        sys.exit("no corpus found")
    rows: list[dict[str, Any]] = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    rng = random.Random(16)
    by_lang: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_lang.setdefault(r.get("lang", "?"), []).append(r)
    joined = []
    for group in by_lang.values():
        for _ in range(len(group) // 2):
            a, b = rng.choice(group), rng.choice(group)
            glue = rng.choice((" ", ". ", "\n", "，"))
            joined.append({**a, "text": a["text"] + glue + b["text"]})
    return rows + joined


def _reply_json(reply: Any) -> dict[str, Any]:
    rec = reply.recurrence
    return {
        "intent": reply.intent.value,
        "opt_out": reply.opt_out,
        "scope": list(reply.opt_out_scope),
        "promises": [
            [None if t.amount is None else str(t.amount), None if t.date is None else str(t.date)]
            for t in reply.promises
        ],
        "confidence": reply.confidence,
        "needs_human": reply.needs_human,
        "review": list(reply.review),
        "deceased": reply.deceased,
        "recurrence": None if rec is None else [str(rec.amount), rec.period, str(rec.first)],
        "lang": reply.lang,
        "spans": [[s.start, s.end, s.kind, s.value] for s in reply.spans],
    }


def dump(root: Path, out: Any) -> None:
    """Write this interpreter's readings (the parser importable from ``root``), one a line."""
    sys.path.insert(0, str(root))
    from bot.replies.parser import _parse, parse_reply, read_reply
    from bot.replies.review_head import estimate
    from storage.intent_model_file import load_intent_model

    model = load_intent_model()
    for r in _rows(ROOT):
        now = dt.datetime.fromisoformat(r["now"])
        balance = Decimal(r["balance"]) if r.get("balance") else None
        currency = r.get("currency")
        full = parse_reply(r["text"], now, balance, currency, None, model)
        rules = parse_reply(r["text"], now, balance, currency, None, None)
        reply, feats = read_reply(r["text"], now, balance, currency, None, model)
        # the exact numbers behind the rounded confidences: the model's opinion and the
        # review head's estimate
        _, seen = _parse(r["text"], now, balance, currency, None, model)
        raw = None
        if seen is not None and model.review is not None:
            opinion = seen[2]
            raw = [
                repr(estimate(model.review, *seen, reply)),
                [repr(p) for p in opinion.probabilities],
                repr(opinion.opt_out),
                opinion.known,
            ]
        line = {
            "id": r.get("id"),
            "model": _reply_json(full),
            "rules": _reply_json(rules),
            "features": None if feats is None else [float(x) for x in feats],
            "raw": raw,
        }
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--baseline", type=Path, help="the other checkout to compare with")
    ap.add_argument("--dump", help="write this checkout's readings to a file ('-': stdout)")
    ap.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.dump:
        if args.dump == "-":
            dump(args.root, sys.stdout)
        else:
            with open(args.dump, "w", encoding="utf-8") as f:
                dump(args.root, f)
        return
    if args.baseline is None:
        ap.error("give --baseline or --dump")

    def readings(root: Path) -> list[dict[str, Any]]:
        proc = subprocess.run(
            [sys.executable, __file__, "--dump", "-", "--root", str(root.resolve())],
            capture_output=True,
            check=True,
            cwd=root,
        )
        return [json.loads(x) for x in proc.stdout.decode().splitlines()]

    before = readings(args.baseline)
    after = readings(ROOT)
    if len(before) != len(after):
        sys.exit(f"row counts differ: {len(before)} vs {len(after)}")
    diffs = []
    for b, a in zip(before, after, strict=True):
        for part in ("model", "rules", "features", "raw"):
            if b[part] != a[part]:
                if part in ("features", "raw"):
                    diffs.append((b["id"], part, b[part], a[part]))
                    continue
                keys = [k for k in b[part] if b[part][k] != a[part][k]]
                diffs.append((b["id"], part, {k: b[part][k] for k in keys},
                              {k: a[part][k] for k in keys}))
    print(f"parity: {len(after)} replies x (model, rules, review features, raw scores): "
          f"{len(diffs)} differences")
    for d in diffs[:20]:
        print("  ", d)
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
