"""knowledge/diff.py: what changed between two bases of the whole site, and its bounded summary."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.refresh import RefreshOutcome
from bot.replies import refresh_report, refresh_result
from knowledge.diff import MAX_ITEMS, CategoryChange, KnowledgeDiff, bounded, diff_bases
from knowledge.loading import load_sources
from knowledge.model import KnowledgeBase, Text

SNAPSHOT = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "privacyguides"


@pytest.fixture(scope="module")
def site() -> KnowledgeBase:
    return load_sources([str(SNAPSHOT)])


def _without(kb: KnowledgeBase, entry_id: str) -> KnowledgeBase:
    return dataclasses.replace(kb, entries=tuple(e for e in kb.entries if e.id != entry_id))


def test_the_same_site_with_newer_dates_is_no_change(site: KnowledgeBase) -> None:
    redated = dataclasses.replace(
        site,
        entries=tuple(dataclasses.replace(e, source=dataclasses.replace(e.source, date="2027-01-01")) for e in site.entries),
        criteria=tuple(
            dataclasses.replace(c, source=dataclasses.replace(c.source, date="2027-01-01")) if c.source else c
            for c in site.criteria
        ),
    )
    assert not diff_bases(site, redated)
    assert diff_bases(site, redated) == KnowledgeDiff()


def test_entries_added_removed_and_standing_changes(site: KnowledgeBase) -> None:
    proton = site.get("vpn/proton-vpn")
    lesser = dataclasses.replace(proton, tier="additional")
    entries = tuple(lesser if e.id == proton.id else e for e in site.entries if e.id != "vpn/mullvad")
    new = dataclasses.replace(site, entries=entries)
    diff = diff_bases(site, new)
    assert diff.removed == ("Mullvad",)
    assert diff.tiers == ("Proton VPN: recommended → additional",)
    assert diff.changed == ("Proton VPN",) and not diff.added
    assert diff_bases(new, site).added == ("Mullvad",)
    brave = next(e for e in site.entries if e.name == "Brave" and e.also_on)
    assert diff_bases(site, _without(site, brave.id)).removed == (f"Brave ({brave.category})",)  # on two pages


def test_criteria_and_warnings_are_counted_per_category(site: KnowledgeBase) -> None:
    vpn = [c for c in site.criteria if c.category == "vpn"]
    email = [c for c in site.criteria if c.category == "email"]
    changed = dataclasses.replace(vpn[0], text=Text({"en": "Must accept cash."}))
    kept = [changed if c is vpn[0] else c for c in site.criteria if c is not vpn[1] and c is not email[0]]
    warning = site.warnings[0]
    warnings = (dataclasses.replace(warning, text=Text({"en": "New warning text."})), *site.warnings[1:])
    diff = diff_bases(site, dataclasses.replace(site, criteria=tuple(kept), warnings=warnings))
    assert diff.criteria_changed == (vpn[0].id,)
    assert set(diff.criteria_removed) == {vpn[1].id, email[0].id}
    assert diff.warnings_changed == (warning.id,)
    home = next(c.path for c in site.categories if warning.id in c.warnings)
    by_page = {change.category: change for change in diff.categories}
    assert by_page["vpn"] == CategoryChange("vpn", criteria_removed=1, criteria_changed=1)
    assert by_page["email"] == CategoryChange("email", criteria_removed=1)
    assert by_page[home].warnings_changed == 1


def test_a_big_change_is_bounded_with_and_n_more(site: KnowledgeBase) -> None:
    emptier = dataclasses.replace(site, entries=site.entries[:3], criteria=(), warnings=())
    full = diff_bases(site, emptier)
    assert len(full.removed) == len(site.entries) - 3
    cut = bounded(full)
    assert len(cut.removed) == MAX_ITEMS and cut.total("removed") == len(full.removed)
    assert cut.omitted["removed"] == len(full.removed) - MAX_ITEMS
    assert len(cut.categories) <= 10 and cut.total("categories") == len(full.categories)
    outcome = RefreshOutcome(True, "aaa", "bbb", 3, 0, cut)
    text = refresh_report(outcome, "schedule", "en").text
    assert f"… and {len(full.removed) - MAX_ITEMS} more" in text
    assert "Knowledge changed (schedule): version aaa → bbb" in text
    assert len(text) < 6000  # bounded, whatever the site
    assert "Per page: " in refresh_result(outcome, "en").text
    assert "nog" in refresh_report(outcome, "schedule", "nl").text


def test_a_diff_survives_json_and_older_records_still_read() -> None:
    diff = bounded(
        KnowledgeDiff(
            added=tuple(f"App {i}" for i in range(15)),
            tiers=("X: recommended → additional",),
            categories=(CategoryChange("vpn", criteria_added=2),),
        )
    )
    assert KnowledgeDiff.from_dict(diff.as_dict()) == diff
    old_record = {"added": ["Zapp"], "removed": [], "changed": [], "criteria_added": [], "criteria_removed": [],
                  "criteria_changed": [], "warnings_changed": []}
    assert KnowledgeDiff.from_dict(old_record) == KnowledgeDiff(added=("Zapp",))
