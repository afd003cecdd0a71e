"""The learned second opinion: its features, its artifact, its scoring, and that the
training script reproduces the shipped artifact."""

from __future__ import annotations

import base64
import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

from bot.replies.intent_model import (
    FORMAT,
    IntentModel,
    export_model,
    features,
    quantise,
)
from bot.replies.model import PRIORITY
from storage.intent_model_file import load_intent_model

ROOT = Path(__file__).resolve().parents[2]
CLASSES = [i.value for i in PRIORITY]


def test_features_fold_digits_and_cover_words_and_pairs() -> None:
    en = features("i'll pay 250 on friday?", "en")
    assert set(en) == {
        "will", "wpay", "w0", "won", "wfriday", "w?",
        "b^ ill", "bill pay", "bpay 0", "b0 on", "bon friday", "bfriday ?",
    }
    zh = features("明天还500", "zh")
    assert {"z明", "z还0", "z天还0", "z 明"} <= set(zh)
    assert features("", "en") == [] and features("", "zh") == []


def _toy(weights: list[list[float]], bias: list[float]) -> IntentModel:
    return IntentModel.from_bytes(
        export_model(["a", "b"], ["wpay", "wno"], weights, bias, {"note": "toy"})
    )


def test_scores_are_a_softmax_of_the_normalised_sums() -> None:
    # intent a likes "pay", b likes "no"; the opt-out head likes "no"
    model = _toy([[2.0, -1.0], [-2.0, 1.0], [0.0, 4.0]], [0.1, -0.1, -1.0])
    op = model.opinion("pay", "en")
    assert op.known == 1 and op.intent == "a"
    za, zb = 0.1 + 2.0, -0.1 - 2.0
    assert op.confidence == pytest.approx(math.exp(za) / (math.exp(za) + math.exp(zb)), abs=0.02)
    both = model.opinion("no pay", "en")  # two known features: each weighs 1/sqrt(2)
    assert both.known == 2
    assert both.opt_out == pytest.approx(1 / (1 + math.exp(1.0 - 4.0 / math.sqrt(2))), abs=0.02)
    unknown = model.opinion("hello there", "en")  # no known feature: the biases alone
    assert unknown.known == 0 and unknown.intent == "a"
    assert unknown.probability("b") < 0.5 and unknown.probability("nope") == 0.0


def test_quantised_weights_keep_their_sign_and_scale() -> None:
    scale, q = quantise([0.5, -1.27, 0.0, 1.27])
    assert q == [50, -127, 0, 127] and scale == pytest.approx(0.01)
    assert quantise([0.0, 0.0]) == (1.0, [0, 0])


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b"[]", json.dumps({"format": "other/1"}).encode(),
     json.dumps({"format": FORMAT, "classes": ["a"], "features": ["x"], "bias": [0, 0],
                 "scale": [1, 1], "weights": "!!"}).encode(),
     json.dumps({"format": FORMAT, "classes": ["a"], "features": ["x", "y"], "bias": [0, 0],
                 "scale": [1, 1], "weights": base64.b64encode(b"\x7f\x7f").decode()}).encode()],
)
def test_anything_but_an_artifact_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        IntentModel.from_bytes(data)


def test_the_shipped_model_reads_the_intents() -> None:
    model = load_intent_model()
    assert model.classes == tuple(CLASSES) and model.size > 1000
    for text, lang, intent in [
        ("I'll pay 200 on friday", "en", "promise_to_pay"),
        ("wrong number", "en", "wrong_party"),
        ("下周五还两千", "zh", "promise_to_pay"),
        ("我已经还清了", "zh", "paid"),
    ]:
        assert model.opinion(text, lang).intent == intent, text
    assert model.opinion("stop texting me", "en").opt_out > 0.5
    assert model.opinion("ok i will pay tomorrow", "en").opt_out < 0.5


def test_retraining_reproduces_the_shipped_artifact() -> None:
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location(
        "train_intent_model", ROOT / "scripts" / "train_intent_model.py"
    )
    assert spec is not None and spec.loader is not None
    trainer = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = trainer
    spec.loader.exec_module(trainer)
    fresh = json.loads(trainer.train(trainer.load_batches()))
    shipped = json.loads(trainer.ARTIFACT.read_bytes())
    assert fresh["features"] == shipped["features"] and fresh["classes"] == shipped["classes"]
    assert fresh["meta"] == shipped["meta"]
    # the exported precision: bytes may differ by one step where a weight sits on a
    # rounding boundary under another BLAS; scales and biases by rounding only
    new, old = (base64.b64decode(d["weights"]) for d in (fresh, shipped))
    assert len(new) == len(old) and max(abs(a - b) for a, b in zip(new, old, strict=True)) <= 1
    assert sum(a != b for a, b in zip(new, old, strict=True)) <= len(old) // 1000
    assert fresh["bias"] == pytest.approx(shipped["bias"], abs=1e-4)
    assert fresh["scale"] == pytest.approx(shipped["scale"], rel=1e-4)
    # the review head: fitted on out-of-fold readings, its threshold chosen on them
    assert fresh["review"]["names"] == shipped["review"]["names"]
    assert fresh["review"]["weights"] == pytest.approx(shipped["review"]["weights"], abs=1e-3)
    assert fresh["review"]["threshold"] == pytest.approx(shipped["review"]["threshold"], abs=1e-3)
