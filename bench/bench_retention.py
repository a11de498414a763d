"""A simulated year of the bot's database at 500 rooms x 20 questions a day: with the
retention the bot runs, the file stays bounded.

    python bench/bench_retention.py [--rooms 500] [--per-day 20] [--days 365] [--max-event-age 600]
                                    [--feedback-days 90] [--unanswered 0.1] [--votes 0.05]

The real Storage (schema, ``prune``, ``prune_audit``, ``prune_answers``, ``prune_unanswered``)
on a clock this script moves forward: every simulated 10 minutes the questions of those 10
minutes are claimed and answered (the rows ``Storage.claim`` and ``mark_answered`` write, one
transaction per step to keep the run short). Of them, the share ``--unanswered`` could not
be answered and is collected (every room collects: the worst case) as an unanswered
question's text; every other one gets its answer record (``record_answer``'s row), and the
share ``--votes`` of those a 👍/👎. Then the bot's pruning runs as it does every 10 minutes
while running (``claim_retention_ms``; audit rows: 1000 at most, none older than a year;
unanswered questions 14 days), the answer records' hourly (``bot.feedback_days`` and
``MAX_ANSWERS``: their scan is the slow part of the simulation, and an hour's records more
change the size by well under 1%). An hourly refresh adds an audit row; every room has
settings and a join time. It prints the size of the database files (with WAL) each simulated
month and the peak, and for comparison the growth per day of the same load without the
continuous pruning (the claims table alone).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.storage import DB_NAME, RefreshRecord, Storage, claim_retention_ms  # noqa: E402

STEP_MS = 10 * 60 * 1000
DAY_MS = 24 * 3600 * 1000
START_MS = 1_767_225_600_000  # 2026-01-01


def db_bytes(data_dir: Path) -> int:
    return sum(path.stat().st_size for path in data_dir.glob(DB_NAME + "*"))


def event_id() -> str:
    return "$" + secrets.token_urlsafe(32)[:43]  # the length of a room version 4+ event id


def pseudonym() -> str:
    return secrets.token_hex(16)  # the length of Storage.pseudonym's salted hashes


#: An unanswered question of a typical length.
UNANSWERED_TEXT = "Is there a messenger that works on my old Nokia feature phone without a data plan? " * 2


def details() -> str:
    """A refresh's audit details of a realistic size (a few entries changed)."""
    diff = {"added": ["Zapp"], "removed": [], "changed": ["Signal", "Session"], "criteria_added": [],
            "criteria_removed": [], "criteria_changed": ["e2ee_default"], "warnings_changed": []}
    return json.dumps({"entries": 48, "criteria": 12, "diff": diff, "problems": [], "total_problems": 0})


async def simulate(
    data_dir: Path, args: argparse.Namespace, *, prune: bool, days: int, records: bool = True
) -> list[tuple[int, int]]:
    """(day, bytes) at the end of every 30th simulated day (and the last); ``records``: also
    the answer records, votes and unanswered questions."""
    storage = await Storage.open(data_dir)
    rooms = [f"!{secrets.token_urlsafe(13)[:18]}:example.org" for _ in range(args.rooms)]
    for room in rooms:
        await storage.set_joined_at(room, START_MS)
        await storage.save_room_settings(room, "nl", False, "@mod:example.org", collect=True)
    per_step = args.rooms * args.per_day * STEP_MS / DAY_MS
    retention = claim_retention_ms(args.max_event_age)
    sizes: list[tuple[int, int]] = []
    owed = 0.0
    steps_per_day = DAY_MS // STEP_MS
    db = storage._db  # one transaction per step: the rows claim() and mark_answered() write
    try:
        for step in range(days * steps_per_day):
            now = START_MS + step * STEP_MS
            owed += per_step
            count, owed = int(owed), owed - int(owed)
            rows = [(event_id(), rooms[(step * 7 + n) % len(rooms)], now + n) for n in range(count)]
            await db.executemany(
                "INSERT OR IGNORE INTO answered (event_id, room_id, status, ts) VALUES (?, ?, 'answered', ?)", rows
            )
            if records:
                unanswered, answers, votes = [], [], []
                for question, room, ts in rows:
                    random_share = secrets.randbelow(10_000) / 10_000
                    if random_share < args.unanswered:
                        unanswered.append((room, UNANSWERED_TEXT, ts))
                        continue
                    answer = event_id()
                    answers.append((question, room, answer, pseudonym(), ts, "card", "signal,molly", pseudonym(), ts))
                    if random_share >= 1 - args.votes:
                        votes.append((answer, pseudonym(), pseudonym(), 1, ts))
                await db.executemany(
                    "INSERT INTO answers (question_id, room_id, answer_id, asker, question_ts, intent, entries,"
                    " digest, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    answers,
                )
                await db.executemany(
                    "INSERT INTO votes (answer_id, voter, reaction, value, ts) VALUES (?, ?, ?, ?, ?)", votes
                )
                await db.executemany("INSERT INTO unanswered (room_id, text, ts) VALUES (?, ?, ?)", unanswered)
            await db.commit()
            if step % 6 == 0:
                await storage.record_refresh(RefreshRecord(now, "SIGHUP", None, True, "v1", "v2", details()))
            if prune:
                await storage.prune(now - retention)
                await storage.prune_audit(now)
                if records:
                    await storage.prune_unanswered(now)
                    if step % 6 == 0:
                        await storage.prune_answers(now - args.feedback_days * DAY_MS)
            day = (step + 1) // steps_per_day
            if (step + 1) % steps_per_day == 0 and (day % 30 == 0 or day == days):
                sizes.append((day, db_bytes(data_dir)))
    finally:
        await storage.close()
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--per-day", type=int, default=20, help="questions per room per day")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--max-event-age", type=int, default=600, help="bot.max_event_age, seconds")
    parser.add_argument("--feedback-days", type=int, default=90, help="bot.feedback_days")
    parser.add_argument("--unanswered", type=float, default=0.1, help="share of questions not answered (collected)")
    parser.add_argument("--votes", type=float, default=0.05, help="share of answers voted on")
    parser.add_argument("--limit-mib", type=float, default=64.0, help="the size the database must stay under")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="recbot-retention-") as tmp:
        started = time.perf_counter()
        sizes = asyncio.run(simulate(Path(tmp) / "pruned", args, prune=True, days=args.days))
        took = time.perf_counter() - started
        unpruned = asyncio.run(simulate(Path(tmp) / "unpruned", args, prune=False, days=30, records=False))
    print(f"{args.rooms} rooms x {args.per_day} questions/day, max_event_age {args.max_event_age}s, "
          f"{args.days} simulated days in {took:.0f}s")
    for day, size in sizes:
        print(f"  day {day:3d}: {size / 2**20:6.2f} MiB")
    peak = max(size for _, size in sizes)
    per_day = unpruned[-1][1] / 30
    print(f"peak with retention: {peak / 2**20:.2f} MiB (limit {args.limit_mib:g} MiB)")
    print(f"without continuous pruning: {per_day / 2**20:.2f} MiB/day, about {per_day * 365 / 2**20:.0f} MiB a year")
    return 0 if peak < args.limit_mib * 2**20 else 1


if __name__ == "__main__":
    sys.exit(main())
