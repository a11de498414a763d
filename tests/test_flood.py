"""Flood control: answer limits with one notice per user per minute, and the repeat guard."""

from __future__ import annotations

from bot.config import LimitsConfig
from bot.flood import FloodControl, RepeatGuard, Verdict, question_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_over_the_user_limit_one_notice_then_silence_until_the_minute_is_over() -> None:
    clock = Clock()
    flood = FloodControl(LimitsConfig(user_per_minute=3, room_per_minute=0), clock)
    verdicts = [flood.admit("@a:x", "!r:x") for _ in range(6)]
    assert verdicts == [Verdict.ANSWER] * 3 + [Verdict.NOTICE] + [Verdict.SILENT] * 2
    assert flood.admit("@b:x", "!r:x") is Verdict.ANSWER  # per user
    clock.now += 60
    assert flood.admit("@a:x", "!r:x") is Verdict.ANSWER


def test_room_limit_gives_each_user_one_notice() -> None:
    flood = FloodControl(LimitsConfig(user_per_minute=0, room_per_minute=2), Clock())
    assert [flood.admit(user, "!r:x") for user in ("@a:x", "@b:x")] == [Verdict.ANSWER] * 2
    assert [flood.admit(user, "!r:x") for user in ("@a:x", "@b:x", "@a:x")] == [
        Verdict.NOTICE,
        Verdict.NOTICE,
        Verdict.SILENT,
    ]
    assert flood.admit("@a:x", "!other:x") is Verdict.ANSWER


def test_a_refused_room_does_not_use_up_the_users_answers() -> None:
    flood = FloodControl(LimitsConfig(user_per_minute=2, room_per_minute=1), Clock())
    assert flood.admit("@a:x", "!busy:x") is Verdict.ANSWER
    assert flood.admit("@a:x", "!busy:x") is Verdict.NOTICE
    assert flood.admit("@a:x", "!quiet:x") is Verdict.ANSWER  # the refusal charged nothing


def test_no_notice_when_not_allowed() -> None:
    flood = FloodControl(LimitsConfig(user_per_minute=1, room_per_minute=0), Clock())
    assert flood.admit("@a:x", "!r:x", may_notice=False) is Verdict.ANSWER
    assert flood.admit("@a:x", "!r:x", may_notice=False) is Verdict.SILENT
    assert flood.admit("@a:x", "!r:x") is Verdict.NOTICE  # the budget was not spent


def test_zero_means_unlimited() -> None:
    flood = FloodControl(LimitsConfig(user_per_minute=0, room_per_minute=0), Clock())
    assert all(flood.admit("@a:x", "!r:x") is Verdict.ANSWER for _ in range(500))


def test_question_key_ignores_case_accents_spacing_and_end_punctuation() -> None:
    assert question_key("  Wat is   BRIAR?? ") == question_key("wat is briar") == "wat is briar"
    assert question_key("Café\tSignal!") == "cafe signal"
    assert question_key("!info briar") != question_key("!info signal")


def test_repeat_points_at_the_earlier_answer_within_the_window() -> None:
    clock = Clock()
    guard = RepeatGuard(clock=clock)
    assert guard.earlier("!r:x", "wat is briar", "$q1") is None
    assert guard.earlier("!r:x", "wat is briar", "$q2") == "$q1"  # answer still on its way
    guard.answered("!r:x", "wat is briar", "$q1", "$a1")
    assert guard.earlier("!r:x", "wat is briar", "$q3") == "$a1"
    assert guard.earlier("!other:x", "wat is briar", "$q4") is None  # per room
    clock.now += 60
    assert guard.earlier("!r:x", "wat is briar", "$q5") is None


def test_forgetting_a_failed_answer_lets_the_question_be_answered_again() -> None:
    guard = RepeatGuard(clock=Clock())
    assert guard.earlier("!r:x", "k", "$q1") is None
    guard.forget("!r:x", "k", "$q2")  # not the owner: no effect
    assert guard.earlier("!r:x", "k", "$q3") == "$q1"
    guard.forget("!r:x", "k", "$q1")
    assert guard.earlier("!r:x", "k", "$q4") is None


def test_memory_is_bounded_per_room_and_in_rooms() -> None:
    guard = RepeatGuard(per_room=3, rooms=2, clock=Clock())
    for n in range(5):
        guard.earlier("!r:x", f"q{n}", f"$q{n}")
    assert guard.earlier("!r:x", "q0", "$again") is None  # the oldest question was dropped
    guard.earlier("!s:x", "k", "$s")
    guard.earlier("!t:x", "k", "$t")
    assert len(guard._rooms) == 2 and "!r:x" not in guard._rooms
