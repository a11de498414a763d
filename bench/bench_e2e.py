"""End-to-end answer latency and throughput through a local Synapse: recbot against a
minimal matrix-nio echo bot (the floor Matrix itself sets), run the same way.

    python bench/bench_e2e.py [--questions 60] [--seconds 15] [--users 5] [--dir DIR]

Both bots run at once as subprocesses on one throwaway Synapse (needs
``recbot[synapse]``). For each: the latency of ``--questions`` questions asked one at
a time by one user (from just before sending to the reply arriving in the user's sync;
the two bots are asked in turn), the questions per second that ``--users`` users
sustain for ``--seconds`` (each asks again as soon as it is answered), and the bot's
peak RSS (VmHWM). The echo bot replies to every text with
a notice echoing it, with the same reply relation as recbot's answers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import AsyncClient, ErrorResponse, RoomCreateResponse, RoomMessageText, RoomSendResponse, SyncResponse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.devserver import LocalSynapse  # noqa: E402

QUESTIONS = ("!info signal", "!compare signal element", "!caveats session", "!list", "!info briar")
WARM_UP = 3
BOTS = ("echo", "recbot")
READY = "ready: listening"


@dataclass(frozen=True)
class Result:
    bot: str
    latencies_s: list[float]
    per_second: float
    peak_rss_kib: int


# -- the echo bot (run by this script as a subprocess) --------------------------------------


async def _retry(call: Callable[[], Awaitable[Any]], attempts: int = 50) -> Any:
    """``call()`` again while the server says 429, waiting as long as it asks (as any
    well-behaved client does); the last response."""
    response = None
    for _ in range(attempts):
        response = await call()
        if not (isinstance(response, ErrorResponse) and response.status_code == "M_LIMIT_EXCEEDED"):
            break
        await asyncio.sleep((response.retry_after_ms or 1000) / 1000)
    return response


async def echo_bot(homeserver: str, user_id: str, password: str) -> None:
    """Join every invite and reply to every text with a notice echoing it (waiting out
    rate limits)."""
    client = AsyncClient(homeserver, user_id)
    await client.login(password)
    response = await client.sync(timeout=0)
    print(READY, flush=True)
    while True:
        if isinstance(response, SyncResponse):
            await _echo(client, user_id, response)
        response = await client.sync(timeout=30_000)


async def _echo(client: AsyncClient, user_id: str, response: SyncResponse) -> None:
    for room_id in response.rooms.invite:
        await _retry(lambda room_id=room_id: client.join(room_id))
    for room_id, info in response.rooms.join.items():
        for event in info.timeline.events:
            if isinstance(event, RoomMessageText) and event.sender != user_id:
                content = {
                    "msgtype": "m.notice",
                    "body": event.body,
                    "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
                }
                await _retry(
                    lambda room_id=room_id, content=content: client.room_send(room_id, "m.room.message", content)
                )


# -- running a bot --------------------------------------------------------------------------


@contextmanager
def bot_process(kind: str, server: LocalSynapse, user_id: str, password: str, workdir: Path) -> Iterator[int]:
    """Start the bot as a subprocess, wait until it listens; its pid. Output goes to
    ``workdir/KIND.log``."""
    if kind == "echo":
        command = [sys.executable, __file__, "--echo-bot", server.base_url, user_id, password]
    else:
        config = workdir / f"{kind}.yaml"
        config.write_text(
            json.dumps(
                {
                    "matrix": {"homeserver": server.base_url, "user_id": user_id},
                    "storage": {"data_dir": str(workdir / f"{kind}-data")},
                    "limits": {"user_per_minute": 0, "room_per_minute": 0},
                }
            )
        )
        command = [sys.executable, "-m", "bot", "run", "--config", str(config)]
    env = {**os.environ, "RECBOT_PASSWORD": password, "PYTHONPATH": str(ROOT)}
    log = workdir / f"{kind}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    while READY not in log.read_text(errors="replace"):
        if proc.poll() is not None:
            raise RuntimeError(f"the {kind} bot exited before it was ready:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)
    try:
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def peak_rss_kib(pid: int) -> int:
    """VmHWM of a running process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


# -- the user side ----------------------------------------------------------------------


class Asker:
    """A user in a DM with the bot who asks and times the answers."""

    def __init__(self, client: AsyncClient, room_id: str, bot_id: str):
        self.client = client
        self.room_id = room_id
        self.bot_id = bot_id
        self.asked = 0

    async def ask(self) -> float:
        """Ask the next question (unique text) and wait for its reply; seconds taken."""
        text = f"{QUESTIONS[self.asked % len(QUESTIONS)]} #{self.asked}"
        self.asked += 1
        started = time.perf_counter()
        sent = await self.client.room_send(self.room_id, "m.room.message", {"msgtype": "m.text", "body": text})
        assert isinstance(sent, RoomSendResponse), sent
        while True:
            response = await self.client.sync(timeout=30_000)
            if isinstance(response, SyncResponse) and _has_reply(response, self.room_id, sent.event_id, self.bot_id):
                return time.perf_counter() - started


def _has_reply(response: SyncResponse, room_id: str, event_id: str, bot_id: str) -> bool:
    info = response.rooms.join.get(room_id)
    for event in info.timeline.events if info else ():
        relation = event.source.get("content", {}).get("m.relates_to") or {}
        if event.sender == bot_id and (relation.get("m.in_reply_to") or {}).get("event_id") == event_id:
            return True
    return False


async def asker(server: LocalSynapse, bot_id: str) -> Asker:
    """A new user with a DM room the bot has joined."""
    password = secrets.token_urlsafe(12)
    user_id, _ = server.register_user(f"asker_{secrets.token_hex(4)}", password)
    client = AsyncClient(server.base_url, user_id)
    await client.login(password)
    await client.sync(timeout=0)
    created = await client.room_create(invite=[bot_id], is_direct=True)
    assert isinstance(created, RoomCreateResponse), created
    while not _joined(client, created.room_id, bot_id):
        await client.sync(timeout=1000)
    return Asker(client, created.room_id, bot_id)


def _joined(client: AsyncClient, room_id: str, user_id: str) -> bool:
    room = client.rooms.get(room_id)
    return room is not None and user_id in room.users and user_id not in room.invited_users


async def measure(server: LocalSynapse, args: argparse.Namespace, workdir: Path) -> list[Result]:
    """Run both bots at once; alternate the latency questions between them so drift in
    the server (caches, database size) affects both alike; then throughput, one at a time."""
    accounts = {}
    for kind in BOTS:
        password = secrets.token_urlsafe(12)
        accounts[kind] = (server.register_user(f"{kind}_{secrets.token_hex(4)}", password)[0], password)
    with ExitStack() as stack:
        pids = {kind: stack.enter_context(bot_process(kind, server, *accounts[kind], workdir)) for kind in BOTS}
        askers = {kind: [await asker(server, accounts[kind][0]) for _ in range(args.users)] for kind in BOTS}
        try:
            latencies: dict[str, list[float]] = {kind: [] for kind in BOTS}
            for n in range(WARM_UP + args.questions):
                for kind in BOTS:
                    seconds = await askers[kind][0].ask()
                    if n >= WARM_UP:
                        latencies[kind].append(seconds)
            rates = {kind: await sustained(askers[kind], args.seconds) for kind in BOTS}
            return [Result(kind, latencies[kind], rates[kind], peak_rss_kib(pids[kind])) for kind in BOTS]
        finally:
            await asyncio.gather(*(one.client.close() for group in askers.values() for one in group))


async def sustained(askers: list[Asker], seconds: float) -> float:
    """Answers per second while every asker asks again as soon as it is answered."""
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()

    async def loop(one: Asker) -> int:
        answered = 0
        while time.perf_counter() < deadline:
            await one.ask()
            answered += 1
        return answered

    counts = await asyncio.gather(*(loop(one) for one in askers))
    return sum(counts) / (time.perf_counter() - started)


# -- report ---------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(f"\n{args.questions} sequential questions; {args.users} users for {args.seconds:g}s")
    print(f"{'bot':<8} {'p50 ms':>8} {'p99 ms':>8} {'q/s':>7} {'peak RSS MiB':>13}")
    for r in results:
        p50, p99 = percentile(r.latencies_s, 50) * 1000, percentile(r.latencies_s, 99) * 1000
        print(f"{r.bot:<8} {p50:8.1f} {p99:8.1f} {r.per_second:7.1f} {r.peak_rss_kib / 1024:13.1f}")
    by_bot = {r.bot: r for r in results}
    recbot, echo = by_bot["recbot"], by_bot["echo"]
    for pct in (50, 99):
        ratio = percentile(recbot.latencies_s, pct) / percentile(echo.latencies_s, pct)
        print(f"recbot/echo p{pct}: {ratio:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--dir", help="keep the server, bot data and logs here (default: a temporary directory)")
    parser.add_argument("--echo-bot", nargs=3, metavar=("HOMESERVER", "USER_ID", "PASSWORD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo_bot:
        asyncio.run(echo_bot(*args.echo_bot))
        return 0
    with tempfile.TemporaryDirectory(prefix="recbot-bench-") as tmp:
        workdir = Path(args.dir or tmp)
        with LocalSynapse(workdir / "synapse") as server:
            results = asyncio.run(measure(server, args, workdir))
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
