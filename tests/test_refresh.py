"""Knowledge refresh: the diff between two bases, URL redaction, the Refresher's
all-or-nothing swap with its audit trail, the schedule (knowledge.refresh_every: waits with
backoff and jitter, refreshes on a real pack and storage) and what the report rooms get."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from typing import Any
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from bot.pipeline.actions import SendNotice
from bot.refresh import (
    JITTER,
    RETRY_FIRST_S,
    SCHEDULE,
    SIGNAL,
    KnowledgeDiff,
    RefreshOutcome,
    Refresher,
    diff_bases,
    knowledge_cache,
    next_wait,
    redact_urls,
)
from bot.replies import refresh_result
from bot.reports import Reporter
from bot.storage import RefreshRecord, Storage
from knowledge.engine import Engine
from knowledge.loading import BUNDLED_DIR, load_sources
from knowledge.model import Criterion, KnowledgeBase, Text
from site_archives import archive_server, serve_snapshot, snapshot_tarballs


def test_equal_bases_have_no_diff(kb: KnowledgeBase) -> None:
    assert not diff_bases(kb, kb)
    assert diff_bases(kb, kb) == KnowledgeDiff()


def test_added_removed_and_changed_entries_by_name(kb: KnowledgeBase) -> None:
    signal, briar = kb.get("signal"), kb.get("briar")
    assert signal is not None and briar is not None
    zapp = replace(briar, id="zapp", name="Zapp", aliases=())
    new_signal = replace(signal, summary=Text({"en": "Changed.", "nl": "Gewijzigd."}))
    entries = tuple(new_signal if e.id == "signal" else e for e in kb.entries if e.id != "session") + (zapp,)
    diff = diff_bases(kb, replace(kb, entries=entries))
    assert diff.added == ("Zapp",)
    assert diff.removed == ("Session",)
    assert diff.changed == ("Signal",)
    assert not (diff.criteria_added or diff.criteria_removed or diff.criteria_changed or diff.warnings_changed)


def test_moving_an_entry_to_another_file_or_line_is_no_change(kb: KnowledgeBase) -> None:
    moved = tuple(replace(e, source=replace(e.source, file="elsewhere.yaml", line=99)) for e in kb.entries)
    assert not diff_bases(kb, replace(kb, entries=moved))


def test_criteria_and_warning_changes(kb: KnowledgeBase) -> None:
    first, *rest = kb.criteria
    changed = replace(rest[0], text=Text({"en": "Something else."}))
    extra = Criterion("extra", "best", Text({"en": "Extra."}))
    warnings = tuple(replace(w, text=Text({"en": "New wording."})) for w in kb.warnings)
    diff = diff_bases(kb, replace(kb, criteria=(changed, *rest[1:], extra), warnings=warnings))
    assert diff.criteria_added == ("extra",)
    assert diff.criteria_removed == (first.id,)
    assert diff.criteria_changed == (rest[0].id,)
    assert diff.warnings_changed == tuple(w.id for w in kb.warnings)
    assert not (diff.added or diff.removed or diff.changed)


def test_urls_lose_credentials_query_and_fragment() -> None:
    text = "https://user:secret@example.org:8443/page.md?token=abc#x: cannot fetch"
    assert redact_urls(text) == "https://example.org:8443/page.md: cannot fetch"
    assert redact_urls("entries/briar.yaml:3: bad value") == "entries/briar.yaml:3: bad value"


def test_outcome_survives_the_audit_trail_record() -> None:
    failed = RefreshOutcome(False, "aaa", "aaa", 6, 9, problems=("a.yaml:3: bad",), total_problems=4)
    ok = RefreshOutcome(True, "aaa", "bbb", 7, 9, KnowledgeDiff(added=("Zapp",), criteria_changed=("x",)))
    for outcome in (failed, ok):
        record = RefreshRecord(0, "@mod:example.org", None, outcome.ok, "aaa", outcome.new_version, outcome.details())
        assert RefreshOutcome.from_record(record) == outcome


# -- the Refresher ---------------------------------------------------------------------


@dataclass
class Holder:
    engine: Engine


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A writable copy of the bundled pack."""
    target = tmp_path / "pack"
    shutil.copytree(BUNDLED_DIR, target)
    return target


@pytest.mark.asyncio
async def test_refresh_swaps_in_the_new_base_and_records_it(pack: Path, storage: Storage) -> None:
    holder = Holder(Engine(load_sources([str(pack)])))
    old = holder.engine
    signal = pack / "entries" / "signal.yaml"
    signal.write_text(signal.read_text(encoding="utf-8").replace("summary:", "summary:  # edited", 1), encoding="utf-8")
    briar = (pack / "entries" / "briar.yaml").read_text(encoding="utf-8")
    zapp = briar.replace("id: briar", "id: zapp").replace("name: Briar", "name: Zapp")
    (pack / "entries" / "zapp.yaml").write_text(zapp.replace("aliases: [Briar Messenger, Briar Project]", "aliases: []"))
    outcome = await Refresher([str(pack)], holder, storage).refresh("@mod:example.org", "!room:example.org")
    assert outcome.ok and holder.engine is not old
    assert outcome.diff.added == ("Zapp",) and not outcome.diff.changed  # a comment is no change
    assert outcome.new_version == holder.engine.kb.version != outcome.old_version
    [record] = await storage.refreshes(5)
    assert record.ok and record.requested_by == "@mod:example.org" and record.room_id == "!room:example.org"


@pytest.mark.asyncio
async def test_a_refresh_of_unchanged_archives_downloads_nothing_and_says_nothing_changed(
    tmp_path: Path, storage: Storage
) -> None:
    with archive_server() as served:
        sources = serve_snapshot(served, *snapshot_tarballs(tmp_path))
        started = load_sources(sources, cache=knowledge_cache(tmp_path / "data"))  # as at a start
        holder = Holder(Engine(started))
        served.answers.clear()
        refresher = Refresher(sources, holder, storage, cache=knowledge_cache(tmp_path / "data"))
        outcome = await refresher.refresh(SIGNAL, None)
    assert outcome is not None and outcome.ok and not outcome.diff
    assert served.sent(304) and not served.sent(200)  # both archives: 304, nothing downloaded
    assert holder.engine.kb.category("vpn") is started.category("vpn")  # the start's parse, reused
    assert outcome.new_version == outcome.old_version
    assert "nothing changed" in refresh_result(outcome, "en").text


@pytest.mark.asyncio
async def test_a_broken_source_keeps_the_old_base_and_lists_file_and_line(pack: Path, storage: Storage) -> None:
    holder = Holder(Engine(load_sources([str(pack)])))
    old = holder.engine
    broken = pack / "entries" / "briar.yaml"
    broken.write_text(broken.read_text(encoding="utf-8") + "\nnonsense_key: 1\n", encoding="utf-8")
    outcome = await Refresher([str(pack)], holder, storage).refresh(SIGNAL, None)
    assert not outcome.ok and holder.engine is old
    assert outcome.new_version == outcome.old_version == old.kb.version
    assert any("briar.yaml:" in problem and "nonsense_key" in problem for problem in outcome.problems)
    [record] = await storage.refreshes(5)
    assert not record.ok and record.requested_by == SIGNAL and record.room_id is None


@pytest.mark.asyncio
async def test_a_source_without_entries_is_an_error(tmp_path: Path, storage: Storage) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    holder = Holder(Engine(load_sources([])))
    outcome = await Refresher([str(empty)], holder, storage).refresh(SIGNAL, None)
    assert not outcome.ok and outcome.problems


@pytest.mark.asyncio
async def test_refreshes_do_not_interleave_and_a_second_is_told_one_runs(
    pack: Path, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    running: list[int] = []
    overlaps: list[int] = []
    real = load_sources

    def slow_load(sources: list[str], **options: Any) -> KnowledgeBase:
        running.append(1)
        overlaps.append(len(running))
        try:
            time.sleep(0.05)
            return real(sources, **options)
        finally:
            running.pop()

    monkeypatch.setattr("bot.refresh.load_sources", slow_load)
    holder = Holder(Engine(load_sources([str(pack)])))
    refresher = Refresher([str(pack)], holder, storage)
    outcomes = await asyncio.gather(*(refresher.refresh(f"@m{n}:x.org", None) for n in range(3)))
    first, *later = outcomes
    assert first is not None and first.ok and later == [None, None]  # "already running", at once
    assert max(overlaps) == 1 and len(await storage.refreshes(10)) == 1
    again = await refresher.refresh("@m0:x.org", None)  # once done, a new one runs
    assert again is not None and again.ok and len(await storage.refreshes(10)) == 2


# -- the schedule (knowledge.refresh_every) and the report rooms ------------------------------


def test_waits_back_off_after_failures_and_are_jittered() -> None:
    day = 86400.0
    assert next_wait(day, 0, 0.5) == day
    assert next_wait(day, 1, 0.5) == RETRY_FIRST_S
    assert next_wait(day, 2, 0.5) == 2 * RETRY_FIRST_S
    assert next_wait(day, 40, 0.5) == day  # never longer than the interval
    assert next_wait(day, 0, 0.0) == pytest.approx(day * (1 - JITTER))
    assert next_wait(day, 0, 1.0) == pytest.approx(day * (1 + JITTER))
    assert next_wait(60.0, 1, 0.5) == 60.0  # a short interval retries at its own pace


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait (without blocking the loop) until ``condition()`` holds; fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


class Posted:
    """Collects the notices a Reporter posts (the Matrix side is the integration test's)."""

    def __init__(self) -> None:
        self.notices: list[SendNotice] = []

    async def __call__(self, notice: SendNotice) -> str | None:
        self.notices.append(notice)
        return f"$event{len(self.notices)}"


@pytest.mark.asyncio
async def test_the_schedule_refreshes_reports_changes_and_keeps_the_base_on_failure(
    pack: Path, storage: Storage
) -> None:
    holder = Holder(Engine(load_sources([str(pack)])))
    posted = Posted()
    reporter = Reporter(["!reports:example.org"], posted, lambda room: "en")
    refresher = Refresher([str(pack)], holder, storage, listener=reporter)
    stopping = asyncio.Event()
    schedule = asyncio.create_task(refresher.run_schedule(0.05, stopping))

    async def records(n: int) -> list:
        for _ in range(400):
            found = await storage.refreshes(100)
            if len(found) >= n:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError(f"fewer than {n} scheduled refreshes")

    await records(2)
    assert posted.notices == []  # nothing changed: nothing posted
    briar = (pack / "entries" / "briar.yaml").read_text(encoding="utf-8")
    zapp = briar.replace("id: briar", "id: zapp").replace("name: Briar", "name: Zapp")
    (pack / "entries" / "zapp.yaml").write_text(zapp.replace("aliases: [Briar Messenger, Briar Project]", "aliases: []"))
    await until(lambda: posted.notices)
    assert "Knowledge changed (schedule)" in posted.notices[0].text and "Added: Zapp" in posted.notices[0].text
    live = holder.engine
    (pack / "entries" / "zapp.yaml").write_text("id: [broken\n")
    await until(lambda: len(posted.notices) >= 2)
    count = len(await storage.refreshes(100))
    await records(count + 2)  # failing on: retried, reported once
    assert holder.engine is live and len(posted.notices) == 2
    assert "failed; still answering from version" in posted.notices[1].text and "zapp.yaml" in posted.notices[1].text
    stopping.set()
    await asyncio.wait_for(schedule, 5)
    history = await storage.refreshes(100)
    assert all(record.requested_by == SCHEDULE for record in history)
    assert any(not record.ok for record in history) and any(record.ok for record in history)


@pytest.mark.asyncio
async def test_a_refresh_that_works_again_says_so() -> None:
    posted = Posted()
    reporter = Reporter(["!a:example.org", "!b:example.org"], posted, lambda room: "nl" if room.startswith("!a") else "en")
    failed = RefreshOutcome(False, "v1", "v1", 5, 9, problems=("x.yaml:1: bad",), total_problems=1)
    same = RefreshOutcome(True, "v1", "v1", 5, 9)
    await reporter("@admin:example.org", failed)
    await reporter(SCHEDULE, failed)
    await reporter(SCHEDULE, same)
    await reporter(SCHEDULE, same)
    await reporter(SCHEDULE, RefreshOutcome(True, "v1", "v2", 6, 9, KnowledgeDiff(added=("Zapp",))))
    texts = [(n.room_id, n.text.split("\n")[0]) for n in posted.notices]
    assert texts == [
        ("!a:example.org", "Kennis vernieuwen (@admin:example.org) mislukt; ik antwoord nog uit versie v1. Problemen:"),
        ("!b:example.org", "Knowledge refresh (@admin:example.org) failed; still answering from version v1. Problems:"),
        ("!a:example.org", "Kennis vernieuwen (schedule) werkt weer; niets veranderd (versie v1)."),
        ("!b:example.org", "Knowledge refresh (schedule) works again; nothing changed (version v1)."),
        ("!a:example.org", "Kennis veranderd (schedule): versie v1 → v2 (6 items, 9 criteria)."),
        ("!b:example.org", "Knowledge changed (schedule): version v1 → v2 (6 entries, 9 criteria)."),
    ]
    assert len({n.txn_id for n in posted.notices}) == len(posted.notices)
    assert "m.relates_to" not in posted.notices[0].content()  # a notice, replying to nothing


@pytest.mark.asyncio
async def test_the_schedule_outlives_a_refresh_that_raises(
    pack: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = await Storage.open(tmp_path / "db")
    await broken.close()  # recording the refresh now raises
    refresher = Refresher([str(pack)], Holder(Engine(load_sources([str(pack)]))), broken)
    stopping = asyncio.Event()
    schedule = asyncio.create_task(refresher.run_schedule(0.01, stopping))
    await until(lambda: caplog.text.count("scheduled knowledge refresh failed") >= 2)
    assert not schedule.done()
    stopping.set()
    await asyncio.wait_for(schedule, 5)
