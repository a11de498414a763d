"""The pipeline itself: one Message in, at most one action out, for each kind of event.

Read top to bottom, a message goes: addressing (``address``) → understanding (the engine,
``understand``) → policy (authority, flood, repeats: ``reply``; exactly-once: the claim
in storage) → action (``SendReply``) → I/O (``Io.send``) → records (claim, answer row,
metrics). Edits, redactions and reactions are the same stages with other actions: an
edit of an answered question becomes ``EditAnswer`` (or nothing, if the answer stays the
same), an edit that newly addresses the bot a ``SendReply`` to the original; a redacted
question becomes ``RedactAnswer``; a 👍/👎 on an answer a vote, its redaction no vote.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from nio import SyncResponse

from knowledge.engine import Answer
from knowledge.render import Reply, directed, help_pointer

from .. import replies
from ..authority import Role, commands_for, may_use, rate_limited
from ..config import Config
from ..flood import Verdict, question_key
from ..metrics import Metrics
from ..moderation import MODERATOR_COMMANDS, ModeratorCommands, Stats
from ..refresh import SIGNAL, EngineHolder
from ..reports import Reporter
from ..settings import RoomSettingsBook, confident
from ..storage import AnswerRecord, Storage
from .actions import EditAnswer, Io, RedactAnswer, SendNotice, SendReply
from .addressing import AUTO, Addressed, address, is_dm
from .message import Kind, Me, Message
from .policy import Policy, is_fresh, vote_value

log = logging.getLogger(__name__)

#: Reply kinds recorded as answers (they can be edited, redacted and voted on).
_ANSWER_KINDS = ("answer", "pointer")
#: Intents whose answers could not answer the question (collected when a room asks).
_UNANSWERED_INTENTS = ("none",)


@dataclass(frozen=True)
class Room:
    """What the pipeline knows of the room an event came from."""

    me: Me
    member_count: int
    joined_ms: int | None = None

    @property
    def dm(self) -> bool:
        return is_dm(self.member_count)


@dataclass(frozen=True)
class Turn:
    """A question the bot will reply to, with what it made of it."""

    message: Message
    addressed: Addressed
    dm: bool
    room_lang: str
    answer: Answer
    text: str  # the reply as plain text: the answer, or a DM's help pointer
    html: str
    key: str  # for the repeat guard: the question, normalized, and its reply
    command: str = ""  # a bot command its sender may use (restricted ones, about), run instead of replying ``text``
    args: str = ""
    role: Role = Role.MEMBER  # the sender's, in this room

    @property
    def room_id(self) -> str:
        return self.message.room_id

    @property
    def event_id(self) -> str:
        return self.message.event_id

    @property
    def sender(self) -> str:
        return self.message.sender

    @property
    def auto(self) -> bool:
        """Asked without addressing the bot (auto-answer)."""
        return self.addressed.reason == AUTO

    @property
    def quiet(self) -> bool:
        """Nothing to say: a message the engine did not take as a question."""
        return not (self.command or self.text)


@dataclass(frozen=True)
class Outgoing:
    """A reply to send: ``kind`` is answer, command, pointer or notice."""

    text: str
    html: str
    kind: str


def digest(text: str) -> str:
    """What tells two replies apart (an edit whose answer has the same digest changes nothing)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Pipeline:
    """Room settings, policy, bot commands and the stages, for one Bot."""

    def __init__(self, config: Config, holder: EngineHolder, metrics: Metrics, joined_rooms: Callable[[], int]):
        self._config = config
        self._holder = holder
        self.metrics = metrics
        self.settings = RoomSettingsBook()
        self.policy = Policy(config)
        self.stats = Stats(joined_rooms)
        self._commands = ModeratorCommands(config, holder, self.settings, self.stats)
        self._storage: Storage | None = None
        self._io: Io | None = None
        #: Called by a handler about to wait on something other than the homeserver (a
        #: knowledge refresh), so the Bot does not hold its next sync for that reply.
        self.on_long_wait: Callable[[], None] = lambda: None

    async def start(self, storage: Storage, io: Io | None = None) -> None:
        """Load the room settings, keep records in ``storage``, act through ``io``."""
        await self.settings.load(storage)
        rooms = self._config.moderation.report_rooms
        self._commands.start(storage, Reporter(rooms, self._post, self._room_lang) if rooms else None)
        self._storage, self._io = storage, io
        self.stats.started = time.monotonic()

    def observe(self, response: SyncResponse) -> None:
        """Take in a sync's power-level and room-creation events."""
        self.policy.power.observe(response)

    @property
    def stale_knowledge(self) -> tuple[str, ...]:
        """Sources the live base was read from a cached copy of (empty: all fresh)."""
        return self._commands.stale

    @stale_knowledge.setter
    def stale_knowledge(self, lines: tuple[str, ...]) -> None:
        self._commands.stale = tuple(lines)

    @property
    def storage(self) -> Storage:
        assert self._storage is not None, "the pipeline is not started"
        return self._storage

    @property
    def io(self) -> Io:
        assert self._io is not None, "the pipeline has no I/O"
        return self._io

    # -- the entry point ---------------------------------------------------------------

    async def handle(self, message: Message, room: Room, received: float | None = None) -> None:
        """Do what ``message`` calls for (at most one action, at most once)."""
        if message.sender == room.me.user_id:
            return  # the bot's own events, its redactions of its answers included
        received = time.monotonic() if received is None else received
        if message.kind is Kind.MESSAGE:
            if self.fresh(message.ts, room):
                await self._question(message, room, received)
        elif message.kind is Kind.EDIT:
            if self.fresh(message.ts, room):
                await self._edit(message, room, received)
        elif message.kind is Kind.REDACTION:
            await self._redaction(message)
        elif message.kind is Kind.REACTION:
            await self._reaction(message)

    def fresh(self, ts_ms: int, room: Room) -> bool:
        return is_fresh(ts_ms, _now_ms(), self._config.bot.max_event_age, room.joined_ms)

    # -- questions ----------------------------------------------------------------------

    def address(self, message: Message, room: Room) -> Addressed | None:
        """Stage 1: is ``message`` for the bot (the room's auto-answer counts)?"""
        autoanswer = self.settings.get(message.room_id).autoanswer
        return address(message, room.me, member_count=room.member_count, autoanswer=autoanswer)

    async def _question(self, message: Message, room: Room, received: float) -> None:
        """Reply at most once per event: the engine's answer, a bot command's result, a
        pointer to an identical earlier answer or a flood notice."""
        addressed = self.address(message, room)
        if addressed is None:
            return
        turn = await self.understand(message, addressed, dm=room.dm)
        if turn is None:
            await self._collect(message, addressed, None)
            return
        self.metrics.question()
        if turn.quiet:
            self._unanswered(turn, "not_understood")
            return
        if not await self.storage.claim(message.event_id, message.room_id):
            self._unanswered(turn, "already_answered")
            return
        reply = await self.reply(turn)
        if reply is None:
            self._unanswered(turn, "rate_limited")
            await self.storage.release(message.event_id)
            return
        too_old_s = self._config.bot.max_event_age - (_now_ms() - message.ts) / 1000
        action = SendReply(
            message.room_id,
            message.event_id,
            message.thread_root,
            reply.text,
            reply.html,
            deadline=time.monotonic() + too_old_s,
        )
        sent = await self.io.send(action)
        self.sent(turn, reply, sent)
        if sent is None:
            self._unanswered(turn, "send_failed")
            await self.storage.release(message.event_id)
            return
        latency_s = time.monotonic() - received
        self.metrics.answered(turn.answer.intent, latency_s)
        if reply.kind in _ANSWER_KINDS:
            await self._record(turn, sent, reply)
        await self.storage.mark_answered(message.event_id)
        await self._collect(message, addressed, turn.answer)
        self._log("answered", turn, f"reply={reply.kind} latency_ms={latency_s * 1000:.0f}")

    async def understand(self, message: Message, addressed: Addressed, *, dm: bool) -> Turn | None:
        """Stage 2: what the bot would reply to ``addressed``; None if it should stay quiet."""
        engine = self._holder.engine  # read once: a refresh never mixes two bases in one answer
        bot = self._config.bot
        room_lang = self._room_lang(message.room_id)
        sender_role = self.policy.role(message.room_id, message.sender, dm=dm)
        text, command = addressed.text, message.command
        answer = await asyncio.to_thread(
            engine.answer,
            text,
            default_lang=room_lang,
            prefix=bot.command_prefix,
            moderator=commands_for(sender_role),
            command=command,
        )
        auto = addressed.reason == AUTO
        if auto and not confident(answer):
            return None
        plain, html, name, args = answer.text, answer.html, "", ""
        if answer.command == "about":
            name, args = answer.command, command.args if command else ""
        elif sender_role is not Role.MEMBER and answer.command in MODERATOR_COMMANDS:
            if may_use(sender_role, answer.command):
                name, args = answer.command, command.args if command else ""
            else:  # a room moderator asking for something global (members are refused by the engine)
                refused = replies.admin_only(answer.lang)
                plain, html = refused.text, refused.html
        elif answer.intent == "none" and not answer.text:
            if not dm:
                return None  # not a question for the bot: group rooms stay quiet
            plain, html = help_pointer(answer.lang, bot.command_prefix)
        # intent none with text (a product it doesn't know, another language) is sent when
        # addressed; auto-answers never get here, since only confident answers are auto-answered.
        key = _repeat_key(text, plain)
        return Turn(message, addressed, dm, room_lang, answer, plain, html, key, name, args, sender_role)

    async def reply(self, turn: Turn) -> Outgoing | None:
        """Stage 3, policy: what to send for ``turn`` (running a bot command); None: stay
        silent, the flood limits are reached."""
        if rate_limited(turn.role):
            verdict = self.policy.admit(turn.sender, turn.room_id, may_notice=not turn.auto)
            if verdict is Verdict.SILENT:
                log.info("flood limit reached in %s; not answering", turn.room_id)
                return None
            if verdict is Verdict.NOTICE:
                notice = directed(replies.slow_down(turn.room_lang), turn.room_lang)
                return Outgoing(notice.text, notice.html, "notice")
        if turn.command:
            result = await self._run_command(turn)
            return Outgoing(result.text, result.html, "command")
        earlier = self.policy.earlier(turn.room_id, turn.key, turn.event_id)
        if earlier is not None:
            pointer = directed(replies.pointer(turn.room_id, earlier, turn.answer.lang), turn.answer.lang)
            return Outgoing(pointer.text, pointer.html, "pointer")
        return Outgoing(turn.text, turn.html, "answer")

    def sent(self, turn: Turn, outgoing: Outgoing, event_id: str | None) -> None:
        """Note that ``outgoing`` was sent as ``event_id`` (None: sending failed)."""
        if outgoing.kind == "answer":
            self.policy.sent(turn.room_id, turn.key, turn.event_id, event_id)
        if event_id is not None and outgoing.kind != "notice":
            self.stats.answered += 1

    async def _run_command(self, turn: Turn) -> Reply:
        lang, room_id = turn.answer.lang, turn.room_id
        if turn.command == "about":
            kb = self._holder.engine.kb
            about = replies.about(kb, self._config.bot.source_url, feedback_days=self._config.bot.feedback_days, lang=lang)
            return directed(about, lang)
        if turn.command == "refresh":
            self.on_long_wait()
        return await self._commands.run(turn.command, turn.args, turn.sender, room_id, lang, turn.role, dm=turn.dm)

    async def _record(self, turn: Turn, answer_id: str, reply: Outgoing) -> None:
        """Keep what edits, redactions and votes need to know about an answer."""
        message, answer = turn.message, turn.answer
        await self.storage.record_answer(
            AnswerRecord(
                message.event_id,
                message.room_id,
                answer_id,
                await self.storage.pseudonym(message.sender),
                message.ts,
                answer.intent,
                answer.entries,
                digest(reply.text),
            )
        )

    async def _collect(self, message: Message, addressed: Addressed, answer: Answer | None) -> None:
        """Keep the text of an addressed question the bot could not answer, if the room
        collects them (never auto-answer chatter, never commands)."""
        if addressed.reason == AUTO or not self.settings.get(message.room_id).collect:
            return
        if message.command is not None or not addressed.text:
            return
        if answer is None or answer.intent in _UNANSWERED_INTENTS:
            await self.storage.add_unanswered(message.room_id, addressed.text)

    # -- edits --------------------------------------------------------------------------

    async def _edit(self, edit: Message, room: Room, received: float) -> None:
        """An edited question: edit the answer if it changes; answer an original that only
        the edit addresses to the bot; nothing otherwise."""
        assert edit.target is not None
        record = await self.storage.answer_to(edit.target)
        if record is None:
            if not await self.storage.is_claimed(edit.target):
                await self._edit_of_unanswered(edit, room, received)
            return
        if record.removed or record.asker != await self.storage.pseudonym(edit.sender):
            return  # a moderator removed the answer; or not the asker's edit
        if not self.fresh(record.question_ts, room):
            return  # only edits within max_event_age of the question count
        addressed = self.address(edit, room)
        if addressed is None or not await self.storage.claim(edit.event_id, edit.room_id):
            return
        turn = await self.understand(edit, addressed, dm=room.dm)
        if turn is None or turn.quiet or turn.command or digest(turn.text) == record.digest:
            await self.storage.mark_answered(edit.event_id)  # nothing new to say
            return
        limited = rate_limited(turn.role)
        if limited and self.policy.admit(edit.sender, edit.room_id, may_notice=False) is not Verdict.ANSWER:
            await self.storage.mark_answered(edit.event_id)
            return
        action = EditAnswer(edit.room_id, record.answer_id, edit.event_id, turn.text, turn.html)
        if await self.io.send(action) is None:
            await self.storage.release(edit.event_id)
            return
        answer = turn.answer
        await self.storage.record_answer(
            replace(record, intent=answer.intent, entries=answer.entries, digest=digest(turn.text))
        )
        await self.storage.mark_answered(edit.event_id)
        self._log("edited answer", turn, f"latency_ms={(time.monotonic() - received) * 1000:.0f}")

    async def _edit_of_unanswered(self, edit: Message, room: Room, received: float) -> None:
        """The original was not answered: if the edit addresses the bot, answer the
        original once, as a reply to it (in its thread)."""
        assert edit.target is not None
        if self.address(edit, room) is None:
            return
        original = await self.io.fetch(edit.room_id, edit.target)
        if original is None or original.sender != edit.sender or original.kind is not Kind.MESSAGE:
            return
        if not self.fresh(original.ts, room):
            return
        question = replace(edit, kind=Kind.MESSAGE, event_id=original.event_id, ts=original.ts,
                           thread_root=original.thread_root, reply_to=original.reply_to, target=None)
        await self._question(question, room, received)

    # -- redactions and reactions -----------------------------------------------------------

    async def _redaction(self, redaction: Message) -> None:
        """A removed question takes its answer with it; a removed answer is never sent
        again; a removed reaction takes its vote back."""
        assert redaction.target is not None
        storage = self.storage
        record = await storage.answer_to(redaction.target)
        if record is not None:
            if not record.removed and await self.io.redact(
                RedactAnswer(record.room_id, record.answer_id, redaction.event_id)
            ):
                await storage.mark_removed(record.answer_id)
                log.info("redacted the answer to a removed question in %s", record.room_id)
            return
        record = await storage.answer(redaction.target)
        if record is not None:
            if not record.removed:
                await storage.mark_removed(record.answer_id)
                log.info("an answer was removed in %s; it will not be sent again", record.room_id)
            return
        if await storage.unvote(await storage.pseudonym(redaction.target)):
            log.info("a vote was taken back in %s", redaction.room_id)

    async def _reaction(self, reaction: Message) -> None:
        """A 👍 or 👎 on an answer counts once per person."""
        value = vote_value(reaction.key)
        if value is None or reaction.target is None:
            return
        storage = self.storage
        record = await storage.answer(reaction.target)
        if record is None or record.removed:
            return
        voter, cast = await storage.pseudonym(reaction.sender), await storage.pseudonym(reaction.event_id)
        if await storage.vote(record.answer_id, voter, cast, value):
            log.info("vote %+d on an answer in %s (intent=%s)", value, record.room_id, record.intent)

    # -- failures, signals and logs ----------------------------------------------------------

    async def apologise(self, message: Message, room: Room) -> None:
        """Handling ``message`` failed twice: if it was a question for the bot, say that
        something went wrong (once per event, like an answer)."""
        if message.kind is not Kind.MESSAGE or self.address(message, room) is None:
            return
        if not await self.storage.claim(message.event_id, message.room_id):
            return
        lang = self._room_lang(message.room_id)
        notice = directed(replies.went_wrong(lang), lang)
        action = SendReply(message.room_id, message.event_id, message.thread_root, notice.text, notice.html)
        if await self.io.send(action) is not None:
            await self.storage.mark_answered(message.event_id)
            self.metrics.unanswered("failed")
        else:
            await self.storage.release(message.event_id)

    async def run_schedule(self, every_s: float, stopping: asyncio.Event) -> None:
        """Refresh the knowledge every ``every_s`` seconds until ``stopping`` (knowledge.refresh_every)."""
        await self._commands.run_schedule(every_s, stopping)

    async def _post(self, notice: SendNotice) -> str | None:
        """Post a report (nothing when the bot has no I/O)."""
        return await self._io.send(notice) if self._io is not None else None

    def _room_lang(self, room_id: str) -> str:
        return self.settings.get(room_id).language or self._config.bot.default_language

    async def refresh_on_signal(self) -> None:
        """Reload the knowledge sources because of SIGHUP (the outcome is logged and recorded)."""
        await self._commands.refresh(SIGNAL, None)

    def _unanswered(self, turn: Turn, cause: str) -> None:
        """Count and log (without the message text) a question left without a reply."""
        self.metrics.unanswered(cause)
        self._log("unanswered", turn, f"cause={cause}")

    @staticmethod
    def _log(what: str, turn: Turn, extra: str) -> None:
        answer = turn.answer
        log.info(
            "%s room=%s reason=%s %sintent=%s entries=%s confidence=%.2f",
            what,
            turn.room_id,
            turn.addressed.reason,
            f"{extra} " if extra else "",
            answer.intent,
            ",".join(answer.entries) or "-",
            answer.confidence,
        )


def _repeat_key(question: str, reply: str) -> str:
    """Same question, same reply: a moderator's help or an answer from a refreshed base
    differs from the earlier one, so it is given in full."""
    return question_key(question) + "\n" + hashlib.sha256(reply.encode("utf-8")).hexdigest()[:16]


def _now_ms() -> int:
    return int(time.time() * 1000)
