"""Train and honestly measure the learned gate (bench/gate_model.py) by leave-one-set-out.

Run: python bench/gate_experiment.py [--epochs N] [--write knowledge/data/gate.json]

Every labelled set (tests/eval/*.yaml and ../shared/eval/dev.yaml) is training data. For each set, a
model is trained on all the other sets (questions also in the held-out set are dropped) and the held-out
set is scored with the rules alone and with the rules plus the gate at several confidence thresholds.
Training is deterministic (seeded order, fixed epochs). ``--write`` fits on every set and writes the
weights file the runtime would read.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.offline import check, load_questions  # noqa: E402
from knowledge.engine import Engine  # noqa: E402
from bench.gate_model import ANSWER_INTENTS, CLASSES, Gate, features, gold_class  # noqa: E402
from knowledge.loading import load_sources  # noqa: E402
from knowledge.understand import FIRST_PERSON, SUPPORT_OWN_TROUBLE, SUPPORT_TROUBLE  # noqa: E402

SETS = {p.stem: p for p in sorted((ROOT / "tests" / "eval").glob("*.yaml"))}
SETS["dev"] = ROOT.parent / "shared" / "eval" / "dev.yaml"
REAL = [s for s in SETS if s.startswith("real_")]
THRESHOLDS = (0.6, 0.7, 0.8, 0.9, 0.95)
PRIMARY = 0.8  # fixed before the first run; the others are shown for information only


def prepared(engine: Engine, rule_intent: bool = False, mask: bool = False) -> dict[str, list[dict]]:
    """Each set's items with the rules' answer and the message's features, computed once."""
    out: dict[str, list[dict]] = {}
    for name, path in SETS.items():
        rows = []
        for item in load_questions(path):
            q = str(item["q"])
            u = engine.understand(q, "nl")
            ans = engine.reply(u)
            n = u.normalized
            feats = features(q, n, len(u.entries), u.notes, u.yes_no, bool(FIRST_PERSON.search(n)),
                             bool(SUPPORT_TROUBLE.search(n) or SUPPORT_OWN_TROUBLE.search(n)),
                             engine.index.name_words if mask else frozenset())
            if rule_intent:  # variant: the rules' own decision is one more feature
                feats += ["r:intent=" + ans.intent, "r:conf=%d" % int(ans.confidence * 10)]
            rows.append({"item": item, "answer": ans, "entries": u.entries, "feats": feats,
                         "y": CLASSES.index(gold_class(item.get("intent", "none"))), "key": n})
        out[name] = rows
    return out


def train(rows: list[dict], epochs: int, seed: int = 10, rate: float = 0.5, l2: float = 1e-4) -> Gate:
    """Multinomial logistic regression by AdaGrad SGD, in a seeded order."""
    weights: dict[str, list[float]] = {}
    grads: dict[str, list[float]] = {}
    order = list(range(len(rows)))
    rng = random.Random(seed)
    gate = Gate(weights)
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            row = rows[i]
            p = gate.probabilities(row["feats"])
            err = [p[c] - (1.0 if k == row["y"] else 0.0) for k, c in enumerate(CLASSES)]
            for f in set(row["feats"]):
                w = weights.setdefault(f, [0.0, 0.0, 0.0])
                g2 = grads.setdefault(f, [1e-8, 1e-8, 1e-8])
                for k in range(3):
                    g = err[k] + l2 * w[k]
                    g2[k] += g * g
                    w[k] -= rate * g / math.sqrt(g2[k])
    return Gate({f: [round(x, 4) for x in w] for f, w in weights.items() if any(abs(x) >= 1e-3 for x in w)})


VETOES = {"none", "support"}  # which vetoes the gate may make (--vetoes)


def train_bayes(rows: list[dict], epochs: int = 0, seed: int = 10, rate: float = 0.0, l2: float = 0.0, alpha: float = 1.0) -> Gate:
    """Variant: multinomial naive Bayes (Laplace smoothing), as log-probability weights of the same table."""
    counts: dict[str, list[float]] = {}
    totals, prior = [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]
    for row in rows:
        prior[row["y"]] += 1
        for f in row["feats"]:
            if f != "bias":
                counts.setdefault(f, [0.0, 0.0, 0.0])[row["y"]] += 1
                totals[row["y"]] += 1
    vocab = len(counts)
    weights = {f: [round(math.log((c[k] + alpha) / (totals[k] + alpha * vocab)), 4) for k in range(3)] for f, c in counts.items()}
    weights["bias"] = [round(math.log(prior[k] / len(rows)), 4) for k in range(3)]
    return Gate(weights)


def gated(row: dict, gate: Gate, threshold: float):
    """The rules' answer, vetoed where the gate is confident it is support or not for recbot."""
    ans = row["answer"]
    p = gate.probabilities(row["feats"])
    if ans.intent in ANSWER_INTENTS and ans.intent != "help":
        if p["none"] >= threshold and "none" in VETOES:
            return replace(ans, intent="none")
        if p["support"] >= threshold and row["entries"] and "support" in VETOES:
            return replace(ans, intent="support", entries=tuple(row["entries"]))
    if ans.intent == "support" and p["none"] >= threshold and "none" in VETOES:
        return replace(ans, intent="none")
    return ans


def score(rows: list[dict], gate: Gate | None = None, threshold: float = PRIMARY) -> int:
    return sum(not check(r["item"], gated(r, gate, threshold) if gate else r["answer"]) for r in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--write", help="fit on every set and write the weights (JSON) here")
    parser.add_argument("--rule-intent", action="store_true", help="variant: the rules' intent is a feature")
    parser.add_argument("--vetoes", nargs="+", choices=sorted(VETOES), default=sorted(VETOES),
                        help="variant: the gate may only turn answers into these")
    parser.add_argument("--show", action="store_true", help="list the items the gate changes at the primary threshold")
    parser.add_argument("--mask", action="store_true", help="variant: every word of an app's name is one token <app>")
    parser.add_argument("--l2", type=float, default=1e-4, help="L2 penalty per update")
    parser.add_argument("--model", choices=("logistic", "bayes"), default="logistic")
    parser.add_argument("--train-on", choices=("all", "real"), default="all",
                        help="variant: train only on the real sets (each held-out set still left out)")
    parser.add_argument("--real-weight", type=int, default=1, help="variant: each real question counts this many times")
    parser.add_argument("--only", nargs="*", help="hold out only these sets")
    args = parser.parse_args()
    VETOES.intersection_update(args.vetoes)
    fit = train_bayes if args.model == "bayes" else train
    engine = Engine(load_sources(["bundled"]))
    data = prepared(engine, args.rule_intent, args.mask)
    print("| set | questions | rules only | " + " | ".join(f"+ gate {t}" for t in THRESHOLDS) + " | at %.1f: gained / lost |" % PRIMARY)
    print("|---|---:|---:|" + "---:|" * len(THRESHOLDS) + "---:|")
    for name in (args.only or list(data)):
        held = data[name]
        keys = {r["key"] for r in held}
        rows = [r for other, rs in data.items() if other != name and (args.train_on == "all" or other in REAL)
                for r in rs if r["key"] not in keys for _ in range(args.real_weight if other in REAL else 1)]
        gate = fit(rows, args.epochs, l2=args.l2)
        n = len(held)
        base = score(held)
        cells = [f"{score(held, gate, t) / n:.1%}" for t in THRESHOLDS]
        was = [not check(r["item"], r["answer"]) for r in held]
        now = [not check(r["item"], gated(r, gate, PRIMARY)) for r in held]
        gained, lost = sum(n and not w for w, n in zip(was, now)), sum(w and not n for w, n in zip(was, now))
        print(f"| {name} | {n} | {base / n:.1%} | " + " | ".join(cells) + f" | +{gained} / -{lost} |", flush=True)
        if args.show:
            for r, w, v in zip(held, was, now):
                if w != v:
                    print(f"    {'+' if v else '-'} {r['answer'].intent} -> {gated(r, gate, PRIMARY).intent}: {r['item']['q'][:110]!r}")
    if args.write:
        gate = fit([r for rs in data.values() for r in rs], args.epochs, l2=args.l2)
        Path(args.write).write_text(json.dumps({"classes": list(CLASSES), "weights": gate.weights},
                                               separators=(",", ":"), sort_keys=True), encoding="utf-8")
        print(f"wrote {args.write}: {len(gate.weights)} features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
