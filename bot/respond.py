"""Builds the content of every message the bot sends (the one place that decides its shape).

A reply is an ``m.notice`` (so other bots ignore it) with plain and HTML bodies, a
reply relation to the question (inside the question's thread, if any) and empty
``m.mentions`` so nobody is pinged. Both bodies are bounded in size. An edit of a reply
is an ``m.replace`` whose ``m.new_content`` is a reply's content without its relation
(the original's reply and thread relations stay, as the spec requires). Transaction ids
are derived from the event that caused the message, so a resend never duplicates it.
"""

from __future__ import annotations

import hashlib
import html
from typing import Any

#: Cap for ``body`` and for ``formatted_body``, in UTF-8 bytes (a Matrix event may be 64 KiB).
MAX_BYTES = 16 * 1024
ELLIPSIS = "…"
#: A cut may move back to whitespace if that keeps at least this share of the text.
_WORD_BOUNDARY_SHARE = 0.8


def build_reply(
    text: str,
    html_body: str,
    *,
    in_reply_to: str,
    thread_root: str | None = None,
    max_bytes: int = MAX_BYTES,
) -> dict[str, Any]:
    """Content for a reply to event ``in_reply_to``; ``html_body`` must already be safe HTML."""
    content = build_notice(text, html_body, max_bytes=max_bytes)
    content["m.relates_to"] = reply_relation(in_reply_to, thread_root)
    return content


def build_notice(text: str, html_body: str, *, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Content for a notice that replies to nothing (a report); ``html_body`` must be safe HTML."""
    body = truncate(text, max_bytes)
    if len(html_body.encode("utf-8")) > max_bytes:
        # Cutting HTML could split a tag or entity; the escaped plain text is always safe.
        html_body = escape_within(body, max_bytes)
    return {
        "msgtype": "m.notice",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": html_body,
        "m.mentions": {},
    }


def build_edit(answer_id: str, text: str, html_body: str, *, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Content replacing the bot's answer ``answer_id`` with a new reply text. The text is
    there twice (the new content and the fallback body), so each half gets half the bytes
    and the edit is no bigger than a reply."""
    new = build_reply(text, html_body, in_reply_to=answer_id, max_bytes=max_bytes // 2)
    del new["m.relates_to"]
    return {
        "msgtype": new["msgtype"],
        "body": "* " + new["body"],
        "format": new["format"],
        "formatted_body": "* " + new["formatted_body"],
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": answer_id},
        "m.mentions": {},
    }


def reply_relation(in_reply_to: str, thread_root: str | None) -> dict[str, Any]:
    """A rich-reply relation, in the thread rooted at ``thread_root`` when given."""
    relation: dict[str, Any] = {"m.in_reply_to": {"event_id": in_reply_to}}
    if thread_root:
        relation.update({"rel_type": "m.thread", "event_id": thread_root, "is_falling_back": False})
    return relation


def truncate(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes, ending in "…" if it was cut."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    budget = max_bytes - len(ELLIPSIS.encode("utf-8"))
    cut = data[: max(budget, 0)].decode("utf-8", errors="ignore")  # never half a character
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= len(cut) * _WORD_BOUNDARY_SHARE:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def escape_within(text: str, max_bytes: int) -> str:
    """``text`` as escaped HTML (newlines as ``<br>``) of at most ``max_bytes`` bytes."""
    full = html.escape(text).replace("\n", "<br>")
    if len(full.encode("utf-8")) <= max_bytes:
        return full
    budget = max_bytes - len(ELLIPSIS.encode("utf-8"))
    pieces: list[str] = []
    used = 0
    for char in text:
        piece = "<br>" if char == "\n" else html.escape(char)
        size = len(piece.encode("utf-8"))
        if used + size > budget:
            return "".join(pieces) + ELLIPSIS
        pieces.append(piece)
        used += size
    return "".join(pieces)


def reply_txn_id(event_id: str, kind: str = "reply") -> str:
    """The transaction id of the bot's ``kind`` (reply, edit, redact) caused by event
    ``event_id``: the same in every run, so the homeserver keeps one copy when it is sent
    again after a crash."""
    return f"recbot-{kind}-" + hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:32]
