#!/usr/bin/env python3
"""Benchmark the reply parser on the labelled batches, and against a baseline.

For each batch — ``train`` (tests/replies/corpus/train, what the model was fitted on),
``dev`` (tests/replies/corpus/dev), ``shared`` (the project's development sets
../shared/replies/dev-*.jsonl) and, with ``--with-test`` only, ``test`` (the frozen
tests/replies/corpus/test: score it once a change is done, never tune on it; once its
mistakes have been looked at it is spent and moves to train/; an empty test directory
is skipped) — prints, for each group and, where a group has two to four batches, for
each batch,
overall and per language, for the parser as shipped (rules plus the learned second
opinion) and for the rules alone:

intent accuracy, opt-out recall and precision, opt_out_scope exact (among opt-outs found,
where the batch labels it), deceased accuracy (where labelled), promise exact, the share
of replies acted on without a person (``auto``: needs_human false) and the share of
those that are wrong in intent, opt-out or promise (``wrong_auto``).

Throughput, in the same run on the shared development sets: in process, one reply at a
time (``parse_reply`` with the model), and through ``duebot parse`` as a subprocess
(JSON Lines, process start included) on the sets repeated N times; and a baseline on
the same texts: keyword intents, the first number as the amount and
``dateparser.search_dates`` for the date. Ends with one line::

    bench_parse: rate=R inproc_rate=I dev_intent=... dev_wrong_auto=... ...

Usage: python scripts/bench_parse.py [--repeat 50] [--with-test] [--baseline-limit 0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "replies" / "corpus"
SHARED = sorted((ROOT.parent / "shared" / "replies").glob("dev-*.jsonl"))
INPUT_KEYS = ("text", "now", "balance", "currency")
NAN = float("nan")


def load(paths: list[Path]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return rows


def promise_key(promises: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    return sorted(((p.get("date") or ""), (p.get("amount") or "")) for p in promises or [])


def _ratio(a: float, b: float) -> float:
    return a / b if b else NAN


def score(gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> dict[str, float]:
    """The figures of one batch (see the module docstring)."""
    n = ok = tp = fp = fn = p_ok = p_n = auto = wrong = 0
    scope_ok = scope_n = dec_ok = dec_n = 0
    by_lang: dict[str, list[int]] = {}
    for g, p in zip(gold, pred, strict=True):
        n += 1
        hit = p.get("intent") == g["intent"]
        ok += hit
        lang = by_lang.setdefault(g.get("lang", "?"), [0, 0])
        lang[0] += hit
        lang[1] += 1
        go, po = bool(g["opt_out"]), bool(p.get("opt_out"))
        tp += go and po
        fp += po and not go
        fn += go and not po
        if go and po and g.get("opt_out_scope"):
            scope_n += 1
            scope_ok += sorted(g["opt_out_scope"]) == sorted(p.get("opt_out_scope") or [])
        if "deceased" in g or "opt_out_scope" in g or "register" in g:  # a labelled batch
            dec_n += 1
            dec_ok += bool(g.get("deceased")) == bool(p.get("deceased"))
        right = hit and go == po
        if g["intent"] == "promise_to_pay":
            p_n += 1
            good = hit and promise_key(p.get("promises")) == promise_key(g["promises"])
            p_ok += good
            right = right and good
        if not p.get("needs_human"):
            auto += 1
            wrong += not right
    out = {f"intent_{k}": _ratio(h, m) for k, (h, m) in sorted(by_lang.items())}
    out.update(
        intent=_ratio(ok, n),
        optout_recall=_ratio(tp, tp + fn),
        optout_precision=_ratio(tp, tp + fp),
        scope=_ratio(scope_ok, scope_n),
        deceased=_ratio(dec_ok, dec_n),
        promise=_ratio(p_ok, p_n),
        auto=_ratio(auto, n),
        wrong_auto=_ratio(wrong, auto),
    )
    return out


def _as_json(reply: Any) -> dict[str, Any]:
    return {
        "intent": reply.intent.value,
        "opt_out": reply.opt_out,
        "opt_out_scope": list(reply.opt_out_scope),
        "deceased": reply.deceased,
        "needs_human": reply.needs_human,
        "promises": [
            {
                "amount": None if t.amount is None else f"{t.amount:.2f}",
                "date": None if t.date is None else t.date.isoformat(),
            }
            for t in reply.promises
        ],
    }


def _args(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            r["text"],
            dt.datetime.fromisoformat(r["now"]),
            Decimal(r["balance"]) if r.get("balance") else None,
            r.get("currency"),
        )
        for r in rows
    ]


def run_inprocess(
    rows: list[dict[str, Any]], model: Any, repeat: int = 1
) -> tuple[list[dict[str, Any]], float]:
    """The parser on every row, one reply at a time; and replies per second."""
    from bot.replies.parser import parse_reply

    args = _args(rows)
    replies: list[Any] = []
    start = time.perf_counter()
    for _ in range(repeat):
        replies = [parse_reply(*a, None, model) for a in args]
    elapsed = time.perf_counter() - start
    return [_as_json(r) for r in replies], len(rows) * repeat / elapsed


def run_subprocess(rows: list[dict[str, Any]], repeat: int) -> tuple[list[dict[str, Any]], float]:
    """``duebot parse`` on the rows repeated ``repeat`` times, process start included."""
    payload = (
        "".join(
            json.dumps({k: r[k] for k in INPUT_KEYS if k in r}, ensure_ascii=False) + "\n"
            for r in rows
        )
        * repeat
    )
    # this interpreter's duebot (a virtualenv's), not whichever is first on PATH
    beside = Path(sys.executable).with_name("duebot")
    exe = str(beside) if beside.exists() else shutil.which("duebot")
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


def run_baseline(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], float]:
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
        out.append(
            {"intent": intent, "opt_out": opt_out, "promises": promises, "needs_human": False}
        )
    return out, len(rows) / (time.perf_counter() - start)


_KEYS = (
    "intent",
    "optout_recall",
    "optout_precision",
    "scope",
    "deceased",
    "promise",
    "auto",
    "wrong_auto",
)


def _line(name: str, s: dict[str, float]) -> str:
    langs = " ".join(f"{k[7:]} {v:.3f}" for k, v in s.items() if k.startswith("intent_"))
    figures = " ".join(f"{s[k]:6.3f}" if not math.isnan(s[k]) else "     -" for k in _KEYS)
    return f"{name:22s} {figures}   ({langs})"


def _by_lang(
    rows: list[dict[str, Any]], pred: list[dict[str, Any]], lang: str
) -> dict[str, float]:
    pairs = [(g, p) for g, p in zip(rows, pred, strict=True) if g.get("lang") == lang]
    return score([g for g, _ in pairs], [p for _, p in pairs])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, default=50, help="feed the shared sets N times")
    ap.add_argument("--with-test", action="store_true", help="also score the frozen test batch")
    ap.add_argument(
        "--baseline-limit", type=int, default=0, help="baseline on the first N shared records"
    )
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from storage.intent_model_file import load_intent_model

    model = load_intent_model()
    batches: dict[str, list[Path]] = {
        "train": sorted((CORPUS / "train").glob("*.jsonl")),
        "dev": sorted((CORPUS / "dev").glob("*.jsonl")),
        "shared": SHARED,
    }
    if args.with_test:
        batches["test"] = sorted((CORPUS / "test").glob("*.jsonl"))
        if not batches["test"]:
            print("test: no frozen batch in tests/replies/corpus/test (awaiting a fresh one)")
    batches = {k: v for k, v in batches.items() if v}
    if "shared" not in batches:
        sys.exit("no shared development sets found (../shared/replies/dev-*.jsonl)")

    header = " ".join(f"{k[:6]:>6s}" for k in _KEYS)
    print(f"{'batch':22s} {header}")
    summary: dict[str, float] = {}
    for name, paths in batches.items():
        rows = load(paths)
        combined, _ = run_inprocess(rows, model)
        rules, _ = run_inprocess(rows, None)
        s = score(rows, combined)
        print(_line(f"{name} ({len(rows)})", s))
        for lang in sorted({r.get("lang", "?") for r in rows}):
            print(_line(f"  {lang}", _by_lang(rows, combined, lang)))
        print(_line("  rules only", score(rows, rules)))
        if 1 < len(paths) <= 4:
            # a few batches (dev, the frozen test batches): each on its own line as well
            for path in paths:
                one = load([path])
                read = run_inprocess(one, model)[0]
                print(_line(f"  {path.stem} ({len(one)})", score(one, read)))
        for key in ("intent", "optout_recall", "scope", "promise", "auto", "wrong_auto"):
            summary[f"{name}_{key}"] = s[key]

    shared = load(batches["shared"])
    inproc, inproc_rate = run_inprocess(shared, model, max(1, args.repeat // 5))
    sub, sub_rate = run_subprocess(shared, args.repeat)
    base_rows = shared[: args.baseline_limit] if args.baseline_limit else shared
    base, base_rate = run_baseline(base_rows)
    same = [{k: p[k] for k in ("intent", "opt_out", "promises", "needs_human")} for p in inproc]
    if same != [{k: p[k] for k in ("intent", "opt_out", "promises", "needs_human")} for p in sub]:
        print("warning: in-process and subprocess results differ")
    print(_line("baseline (shared)", score(base_rows, base)))
    print(
        f"replies/s: duebot parse x{args.repeat} (process start included) {sub_rate:.0f}; "
        f"in process, one at a time, {inproc_rate:.0f}; baseline {base_rate:.0f}"
    )
    figures = " ".join(
        f"{k}={v:.3f}" for k, v in summary.items() if not math.isnan(v)
    )
    print(
        f"bench_parse: rate={sub_rate:.0f} inproc_rate={inproc_rate:.0f} "
        f"baseline_rate={base_rate:.0f} {figures}"
    )


if __name__ == "__main__":
    main()
