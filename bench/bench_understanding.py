"""Benchmark question understanding: answer time, index build time, accuracy, memory.

Run: python bench/bench_understanding.py [--rounds N]

Measures, in one run so the figures compare on the same (noisy, shared) machine:
- per-question answer time (p50, p99) of recbot on the bundled pack and on a generated
  knowledge base of 5,000 entries, and of the naive baseline (rapidfuzz extractOne over entry
  names, cutoff 80) on the same questions;
- index build time (Engine construction) for both bases;
- dev-set accuracy of recbot and of the naive baseline;
- peak RSS of the process;
- with ``--site``: answer time on the nine-language site snapshot, for questions in each of
  its languages (the reply-language choice included).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.offline import check, evaluate, load_questions  # noqa: E402
from knowledge.engine import Answer, Engine  # noqa: E402
from knowledge.loading import load_sources  # noqa: E402
from knowledge.model import Entry, Facts, Identifiers, KnowledgeBase, Text  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev.yaml"
SNAPSHOT = ROOT.parent / "shared" / "seeds" / "privacyguides"
#: Questions in the site's nine languages (``--site``).
SITE_QUESTIONS = [
    "Is Signal safe?", "Which VPN do you recommend?", "Proton Mail vs Tuta",
    "Is Signal veilig?", "Welke VPN raden jullie aan?", "signal of session?",
    "Signal est-il sûr ?", "Quel VPN recommandez-vous ?", "Brave ou Firefox ?",
    "¿Es seguro Signal?", "¿Qué VPN recomiendan?", "Signal es mejor que Session?",
    "Signal è sicuro?", "Quale VPN consigliate?", "Bitwarden o KeePassXC?",
    "Signal безопасен?", "Какой VPN лучше?", "Signal или Session?",
    "האם Signal בטוחה?", "איזה VPN מומלץ?", "מה ההבדל בין Signal ל-SimpleX?",
    "Signal 安全嗎？", "推薦哪個 VPN？", "Mullvad 和 Proton VPN 哪個比較好？",
]
SYLLABLES = "ka lo mi ra ve tu si no pe da zu fi gor bel tam rin vok sel dun mar".split()


def generated_kb(base: KnowledgeBase, size: int, seed: int = 7) -> KnowledgeBase:
    """The bundled entries plus made-up ones with varied names and facts."""
    rng = random.Random(seed)
    entries: list[Entry] = list(base.entries)
    names: set[str] = {e.name.lower() for e in entries}
    template = base.entries[0]
    while len(entries) < size:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        if rng.random() < 0.3:
            name += " " + rng.choice(["Chat", "Messenger", "Talk", "Secure"])
        if name.lower() in names:
            continue
        names.add(name.lower())
        facts = replace(
            Facts(),
            forward_secrecy=rng.choice(["yes", "no", None]),
            network=rng.choice(["centralized", "federated", "p2p", "decentralized"]),
            identifiers=Identifiers(signup=rng.choice([(), ("phone",), ("email",), None]), shared=()),
            platforms=tuple(sorted(rng.sample(["android", "ios", "windows", "macos", "linux", "web"], rng.randint(1, 5)))),
        )
        entries.append(
            replace(
                template,
                id=f"gen-{len(entries)}",
                name=name,
                aliases=(),
                summary=Text({"en": f"{name} is a generated messenger.", "nl": f"{name} is een verzonnen messenger."}),
                facts=facts,
                caveats=(),
                updates=(),
                meets=(),
                misses=(),
                warnings=(),
                client_of="",
            )
        )
    return KnowledgeBase(tuple(entries), base.criteria, base.warnings, base.sources)


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def questions_for(kb: KnowledgeBase, dev: list[str], rng: random.Random, count: int = 2000) -> list[str]:
    out = list(dev)
    names = [e.name for e in kb.entries]
    forms = [
        "what is {a}", "{a} vs {b}", "wat zijn de nadelen van {a}?", "!info {a}", "{ta}",
        "Is {a} beter dan {b}?", "which don't need a phone number", "tell me about {ta} please",
    ]
    while len(out) < count:
        a, b = rng.choice(names), rng.choice(names)
        out.append(rng.choice(forms).format(a=a, b=b, ta=typo(a.lower(), rng)))
    return out


class Naive:
    """The baseline: rapidfuzz extractOne over entry names and aliases, cutoff 80."""

    def __init__(self, kb: KnowledgeBase):
        self.choices: list[str] = []
        self.owners: list[str] = []
        for entry in kb.entries:
            for name in (entry.name, *entry.aliases):
                self.choices.append(name.lower())
                self.owners.append(entry.id)

    def answer(self, question: str, default_lang: str = "nl") -> Answer:
        hit = process.extractOne(question.lower(), self.choices, scorer=fuzz.WRatio, score_cutoff=80)
        if hit is None:
            return Answer("none", (), default_lang, 0.0, "", "")
        return Answer("card", (self.owners[hit[2]],), default_lang, hit[1] / 100, "", "")


def timed(fn, questions: list[str], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for question in questions:
            start = time.perf_counter()
            fn(question)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def timed_best(fn, questions: list[str], rounds: int) -> list[float]:
    """Per question, its fastest round: what the code costs, without the scheduler noise of a
    shared machine (the plain samples keep that noise in)."""
    best = [float("inf")] * len(questions)
    for _ in range(rounds):
        for n, question in enumerate(questions):
            start = time.perf_counter()
            fn(question)
            best[n] = min(best[n], (time.perf_counter() - start) * 1000)
    return best


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def build_time(kb: KnowledgeBase, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        Engine(kb)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--site", action="store_true", help="also time questions in nine languages over the site snapshot")
    args = parser.parse_args()
    rng = random.Random(1)

    bundled = load_sources([])
    big = generated_kb(bundled, args.size)
    dev_items = load_questions(DEV)
    dev_questions = [str(item["q"]) for item in dev_items]

    # Every question set in tests/eval too: real questions are longer than the generated ones.
    for path in sorted((ROOT / "tests" / "eval").glob("*.yaml")):
        dev_questions += [str(item["q"]) for item in load_questions(path)]

    rows = []
    for label, kb in (("bundled", bundled), (f"{len(big.entries)} entries", big)):
        engine, naive = Engine(kb), Naive(kb)
        questions = questions_for(kb, dev_questions, rng)
        for name, fn in (("recbot", engine.answer), ("naive extractOne", naive.answer)):
            fn(questions[0])  # warm up
            samples = timed(fn, questions, args.rounds)
            rows.append((label, name, statistics.median(samples), pct(samples, 0.99), len(samples)))
            if name == "recbot":
                best = timed_best(fn, questions, args.rounds)
                rows.append((label, "recbot, best round", statistics.median(best), pct(best, 0.99), len(best)))
        rows.append((label, "index build (s)", build_time(kb), None, None))

    if args.site:
        site = Engine(load_sources([str(SNAPSHOT)]))
        questions = SITE_QUESTIONS * 40
        site.answer(questions[0])
        samples = timed(site.answer, questions, args.rounds)
        rows.append(("site, 9 langs", "recbot", statistics.median(samples), pct(samples, 0.99), len(samples)))
        best = timed_best(site.answer, questions, args.rounds)
        rows.append(("site, 9 langs", "recbot, best round", statistics.median(best), pct(best, 0.99), len(best)))

    recbot_acc = evaluate(Engine(bundled), dev_items)["overall"]
    naive_engine = Naive(bundled)
    naive_acc = sum(not check(item, naive_engine.answer(str(item["q"]))) for item in dev_items) / len(dev_items)

    print(f"python {sys.version.split()[0]}, {args.rounds} rounds")
    print(f"{'knowledge base':16} {'what':18} {'p50 ms':>8} {'p99 ms':>8} {'n':>6}")
    for label, name, p50, p99, n in rows:
        if p99 is None:
            print(f"{label:16} {name:18} {p50:8.3f} s")
        else:
            print(f"{label:16} {name:18} {p50:8.3f} {p99:8.3f} {n:6}")
    by = {(r[0], r[1]): r for r in rows}
    for label in ("bundled", f"{len(big.entries)} entries"):
        ours, base = by[(label, "recbot")], by[(label, "naive extractOne")]
        print(f"{label}: recbot/naive p50 ratio {ours[2] / base[2]:.1f}x, p99 ratio {ours[3] / base[3]:.1f}x")
    print(f"dev accuracy: recbot {recbot_acc:.1%}, naive extractOne {naive_acc:.1%} ({len(dev_items)} questions)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
