"""Start, memory and answer latency with the bot invited to N rooms, beside a minimal echo
bot on the same local Synapse (the floor Matrix itself sets).

    python bench/bench_scale.py [--rooms 10,200,800] [--questions 20] [--default-limits] [--dir DIR]

For each N, each bot gets its own account with N pending invites (set up by helper users,
exempt from rate limits), then is started as a subprocess. Measured from the start:
``ready`` (the bot says it listens), ``joined`` (the server lists all N rooms as joined)
and ``settled`` (a question in a new DM, asked once all are joined, is answered); the RSS
then and its peak; the p50/p99 of ``--questions`` sequential questions asked in that DM
(the two bots in turn). For recbot also: gap fetches (``/messages`` after a limited
timeline) and the 429s its joins waited out. ``--default-limits`` keeps Synapse's default
rate limits (joins 0.1/s after a burst of 10, messages 0.2/s after 10) for the bots;
questions are then spaced 5.5 s apart. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from nio import AsyncClient, RoomCreateResponse, RoomSendResponse, SyncResponse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_e2e import _has_reply, _joined, bot_process, percentile  # noqa: E402

from bot.devserver import LocalSynapse  # noqa: E402

BOTS = ("echo", "recbot")
QUESTIONS = ("!info signal", "!compare signal element", "!caveats session", "!info briar")
WARM_UP = 2
#: Rooms created at once while setting up (helper users, exempt from rate limits).
SETUP_CONCURRENCY = 8
#: No phase waits longer than this.
PHASE_TIMEOUT_S = 1800.0


@dataclass
class Figures:
    bot: str
    rooms: int
    ready_s: float = 0.0
    joined_s: float = 0.0
    settled_s: float = 0.0
    rss_mib: float = 0.0
    peak_mib: float = 0.0
    latencies_s: tuple[float, ...] = ()
    gap_fetches: int = 0
    join_429s: int = 0


# -- running a bot -------------------------------------------------------------------------------


def memory_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a running process, in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def joined_count(server: LocalSynapse, token: str) -> int:
    request = urllib.request.Request(
        server.base_url + "/_matrix/client/v3/joined_rooms", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own 127.0.0.1 server
        return len(json.load(response)["joined_rooms"])


async def wait_until(condition, what: str, timeout: float = PHASE_TIMEOUT_S) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {timeout:g}s")
        await asyncio.sleep(0.25)


# -- setting up ---------------------------------------------------------------------------------


async def helper(server: LocalSynapse) -> AsyncClient:
    """A logged-in user exempt from rate limits (it sets up rooms and asks questions)."""
    password = secrets.token_urlsafe(12)
    user_id, _ = server.register_user(f"helper_{secrets.token_hex(4)}", password)
    server.exempt_from_rate_limits(user_id)
    client = AsyncClient(server.base_url, user_id)
    await client.login(password)
    await client.sync(timeout=0)
    return client


async def invite_to_rooms(host: AsyncClient, bot_id: str, count: int) -> None:
    """``count`` new rooms, each with an invite for ``bot_id``."""
    slots = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one(n: int) -> None:
        async with slots:
            created = await host.room_create(name=f"room {n}", invite=[bot_id])
            assert isinstance(created, RoomCreateResponse), created

    await asyncio.gather(*(one(n) for n in range(count)))


async def ask(client: AsyncClient, room_id: str, bot_id: str, text: str) -> float:
    """Send ``text`` and wait for the bot's reply to it; seconds taken."""
    started = time.perf_counter()
    sent = await client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": text})
    assert isinstance(sent, RoomSendResponse), sent
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        response = await client.sync(timeout=30_000)
        if isinstance(response, SyncResponse) and _has_reply(response, room_id, sent.event_id, bot_id):
            return time.perf_counter() - started
    raise TimeoutError(f"no reply to {text!r}")


async def dm(client: AsyncClient, bot_id: str) -> str:
    created = await client.room_create(invite=[bot_id], is_direct=True)
    assert isinstance(created, RoomCreateResponse), created
    deadline = time.monotonic() + PHASE_TIMEOUT_S
    while not _joined(client, created.room_id, bot_id):
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not join the DM")
        await client.sync(timeout=1000)
    return str(created.room_id)


# -- one size --------------------------------------------------------------------------------


async def measure(server: LocalSynapse, rooms: int, args: argparse.Namespace, workdir: Path) -> list[Figures]:
    accounts = {}
    for kind in BOTS:
        password = secrets.token_urlsafe(12)
        user_id, token = server.register_user(f"{kind}{rooms}_{secrets.token_hex(3)}", password)
        accounts[kind] = (user_id, password, token)
    host, asker = await helper(server), await helper(server)
    try:
        for kind in BOTS:
            await invite_to_rooms(host, accounts[kind][0], rooms)
        figures = {kind: Figures(kind, rooms) for kind in BOTS}
        with ExitStack() as stack:
            procs = {}
            for kind in BOTS:  # one after the other: their starts do not compete
                user_id, password, token = accounts[kind]
                started = time.monotonic()
                procs[kind] = stack.enter_context(bot_process(kind, server, user_id, password, workdir))  # ready
                figures[kind].ready_s = time.monotonic() - started
                await wait_until(lambda token=token: joined_count(server, token) >= rooms, f"{kind} in {rooms} rooms")
                figures[kind].joined_s = time.monotonic() - started
                room = await dm(asker, user_id)
                await ask(asker, room, user_id, "!info signal")
                figures[kind].settled_s = time.monotonic() - started
                figures[kind].rss_mib, figures[kind].peak_mib = memory_mib(procs[kind])
                accounts[kind] = (*accounts[kind], room)  # type: ignore[assignment]
            latencies: dict[str, list[float]] = {kind: [] for kind in BOTS}
            gap = 5.5 if args.default_limits else 0.0
            for n in range(WARM_UP + args.questions):
                for kind in BOTS:
                    user_id, room = accounts[kind][0], accounts[kind][3]  # type: ignore[misc]
                    seconds = await ask(asker, room, user_id, f"{QUESTIONS[n % len(QUESTIONS)]} #{n}")
                    if n >= WARM_UP:
                        latencies[kind].append(seconds)
                    if gap:
                        await asyncio.sleep(gap / 2)
            for kind in BOTS:
                figures[kind].latencies_s = tuple(latencies[kind])
        text = (workdir / "recbot.log").read_text(errors="replace")
        figures["recbot"].gap_fetches = text.count("the sync skipped")
        figures["recbot"].join_429s = sum(
            1 for line in text.splitlines() if "joining" in line and "rate limited" in line
        )
        return [figures[kind] for kind in BOTS]
    finally:
        await host.close()
        await asker.close()


def report(all_figures: list[Figures], args: argparse.Namespace) -> None:
    limits = "Synapse's default rate limits" if args.default_limits else "rate limits lifted"
    print(f"\n{args.questions} sequential questions per bot, {limits}")
    print(
        f"{'rooms':>5} {'bot':<7} {'ready s':>8} {'joined s':>9} {'settled s':>10} {'RSS MiB':>8} {'peak MiB':>9}"
        f" {'p50 ms':>7} {'p99 ms':>7} {'gaps':>5} {'429s':>5}"
    )
    for f in all_figures:
        p50, p99 = percentile(list(f.latencies_s), 50) * 1000, percentile(list(f.latencies_s), 99) * 1000
        print(
            f"{f.rooms:>5} {f.bot:<7} {f.ready_s:8.1f} {f.joined_s:9.1f} {f.settled_s:10.1f} {f.rss_mib:8.1f}"
            f" {f.peak_mib:9.1f} {p50:7.1f} {p99:7.1f} {f.gap_fetches if f.bot == 'recbot' else '-':>5}"
            f" {f.join_429s if f.bot == 'recbot' else '-':>5}"
        )
    for rooms in sorted({f.rooms for f in all_figures}):
        pair = {f.bot: f for f in all_figures if f.rooms == rooms}
        ratio = percentile(list(pair["recbot"].latencies_s), 50) / percentile(list(pair["echo"].latencies_s), 50)
        print(f"{rooms} rooms: recbot/echo p50 {ratio:.2f}, settled {pair['recbot'].settled_s / pair['echo'].settled_s:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", default="10,200,800", help="comma-separated room counts")
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--default-limits", action="store_true", help="keep Synapse's default rate limits")
    parser.add_argument("--dir", help="keep the server, bot data and logs here (default: a temporary directory)")
    args = parser.parse_args()
    sizes = [int(n) for n in args.rooms.split(",")]
    results: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="recbot-scale-") as tmp:
        base = Path(args.dir or tmp)
        with LocalSynapse(base / "synapse", default_rate_limits=args.default_limits) as server:
            for rooms in sizes:
                workdir = base / f"n{rooms}"
                workdir.mkdir(parents=True, exist_ok=True)
                results += asyncio.run(measure(server, rooms, args, workdir))
                print(f"done: {rooms} rooms", file=sys.stderr, flush=True)
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
