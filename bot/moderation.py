"""Moderators: their power in each room, and the restricted commands (``!refresh``,
``!status``, ``!set``, ``!history``, ``!feedback``, ``!unanswered`` and their Dutch names).

Who may use which command is decided in :mod:`bot.authority`: admins (configured) rule the
whole bot, room moderators (power level at least ``moderation.power_level``, never in a
DM) their own room. Power levels come from
each room's latest ``m.room.power_levels`` event seen in sync, taken whole (nio's
``MatrixRoom.power_levels`` merges user levels across events, so a user removed from the
list would keep the old level there), and from ``m.room.create``: in room version 12 the
creators outrank every level without being listed.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from nio import PowerLevels, PowerLevelsEvent, RoomCreateEvent, SyncResponse

from knowledge.render import Reply, directed
from knowledge.understand import COMMANDS

from . import replies
from .config import Config, ModerationConfig
from .authority import Role, role_of
from .refresh import EngineHolder, OutcomeListener, RefreshOutcome, Refresher, knowledge_cache
from .settings import RoomSettingsBook, parse_setting
from .storage import RefreshRecord, Storage

#: Canonical names of the moderator commands.
MODERATOR_COMMANDS = frozenset(spec.name for spec in COMMANDS if spec.moderator)
#: Refreshes shown by ``!history``.
HISTORY_SIZE = 5
#: Room versions whose creators are privileged (MSC4289); later numbered versions too.
_PRIVILEGED_CREATOR_VERSIONS = frozenset({"org.matrix.hydra.11"})
_FIRST_PRIVILEGED_VERSION = 12
#: A creator's level in a room without a power-levels event (room versions 1 to 11).
_CREATOR_DEFAULT_LEVEL = 100


@dataclass(frozen=True)
class RoomPower:
    """What decides a member's power level in one room."""

    levels: PowerLevels | None = None  # the latest m.room.power_levels (None: none seen)
    creators: frozenset[str] = frozenset()
    privileged_creators: bool = False  # creators outrank every level (room version 12+)

    def level(self, user_id: str) -> float:
        if user_id in self.creators and self.privileged_creators:
            return math.inf
        if self.levels is None:
            return _CREATOR_DEFAULT_LEVEL if user_id in self.creators else 0
        return self.levels.get_user_level(user_id)


def role(user_id: str, power: RoomPower | None, *, dm: bool, config: ModerationConfig) -> Role:
    """``user_id``'s role in a room with ``power`` (None: unknown)."""
    return role_of(user_id, None if power is None else power.level(user_id), dm=dm, config=config)


def is_moderator(user_id: str, power: RoomPower | None, *, dm: bool, config: ModerationConfig) -> bool:
    """Whether ``user_id`` is an admin or this room's moderator (in a DM: admins only)."""
    return role(user_id, power, dm=dm, config=config) >= Role.MODERATOR


def privileged_creators(room_version: str) -> bool:
    """Whether a room version privileges its creators above every power level."""
    if room_version.isdigit():
        return int(room_version) >= _FIRST_PRIVILEGED_VERSION
    return room_version in _PRIVILEGED_CREATOR_VERSIONS


def observe_power(power: RoomPower, events: Iterable[Any]) -> RoomPower:
    """``power`` after ``events`` (state, then timeline, in order)."""
    for event in events:
        if isinstance(event, PowerLevelsEvent):
            power = replace(power, levels=event.power_levels)
        elif isinstance(event, RoomCreateEvent):
            privileged = privileged_creators(event.room_version)
            power = replace(power, creators=_creators(event), privileged_creators=privileged)
    return power


def _creators(event: RoomCreateEvent) -> frozenset[str]:
    """The room's creator and any ``additional_creators`` (room version 12)."""
    extra = (event.source.get("content") or {}).get("additional_creators")
    others = [user for user in extra if isinstance(user, str)] if isinstance(extra, list) else []
    return frozenset({event.sender, *others})


class RoomPowerBook:
    """Each joined room's power, kept from sync."""

    def __init__(self) -> None:
        self._rooms: dict[str, RoomPower] = {}

    def observe(self, response: SyncResponse) -> None:
        for room_id, info in response.rooms.join.items():
            events = [*info.state, *info.timeline.events]
            self._rooms[room_id] = observe_power(self._rooms.get(room_id, RoomPower()), events)
        for room_id in response.rooms.leave:
            self._rooms.pop(room_id, None)

    def get(self, room_id: str) -> RoomPower | None:
        return self._rooms.get(room_id)


@dataclass
class Stats:
    """Figures for ``!status``."""

    joined_rooms: Callable[[], int]
    started: float = field(default_factory=time.monotonic)
    answered: int = 0
    #: Whether the bot's device is cross-signed (None until checked at start).
    cross_signed: bool | None = None


class ModeratorCommands:
    """Runs the moderator commands; the caller has checked that the sender is a moderator."""

    def __init__(self, config: Config, holder: EngineHolder, settings: RoomSettingsBook, stats: Stats):
        self._config = config
        self._holder = holder
        self._settings = settings
        self._stats = stats
        self._storage: Storage | None = None
        self._refresher: Refresher | None = None
        #: Sources the base of this start was read from a cached copy of (see app.py).
        self.stale: tuple[str, ...] = ()
        #: The schedule's interval when it runs (a test's may be below the configurable minimum).
        self.refresh_every_s: float = 0.0

    def start(self, storage: Storage, listener: OutcomeListener | None = None) -> None:
        """Use ``storage`` for the audit trail (the bot's database is open); ``listener`` is
        told of every refresh (the report rooms)."""
        self._storage = storage
        knowledge = self._config.knowledge
        self._refresher = Refresher(
            knowledge.sources,
            self._holder,
            storage,
            limits=knowledge.fetch_limits,
            cache=knowledge_cache(self._config.storage.data_dir),
            listener=listener,
        )
        self._refresher.stale = self.stale

    async def run_schedule(self, every_s: float, stopping: asyncio.Event) -> None:
        """Refresh every ``every_s`` seconds until ``stopping`` (see ``Refresher.run_schedule``)."""
        assert self._refresher is not None, "moderation is not started"
        self.refresh_every_s = every_s
        await self._refresher.run_schedule(every_s, stopping)

    async def refresh(self, requested_by: str, room_id: str | None) -> RefreshOutcome | None:
        """Reload the knowledge sources (see :class:`Refresher`); None: one is running."""
        assert self._refresher is not None, "moderation is not started"
        return await self._refresher.refresh(requested_by, room_id)

    async def run(
        self, name: str, args: str, sender: str, room_id: str, lang: str, role: Role = Role.ADMIN, *, dm: bool = False
    ) -> Reply:
        """The reply to restricted command ``name`` (canonical) with ``args``; the caller
        has checked that ``role`` may use it. An admin's ``!feedback`` and ``!unanswered``
        in a DM cover every room; anywhere else, the room's. Right-to-left in Hebrew."""
        if name == "set":
            return await self._set(args, sender, room_id, lang)  # a new language is confirmed in it
        return directed(await self._run(name, args, sender, room_id, lang, role, dm=dm), lang)

    async def _run(self, name: str, args: str, sender: str, room_id: str, lang: str, role: Role, *, dm: bool) -> Reply:
        if name in ("feedback", "unanswered"):
            all_rooms = dm and role is Role.ADMIN
            if name == "feedback":
                return await self._feedback(room_id, all_rooms, lang)
            return await self._unanswered(room_id, all_rooms, lang)
        if name == "refresh":
            outcome = await self.refresh(sender, room_id)
            return replies.refresh_running(lang) if outcome is None else replies.refresh_result(outcome, lang)
        if name == "history":
            return replies.history(await self._history(HISTORY_SIZE), lang)
        last = await self._history(1)
        info = self._status_info(room_id, last[0] if last else None, admin=role is Role.ADMIN)
        return replies.status(info, lang)

    async def _set(self, args: str, sender: str, room_id: str, lang: str) -> Reply:
        setting = parse_setting(args)
        if setting is None or (setting.key == "language" and setting.value not in self._holder.engine.langs):
            return directed(replies.set_usage(self._config.bot.command_prefix, lang, self._holder.engine.langs), lang)  # a language only when the knowledge has it
        await self._settings.change(room_id, setting, sender)
        shown = str(setting.value) if setting.key == "language" else lang
        return directed(replies.setting_changed(setting, lang, self._config.bot.command_prefix), shown)

    async def _feedback(self, room_id: str, all_rooms: bool, lang: str) -> Reply:
        assert self._storage is not None, "moderation is not started"
        rows = await self._storage.feedback(None if all_rooms else room_id)
        return replies.feedback(rows, all_rooms=all_rooms, days=self._config.bot.feedback_days, lang=lang)

    async def _unanswered(self, room_id: str, all_rooms: bool, lang: str) -> Reply:
        assert self._storage is not None, "moderation is not started"
        rows = await self._storage.unanswered(None if all_rooms else room_id)
        collecting = self._settings.get(room_id).collect
        prefix = self._config.bot.command_prefix
        return replies.unanswered(rows, collecting=collecting, all_rooms=all_rooms, prefix=prefix, lang=lang)

    async def _history(self, limit: int) -> list[RefreshRecord]:
        assert self._storage is not None, "moderation is not started"
        return await self._storage.refreshes(limit)

    def _status_info(self, room_id: str, last: RefreshRecord | None, *, admin: bool) -> replies.StatusInfo:
        room = self._settings.get(room_id)
        return replies.StatusInfo(
            kb=self._holder.engine.kb,
            locations=self._config.knowledge.sources,
            last_refresh=last,
            uptime_s=time.monotonic() - self._stats.started,
            rooms=self._stats.joined_rooms(),
            answered=self._stats.answered,
            room=room,
            language=room.language or self._config.bot.default_language,
            cross_signed=self._stats.cross_signed,
            admin=admin,
            stale=self._refresher.stale if self._refresher else self.stale,
            refresh_every_s=self.refresh_every_s or self._config.knowledge.refresh_every,
            report_rooms=len(self._config.moderation.report_rooms),
        )
