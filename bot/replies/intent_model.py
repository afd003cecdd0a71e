"""The learned second opinion: a linear model over word and character n-grams.

The rules (:mod:`bot.replies.parser`) know the keywords, opt-outs, amounts and dates;
this model knows how the intents are worded by people the rules never saw. It is a
multinomial logistic regression over the reply's n-grams (English words and word pairs;
Chinese characters, pairs and triples; digits folded to ``0``), with a second, binary
head for "asks to stop contact". It is trained by
``scripts/train_intent_model.py`` on the labelled corpus and shipped as
``bot/replies/intent_model.json`` (see :func:`export_model` for the format).

No I/O here: whoever starts the application reads the artifact and hands its bytes to
:meth:`IntentModel.from_bytes` (``storage/intent_model_file.py``), the way the regex
program cache is handed in.

Scoring is plain Python and fast enough for one reply at a time: every feature's
quantised weights are packed into one integer, a field of :data:`_FIELD_BITS` bits per
output, so summing the weights of a reply's features is one integer addition per
feature; the fields are unpacked once at the end.
"""

from __future__ import annotations

import base64
import json
import math
import operator
import struct
import sys
from array import array
from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

from bot.replies.regex_programs import rx

#: The artifact format this module reads and writes.
FORMAT = "duebot-intent-model/1"
#: Stored weights are signed bytes shifted by this offset (0..254 on disk).
_OFFSET = 127
_FIELD_BITS = 32
_FIELD_MASK = (1 << _FIELD_BITS) - 1
#: Whether machine words can carry the fields (a shortcut for packing and unpacking).
_WORDS_OK = array("I").itemsize * 8 == _FIELD_BITS

_DIGITS = rx(r"[0-9]+")
_EN_TOKEN = rx(r"[a-z0-9']+|[?!$£€¥]")
_ZH_NOISE = rx(r"[^\u3400-\u9fffa-z0?!$¥]+")


def features(t: str, lang: str) -> list[str]:
    """The n-gram features of folded reply text ``t`` (duplicates possible).

    English: each word (apostrophes dropped) and each pair of neighbouring words (the
    first paired with a start mark); "?", "!" and currency signs count as words. Chinese:
    characters, pairs and triples of the text with punctuation runs as one space. Digit
    runs become one ``0``. (Four-letter pieces of words were tried: no better on the
    development batches, and slower.)
    """
    t = _DIGITS.sub("0", t)
    if lang == "zh":
        core = _ZH_NOISE.sub(" ", t).strip()
        if not core:
            return []
        s = " " + core + " "
        n = len(s)
        out = ["z" + c for c in s[1:-1] if c != " "]
        out += ["z" + s[i : i + 2] for i in range(n - 1)]
        out += ["z" + s[i : i + 3] for i in range(n - 2)]
        return out
    words = [w.replace("'", "") if "'" in w else w for w in _EN_TOKEN.findall(t)]
    out = ["w" + w for w in words]
    out += ["b" + a + " " + b for a, b in zip(["^", *words], words, strict=False)]
    return out


class ModelOpinion(NamedTuple):
    """What the model says about one reply.

    ``probabilities`` are per intent, in ``classes`` order (:attr:`IntentModel.classes`);
    ``opt_out`` is the probability that the reply asks to stop contact; ``known`` is how
    many of the reply's features the model has weights for (0: it has no opinion worth
    the name); ``intent`` is the most likely intent and ``confidence`` its probability.
    """

    classes: tuple[str, ...]
    probabilities: tuple[float, ...]
    opt_out: float
    known: int
    intent: str
    confidence: float

    @classmethod
    def of(cls, classes: tuple[str, ...], probabilities: tuple[float, ...], opt_out: float,
           known: int) -> ModelOpinion:
        """An opinion from its probabilities (the most likely intent found here)."""
        top = max(range(len(probabilities)), key=probabilities.__getitem__)
        return cls(classes, probabilities, opt_out, known, classes[top], probabilities[top])

    def probability(self, intent: str) -> float:
        """The probability of ``intent`` (0 for a name the model does not know)."""
        if intent == self.intent:
            return self.confidence
        try:
            return self.probabilities[self.classes.index(intent)]
        except ValueError:
            return 0.0


class ReviewHead:
    """The review head's weights (see :mod:`bot.replies.review_head`): one per feature
    of ``names``, a ``bias``, and the ``threshold`` on its probability at or above which a
    reading is acted on without a person."""

    __slots__ = ("bias", "by_name", "names", "threshold", "weights")

    def __init__(
        self, names: Sequence[str], weights: Sequence[float], bias: float, threshold: float
    ) -> None:
        if len(weights) != len(names):
            raise ValueError("one review weight per feature name")
        self.names = tuple(names)
        self.weights = tuple(float(w) for w in weights)
        #: each feature's weight by name
        self.by_name = dict(zip(self.names, self.weights, strict=True))
        self.bias = float(bias)
        self.threshold = float(threshold)

    def probability(self, x: Sequence[float]) -> float:
        """The estimated probability that the reading with features ``x`` is right."""
        z = self.bias + sum(map(operator.mul, self.weights, x))
        if z < -50:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def as_json(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "weights": [round(w, 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "threshold": round(self.threshold, 6),
        }


class IntentModel:
    """A trained intent model (see the module docstring); build it with :meth:`from_bytes`."""

    __slots__ = ("_bias", "_grams", "_pairs", "_scale", "_words", "classes", "review", "size")

    def __init__(
        self,
        classes: Sequence[str],
        features: Sequence[str],
        weights: bytes,
        bias: Sequence[float],
        scale: Sequence[float],
        review: ReviewHead | None = None,
    ) -> None:
        outputs = len(classes) + 1  # the intents, then the opt-out head
        if len(bias) != outputs or len(scale) != outputs:
            raise ValueError("bias and scale need one value per intent plus opt-out")
        if len(weights) != len(features) * outputs:
            raise ValueError("weights do not match the features")
        self.classes = tuple(classes)
        #: the review head, when the artifact has one
        self.review = review
        self._bias = tuple(float(b) for b in bias)
        self._scale = tuple(float(s) for s in scale)
        self.size = len(features)
        # One integer per feature holds all its outputs, a 32-bit field each, so a reply's
        # weights add up with one integer addition per feature.
        packed = dict(zip(features, _pack(weights, outputs), strict=True))
        # ... kept by kind without the kind's letter (see features()), so a reply's n-grams
        # are looked up as they are cut from the text: English words, word pairs ("a b",
        # "^ a" first) and Chinese n-grams
        by_kind: dict[str, dict[str, int]] = {"w": {}, "b": {}, "z": {}}
        for name, value in packed.items():
            kind = by_kind.get(name[:1])
            if kind is None:
                raise ValueError(f"unknown feature kind: {name!r}")
            kind[name[1:]] = value
        self._words, self._pairs, self._grams = by_kind["w"], by_kind["b"], by_kind["z"]

    @classmethod
    def from_bytes(cls, data: bytes) -> IntentModel:
        """The model stored in ``data`` (the JSON written by :func:`export_model`).

        Raises ``ValueError`` for anything else.
        """
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError("not an intent model") from exc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} artifact")
        try:
            weights = base64.b64decode(doc["weights"], validate=True)
            head = doc.get("review")
            review = (
                None
                if head is None
                else ReviewHead(head["names"], head["weights"], head["bias"], head["threshold"])
            )
            return cls(
                doc["classes"], doc["features"], weights, doc["bias"], doc["scale"], review
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed {FORMAT} artifact: {exc}") from exc

    def opinion(self, t: str, lang: str) -> ModelOpinion:
        """The model's opinion of folded reply text ``t`` in ``lang``."""
        # features(t, lang), cut and looked up kind by kind: the distinct features the model
        # knows and the sum of their packed weights
        t = _DIGITS.sub("0", t)
        total = 0
        known = 0
        if lang == "zh":
            core = _ZH_NOISE.sub(" ", t).strip()
            if core:
                s = " " + core + " "
                grams = self._grams
                # the pairs and triples of s, joined in C (s[i] + s[i + 1], ...)
                pairs = list(map(_add, s, s[1:]))
                found = grams.keys() & {
                    *core.replace(" ", ""), *pairs, *map(_add, pairs, s[2:])
                }
                known = len(found)
                total = sum(map(grams.__getitem__, found))
        else:
            words = _EN_TOKEN.findall(t)
            if "'" in t:
                words = [w.replace("'", "") for w in words]
            if words:
                singles, pairs_ = self._words, self._pairs
                found = singles.keys() & words
                found_pairs = pairs_.keys() & list(
                    map(" ".join, zip(["^", *words], words, strict=False))
                )
                known = len(found) + len(found_pairs)
                total = sum(map(singles.__getitem__, found)) + sum(
                    map(pairs_.__getitem__, found_pairs)
                )
        if known:
            fields = _unpack(total, len(self._bias))
            shift = known * _OFFSET
            norm = 1.0 / math.sqrt(known)
            scores = [
                b + (f - shift) * s * norm
                for b, f, s in zip(self._bias, fields, self._scale, strict=True)
            ]
        else:
            scores = list(self._bias)
        opt = scores.pop()
        top = max(scores)
        exp = _exp
        exps = [exp(s - top) for s in scores]
        z = sum(exps)
        opt_p = 1.0 / (1.0 + _exp(-opt)) if opt > -50 else 0.0
        best = scores.index(top)
        probabilities = tuple([e / z for e in exps])
        # tuple.__new__: the NamedTuple's own __new__ is a Python function
        return _new_tuple(
            ModelOpinion,
            (self.classes, probabilities, opt_p, known, self.classes[best], probabilities[best]),
        )


_add = operator.add
_exp = math.exp
_new_tuple = tuple.__new__


def _pack(weights: bytes, outputs: int) -> list[int]:
    """Each feature's stored bytes (``outputs`` of them) as one integer of 32-bit fields."""
    if _WORDS_OK:
        # Widening the bytes to 32-bit machine words and reading them back is much faster
        # than shifting each field into place.
        wide = array("I", iter(weights)).tobytes()
        step = 4 * outputs
        return [
            int.from_bytes(wide[i : i + step], sys.byteorder) for i in range(0, len(wide), step)
        ]
    return [
        sum(b << (_FIELD_BITS * k) for k, b in enumerate(weights[i : i + outputs]))
        for i in range(0, len(weights), outputs)
    ]


def _unpack(total: int, outputs: int) -> Sequence[int]:
    """The 32-bit fields of a sum of packed integers."""
    if _WORDS_OK:
        return _fields(outputs).unpack(total.to_bytes(4 * outputs, sys.byteorder))
    return [(total >> (_FIELD_BITS * k)) & _FIELD_MASK for k in range(outputs)]


@cache
def _fields(outputs: int) -> struct.Struct:
    """Reads ``outputs`` native 32-bit words."""
    return struct.Struct(f"={outputs}I")


def quantise(column: Sequence[float]) -> tuple[float, list[int]]:
    """A scale and signed bytes (-127..127) for one output's weights: ``w ≈ q * scale``."""
    peak = max((abs(w) for w in column), default=0.0)
    scale = peak / 127 if peak > 0 else 1.0
    return scale, [max(-127, min(127, round(w / scale))) for w in column]


def export_model(
    classes: Sequence[str],
    features: Sequence[str],
    weights: Sequence[Sequence[float]],
    bias: Sequence[float],
    meta: dict[str, Any] | None = None,
    review: ReviewHead | None = None,
) -> bytes:
    """The artifact for a trained model, as UTF-8 JSON bytes.

    ``weights[k][j]`` is output ``k``'s weight for feature ``j`` (the intents in
    ``classes`` order, then the opt-out head); ``bias`` has one value per output. Each
    output's weights are quantised to signed bytes with a scale of their own
    (:func:`quantise`) and stored feature-major, shifted by 127, base64-encoded. ``meta``
    (what it was trained on, with what) is stored for people and ignored on loading;
    ``review`` is the review head, stored as plain numbers.
    The output is the same for the same inputs (sorted keys, no timestamps).
    """
    outputs = len(classes) + 1
    if len(weights) != outputs or len(bias) != outputs:
        raise ValueError("one weight row and one bias per intent plus opt-out")
    scales: list[float] = []
    columns: list[list[int]] = []
    for row in weights:
        s, q = quantise(row)
        scales.append(s)
        columns.append(q)
    raw = bytes(columns[k][j] + _OFFSET for j in range(len(features)) for k in range(outputs))
    doc: dict[str, Any] = {
        "format": FORMAT,
        "classes": list(classes),
        "bias": [round(float(b), 6) for b in bias],
        "scale": [float(f"{s:.9g}") for s in scales],
        "features": list(features),
        "weights": base64.b64encode(raw).decode("ascii"),
        "meta": meta or {},
    }
    if review is not None:
        doc["review"] = review.as_json()
    return (json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=0) + "\n").encode("utf-8")
