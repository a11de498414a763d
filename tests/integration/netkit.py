"""Test-side plumbing for the reliability tests: a counting TCP proxy in front of the
homeserver, ``recbot run`` as a subprocess (and its config file), and reading a room's
whole timeline."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from nio import AsyncClient, MessageDirection, RoomMessagesResponse

from bot.devserver import LocalSynapse

from .botkit import Account, User, user

#: Bytes copied per read by the proxy.
_CHUNK = 65536


class CountingProxy:
    """A TCP proxy on 127.0.0.1 in front of ``upstream_port``. It counts the connections
    it accepts and, while blocked, closes them at once (an unreachable homeserver)."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.connections = 0
        self.blocked = False
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        assert self._server is not None, "the proxy is not started"
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def close(self) -> None:
        self.block()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def block(self) -> None:
        """Drop every open connection and refuse service until :meth:`unblock`."""
        self.blocked = True
        for writer in list(self._open):
            writer.close()

    def unblock(self) -> None:
        self.blocked = False

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.blocked:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        self._open.update((writer, up_writer))
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self._open.difference_update((writer, up_writer))
            writer.close()
            up_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy ``reader`` to ``writer`` until either side closes."""
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


class BotProcess:
    """``recbot run --config PATH`` as a child process, its output collected line by line."""

    def __init__(self, config: Path, password: str):
        self.config = config
        self.env = {**os.environ, "RECBOT_PASSWORD": password}
        self.lines: list[str] = []
        self.proc: subprocess.Popen[str] | None = None
        self._first_line = 0

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def start(self) -> None:
        self._first_line = len(self.lines)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(self.config)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._collect, args=(self.proc,), daemon=True).start()

    async def wait_for(self, text: str, timeout: float = 60.0) -> None:
        """Wait until this run printed a line containing ``text`` (fail if it exits first)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not any(text in line for line in self.lines[self._first_line :]):
            assert self.proc is not None and self.proc.poll() is None, f"recbot exited:\n{self.output}"
            assert loop.time() < deadline, f"no {text!r} within {timeout:g}s:\n{self.output}"
            await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> int:
        """SIGTERM and wait; the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def _collect(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.append(line)


async def timeline(client: AsyncClient, room_id: str) -> list[Any]:
    """Every event of ``room_id`` the client can see, oldest first (paginated back)."""
    events: list[Any] = []
    token: str | None = None
    while True:
        response = await client.room_messages(room_id, start=token, direction=MessageDirection.back, limit=100)
        assert isinstance(response, RoomMessagesResponse), response
        events.extend(response.chunk)
        if not response.chunk or not response.end or response.end == token:
            return events[::-1]
        token = response.end


def replied_to(event: Any) -> str | None:
    """The event id ``event`` replies to (``m.in_reply_to``), if any."""
    content = getattr(event, "source", {}).get("content") or {}
    relation = content.get("m.relates_to") if isinstance(content, dict) else None
    in_reply_to = relation.get("m.in_reply_to") if isinstance(relation, dict) else None
    return in_reply_to.get("event_id") if isinstance(in_reply_to, dict) else None


def reply_counts(events: list[Any], bot_id: str) -> collections.Counter[str]:
    """How many replies from ``bot_id`` each event id has in ``events``."""
    return collections.Counter(
        target for event in events if getattr(event, "sender", None) == bot_id and (target := replied_to(event))
    )


async def replied(client: Any, room_id: str, bot_id: str, event_ids: list[str], timeout: float = 30.0) -> None:
    """Wait until each of ``event_ids`` has a reply from ``bot_id`` in the timeline."""
    deadline = time.monotonic() + timeout
    while True:
        counts = reply_counts(await timeline(client, room_id), bot_id)
        missing = [event_id for event_id in event_ids if not counts[event_id]]
        if not missing:
            return
        assert time.monotonic() < deadline, f"{len(missing)} of {len(event_ids)} question(s) unanswered"
        await asyncio.sleep(0.5)


def write_config(path: Path, homeserver: str, bot: Account, data_dir: Path, **sections: Any) -> Path:
    """A config file for ``recbot run`` (JSON is YAML); the password comes from the env."""
    config = {
        "matrix": {"homeserver": homeserver, "user_id": bot.user_id},
        "storage": {"data_dir": str(data_dir)},
        "limits": {"user_per_minute": 0, "room_per_minute": 0},
        **sections,
    }
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@asynccontextmanager
async def process_dm(
    synapse: LocalSynapse, config: Path, bot: Account, person: Account
) -> AsyncIterator[tuple[BotProcess, User, str]]:
    """``recbot run`` for ``bot`` in a DM with ``person`` (logged in); stopped on exit."""
    process = BotProcess(config, bot.password)
    process.start()
    try:
        async with user(synapse, person) as client:
            await process.wait_for("ready: listening")
            room_id = await client.create_room([bot.user_id])
            await client.wait_joined(room_id, bot.user_id)
            yield process, client, room_id
    finally:
        process.stop()


async def kill_and_restart(process: BotProcess, times: int = 2) -> None:
    """SIGKILL the bot a second into its work, ``times`` times, restarting it after half a
    second each time (what arrives meanwhile must still be handled once)."""
    for _ in range(times):
        await asyncio.sleep(1.0)
        process.kill()
        await asyncio.sleep(0.5)
        process.start()
        await process.wait_for("ready: listening")
