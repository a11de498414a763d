"""Per-key rate limiting (questions per user and per room, per minute)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0
#: Forget idle keys after this many calls, so memory follows the active keys only.
_SWEEP_EVERY = 1000


class RateLimiter:
    """A sliding one-minute window per key; a limit of 0 means unlimited."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._calls = 0

    def allow(self, key: str) -> bool:
        """Record a hit for ``key`` and say whether it is within the limit."""
        if not self.per_minute:
            return True
        now = self._clock()
        self._calls += 1
        if self._calls % _SWEEP_EVERY == 0:
            self._sweep(now)
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= WINDOW_S:
            hits.popleft()
        if len(hits) >= self.per_minute:
            return False
        hits.append(now)
        return True

    def full(self, key: str) -> bool:
        """Whether ``key`` has used up its minute (records nothing), so several limits can
        be checked before any of them is charged."""
        if not self.per_minute:
            return False
        now = self._clock()
        recent = sum(1 for hit in self._hits.get(key, ()) if now - hit < WINDOW_S)
        return recent >= self.per_minute

    def _sweep(self, now: float) -> None:
        idle = [key for key, hits in self._hits.items() if not hits or now - hits[-1] >= WINDOW_S]
        for key in idle:
            del self._hits[key]
