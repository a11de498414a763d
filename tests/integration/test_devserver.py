"""Smoke tests of bot.devserver's local Synapse, driven by a real matrix-nio client."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from nio import (
    AsyncClient,
    JoinResponse,
    LoginResponse,
    RoomCreateResponse,
    RoomInviteResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

from bot.devserver import DevServerError, LocalSynapse

from .conftest import NewUser


@asynccontextmanager
async def logged_in(
    server: LocalSynapse, user_id: str, password: str
) -> AsyncIterator[AsyncClient]:
    """A nio client logged in with ``password``; closed on exit."""
    client = AsyncClient(server.base_url, user_id)
    try:
        login = await client.login(password, device_name="devserver-test")
        assert isinstance(login, LoginResponse), login
        yield client
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_message_reaches_invited_user(
    synapse: LocalSynapse, new_user: NewUser
) -> None:
    alice_id, alice_pw, _ = new_user("alice")
    bob_id, bob_pw, _ = new_user("bob")
    async with (
        logged_in(synapse, alice_id, alice_pw) as alice,
        logged_in(synapse, bob_id, bob_pw) as bob,
    ):
        created = await alice.room_create(name="smoke")
        assert isinstance(created, RoomCreateResponse), created
        room_id = created.room_id
        assert isinstance(await alice.room_invite(room_id, bob_id), RoomInviteResponse)
        assert isinstance(await bob.join(room_id), JoinResponse)
        first = await bob.sync(timeout=0)
        assert isinstance(first, SyncResponse), first

        body = f"hello {secrets.token_hex(4)}"
        content = {"msgtype": "m.text", "body": body}
        sent = await alice.room_send(room_id, "m.room.message", content)
        assert isinstance(sent, RoomSendResponse), sent

        async def receive() -> RoomMessageText:
            while True:
                resp = await bob.sync(timeout=5_000)
                assert isinstance(resp, SyncResponse), resp
                room = resp.rooms.join.get(room_id)
                for event in room.timeline.events if room else []:
                    if isinstance(event, RoomMessageText) and event.body == body:
                        return event

        event = await asyncio.wait_for(receive(), timeout=20)
        assert event.sender == alice_id
        assert event.event_id == sent.event_id


@pytest.mark.asyncio
async def test_restart_keeps_port_and_data(
    synapse: LocalSynapse, new_user: NewUser
) -> None:
    user_id, password, _ = new_user("restart")
    url = synapse.base_url
    synapse.stop()
    assert not synapse.running
    synapse.start()
    assert synapse.base_url == url
    async with logged_in(synapse, user_id, password) as client:
        assert client.user_id == user_id


def test_start_refuses_busy_port(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        server = LocalSynapse(tmp_path, port=sock.getsockname()[1])
        with pytest.raises(DevServerError, match="already in use"):
            server.start()


def test_start_reports_early_exit_with_log(tmp_path: Path) -> None:
    server = LocalSynapse(tmp_path, server_name="not a server name")
    with pytest.raises(DevServerError, match="exited with code") as info:
        server.start()
    assert "Server name 'not a server name' has an invalid format" in str(info.value)
    assert not server.running


def test_missing_synapse_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(DevServerError, match=r"pip install 'recbot\[synapse\]'"):
        LocalSynapse(tmp_path).start()
