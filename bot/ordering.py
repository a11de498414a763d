"""Taking questions in once and in order: per-key FIFO locks and recently seen ids."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any


class KeyedLocks:
    """One first-come-first-served lock per key, dropped when nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold ``key``'s lock (waiting behind earlier holders of the same key)."""
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def run(self, key: str, coro: Coroutine[Any, Any, None]) -> None:
        """Await ``coro`` while holding ``key``'s lock."""
        async with self.hold(key):
            await coro


class RecentIds:
    """The last ``size`` ids taken in (e.g. event ids), to take each in once."""

    def __init__(self, size: int = 10_000):
        self._order: deque[str] = deque()
        self._ids: set[str] = set()
        self._size = size

    def __contains__(self, item: object) -> bool:
        return item in self._ids

    def first_time(self, item: str | None) -> bool:
        """Remember ``item``; False if it was seen before (None always counts as new)."""
        if item is None:
            return True
        if item in self._ids:
            return False
        self._ids.add(item)
        self._order.append(item)
        if len(self._order) > self._size:
            self._ids.discard(self._order.popleft())
        return True
