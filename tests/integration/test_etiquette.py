"""Edits, redactions, reactions and unanswered questions against the real Synapse, with an
independent client (matrix-js-sdk with Rust crypto, as Element) in plain and encrypted
group rooms, and with the nio client for restarts and gappy syncs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.devserver import LocalSynapse
from bot.storage import Storage

from .botkit import (
    QUIET_S,
    REPLY_TIMEOUT_S,
    TEST_TUNING,
    bot_config,
    content_of,
    group_room,
    running,
    set_display_name,
    user,
)
from .conftest import JsClientFactory, MakeAccount
from .jsclient import JsClient
from .netkit import kill_and_restart, process_dm, replied, replied_to, timeline, write_config

#: A redacted question's answer must be gone within this many seconds.
REDACT_WITHIN_S = 10.0


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = REPLY_TIMEOUT_S) -> None:
    """Wait (with a deadline) until ``await check()`` holds."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.1)


async def reply_to(alice: JsClient, room_id: str, bot_id: str, question_id: str, timeout: float = 30) -> Any:
    return await alice.wait_event({"room_id": room_id, "sender": bot_id, "in_reply_to": question_id}, timeout=timeout)


@pytest.mark.asyncio
@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_edits_redactions_reactions_and_unanswered_with_an_independent_client(
    synapse: LocalSynapse, account: MakeAccount, js_client: JsClientFactory, tmp_path: Path, encrypted: bool
) -> None:
    bot_account, alice_account, carol_account = account("recbot"), account("alice"), account("carol")
    await set_display_name(synapse, bot_account, "recbot")
    bot_id = bot_account.user_id
    async with (
        running(bot_config(synapse, bot_account, tmp_path / "bot")) as bot,
        js_client(alice_account) as alice,
        user(synapse, carol_account) as carol,
    ):
        room_id = await alice.create_room([bot_id, carol.user_id], encrypted=encrypted)
        await carol.join(room_id)
        await alice.wait_member(room_id, bot_id)
        await alice.wait_member(room_id, carol.user_id)

        # An answered question edited into another: one m.replace of the answer naming the new entry.
        question = await alice.send_text(room_id, "!info signal")
        answer = await reply_to(alice, room_id, bot_id, question)
        assert answer is not None and "Signal" in answer["content"]["body"]
        assert answer["encrypted"] is encrypted
        await alice.send_edit(room_id, question, "!info briar")
        change = await alice.wait_event(
            {"room_id": room_id, "sender": bot_id, "rel_type": "m.replace", "relates_to": answer["event_id"]}, 30
        )
        assert change is not None, "the answer was not edited"
        new = change["content"]["m.new_content"]
        assert "Briar" in new["body"] and "m.relates_to" not in new and new["msgtype"] == "m.notice"
        assert change["encrypted"] is encrypted
        # An edit to the same answer changes nothing; there is only the one m.replace.
        await alice.send_edit(room_id, question, "!info  briar")
        again = {"room_id": room_id, "sender": bot_id, "rel_type": "m.replace", "exclude": [change["event_id"]]}
        assert await alice.wait_event(again, timeout=QUIET_S + 1) is None

        # An unaddressed message edited into a question for the bot: one answer, to the original.
        chatter = await alice.send_text(room_id, "what is molly?")
        assert await reply_to(alice, room_id, bot_id, chatter, timeout=QUIET_S) is None
        await alice.send_edit(room_id, chatter, "recbot: what is molly?")
        late = await reply_to(alice, room_id, bot_id, chatter)
        assert late is not None and "Molly" in late["content"]["body"]

        # Reactions: once per person per answer; taking the reaction back takes the vote back.
        up = await alice.react(room_id, answer["event_id"], "👍🏽")
        await alice.react(room_id, answer["event_id"], "+1")  # alice again: not counted

        async def votes() -> list[tuple[int, int]]:
            return [(row.up, row.down) for row in await bot.storage.feedback(room_id)]

        async def counted() -> bool:
            return await votes() == [(1, 0)]

        await eventually(counted, "the vote is counted")
        feedback = await reply_to(alice, room_id, bot_id, await alice.send_text(room_id, "!feedback"))
        assert feedback is not None and "👍 1" in feedback["content"]["body"], feedback["content"]["body"]
        await alice.redact(room_id, up)

        async def uncounted() -> bool:
            return await votes() == []

        await eventually(uncounted, "the vote is taken back")

        # Unanswered questions: kept only with collecting on (the room creator is a moderator).
        for text in ("recbot: what is the weather tomorrow", "!set collect on", "recbot: wie wint de finale"):
            sent = await alice.send_text(room_id, text)
            if text.startswith("!"):
                assert await reply_to(alice, room_id, bot_id, sent) is not None
        await alice.send_text(room_id, "!info session")  # answered: never collected

        async def collected() -> bool:
            return [row[2] for row in await bot.storage.unanswered(room_id)] == ["wie wint de finale"]

        await eventually(collected, "the unanswered question is kept")
        listing = await reply_to(alice, room_id, bot_id, await alice.send_text(room_id, "!onbeantwoord"))
        assert listing is not None and "wie wint de finale" in listing["content"]["body"]
        assert "weather" not in listing["content"]["body"] and alice.user_id not in listing["content"]["body"]
        await bot.storage.prune_unanswered(int(time.time() * 1000) + 15 * 24 * 3600 * 1000)
        listing = await reply_to(alice, room_id, bot_id, await alice.send_text(room_id, "!unanswered"))
        assert listing is not None and "finale" not in listing["content"]["body"]

        # A redacted question takes its answer along, within seconds.
        await alice.redact(room_id, question)
        gone = await alice.wait_event(
            {"room_id": room_id, "sender": bot_id, "redacts": answer["event_id"]}, timeout=REDACT_WITHIN_S
        )
        assert gone is not None, "the answer to the removed question was not redacted"
        assert gone["content"].get("reason", "question removed") == "question removed"


@pytest.mark.asyncio
async def test_an_answer_a_moderator_removed_is_never_sent_again_and_about_says_what_is_kept(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    async with group_room(synapse, account, tmp_path) as group:
        bot, alice, carol, room_id = group.bot, group.alice, group.carol, group.room_id
        assert carol is not None
        question = await carol.say(room_id, "!info signal")
        answer = await carol.reply_to(question, group.bot_id)
        assert answer is not None
        await alice.client.room_redact(room_id, answer.event_id, reason="off topic")  # alice: the moderator

        async def removed() -> bool:
            record = await bot.storage.answer_to(question)
            return record is not None and record.removed

        await eventually(removed, "the removal is recorded")
        await carol.say(
            room_id,
            "* !info briar",
            **{"m.new_content": {"msgtype": "m.text", "body": "!info briar"},
               "m.relates_to": {"rel_type": "m.replace", "event_id": question}},
        )
        assert await carol.replies(group.bot_id, QUIET_S + 1) == []
        about = await carol.reply_to(await carol.say(room_id, "!over"), group.bot_id)
        assert about is not None and "Over recbot" in about.body and "14 dagen" in about.body


@pytest.mark.asyncio
@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_edits_made_while_the_bot_was_down_are_acted_on_once_across_restarts_and_gaps(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path, encrypted: bool
) -> None:
    bot_account, alice_account, carol_account = account("recbot"), account("alice"), account("carol")
    await set_display_name(synapse, bot_account, "recbot")
    config = bot_config(synapse, bot_account, tmp_path / "bot")
    gappy = replace(TEST_TUNING, timeline_limit=2)  # the sync after the restart is limited: a gap
    store = tmp_path / "alice-store" if encrypted else None
    async with user(synapse, alice_account, store) as alice, user(synapse, carol_account) as carol:
        async with running(config, gappy):
            room_id = await alice.create_room([bot_account.user_id, carol.user_id], encrypted=encrypted)
            await carol.join(room_id)
            await alice.wait_joined(room_id, bot_account.user_id)
            question = await alice.say(room_id, "!info signal")
            answer = await alice.reply_to(question, bot_account.user_id)
            assert answer is not None
            chatter = await alice.say(room_id, "what is simplex?")
            assert await alice.reply_to(chatter, bot_account.user_id, timeout=QUIET_S) is None

        def edit(target: str, body: str) -> dict[str, Any]:
            return {"m.new_content": {"msgtype": "m.text", "body": body},
                    "m.relates_to": {"rel_type": "m.replace", "event_id": target}}

        await alice.say(room_id, "* !info briar", **edit(question, "!info briar"))
        await alice.say(room_id, "* recbot: what is simplex?", **edit(chatter, "recbot: what is simplex?"))
        for n in range(4):
            await carol.say(room_id, f"chatter {n}")
        for restart in range(2):  # a restart, and one more: each edit is acted on once
            async with running(config, gappy):
                seen = await alice.replies(bot_account.user_id, 8.0)
            edits = [e for e in seen if content_of(e).get("m.relates_to", {}).get("rel_type") == "m.replace"]
            answers = [e for e in seen if e not in edits]
            if restart == 0:
                assert len(edits) == 1 and "Briar" in content_of(edits[0])["m.new_content"]["body"]
                assert content_of(edits[0])["m.relates_to"]["event_id"] == answer.event_id
                assert len(answers) == 1 and "SimpleX" in answers[0].body
                assert content_of(answers[0])["m.relates_to"]["m.in_reply_to"]["event_id"] == chatter
            else:
                assert seen == []
        storage = await Storage.open(tmp_path / "bot")
        try:
            record = await storage.answer_to(question)
            assert record is not None and record.entries == ("briar",)
        finally:
            await storage.close()


def replaced(event: Any) -> str | None:
    """The event id an edit (``m.replace``) replaces, if ``event`` is one."""
    relation = (getattr(event, "source", {}).get("content") or {}).get("m.relates_to") or {}
    return relation.get("event_id") if relation.get("rel_type") == "m.replace" else None


@pytest.mark.asyncio
async def test_sigkill_while_edits_arrive_edits_each_answer_once_per_edit(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    names = ("signal", "briar", "molly", "session", "simplex")
    bot_account, alice_account = account("recbot"), account("alice")
    config = write_config(tmp_path / "config.yaml", synapse.base_url, bot_account, tmp_path / "data")
    async with process_dm(synapse, config, bot_account, alice_account) as (bot, alice, room_id):
        questions = [await alice.say(room_id, f"!info {name}") for name in names]
        await replied(alice.client, room_id, bot_account.user_id, questions)
        answers = {replied_to(e): e.event_id for e in await timeline(alice.client, room_id)
                   if e.sender == bot_account.user_id and replied_to(e)}
        edits: list[tuple[str, str]] = []  # (question, the entry it asks about now)

        async def edit_until(stop: asyncio.Event) -> None:
            while not stop.is_set():
                n = len(edits)
                question = questions[n % len(questions)]
                name = names[(n % len(questions) + n // len(questions) + 1) % len(names)]
                content = {"m.new_content": {"msgtype": "m.text", "body": f"!info {name}"},
                           "m.relates_to": {"rel_type": "m.replace", "event_id": question}}
                await alice.say(room_id, f"* !info {name}", **content)
                edits.append((question, name))
                await asyncio.sleep(0.1)

        stop = asyncio.Event()
        editing = asyncio.create_task(edit_until(stop))
        await kill_and_restart(bot)
        await asyncio.sleep(0.5)
        stop.set()
        await editing
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while True:  # every edit changes its answer: one m.replace each, no more
            events = await timeline(alice.client, room_id)
            bot_edits = [e for e in events if e.sender == bot_account.user_id and replaced(e)]
            if len(bot_edits) >= len(edits) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(QUIET_S)
        events = await timeline(alice.client, room_id)
    bot_edits = [e for e in events if e.sender == bot_account.user_id and replaced(e)]
    assert len(edits) >= 10
    assert len(bot_edits) == len(edits), "not exactly one edit of the answer per edit of the question"
    assert len([e for e in events if e.sender == bot_account.user_id and replied_to(e)]) == len(questions)
    for question in questions:
        last_asked = [name for asked, name in edits if asked == question][-1]
        last_edit = [e for e in bot_edits if replaced(e) == answers[question]][-1]
        assert last_asked in content_of(last_edit)["m.new_content"]["body"].lower()
    assert "Traceback" not in bot.output
