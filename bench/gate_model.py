"""A small learned gate (an experiment, not used by recbot): how likely a message is an answerable question, app support, or not for recbot.

Kept out of the runtime because leave-one-set-out showed it does not generalise (README, Understanding).
A multinomial logistic regression over word uni/bigrams, character trigrams and a few facts the rules
already compute (an app named, a question mark, first person with a trouble word, the cues that fired).
Pure Python; ``bench/gate_experiment.py`` trains it and can write the weights as JSON, which
``load_gate`` reads bounded, with a clear error naming the file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterable

CLASSES = ("answer", "support", "none")
ANSWER_INTENTS = frozenset({"card", "caveats", "compare", "list", "filter", "criteria", "help"})
MAX_WEIGHTS_BYTES = 8_000_000  # the shipped file is far smaller; anything larger is not ours
MAX_MESSAGE_CHARS = 2_000  # features of a longer message are read from its first 2,000 characters


class GateError(ValueError):
    """The weights file is missing, too large or malformed (the message names the file)."""


def gold_class(intents: str | list[str]) -> str:
    """The gate's class of an evaluation label: the first acceptable intent decides."""
    first = intents if isinstance(intents, str) else (intents[0] if intents else "none")
    return "support" if first == "support" else "none" if first == "none" else "answer"


def features(message: str, normalized: str, entries: int, notes: Iterable[str], yes_no: bool,
             first_person: bool, trouble: bool, name_words: frozenset[str] = frozenset()) -> list[str]:
    """The named features of one message: word uni/bigrams, char trigrams and the rules' facts.
    Words of an app's name (``name_words``) are one token, so no app name itself counts for or against."""
    normalized = normalized[:MAX_MESSAGE_CHARS]
    words = ["<app>" if w in name_words else w for w in normalized.split()]
    out = ["bias"]
    out += ["w:" + w for w in words]
    out += ["b:" + a + "_" + b for a, b in zip(words, words[1:])]
    for w in words:
        padded = f" {w} "
        out += ["c:" + padded[i : i + 3] for i in range(len(padded) - 2)]
    out.append("r:entries=%d" % min(entries, 2))
    out += ["r:cue=" + n for n in notes]
    if "?" in message[:MAX_MESSAGE_CHARS]:
        out.append("r:qmark")
    if yes_no:
        out.append("r:yes_no")
    if first_person:
        out.append("r:first_person")
    if trouble:
        out.append("r:trouble")
    if first_person and trouble:
        out.append("r:first_person_trouble")
    out.append("r:len=%d" % min(len(words) // 5, 6))
    return out


class Gate:
    """Class probabilities for a message's features, from a weights table {feature: [w_answer, w_support, w_none]}."""

    def __init__(self, weights: dict[str, list[float]]):
        self.weights = weights

    def probabilities(self, feats: list[str]) -> dict[str, float]:
        scores = [0.0, 0.0, 0.0]
        for f in feats:
            w = self.weights.get(f)
            if w is not None:
                scores[0] += w[0]
                scores[1] += w[1]
                scores[2] += w[2]
        top = max(scores)
        exp = [math.exp(s - top) for s in scores]
        total = sum(exp)
        return {c: e / total for c, e in zip(CLASSES, exp)}


def load_gate(path: str | Path) -> Gate:
    """Read a weights file, bounded in size; a clear GateError naming the file otherwise."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_WEIGHTS_BYTES + 1)
    except OSError as exc:
        raise GateError(f"{path}: cannot read the gate's weights ({exc.strerror})") from None
    if len(raw) > MAX_WEIGHTS_BYTES:
        raise GateError(f"{path}: larger than {MAX_WEIGHTS_BYTES} bytes, not a gate weights file")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GateError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("classes") != list(CLASSES):
        raise GateError(f"{path}: 'classes' must be {list(CLASSES)}")
    weights = data.get("weights")
    if not isinstance(weights, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and len(v) == 3 and all(isinstance(x, (int, float)) for x in v)
            for k, v in weights.items()):
        raise GateError(f"{path}: 'weights' must map each feature to three numbers")
    return Gate({k: [float(x) for x in v] for k, v in weights.items()})
