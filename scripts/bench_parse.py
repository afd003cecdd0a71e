#!/usr/bin/env python3
"""Benchmark the reply parser against a baseline on the labelled reply corpora.

Measures, in one run and on the same texts:

- duebot's parser in process (``parse_reply``) and through ``duebot parse`` as a
  subprocess (JSON Lines, process start included), on the corpus repeated N times;
- a baseline: keyword intents, the first number as the amount, and
  ``dateparser.search_dates`` for the date (what one would reach for first).

Prints accuracy (intent per language, opt-out, promise exact, promise dates) and
throughput, and ends with one line::

    bench_parse: rate=R baseline_rate=B intent=I promise=P ...

Usage: python scripts/bench_parse.py [--repeat 50] [--baseline-limit 0] [corpus.jsonl ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = sorted((ROOT.parent / "shared" / "replies").glob("dev-*.jsonl"))
INPUT_KEYS = ("text", "now", "balance", "currency")


def load(paths: list[Path]) -> list[dict]:
    rows: list[dict] = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return rows


def promise_key(promises: list[dict]) -> list[tuple[str, str]]:
    return sorted(((p.get("date") or ""), (p.get("amount") or "")) for p in promises or [])


def score(gold: list[dict], pred: list[dict]) -> dict[str, float]:
    by_lang: dict[str, list[int]] = {}
    tp = fp = fn = 0
    p_ok = p_n = d_ok = 0
    for g, p in zip(gold, pred, strict=True):
        ok = p.get("intent") == g["intent"]
        hit = by_lang.setdefault(g.get("lang", "?"), [0, 0])
        hit[0] += ok
        hit[1] += 1
        go, po = bool(g["opt_out"]), bool(p.get("opt_out"))
        tp += go and po
        fp += po and not go
        fn += go and not po
        if g["intent"] == "promise_to_pay":
            p_n += 1
            p_ok += ok and promise_key(p.get("promises")) == promise_key(g["promises"])
            gd = sorted(x.get("date") or "" for x in g["promises"])
            pd = sorted(x.get("date") or "" for x in p.get("promises") or [])
            d_ok += gd == pd
    out = {f"intent_{k}": h / n for k, (h, n) in sorted(by_lang.items())}
    out["intent"] = sum(h for h, _ in by_lang.values()) / max(
        1, sum(n for _, n in by_lang.values())
    )
    out["optout_recall"] = tp / (tp + fn) if tp + fn else float("nan")
    out["optout_precision"] = tp / (tp + fp) if tp + fp else float("nan")
    out["promise"] = p_ok / p_n if p_n else float("nan")
    out["date"] = d_ok / p_n if p_n else float("nan")
    return out


def _as_json(reply) -> dict:
    return {
        "intent": reply.intent.value,
        "opt_out": reply.opt_out,
        "promises": [
            {
                "amount": None if t.amount is None else f"{t.amount:.2f}",
                "date": None if t.date is None else t.date.isoformat(),
            }
            for t in reply.promises
        ],
    }


def run_inprocess(rows: list[dict], repeat: int) -> tuple[list[dict], float]:
    from bot.replies.parser import parse_reply

    args = [
        (
            r["text"],
            dt.datetime.fromisoformat(r["now"]),
            Decimal(r["balance"]) if r.get("balance") else None,
            r.get("currency"),
        )
        for r in rows
    ]
    start = time.perf_counter()
    for _ in range(repeat):
        replies = [parse_reply(*a) for a in args]
    elapsed = time.perf_counter() - start
    return [_as_json(r) for r in replies], len(rows) * repeat / elapsed


def run_subprocess(rows: list[dict], repeat: int) -> tuple[list[dict], float]:
    payload = (
        "".join(
            json.dumps({k: r[k] for k in INPUT_KEYS if k in r}, ensure_ascii=False) + "\n"
            for r in rows
        )
        * repeat
    )
    exe = shutil.which("duebot")
    cmd = (
        [exe, "parse"]
        if exe
        else [sys.executable, "-c", "from bot.entrypoints.cli import main; main()", "parse"]
    )
    start = time.perf_counter()
    proc = subprocess.run(
        cmd,
        input=payload.encode(),
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"duebot parse exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    lines = proc.stdout.decode().splitlines()
    if len(lines) != len(rows) * repeat:
        sys.exit(f"duebot parse wrote {len(lines)} lines for {len(rows) * repeat} inputs")
    return [json.loads(x) for x in lines[: len(rows)]], len(rows) * repeat / elapsed


_BASE_INTENTS = [
    ("legal", re.compile(r"lawyer|attorney|bankrupt|court|sue\b|律师|起诉|法院|破产|投诉")),
    ("wrong_party", re.compile(r"wrong (?:number|person)|not me\b|打错|发错|不是本人")),
    ("dispute", re.compile(r"not my|don'?t owe|wrong|fraud|dispute|不是我|没借|不对|算错")),
    ("paid", re.compile(r"\bpaid\b|already|已经还|已还|还了")),
    ("promise_to_pay", re.compile(r"\bpay\b|\bsend\b|will|还")),
    ("hardship", re.compile(r"can'?t|job|plan|没钱|分期|困难")),
    ("refuse", re.compile(r"not paying|won'?t pay|不还")),
    ("callback", re.compile(r"call|电话|人工")),
    ("question", re.compile(r"\?|？|how|what|怎么|多少")),
    (
        "stop",
        re.compile(
            r"^\W*(?:stop|unsubscribe|cancel|end|quit|退订|td|n)\W*$|stop texting|不要再|别再"
        ),
    ),
]
_BASE_NUM = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


def run_baseline(rows: list[dict]) -> tuple[list[dict], float]:
    """Keyword intents, first number as amount, dateparser.search_dates for the date."""
    from dateparser.search import search_dates

    out = []
    start = time.perf_counter()
    for r in rows:
        text = r["text"]
        low = text.lower()
        intent = next((name for name, rx in _BASE_INTENTS if rx.search(low)), "other")
        opt_out = bool(_BASE_INTENTS[-1][1].search(low))
        promises = []
        if intent == "promise_to_pay":
            now = dt.datetime.fromisoformat(r["now"]).replace(tzinfo=None)
            try:
                found = search_dates(
                    text,
                    languages=["en", "zh"],
                    settings={"RELATIVE_BASE": now, "PREFER_DATES_FROM": "future"},
                )
            except Exception:
                found = None
            date = found[0][1].date().isoformat() if found else None
            m = _BASE_NUM.search(text)
            amount = f"{Decimal(m.group().replace(',', '')):.2f}" if m else None
            promises = [{"amount": amount, "date": date}]
        out.append({"intent": intent, "opt_out": opt_out, "promises": promises})
    return out, len(rows) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("corpora", nargs="*", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--repeat", type=int, default=50, help="feed the corpus N times for throughput")
    ap.add_argument(
        "--baseline-limit",
        type=int,
        default=0,
        help="run the (slow) baseline on the first N records only (0: all)",
    )
    args = ap.parse_args()
    if not args.corpora:
        sys.exit("no corpora found; pass dev-*.jsonl paths")
    sys.path.insert(0, str(ROOT))
    gold = load(args.corpora)

    inproc, inproc_rate = run_inprocess(gold, max(1, args.repeat // 5))
    sub, sub_rate = run_subprocess(gold, args.repeat)
    base_rows = gold[: args.baseline_limit] if args.baseline_limit else gold
    base, base_rate = run_baseline(base_rows)

    s_in = score(gold, inproc)
    s_sub = score(gold, sub)
    s_base = score(base_rows, base)
    n = len(gold)
    print(f"corpora            {', '.join(p.name for p in args.corpora)} ({n} records)")
    print(f"{'':18s} {'duebot':>10s} {'baseline':>10s}")
    keys = [
        *sorted(k for k in s_sub if k.startswith("intent_")),
        "intent",
        "optout_recall",
        "optout_precision",
        "promise",
        "date",
    ]
    for key in keys:
        print(f"{key:18s} {s_sub[key]:10.3f} {s_base.get(key, float('nan')):10.3f}")
    if s_in != s_sub:
        print("warning: in-process and subprocess results differ")
    print(
        f"{'replies/s':18s} {sub_rate:10.0f} {base_rate:10.0f}   "
        f"(duebot parse x{args.repeat}, process start included; in-process {inproc_rate:.0f}/s)"
    )
    print(
        f"bench_parse: rate={sub_rate:.0f} baseline_rate={base_rate:.0f} "
        f"intent={s_sub['intent']:.3f} promise={s_sub['promise']:.3f} date={s_sub['date']:.3f} "
        f"optout_recall={s_sub['optout_recall']:.3f} "
        f"optout_precision={s_sub['optout_precision']:.3f} "
        f"inproc_rate={inproc_rate:.0f} baseline_intent={s_base['intent']:.3f} "
        f"baseline_promise={s_base['promise']:.3f} baseline_date={s_base['date']:.3f}"
    )


if __name__ == "__main__":
    main()
