#!/usr/bin/env python3
"""Leave-one-writer-out cross-validation of the reply parser.

Each writer's batch in ``tests/replies/corpus/train`` is read by the parser with a model
trained on the other batches only (``scripts/train_intent_model.py``'s :func:`fit`), and
with a review head fitted on the other batches' out-of-fold readings (its threshold
chosen there too). The figures are those of ``scripts/bench_parse.py`` — intent accuracy,
opt-out recall and precision, scope, deceased, promise exact, the share automated and
the share of automated readings that are wrong — per held-out batch, per language and
pooled: how the parser does on a writer it has not seen, which the training fit cannot
say. The rules themselves were written with every batch in view, so this measures the
model and the head honestly and the rules only as well as they avoid memorising.

(The other batches' out-of-fold readings the head of one fold is fitted on come from
models that saw the held-out batch: a small leak, for one set of K fits instead of K².)

Usage: python scripts/cv_parse.py [--errors N] [--batch NAME] [--no-head]
Ends with one line: ``cv_parse: intent=... optout_recall=... promise=... auto=... wrong_auto=...``
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--errors", type=int, default=0, help="print up to N mistakes per batch")
    ap.add_argument("--auto-errors", action="store_true",
                    help="print only the mistakes that were automated")
    ap.add_argument("--batch", action="append", help="only report these held-out batches")
    ap.add_argument("--no-head", action="store_true", help="without the review head")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    trainer = _script("train_intent_model")
    bench = _script("bench_parse")
    from bot.replies.review_head import settle

    batches = trainer.load_batches()
    if len(batches) < 2:
        sys.exit("cross-validation needs at least two batches in tests/replies/corpus/train")
    oof = trainer.out_of_fold(batches)
    all_rows: list[dict[str, Any]] = []
    all_pred: list[dict[str, Any]] = []
    header = " ".join(f"{k[:6]:>6s}" for k in bench._KEYS)
    print(f"{'held out':22s} {header}")
    for name, rows in batches.items():
        readings = oof[name]
        replies = [r.reply for r in readings]
        if not args.no_head:
            others = [r for other, rs in oof.items() if other != name for r in rs]
            head = trainer.fit_review(others)
            replies = [
                settle(head, r.reply, head.probability(r.x)) if r.x is not None else r.reply
                for r in readings
            ]
        pred = [bench._as_json(r) for r in replies]
        all_rows += rows
        all_pred += pred
        if args.batch and name not in args.batch:
            continue
        print(bench._line(f"{name} ({len(rows)})", bench.score(rows, pred)))
        if args.errors:
            shown = 0
            for g, p in zip(rows, pred, strict=True):
                right = (
                    p["intent"] == g["intent"]
                    and p["opt_out"] == bool(g["opt_out"])
                    and (
                        g["intent"] != "promise_to_pay"
                        or bench.promise_key(p["promises"]) == bench.promise_key(g["promises"])
                    )
                )
                if right or (args.auto_errors and p["needs_human"]):
                    continue
                print(f"    - {g['id']} {g['text']!r} now={g['now'][:10]} bal={g.get('balance')}")
                print(f"      want {g['intent']} opt={g['opt_out']} "
                      f"{bench.promise_key(g['promises'])}")
                print(f"      got  {p['intent']} opt={p['opt_out']} "
                      f"{bench.promise_key(p['promises'])} human={p['needs_human']}")
                shown += 1
                if shown >= args.errors:
                    break
    total = bench.score(all_rows, all_pred)
    print(bench._line(f"pooled ({len(all_rows)})", total))
    for lang in sorted({r.get("lang", "?") for r in all_rows}):
        print(bench._line(f"  {lang}", bench._by_lang(all_rows, all_pred, lang)))
    keys = ("intent", "optout_recall", "promise", "auto", "wrong_auto")
    print("cv_parse: " + " ".join(f"{k}={total[k]:.3f}" for k in keys))


if __name__ == "__main__":
    main()
