"""Policy: whether the bot may act on a message, and how: authority (admin, room
moderator, anyone), age, flood limits, repeats and what counts as a vote. Pure decisions
over in-memory state; exactly-once is the claims in storage, taken in ``flow``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..authority import Role
from ..config import Config
from ..flood import FloodControl, RepeatGuard, Verdict
from ..moderation import RoomPowerBook, role

#: Reaction keys that count as 👍 (+1) or 👎 (-1); skin tones and the text forms too.
_SKIN_TONES = ("", "\U0001f3fb", "\U0001f3fc", "\U0001f3fd", "\U0001f3fe", "\U0001f3ff")
_UP = {"👍" + tone + variant for tone in _SKIN_TONES for variant in ("", "\ufe0f")} | {"+1", ":+1:", ":thumbsup:"}
_DOWN = {"👎" + tone + variant for tone in _SKIN_TONES for variant in ("", "\ufe0f")} | {"-1", ":-1:", ":thumbsdown:"}


def vote_value(key: str) -> int | None:
    """+1 for a thumbs up, -1 for a thumbs down (any variant), None for other reactions."""
    key = key.strip()
    if key in _UP:
        return 1
    if key in _DOWN:
        return -1
    return None


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


class Policy:
    """The bot's in-memory policy state: room power levels, flood limits and repeats."""

    def __init__(self, config: Config):
        self._config = config
        self.power = RoomPowerBook()
        self._flood = FloodControl(config.limits)
        self._repeats = RepeatGuard()

    # -- authority -----------------------------------------------------------------------

    def role(self, room_id: str, user_id: str, *, dm: bool) -> Role:
        """``user_id``'s authority in ``room_id`` (see :mod:`bot.authority`)."""
        return role(user_id, self.power.get(room_id), dm=dm, config=self._config.moderation)

    def is_moderator(self, room_id: str, user_id: str, *, dm: bool) -> bool:
        return self.role(room_id, user_id, dm=dm) >= Role.MODERATOR

    # -- flood and repeats -----------------------------------------------------------------

    def admit(self, sender: str, room_id: str, *, may_notice: bool) -> Verdict:
        return self._flood.admit(sender, room_id, may_notice=may_notice)

    def earlier(self, room_id: str, key: str, question_id: str) -> str | None:
        """The event to point to for a repeated question (see RepeatGuard.earlier)."""
        return self._repeats.earlier(room_id, key, question_id)

    def sent(self, room_id: str, key: str, question_id: str, answer_id: str | None) -> None:
        """Note the answer to ``question_id`` (None: it could not be sent)."""
        if answer_id is None:
            self._repeats.forget(room_id, key, question_id)
        else:
            self._repeats.answered(room_id, key, question_id, answer_id)
