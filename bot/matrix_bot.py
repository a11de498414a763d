"""The Matrix bot's I/O: sync, fill gaps, decrypt (with retries), accept invites, and
send, edit and redact for the pipeline (``bot.pipeline``), which decides everything else.

``Bot.run()`` logs in, then syncs until ``Bot.shutdown()``. Each sync's events are
parsed into Messages and handed to the pipeline in tasks (rooms, joins and answers each
bounded by a semaphore) so answering never stalls syncing; the sync token of a sync is
saved once every task it started has finished, so a crash re-reads rather than loses
events, and claims in the database keep a re-read event from being acted on twice. A
handler that raises is retried once, then a question gets a short "something went wrong".
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Coroutine
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from nio import (
    ErrorResponse,
    InviteMemberEvent,
    JoinResponse,
    LocalProtocolError,
    MegolmEvent,
    MessageDirection,
    RoomGetEventResponse,
    RoomMemberEvent,
    RoomMessagesResponse,
    RoomRedactResponse,
    RoomSendResponse,
    SendRetryError,
    SyncError,
    SyncResponse,
)
from nio.exceptions import EncryptionError
from nio.responses import Timeline

from knowledge.engine import Engine

from .config import Config
from .crosssign import cross_sign_at_start
from .health import MetricsServer
from .metrics import Metrics
from .ordering import KeyedLocks, RecentIds
from .pipeline.actions import EditAnswer, RedactAnswer, SendNotice, SendReply
from .pipeline.flow import Pipeline, Room
from .pipeline.message import Me, Message, parse
from .pipeline.policy import inviter_allowed, is_fresh
from .retry import (
    TRANSIENT_EXCEPTIONS,
    Stopped,
    backoff_delay,
    describe,
    retrying,
    wait_or_stop,
)
from .session import LoginError, crypto_housekeeping, log_in, make_client
from .storage import Storage, claim_retention_ms, make_private

log = logging.getLogger(__name__)

#: /health stays good this long beyond two sync timeouts without a successful sync.
_HEALTH_MARGIN_S = 15.0
#: Old claims and audit rows are pruned this often while running.
_PRUNE_EVERY_S = 600.0


class _SyncFailed(Exception):
    """A sync returned an error response (retried with backoff)."""

    def __init__(self, response: SyncError):
        super().__init__(describe(response))
        self.response = response


#: Sync failures that are retried with backoff.
_SYNC_RETRY: tuple[type[BaseException], ...] = (*TRANSIENT_EXCEPTIONS, _SyncFailed)
#: Send failures after which the reply is given up.
_SEND_FAILURES: tuple[type[BaseException], ...] = (*TRANSIENT_EXCEPTIONS, LocalProtocolError, SendRetryError)


@dataclass(frozen=True)
class Tuning:
    """Internal knobs (not in the config file); the tests make some of them smaller."""

    sync_timeout_ms: int = 30_000
    timeline_limit: int = 50
    gap_page_size: int = 50
    gap_max_pages: int = 5
    decrypt_grace_s: float = 10.0
    max_concurrent_answers: int = 8
    max_concurrent_rooms: int = 16  # rooms whose new events are taken in at once
    max_concurrent_joins: int = 4  # invites being joined or declined at once
    replies_first_s: float = 0.5  # longest wait for a sync's replies before the next sync
    shutdown_grace_s: float = 10.0
    #: Tests only: refresh the knowledge this often (seconds), overriding knowledge.refresh_every
    #: and its 15-minute minimum, which the configuration cannot go below. 0: use the config.
    refresh_every_s: float = 0.0
    request_attempts: int = 4
    join_attempts: int = 6
    backoff_cap_s: float = 60.0


@dataclass
class _Batch:
    """The tasks started for one sync; its token may be saved when they are all done."""

    token: str
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def finished(self) -> bool:
        return all(task.done() and not task.cancelled() for task in self.tasks)


class Bot:
    """One bot account on one homeserver, answering with ``engine``."""

    def __init__(self, config: Config, engine: Engine, tuning: Tuning | None = None):
        self.config = config
        self.engine = engine
        self.tuning = tuning or Tuning()
        self.client = make_client(config)
        #: Set once the first sync has been handled (the bot is listening).
        self.ready = asyncio.Event()
        self._stopping = asyncio.Event()
        self._synced = asyncio.Event()
        self._storage: Storage | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._unwaited: set[asyncio.Task[None]] = set()  # the next sync never waits for these
        self._batches: deque[_Batch] = deque()
        self._joining: set[str] = set()
        self._answering = asyncio.Semaphore(self.tuning.max_concurrent_answers)
        self._room_slots = asyncio.Semaphore(self.tuning.max_concurrent_rooms)
        self._join_slots = asyncio.Semaphore(self.tuning.max_concurrent_joins)
        self._pruned_at = 0.0
        self.metrics = Metrics(lambda: self.engine.kb)
        #: What to do with each event: room settings, policy, commands and the stages.
        self.pipeline = Pipeline(config, self, self.metrics, lambda: len(self.client.rooms))
        self.pipeline.on_long_wait = self._waits_long
        #: Per room: syncs are taken in, and replies sent, in the order of the questions.
        self._intake = KeyedLocks()
        self._replying = KeyedLocks()
        #: Timeline events already taken in (a gap is fetched back to the first of these).
        self._taken = RecentIds()

    # -- lifecycle -------------------------------------------------------------------

    async def run(self) -> None:
        """Log in and sync until :meth:`shutdown`; raise LoginError or StorageError if
        the bot cannot start."""
        self._storage = await Storage.open(self.config.storage.data_dir)
        schedule: asyncio.Task[None] | None = None  # knowledge.refresh_every
        server = MetricsServer(
            self.metrics, self.config.metrics, 2 * self.tuning.sync_timeout_ms / 1000 + _HEALTH_MARGIN_S
        )
        try:
            await self.pipeline.start(self._storage, self)
            await server.start()
            await log_in(self.client, self.config, self._storage, self._stopping)
            make_private(self.config.storage.data_dir)
            await self._prune()
            if interrupted := await self._storage.release_pending():
                log.info("answering again %d question(s) whose reply was interrupted by the last stop", interrupted)
            await self._upload_keys()
            self.pipeline.stats.cross_signed = await cross_sign_at_start(self.client, self.config, self._stopping)
            every = self.tuning.refresh_every_s or self.config.knowledge.refresh_every
            if every:
                log.info("knowledge refreshes every %gs (knowledge.refresh_every)", every)
                schedule = asyncio.create_task(self.pipeline.run_schedule(every, self._stopping))
            await self._sync_loop()
        except Stopped:
            pass
        finally:
            if schedule is not None:
                schedule.cancel()
                await asyncio.gather(schedule, return_exceptions=True)
            await self._drain()
            await server.stop()
            await self.client.close()
            await self._storage.close()
            log.info("stopped")

    def shutdown(self) -> None:
        """Ask :meth:`run` to stop: no new syncs, in-flight replies get a bounded wait."""
        self._stopping.set()

    def reload_knowledge(self) -> None:
        """Refresh the knowledge sources in the background (SIGHUP); the outcome is logged
        and recorded. Ignored while the bot starts or stops."""
        if not self.ready.is_set() or self._stopping.is_set():
            log.warning("not refreshing the knowledge: the bot is not running")
            return
        self._spawn(self.pipeline.refresh_on_signal(), None)

    @property
    def storage(self) -> Storage:
        assert self._storage is not None, "the bot is not running"
        return self._storage

    async def _drain(self) -> None:
        """Let running tasks finish (bounded), cancel the rest, save what is complete."""
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=self.tuning.shutdown_grace_s)
            for task in late:
                task.cancel()
            if late:
                log.warning("cancelled %d unfinished task(s) at shutdown", len(late))
                await asyncio.gather(*late, return_exceptions=True)
        await self._commit_tokens()

    def _spawn(self, coro: Coroutine[Any, Any, None], batch: _Batch | None, *, awaits_keys: bool = False) -> None:
        """Run ``coro`` as a tracked task (part of ``batch`` if given; ``awaits_keys``: it
        waits for later syncs, so a sync never waits for it)."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        if awaits_keys:
            self._unwaited.add(task)
        task.add_done_callback(self._task_done)
        if batch is not None:
            batch.tasks.add(task)

    def _waits_long(self) -> None:
        """The running handler is about to wait on something other than the homeserver (a
        knowledge refresh): the next sync does not wait for its reply."""
        task = asyncio.current_task()
        if task is not None and task in self._tasks:
            self._unwaited.add(task)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._unwaited.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.metrics.error("handler")
            log.error("event handling failed", exc_info=task.exception())

    # -- syncing ---------------------------------------------------------------------

    async def _sync_loop(self) -> None:
        """Sync until stopped; the first sync of a fresh bot is never answered."""
        since = await self.storage.sync_token()
        answering = since is not None
        if not answering:
            log.info("first start: reading the current state without answering old messages")
        first, failures = True, 0
        while not self._stopping.is_set():
            try:
                response = await self._sync_once(since if first else None, resume=first and answering, first=first)
                if response is None:
                    return
                if isinstance(response, SyncError):
                    if response.status_code == "M_UNKNOWN_TOKEN":
                        raise LoginError("the homeserver no longer accepts the bot's access token")
                    raise _SyncFailed(response)
                await self._handle_sync(response, answering)
            except _SYNC_RETRY as exc:
                failures += 1
                self.metrics.error("sync")
                problem = exc.response if isinstance(exc, _SyncFailed) else exc
                retry_after = getattr(problem, "retry_after_ms", None)
                delay = backoff_delay(failures, self.tuning.backoff_cap_s, retry_after)
                log.warning("sync failed (%s); retrying in %.1fs", describe(problem), delay)
                if await wait_or_stop(self._stopping, delay):
                    return
                continue
            if first:
                log.info("ready: listening as %s", self.client.user_id)
            first, answering, failures = False, True, 0
            self.metrics.synced()
            self.ready.set()
            if time.monotonic() - self._pruned_at >= _PRUNE_EVERY_S:
                await self._prune()

    async def _prune(self) -> None:
        """Drop claims too old to matter (such events are never answered again), audit rows
        beyond the retention limits, answers and votes past ``bot.feedback_days`` and
        unanswered questions past their 14 days."""
        self._pruned_at = time.monotonic()
        now = _now_ms()
        claims = await self.storage.prune(now - claim_retention_ms(self.config.bot.max_event_age))
        audit = await self.storage.prune_audit(now)
        answers = await self.storage.prune_answers(now - self.config.bot.feedback_days * 24 * 3600 * 1000)
        unanswered = await self.storage.prune_unanswered(now)
        if claims or audit or answers or unanswered:
            log.info(
                "pruned %d old claim(s), %d audit row(s), %d answer record(s), %d unanswered question(s)",
                claims, audit, answers, unanswered,
            )

    async def _sync_once(self, since: str | None, *, resume: bool, first: bool) -> SyncResponse | SyncError | None:
        """One sync request, abandoned (None) if shutdown is requested meanwhile."""
        sync = asyncio.create_task(
            self.client.sync(
                timeout=0 if first else self.tuning.sync_timeout_ms,
                sync_filter={"room": {"timeline": {"limit": self.tuning.timeline_limit}}},
                since=since,
                full_state=True if resume else None,
            )
        )
        stop = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait({sync, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not sync.done():
                sync.cancel()
                with suppress(asyncio.CancelledError):
                    await sync
        return None if sync.cancelled() else sync.result()

    async def _handle_sync(self, response: SyncResponse, answering: bool) -> None:
        """Start the tasks for one sync's invites and messages, then do the e2e chores."""
        batch = _Batch(response.next_batch)
        self.pipeline.observe(response)
        self._accept_invites(response)
        for room_id, info in response.rooms.join.items():
            if info.timeline.events:
                handling = self._handle_room(room_id, info.timeline, answering, batch)
                self._spawn(self._intake.run(room_id, handling), batch)
        self._batches.append(batch)
        await self._crypto_housekeeping()
        self._synced.set()
        self._synced = asyncio.Event()
        await self._replies_first(batch)
        await self._commit_tokens()

    async def _replies_first(self, batch: _Batch) -> None:
        """Let this sync's replies go out before the next sync request, for a bounded time.
        A sync waiting on the homeserver is woken by the bot's own reply and then computed
        for every joined room, in competition with delivering that reply to the asker
        (what made answers slower than an echo bot's in hundreds of rooms)."""
        deadline = time.monotonic() + self.tuning.replies_first_s
        while (remaining := deadline - time.monotonic()) > 0:
            pending = {task for task in batch.tasks if not task.done() and task not in self._unwaited}
            if not pending:
                return
            await asyncio.wait(pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)

    async def _commit_tokens(self) -> None:
        """Save the token of the newest sync whose tasks (and all earlier ones) are done."""
        token = None
        while self._batches and self._batches[0].finished():
            token = self._batches.popleft().token
        if token is not None:
            await self.storage.save_sync_token(token)

    async def _upload_keys(self) -> None:
        """Publish the device's encryption keys before the first sync; a refusal is fatal
        (typically: the data directory was reset but the device still exists)."""
        if not self.client.should_upload_keys:
            return
        response = await retrying(self.client.keys_upload, "uploading encryption keys", stopping=self._stopping)
        if isinstance(response, ErrorResponse):
            raise LoginError(
                f"the homeserver refused the encryption keys of device {self.client.device_id} "
                f"({describe(response)}). If storage.data_dir was reset, delete that device of "
                f"{self.client.user_id} (e.g. in Element's session list) or set a new matrix.device_id"
            )

    async def _crypto_housekeeping(self) -> None:
        for response in await crypto_housekeeping(self.client):
            if isinstance(response, ErrorResponse):
                log.warning("encryption upkeep: %s", describe(response))

    async def _wait_for_sync(self, timeout: float) -> bool:
        """Wait until the next sync has been handled; False on timeout."""
        try:
            await asyncio.wait_for(self._synced.wait(), timeout)
        except TimeoutError:
            return False
        return True

    # -- rooms and events -------------------------------------------------------------

    async def _handle_room(self, room_id: str, timeline: Timeline, answering: bool, batch: _Batch) -> None:
        """Note the bot's joins; when answering, fill a gap and consider every message.
        A timeline holding the bot's own join has no gap worth fetching: everything
        before it is from before the bot was there (Synapse marks a new join limited)."""
        async with self._room_slots:
            events = list(timeline.events)
            joined_here = False
            for event in events:
                if self._is_own_join(event):
                    joined_here = True
                    await self.storage.set_joined_at(room_id, event.server_timestamp)
            if not answering:
                return
            joined_ms = await self.storage.joined_at(room_id)
            if timeline.limited and timeline.prev_batch and not joined_here:
                gap = await self._fetch_gap(room_id, timeline.prev_batch, joined_ms)
                log.info("fetched %d event(s) the sync skipped in %s", len(gap), room_id)
                events = gap + events
            for event in events:
                if self._taken.first_time(getattr(event, "event_id", None)):
                    await self._consider(room_id, event, joined_ms, batch)

    def _is_own_join(self, event: Any) -> bool:
        return (
            isinstance(event, RoomMemberEvent)
            and event.state_key == self.client.user_id
            and event.membership == "join"
            and event.prev_membership != "join"
        )

    async def _fetch_gap(self, room_id: str, start: str, joined_ms: int | None) -> list[Any]:
        """Events a limited timeline skipped, oldest first: paginate back from ``start``
        until an event is too old, from before the bot joined, already answered, or
        the page limit is reached."""
        cutoff = max(_now_ms() - 1000 * self.config.bot.max_event_age, joined_ms or 0)
        gap: list[Any] = []
        token = start

        async def page() -> Any:
            return await self.client.room_messages(
                room_id, start=token, direction=MessageDirection.back, limit=self.tuning.gap_page_size
            )

        for _ in range(self.tuning.gap_max_pages):
            try:
                response = await retrying(
                    page, f"fetching missed messages in {room_id}", attempts=self.tuning.request_attempts
                )
            except TRANSIENT_EXCEPTIONS as exc:
                response = exc
            if not isinstance(response, RoomMessagesResponse):
                log.warning("could not fetch missed messages in %s: %s", room_id, describe(response))
                break
            for event in response.chunk:  # newest first
                ts = getattr(event, "server_timestamp", None)
                if ts is None:
                    continue  # an event nio could not parse
                if ts < cutoff or event.event_id in self._taken or await self.storage.is_claimed(event.event_id):
                    return gap[::-1]
                gap.append(event)
            if not response.chunk or not response.end:
                break
            token = response.end
        return gap[::-1]

    async def _consider(self, room_id: str, event: Any, joined_ms: int | None, batch: _Batch) -> None:
        """Hand ``event`` to the pipeline as a Message (decrypting it first if need be)."""
        room = self.client.rooms.get(room_id)
        if room is None:
            return
        if isinstance(event, MegolmEvent):
            if is_fresh(event.server_timestamp, _now_ms(), self.config.bot.max_event_age, joined_ms):
                self._spawn(self._decrypt_later(room_id, event, joined_ms, batch), batch, awaits_keys=True)
            return
        source = getattr(event, "source", None)
        me = self._me(room_id)
        message = parse(source, room_id, me) if isinstance(source, dict) else None
        if message is not None:
            self._spawn(self._handle(message, Room(me, room.member_count, joined_ms)), batch)

    async def _handle(self, message: Message, room: Room) -> None:
        """Run the pipeline for ``message``, in the room's order, bounded in number. A
        failure is retried once; then a question is answered with a short "something went
        wrong" notice, so a crash never silently loses it."""
        received = time.monotonic()
        async with self._replying.hold(message.room_id), self._answering:
            for attempt in (1, 2):
                try:
                    await self.pipeline.handle(message, room, received)
                    return
                except Exception:
                    self.metrics.error("handler")
                    log.exception("handling %s in %s failed (attempt %d)", message.event_id, message.room_id, attempt)
                    with suppress(Exception):
                        await self.storage.release(message.event_id)
            try:
                await self.pipeline.apologise(message, room)
            except Exception:
                self.metrics.error("handler")
                log.exception("could not tell %s in %s that answering failed", message.event_id, message.room_id)

    def _me(self, room_id: str) -> Me:
        """Who the bot is in ``room_id``: its display name there and its localpart."""
        room = self.client.rooms.get(room_id)
        member = room.users.get(self.client.user_id) if room is not None else None
        localpart = self.client.user_id[1:].split(":", 1)[0]
        display_name = getattr(member, "display_name", None)
        names = (localpart, display_name) if display_name else (localpart,)
        return Me(self.client.user_id, names, self.config.bot.command_prefix)

    async def _decrypt_later(self, room_id: str, event: MegolmEvent, joined_ms: int | None, batch: _Batch) -> None:
        """Retry decrypting after each sync for a grace period (the sender's client shares
        the room key to the bot's device, typically a moment later); give up silently (the
        bot never says it cannot decrypt). No key request is sent: nio addresses it only to
        the bot's own other devices, and the bot has none that could answer."""
        event.room_id = room_id
        deadline = time.monotonic() + self.tuning.decrypt_grace_s
        while (remaining := deadline - time.monotonic()) > 0:
            if not await self._wait_for_sync(remaining):
                break
            try:
                decrypted = self.client.decrypt_event(event)
            except EncryptionError:
                continue
            await self._consider(room_id, decrypted, joined_ms, batch)
            return
        self.metrics.error("undecryptable")
        log.info("no key arrived for event %s in %s; not answering it", event.event_id, room_id)

    # -- I/O for the pipeline ------------------------------------------------------------

    async def send(self, action: SendReply | EditAnswer | SendNotice) -> str | None:
        """Send a reply, an edit or a notice (see ``pipeline.actions.Io``)."""
        deadline = action.deadline if isinstance(action, (SendReply, SendNotice)) else None
        return await self._send(action.room_id, action.content(), tx_id=action.txn_id, deadline=deadline)

    async def redact(self, action: RedactAnswer) -> bool:
        """Redact the bot's answer, retrying transient failures with one transaction id."""
        try:
            response = await retrying(
                lambda: self.client.room_redact(
                    action.room_id, action.answer_id, reason=action.reason, tx_id=action.txn_id
                ),
                f"redacting in {action.room_id}",
                attempts=self.tuning.request_attempts,
                cap_s=self.tuning.backoff_cap_s,
            )
        except _SEND_FAILURES as exc:
            response = exc
        if isinstance(response, RoomRedactResponse):
            return True
        log.warning("could not redact in %s: %s", action.room_id, describe(response))
        return False

    async def fetch(self, room_id: str, event_id: str) -> Message | None:
        """One event of ``room_id`` as a Message (decrypted if the key is there)."""
        try:
            response = await retrying(
                lambda: self.client.room_get_event(room_id, event_id),
                f"fetching an event in {room_id}",
                attempts=self.tuning.request_attempts,
            )
        except TRANSIENT_EXCEPTIONS as exc:
            response = exc
        if not isinstance(response, RoomGetEventResponse):
            log.info("could not fetch an event in %s: %s", room_id, describe(response))
            return None
        event = response.event
        if isinstance(event, MegolmEvent):
            event.room_id = room_id
            try:
                event = self.client.decrypt_event(event)
            except EncryptionError:
                return None
        source = getattr(event, "source", None)
        return parse(source, room_id, self._me(room_id)) if isinstance(source, dict) else None

    async def _send(
        self, room_id: str, content: dict[str, Any], *, tx_id: str | None = None, deadline: float | None = None
    ) -> str | None:
        """Send a message (encrypted if the room is) and return its event id (None if it
        could not be sent), retrying transient failures with
        one transaction id so a retry never duplicates it: a few times, or until the
        ``deadline`` (``time.monotonic()``) if given."""
        tx_id = tx_id or str(uuid.uuid4())
        try:
            response = await retrying(
                lambda: self.client.room_send(
                    room_id, "m.room.message", content, tx_id=tx_id, ignore_unverified_devices=True
                ),
                f"sending to {room_id}",
                attempts=self.tuning.request_attempts if deadline is None else None,
                cap_s=self.tuning.backoff_cap_s,
                deadline=deadline,
            )
        except _SEND_FAILURES as exc:
            log.warning("could not send to %s: %s", room_id, describe(exc))
            return None
        if isinstance(response, RoomSendResponse):
            return str(response.event_id)
        log.warning("could not send to %s: %s", room_id, describe(response))
        return None

    # -- invites ---------------------------------------------------------------------

    def _accept_invites(self, response: SyncResponse) -> None:
        """Start joining (or declining) each new invite."""
        for room_id, info in response.rooms.invite.items():
            if room_id in self._joining:
                continue
            inviter = next(
                (
                    event.sender
                    for event in info.invite_state
                    if isinstance(event, InviteMemberEvent)
                    and event.state_key == self.client.user_id
                    and event.membership == "invite"
                ),
                None,
            )
            self._joining.add(room_id)
            self._spawn(self._handle_invite(room_id, inviter), None)

    async def _handle_invite(self, room_id: str, inviter: str | None) -> None:
        """Join if autojoin is on and the inviter is allowed, else decline; a few at a time."""
        try:
            async with self._join_slots:
                await self._join_or_decline(room_id, inviter)
        except TRANSIENT_EXCEPTIONS as exc:
            log.warning("could not answer the invite to %s: %s", room_id, describe(exc))
        except Stopped:
            pass  # stopping: the invite is still there at the next start
        finally:
            self._joining.discard(room_id)

    async def _join_or_decline(self, room_id: str, inviter: str | None) -> None:
        """Join (waiting out the homeserver's rate limits) or decline one invite."""
        bot = self.config.bot
        if bot.autojoin and inviter_allowed(inviter, bot.allowed_inviters):
            response = await retrying(
                lambda: self.client.join(room_id),
                f"joining {room_id}",
                attempts=self.tuning.join_attempts,
                stopping=self._stopping,
            )
            if isinstance(response, JoinResponse):
                log.info("joined %s (invited by %s)", room_id, inviter)
            else:
                log.warning("could not join %s: %s", room_id, describe(response))
        else:
            log.info("declining the invite to %s from %s", room_id, inviter)
            await retrying(
                lambda: self.client.room_leave(room_id),
                f"declining {room_id}",
                attempts=self.tuning.join_attempts,
                stopping=self._stopping,
            )


def _now_ms() -> int:
    return int(time.time() * 1000)
