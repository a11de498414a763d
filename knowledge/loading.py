"""Load a knowledge base from sources: the bundled pack, YAML, Privacy Guides markdown, URLs.

``load_sources`` is all-or-nothing: it either returns a complete, cross-checked base or raises
KnowledgeError with every problem (file and line). Callers that hold a live base keep it when
this raises, which is what makes a failed refresh harmless.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path

from .model import (
    SITE_LANGS,
    Category,
    Criterion,
    Entry,
    KnowledgeBase,
    KnowledgeError,
    PageWarning,
    Problem,
    Source,
    Text,
)

BUNDLED = "bundled"
BUNDLED_DIR = Path(__file__).parent / "data"
MARKDOWN_SUFFIXES = (".md", ".markdown")
YAML_SUFFIXES = (".yaml", ".yml")

# Limits for sources fetched over http(s): a moderator's typo must not hang or flood the bot.
FETCH_TIMEOUT = 15.0
FETCH_MAX_BYTES = 2 * 1024 * 1024


def is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme.lower() in ("http", "https")


def fetch_text(url: str, *, timeout: float = FETCH_TIMEOUT, max_bytes: int = FETCH_MAX_BYTES) -> str:
    """Fetch a knowledge source over http(s) only, with a time and size limit."""
    if not is_url(url):
        raise KnowledgeError([Problem(url, 0, "only http and https URLs can be fetched")])
    request = urllib.request.Request(url, headers={"User-Agent": "recbot (knowledge refresh)"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked
            final = response.geturl()
            if not is_url(final):
                raise KnowledgeError([Problem(url, 0, f"redirected to a non-http URL: {final}")])
            data = response.read(max_bytes + 1)
    except KnowledgeError:
        raise
    except Exception as exc:  # network errors come in many types; all mean "unreadable"
        raise KnowledgeError([Problem(url, 0, f"cannot fetch: {exc}")]) from exc
    if len(data) > max_bytes:
        raise KnowledgeError([Problem(url, 0, f"larger than {max_bytes // 1024} KiB")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KnowledgeError([Problem(url, 0, f"not UTF-8 text: {exc}")]) from exc


def lang_of_location(location: str) -> str | None:
    """A page's language from where it lives: a ``/ru/`` folder or URL segment, or a
    ``page.nl.md`` suffix; None (detect it from the text) when neither tells."""
    parts = location.replace("\\", "/").split("/")
    suffix = parts[-1].rsplit(".", 2)
    if len(suffix) == 3 and suffix[1] in SITE_LANGS:
        return suffix[1]
    return next((part for part in reversed(parts[:-1]) if part in SITE_LANGS), None)


def load_source(source: str) -> KnowledgeBase:
    """Load one source: ``bundled``, a YAML file or directory, a markdown file, a site folder
    (markdown pages, or one folder of them per language; see knowledge/site.py), a GitHub
    tarball of the site (``.tar.gz``), or a URL."""
    from .importer import import_markdown  # imported here: most runs only read YAML
    from .site import is_archive, is_site, load_archives, load_site
    from .yaml_loader import load_yaml

    if source == BUNDLED:
        return load_yaml(BUNDLED_DIR)
    if is_url(source):
        text = fetch_text(source)
        path = urllib.parse.urlsplit(source).path.lower()
        if path.endswith(YAML_SUFFIXES):
            raise KnowledgeError([Problem(source, 0, "YAML over http is not supported; use markdown pages")])
        return import_markdown(text, file=source, url=source, lang=lang_of_location(urllib.parse.urlsplit(source).path))
    path = Path(source)
    if not path.exists():
        raise KnowledgeError([Problem(source, 0, "no such file or directory")])
    if is_archive(source):
        return load_archives([path])
    if path.is_dir() and is_site(path):
        return load_site(path)
    if path.is_dir() or path.suffix.lower() in YAML_SUFFIXES:
        return load_yaml(path)
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise KnowledgeError([Problem(source, 0, f"cannot read: {exc}")]) from exc
        return import_markdown(text, file=source, lang=lang_of_location(str(path)))
    expected = "expected .yaml, .md, .tar.gz, a directory or a URL"
    raise KnowledgeError([Problem(source, 0, f"unknown kind of source ({expected})")])


def load_sources(sources: Sequence[str] = ()) -> KnowledgeBase:
    """Load and merge sources (none: the bundled pack) into one validated base."""
    from .site import is_archive, load_archives

    sources = list(sources) or [BUNDLED]
    problems: list[Problem] = []
    parts: list[KnowledgeBase] = []
    archives = [s for s in sources if is_archive(s) and not is_url(s)]
    if archives:  # the site's tarballs (English, translations) make one site together
        try:
            parts.append(load_archives([Path(a) for a in archives]))
        except KnowledgeError as exc:
            problems.extend(exc.problems)
    for source in (s for s in sources if s not in archives):
        try:
            part = load_source(source)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
            continue
        if not part.entries:
            problems.append(Problem(source, 0, "yields no entries"))
        parts.append(part)
    if problems:
        raise KnowledgeError(problems)
    kb = merge(parts)
    validate(kb)
    return kb


def merge(parts: Iterable[KnowledgeBase]) -> KnowledgeBase:
    entries: list[Entry] = []
    criteria: dict[str, Criterion] = {}
    warnings = []
    sources: dict[Source, None] = {}
    categories: dict[str, Category] = {}
    for part in parts:
        entries.extend(part.entries)
        for criterion in part.criteria:
            criteria.setdefault(criterion.id, criterion)
        warnings.extend(part.warnings)
        sources.update(dict.fromkeys(part.sources))
        for category in part.categories:
            have = categories.get(category.path)
            categories[category.path] = category if have is None else _merged_category(have, category)
    entries, warnings = _fold_curated(entries, warnings)
    return KnowledgeBase(
        tuple(_link_twins(entries)),
        tuple(criteria.values()),
        tuple(warnings),
        tuple(sources),
        tuple(categories.values()),
    )


def _merged_category(first: Category, other: Category) -> Category:
    """The same page from two sources (the curated pack, then the site): the first one's texts
    win per language and its criteria, if it has any, stand for the page (curated criteria
    carry their later changes); warnings and sources of both."""
    return dataclasses.replace(
        first,
        title=Text({**other.title.by_lang, **first.title.by_lang}),
        intro=Text({**other.intro.by_lang, **first.intro.by_lang}),
        criteria=first.criteria or other.criteria,
        warnings=tuple(dict.fromkeys((*first.warnings, *other.warnings))),
        date=first.date or other.date,
        sources=tuple(dict.fromkeys((*first.sources, *other.sources))),
    )


def _names_of(entry: Entry) -> set[str]:
    return {name.casefold().strip() for name in (entry.name, *entry.aliases)}


def _fold_curated(entries: list[Entry], warnings: list[PageWarning]) -> tuple[list[Entry], list[PageWarning]]:
    """A curated entry and a site card of the same product (same category, a name in common) are
    one entry: the curated id, facts and texts win, the card's id becomes an alias and the card
    fills what the curated entry lacks (links, downloads, texts in more languages)."""
    curated = [e for e in entries if "/" not in e.id and e.category]
    if not curated:
        return entries, warnings
    renamed: dict[str, str] = {}
    folded: dict[str, Entry] = {e.id: e for e in curated}
    for card in (e for e in entries if "/" in e.id):
        mine = next(
            (c for c in curated if c.category == card.category and _names_of(c) & _names_of(card)), None
        )
        if mine is None or mine.id in renamed.values():
            continue
        renamed[card.id] = mine.id
        base = folded[mine.id]
        extra = [card.id, card.name, *card.aliases]
        folded[mine.id] = dataclasses.replace(
            base,
            aliases=tuple(dict.fromkeys(a for a in (*base.aliases, *extra) if a.casefold() != base.name.casefold())),
            summary=Text({**card.summary.by_lang, **base.summary.by_lang}),
            description=Text({**card.description.by_lang, **base.description.by_lang}),
            links=base.links or card.links,
            downloads=base.downloads or card.downloads,
            caveats=base.caveats or card.caveats,
            warnings=tuple(dict.fromkeys((*base.warnings, *card.warnings))),
            also_on=tuple(dict.fromkeys((*base.also_on, *card.also_on))),
        )
    if not renamed:
        return entries, warnings
    result = []
    for entry in entries:
        if entry.id in renamed:
            continue
        entry = folded.get(entry.id, entry)
        also = tuple(dict.fromkeys(renamed.get(i, i) for i in entry.also_on if renamed.get(i, i) != entry.id))
        result.append(dataclasses.replace(entry, also_on=also))
    moved = [dataclasses.replace(w, applies_to=tuple(renamed.get(i, i) for i in w.applies_to)) for w in warnings]
    return result, moved


def _link_twins(entries: list[Entry]) -> list[Entry]:
    """Entries of different categories with the same name are the same product on two pages."""
    by_name: dict[str, list[Entry]] = {}
    for entry in entries:
        by_name.setdefault(entry.name.casefold().strip(), []).append(entry)
    result = []
    for entry in entries:
        twins = [e.id for e in by_name[entry.name.casefold().strip()] if e.category != entry.category]
        if twins and entry.category:
            entry = dataclasses.replace(entry, also_on=tuple(dict.fromkeys((*entry.also_on, *twins))))
        result.append(entry)
    return result


def validate(kb: KnowledgeBase) -> None:
    """Cross-checks that no single file can make: ids, aliases and references."""
    problems: list[Problem] = []

    def report(entry_source, message: str) -> None:
        problems.append(Problem(entry_source.file if entry_source else "", entry_source.line if entry_source else 0, message))

    seen_ids: dict[str, Entry] = {}
    seen_names: dict[str, Entry] = {}
    for entry in kb.entries:
        if entry.id in seen_ids:
            other = seen_ids[entry.id].source
            report(entry.source, f"duplicate entry id '{entry.id}' (also at {other.file}:{other.line})")
            continue
        seen_ids[entry.id] = entry
        for name in (entry.name, *entry.aliases):  # twins on other pages (also_on) share names
            key = name.casefold().strip()
            owner = seen_names.get(key)
            if owner is not None and owner.id != entry.id and owner.id not in entry.also_on:
                report(entry.source, f"name or alias '{name}' of '{entry.id}' is already used by '{owner.id}'")
            seen_names.setdefault(key, entry)

    criterion_ids = {c.id for c in kb.criteria}
    seen_criteria: set[str] = set()
    for criterion in kb.criteria:
        if criterion.id in seen_criteria:
            report(criterion.source, f"duplicate criterion id '{criterion.id}'")
        seen_criteria.add(criterion.id)
    warning_ids = {w.id for w in kb.warnings}
    for warning in kb.warnings:
        for entry_id in warning.applies_to:
            if entry_id not in seen_ids:
                report(warning.source, f"warning '{warning.id}' applies to unknown entry '{entry_id}'")
    for entry in kb.entries:
        for criterion_id in (*entry.meets, *entry.misses):
            if criterion_id not in criterion_ids:
                report(entry.source, f"'{entry.id}' refers to unknown criterion '{criterion_id}'")
        both = set(entry.meets) & set(entry.misses)
        if both:
            report(entry.source, f"'{entry.id}' both meets and misses {', '.join(sorted(both))}")
        for warning_id in entry.warnings:
            if warning_id not in warning_ids:
                report(entry.source, f"'{entry.id}' refers to unknown warning '{warning_id}'")
        if entry.client_of and entry.client_of not in seen_ids:
            report(entry.source, f"'{entry.id}' is a client of unknown entry '{entry.client_of}'")
    if not kb.entries:
        problems.append(Problem("", 0, "the knowledge base has no entries"))
    if problems:
        raise KnowledgeError(problems)
