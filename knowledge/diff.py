"""What changed between two knowledge bases, and the same change cut to a bounded size
(for refresh replies, report rooms and the refresh history).

Entries are compared by id, criteria and page warnings by id; an item "changed" when its
content differs, ignoring where it was loaded from (file, line) and its page's source (URL,
date: a newer archive with the same text is no change). Entries are named by their name, with
their category when the same product is on several pages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .model import Entry, KnowledgeBase, content_of

T = TypeVar("T")

#: Items kept per kind of change in a bounded diff (the rest are counted: "… and N more").
MAX_ITEMS = 10
#: Categories kept with their criteria and warning counts in a bounded diff.
MAX_CATEGORIES = 10

#: The fields of a diff that list changed items by name or id, in the order they are shown.
NAMED_CHANGES = (
    "added",
    "removed",
    "changed",
    "tiers",
    "criteria_added",
    "criteria_removed",
    "criteria_changed",
    "warnings_changed",
)
_LISTS = (*NAMED_CHANGES, "categories")


@dataclass(frozen=True)
class CategoryChange:
    """How many criteria and page warnings of one category (page path) were added, removed, changed."""

    category: str
    criteria_added: int = 0
    criteria_removed: int = 0
    criteria_changed: int = 0
    warnings_added: int = 0
    warnings_removed: int = 0
    warnings_changed: int = 0


@dataclass(frozen=True)
class KnowledgeDiff:
    """What changed: entries by name, tier or status changes ("Name: old → new"), criteria and
    page warnings by id, and per category the counts of its criteria and warning changes.
    ``omitted`` counts, per field, the items a bounded diff left out."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    criteria_added: tuple[str, ...] = ()
    criteria_removed: tuple[str, ...] = ()
    criteria_changed: tuple[str, ...] = ()
    warnings_changed: tuple[str, ...] = ()  # added, removed or changed
    categories: tuple[CategoryChange, ...] = ()
    omitted: Mapping[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in _LISTS)

    def total(self, name: str) -> int:
        """How many items of field ``name`` changed, the omitted ones included."""
        return len(getattr(self, name)) + self.omitted.get(name, 0)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON (see :meth:`from_dict`)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KnowledgeDiff:
        """The diff :meth:`as_dict` gave (older records, with fewer fields, too)."""
        values: dict[str, Any] = {name: tuple(data.get(name) or ()) for name in _LISTS if name != "categories"}
        values["categories"] = tuple(
            CategoryChange(**item) for item in data.get("categories") or () if isinstance(item, dict)
        )
        omitted = data.get("omitted") or {}
        values["omitted"] = {str(k): int(v) for k, v in omitted.items() if isinstance(v, int)}
        return cls(**values)


def diff_bases(old: KnowledgeBase, new: KnowledgeBase) -> KnowledgeDiff:
    """Everything that changed from ``old`` to ``new`` (unbounded; see :func:`bounded`)."""
    old_entries = {e.id: e for e in old.entries}
    new_entries = {e.id: e for e in new.entries}
    added, removed, changed = _diff(old_entries, new_entries)
    tiers = tuple(
        line for key in new_entries if key in old_entries and (line := _standing(old_entries[key], new_entries[key]))
    )
    old_criteria = {c.id: c for c in old.criteria}
    new_criteria = {c.id: c for c in new.criteria}
    criteria = _diff(old_criteria, new_criteria)
    old_warnings = {w.id: w for w in old.warnings}
    new_warnings = {w.id: w for w in new.warnings}
    warnings = _diff(old_warnings, new_warnings)
    return KnowledgeDiff(
        added=tuple(_label(new_entries[i]) for i in added),
        removed=tuple(_label(old_entries[i]) for i in removed),
        changed=tuple(_label(new_entries[i]) for i in changed),
        tiers=tiers,
        criteria_added=criteria[0],
        criteria_removed=criteria[1],
        criteria_changed=criteria[2],
        warnings_changed=(*warnings[0], *warnings[1], *warnings[2]),
        categories=_per_category(old, new, criteria, warnings),
    )


def bounded(diff: KnowledgeDiff, limit: int = MAX_ITEMS, categories: int = MAX_CATEGORIES) -> KnowledgeDiff:
    """``diff`` with at most ``limit`` items per field (``categories`` categories), the
    left-out ones counted in ``omitted``."""
    cut: dict[str, Any] = {}
    omitted = dict(diff.omitted)
    for name in _LISTS:
        items = getattr(diff, name)
        keep = categories if name == "categories" else limit
        if len(items) > keep:
            cut[name] = items[:keep]
            omitted[name] = omitted.get(name, 0) + len(items) - keep
    return dataclasses.replace(diff, **cut, omitted=omitted) if cut else diff


def _diff(old: Mapping[str, T], new: Mapping[str, T]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Ids added, removed and changed (in the order of the base that has them)."""
    added = tuple(key for key in new if key not in old)
    removed = tuple(key for key in old if key not in new)
    changed = tuple(key for key in new if key in old and _content(old[key]) != _content(new[key]))
    return added, removed, changed


def _content(item: object) -> object:
    """What counts for a change: the item's content without its source (page URL and date)."""
    content = content_of(item)
    if isinstance(content, dict):
        content.pop("source", None)
    return content


def _label(entry: Entry) -> str:
    """An entry as a change names it: "Brave (desktop-browsers)" when the name is on several pages."""
    return f"{entry.name} ({entry.category})" if entry.also_on and entry.category else entry.name


def _standing(old: Entry, new: Entry) -> str:
    """"Name: recommended → additional" when the tier or the status changed, else ""."""
    before, after = _standing_of(old), _standing_of(new)
    return f"{_label(new)}: {before} → {after}" if before != after else ""


def _standing_of(entry: Entry) -> str:
    return f"{entry.tier}, {entry.status}" if entry.status and entry.status != entry.tier else entry.tier


def _per_category(
    old: KnowledgeBase,
    new: KnowledgeBase,
    criteria: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    warnings: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
) -> tuple[CategoryChange, ...]:
    """Per category (in page order), the counts of its changed criteria and warnings."""
    criterion_home = {c.id: c.category for c in (*old.criteria, *new.criteria)}
    warning_home = {w: c.path for c in (*old.categories, *new.categories) for w in c.warnings}
    counts: dict[str, dict[str, int]] = {}
    for kind, home, lists in (("criteria", criterion_home, criteria), ("warnings", warning_home, warnings)):
        for change, ids in zip(("added", "removed", "changed"), lists):
            for item in ids:
                category = home.get(item) or ""
                per = counts.setdefault(category, {})
                per[f"{kind}_{change}"] = per.get(f"{kind}_{change}", 0) + 1
    order: dict[str, int] = {}
    for category in (*new.categories, *old.categories):
        order.setdefault(category.path, len(order))
    ranked = sorted(counts, key=lambda path: (order.get(path, len(order)), path))
    return tuple(CategoryChange(path, **counts[path]) for path in ranked)
