"""Addressing: is a Message for the bot, and whose invites count.

Pure functions over a parsed Message, so the rules are testable without a homeserver:
in a DM (the bot and one other member) every text message counts; in a group room only
commands (the configured prefix or ``/``) and mentions of the bot do, and, with the room's
auto-answer on, any other plain text message (answered only when the engine is sure).
"""

from __future__ import annotations

from collections.abc import Sequence
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


def is_fresh(ts_ms: int, now_ms: int, max_age_s: int, joined_ms: int | None) -> bool:
    """Whether an event sent at ``ts_ms`` is young enough and not from before the bot joined."""
    if joined_ms is not None and ts_ms < joined_ms:
        return False
    return now_ms - ts_ms <= max_age_s * 1000


def inviter_allowed(inviter: str | None, allowed: Sequence[str]) -> bool:
    """Whether an invite from ``inviter`` may be accepted (empty ``allowed``: anyone).

    Entries are full user ids or ``:server.name`` suffixes matching everyone on a server.
    """
    if not allowed:
        return True
    if not inviter:
        return False
    server = inviter.partition(":")[2]
    return any(inviter == entry or (entry.startswith(":") and server == entry[1:]) for entry in allowed)
