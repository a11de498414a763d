"""Knowledge refresh (``!refresh`` and SIGHUP): reload every configured source off the
event loop, validate the whole new base, swap it in at once, and record every attempt.

A failed load leaves the live base untouched (``load_sources`` is all or nothing). The
swap is one attribute assignment, and each answer reads ``engine`` once, so a question
answered during a refresh sees either the old base or the new one, never a mix.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from knowledge.diff import KnowledgeDiff, bounded, diff_bases
from knowledge.engine import Engine
from knowledge.loading import FetchLimits, SourceCache, load_sources, public_source
from knowledge.model import KnowledgeBase, KnowledgeError

from .storage import RefreshRecord, Storage

log = logging.getLogger(__name__)

#: Problems kept (and shown) per failed refresh; the rest are counted.
MAX_PROBLEMS = 20
#: Who asked for a refresh by signal, and who for a scheduled one (knowledge.refresh_every).
SIGNAL = "SIGHUP"
SCHEDULE = "schedule"
#: A scheduled refresh that failed is tried again sooner: after RETRY_FIRST_S (or the interval,
#: if shorter), doubling each time up to the interval; every wait is jittered by +-JITTER.
RETRY_FIRST_S = 300.0
JITTER = 0.1

_URL = re.compile(r"https?://\S+", re.IGNORECASE)


class EngineHolder(Protocol):
    """Whatever holds the live engine (the Bot)."""

    engine: Engine


def redact_urls(text: str) -> str:
    """``text`` with the user info, query and fragment of every http(s) URL dropped (they
    may carry credentials)."""

    def public(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(":,;.)")  # punctuation after a URL is not part of it
        return public_source(url) + match.group(0)[len(url) :]

    return _URL.sub(public, text)


@dataclass(frozen=True)
class RefreshOutcome:
    """The result of one refresh, as replied, logged and recorded."""

    ok: bool
    old_version: str
    new_version: str  # the old one again when the refresh failed
    entries: int  # in the live base afterwards
    criteria: int
    diff: KnowledgeDiff = KnowledgeDiff()
    problems: tuple[str, ...] = ()  # "file:line: message", at most MAX_PROBLEMS
    total_problems: int = 0

    def details(self) -> str:
        """The audit-trail details as JSON."""
        data = {
            "entries": self.entries,
            "criteria": self.criteria,
            "diff": self.diff.as_dict(),
            "problems": list(self.problems),
            "total_problems": self.total_problems,
        }
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_record(cls, record: RefreshRecord) -> RefreshOutcome:
        data = json.loads(record.details)
        diff = KnowledgeDiff.from_dict(data["diff"])
        return cls(
            record.ok,
            record.old_version,
            record.new_version,
            data["entries"],
            data["criteria"],
            diff,
            tuple(data["problems"]),
            data["total_problems"],
        )


#: Told of every refresh's outcome and who asked for it (the report rooms, bot/reports.py).
OutcomeListener = Callable[[str, "RefreshOutcome"], Awaitable[None]]


class Refresher:
    """Reloads ``sources`` into ``holder.engine``; one refresh at a time, whether asked for
    (``!refresh``, SIGHUP) or scheduled (:meth:`run_schedule`). A good load is saved in
    ``cache`` (the last good knowledge); a refresh never falls back to it. The outcome's diff
    is bounded (``knowledge.diff.bounded``), in the reply, the record and the reports alike."""

    def __init__(
        self,
        sources: Sequence[str],
        holder: EngineHolder,
        storage: Storage,
        *,
        limits: FetchLimits = FetchLimits(),
        cache: SourceCache | None = None,
        listener: OutcomeListener | None = None,
    ):
        self._sources = tuple(sources)
        self._holder = holder
        self._storage = storage
        self._limits = limits
        self._cache = cache
        self._listener = listener
        self._lock = asyncio.Lock()
        #: Lines saying which sources the live base was read from a cached copy of.
        self.stale: tuple[str, ...] = ()

    @property
    def running(self) -> bool:
        return self._lock.locked()

    async def refresh(self, requested_by: str, room_id: str | None) -> RefreshOutcome | None:
        """Load, validate and swap in the sources; record and log the outcome. None at
        once if a refresh is already running (the caller says so)."""
        if self._lock.locked():
            log.info("knowledge refresh by %s not started: one is already running", requested_by)
            return None
        async with self._lock:
            old = self._holder.engine.kb
            try:
                engine, diff = await asyncio.to_thread(
                    _load_engine, self._sources, self._limits, self._cache, old
                )
            except KnowledgeError as exc:
                outcome = _failed(old, [str(problem) for problem in exc.problems])
            except Exception as exc:  # a loader bug must not leave the moderator without an answer
                log.exception("knowledge refresh crashed")
                outcome = _failed(old, [f"internal error: {type(exc).__name__}: {exc}"])
            else:
                self._holder.engine = engine
                self.stale = ()
                new = engine.kb
                outcome = RefreshOutcome(True, old.version, new.version, len(new.entries), len(new.criteria), diff)
            await self._storage.record_refresh(_record(requested_by, room_id, outcome))
        _log(requested_by, outcome)
        if self._listener is not None:
            try:
                await self._listener(requested_by, outcome)
            except Exception:  # reporting must never turn a refresh into a failure
                log.exception("reporting the knowledge refresh failed")
        return outcome

    async def run_schedule(self, every_s: float, stopping: asyncio.Event, rand: Callable[[], float] = random.random) -> None:
        """Refresh every ``every_s`` seconds (jittered) until ``stopping`` is set, by the same
        path as ``!refresh``. A failed refresh keeps the old base live (and is recorded and
        reported); the next try comes sooner, backing off (see :func:`next_wait`). A manual
        refresh running at that moment counts as this one. Never sleeps blocking."""
        failures = 0
        while not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), next_wait(every_s, failures, rand()))
                return
            except TimeoutError:
                pass
            try:
                outcome = await self.refresh(SCHEDULE, None)
            except Exception:  # e.g. the database: the schedule must outlive one bad refresh
                log.exception("scheduled knowledge refresh failed")
                failures += 1
                continue
            if outcome is not None:
                failures = 0 if outcome.ok else failures + 1


def next_wait(every_s: float, failures: int, unit: float) -> float:
    """Seconds until the next scheduled refresh after ``failures`` failed ones in a row:
    the interval, or after a failure RETRY_FIRST_S doubling up to the interval; ``unit``
    (0..1) spreads it by +-JITTER, so many bots on one source do not fetch in step."""
    wait = every_s if failures == 0 else min(every_s, min(RETRY_FIRST_S, every_s) * 2 ** min(failures - 1, 30))
    return wait * (1 - JITTER + 2 * JITTER * unit)


def knowledge_cache(data_dir: Path) -> SourceCache:
    """Where the last good copies of the URL sources are kept: one SourceCache per directory
    in a process, so the first refresh after a start reuses the site parsed at the start
    when its archives are unchanged."""
    return _cache_at(data_dir.resolve() / "knowledge-cache")


@functools.lru_cache(maxsize=4)  # a bot has one data directory; tests start several
def _cache_at(directory: Path) -> SourceCache:
    return SourceCache(directory)


def _load_engine(
    sources: Sequence[str], limits: FetchLimits, cache: SourceCache | None, old: KnowledgeBase
) -> tuple[Engine, KnowledgeDiff]:
    """A ready engine over the validated sources and its bounded diff from ``old`` (runs in
    a worker thread: a whole site's diff takes a moment)."""
    kb = load_sources(list(sources), limits=limits, cache=cache)
    return Engine(kb), bounded(diff_bases(old, kb))


def _failed(kb: KnowledgeBase, problems: list[str]) -> RefreshOutcome:
    """A failed refresh: ``kb`` stays live; the first problems are kept, URLs redacted."""
    shown = tuple(redact_urls(problem) for problem in problems[:MAX_PROBLEMS])
    version = kb.version
    return RefreshOutcome(
        False, version, version, len(kb.entries), len(kb.criteria), problems=shown, total_problems=len(problems)
    )


def _record(requested_by: str, room_id: str | None, outcome: RefreshOutcome) -> RefreshRecord:
    now_ms = int(time.time() * 1000)
    return RefreshRecord(
        now_ms, requested_by, room_id, outcome.ok, outcome.old_version, outcome.new_version, outcome.details()
    )


def _log(requested_by: str, outcome: RefreshOutcome) -> None:
    if not outcome.ok:
        log.warning(
            "knowledge refresh by %s failed (%d problem(s)); still version %s: %s",
            requested_by,
            outcome.total_problems,
            outcome.old_version,
            "; ".join(outcome.problems),
        )
        return
    diff = outcome.diff
    log.info(
        "knowledge refreshed by %s: version %s -> %s, %d entries, added=%s removed=%s changed=%s criteria=%s",
        requested_by,
        outcome.old_version,
        outcome.new_version,
        outcome.entries,
        ",".join(diff.added) or "-",
        ",".join(diff.removed) or "-",
        ",".join(diff.changed) or "-",
        ",".join((*diff.criteria_added, *diff.criteria_removed, *diff.criteria_changed)) or "-",
    )
