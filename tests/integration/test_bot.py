"""The bot against a real local Synapse, driven by matrix-nio clients as users.

Each test runs its own bot account in-process (the code path of ``recbot run``)
and talks to it in rooms made for the test.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import signal
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from nio import RoomMemberEvent, RoomMessageNotice

from bot import demo
from bot.demo import sync_until
from bot.devserver import LocalSynapse
from bot.matrix_bot import Bot
from bot.session import LoginError
from bot.storage import Storage

from .botkit import (
    QUIET_S,
    TEST_TUNING,
    dm_room,
    group_room,
    bot_config,
    content_of,
    running,
    user,
)
from .conftest import MakeAccount



def assert_reply_shape(event: object, question_id: str) -> None:
    """An m.notice replying to ``question_id`` with HTML and without pings."""
    assert isinstance(event, RoomMessageNotice), event
    content = content_of(event)
    assert content["m.relates_to"]["m.in_reply_to"]["event_id"] == question_id
    assert content["m.mentions"] == {}
    assert content["format"] == "org.matrix.custom.html" and content["formatted_body"]


@pytest.mark.asyncio
async def test_prefix_command_is_answered_with_a_reply_notice(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    async with group_room(synapse, account, tmp_path) as group:
        question = await group.alice.say(group.room_id, "!info signal")
        reply = await group.alice.reply_to(question, group.bot_id)
        assert reply is not None, "no reply to !info signal"
        assert_reply_shape(reply, question)
        assert "Signal" in reply.body and "Signal" in content_of(reply)["formatted_body"]


@pytest.mark.asyncio
async def test_slash_command_and_mention_are_answered(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    async with group_room(synapse, account, tmp_path) as group:
        slash = await group.alice.say(group.room_id, "/help")
        reply = await group.alice.reply_to(slash, group.bot_id)
        assert reply is not None, "no reply to /help"
        assert "!help" in reply.body

        mention = await group.alice.say(group.room_id, "recbot: what is briar?")
        reply = await group.alice.reply_to(mention, group.bot_id)
        assert reply is not None, "no reply to a mention"
        assert_reply_shape(reply, mention)
        assert "Briar" in reply.body


@pytest.mark.asyncio
async def test_group_chatter_is_ignored(synapse: LocalSynapse, account: MakeAccount, tmp_path: Path) -> None:
    async with group_room(synapse, account, tmp_path) as group:
        chatter = await group.alice.say(group.room_id, "hallo allemaal")
        nonsense = await group.alice.say(group.room_id, "!qwerty asdf zxcv")
        probe = await group.alice.say(group.room_id, "!help")
        assert await group.alice.reply_to(probe, group.bot_id) is not None
        late = await group.alice.replies(group.bot_id, QUIET_S)
        answered = {content_of(e)["m.relates_to"]["m.in_reply_to"]["event_id"] for e in late}
        assert chatter not in answered and nonsense not in answered and not late


@pytest.mark.asyncio
async def test_thread_question_is_answered_in_the_thread(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    async with group_room(synapse, account, tmp_path) as group:
        root = await group.alice.say(group.room_id, "messengers, anyone?")
        question = await group.alice.say(
            group.room_id,
            "!info molly",
            **{
                "m.relates_to": {
                    "rel_type": "m.thread",
                    "event_id": root,
                    "is_falling_back": True,
                    "m.in_reply_to": {"event_id": root},
                }
            },
        )
        reply = await group.alice.reply_to(question, group.bot_id)
        assert reply is not None, "no reply in the thread"
        relation = content_of(reply)["m.relates_to"]
        assert relation["rel_type"] == "m.thread" and relation["event_id"] == root
        assert relation["is_falling_back"] is False


@pytest.mark.asyncio
async def test_dm_question_is_answered_and_nonsense_gets_the_help_pointer(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    async with dm_room(synapse, account, tmp_path) as dm:
        question = await dm.alice.say(dm.room_id, "what is briar?")
        reply = await dm.alice.reply_to(question, dm.bot_id)
        assert reply is not None, "no reply in the DM"
        assert_reply_shape(reply, question)
        assert "Briar" in reply.body

        nonsense = await dm.alice.say(dm.room_id, "qwerty asdf zxcv")
        pointer = await dm.alice.reply_to(nonsense, dm.bot_id)
        assert pointer is not None, "no help pointer for nonsense in a DM"
        assert "!help" in pointer.body


@pytest.mark.asyncio
async def test_html_in_a_question_is_escaped(synapse: LocalSynapse, account: MakeAccount, tmp_path: Path) -> None:
    async with dm_room(synapse, account, tmp_path) as dm:
        question = await dm.alice.say(dm.room_id, "!info <script>alert(1)</script>")
        reply = await dm.alice.reply_to(question, dm.bot_id)
        assert reply is not None
        formatted = content_of(reply)["formatted_body"]
        assert "<script" not in formatted.lower()


@pytest.mark.asyncio
async def test_encrypted_room(synapse: LocalSynapse, account: MakeAccount, tmp_path: Path) -> None:
    async with dm_room(synapse, account, tmp_path, store=tmp_path / "alice-store") as dm:
        assert dm.alice.client.rooms[dm.room_id].encrypted
        question = await dm.alice.say(dm.room_id, "!info signal")
        reply = await dm.alice.reply_to(question, dm.bot_id)
        assert reply is not None, "no (decryptable) reply in the encrypted room"
        assert reply.decrypted, "the reply was not encrypted"
        assert_reply_shape(reply, question)
        assert "Signal" in reply.body


@pytest.mark.asyncio
async def test_undecryptable_message_is_dropped_silently(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.matrix_bot")
    async with dm_room(synapse, account, tmp_path, store=tmp_path / "alice-store") as dm:
        await sync_until(dm.alice.client, lambda _room, _event: False, 0.5)  # learn the bot's device
        bot_device = dm.alice.client.device_store[dm.bot_id][str(dm.bot.client.device_id)]
        dm.alice.client.blacklist_device(bot_device)  # the bot never gets this message's key
        secret = await dm.alice.say(dm.room_id, "!info signal")
        assert await dm.alice.reply_to(secret, dm.bot_id, TEST_TUNING.decrypt_grace_s + 2) is None
        assert not await dm.alice.replies(dm.bot_id, QUIET_S), "the bot said something about the message"
        assert f"no key arrived for event {secret}" in caplog.text


@pytest.mark.asyncio
async def test_restart_neither_repeats_nor_loses_answers(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.matrix_bot")
    bot_account, alice_account = account("recbot"), account("alice")
    config = bot_config(synapse, bot_account, tmp_path / "bot")
    # A small timeline limit makes the catch-up sync "limited", so the gap is fetched.
    tuning = replace(TEST_TUNING, timeline_limit=3, gap_page_size=2)
    async with user(synapse, alice_account) as alice:
        async with running(config, tuning) as bot:
            room_id = await alice.create_room([bot_account.user_id])
            await alice.wait_joined(room_id, bot_account.user_id)
            first = await alice.say(room_id, "!info signal")
            assert await alice.reply_to(first, bot_account.user_id) is not None
            token = bot.client.access_token

        # In a DM every message is answered (chatter with the help pointer).
        while_down = [await alice.say(room_id, text) for text in ("!info briar", "ok", "!info molly", "hm", "!help")]

        async with running(config, tuning) as bot:
            assert bot.client.access_token == token, "logged in again instead of restoring the session"
            assert bot.client.device_id == "RECBOT"
            replies = await alice.replies(bot_account.user_id, 8.0)
    answered = [content_of(e)["m.relates_to"]["m.in_reply_to"]["event_id"] for e in replies]
    assert sorted(answered) == sorted(while_down), "each message sent while down is answered exactly once"
    assert first not in answered
    assert "event(s) the sync skipped" in caplog.text, "the catch-up sync was not limited; no gap was fetched"


@pytest.mark.asyncio
async def test_first_start_does_not_answer_history(synapse: LocalSynapse, account: MakeAccount, tmp_path: Path) -> None:
    bot_account, alice_account = account("recbot"), account("alice")
    async with user(synapse, alice_account) as alice, user(synapse, bot_account) as bot_user:
        room_id = await alice.create_room([bot_account.user_id])
        await bot_user.join(room_id)
        old = await alice.say(room_id, "!help")
        async with running(bot_config(synapse, bot_account, tmp_path / "bot")) as bot:
            new = await alice.say(room_id, "!help")
            assert await alice.reply_to(new, bot_account.user_id) is not None
            assert not await alice.replies(bot_account.user_id, QUIET_S)
            assert not await _answered(bot, old)


async def _answered(bot: Bot, event_id: str) -> bool:
    storage: Storage = bot.storage
    return await storage.is_claimed(event_id)


@pytest.mark.asyncio
async def test_access_token_login_and_device_check(synapse: LocalSynapse, account: MakeAccount, tmp_path: Path) -> None:
    bot_account, alice_account = account("recbot"), account("alice")
    async with user(synapse, bot_account) as bot_user:  # a device (and token) for the bot
        device_id, token = str(bot_user.client.device_id), str(bot_user.client.access_token)
    base = bot_config(synapse, bot_account, tmp_path / "wrong")
    wrong = replace(base, matrix=replace(base.matrix, password="", access_token=token, device_id="OTHER"))
    with pytest.raises(LoginError, match="device"):
        async with running(wrong):
            pass
    config = replace(
        base,
        matrix=replace(base.matrix, password="", access_token=token, device_id=device_id),
        storage=replace(base.storage, data_dir=tmp_path / "bot"),
    )
    async with running(config) as bot, user(synapse, alice_account) as alice:
        assert bot.client.device_id == device_id
        room_id = await alice.create_room([bot_account.user_id])
        await alice.wait_joined(room_id, bot_account.user_id)
        question = await alice.say(room_id, "!help")
        assert await alice.reply_to(question, bot_account.user_id) is not None


@pytest.mark.asyncio
async def test_reset_data_dir_with_the_same_device_is_a_clear_error(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    bot_account = account("recbot")
    async with running(bot_config(synapse, bot_account, tmp_path / "first")):
        pass
    with pytest.raises(LoginError, match="refused the encryption keys of device RECBOT"):
        async with running(bot_config(synapse, bot_account, tmp_path / "reset")):
            pass


@pytest.mark.asyncio
async def test_invites_from_others_are_declined(synapse: LocalSynapse, account: MakeAccount, tmp_path: Path) -> None:
    bot_account, alice_account = account("recbot"), account("alice")
    config = bot_config(synapse, bot_account, tmp_path / "bot", allowed_inviters=["@nobody:elsewhere.org"])
    async with running(config), user(synapse, alice_account) as alice:
        room_id = await alice.create_room([bot_account.user_id])

        def declined(event_room: str, event: object) -> bool:
            return (
                event_room == room_id
                and isinstance(event, RoomMemberEvent)
                and event.state_key == bot_account.user_id
                and event.membership == "leave"
            )

        assert await sync_until(alice.client, declined, 20) is not None, "the bot did not decline the invite"


def test_recbot_run_stops_cleanly_on_sigterm(synapse: LocalSynapse, account: MakeAccount, tmp_path: Path) -> None:
    bot_account = account("recbot")
    config = tmp_path / "config.yaml"
    config.write_text(
        json.dumps(
            {
                "matrix": {"homeserver": synapse.base_url, "user_id": bot_account.user_id},
                "storage": {"data_dir": str(tmp_path / "data")},
            }
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "RECBOT_PASSWORD": bot_account.password}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "ready: listening" in line:
                break
        else:
            pytest.fail("recbot run ended before it was ready:\n" + "".join(lines))
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = "".join(lines) + rest
    assert proc.returncode == 0, output
    assert "stopped" in output
    assert bot_account.password not in output
    data = tmp_path / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in data.iterdir()} == {0o600}


def test_recbot_demo(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--dir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert ">>> !info signal" in result.stdout and "Signal" in result.stdout
    assert "(no answer)" not in result.stdout


def test_recbot_demo_without_synapse_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert demo.cmd_demo(argparse.Namespace(keep=False, dir=None)) == 1
    assert "pip install 'recbot[synapse]'" in capsys.readouterr().err
