"""Addressing: is a Message for the bot (and is the room a DM)?

Pure functions over a parsed Message, so the rules are testable without a homeserver:
in a DM (the bot and one other member) every text message counts; in a group room only
commands (the configured prefix or ``/``) and mentions of the bot do, and, with the room's
auto-answer on, any other plain text message (answered only when the engine is sure).
"""

from __future__ import annotations

from dataclasses import dataclass

from .message import Kind, Me, Message, is_slash_command

#: Addressed.reason of a question the bot answers only because auto-answer is on.
AUTO = "auto"


@dataclass(frozen=True)
class Addressed:
    """A message for the bot: the text for the engine and why it counts."""

    text: str
    reason: str  # "mention", "prefix", "slash", "dm" or "auto"


def address(message: Message, me: Me, *, member_count: int, autoanswer: bool = False) -> Addressed | None:
    """The question in ``message`` (a message or an edit's new content), or None if the bot
    should stay quiet: never its own messages, notices (other bots) or other msgtypes."""
    if message.kind not in (Kind.MESSAGE, Kind.EDIT) or message.sender == me.user_id or message.msgtype != "m.text":
        return None
    text, prefix = message.text, me.prefix
    if message.named or message.mentioned:
        reason = "mention"
    elif text.startswith(prefix) and text[len(prefix) : len(prefix) + 1].strip():
        reason = "prefix"
    elif is_slash_command(text):
        reason = "slash"
    elif is_dm(member_count) and text:
        reason = "dm"
    elif autoanswer and text:
        reason = AUTO
    else:
        return None
    return Addressed(message.question, reason)


def is_dm(member_count: int) -> bool:
    """Whether a room with ``member_count`` members (joined and invited) is a DM with the bot."""
    return member_count == 2
