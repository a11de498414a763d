"""Flood control: per-user and per-room answer limits with one "slow down" notice per user
per minute, and a pointer instead of a repeated answer to the same question in a room.

Everything here is in memory, bounded, and on a monotonic clock (injectable for tests).
"""

from __future__ import annotations

import enum
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from knowledge.text import normalize

from .config import LimitsConfig
from .limits import RateLimiter

#: A question asked again within this many seconds in the same room gets a pointer.
REPEAT_WINDOW_S = 60.0
#: Questions remembered per room, and rooms remembered (least recently asked in go first).
REPEAT_PER_ROOM = 64
REPEAT_ROOMS = 1024


class Verdict(enum.Enum):
    """What to do with a question under the flood limits."""

    ANSWER = "answer"
    NOTICE = "notice"  # over a limit: say "slow down" (once per user per minute)
    SILENT = "silent"  # over a limit, notice already given: say nothing


class FloodControl:
    """The per-user and per-room limits (0 = unlimited) and the notice budget."""

    def __init__(self, limits: LimitsConfig, clock: Callable[[], float] = time.monotonic):
        self._users = RateLimiter(limits.user_per_minute, clock)
        self._rooms = RateLimiter(limits.room_per_minute, clock)
        self._notices = RateLimiter(1, clock)

    def admit(self, user_id: str, room_id: str, *, may_notice: bool = True) -> Verdict:
        """Count an answer for ``user_id`` in ``room_id`` if both are within their limits;
        otherwise a notice (if ``may_notice`` and none was given this minute) or silence."""
        if not (self._users.full(user_id) or self._rooms.full(room_id)):
            self._users.allow(user_id)
            self._rooms.allow(room_id)
            return Verdict.ANSWER
        if may_notice and self._notices.allow(user_id):
            return Verdict.NOTICE
        return Verdict.SILENT


def question_key(text: str) -> str:
    """What makes two questions "the same": normalized text, whitespace folded, without
    trailing punctuation."""
    return " ".join(normalize(text).split()).rstrip("?!.… ")


@dataclass
class _Asked:
    at: float
    question_id: str
    answer_id: str | None = None  # None while the answer is being sent


class RepeatGuard:
    """Remembers recent questions per room and the event that answered each."""

    def __init__(
        self,
        window_s: float = REPEAT_WINDOW_S,
        per_room: int = REPEAT_PER_ROOM,
        rooms: int = REPEAT_ROOMS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._window_s = window_s
        self._per_room = per_room
        self._max_rooms = rooms
        self._clock = clock
        self._rooms: OrderedDict[str, OrderedDict[str, _Asked]] = OrderedDict()

    def earlier(self, room_id: str, key: str, question_id: str) -> str | None:
        """The event to point to if ``key`` was asked in ``room_id`` within the window: the
        earlier answer, or the earlier question while its answer is still on its way.
        Otherwise None, and ``key`` is reserved for ``question_id``."""
        now = self._clock()
        asked = self._room(room_id, now)
        seen = asked.get(key)
        if seen is not None:
            return seen.answer_id or seen.question_id
        asked[key] = _Asked(now, question_id)
        while len(asked) > self._per_room:
            asked.popitem(last=False)
        return None

    def answered(self, room_id: str, key: str, question_id: str, answer_id: str) -> None:
        """Note the event that answered ``question_id``."""
        seen = self._rooms.get(room_id, {}).get(key)
        if seen is not None and seen.question_id == question_id:
            seen.answer_id = answer_id

    def forget(self, room_id: str, key: str, question_id: str) -> None:
        """Drop the reservation of ``question_id`` (its answer could not be sent)."""
        asked = self._rooms.get(room_id)
        if asked is not None and key in asked and asked[key].question_id == question_id:
            del asked[key]

    def _room(self, room_id: str, now: float) -> OrderedDict[str, _Asked]:
        """The room's recent questions, expired ones dropped; the room becomes the newest."""
        asked = self._rooms.pop(room_id, None) or OrderedDict()
        while asked and now - next(iter(asked.values())).at >= self._window_s:
            asked.popitem(last=False)
        self._rooms[room_id] = asked
        while len(self._rooms) > self._max_rooms:
            self._rooms.popitem(last=False)
        return asked

