"""Scheduled refreshes (knowledge.refresh_every) and the report rooms: the waits with backoff
and jitter, the schedule's refreshes on a real pack and storage, and what gets reported."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.pipeline.actions import SendNotice
from bot.refresh import JITTER, RETRY_FIRST_S, SCHEDULE, RefreshOutcome, Refresher, next_wait
from bot.reports import Reporter
from bot.storage import Storage
from knowledge.diff import KnowledgeDiff
from knowledge.engine import Engine
from knowledge.loading import BUNDLED_DIR, load_sources


def test_waits_back_off_after_failures_and_are_jittered() -> None:
    day = 86400.0
    assert next_wait(day, 0, 0.5) == day
    assert next_wait(day, 1, 0.5) == RETRY_FIRST_S
    assert next_wait(day, 2, 0.5) == 2 * RETRY_FIRST_S
    assert next_wait(day, 40, 0.5) == day  # never longer than the interval
    assert next_wait(day, 0, 0.0) == pytest.approx(day * (1 - JITTER))
    assert next_wait(day, 0, 1.0) == pytest.approx(day * (1 + JITTER))
    assert next_wait(60.0, 1, 0.5) == 60.0  # a short interval retries at its own pace


@dataclass
class Holder:
    engine: Engine


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(BUNDLED_DIR, target)
    return target


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
