"""Benchmark a whole Privacy Guides site: load time (median of several runs), peak RSS and answer time.

Run: python bench/bench_site.py [--runs N] [SITE]

SITE defaults to the snapshot in ../shared/seeds/privacyguides (English plus 8 translations).
Each run is a full ``load_sources`` (read, import every page in every language, align,
validate), as a refresh does, with a cold text cache. On a shared machine the CPU time is the
steadier figure. Then the answer time per question over the whole site (engine built once):
every question of tests/eval (the site set and the messenger sets, asked of the whole site),
best of three rounds per question. Targets (issue 13): <= 3 s, <= 300 MB and <= 2 ms per
question amortized.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.offline import load_questions  # noqa: E402
from knowledge import importer  # noqa: E402
from knowledge.engine import Engine  # noqa: E402
from knowledge.loading import load_sources  # noqa: E402

SNAPSHOT = ROOT.parent / "shared" / "seeds" / "privacyguides"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("site", nargs="?", default=str(SNAPSHOT))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times, cpu = [], []
    for _ in range(max(1, args.runs)):
        importer._clean.cache_clear()  # every run cold, as the first load after a start
        start, start_cpu = time.perf_counter(), time.process_time()
        kb = load_sources([args.site])
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    langs = sorted({s.lang for s in kb.sources})
    print(f"site: {args.site}")
    print(f"  {len(kb.categories)} categories, {len(kb.entries)} entries, {len(kb.criteria)} criteria, "
          f"{len({s.file for s in kb.sources})} page files, {len(langs)} languages ({' '.join(langs)})")
    print(f"  load time: median {statistics.median(times):.2f} s, min {min(times):.2f} s over {len(times)} runs")
    print(f"  CPU time: median {statistics.median(cpu):.2f} s (wall time above depends on the machine's load)")
    start = time.perf_counter()
    engine = Engine(kb)
    built = time.perf_counter() - start
    questions = [str(item["q"]) for path in sorted((ROOT / "tests" / "eval").glob("*.yaml")) for item in load_questions(path)]
    best = [float("inf")] * len(questions)
    for _ in range(3):
        for n, question in enumerate(questions):
            begin = time.perf_counter()
            engine.answer(question, "en")
            best[n] = min(best[n], time.perf_counter() - begin)
    ms = sorted(t * 1000 for t in best)
    print(f"  engine build: {built * 1000:.0f} ms")
    print(f"  answer time over {len(ms)} questions: median {statistics.median(ms):.2f} ms, "
          f"mean {statistics.fmean(ms):.2f} ms, p99 {ms[int(len(ms) * 0.99) - 1]:.2f} ms")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
