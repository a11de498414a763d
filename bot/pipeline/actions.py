"""Actions: what the pipeline decided to do, and the I/O port that does it.

An Action is plain data (send a reply, edit an answer, redact an answer); ``Io`` is what the
Matrix client offers the pipeline (send, redact, fetch one event) and nothing more, so the
pipeline can be read, and tested, without a homeserver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..respond import build_edit, build_notice, build_reply, reply_txn_id
from .message import Message

#: The reason given when the bot removes its answer to a removed question.
QUESTION_REMOVED = "question removed"


@dataclass(frozen=True)
class SendReply:
    """Reply to ``question_id`` (in its thread, if any), at most once (one transaction id)."""

    room_id: str
    question_id: str
    thread_root: str | None
    text: str
    html: str
    deadline: float | None = None  # time.monotonic(): give up sending after this

    def content(self) -> dict[str, object]:
        return build_reply(self.text, self.html, in_reply_to=self.question_id, thread_root=self.thread_root)

    @property
    def txn_id(self) -> str:
        return reply_txn_id(self.question_id)


@dataclass(frozen=True)
class SendNotice:
    """Post a notice that replies to nothing (a refresh report); ``cause`` names what caused
    it, so a resend has the same transaction id."""

    room_id: str
    cause: str
    text: str
    html: str
    deadline: float | None = None  # time.monotonic(): give up sending after this

    def content(self) -> dict[str, object]:
        return build_notice(self.text, self.html)

    @property
    def txn_id(self) -> str:
        return reply_txn_id(f"{self.room_id}|{self.cause}", "report")


@dataclass(frozen=True)
class EditAnswer:
    """Replace the bot's answer ``answer_id`` because of edit event ``edit_id``."""

    room_id: str
    answer_id: str
    edit_id: str
    text: str
    html: str

    def content(self) -> dict[str, object]:
        return build_edit(self.answer_id, self.text, self.html)

    @property
    def txn_id(self) -> str:
        return reply_txn_id(self.edit_id, "edit")


@dataclass(frozen=True)
class RedactAnswer:
    """Redact the bot's answer ``answer_id`` because of redaction event ``cause_id``."""

    room_id: str
    answer_id: str
    cause_id: str
    reason: str = QUESTION_REMOVED

    @property
    def txn_id(self) -> str:
        return reply_txn_id(self.cause_id, "redact")


class Io(Protocol):
    """The Matrix side of the pipeline (implemented by the Bot)."""

    async def send(self, action: SendReply | EditAnswer | SendNotice) -> str | None:
        """Send the message; its event id, or None if it could not be sent."""

    async def redact(self, action: RedactAnswer) -> bool:
        """Redact the event; whether that worked."""

    async def fetch(self, room_id: str, event_id: str) -> Message | None:
        """One earlier event of ``room_id``, parsed (decrypted if need be); None if unavailable."""
