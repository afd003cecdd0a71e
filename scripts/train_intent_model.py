#!/usr/bin/env python3
"""Train the reply parser's learned second opinion and write its artifact.

Reads the labelled training corpus (``tests/replies/corpus/train/*.jsonl``, LABELING.md
format), turns each reply into the n-gram features of :mod:`bot.replies.intent_model`
(the text the parser reads: folded, quotes and signatures masked), and fits with
scikit-learn:

- a multinomial logistic regression for the intent, and
- a binary logistic regression for "asks to stop contact" (``opt_out``),

on binary features scaled to unit length, keeping features seen in at least
``MIN_COUNT`` replies. Weights are quantised per output and written to
``bot/replies/intent_model.json`` (:func:`bot.replies.intent_model.export_model`). The
development and test batches are never read here: thresholds are chosen on the
development batches, the test batch is only scored.

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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "tests" / "replies" / "corpus" / "train"
ARTIFACT = ROOT / "bot" / "replies" / "intent_model.json"
#: A feature must occur in at least this many training replies to be kept.
MIN_COUNT = 3
#: Inverse regularisation strength of both heads (chosen on the development batches).
C_INTENT = 30.0
C_OPT_OUT = 30.0


def load_corpus(directory: Path = TRAIN) -> list[dict[str, Any]]:
    """The labelled replies of every ``*.jsonl`` file in ``directory``, by file name."""
    rows: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return rows


def train(rows: list[dict[str, Any]]) -> bytes:
    """Fit both heads on ``rows`` and return the artifact bytes."""
    import numpy as np
    import scipy.sparse as sp
    import sklearn
    from sklearn.linear_model import LogisticRegression

    from bot.replies.intent_model import export_model, features
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
    meta = {
        "trained_on": f"tests/replies/corpus/train ({len(rows)} replies)",
        "trainer": "scripts/train_intent_model.py",
        "library": f"scikit-learn {sklearn.__version__}",
        "min_count": MIN_COUNT,
        "c_intent": C_INTENT,
        "c_opt_out": C_OPT_OUT,
    }
    return export_model(classes, vocab, weights, bias, meta)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, default=ARTIFACT)
    ap.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    data = train(load_corpus())
    if args.check:
        same = args.out.read_bytes() == data
        print(f"train_intent_model: {'same as' if same else 'DIFFERENT from'} {args.out}")
        raise SystemExit(0 if same else 1)
    args.out.write_bytes(data)
    print(f"train_intent_model: wrote {args.out} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
