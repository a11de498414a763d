"""`recbot demo`: the bot on a throwaway local Synapse, asked a few questions.

Starts a LocalSynapse on 127.0.0.1, registers the bot and a demo user, runs the bot
in-process (the same ``Bot`` as ``recbot run``), and as the demo user opens a room
with the bot and prints questions and answers. With ``--keep`` everything stays up
for a real Matrix client until Ctrl-C. The user-side helpers here
(:func:`sync_until`, :func:`is_reply_to`, :func:`start_bot`) are shared with the
integration tests.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import os
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    LoginResponse,
    RoomCreateResponse,
    RoomMemberEvent,
    RoomSendResponse,
    SyncResponse,
)

from knowledge.engine import Engine

from .app import LOG_FORMAT, load_checked
from .config import ConfigError
from .devserver import DevServerError, LocalSynapse
from .matrix_bot import Bot
from .session import LoginError, crypto_housekeeping
from .storage import StorageError

QUESTIONS = (
    "!info signal",
    "Welke messenger heeft geen telefoonnummer nodig?",
    "signal vs session",
    "!help",
)
REPLY_TIMEOUT_S = 30.0
Predicate = Callable[[str, Any], bool]


# -- shared user-side helpers ------------------------------------------------------------


async def sync_until(client: AsyncClient, predicate: Predicate, timeout: float) -> Any | None:
    """Sync ``client`` until a timeline event satisfies ``predicate(room_id, event)``;
    return it, or None when ``timeout`` seconds pass. Keeps the client's keys in order."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (remaining := deadline - loop.time()) > 0:
        response = await client.sync(timeout=max(int(min(remaining, 1.0) * 1000), 1))
        await crypto_housekeeping(client)
        if not isinstance(response, SyncResponse):
            continue
        for room_id, info in response.rooms.join.items():
            for event in info.timeline.events:
                if predicate(room_id, event):
                    return event
    return None


def is_reply_to(event_id: str, sender: str) -> Predicate:
    """Matches a message from ``sender`` that replies to ``event_id``."""

    def match(_room_id: str, event: Any) -> bool:
        content = event.source.get("content", {})
        relation = content.get("m.relates_to") or {}
        return event.sender == sender and (relation.get("m.in_reply_to") or {}).get("event_id") == event_id

    return match


def has_joined(room_id: str, user_id: str) -> Predicate:
    """Matches ``user_id``'s join event in ``room_id``."""

    def match(event_room_id: str, event: Any) -> bool:
        return (
            event_room_id == room_id
            and isinstance(event, RoomMemberEvent)
            and event.state_key == user_id
            and event.membership == "join"
        )

    return match


async def start_bot(bot: Bot, timeout: float = 60.0) -> asyncio.Task[None]:
    """Run ``bot`` as a task and wait until it listens; its failure is raised here."""
    task = asyncio.create_task(bot.run())
    ready = asyncio.create_task(bot.ready.wait())
    await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    ready.cancel()
    if task.done():
        task.result()  # raises the reason it stopped
        raise RuntimeError("the bot stopped before it was ready")
    if not bot.ready.is_set():
        bot.shutdown()
        await task
        raise TimeoutError(f"the bot was not ready within {timeout:g}s")
    return task


# -- the demo ------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo; 0 on success, 1 if the homeserver or bot could not be set up."""
    if importlib.util.find_spec("synapse") is None:
        print("matrix-synapse is not installed: pip install 'recbot[synapse]'", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
    base = Path(args.dir).resolve() if args.dir else Path(tempfile.mkdtemp(prefix="recbot-demo-"))
    server = LocalSynapse(base / "synapse")
    try:
        print(f"Starting a local Synapse in {base} …", flush=True)
        server.start()
        accounts = _accounts(server, base)
        config, kb = load_checked(str(_write_config(base, server, accounts)))
        return asyncio.run(_demo(Bot(config, Engine(kb)), server, accounts, keep=args.keep))
    except (DevServerError, ConfigError, LoginError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        server.stop()
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)


def _accounts(server: LocalSynapse, base: Path) -> dict[str, dict[str, str]]:
    """The bot and demo accounts: registered on the first run, read back afterwards."""
    path = base / "accounts.json"
    if path.exists():
        accounts: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        return accounts
    accounts = {}
    for role, localpart in (("bot", "recbot"), ("user", "demo")):
        password = secrets.token_urlsafe(12)
        user_id, _ = server.register_user(localpart, password)
        accounts[role] = {"user_id": user_id, "password": password}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(accounts, fh, indent=2)
    return accounts


def _write_config(base: Path, server: LocalSynapse, accounts: dict[str, dict[str, str]]) -> Path:
    """A config.yaml for the bot on ``server`` (JSON is valid YAML)."""
    config = {
        "matrix": {
            "homeserver": server.base_url,
            "user_id": accounts["bot"]["user_id"],
            "password": accounts["bot"]["password"],
            "device_id": "RECBOT",
        },
        "storage": {"data_dir": str(base / "bot-data")},
    }
    path = base / "config.yaml"
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


async def _demo(bot: Bot, server: LocalSynapse, accounts: dict[str, dict[str, str]], *, keep: bool) -> int:
    """Start the bot, talk to it as the demo user, then stop (or wait for Ctrl-C)."""
    user = accounts["user"]
    client = AsyncClient(server.base_url, user["user_id"])
    bot_task = await start_bot(bot)
    try:
        login = await client.login(user["password"], device_name="recbot demo")
        if not isinstance(login, LoginResponse):
            print(f"error: demo user login failed: {login}", file=sys.stderr)
            return 1
        room_id = await _open_room(client, bot.client.user_id)
        for question in QUESTIONS:
            await _ask(client, room_id, question, bot.client.user_id)
        if keep:
            _print_login_help(server, user, bot.client.user_id)
            await _wait_for_interrupt()
        return 0
    finally:
        bot.shutdown()
        await bot_task
        await client.close()


async def _open_room(client: AsyncClient, bot_id: str) -> str:
    """Create a room, invite the bot and wait until it has joined."""
    await client.sync(timeout=0)
    created = await client.room_create(name="recbot demo", invite=[bot_id])
    if not isinstance(created, RoomCreateResponse):
        raise DevServerError(f"could not create the demo room: {created}")
    if await sync_until(client, has_joined(created.room_id, bot_id), REPLY_TIMEOUT_S) is None:
        raise DevServerError("the bot did not join the demo room")
    return str(created.room_id)


async def _ask(client: AsyncClient, room_id: str, question: str, bot_id: str) -> None:
    """Send ``question`` and print it with the bot's answer."""
    print(f"\n>>> {question}", flush=True)
    sent = await client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": question})
    if not isinstance(sent, RoomSendResponse):
        print(f"(could not send: {sent})")
        return
    reply = await sync_until(client, is_reply_to(sent.event_id, bot_id), REPLY_TIMEOUT_S)
    print(reply.body if reply is not None else "(no answer)", flush=True)


def _print_login_help(server: LocalSynapse, user: dict[str, str], bot_id: str) -> None:
    print(
        "\nThe homeserver and the bot keep running. Log in with any Matrix client"
        " (e.g. Element: edit the homeserver) using:\n"
        f"  homeserver: {server.base_url}\n"
        f"  user:       {user['user_id']}\n"
        f"  password:   {user['password']}\n"
        f'Then use the room "recbot demo" or start a chat with {bot_id}.\n'
        "Press Ctrl-C to stop.",
        flush=True,
    )


async def _wait_for_interrupt() -> None:
    """Wait for Ctrl-C or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
