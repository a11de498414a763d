"""Per-room FIFO locks and the memory of recently taken-in events."""

from __future__ import annotations

import asyncio

import pytest

from bot.ordering import KeyedLocks, RecentIds


@pytest.mark.asyncio
async def test_one_key_runs_in_arrival_order_other_keys_in_parallel() -> None:
    locks = KeyedLocks()
    done: list[str] = []

    async def work(key: str, name: str, delay: float) -> None:
        async with locks.hold(key):
            await asyncio.sleep(delay)
            done.append(name)

    await asyncio.gather(work("a", "a1", 0.03), work("a", "a2", 0.0), work("b", "b1", 0.01))
    assert done == ["b1", "a1", "a2"]
    assert len(locks) == 0, "idle locks are dropped"


@pytest.mark.asyncio
async def test_run_awaits_the_coroutine_under_the_lock() -> None:
    locks = KeyedLocks()
    seen: list[int] = []

    async def note() -> None:
        seen.append(len(locks))

    await locks.run("room", note())
    assert seen == [1] and len(locks) == 0


def test_recent_ids_remember_a_bounded_number() -> None:
    recent = RecentIds(size=2)
    assert recent.first_time("$a") and not recent.first_time("$a")
    assert recent.first_time("$b") and recent.first_time("$c")
    assert "$a" not in recent and "$b" in recent and "$c" in recent
    assert recent.first_time(None) and recent.first_time(None)
