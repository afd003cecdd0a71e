#!/usr/bin/env python3
"""Train the reply parser's learned second opinion and write its artifact.

Reads the labelled training corpus (``tests/replies/corpus/train/*.jsonl``, LABELING.md
format), turns each reply into the n-gram features of :mod:`bot.replies.intent_model`
(the text the parser reads: folded, quotes and signatures masked), and fits with
scikit-learn:

- a multinomial logistic regression for the intent, and
- a binary logistic regression for "asks to stop contact" (``opt_out``),

on binary features scaled to unit length, keeping features seen in at least
``MIN_COUNT`` replies; and the review head (:mod:`bot.replies.review_head`), a logistic
regression of "this reading is right" on out-of-fold readings: each writer's batch read
by the parser with a model trained on the other batches. The head's threshold is the
lowest at which those readings, acted on, are wrong at most 1% of the time. Weights are
quantised per output and written to
``bot/replies/intent_model.json`` (:func:`bot.replies.intent_model.export_model`). The
development and test batches are never read here (the test batch is only scored).

Deterministic: the same corpus and library versions give the same bytes (the solver
has no randomness; features are sorted). ``--check`` retrains and compares with the
shipped artifact instead of writing it; ``tests/replies/test_intent_model.py`` does the
same.

Usage: python scripts/train_intent_model.py [--out PATH] [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "tests" / "replies" / "corpus" / "train"
ARTIFACT = ROOT / "bot" / "replies" / "intent_model.json"
#: A feature must occur in at least this many training replies to be kept.
MIN_COUNT = 3
#: Inverse regularisation strength of both heads (chosen on the development batches).
C_INTENT = 30.0
C_OPT_OUT = 30.0
#: Inverse regularisation strength of the review head.
C_REVIEW = 1.0


def load_batches(directory: Path = TRAIN) -> dict[str, list[dict[str, Any]]]:
    """The labelled replies of every ``*.jsonl`` file in ``directory`` (one writer's batch
    each), by file name."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(directory.glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            out[path.stem] = [json.loads(line) for line in f if line.strip()]
    return out


def load_corpus(directory: Path = TRAIN) -> list[dict[str, Any]]:
    """The labelled replies of every ``*.jsonl`` file in ``directory``, by file name."""
    return [r for rows in load_batches(directory).values() for r in rows]


def fit(rows: list[dict[str, Any]]) -> tuple[list[str], list[str], list[list[float]], list[float]]:
    """Fit both heads on ``rows``: the classes, the features, a weight row per output
    (the intents, then the opt-out head) and a bias per output."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    from bot.replies.intent_model import features
    from bot.replies.model import PRIORITY
    from bot.replies.parser import prepare

    docs = []
    for r in rows:
        _, t, lang = prepare(r["text"], r.get("lang"))
        docs.append(sorted(set(features(t, lang))))
    counts = Counter(f for d in docs for f in d)
    vocab = sorted(f for f, n in counts.items() if n >= MIN_COUNT)
    index = {f: i for i, f in enumerate(vocab)}
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    for d in docs:
        known = [index[f] for f in d if f in index]
        indices += known
        values += [1.0 / len(known) ** 0.5] * len(known) if known else []
        indptr.append(len(indices))
    x = sp.csr_matrix((values, indices, indptr), shape=(len(docs), len(vocab)))

    classes = [i.value for i in PRIORITY]
    y = np.array([classes.index(r["intent"]) for r in rows])
    intent = LogisticRegression(C=C_INTENT, max_iter=2000)
    intent.fit(x, y)
    stop = LogisticRegression(C=C_OPT_OUT, max_iter=2000)
    stop.fit(x, np.array([bool(r["opt_out"]) for r in rows]))

    order = list(intent.classes_)  # the class indexes seen, sorted
    if order != list(range(len(classes))):
        raise SystemExit("every intent needs training replies")
    weights = [list(intent.coef_[k]) for k in range(len(classes))] + [list(stop.coef_[0])]
    bias = [*intent.intercept_, stop.intercept_[0]]
    return classes, vocab, weights, bias


def fit_model(rows: list[dict[str, Any]]) -> Any:
    """An :class:`~bot.replies.intent_model.IntentModel` fitted on ``rows`` (no review
    head), as the artifact would load it."""
    from bot.replies.intent_model import IntentModel, export_model

    return IntentModel.from_bytes(export_model(*fit(rows)))


def _promise_key(promises: Any) -> list[tuple[str, str]]:
    return sorted(((p.get("date") or ""), (p.get("amount") or "")) for p in promises or [])


def is_right(gold: dict[str, Any], reply: Any) -> bool:
    """Whether ``reply`` reads ``gold`` right: intent, opt-out and (for a promise) the
    terms, as ``score.py`` counts a wrong automatic action."""
    if reply.intent.value != gold["intent"] or reply.opt_out != bool(gold["opt_out"]):
        return False
    if gold["intent"] != "promise_to_pay":
        return True
    got = [
        {
            "amount": None if p.amount is None else f"{p.amount:.2f}",
            "date": None if p.date is None else p.date.isoformat(),
        }
        for p in reply.promises
    ]
    return _promise_key(got) == _promise_key(gold["promises"])


class Reading(NamedTuple):
    """One reply read before the review head: its features (None: settled by the rules),
    whether a hard reason sends it to a person, whether it needs a person without the
    head, whether the reading is right, and the reading itself."""

    x: list[float] | None
    hard: bool
    needs_human: bool
    right: bool
    reply: Any


def read_rows(rows: list[dict[str, Any]], model: Any) -> list[Reading]:
    """Every row read by the parser with ``model`` (its review head left out)."""
    import datetime as dt
    from decimal import Decimal

    from bot.replies.parser import read_reply
    from bot.replies.review_head import hard

    out = []
    for r in rows:
        reply, x = read_reply(
            r["text"],
            dt.datetime.fromisoformat(r["now"]),
            Decimal(r["balance"]) if r.get("balance") else None,
            r.get("currency"),
            None,
            model,
        )
        out.append(Reading(x, bool(hard(reply)), reply.needs_human, is_right(r, reply), reply))
    return out


def _fold(batches: dict[str, list[dict[str, Any]]], name: str) -> list[Reading]:
    """Batch ``name`` read by a model trained on the other batches."""
    rest = [r for other, rs in batches.items() if other != name for r in rs]
    return read_rows(batches[name], fit_model(rest))


def out_of_fold(batches: dict[str, list[dict[str, Any]]]) -> dict[str, list[Reading]]:
    """Each batch read by a model trained on the other batches; the folds run in as many
    processes as the machine has cores (each fold is deterministic, so the result is the
    same as one after another)."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    names = list(batches)
    workers = min(len(names), len(os.sched_getaffinity(0)))
    if workers < 2:
        return {name: _fold(batches, name) for name in names}
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        readings = pool.map(_fold, [batches] * len(names), names)
        return dict(zip(names, readings, strict=True))


def fit_review(readings: list[Reading]) -> Any:
    """The review head fitted on ``readings`` (out-of-fold), with the lowest threshold
    (not below 0.5) at which the automated readings are wrong at most
    ``TARGET_WRONG_AUTO`` of the time."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from bot.replies.intent_model import ReviewHead
    from bot.replies.review_head import NAMES, TARGET_WRONG_AUTO

    scored = [r for r in readings if r.x is not None]
    x = np.array([r.x for r in scored])
    y = np.array([r.right for r in scored])
    head = LogisticRegression(C=C_REVIEW, max_iter=5000)
    head.fit(x, y)
    review = ReviewHead(NAMES, list(head.coef_[0]), float(head.intercept_[0]), 1.0)
    threshold = choose_threshold(review, readings, TARGET_WRONG_AUTO)
    return ReviewHead(NAMES, review.weights, review.bias, threshold)


def choose_threshold(head: Any, readings: list[Reading], target: float) -> float:
    """The lowest threshold (at least 0.5) at which ``readings`` acted on are wrong at
    most ``target`` of the time."""
    base_auto = base_wrong = 0
    cands: list[tuple[float, bool]] = []
    for r in readings:
        if r.x is None:
            if not r.needs_human:
                base_auto += 1
                base_wrong += not r.right
        elif not r.hard:
            cands.append((round(head.probability(r.x), 6), r.right))
    cands.sort(reverse=True)
    best = 1.0
    auto, wrong = base_auto, base_wrong
    i = 0
    while i < len(cands):
        p = cands[i][0]
        while i < len(cands) and cands[i][0] == p:
            auto += 1
            wrong += not cands[i][1]
            i += 1
        if p < 0.5:
            break
        if wrong <= target * auto:
            best = p
    return best


def train(batches: dict[str, list[dict[str, Any]]]) -> bytes:
    """Fit both heads on every batch, and the review head on the batches read out of
    fold; return the artifact bytes."""
    import sklearn

    from bot.replies.intent_model import export_model

    rows = [r for rs in batches.values() for r in rs]
    readings = [r for rs in out_of_fold(batches).values() for r in rs]
    review = fit_review(readings)
    meta = {
        "trained_on": f"tests/replies/corpus/train ({len(rows)} replies)",
        "batches": sorted(batches),
        "trainer": "scripts/train_intent_model.py",
        "library": f"scikit-learn {sklearn.__version__}",
        "min_count": MIN_COUNT,
        "c_intent": C_INTENT,
        "c_opt_out": C_OPT_OUT,
        "c_review": C_REVIEW,
    }
    return export_model(*fit(rows), meta, review)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, default=ARTIFACT)
    ap.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    data = train(load_batches())
    if args.check:
        same = args.out.read_bytes() == data
        print(f"train_intent_model: {'same as' if same else 'DIFFERENT from'} {args.out}")
        raise SystemExit(0 if same else 1)
    args.out.write_bytes(data)
    print(f"train_intent_model: wrote {args.out} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
