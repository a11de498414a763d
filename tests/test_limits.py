"""The per-minute rate limiter."""

from __future__ import annotations

from bot.limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_limit_per_key_within_a_sliding_minute() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock)
    assert limiter.allow("alice") and limiter.allow("alice")
    assert not limiter.allow("alice")
    assert limiter.allow("bob")
    clock.now = 59.9
    assert not limiter.allow("alice")
    clock.now = 60.0
    assert limiter.allow("alice")


def test_zero_means_unlimited() -> None:
    limiter = RateLimiter(0, Clock())
    assert all(limiter.allow("alice") for _ in range(1000))


def test_idle_keys_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(5, clock)
    for n in range(999):
        limiter.allow(f"user{n}")
    clock.now = 120.0
    limiter.allow("fresh")  # the 1000th call sweeps
    assert list(limiter._hits) == ["fresh"]
