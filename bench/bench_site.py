"""Benchmark the whole Privacy Guides site in nine languages: load time, answer time per
question (amortized) and peak RSS, as medians of several runs.

Run: python bench/bench_site.py [--runs N] [--rounds R] [--archives] [SITE]

SITE defaults to the snapshot in ../shared/seeds/privacyguides (English plus 8 translations).
Each run is a full ``load_sources`` (read, import every page in every language, align,
validate), as a refresh does, with a cold text cache; ``--archives`` loads it instead from
GitHub-shaped tarballs built from it in a temporary folder (the path a scheduled refresh of
archive sources takes, minus the download). Answers: QUESTIONS (several categories, nine
languages, typos and chat style) answered ``--rounds`` times over the loaded base after one
warm-up pass, whose first answer (the language models loading) is shown on its own. On a
shared machine the CPU time is the steadier figure; the machine is printed with the figures.
Then every question of tests/eval (the site sets and the messenger sets, asked of the whole
site), best of three rounds per question: median, mean and p99. Targets (issue 13): load <= 3 s,
answers <= 2 ms each amortized, peak RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.offline import load_questions  # noqa: E402
from knowledge import importer  # noqa: E402
from knowledge.engine import Engine  # noqa: E402
from knowledge.loading import load_sources  # noqa: E402

SNAPSHOT = ROOT.parent / "shared" / "seeds" / "privacyguides"

#: Whole-site questions: picks, cards, comparisons, properties and criteria across categories,
#: in the nine published languages, some with typos or in chat style.
QUESTIONS = (
    "Which VPN do you recommend?",
    "whats the best vpn for torrenting",
    "does ivpn take cash",
    "mullvad vs proton vpn",
    "Is Proton Mail end-to-end encrypted?",
    "tuta or proton mail?",
    "which email provider supports pgp",
    "best password manager for linux",
    "bitwarden or keepassxc",
    "is 1password open source",
    "which browser should i use on android",
    "brave vs firefox",
    "is mullvad browser any good",
    "what search engine do you recommend",
    "recommended DNS resolver?",
    "what are the criteria for a vpn provider",
    "signal vs simplex",
    "!info molly",
    "grapheneos or calyxos",
    "which calendar app is private",
    "is cryptpad self-hostable",
    "tor browser on ios?",
    "yubikey alternatives",
    "welke vpn raden jullie aan?",
    "welke wachtwoordbeheerder is het beste",
    "is protonmail veilig?",
    "wat is beter, brave of firefox",
    "¿Qué navegador recomiendan?",
    "¿es seguro mullvad?",
    "¿cuál es el mejor gestor de contraseñas?",
    "Quel VPN recommandez-vous ?",
    "proton mail ou tuta ?",
    "quel navigateur pour android",
    "Quale email consigliate?",
    "ivpn è sicuro?",
    "qual è il miglior password manager",
    "какой VPN лучше?",
    "Proton Mail безопасен?",
    "какой браузер выбрать",
    "哪個瀏覽器最好?",
    "推薦哪個 VPN",
    "Proton Mail 安全嗎",
    "איזה VPN אתם ממליצים?",
    "מה עם tor browser?",
    "was ist mit brave?",
    "wlche vpn emfehlt ihr",
    "bitwarden vs 1password vs proton pass",
    "hey, any good privacy friendly email out there? gmail is getting creepy lol",
    "my friend says nordvpn is fine, is it?",
    "keepassxc on mac?",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("site", nargs="?", default=str(SNAPSHOT))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=20, help="passes over the questions per run")
    parser.add_argument("--archives", action="store_true", help="load from GitHub-shaped tarballs of SITE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        sources = _tarballs(Path(args.site), Path(scratch)) if args.archives else [args.site]
        times, cpu, per_answer, first = [], [], [], []
        for _ in range(max(1, args.runs)):
            importer._clean.cache_clear()  # every run cold, as the first load after a start
            start, start_cpu = time.perf_counter(), time.process_time()
            kb = load_sources(sources)
            engine = Engine(kb)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            started = time.perf_counter()
            engine.answer(QUESTIONS[0])
            first.append(time.perf_counter() - started)
            for question in QUESTIONS[1:]:  # warm-up
                engine.answer(question)
            started = time.perf_counter()
            for _ in range(max(1, args.rounds)):
                for question in QUESTIONS:
                    engine.answer(question)
            per_answer.append((time.perf_counter() - started) / (max(1, args.rounds) * len(QUESTIONS)))
    langs = sorted({s.lang for s in kb.sources})
    print(f"machine: {_machine()}")
    print(f"site: {args.site}{' (as two GitHub-shaped tarballs)' if args.archives else ''}")
    print(f"  {len(kb.categories)} categories, {len(kb.entries)} entries, {len(kb.criteria)} criteria, "
          f"{len({s.file for s in kb.sources})} page files, {len(langs)} languages ({' '.join(langs)})")
    print(f"  load time: median {statistics.median(times):.2f} s, min {min(times):.2f} s over {len(times)} runs")
    print(f"  CPU time: median {statistics.median(cpu):.2f} s (wall time above depends on the machine's load)")
    print(f"  answers: median {statistics.median(per_answer) * 1000:.3f} ms per question, amortized over "
          f"{len(QUESTIONS)} questions x {args.rounds} rounds; the first after a start {first[0] * 1000:.0f} ms")
    questions = [str(item["q"]) for path in sorted((ROOT / "tests" / "eval").glob("*.yaml")) for item in load_questions(path)]
    best = [float("inf")] * len(questions)
    for _ in range(3):
        for n, question in enumerate(questions):
            begin = time.perf_counter()
            engine.answer(question, "en")
            best[n] = min(best[n], time.perf_counter() - begin)
    ms = sorted(t * 1000 for t in best)
    print(f"  answer time over {len(ms)} questions: median {statistics.median(ms):.2f} ms, "
          f"mean {statistics.fmean(ms):.2f} ms, p99 {ms[int(len(ms) * 0.99) - 1]:.2f} ms")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"  peak RSS: {peak_mb:.0f} MB")
    return 0


def _tarballs(site: Path, scratch: Path) -> list[str]:
    """``site`` (a multilingual folder) as GitHub's two tarballs: English under
    ``ROOT/docs/``, the translations under ``ROOT/i18n/LANG/``."""
    english = scratch / "privacyguides.org.tar.gz"
    translated = scratch / "i18n.tar.gz"
    with tarfile.open(english, "w:gz") as archive:
        archive.add(site / "en", arcname="privacyguides.org-main/docs")
    with tarfile.open(translated, "w:gz") as archive:
        for folder in sorted(p for p in site.iterdir() if p.is_dir() and p.name != "en"):
            archive.add(folder, arcname=f"i18n-main/i18n/{folder.name}")
    return [str(english), str(translated)]


def _machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    model = ""
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{cores} cores usable ({model or platform.processor() or platform.machine()}), "
            f"load average {load:.1f}, Python {platform.python_version()}")


if __name__ == "__main__":
    raise SystemExit(main())
