"""Who may do what (bot/authority.py): admins, room moderators, everyone else."""

from __future__ import annotations

import pytest

from bot.authority import Role, commands_for, may_use, rate_limited, role_of
from bot.config import ModerationConfig

CONFIG = ModerationConfig(power_level=50, admins=("@admin:x.org",), users=("@old:x.org",))


@pytest.mark.parametrize(
    ("user", "level", "dm", "expected"),
    [
        ("@admin:x.org", None, True, Role.ADMIN),  # admins everywhere, DMs included
        ("@old:x.org", 0, False, Role.ADMIN),  # the older key still names admins
        ("@creator:x.org", 100, False, Role.MODERATOR),  # making a room makes no admin
        ("@creator:x.org", 100, True, Role.MEMBER),  # whoever opens a DM is its creator
        ("@mod:x.org", 50, False, Role.MODERATOR),
        ("@almost:x.org", 49, False, Role.MEMBER),
        ("@unknown:x.org", None, False, Role.MEMBER),
    ],
)
def test_roles(user: str, level: float | None, dm: bool, expected: Role) -> None:
    assert role_of(user, level, dm=dm, config=CONFIG) is expected


def test_what_each_role_may_use() -> None:
    assert commands_for(Role.MEMBER) == frozenset()
    assert commands_for(Role.MODERATOR) == {"set", "status", "feedback", "unanswered"}
    assert commands_for(Role.ADMIN) == {"set", "status", "feedback", "unanswered", "refresh", "history"}
    assert may_use(Role.MEMBER, "info") and not may_use(Role.MODERATOR, "refresh")
    assert rate_limited(Role.MODERATOR) and rate_limited(Role.MEMBER) and not rate_limited(Role.ADMIN)
