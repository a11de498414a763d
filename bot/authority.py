"""Who may do what: admins rule the whole bot, room moderators their own room, everyone
else asks questions. Pure decisions, shared by every path that handles a command.

*Admins* are the users listed in ``moderation.admins`` (the older key
``moderation.users`` still works): only they do what affects every room (``!refresh``,
the refresh ``!history``; SIGHUP is the operator's, which is the same authority). *Room
moderators* have a power level of at least ``moderation.power_level`` in the room the
command is given in (never in a DM): they change that room's settings (``!set``) and see
that room's state (``!status``), votes (``!feedback``) and unanswered questions
(``!unanswered``); an admin sees those of every room (in a DM). Admins are exempt from flood control; nobody else is.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from .config import ModerationConfig


class Role(enum.IntEnum):
    """What a user may do in one room, weakest first."""

    MEMBER = 0
    MODERATOR = 1
    ADMIN = 2


#: The role each bot command needs; a command not listed is anyone's.
NEEDS: Mapping[str, Role] = {
    "refresh": Role.ADMIN,
    "history": Role.ADMIN,
    "set": Role.MODERATOR,
    "status": Role.MODERATOR,
    "feedback": Role.MODERATOR,
    "unanswered": Role.MODERATOR,
}


def role_of(user_id: str, level: float | None, *, dm: bool, config: ModerationConfig) -> Role:
    """``user_id``'s role in a room where their power level is ``level`` (None: unknown);
    in a DM power levels mean nothing (whoever opens a DM is its creator)."""
    if user_id in config.admins:
        return Role.ADMIN
    if not dm and level is not None and level >= config.power_level:
        return Role.MODERATOR
    return Role.MEMBER


def may_use(role: Role, command: str) -> bool:
    """Whether ``role`` may use ``command`` (a canonical command name)."""
    return role >= NEEDS.get(command, Role.MEMBER)


def commands_for(role: Role) -> frozenset[str]:
    """The restricted commands ``role`` may use (what ``!help`` lists for them)."""
    return frozenset(name for name, needed in NEEDS.items() if role >= needed)


def rate_limited(role: Role) -> bool:
    """Whether flood control applies to commands and questions from ``role``."""
    return role is not Role.ADMIN
