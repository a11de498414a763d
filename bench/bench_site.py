"""Benchmark loading a whole Privacy Guides site: load time (median of several runs) and peak RSS.

Run: python bench/bench_site.py [--runs N] [SITE]

SITE defaults to the snapshot in ../shared/seeds/privacyguides (English plus 8 translations).
Each run is a full ``load_sources`` (read, import every page in every language, align,
validate), as a refresh does, with a cold text cache. On a shared machine the CPU time is the
steadier figure. Targets (issue 13): <= 3 s and <= 300 MB.
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

from knowledge import importer  # noqa: E402
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
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"site: {args.site}")
    print(f"  {len(kb.categories)} categories, {len(kb.entries)} entries, {len(kb.criteria)} criteria, "
          f"{len({s.file for s in kb.sources})} page files, {len(langs)} languages ({' '.join(langs)})")
    print(f"  load time: median {statistics.median(times):.2f} s, min {min(times):.2f} s over {len(times)} runs")
    print(f"  CPU time: median {statistics.median(cpu):.2f} s (wall time above depends on the machine's load)")
    print(f"  peak RSS: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
