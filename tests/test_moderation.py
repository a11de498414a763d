"""Who is a moderator (power levels from sync, configured users, DMs), and the pipeline's
understanding and policy stages around it: moderator commands, room settings, auto-answer,
repeats and flood limits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nio import PowerLevels, SyncResponse

from bot.config import ModerationConfig, parse_config
from bot.metrics import Metrics
from bot.moderation import RoomPowerBook, RoomPower, is_moderator, privileged_creators
from bot.pipeline.addressing import AUTO, Addressed
from bot.pipeline.flow import Pipeline, Room, Turn
from bot.pipeline.message import Me, Message, parse
from bot.storage import Storage
from knowledge.engine import Engine
from knowledge.loading import load_sources
from knowledge.phrases import PHRASES

ROOM = "!room:example.org"
SNAPSHOT = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "privacyguides"
ME = Me("@recbot:example.org", ("recbot",), "!")
MODS = ModerationConfig(power_level=50, users=("@boss:example.org",))


def power(users: dict[str, int], users_default: int = 0, **room: Any) -> RoomPower:
    levels = PowerLevels(users=dict(users))
    levels.defaults.users_default = users_default
    return RoomPower(levels, **room)


V12_CREATOR = RoomPower(PowerLevels(), frozenset({"@creator:example.org"}), privileged_creators=True)


@pytest.mark.parametrize(
    ("user", "room_power", "dm", "expected"),
    [
        ("@mod:example.org", power({"@mod:example.org": 50}), False, True),
        ("@admin:example.org", power({"@admin:example.org": 100}), False, True),
        ("@user:example.org", power({"@mod:example.org": 50}), False, False),
        ("@almost:example.org", power({"@almost:example.org": 49}), False, False),
        ("@anyone:example.org", power({}, users_default=50), False, True),
        ("@boss:example.org", power({}), False, True),
        ("@boss:example.org", None, True, True),
        ("@admin:example.org", power({"@admin:example.org": 100}), True, False),  # DMs: configured only
        ("@mod:example.org", None, False, False),
        ("@creator:example.org", V12_CREATOR, False, True),  # room version 12: not listed, yet above all
        ("@creator:example.org", V12_CREATOR, True, False),
        ("@creator:example.org", power({}, creators=frozenset({"@creator:example.org"})), False, False),  # v1-11
        ("@creator:example.org", RoomPower(None, frozenset({"@creator:example.org"})), False, True),  # no PL event
        ("@other:example.org", RoomPower(None, frozenset({"@creator:example.org"})), False, False),
    ],
)
def test_is_moderator(user: str, room_power: RoomPower | None, dm: bool, expected: bool) -> None:
    assert is_moderator(user, room_power, dm=dm, config=MODS) is expected


@pytest.mark.parametrize(
    ("version", "privileged"), [("1", False), ("11", False), ("12", True), ("13", True), ("org.matrix.hydra.11", True)]
)
def test_room_versions_with_privileged_creators(version: str, privileged: bool) -> None:
    assert privileged_creators(version) is privileged


def power_levels_event(users: dict[str, int], n: int) -> dict[str, Any]:
    return {
        "type": "m.room.power_levels",
        "state_key": "",
        "sender": "@creator:example.org",
        "event_id": f"$pl{n}",
        "origin_server_ts": n,
        "content": {"users": users},
    }


def create_event(version: str, **content: Any) -> dict[str, Any]:
    return {
        "type": "m.room.create",
        "state_key": "",
        "sender": "@creator:example.org",
        "event_id": "$create",
        "origin_server_ts": 0,
        "content": {"room_version": version, **content},
    }


def sync(
    state: Sequence[dict[str, Any]] = (), timeline: Sequence[dict[str, Any]] = (), left: Sequence[str] = ()
) -> SyncResponse:
    rooms = {
        "join": {ROOM: {"state": {"events": list(state)}, "timeline": {"events": list(timeline), "limited": False}}},
        "leave": {room: {"state": {"events": []}, "timeline": {"events": []}} for room in left},
    }
    return SyncResponse.from_dict({"next_batch": "s1", "rooms": rooms})


def level(book: RoomPowerBook, user_id: str) -> float:
    room_power = book.get(ROOM)
    assert room_power is not None
    return room_power.level(user_id)


def test_the_latest_power_levels_event_wins_whole() -> None:
    book = RoomPowerBook()
    promoted = power_levels_event({"@c:x": 100, "@m:x": 50}, 2)
    book.observe(sync(state=[power_levels_event({"@c:x": 100}, 1)], timeline=[promoted]))
    assert level(book, "@m:x") == 50
    book.observe(sync(timeline=[power_levels_event({"@c:x": 100}, 3)]))  # @m:x removed: back to the default
    assert level(book, "@m:x") == 0
    book.observe(sync(timeline=[]))  # nothing new: unchanged
    assert level(book, "@c:x") == 100
    book.observe(sync(left=(ROOM,)))
    assert book.get(ROOM) is None


def test_creators_of_version_12_rooms_outrank_every_level() -> None:
    book = RoomPowerBook()
    state = [create_event("12", additional_creators=["@co:example.org"]), power_levels_event({"@m:x": 50}, 1)]
    book.observe(sync(state=state))
    assert level(book, "@creator:example.org") == level(book, "@co:example.org") == math.inf
    assert level(book, "@m:x") == 50
    book.observe(sync(state=[create_event("10"), power_levels_event({"@creator:example.org": 100}, 1)]))
    assert level(book, "@creator:example.org") == 100


# -- understanding and policy ---------------------------------------------------------------


def message(sender: str, text: str, event_id: str = "$q") -> Message:
    source = {
        "type": "m.room.message",
        "event_id": event_id,
        "sender": sender,
        "origin_server_ts": 1,
        "content": {"msgtype": "m.text", "body": text},
    }
    parsed = parse(source, ROOM, ME)
    assert parsed is not None
    return parsed


@dataclass
class Holder:
    engine: Engine


def make_config(tmp_path: Path, **limits: int) -> Any:
    return parse_config(
        {
            "matrix": {"homeserver": "https://example.org", "user_id": "@recbot:example.org", "password": "pw"},
            "storage": {"data_dir": str(tmp_path)},
            "moderation": {"users": ["@boss:example.org"]},
            "limits": {"user_per_minute": 0, "room_per_minute": 0, **limits},
        },
        env={},
    )


async def conversation(tmp_path: Path, storage: Storage, engine: Engine, **limits: int) -> Pipeline:
    conv = Pipeline(make_config(tmp_path, **limits), Holder(engine), Metrics(lambda: engine.kb), lambda: 3)
    await conv.start(storage)
    conv.observe(sync(state=[power_levels_event({"@creator:example.org": 100, "@mod:example.org": 50}, 1)]))
    return conv


def room(members: int) -> Room:
    return Room(ME, members)


class Chat:
    """Asks the pipeline's stages questions the way the Bot does, minus Matrix."""

    def __init__(self, conv: Pipeline):
        self.conv = conv
        self.count = 0

    async def turn(self, sender: str, text: str, *, reason: str = "prefix", dm: bool = False) -> Turn | None:
        self.count += 1
        asked = message(sender, text, f"$q{self.count}")
        return await self.conv.understand(asked, Addressed(asked.question, reason), dm=dm)

    async def ask(self, sender: str, text: str, **kwargs: Any) -> tuple[str, str] | None:
        """(kind, plain text) of the reply sent, or None for silence."""
        turn = await self.turn(sender, text, **kwargs)
        if turn is None or turn.quiet:
            return None
        reply = await self.conv.reply(turn)
        if reply is None:
            return None
        self.conv.sent(turn, reply, f"$a{self.count}")
        return reply.kind, reply.text


@pytest.mark.asyncio
async def test_moderator_commands_run_only_for_moderators(tmp_path: Path, storage: Storage, engine: Engine) -> None:
    chat = Chat(await conversation(tmp_path, storage, engine))
    refusal = ("answer", "Alleen moderators van deze kamer kunnen dit commando gebruiken.")
    assert await chat.ask("@user:example.org", "!status") == refusal
    kind, text = await chat.ask("@mod:example.org", "!status") or ("", "")
    assert kind == "command" and engine.kb.version in text and "pw" not in text
    kind, text = await chat.ask("@boss:example.org", "!toestand", dm=True) or ("", "")
    assert kind == "command" and text.startswith("Toestand")
    assert await chat.ask("@mod:example.org", "!status please", dm=True) == (
        "answer",
        "Only room moderators can use this command.",
    )


@pytest.mark.asyncio
async def test_help_lists_moderator_commands_for_moderators_only(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    chat = Chat(await conversation(tmp_path, storage, engine))
    _, for_user = await chat.ask("@user:example.org", "!help") or ("", "")
    _, for_mod = await chat.ask("@mod:example.org", "!help") or ("", "")
    _, for_admin = await chat.ask("@boss:example.org", "!help") or ("", "")
    assert "!instel" not in for_user and "!refresh" not in for_user
    assert "!instel" in for_mod and "!toestand" in for_mod  # this room's commands
    assert "!refresh" not in for_mod and "!geschiedenis" not in for_mod  # not the global ones
    assert all(f"!{name}" in for_admin for name in ("vernieuw", "geschiedenis", "instel", "toestand"))


@pytest.mark.asyncio
async def test_room_moderators_are_refused_global_commands_and_see_only_their_room(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    chat = Chat(await conversation(tmp_path, storage, engine))
    refusal = ("answer", "Alleen de beheerders van de bot kunnen dit commando gebruiken.")
    assert await chat.ask("@mod:example.org", "!vernieuw") == refusal
    assert await chat.ask("@mod:example.org", "!geschiedenis") == refusal
    _, status = await chat.ask("@mod:example.org", "!toestand") or ("", "")
    assert "Deze kamer" in status and "Laatste verversing" not in status and "kamer(s)" not in status
    _, full = await chat.ask("@boss:example.org", "!toestand") or ("", "")
    assert "Laatste verversing" in full and "kamer(s)" in full
    assert (await chat.ask("@boss:example.org", "!geschiedenis") or ("",))[0] == "command"


@pytest.mark.asyncio
async def test_moderator_commands_are_rate_limited_but_admins_are_exempt(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    chat = Chat(await conversation(tmp_path, storage, engine, user_per_minute=2))
    kinds = [((await chat.ask("@mod:example.org", "!status")) or ("silent",))[0] for _ in range(4)]
    assert kinds == ["command", "command", "notice", "silent"]
    kinds = [((await chat.ask("@boss:example.org", "!status")) or ("silent",))[0] for _ in range(4)]
    assert kinds == ["command"] * 4


@pytest.mark.asyncio
async def test_set_changes_the_room_language_and_shows_usage_when_wrong(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    chat = Chat(await conversation(tmp_path, storage, engine))
    turn = await chat.turn("@user:example.org", "!info signal")
    assert turn is not None and turn.answer.lang == "nl"
    kind, text = await chat.ask("@mod:example.org", "!instel") or ("", "")
    assert kind == "command" and "!instel taal nl|en" in text
    assert await chat.ask("@mod:example.org", "!set language en") == ("command", "This room's language is now English.")
    turn = await chat.turn("@user:example.org", "!info signal")
    assert turn is not None and turn.answer.lang == "en" and turn.room_lang == "en"
    kind, text = await chat.ask("@boss:example.org", "!history") or ("", "")
    assert (kind, text) == ("command", "No refreshes recorded yet.")


@pytest.mark.asyncio
async def test_auto_answer_is_off_by_default_and_only_confident_when_on(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    conv = await conversation(tmp_path, storage, engine)
    chat = Chat(conv)
    question = "which messengers work without a phone number?"
    group = 5
    assert conv.address(message("@user:example.org", question), room(group)) is None
    await chat.ask("@mod:example.org", "!instel autoanswer aan")
    assert conv.address(message("@user:example.org", question), room(group)) == Addressed(question, AUTO)
    assert await chat.turn("@user:example.org", "hallo allemaal", reason=AUTO) is None
    kind, _ = await chat.ask("@user:example.org", question, reason=AUTO) or ("", "")
    assert kind == "answer"


@pytest.mark.asyncio
async def test_the_same_question_again_gets_a_pointer_but_commands_never_do(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    chat = Chat(await conversation(tmp_path, storage, engine))
    first = await chat.ask("@user:example.org", "Wat is Briar?")
    assert first is not None and first[0] == "answer"
    again = await chat.ask("@other:example.org", "wat is  briar")
    assert again is not None and again[0] == "pointer"
    assert "https://matrix.to/#/!room:example.org/$a1" in again[1]
    assert (await chat.ask("@mod:example.org", "!status") or ("",))[0] == "command"
    assert (await chat.ask("@mod:example.org", "!status") or ("",))[0] == "command"


@pytest.mark.asyncio
async def test_flood_limits_answer_then_notice_once_then_silence(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    chat = Chat(await conversation(tmp_path, storage, engine, user_per_minute=2))
    replies = [await chat.ask("@user:example.org", f"!info {name}") for name in ("signal", "briar", "molly", "simplex")]
    kinds = [reply[0] if reply else None for reply in replies]
    assert kinds == ["answer", "answer", "notice", None]
    assert replies[2] is not None and replies[2][1].startswith("Rustig aan")
    assert (await chat.ask("@mod:example.org", "!status") or ("",))[0] == "command"  # a user limit, per user
    assert chat.conv.stats.answered == 3  # notices are not answers


@pytest.mark.asyncio
async def test_unknown_products_and_support_get_their_one_line_only_when_addressed(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    conv = await conversation(tmp_path, storage, engine)
    chat = Chat(conv)
    kind, text = await chat.ask("@user:example.org", "Is Zom safe?") or ("", "")  # addressed (the name already taken off)
    assert kind == "answer" and text.startswith("I don't know “Zom”")  # in the question's language
    assert await chat.ask("@user:example.org", "hallo allemaal") is None  # group room: a real non-question stays silent
    kind, text = await chat.ask("@user:example.org", "How do I link a new device in Signal?") or ("", "")
    assert kind == "answer" and "support.signal.org" in text
    await chat.ask("@mod:example.org", "!instel autoanswer aan")
    assert await chat.turn("@user:example.org", "How do I link a new device in Signal?", reason=AUTO) is None
    assert await chat.turn("@user:example.org", "Is Zom safe?", reason=AUTO) is None


@pytest.mark.asyncio
async def test_set_language_takes_a_site_language_only_when_the_knowledge_has_it(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    chat = Chat(await conversation(tmp_path, storage, engine))
    kind, text = await chat.ask("@mod:example.org", "!set language fr") or ("", "")
    assert kind == "command" and text.startswith("Gebruik: !instel taal nl|en")  # the bundled pack is nl/en only
    site = Engine(load_sources([str(Path(__file__).resolve().parent / "pages" / "site")]))  # English and French
    assert site.langs == ("nl", "en", "fr")
    chat = Chat(await conversation(tmp_path / "site", storage, site))
    kind, text = await chat.ask("@mod:example.org", "!set language fr") or ("", "")
    assert kind == "command" and text == PHRASES["fr"]["bot"]["set_language"].format(language=PHRASES["fr"]["words"]["lang_fr"])
    turn = await chat.turn("@user:example.org", "!info finch")
    assert turn is not None and turn.answer.lang == "fr" and turn.room_lang == "fr"
    kind, text = await chat.ask("@mod:example.org", "!set language he") or ("", "")
    assert text == PHRASES["fr"]["bot"]["set_usage"].format(prefix="!", codes="nl|en|fr")  # the languages loaded


@pytest.mark.asyncio
async def test_a_hebrew_room_gets_right_to_left_moderator_replies(tmp_path: Path, storage: Storage) -> None:
    site = Engine(load_sources([str(SNAPSHOT)]))
    conv = await conversation(tmp_path, storage, site)
    chat = Chat(conv)
    turn = await chat.turn("@mod:example.org", "!set language he")
    assert turn is not None
    reply = await conv.reply(turn)
    assert reply is not None and reply.html.startswith('<div dir="rtl">') and "dir=" not in reply.text
    turn = await chat.turn("@mod:example.org", "!status")
    assert turn is not None and turn.answer.lang == "he"
    reply = await conv.reply(turn)
    assert reply is not None and reply.html.startswith('<div dir="rtl">')
    turn = await chat.turn("@mod:example.org", "!set language en")  # confirmed in English, left to right
    assert turn is not None
    reply = await conv.reply(turn)
    assert reply is not None and reply.text == "This room's language is now English." and "dir=" not in reply.html
