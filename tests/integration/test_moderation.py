"""Admins and room moderators against a real local Synapse: power levels from state events,
who may do what, live knowledge refresh (and SIGHUP), room settings across a restart, flood
limits and repeated questions.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nio import RoomGetStateEventResponse, RoomPutStateResponse

from bot.config import Config, parse_config
from bot.demo import sync_until
from bot.devserver import LocalSynapse
from knowledge.loading import BUNDLED_DIR, load_sources
from knowledge.model import KnowledgeBase

from .botkit import QUIET_S, REPLY_TIMEOUT_S, Account, User, content_of, running, set_display_name, user
from .conftest import MakeAccount



@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A writable copy of the bundled knowledge pack."""
    target = tmp_path / "pack"
    shutil.copytree(BUNDLED_DIR, target)
    return target


def config_for(
    server: LocalSynapse,
    bot: Account,
    data_dir: Path,
    pack: Path | None = None,
    admins: tuple[Account, ...] = (),
    **limits: int,
) -> Config:
    return parse_config(
        {
            "matrix": {"homeserver": server.base_url, "user_id": bot.user_id, "password": bot.password},
            "storage": {"data_dir": str(data_dir)},
            "moderation": {"admins": [admin.user_id for admin in admins]},
            "knowledge": {"sources": [str(pack)] if pack else []},
            "limits": {"user_per_minute": 0, "room_per_minute": 0, **limits},
        },
        env={},
    )


async def group(admin: User, bot_id: str, *others: User) -> str:
    """A room made by ``admin`` (power level 100) with the bot and ``others`` joined."""
    room_id = await admin.create_room([bot_id, *(other.user_id for other in others)])
    for other in others:
        await other.join(room_id)
    await admin.wait_joined(room_id, bot_id)
    return room_id


async def set_power_level(admin: User, room_id: str, user_id: str, level: int | None) -> None:
    """Give ``user_id`` ``level`` (None: remove it, back to the default) with a state event."""
    current = await admin.client.room_get_state_event(room_id, "m.room.power_levels")
    assert isinstance(current, RoomGetStateEventResponse), current
    content = dict(current.content)
    users = dict(content.get("users", {}))
    if level is None:
        users.pop(user_id, None)
    else:
        users[user_id] = level
    content["users"] = users
    response = await admin.client.room_put_state(room_id, "m.room.power_levels", content)
    assert isinstance(response, RoomPutStateResponse), response


async def until(condition: Callable[[], bool], what: str, timeout: float = REPLY_TIMEOUT_S) -> None:
    """Wait (with a deadline) until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.05)


async def ask(person: User, room_id: str, text: str, bot_id: str) -> str:
    """Send ``text`` and return the body of the bot's reply to it."""
    question = await person.say(room_id, text)
    reply = await person.reply_to(question, bot_id)
    assert reply is not None, f"no reply to {text!r}"
    return str(reply.body)


async def collect(person: User, bot_id: str, count: int) -> list[Any]:
    """The next ``count`` messages from the bot (within the reply timeout)."""
    seen: list[Any] = []

    def take(_room_id: str, event: Any) -> bool:
        if event.sender == bot_id:
            seen.append(event)
        return len(seen) >= count

    await sync_until(person.client, take, REPLY_TIMEOUT_S)
    assert len(seen) == count, f"expected {count} replies, got {len(seen)}"
    return seen


def add_entry(pack: Path, entry_id: str, name: str) -> None:
    """A new entry file: Briar's facts under another id and name."""
    briar = (pack / "entries" / "briar.yaml").read_text(encoding="utf-8")
    text = briar.replace("id: briar", f"id: {entry_id}").replace("name: Briar", f"name: {name}")
    text = text.replace("aliases: [Briar Messenger, Briar Project]", "aliases: []")
    (pack / "entries" / f"{entry_id}.yaml").write_text(text, encoding="utf-8")


ADMINS_ONLY = "Alleen de beheerders van de bot"


@pytest.mark.asyncio
async def test_admins_refresh_the_knowledge_and_room_moderators_may_not(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path, pack: Path
) -> None:
    bot_account, alice_account, bob_account = account("recbot"), account("alice"), account("bob")
    dave_account = account("dave")  # the bot's admin
    config = config_for(synapse, bot_account, tmp_path / "bot", pack, admins=(dave_account,))
    async with (
        running(config) as bot,
        user(synapse, alice_account) as alice,
        user(synapse, bob_account) as bob,
        user(synapse, dave_account) as dave,
    ):
        bot_id = bot_account.user_id
        room_id = await group(alice, bot_id, bob, dave)
        assert "Alleen moderators" in await ask(bob, room_id, "!refresh", bot_id)
        await set_power_level(alice, room_id, bob.user_id, 50)
        await until(lambda: bot.pipeline.policy.is_moderator(room_id, bob.user_id, dm=False), "bob is a moderator")
        assert ADMINS_ONLY in await ask(bob, room_id, "!vernieuw", bot_id)  # a room moderator: not global
        assert ADMINS_ONLY in await ask(alice, room_id, "!vernieuw alles", bot_id)  # nor the room creator

        add_entry(pack, "zapp", "Zapp")
        signal_file = pack / "entries" / "signal.yaml"
        signal_text = signal_file.read_text(encoding="utf-8")
        signal_file.write_text(signal_text.replace("Messenger voor je telefoon", "Vernieuwde messenger"), "utf-8")
        refreshed = await ask(dave, room_id, "!refresh", bot_id)
        assert "Toegevoegd: Zapp" in refreshed and "Gewijzigd: Signal" in refreshed
        assert "Zapp (aanbevolen)" in await ask(alice, room_id, "!info zapp", bot_id)
        assert "Vernieuwde messenger" in await ask(alice, room_id, "!info signal", bot_id)

        (pack / "entries" / "broken.yaml").write_text("id: broken\nname: Broken\nsummary: [unclosed\n", "utf-8")
        failed = await ask(dave, room_id, "!vernieuw", bot_id)
        assert "Vernieuwen mislukt" in failed and "broken.yaml:3: YAML syntax" in failed
        assert "Zapp (aanbevolen)" in await ask(alice, room_id, "!kaart zapp", bot_id)  # the old base answers

        assert ADMINS_ONLY in await ask(alice, room_id, "!geschiedenis", bot_id)
        history = await ask(dave, room_id, "!history", bot_id)
        assert history.count(dave.user_id) == 2 and "mislukt" in history and "gelukt" in history
        status = await ask(dave, room_id, "!toestand", bot_id)
        assert bot.engine.kb.version in status and f"{len(bot.engine.kb.entries)} items" in status
        assert bot_account.password not in status
        room_status = await ask(alice, room_id, "!toestand", bot_id)
        assert "Deze kamer" in room_status and "Laatste verversing" not in room_status

        await set_power_level(alice, room_id, bob.user_id, None)  # demoted: removed from the list
        await until(lambda: not bot.pipeline.policy.is_moderator(room_id, bob.user_id, dm=False), "bob is demoted")
        assert "Alleen moderators" in await ask(bob, room_id, "!status", bot_id)


@pytest.mark.asyncio
async def test_a_room_creator_rules_her_own_room_only_and_is_rate_limited(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    bot_account, eve_account, frank_account = account("recbot"), account("eve"), account("frank")
    dave_account = account("dave")
    config = config_for(synapse, bot_account, tmp_path / "bot", admins=(dave_account,), user_per_minute=3)
    async with (
        running(config) as bot,
        user(synapse, eve_account) as eve,
        user(synapse, frank_account) as frank,
        user(synapse, dave_account) as dave,
    ):
        bot_id = bot_account.user_id
        own = await group(eve, bot_id, frank)  # eve made it: power level 100 there
        other = await group(frank, bot_id, eve, dave)
        assert await ask(eve, own, "!set language en", bot_id) == "This room's language is now English."
        assert "Alleen moderators" in await ask(eve, other, "!instel taal en", bot_id)  # not her room
        assert bot.pipeline.settings.get(other).language is None
        assert ADMINS_ONLY in await ask(eve, own, "!vernieuw", bot_id)  # counted: her third this minute
        notice = await ask(eve, own, "!status", bot_id)
        assert "Slow down" in notice  # moderator commands are flood-limited like questions
        kinds = [await ask(dave, other, "!status", bot_id) for _ in range(4)]  # admins are exempt
        assert all(reply.startswith("Toestand") for reply in kinds)


@pytest.mark.asyncio
async def test_questions_during_a_refresh_are_all_answered(
    synapse: LocalSynapse,
    account: MakeAccount,
    tmp_path: Path,
    pack: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def slow_load(sources: list[str], **options: Any) -> KnowledgeBase:
        time.sleep(2.0)  # in the refresh's worker thread: the event loop keeps going
        return load_sources(sources, **options)

    monkeypatch.setattr("bot.refresh.load_sources", slow_load)
    bot_account, alice_account, carol_account = account("recbot"), account("alice"), account("carol")
    async with (
        running(config_for(synapse, bot_account, tmp_path / "bot", pack, admins=(alice_account,))),
        user(synapse, alice_account) as alice,
        user(synapse, carol_account) as carol,
    ):
        bot_id = bot_account.user_id
        room_id = await group(alice, bot_id, carol)
        other_room = await group(carol, bot_id)
        add_entry(pack, "zapp", "Zapp")
        refresh = await alice.say(room_id, "!refresh")
        elsewhere = {
            await carol.say(other_room, f"!info {entry}"): name
            for entry, name in (("briar", "Briar"), ("molly", "Molly"), ("simplex", "SimpleX Chat"))
        }
        here = {  # replies in a room keep the order of the questions: these come after the refresh
            await carol.say(room_id, "!info zapp"): "Zapp",
            await carol.say(room_id, "!info signal"): "Signal",
        }
        replies = await collect(carol, bot_id, len(elsewhere) + len(here) + 1)
        order = [content_of(e)["m.relates_to"]["m.in_reply_to"]["event_id"] for e in replies]
        by_question = dict(zip(order, (str(e.body) for e in replies), strict=True))
        assert "Toegevoegd: Zapp" in by_question[refresh]
        for question, name in {**elsewhere, **here}.items():
            assert by_question[question].startswith(f"{name} ("), by_question[question]
        assert all(order.index(question) < order.index(refresh) for question in elsewhere), "blocked by the refresh"


@pytest.mark.asyncio
async def test_room_settings_survive_a_restart(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    bot_account, alice_account, carol_account = account("recbot"), account("alice"), account("carol")
    await set_display_name(synapse, bot_account, "recbot")
    config = config_for(synapse, bot_account, tmp_path / "bot")
    async with user(synapse, alice_account) as alice, user(synapse, carol_account) as carol:
        bot_id = bot_account.user_id
        async with running(config):
            room_id = await group(alice, bot_id, carol)
            assert "Briar (aanbevolen)" in await ask(carol, room_id, "!info briar", bot_id)
            assert "!instel taal nl|en" in await ask(alice, room_id, "!instel", bot_id)
            assert await ask(alice, room_id, "!set language en", bot_id) == "This room's language is now English."
            assert "aan" in await ask(alice, room_id, "!instel autoanswer aan", bot_id)

        async with running(config):
            assert "Briar (recommended)" in await ask(carol, room_id, "!info briar", bot_id)
            await carol.say(room_id, "hallo allemaal, hoe gaat het?")
            question = await carol.say(room_id, "signal vs simplex")  # not addressed to the bot
            [auto] = await collect(carol, bot_id, 1)  # replies come in the order of the questions
            assert content_of(auto)["m.relates_to"]["m.in_reply_to"]["event_id"] == question
            assert "Signal" in auto.body and "SimpleX" in auto.body
            assert not await carol.replies(bot_id, QUIET_S), "the bot answered chatter"


@pytest.mark.asyncio
async def test_flood_limits_answer_n_then_one_notice(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    bot_account, alice_account = account("recbot"), account("alice")
    async with (
        running(config_for(synapse, bot_account, tmp_path / "bot", user_per_minute=3)),
        user(synapse, alice_account) as alice,
    ):
        bot_id = bot_account.user_id
        room_id = await group(alice, bot_id)
        for name in ("signal", "briar", "molly", "simplex", "session", "element"):
            await alice.say(room_id, f"!info {name}")
        replies = await collect(alice, bot_id, 4)
        notices = [e for e in replies if "Rustig aan" in e.body]
        assert len(notices) == 1 and len(replies) - len(notices) == 3
        assert not await alice.replies(bot_id, QUIET_S), "more than N answers and one notice"


@pytest.mark.asyncio
async def test_the_same_question_again_gets_a_pointer(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    bot_account, alice_account, carol_account = account("recbot"), account("alice"), account("carol")
    async with (
        running(config_for(synapse, bot_account, tmp_path / "bot")),
        user(synapse, alice_account) as alice,
        user(synapse, carol_account) as carol,
    ):
        bot_id = bot_account.user_id
        room_id = await group(alice, bot_id, carol)
        question = await carol.say(room_id, "!info briar")
        answer = await carol.reply_to(question, bot_id)
        assert answer is not None and "Briar" in answer.body
        again = await alice.say(room_id, "!info  Briar")
        pointer = await alice.reply_to(again, bot_id)
        assert pointer is not None
        assert content_of(pointer)["m.relates_to"]["m.in_reply_to"]["event_id"] == again
        assert f"https://matrix.to/#/{room_id}/{answer.event_id}" in pointer.body
        assert "Hierboven al beantwoord" in pointer.body


def test_sighup_refreshes_the_knowledge(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path, pack: Path
) -> None:
    bot_account = account("recbot")
    config = tmp_path / "config.yaml"
    settings = {
        "matrix": {"homeserver": synapse.base_url, "user_id": bot_account.user_id},
        "storage": {"data_dir": str(tmp_path / "data")},
        "knowledge": {"sources": [str(pack)]},
    }
    config.write_text(json.dumps(settings), encoding="utf-8")
    env = {**os.environ, "RECBOT_PASSWORD": bot_account.password}
    command = [sys.executable, "-m", "bot", "run", "--config", str(config)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "ready: listening" in line:
                add_entry(pack, "zapp", "Zapp")
                proc.send_signal(signal.SIGHUP)
            if "knowledge refresh" in line:
                break
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = "".join(lines) + rest
    assert "knowledge refreshed by SIGHUP" in output and "added=Zapp" in output, output
    assert proc.returncode == 0, output
