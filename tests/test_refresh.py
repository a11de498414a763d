"""Knowledge refresh: the diff between two bases, URL redaction, and the Refresher's
all-or-nothing swap with its audit trail."""

from __future__ import annotations

import asyncio
import shutil
import time
from typing import Any
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from bot.refresh import SIGNAL, KnowledgeDiff, RefreshOutcome, Refresher, diff_bases, redact_urls
from bot.storage import RefreshRecord, Storage
from knowledge.engine import Engine
from knowledge.loading import BUNDLED_DIR, load_sources
from knowledge.model import Criterion, KnowledgeBase, Text


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
