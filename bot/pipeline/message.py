"""The pipeline's input: one Matrix event parsed once into an immutable :class:`Message`.

Every later stage reads only a Message: the text without the reply fallback, quotes and
code, the mentions of the bot, the command (parsed here and nowhere else), the thread and
reply targets, and what kind of event it is (a message, an edit, a redaction or a
reaction). Events that are none of these (state, notices of other kinds, unparsable
content) give None.
"""

from __future__ import annotations

import enum
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from knowledge.engine import Command, parse_command
from knowledge.text import strip_quotes_and_code

#: Reaction keys are bounded (a key is meant to be one emoji or a short word).
MAX_KEY_CHARS = 32
#: Mentions read from one message.
MAX_MENTIONS = 50

_SLASH_COMMAND = re.compile(r"/(?=[^\W\d_])")
_SPACES = re.compile(r"\s+")
_PILL = re.compile(r"""(?:matrix\.to/#/|matrix:u/)(@?[^"'?/<>\s]+)""")


class Kind(enum.Enum):
    MESSAGE = "message"
    EDIT = "edit"  # m.replace of ``target``; the text is the new content's
    REDACTION = "redaction"  # removes ``target``
    REACTION = "reaction"  # ``key`` on ``target``


@dataclass(frozen=True)
class Me:
    """Who the bot is in a room: its user id, the names people call it, its prefix."""

    user_id: str
    names: Sequence[str]
    prefix: str


@dataclass(frozen=True)
class Message:
    kind: Kind
    event_id: str
    room_id: str
    sender: str
    ts: int  # the server's timestamp, ms
    msgtype: str = ""  # of a message or of an edit's new content
    text: str = ""  # without reply fallback, quotes and code
    question: str = ""  # ``text`` for the engine: the bot's name taken off, ``/cmd`` as ``{prefix}cmd``
    named: bool = False  # starts by addressing the bot ("recbot: …", "@recbot …")
    mentions: frozenset[str] = frozenset()  # user ids mentioned (m.mentions and pills)
    mentioned: bool = False  # the bot is among them
    command: Command | None = None  # parsed from ``question``
    thread_root: str | None = None
    reply_to: str | None = None
    target: str | None = None  # the event edited, redacted or reacted to
    key: str = ""  # a reaction's key


def parse(source: Mapping[str, Any], room_id: str, me: Me) -> Message | None:
    """The Message in one event's JSON (``source``), or None if it is none of our kinds."""
    event_id, sender, ts = source.get("event_id"), source.get("sender"), source.get("origin_server_ts")
    if not (isinstance(event_id, str) and isinstance(sender, str) and isinstance(ts, int)):
        return None
    content = source.get("content")
    content = content if isinstance(content, Mapping) else {}
    base = {"event_id": event_id, "room_id": room_id, "sender": sender, "ts": ts}
    kind = source.get("type")
    if kind == "m.room.redaction":
        target = source.get("redacts") or content.get("redacts")  # room v11 moved it into content
        return Message(Kind.REDACTION, **base, target=target) if isinstance(target, str) else None
    relation = content.get("m.relates_to")
    relation = relation if isinstance(relation, Mapping) else {}
    if kind == "m.reaction":
        target, key = relation.get("event_id"), relation.get("key")
        if relation.get("rel_type") != "m.annotation" or not isinstance(target, str) or not isinstance(key, str):
            return None
        return Message(Kind.REACTION, **base, target=target, key=key[:MAX_KEY_CHARS])
    if kind != "m.room.message":
        return None
    if relation.get("rel_type") == "m.replace":
        new = content.get("m.new_content")
        target = relation.get("event_id")
        if not isinstance(new, Mapping) or not isinstance(target, str):
            return None
        return _with_text(Message(Kind.EDIT, **base, target=target), new, me)
    reply = relation.get("m.in_reply_to")
    reply_to = reply.get("event_id") if isinstance(reply, Mapping) else None
    root = relation.get("event_id") if relation.get("rel_type") == "m.thread" else None
    return _with_text(
        Message(
            Kind.MESSAGE,
            **base,
            thread_root=root if isinstance(root, str) and root else None,
            reply_to=reply_to if isinstance(reply_to, str) else None,
        ),
        content,
        me,
    )


def _with_text(message: Message, content: Mapping[str, Any], me: Me) -> Message:
    """``message`` with the text, mentions and command of ``content``."""
    msgtype, body = content.get("msgtype"), content.get("body")
    if not isinstance(msgtype, str) or not isinstance(body, str):
        return replace(message, msgtype=msgtype if isinstance(msgtype, str) else "")
    text = strip_quotes_and_code(body)
    names = _names(me.user_id, me.names)
    rest = strip_leading_mention(text, names)
    mentioned_ids = mentions(content)
    mentioned = me.user_id in mentioned_ids
    if rest is not None:
        question = rest
    elif mentioned:
        question = remove_names(text, names)
    else:
        question = text
    question = _slash_to_prefix(question, me.prefix)
    return replace(
        message,
        msgtype=msgtype,
        text=text,
        question=question,
        named=rest is not None,
        mentions=mentioned_ids,
        mentioned=mentioned,
        command=parse_command(question, me.prefix),
    )


def mentions(content: Mapping[str, Any]) -> frozenset[str]:
    """The user ids a message mentions: ``m.mentions`` and pills in its HTML (bounded)."""
    found: set[str] = set()
    intentional = content.get("m.mentions")
    if isinstance(intentional, Mapping):
        user_ids = intentional.get("user_ids")
        if isinstance(user_ids, list):
            found.update(user for user in user_ids[:MAX_MENTIONS] if isinstance(user, str))
    formatted = content.get("formatted_body")
    if isinstance(formatted, str):
        for match in _PILL.finditer(formatted[:20000]):
            if len(found) >= 2 * MAX_MENTIONS:
                break
            user = urllib.parse.unquote(match.group(1))
            found.add(user if user.startswith("@") else "@" + user)
    return frozenset(found)


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


def _names(user_id: str, extra: Sequence[str]) -> list[str]:
    """The bot's user id (without "@") and names, longest first so full ids win."""
    candidates = {user_id.removeprefix("@"), *(name.strip() for name in extra)}
    return sorted((name for name in candidates if name), key=len, reverse=True)


def _slash_to_prefix(text: str, prefix: str) -> str:
    """``/help`` → ``{prefix}help``; anything else unchanged."""
    return prefix + text[1:] if _SLASH_COMMAND.match(text) else text


def is_slash_command(text: str) -> bool:
    """Whether ``text`` starts like ``/help`` (a slash and a letter)."""
    return _SLASH_COMMAND.match(text) is not None
