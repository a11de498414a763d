"""Who the bot listens to: which messages are questions for it, and whose invites count.

Pure functions over event content, so the rules are testable without a homeserver:
in a DM (the bot and one other member) every text message counts; in a group room
only commands (the configured prefix or ``/``) and mentions of the bot do.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_SLASH_COMMAND = re.compile(r"/(?=[^\W\d_])")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Addressed:
    """A message for the bot: the text for the engine and why it counts."""

    text: str
    reason: str  # "mention", "prefix", "slash" or "dm"


def address(
    content: Mapping[str, Any],
    sender: str,
    *,
    bot_user_id: str,
    bot_names: Iterable[str],
    member_count: int,
    prefix: str,
) -> Addressed | None:
    """The question in an ``m.room.message`` content, or None if the bot should stay quiet.

    ``bot_names`` are the names people may address it by (display name, localpart);
    mentions at the start ("recbot: …", "@recbot …") are stripped, and a slash command
    ``/help`` is passed on as ``{prefix}help``.
    """
    if sender == bot_user_id or content.get("msgtype") != "m.text" or is_edit(content):
        return None
    body = content.get("body")
    if not isinstance(body, str):
        return None
    body = strip_reply_fallback(body).strip()
    names = _names(bot_user_id, bot_names)
    stripped = strip_leading_mention(body, names)
    if stripped is not None:
        return Addressed(_slash_to_prefix(stripped, prefix), "mention")
    if mentions(content, bot_user_id):
        return Addressed(_slash_to_prefix(remove_names(body, names), prefix), "mention")
    if body.startswith(prefix) and body[len(prefix) : len(prefix) + 1].strip():
        return Addressed(body, "prefix")
    if _SLASH_COMMAND.match(body):
        return Addressed(_slash_to_prefix(body, prefix), "slash")
    if is_dm(member_count) and body:
        return Addressed(body, "dm")
    return None


def is_dm(member_count: int) -> bool:
    """Whether a room with ``member_count`` members (joined and invited) is a DM with the bot."""
    return member_count == 2


def is_edit(content: Mapping[str, Any]) -> bool:
    """Whether the content replaces an earlier message (an edit)."""
    relation = content.get("m.relates_to")
    return "m.new_content" in content or (isinstance(relation, Mapping) and relation.get("rel_type") == "m.replace")


def thread_root(content: Mapping[str, Any]) -> str | None:
    """The thread root event id if the message was sent in a thread."""
    relation = content.get("m.relates_to")
    if isinstance(relation, Mapping) and relation.get("rel_type") == "m.thread":
        root = relation.get("event_id")
        return root if isinstance(root, str) and root else None
    return None


def is_fresh(ts_ms: int, now_ms: int, max_age_s: int, joined_ms: int | None) -> bool:
    """Whether an event sent at ``ts_ms`` is young enough and not from before the bot joined."""
    if joined_ms is not None and ts_ms < joined_ms:
        return False
    return now_ms - ts_ms <= max_age_s * 1000


def mentions(content: Mapping[str, Any], user_id: str) -> bool:
    """Whether the message mentions ``user_id`` (``m.mentions`` or a pill in the HTML)."""
    intentional = content.get("m.mentions")
    if isinstance(intentional, Mapping):
        user_ids = intentional.get("user_ids")
        if isinstance(user_ids, list) and user_id in user_ids:
            return True
    formatted = content.get("formatted_body")
    if not isinstance(formatted, str):
        return False
    targets = (f"matrix.to/#/{user_id}", f"matrix.to/#/{urllib.parse.quote(user_id)}", f"matrix:u/{user_id[1:]}")
    return any(target in formatted for target in targets)


def strip_reply_fallback(body: str) -> str:
    """``body`` without the quoted "> <@user> …" fallback lines of a rich reply."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> <"):
        return body
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    return "\n".join(lines)


def strip_leading_mention(body: str, names: Sequence[str]) -> str | None:
    """The rest of ``body`` if it starts by addressing one of ``names``, else None."""
    for name in names:
        match = re.match(rf"@?{re.escape(name)}(?:[:,]|\s|$)", body, re.IGNORECASE)
        if match:
            return body[match.end() :].strip()
    return None


def remove_names(body: str, names: Sequence[str]) -> str:
    """``body`` with every whole-word occurrence of ``names`` (and a leading ``@``) removed."""
    for name in names:
        body = re.sub(rf"@?(?<!\w){re.escape(name)}(?!\w)[:,]?", " ", body, flags=re.IGNORECASE)
    return _SPACES.sub(" ", body).strip()


def _names(user_id: str, extra: Iterable[str]) -> list[str]:
    """The bot's user id (without "@") and names, longest first so full ids win."""
    candidates = {user_id.removeprefix("@"), *(name.strip() for name in extra)}
    return sorted((name for name in candidates if name), key=len, reverse=True)


def _slash_to_prefix(text: str, prefix: str) -> str:
    """``/help`` → ``{prefix}help``; anything else unchanged."""
    return prefix + text[1:] if _SLASH_COMMAND.match(text) else text


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
