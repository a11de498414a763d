"""Reliability against a real Synapse: crashes, outages, rate limits, load, hostile
input, secrets in logs, unusable databases, and the metrics endpoint.

Replies are checked by reading the room's timeline as a user: each question must have
exactly one reply (``m.relates_to.m.in_reply_to``) from the bot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import AsyncExitStack, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from nio import RoomSendResponse, SyncResponse

from bot.config import Config, MetricsConfig
from bot.demo import has_joined, sync_until
from bot.devserver import LocalSynapse
from bot.respond import MAX_BYTES
from bot.storage import DB_NAME, Storage

from .botkit import QUIET_S, TEST_TUNING, Account, User, bot_config, content_of, running, set_display_name, user
from .conftest import MakeAccount
from .netkit import (
    CountingProxy,
    kill_and_restart,
    process_dm,
    replied,
    reply_counts,
    timeline,
    write_config,
)

#: Seconds the homeserver is down in the outage test.
OUTAGE_S = 30.0
#: Backoff cap for the outage test: production's 60 s would make the test wait minutes.
OUTAGE_BACKOFF_CAP_S = 8.0
#: Questions with a word each reply must contain.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("!info signal", "Signal"),
    ("!info briar", "Briar"),
    ("!compare signal element", "Element"),
    ("!caveats session", "Session"),
    ("!info molly", "Molly"),
    ("recbot: what is simplex?", "SimpleX"),
    ("!list", "Briar"),
    ("!criteria briar", "Briar"),
    ("!which zonder telefoonnummer", "SimpleX"),
    ("!help", "!info"),
)



@pytest.fixture(scope="module")
def spare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSynapse]:
    """A homeserver of this module's own, to stop and to rate-limit without slowing others."""
    server = LocalSynapse(tmp_path_factory.mktemp("spare-synapse"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def spare_account(server: LocalSynapse, prefix: str, *, admin: bool = False) -> Account:
    password = secrets.token_urlsafe(12)
    user_id, token = server.register_user(f"{prefix}_{secrets.token_hex(4)}", password, admin=admin)
    return Account(user_id, password, token)


def error_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


async def assert_answered_once(client: Any, room_id: str, bot_id: str, event_ids: list[str]) -> list[Any]:
    """Each question has exactly one reply and the bot replied to nothing else; the
    timeline (after a quiet period, so late duplicates would show)."""
    await replied(client, room_id, bot_id, event_ids)
    await asyncio.sleep(QUIET_S)
    events = await timeline(client, room_id)
    counts = reply_counts(events, bot_id)
    assert {e: counts[e] for e in event_ids} == dict.fromkeys(event_ids, 1), "not exactly one reply each"
    assert sum(counts.values()) == len(event_ids), "replies to messages that were not questions"
    return events


def stored_token(data_dir: Path) -> str:
    with sqlite3.connect(data_dir / DB_NAME) as db:
        return str(db.execute("SELECT access_token FROM login").fetchone()[0])


# -- crash -----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_sigkill_while_questions_arrive_answers_each_exactly_once(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    bot_account, alice_account = account("recbot"), account("alice")
    data = tmp_path / "data"
    moderation = {"users": [alice_account.user_id]}  # for !status in the DM
    config = write_config(tmp_path / "config.yaml", synapse.base_url, bot_account, data, moderation=moderation)
    async with process_dm(synapse, config, bot_account, alice_account) as (bot, alice, room_id):
        stop_asking = asyncio.Event()
        asking = asyncio.create_task(ask_until(alice, room_id, stop_asking))
        await kill_and_restart(bot)  # questions keep arriving, also while it is down
        await asyncio.sleep(0.5)
        stop_asking.set()
        questions = await asking
        assert len(questions) >= 20
        await assert_answered_once(alice.client, room_id, bot_account.user_id, questions)
        status = await alice.reply_to(await alice.say(room_id, "!status"), bot_account.user_id)
        assert status is not None, "no reply to !status"
    status_text = status.body + content_of(status)["formatted_body"]
    assert_no_secrets(bot.output + status_text, bot_account.password, stored_token(data))
    assert "Traceback" not in bot.output


async def ask_until(alice: User, room_id: str, stop: asyncio.Event, interval_s: float = 0.1) -> list[str]:
    """Ask the questions in turn every ``interval_s`` until ``stop``; their event ids."""
    asked: list[str] = []
    while not stop.is_set():
        asked.append(await alice.say(room_id, QUESTIONS[len(asked) % len(QUESTIONS)][0]))
        await asyncio.sleep(interval_s)
    return asked


def assert_no_secrets(text: str, *secret_values: str) -> None:
    for value in secret_values:
        assert value and value not in text, "a secret appears in the output"


# -- homeserver outage -------------------------------------------------------------------


@pytest.mark.asyncio
async def test_homeserver_outage_reconnects_with_backoff_and_answers_what_was_missed(
    spare: LocalSynapse, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    bot_account, alice_account = spare_account(spare, "recbot"), spare_account(spare, "alice")
    proxy = CountingProxy(spare.port)
    await proxy.start()
    config = bot_config(spare, bot_account, tmp_path / "bot")
    config = replace(config, matrix=replace(config.matrix, homeserver=proxy.url))
    tuning = replace(TEST_TUNING, backoff_cap_s=OUTAGE_BACKOFF_CAP_S)
    try:
        async with running(config, tuning), user(spare, alice_account) as alice:
            room_id = await alice.create_room([bot_account.user_id])
            await alice.wait_joined(room_id, bot_account.user_id)
            warm_up = await alice.say(room_id, "!help")
            assert await alice.reply_to(warm_up, bot_account.user_id) is not None

            proxy.block()  # the bot loses the server first, so it cannot see the next question
            before = proxy.connections
            questions = [await alice.say(room_id, "!info briar")]
            spare.stop()
            proxy.unblock()
            await asyncio.sleep(OUTAGE_S)
            await asyncio.to_thread(spare.start)
            attempts = proxy.connections - before
            questions += [await say_after_restart(alice, room_id, text) for text in ("!info molly", "!list")]
            await assert_answered_once(alice.client, room_id, bot_account.user_id, [warm_up, *questions])
    finally:
        await proxy.close()
    retries = sum("sync failed" in record.getMessage() for record in caplog.records)
    print(f"\n{OUTAGE_S:g}s outage: {retries} sync retries, {attempts} connection attempts")
    # Backoff of 0.25-0.5, 0.5-1, 1-2, 2-4, 4-8, 4-8, ... s over ~33 s: about 9 syncs. aiohttp
    # itself tries an idempotent request once more on a fresh connection when one drops.
    assert 3 <= retries <= 12, f"{retries} sync attempts while the server was down"
    assert attempts <= 2 * retries + 4, f"{attempts} connection attempts for {retries} syncs"
    assert not error_records(caplog)


async def say_after_restart(alice: User, room_id: str, text: str) -> str:
    """Send a question, retrying while the client's pooled connection is stale."""
    for _ in range(5):
        try:
            sent = await alice.client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": text})
        except OSError:
            continue
        if isinstance(sent, RoomSendResponse):
            return str(sent.event_id)
        await asyncio.sleep(0.5)
    raise AssertionError(f"could not send {text!r} after the restart")


# -- rate limits -----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_rate_limited_answers_all_arrive_in_order_without_errors(
    spare: LocalSynapse, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    bot_account, alice_account = spare_account(spare, "recbot"), spare_account(spare, "alice")
    admin = spare_account(spare, "admin", admin=True)
    exempt_from_rate_limits(spare, admin, alice_account.user_id)
    spare.set_rate_limits(1.0, 2)
    try:
        async with running(bot_config(spare, bot_account, tmp_path / "bot")), user(spare, alice_account) as alice:
            room_id = await alice.create_room([bot_account.user_id])
            await alice.wait_joined(room_id, bot_account.user_id)
            questions = [await alice.say(room_id, text) for text, _ in QUESTIONS[:8]]
            events = await assert_answered_once(alice.client, room_id, bot_account.user_id, questions)
    finally:
        spare.set_rate_limits(None, None)
    order = [target for e in events if e.sender == bot_account.user_id and (target := reply_target(e))]
    assert order == questions, "replies out of order"
    assert "rate limited by the homeserver" in caplog.text, "the homeserver never rate-limited the bot"
    assert not error_records(caplog)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "rate limit" in r.getMessage()]


def reply_target(event: Any) -> str | None:
    relation = content_of(event).get("m.relates_to") or {}
    target = (relation.get("m.in_reply_to") or {}).get("event_id")
    return str(target) if target else None


def exempt_from_rate_limits(server: LocalSynapse, admin: Account, user_id: str) -> None:
    """Lift the message rate limit for ``user_id`` (Synapse admin API)."""
    request = urllib.request.Request(
        f"{server.base_url}/_synapse/admin/v1/users/{user_id}/override_ratelimit",
        data=json.dumps({"messages_per_second": 0, "burst_count": 0}).encode(),
        headers={"Authorization": f"Bearer {admin.token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


# -- load ------------------------------------------------------------------------------

USERS, QUESTIONS_PER_USER, ROOMS = 20, 10, 5


@pytest.mark.asyncio
async def test_load_twenty_users_five_rooms_all_answered_once_and_correctly(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    bot_account, host_account = account("recbot"), account("host")
    people = [account("user") for _ in range(USERS)]
    await set_display_name(synapse, bot_account, "recbot")
    config = bot_config(synapse, bot_account, tmp_path / "bot")
    tuning = replace(TEST_TUNING, timeline_limit=1)  # bursts make syncs limited: gaps are fetched
    async with running(config, tuning), user(synapse, host_account) as host:
        rooms = [
            await host.create_room([bot_account.user_id, *(p.user_id for p in people[r::ROOMS])]) for r in range(ROOMS)
        ]
        await wait_joined_all(host, rooms, bot_account.user_id)
        async with AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(user(synapse, person)) for person in people]
            await asyncio.gather(*(c.join(rooms[i % ROOMS]) for i, c in enumerate(clients)))
            arrivals = Arrivals(host, bot_account.user_id)
            watching = asyncio.create_task(arrivals.watch())
            asked = await asyncio.gather(*(ask_all(c, rooms[i % ROOMS], i) for i, c in enumerate(clients)))
            questions = {event_id: item for batch in asked for event_id, item in batch.items()}
            await arrivals.wait_for(set(questions), timeout=120)
            watching.cancel()
        for room_id in rooms:
            ours = [e for e, (room, _, _, _) in questions.items() if room == room_id]
            events = await assert_answered_once(host.client, room_id, bot_account.user_id, ours)
            for event in events:
                if event.sender == bot_account.user_id and (target := reply_target(event)):
                    _, _, text, expected = questions[target]
                    assert expected in event.body, f"the reply to {text!r} lacks {expected!r}"
    latencies = sorted(arrivals.seen[e] - sent for e, (_, sent, _, _) in questions.items())
    print(
        f"\nload: {len(questions)} questions, {USERS} users, {ROOMS} rooms: latency p50 "
        f"{percentile(latencies, 50) * 1000:.0f} ms, p99 {percentile(latencies, 99) * 1000:.0f} ms"
    )
    assert "event(s) the sync skipped" in caplog.text, "no sync was limited: the gap path was not exercised"
    assert not error_records(caplog)
    assert_no_secrets(caplog.text, bot_account.password)


async def wait_joined_all(observer: User, rooms: list[str], user_id: str) -> None:
    """Wait until ``user_id`` has joined every room in ``rooms``."""
    waiting = set(rooms)

    def joined(room_id: str, event: Any) -> bool:
        if has_joined(room_id, user_id)(room_id, event):
            waiting.discard(room_id)
        return not waiting

    assert await sync_until(observer.client, joined, 30) is not None, f"{user_id} did not join {waiting}"


async def ask_all(person: User, room_id: str, index: int) -> dict[str, tuple[str, float, str, str]]:
    """Send QUESTIONS_PER_USER questions without waiting for answers:
    event id -> (room, time sent, text, expected word)."""
    asked: dict[str, tuple[str, float, str, str]] = {}
    for n in range(QUESTIONS_PER_USER):
        text, expected = QUESTIONS[(index + n) % len(QUESTIONS)]
        sent = time.monotonic()
        asked[await person.say(room_id, f"{text} #u{index}q{n}")] = (room_id, sent, text, expected)
    return asked


class Arrivals:
    """When each reply from ``bot_id`` reached ``observer`` (by the question it answers)."""

    def __init__(self, observer: User, bot_id: str):
        self.observer = observer
        self.bot_id = bot_id
        self.seen: dict[str, float] = {}
        self._changed = asyncio.Event()

    async def watch(self) -> None:
        client = self.observer.client
        while True:
            response = await client.sync(timeout=1000, sync_filter={"room": {"timeline": {"limit": 500}}})
            now = time.monotonic()
            if not isinstance(response, SyncResponse):
                continue
            for info in response.rooms.join.values():
                for event in info.timeline.events:
                    if event.sender == self.bot_id and (target := reply_target(event)):
                        self.seen.setdefault(target, now)
            self._changed.set()

    async def wait_for(self, event_ids: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not event_ids <= self.seen.keys():
            assert time.monotonic() < deadline, f"{len(event_ids - self.seen.keys())} of {len(event_ids)} unanswered"
            self._changed.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 5)


def percentile(values: list[float], pct: float) -> float:
    """The ``pct``-th percentile of sorted ``values`` (nearest rank)."""
    return values[min(len(values) - 1, max(0, round(pct / 100 * len(values)) - 1))]


# -- hostile input -----------------------------------------------------------------------

_ZW_RTL = "\u200b\u200d\u2060\u202e\u2066"
#: (event type, content) pairs a hostile or broken client may send.
HOSTILE: tuple[tuple[str, dict[str, Any]], ...] = (
    ("m.room.message", {"msgtype": "m.text", "body": "!info signal " + "x" * 60_000}),
    ("m.room.message", {"msgtype": "m.text", "body": "signal " * 8_000}),
    ("m.room.message", {"msgtype": "m.text", "body": "<script>alert(1)</script><img src=x onerror=alert(2)> briar?"}),
    (
        "m.room.message",
        {
            "msgtype": "m.text",
            "body": "!info <b>briar</b>",
            "format": "org.matrix.custom.html",
            "formatted_body": "<a href='javascript:alert(1)'>x</a><script>alert(1)</script>",
        },
    ),
    ("m.room.message", {"msgtype": "m.text", "body": "!info molly", "formatted_body": {"not": "a string"}}),
    ("m.room.message", {"msgtype": "m.text", "formatted_body": "<b>no body</b>"}),
    ("m.room.message", {"msgtype": "m.text", "body": ["!info", "signal"]}),
    ("m.room.message", {"msgtype": "m.text", "body": 42}),
    ("m.room.message", {"msgtype": "m.text", "body": None}),
    ("m.room.message", {"msgtype": ["m.text"], "body": "!help"}),
    ("m.room.message", {"body": "!help"}),
    ("m.room.message", {"msgtype": "m.text", "body": f"!info s{_ZW_RTL}ignal\u202e"}),
    ("m.room.message", {"msgtype": "m.text", "body": "!info \u0455ignal \u0431riar"}),  # Cyrillic homoglyphs
    ("m.room.message", {"msgtype": "m.text", "body": "!compare " + "signal briar molly " * 300}),
    ("m.room.message", {"msgtype": "m.text", "body": "!info signal", "m.relates_to": "not an object"}),
    ("m.room.message", {"msgtype": "m.text", "body": "!info briar", "m.mentions": ["@everyone"]}),
    (
        "m.room.message",
        {"msgtype": "m.text", "body": "!info briar", "m.relates_to": {"rel_type": "m.thread", "event_id": 7}},
    ),
    ("m.room.message", {"msgtype": "m.weird", "body": {"nested": ["!help"]}}),
    ("org.example.custom", {"body": "!help", "msgtype": "m.text"}),
    ("m.reaction", {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$nope", "key": "👍"}}),
)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
@pytest.mark.asyncio
async def test_hostile_input_neither_crashes_nor_reflects_html(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path, caplog: pytest.LogCaptureFixture, encrypted: bool
) -> None:
    """Synapse refuses malformed m.room.message content in plain rooms; in an encrypted
    room it cannot look, so there every one of them reaches the bot."""
    caplog.set_level(logging.INFO, logger="bot")
    bot_account, alice_account = account("recbot"), account("alice")
    store = tmp_path / "alice-store" if encrypted else None
    async with (
        running(bot_config(synapse, bot_account, tmp_path / "bot")),
        user(synapse, alice_account, store) as alice,
    ):
        room_id = await alice.create_room([bot_account.user_id], encrypted=encrypted)  # a DM: all text counts
        await alice.wait_joined(room_id, bot_account.user_id)
        refused = []
        for event_type, content in HOSTILE:
            sent = await alice.client.room_send(room_id, event_type, content, ignore_unverified_devices=True)
            if not isinstance(sent, RoomSendResponse):
                refused.append(f"{event_type} {str(content)[:60]}: {sent.message}")
        probe = await alice.say(room_id, "!criteria molly")  # not asked before: no duplicate pointer
        reply = await alice.reply_to(probe, bot_account.user_id)
        assert reply is not None, "the bot stopped answering after hostile input"
        assert "Molly" in reply.body
        await asyncio.sleep(QUIET_S)
        events = await timeline(alice.client, room_id)
    if encrypted:  # encrypting the 60 kB ones makes them too large; nothing else is refused
        assert all("too large" in why or "unknown event" in why for why in refused), refused
    replies = [e for e in events if e.sender == bot_account.user_id and reply_target(e)]
    assert len(replies) >= 5, "hardly any hostile question was answered at all"
    for event in replies:
        content = content_of(event)
        formatted = content["formatted_body"].lower()
        for raw in ("<script", "<img", "onerror=", "javascript:", "<b>briar</b>", "<b>no body"):
            assert raw not in formatted, f"reflected {raw!r}"
        assert len(content["body"].encode()) <= MAX_BYTES and len(content["formatted_body"].encode()) <= MAX_BYTES
    assert not error_records(caplog)


# -- storage -----------------------------------------------------------------------------


def run_bot_briefly(tmp_path: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """``recbot run`` with a config whose homeserver is never reached (storage fails first)."""
    bot = Account("@recbot:localhost", "unused-password", "")
    config = write_config(tmp_path / "config.yaml", "http://127.0.0.1:9", bot, data_dir)
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        env={"RECBOT_PASSWORD": bot.password, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def make_database(data_dir: Path) -> Path:
    store = await Storage.open(data_dir)
    await store.save_sync_token("s1")
    await store.close()
    return data_dir / DB_NAME


def corrupt_pages(path: Path) -> None:
    """Overwrite everything after the header page with garbage."""
    page = 4096
    data = path.read_bytes()
    path.write_bytes(data[:page] + b"\xa5" * max(len(data) - page, 3 * page))


@pytest.mark.parametrize("damage", ["not_a_database", "malformed", "newer_version"])
@pytest.mark.asyncio
async def test_unusable_database_is_a_one_line_error_at_start(tmp_path: Path, damage: str) -> None:
    data_dir = tmp_path / "data"
    path = await make_database(data_dir)
    if damage == "not_a_database":
        path.write_bytes(b"this is not a database" * 100)
    elif damage == "malformed":
        corrupt_pages(path)
    else:
        with sqlite3.connect(path) as db:
            db.execute("UPDATE schema_version SET version = 99")
    result = run_bot_briefly(tmp_path, data_dir)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 1, output
    errors = [line for line in output.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and str(path) in errors[0], output
    assert "Traceback" not in output
    expected = "newer recbot" if damage == "newer_version" else "not a usable SQLite database"
    assert expected in errors[0]


# -- metrics and health ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.asyncio
async def test_metrics_endpoint_counts_an_answer_and_reports_health(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    bot_account, alice_account = account("recbot"), account("alice")
    base: Config = bot_config(synapse, bot_account, tmp_path / "bot")
    port = free_port()
    config = replace(base, metrics=MetricsConfig(enabled=True, host="127.0.0.1", port=port))
    async with running(config) as bot, user(synapse, alice_account) as alice:
        room_id = await alice.create_room([bot_account.user_id])
        await alice.wait_joined(room_id, bot_account.user_id)
        question = await alice.say(room_id, "!info signal")
        assert await alice.reply_to(question, bot_account.user_id) is not None
        # The answer is counted just after it is sent: give the bot a moment to get there.
        for _ in range(50):
            status, text = await asyncio.to_thread(fetch, f"http://127.0.0.1:{port}/metrics")
            if 'recbot_answers_total{intent="card"} 1.0' in text:
                break
            await asyncio.sleep(0.1)
        health, body = await asyncio.to_thread(fetch, f"http://127.0.0.1:{port}/health")
        version = bot.engine.kb.version
    assert status == 200
    assert 'recbot_answers_total{intent="card"} 1.0' in text
    assert "recbot_questions_total 1.0" in text
    assert "recbot_answer_latency_seconds_count 1.0" in text
    assert f'recbot_knowledge_info{{version="{version}"}} 1.0' in text
    assert health == 200 and json.loads(body)["healthy"] is True
    with pytest.raises(OSError):  # the endpoint stops with the bot
        await asyncio.to_thread(fetch, f"http://127.0.0.1:{port}/health")
