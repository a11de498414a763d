"""Knowledge refresh (``!refresh`` and SIGHUP): reload every configured source off the
event loop, validate the whole new base, swap it in at once, and record every attempt.

A failed load leaves the live base untouched (``load_sources`` is all or nothing). The
swap is one attribute assignment, and each answer reads ``engine`` once, so a question
answered during a refresh sees either the old base or the new one, never a mix.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, astuple, dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from knowledge.engine import Engine
from knowledge.loading import FETCH_TIMEOUT, SourceCache, load_sources, public_source
from knowledge.model import KnowledgeBase, KnowledgeError, content_of

from .storage import RefreshRecord, Storage

log = logging.getLogger(__name__)

#: Problems kept (and shown) per failed refresh; the rest are counted.
MAX_PROBLEMS = 20
#: Who asked for a refresh by signal.
SIGNAL = "SIGHUP"

T = TypeVar("T")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


class EngineHolder(Protocol):
    """Whatever holds the live engine (the Bot)."""

    engine: Engine


@dataclass(frozen=True)
class KnowledgeDiff:
    """What changed between two bases: entries by name, criteria and page warnings by id."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    criteria_added: tuple[str, ...] = ()
    criteria_removed: tuple[str, ...] = ()
    criteria_changed: tuple[str, ...] = ()
    warnings_changed: tuple[str, ...] = ()  # added, removed or changed

    def __bool__(self) -> bool:
        return any(astuple(self))


def diff_bases(old: KnowledgeBase, new: KnowledgeBase) -> KnowledgeDiff:
    """Compare two bases; an item "changed" if any field differs, ignoring file and line."""
    old_by_id = {e.id: e for e in old.entries}
    new_by_id = {e.id: e for e in new.entries}
    added, removed, changed = _diff(old_by_id, new_by_id)
    criteria = _diff({c.id: c for c in old.criteria}, {c.id: c for c in new.criteria})
    warnings = _diff({w.id: w for w in old.warnings}, {w.id: w for w in new.warnings})
    return KnowledgeDiff(
        added=tuple(new_by_id[i].name for i in added),
        removed=tuple(old_by_id[i].name for i in removed),
        changed=tuple(new_by_id[i].name for i in changed),
        criteria_added=criteria[0],
        criteria_removed=criteria[1],
        criteria_changed=criteria[2],
        warnings_changed=(*warnings[0], *warnings[1], *warnings[2]),
    )


def _diff(old: Mapping[str, T], new: Mapping[str, T]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Ids added, removed and changed (in the order of the base that has them)."""
    added = tuple(key for key in new if key not in old)
    removed = tuple(key for key in old if key not in new)
    changed = tuple(key for key in new if key in old and content_of(old[key]) != content_of(new[key]))
    return added, removed, changed


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
            "diff": asdict(self.diff),
            "problems": list(self.problems),
            "total_problems": self.total_problems,
        }
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_record(cls, record: RefreshRecord) -> RefreshOutcome:
        data = json.loads(record.details)
        diff = KnowledgeDiff(**{key: tuple(value) for key, value in data["diff"].items()})
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


class Refresher:
    """Reloads ``sources`` into ``holder.engine``; one refresh at a time. A good load is
    saved in ``cache`` (the last good knowledge); a refresh never falls back to it."""

    def __init__(
        self,
        sources: Sequence[str],
        holder: EngineHolder,
        storage: Storage,
        *,
        fetch_timeout: float = FETCH_TIMEOUT,
        cache: SourceCache | None = None,
    ):
        self._sources = tuple(sources)
        self._holder = holder
        self._storage = storage
        self._fetch_timeout = fetch_timeout
        self._cache = cache
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
                engine = await asyncio.to_thread(_load_engine, self._sources, self._fetch_timeout, self._cache)
            except KnowledgeError as exc:
                outcome = _failed(old, [str(problem) for problem in exc.problems])
            except Exception as exc:  # a loader bug must not leave the moderator without an answer
                log.exception("knowledge refresh crashed")
                outcome = _failed(old, [f"internal error: {type(exc).__name__}: {exc}"])
            else:
                self._holder.engine = engine
                self.stale = ()
                new = engine.kb
                diff = diff_bases(old, new)
                outcome = RefreshOutcome(True, old.version, new.version, len(new.entries), len(new.criteria), diff)
            await self._storage.record_refresh(_record(requested_by, room_id, outcome))
        _log(requested_by, outcome)
        return outcome


def knowledge_cache(data_dir: Path) -> SourceCache:
    """Where the last good copies of the URL sources are kept."""
    return SourceCache(data_dir / "knowledge-cache")


def _load_engine(sources: Sequence[str], fetch_timeout: float, cache: SourceCache | None) -> Engine:
    """A ready engine over the validated sources (runs in a worker thread)."""
    return Engine(load_sources(list(sources), fetch_timeout=fetch_timeout, cache=cache))


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
