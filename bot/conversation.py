"""From a question to the reply the bot sends: the engine's answer in the room's language,
a moderator command's result, a pointer to an identical earlier answer, a flood notice,
or nothing. The Bot claims, sends and records; this decides.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from nio import SyncResponse

from knowledge.engine import Answer
from knowledge.render import help_pointer
from knowledge.understand import parse_command

from . import replies
from .addressing import Addressed
from .config import Config
from .flood import FloodControl, RepeatGuard, Verdict, question_key
from .authority import Role, commands_for, may_use, rate_limited
from .moderation import MODERATOR_COMMANDS, ModeratorCommands, RoomPowerBook, Stats, role
from .refresh import SIGNAL, EngineHolder
from .settings import AUTO, RoomSettingsBook, confident, unaddressed
from .storage import Storage

log = logging.getLogger(__name__)


class Question(Protocol):
    """A message the bot may answer (the Bot's own question type fits)."""

    @property
    def room_id(self) -> str: ...
    @property
    def event_id(self) -> str: ...
    @property
    def sender(self) -> str: ...
    @property
    def addressed(self) -> Addressed: ...
    @property
    def dm(self) -> bool: ...


@dataclass(frozen=True)
class Turn:
    """A question the bot will reply to, with what it made of it."""

    room_id: str
    event_id: str
    sender: str
    auto: bool  # asked without addressing the bot (auto-answer)
    room_lang: str
    answer: Answer
    text: str  # the reply as plain text: the answer, or a DM's help pointer
    html: str
    key: str  # for the repeat guard: the question, normalized, and its reply
    command: str = ""  # a restricted command its sender may use, run instead of replying ``text``
    args: str = ""
    role: Role = Role.MEMBER  # the sender's, in this room

    @property
    def quiet(self) -> bool:
        """Nothing to say: a group-room message the engine did not take as a question."""
        return not (self.command or self.text)


@dataclass(frozen=True)
class Outgoing:
    """A reply to send: ``kind`` is answer, command, pointer or notice."""

    text: str
    html: str
    kind: str


class Conversation:
    """Room settings, moderators, flood control and moderator commands, for one Bot."""

    def __init__(self, config: Config, holder: EngineHolder, joined_rooms: Callable[[], int]):
        self._config = config
        self._holder = holder
        self.settings = RoomSettingsBook()
        self.power = RoomPowerBook()
        self.stats = Stats(joined_rooms)
        self._flood = FloodControl(config.limits)
        self._repeats = RepeatGuard()
        self._commands = ModeratorCommands(config, holder, self.settings, self.stats)

    async def start(self, storage: Storage) -> None:
        """Load the room settings and keep the audit trail in ``storage``; uptime starts."""
        await self.settings.load(storage)
        self._commands.start(storage)
        self.stats.started = time.monotonic()

    def observe(self, response: SyncResponse) -> None:
        """Take in a sync's power-level and room-creation events."""
        self.power.observe(response)

    def role(self, room_id: str, user_id: str, *, dm: bool) -> Role:
        """``user_id``'s authority in ``room_id`` (see :mod:`bot.authority`)."""
        return role(user_id, self.power.get(room_id), dm=dm, config=self._config.moderation)

    def is_moderator(self, room_id: str, user_id: str, *, dm: bool) -> bool:
        return self.role(room_id, user_id, dm=dm) >= Role.MODERATOR

    @property
    def stale_knowledge(self) -> tuple[str, ...]:
        """Sources the live base was read from a cached copy of (empty: all fresh)."""
        return self._commands.stale

    @stale_knowledge.setter
    def stale_knowledge(self, lines: tuple[str, ...]) -> None:
        self._commands.stale = tuple(lines)

    def unaddressed(
        self, room_id: str, content: Mapping[str, Any], sender: str, bot_user_id: str
    ) -> Addressed | None:
        """A message not addressed to the bot, as a question if the room has auto-answer on."""
        if not self.settings.get(room_id).autoanswer:
            return None
        return unaddressed(content, sender, bot_user_id)

    async def understand(self, question: Question) -> Turn | None:
        """What the bot would reply to ``question``; None if it should stay quiet."""
        engine = self._holder.engine  # read once: a refresh never mixes two bases in one answer
        bot = self._config.bot
        room_lang = self.settings.get(question.room_id).language or bot.default_language
        sender_role = self.role(question.room_id, question.sender, dm=question.dm)
        text = question.addressed.text
        answer = await asyncio.to_thread(
            engine.answer, text, default_lang=room_lang, prefix=bot.command_prefix, moderator=commands_for(sender_role)
        )
        auto = question.addressed.reason == AUTO
        if auto and not confident(answer):
            return None
        plain, html, command, args = answer.text, answer.html, "", ""
        if sender_role is not Role.MEMBER and answer.command in MODERATOR_COMMANDS:
            if may_use(sender_role, answer.command):
                parsed = parse_command(text, bot.command_prefix)
                command, args = answer.command, parsed.args if parsed else ""
            else:  # a room moderator asking for something global (members are refused by the engine)
                refused = replies.admin_only(answer.lang)
                plain, html = refused.text, refused.html
        elif answer.intent == "none":
            if not question.dm:
                return None
            plain, html = help_pointer(answer.lang, bot.command_prefix)
        return Turn(
            question.room_id,
            question.event_id,
            question.sender,
            auto,
            room_lang,
            answer,
            plain,
            html,
            _repeat_key(text, plain),
            command,
            args,
            sender_role,
        )

    async def reply(self, turn: Turn) -> Outgoing | None:
        """What to send for ``turn`` (running a moderator command); None: stay silent,
        the flood limits are reached."""
        if rate_limited(turn.role):
            verdict = self._flood.admit(turn.sender, turn.room_id, may_notice=not turn.auto)
            if verdict is Verdict.SILENT:
                log.info("flood limit reached in %s; not answering", turn.room_id)
                return None
            if verdict is Verdict.NOTICE:
                notice = replies.slow_down(turn.room_lang)
                return Outgoing(notice.text, notice.html, "notice")
        if turn.command:
            result = await self._commands.run(
                turn.command, turn.args, turn.sender, turn.room_id, turn.answer.lang, turn.role
            )
            return Outgoing(result.text, result.html, "command")
        earlier = self._repeats.earlier(turn.room_id, turn.key, turn.event_id)
        if earlier is not None:
            pointer = replies.pointer(turn.room_id, earlier, turn.answer.lang)
            return Outgoing(pointer.text, pointer.html, "pointer")
        return Outgoing(turn.text, turn.html, "answer")

    def sent(self, turn: Turn, outgoing: Outgoing, event_id: str | None) -> None:
        """Note that ``outgoing`` was sent as ``event_id`` (None: sending failed)."""
        if outgoing.kind == "answer":
            if event_id is None:
                self._repeats.forget(turn.room_id, turn.key, turn.event_id)
            else:
                self._repeats.answered(turn.room_id, turn.key, turn.event_id, event_id)
        if event_id is not None and outgoing.kind != "notice":
            self.stats.answered += 1

    async def refresh_on_signal(self) -> None:
        """Reload the knowledge sources because of SIGHUP, the operator's (an admin's) way;
        the outcome is logged and recorded."""
        await self._commands.refresh(SIGNAL, None)


def _repeat_key(question: str, reply: str) -> str:
    """Same question, same reply: a moderator's help or an answer from a refreshed base
    differs from the earlier one, so it is given in full."""
    return question_key(question) + "\n" + hashlib.sha256(reply.encode("utf-8")).hexdigest()[:16]
