"""When the bot answers: addressing rules, freshness, threads and invites (pure functions
over parsed Messages)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.pipeline.addressing import AUTO, Addressed, address
from bot.pipeline.message import Kind, Me, Message, parse
from bot.pipeline.policy import inviter_allowed, is_fresh

BOT = "@recbot:example.org"
ALICE = "@alice:example.org"
GROUP = 5
DM = 2
REPLACE = {"m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}}


def text(body: str, **extra: Any) -> dict[str, Any]:
    return {"msgtype": "m.text", "body": body, **extra}


def message(content: dict[str, Any], *, sender: str = ALICE, prefix: str = "!") -> Message | None:
    source = {"type": "m.room.message", "event_id": "$e", "sender": sender, "origin_server_ts": 1, "content": content}
    return parse(source, "!room:example.org", Me(BOT, ["recbot", "Rec Bot"], prefix))


def ask(
    content: dict[str, Any], *, members: int = GROUP, sender: str = ALICE, prefix: str = "!", auto: bool = False
) -> Addressed | None:
    parsed = message(content, sender=sender, prefix=prefix)
    if parsed is None:
        return None
    return address(parsed, Me(BOT, ["recbot", "Rec Bot"], prefix), member_count=members, autoanswer=auto)


@pytest.mark.parametrize(
    ("body", "expected", "reason"),
    [
        ("!info signal", "!info signal", "prefix"),
        ("/help", "!help", "slash"),
        ("/info signal", "!info signal", "slash"),
        ("recbot: what is briar?", "what is briar?", "mention"),
        ("recbot, what is briar?", "what is briar?", "mention"),
        ("@recbot what is briar?", "what is briar?", "mention"),
        ("RECBOT: what is briar?", "what is briar?", "mention"),
        ("Rec Bot: what is briar?", "what is briar?", "mention"),
        ("@recbot:example.org: what is briar?", "what is briar?", "mention"),
        ("recbot: /help", "!help", "mention"),
    ],
)
def test_addressed_in_a_group(body: str, expected: str, reason: str) -> None:
    assert ask(text(body)) == Addressed(expected, reason)


@pytest.mark.parametrize(
    "body",
    ["hallo allemaal", "what about signal?", "recbotfan: hi", "! info", "!", "/ help", "/2 is half", "see recbot"],
)
def test_chatter_in_a_group_is_ignored(body: str) -> None:
    assert ask(text(body)) is None


def test_every_message_counts_in_a_dm() -> None:
    assert ask(text("what is briar?"), members=DM) == Addressed("what is briar?", "dm")
    assert ask(text("!help"), members=DM) == Addressed("!help", "prefix")
    assert ask(text("   "), members=DM) is None


def test_intentional_mention_counts_and_names_are_removed() -> None:
    content = text("what does Rec Bot think of signal?", **{"m.mentions": {"user_ids": [BOT]}})
    assert ask(content) == Addressed("what does think of signal?", "mention")


def test_pill_in_html_counts_as_a_mention() -> None:
    content = text(
        "hey recbot what is briar",
        format="org.matrix.custom.html",
        formatted_body='hey <a href="https://matrix.to/#/@recbot:example.org">recbot</a> what is briar',
    )
    assert ask(content) == Addressed("hey what is briar", "mention")


def test_mention_of_someone_else_is_ignored() -> None:
    assert ask(text("what is briar", **{"m.mentions": {"user_ids": [ALICE]}})) is None


def test_other_prefix() -> None:
    assert ask(text("?info signal"), prefix="?") == Addressed("?info signal", "prefix")
    assert ask(text("!info signal"), prefix="?") is None
    assert ask(text("/help"), prefix="?") == Addressed("?help", "slash")


def test_reply_fallback_is_stripped() -> None:
    body = "> <@bob:example.org> earlier text\n> more\n\n!info briar"
    assert ask(text(body)) == Addressed("!info briar", "prefix")


@pytest.mark.parametrize(
    ("content", "sender"),
    [
        (text("!help"), BOT),  # its own message
        ({"msgtype": "m.notice", "body": "!help"}, ALICE),  # another bot
        ({"msgtype": "m.emote", "body": "!help"}, ALICE),
        (text("* !help", **{"m.new_content": {"msgtype": "m.notice", "body": "!help"}, **REPLACE}), ALICE),
        (text("!help", **REPLACE), ALICE),  # an edit without new content
        ({"msgtype": "m.text", "body": 5}, ALICE),
        ({"msgtype": "m.text"}, ALICE),
    ],
)
def test_never_answered(content: dict[str, Any], sender: str) -> None:
    assert ask(content, sender=sender, members=DM) is None


def test_an_edit_is_addressed_by_its_new_content() -> None:
    edit = text("* recbot: what is briar?", **{"m.new_content": text("recbot: what is briar?"), **REPLACE})
    parsed = message(edit)
    assert parsed is not None and parsed.kind is Kind.EDIT and parsed.target == "$x"
    assert ask(edit) == Addressed("what is briar?", "mention")
    chatter = text("* nice weather", **{"m.new_content": text("nice weather"), **REPLACE})
    assert ask(chatter) is None
    assert ask(chatter, auto=True) == Addressed("nice weather", AUTO)


def test_thread_root_and_reply_target() -> None:
    threaded = message(text("x", **{"m.relates_to": {"rel_type": "m.thread", "event_id": "$root"}}))
    assert threaded is not None and threaded.thread_root == "$root"
    reply = message(text("x", **{"m.relates_to": {"m.in_reply_to": {"event_id": "$x"}}}))
    assert reply is not None and reply.thread_root is None and reply.reply_to == "$x"
    plain = message(text("x"))
    assert plain is not None and plain.thread_root is None and plain.reply_to is None


def test_freshness() -> None:
    now = 1_000_000_000
    assert is_fresh(now - 600_000, now, 600, None)
    assert not is_fresh(now - 600_001, now, 600, None)
    assert not is_fresh(now - 1000, now, 600, joined_ms=now - 500)
    assert is_fresh(now - 1000, now, 600, joined_ms=now - 2000)


@pytest.mark.parametrize(
    ("inviter", "allowed", "ok"),
    [
        (ALICE, (), True),
        (None, (), True),
        (ALICE, (ALICE,), True),
        ("@mallory:evil.org", (ALICE,), False),
        ("@bob:example.org", (":example.org",), True),
        ("@bob:notexample.org", (":example.org",), False),
        ("@bob:sub.example.org", (":example.org",), False),
        (None, (":example.org",), False),
    ],
)
def test_inviter_allowed(inviter: str | None, allowed: tuple[str, ...], ok: bool) -> None:
    assert inviter_allowed(inviter, allowed) is ok


def test_auto_answer_takes_plain_text_from_others_only() -> None:
    assert ask(text("what is briar?"), auto=True) == Addressed("what is briar?", AUTO)
    assert ask({"msgtype": "m.notice", "body": "what is briar?"}, auto=True) is None
    assert ask(text("what is briar?"), sender=BOT, auto=True) is None
    assert ask(text("> <@b:x> hi\n\n  "), auto=True) is None
