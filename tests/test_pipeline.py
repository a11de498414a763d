"""The pipeline's stages without a homeserver: parsing each kind of event, votes, the
records in storage, and the decisions for edits, redactions and reactions (a recording
I/O port stands in for Matrix; storage and engine are the real ones)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from nio import SyncResponse

from bot.config import parse_config
from bot.metrics import Metrics
from bot.pipeline.actions import EditAnswer, RedactAnswer, SendReply
from bot.pipeline.flow import Pipeline, Room
from bot.pipeline.message import Kind, Me, Message, mentions, parse
from bot.pipeline.policy import vote_value
from bot.respond import reply_txn_id
from bot.settings import Setting
from bot.storage import UNANSWERED_PER_ROOM, Storage
from knowledge.engine import Engine

ROOM = "!room:example.org"
BOT = "@recbot:example.org"
ALICE = "@alice:example.org"
BOB = "@bob:example.org"
ME = Me(BOT, ("recbot",), "!")
GROUP = Room(ME, 5)


def now_ms() -> int:
    return int(time.time() * 1000)


def event(kind: str, content: dict[str, Any], *, event_id: str, sender: str = ALICE, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "event_id": event_id, "sender": sender, "origin_server_ts": now_ms(), "content": content,
            **extra}


def text(body: str, event_id: str, sender: str = ALICE, **content: Any) -> Message:
    parsed = parse(event("m.room.message", {"msgtype": "m.text", "body": body, **content}, event_id=event_id,
                         sender=sender), ROOM, ME)
    assert parsed is not None
    return parsed


def edit(target: str, body: str, event_id: str, sender: str = ALICE) -> Message:
    content = {
        "msgtype": "m.text",
        "body": "* " + body,
        "m.new_content": {"msgtype": "m.text", "body": body},
        "m.relates_to": {"rel_type": "m.replace", "event_id": target},
    }
    parsed = parse(event("m.room.message", content, event_id=event_id, sender=sender), ROOM, ME)
    assert parsed is not None and parsed.kind is Kind.EDIT
    return parsed


def redaction(target: str, event_id: str, sender: str = ALICE) -> Message:
    parsed = parse(event("m.room.redaction", {}, event_id=event_id, sender=sender, redacts=target), ROOM, ME)
    assert parsed is not None and parsed.kind is Kind.REDACTION
    return parsed


def reaction(target: str, key: str, event_id: str, sender: str = BOB) -> Message:
    content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}}
    parsed = parse(event("m.reaction", content, event_id=event_id, sender=sender), ROOM, ME)
    assert parsed is not None and parsed.kind is Kind.REACTION
    return parsed


# -- parsing ---------------------------------------------------------------------------------


def test_a_message_is_parsed_once_with_its_command_and_without_fallback_and_quotes() -> None:
    body = "> <@bob:example.org> earlier\n> more\n\nrecbot: /info signal\n> quoted\n```code```"
    parsed = text(body, "$1", **{"m.relates_to": {"m.in_reply_to": {"event_id": "$0"}}})
    assert parsed.kind is Kind.MESSAGE and parsed.text == "recbot: /info signal"
    assert parsed.question == "!info signal" and parsed.named and not parsed.mentioned
    assert parsed.command is not None and parsed.command.spec is not None and parsed.command.spec.name == "info"
    assert parsed.command.args == "signal" and parsed.reply_to == "$0"


def test_other_events_are_not_messages() -> None:
    assert parse(event("m.room.member", {"membership": "join"}, event_id="$m"), ROOM, ME) is None
    assert parse({"type": "m.room.message", "content": {}}, ROOM, ME) is None  # no id, sender, ts
    assert parse(event("m.reaction", {"m.relates_to": {"rel_type": "m.reference"}}, event_id="$r"), ROOM, ME) is None
    assert parse(event("m.room.redaction", {}, event_id="$x"), ROOM, ME) is None  # redacts nothing
    v11 = parse(event("m.room.redaction", {"redacts": "$q"}, event_id="$x"), ROOM, ME)
    assert v11 is not None and v11.target == "$q"


def test_mentions_come_from_m_mentions_and_pills_and_are_bounded() -> None:
    content = {
        "m.mentions": {"user_ids": [BOB, 5]},
        "formatted_body": '<a href="https://matrix.to/#/%40recbot%3Aexample.org">x</a> <a href="matrix:u/c:x">c</a>',
    }
    assert mentions(content) == {BOB, BOT, "@c:x"}
    many = {"formatted_body": " ".join(f'<a href="https://matrix.to/#/@u{i}:x">' for i in range(500))}
    assert len(mentions(many)) <= 100


def test_reaction_keys_are_bounded() -> None:
    assert len(reaction("$a", "x" * 1000, "$r").key) == 32


@pytest.mark.parametrize(
    ("key", "value"),
    [("👍", 1), ("👍️", 1), ("👍🏽", 1), ("+1", 1), (":thumbsup:", 1), ("👎", -1), ("👎🏿", -1), ("-1", -1),
     ("❤️", None), ("", None), ("👍👍", None)],
)
def test_votes(key: str, value: int | None) -> None:
    assert vote_value(key) == value


def test_transaction_ids_differ_per_kind_and_event() -> None:
    ids = {reply_txn_id("$a"), reply_txn_id("$a", "edit"), reply_txn_id("$a", "redact"), reply_txn_id("$b")}
    assert len(ids) == 4


def power_sync(room_id: str, users: dict[str, int]) -> SyncResponse:
    levels = {"type": "m.room.power_levels", "state_key": "", "sender": ALICE, "event_id": "$pl",
              "origin_server_ts": 1, "content": {"users": users}}
    rooms = {"join": {room_id: {"state": {"events": [levels]}, "timeline": {"events": [], "limited": False}}}}
    return SyncResponse.from_dict({"next_batch": "s1", "rooms": rooms})


# -- the flow, with a recording I/O port -------------------------------------------------------


@dataclass
class Recorder:
    """The Matrix side: records what the pipeline asks for; fetches from ``events``."""

    sent: list[SendReply | EditAnswer] = field(default_factory=list)
    redacted: list[RedactAnswer] = field(default_factory=list)
    events: dict[str, Message] = field(default_factory=dict)

    async def send(self, action: SendReply | EditAnswer) -> str | None:
        self.sent.append(action)
        return f"$answer{len(self.sent)}"

    async def redact(self, action: RedactAnswer) -> bool:
        self.redacted.append(action)
        return True

    async def fetch(self, room_id: str, event_id: str) -> Message | None:
        return self.events.get(event_id)


@dataclass
class Holder:
    engine: Engine


async def pipeline(tmp_path: Path, storage: Storage, engine: Engine) -> tuple[Pipeline, Recorder]:
    config = parse_config(
        {
            "matrix": {"homeserver": "https://example.org", "user_id": BOT, "password": "pw"},
            "storage": {"data_dir": str(tmp_path)},
            "moderation": {"users": ["@boss:example.org"]},
            "limits": {"user_per_minute": 0, "room_per_minute": 0},
        },
        env={},
    )
    io = Recorder()
    flow = Pipeline(config, Holder(engine), Metrics(lambda: engine.kb), lambda: 1)
    await flow.start(storage, io)
    return flow, io


@pytest.mark.asyncio
async def test_an_edited_question_edits_the_answer_once_and_a_same_answer_not_at_all(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    flow, io = await pipeline(tmp_path, storage, engine)
    await flow.handle(text("!info signal", "$q"), GROUP)
    assert len(io.sent) == 1 and isinstance(io.sent[0], SendReply)
    await flow.handle(edit("$q", "!info briar", "$e1"), GROUP)
    await flow.handle(edit("$q", "!info briar", "$e1"), GROUP)  # the same edit again (a re-read sync)
    assert len(io.sent) == 2
    change = io.sent[1]
    assert isinstance(change, EditAnswer) and change.answer_id == "$answer1" and "Briar" in change.text
    content = change.content()
    assert content["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$answer1"}
    new = content["m.new_content"]
    assert isinstance(new, dict) and "m.relates_to" not in new and new["msgtype"] == "m.notice"
    await flow.handle(edit("$q", "!info  briar", "$e2"), GROUP)  # same answer: nothing
    await flow.handle(edit("$q", "!info molly", "$e3", sender=BOB), GROUP)  # not the asker's
    assert len(io.sent) == 2
    record = await storage.answer_to("$q")
    assert record is not None and record.entries == ("briar",)


@pytest.mark.asyncio
async def test_an_edit_that_addresses_the_bot_answers_the_original_once(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    flow, io = await pipeline(tmp_path, storage, engine)
    original = text("what is briar?", "$q", **{"m.relates_to": {"rel_type": "m.thread", "event_id": "$root"}})
    io.events["$q"] = original
    await flow.handle(original, GROUP)
    assert io.sent == []  # not addressed
    await flow.handle(edit("$q", "recbot: what is briar?", "$e1"), GROUP)
    await flow.handle(edit("$q", "recbot: what is briar?", "$e1"), GROUP)
    await flow.handle(original, GROUP)
    assert len(io.sent) == 1
    reply = io.sent[0]
    assert isinstance(reply, SendReply) and reply.question_id == "$q" and reply.thread_root == "$root"
    assert "Briar" in reply.text


@pytest.mark.asyncio
async def test_a_removed_question_removes_its_answer_and_a_removed_answer_stays_removed(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    flow, io = await pipeline(tmp_path, storage, engine)
    await flow.handle(text("!info signal", "$q1"), GROUP)
    await flow.handle(redaction("$q1", "$x1"), GROUP)
    await flow.handle(redaction("$q1", "$x1"), GROUP)
    assert [(r.answer_id, r.reason) for r in io.redacted] == [("$answer1", "question removed")]
    await flow.handle(text("!info briar", "$q2"), GROUP)
    await flow.handle(redaction("$answer2", "$x2", sender=BOB), GROUP)  # a moderator removes the answer
    await flow.handle(edit("$q2", "!info molly", "$e"), GROUP)
    assert len(io.sent) == 2 and len(io.redacted) == 1
    record = await storage.answer_to("$q2")
    assert record is not None and record.removed


@pytest.mark.asyncio
async def test_votes_count_once_per_person_and_go_with_the_reaction(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    flow, _ = await pipeline(tmp_path, storage, engine)
    await flow.handle(text("!info signal", "$q"), GROUP)
    await flow.handle(reaction("$answer1", "👍🏼", "$r1"), GROUP)
    await flow.handle(reaction("$answer1", "+1", "$r2"), GROUP)  # bob again: not counted
    await flow.handle(reaction("$answer1", "👎", "$r3", sender=ALICE), GROUP)
    await flow.handle(reaction("$answer1", "🎉", "$r4", sender="@carol:example.org"), GROUP)
    await flow.handle(reaction("$q", "👍", "$r5", sender="@carol:example.org"), GROUP)  # not an answer
    [row] = await storage.feedback(ROOM)
    assert (row.up, row.down, row.intent, row.entries) == (1, 1, "card", ("signal",))
    await flow.handle(redaction("$r1", "$x1", sender=BOB), GROUP)
    [row] = await storage.feedback(ROOM)
    assert (row.up, row.down) == (0, 1)
    assert await storage.feedback("!other:example.org") == []


@pytest.mark.asyncio
async def test_votes_keep_no_user_or_event_ids(tmp_path: Path, storage: Storage, engine: Engine) -> None:
    flow, _ = await pipeline(tmp_path, storage, engine)
    await flow.handle(text("!info signal", "$q"), GROUP)
    await flow.handle(reaction("$answer1", "👍", "$r1"), GROUP)
    await storage.close()
    data = (tmp_path / "data" / "recbot.db").read_bytes()
    for wal in (tmp_path / "data").glob("recbot.db-wal"):
        data += wal.read_bytes()
    assert BOB.encode() not in data and ALICE.encode() not in data and b"$r1" not in data
    reopened = await Storage.open(tmp_path / "data")
    try:
        assert await reopened.pseudonym(BOB) == await reopened.pseudonym(BOB) != await reopened.pseudonym(ALICE)
    finally:
        await reopened.close()


@pytest.mark.asyncio
async def test_unanswered_questions_are_kept_only_when_collecting(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    flow, io = await pipeline(tmp_path, storage, engine)
    await flow.handle(text("recbot: what is the weather like", "$q1"), GROUP)
    assert await storage.unanswered(ROOM) == []
    await flow.settings.change(ROOM, Setting("collect", True), "@mod:example.org")
    await flow.handle(text("recbot: what is the weather like", "$q2"), GROUP)
    await flow.handle(text("recbot: what is signal", "$q3"), GROUP)  # answered: not kept
    await flow.handle(text("!status", "$q4"), GROUP)  # a command: not kept
    rows = await storage.unanswered(ROOM)
    assert [row_text for _, _, row_text in rows] == ["what is the weather like"]
    for i in range(UNANSWERED_PER_ROOM + 5):
        await storage.add_unanswered(ROOM, f"question {i}")
    assert len(await storage.unanswered(ROOM)) == UNANSWERED_PER_ROOM
    assert await storage.prune_unanswered(now_ms() + 15 * 24 * 3600 * 1000) == UNANSWERED_PER_ROOM
    await storage.add_unanswered(ROOM, "kept")
    await flow.settings.change(ROOM, Setting("collect", False), "@mod:example.org")
    assert await storage.unanswered(ROOM) == []
    assert len(io.sent) >= 1


@pytest.mark.asyncio
async def test_answer_records_are_pruned_by_age_and_count_with_their_votes(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    flow, _ = await pipeline(tmp_path, storage, engine)
    for n in range(3):
        await flow.handle(text(f"!info {('signal', 'briar', 'molly')[n]}", f"$q{n}"), GROUP)
        await flow.handle(reaction(f"$answer{n + 1}", "👍", f"$r{n}"), GROUP)
    assert await storage.prune_answers(0, max_rows=2) == 1
    assert await storage.answer_to("$q0") is None and await storage.answer_to("$q2") is not None
    assert len(await storage.feedback(ROOM)) == 2
    assert await storage.prune_answers(now_ms() + 1) == 2
    assert await storage.feedback(None) == []


@pytest.mark.asyncio
async def test_feedback_covers_every_room_only_for_an_admin_in_a_dm(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    flow, io = await pipeline(tmp_path, storage, engine)
    other = "!other:example.org"
    await flow.handle(text("!info signal", "$q1"), GROUP)
    await flow.handle(reaction("$answer1", "👎", "$r1"), GROUP)
    source = event("m.room.message", {"msgtype": "m.text", "body": "!info briar"}, event_id="$q2")
    elsewhere = parse(source, other, ME)
    assert elsewhere is not None
    await flow.handle(elsewhere, GROUP)
    await flow.handle(replace(reaction("$answer2", "👍", "$r2"), room_id=other), GROUP)

    async def feedback_in(room_id: str, sender: str, room: Room) -> str:
        ask = parse(event("m.room.message", {"msgtype": "m.text", "body": "!feedback"}, event_id=f"$f{len(io.sent)}",
                          sender=sender), room_id, ME)
        assert ask is not None
        await flow.handle(ask, room)
        return io.sent[-1].text

    flow.observe(power_sync(ROOM, {"@mod:example.org": 50}))
    mine = await feedback_in(ROOM, "@mod:example.org", GROUP)
    assert "signal: 👍 0 · 👎 1" in mine and "briar" not in mine
    everything = await feedback_in("!dm:example.org", "@boss:example.org", Room(ME, 2))
    assert "signal" in everything and "briar: 👍 1 · 👎 0" in everything
    admin_in_room = await feedback_in(ROOM, "@boss:example.org", GROUP)
    assert "briar" not in admin_in_room
    refused = await feedback_in(ROOM, ALICE, GROUP)
    assert "moderators" in refused and "signal" not in refused


@pytest.mark.asyncio
async def test_after_a_crash_only_a_question_gets_the_apology_and_only_once(
    tmp_path: Path, storage: Storage, engine: Engine
) -> None:
    flow, io = await pipeline(tmp_path, storage, engine)
    await flow.apologise(text("nice weather today", "$chatter"), GROUP)
    await flow.apologise(reaction("$x", "👍", "$r"), GROUP)
    assert io.sent == []
    await flow.apologise(text("!info signal", "$q"), GROUP)
    await flow.apologise(text("!info signal", "$q"), GROUP)
    assert len(io.sent) == 1 and isinstance(io.sent[0], SendReply) and io.sent[0].question_id == "$q"
    assert "mis" in io.sent[0].text  # "er ging iets mis"
    assert await storage.is_claimed("$q")
