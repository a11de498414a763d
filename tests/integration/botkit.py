"""Helpers for the bot's integration tests: run a Bot in-process, talk to it as a user."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    LoginResponse,
    ProfileSetDisplayNameResponse,
    RoomCreateResponse,
    RoomSendResponse,
    SyncResponse,
)
from nio.store import SqliteStore

from bot.config import Config, parse_config
from bot.demo import has_joined, is_reply_to, start_bot, sync_until
from bot.devserver import LocalSynapse
from bot.matrix_bot import Bot, Tuning
from knowledge.engine import Engine
from knowledge.loading import load_sources

REPLY_TIMEOUT_S = 20.0
#: How long "no reply" is waited for (after a later question was answered).
QUIET_S = 1.5
#: Faster than production where it does not change behaviour.
TEST_TUNING = Tuning(sync_timeout_ms=5_000, decrypt_grace_s=5.0, shutdown_grace_s=5.0, backoff_cap_s=2.0)


@functools.cache
def bundled_engine() -> Engine:
    """One engine over the bundled pack for the whole session."""
    return Engine(load_sources([]))


@dataclass(frozen=True)
class Account:
    user_id: str
    password: str
    token: str


def bot_config(server: LocalSynapse, account: Account, data_dir: Path, **bot: Any) -> Config:
    """A validated config for ``account`` (password login) with ``bot`` section overrides."""
    return parse_config(
        {
            "matrix": {"homeserver": server.base_url, "user_id": account.user_id, "password": account.password},
            "storage": {"data_dir": str(data_dir)},
            "bot": bot,
            "limits": {"user_per_minute": 0, "room_per_minute": 0},
        },
        env={},
    )


@asynccontextmanager
async def running(config: Config, tuning: Tuning = TEST_TUNING, engine: Engine | None = None) -> AsyncIterator[Bot]:
    """A Bot started the way ``recbot run`` starts it (over its configured knowledge
    sources, the shared bundled engine when none; or over ``engine``), shut down on exit."""
    sources = list(config.knowledge.sources)
    if engine is None:
        engine = Engine(load_sources(sources)) if sources else bundled_engine()
    bot = Bot(config, engine, tuning)
    task = await start_bot(bot)
    try:
        yield bot
    finally:
        bot.shutdown()
        await asyncio.wait_for(task, 30)


@asynccontextmanager
async def user(server: LocalSynapse, account: Account, store: Path | None = None) -> AsyncIterator[User]:
    """A logged-in user (with end-to-end encryption if ``store`` is given)."""
    if store is None:
        config = AsyncClientConfig(encryption_enabled=False)
    else:
        config = AsyncClientConfig(encryption_enabled=True, store=SqliteStore)
        store.mkdir(parents=True, exist_ok=True)
    client = AsyncClient(server.base_url, account.user_id, store_path=str(store or ""), config=config)
    try:
        login = await client.login(account.password, device_name="test")
        assert isinstance(login, LoginResponse), login
        first = await client.sync(timeout=0)
        assert isinstance(first, SyncResponse), first
        yield User(client)
    finally:
        await client.close()


class User:
    """A person talking to the bot through a nio client."""

    def __init__(self, client: AsyncClient):
        self.client = client

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    async def create_room(self, invite: list[str], *, encrypted: bool = False, name: str = "test") -> str:
        state = [{"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]
        created = await self.client.room_create(name=name, invite=invite, initial_state=state if encrypted else ())
        assert isinstance(created, RoomCreateResponse), created
        return str(created.room_id)

    async def join(self, room_id: str) -> None:
        assert isinstance(await self.client.join(room_id), JoinResponse)

    async def wait_joined(self, room_id: str, user_id: str) -> None:
        event = await sync_until(self.client, has_joined(room_id, user_id), REPLY_TIMEOUT_S)
        assert event is not None, f"{user_id} did not join {room_id}"

    async def say(self, room_id: str, body: str, **extra: Any) -> str:
        """Send an m.text message; its event id."""
        content = {"msgtype": "m.text", "body": body, **extra}
        sent = await self.client.room_send(room_id, "m.room.message", content, ignore_unverified_devices=True)
        assert isinstance(sent, RoomSendResponse), sent
        return str(sent.event_id)

    async def reply_to(self, event_id: str, bot_id: str, timeout: float = REPLY_TIMEOUT_S) -> Any | None:
        """The bot's reply to ``event_id``, or None if none comes within ``timeout``."""
        return await sync_until(self.client, is_reply_to(event_id, bot_id), timeout)

    async def replies(self, bot_id: str, timeout: float) -> list[Any]:
        """Every message from the bot arriving within ``timeout`` seconds."""
        seen: list[Any] = []

        def collect(_room_id: str, event: Any) -> bool:
            if event.sender == bot_id:
                seen.append(event)
            return False

        await sync_until(self.client, collect, timeout)
        return seen


def content_of(event: Any) -> dict[str, Any]:
    content: dict[str, Any] = event.source["content"]
    return content


async def set_display_name(server: LocalSynapse, account: Account, name: str) -> None:
    """Give ``account`` a display name (using its registration token)."""
    client = AsyncClient(server.base_url, account.user_id)
    client.user_id, client.access_token = account.user_id, account.token
    try:
        response = await client.set_displayname(name)
        assert isinstance(response, ProfileSetDisplayNameResponse), response
    finally:
        await client.close()


@dataclass
class Group:
    bot: Bot
    alice: User
    room_id: str
    carol: User | None = None  # the third member of a group room

    @property
    def bot_id(self) -> str:
        return str(self.bot.client.user_id)


@asynccontextmanager
async def group_room(synapse: LocalSynapse, account: Callable[[str], Account], tmp_path: Path) -> AsyncIterator[Group]:
    """A running bot named "recbot" in a room with alice and carol (not a DM)."""
    bot_account, alice_account, carol_account = account("recbot"), account("alice"), account("carol")
    await set_display_name(synapse, bot_account, "recbot")
    async with (
        running(bot_config(synapse, bot_account, tmp_path / "bot")) as bot,
        user(synapse, alice_account) as alice,
        user(synapse, carol_account) as carol,
    ):
        room_id = await alice.create_room([bot_account.user_id, carol_account.user_id])
        await carol.join(room_id)
        await alice.wait_joined(room_id, bot_account.user_id)
        yield Group(bot, alice, room_id, carol)


@asynccontextmanager
async def dm_room(
    synapse: LocalSynapse, account: Callable[[str], Account], tmp_path: Path, store: Path | None = None
) -> AsyncIterator[Group]:
    """A running bot in a room with alice only (a DM); encrypted if ``store`` is given."""
    bot_account, alice_account = account("recbot"), account("alice")
    async with (
        running(bot_config(synapse, bot_account, tmp_path / "bot")) as bot,
        user(synapse, alice_account, store) as alice,
    ):
        room_id = await alice.create_room([bot_account.user_id], encrypted=store is not None)
        await alice.wait_joined(room_id, bot_account.user_id)
        yield Group(bot, alice, room_id)
