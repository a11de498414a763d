"""Load a Privacy Guides site (a folder of markdown pages, or one such folder per language) as knowledge.

A folder of pages is a site whose page paths are the files' paths without ``.md`` (a folder's
``index.md`` is the folder's page). A folder whose subfolders are language codes, ``en`` among
them, is a multilingual site: English is the reference, and each translated page's cards,
criteria and warnings are aligned to the English ones by page and position, so that every entry
has its texts in every language. Entries get ids ``PAGE/NAME-SLUG``; the same product on several
pages is one entry per page, and those entries know each other (``Entry.also_on``).
"""

from __future__ import annotations

import dataclasses
import datetime
import posixpath
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .importer import PageImport, import_page
from .loading import ARCHIVE_FETCH_MAX_BYTES
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

SITE_URL = "https://www.privacyguides.org"
REFERENCE_LANG = "en"
MAX_PAGES = 1000  # markdown files per language
MAX_LANGS = 20
MAX_PAGE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 8  # folders below the docs root
# Archives (GitHub tarballs of privacyguides/privacyguides.org and privacyguides/i18n):
MAX_ARCHIVE_BYTES = ARCHIVE_FETCH_MAX_BYTES  # the .tar.gz file itself (knowledge.archive_max_mb)
MAX_MEMBERS = 50_000
MAX_UNPACKED_BYTES = 2 * 1024**3  # every member of one archive, unpacked, in total (tar bombs)
MAX_ARCHIVE_TEXT = 256 * 1024 * 1024  # markdown read out of one archive, in total
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")

#: Pages that are not recommendations: the site's own meta pages (their example cards), the
#: tools overview (a digest of the other pages' cards), about pages and the code of conduct.
SKIPPED = re.compile(r"^(?:meta|about)(?:/|$)|^tools$|^about$|^CODE_OF_CONDUCT$", re.I)
_LANG_DIR = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z]{2,4})?$")
_LANG_SUFFIX = re.compile(r"(.+)\.([a-z]{2,3}(?:[-_][A-Za-z]{2,4})?)\.md")
_CARD_MARK = ("admonition recommendation", "!!! recommendation")


@dataclass(frozen=True)
class SitePage:
    """A markdown page of one language: its page path, its text and where it came from."""

    path: str  # page path ("vpn", "android/distributions")
    file: str  # relative file path in the language's tree ("android/distributions.md")
    text: str
    origin: str  # for error messages: the file on disk or archive member


def page_path(relative: str) -> str:
    """``vpn.md`` gives ``vpn``; ``os/index.md`` gives ``os``; the root ``index.md`` gives ``""``."""
    stem = relative[: -len(".md")] if relative.endswith(".md") else relative
    if stem == "index" or stem.endswith("/index"):
        stem = stem[: -len("index")].rstrip("/")
    return stem


def is_site(path: Path) -> bool:
    """A directory with markdown pages and no YAML files directly in it, or with language folders."""
    if not path.is_dir() or any(path.glob("*.yaml")) or any(path.glob("*.yml")):
        return False
    return bool(language_dirs(path)) or any(path.glob("*.md"))


def language_dirs(path: Path) -> dict[str, Path]:
    """The language subfolders of a multilingual site (empty when there is no ``en`` among them)."""
    found = {d.name: d for d in sorted(path.iterdir()) if d.is_dir() and _LANG_DIR.match(d.name)}
    return found if REFERENCE_LANG in found else {}


def read_pages(root: Path) -> list[SitePage]:
    """The recommendation-page candidates under ``root``, bounded in count, depth and size."""
    pages: list[SitePage] = []
    files = sorted(p for p in root.rglob("*.md") if p.is_file())
    if len(files) > MAX_PAGES:
        raise KnowledgeError([Problem(str(root), 0, f"more than {MAX_PAGES} markdown pages")])
    for file in files:
        relative = file.relative_to(root).as_posix()
        if relative.count("/") > MAX_DEPTH or SKIPPED.match(page_path(relative)) or not page_path(relative):
            continue
        if file.stat().st_size > MAX_PAGE_BYTES:
            raise KnowledgeError([Problem(str(file), 0, f"larger than {MAX_PAGE_BYTES // 1024} KiB")])
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise KnowledgeError([Problem(str(file), 0, f"cannot read: {exc}")]) from exc
        pages.append(SitePage(page_path(relative), relative, text, str(file)))
    return pages


def load_site(path: Path) -> KnowledgeBase:
    """A site folder (one language or several) as one base; raises only KnowledgeError."""
    langs = language_dirs(path)
    if len(langs) > MAX_LANGS:
        raise KnowledgeError([Problem(str(path), 0, f"more than {MAX_LANGS} language folders")])
    if langs:
        trees = {lang: read_pages(folder) for lang, folder in langs.items()}
    else:
        lang = path.name if _LANG_DIR.match(path.name) else REFERENCE_LANG
        trees = {lang: read_pages(path)}
    return build_site(trees, dates=snapshot_dates(path), origin=str(path))


def read_archive(
    path: Path, name: str | None = None, max_bytes: int = MAX_ARCHIVE_BYTES
) -> tuple[dict[str, list[SitePage]], dict[str, str]]:
    """The pages of a GitHub tarball of the site's repositories, per language, and the
    archive's date per language (its newest member: GitHub stamps members with the commit
    time). ``ROOT/docs/…`` is English (privacyguides.org), ``ROOT/i18n/LANG/…`` are the
    translations (privacyguides/i18n). Nothing is extracted to disk; members with absolute or
    ``..`` paths and devices are refused, links (never followed) and other non-files skipped,
    and everything is bounded: the file (``max_bytes``), its member count, each page and the
    unpacked total. ``name`` (default: the path) is what errors call the archive."""
    name = str(path) if name is None else name
    try:
        if path.stat().st_size > max_bytes:
            raise KnowledgeError([Problem(name, 0, f"archive larger than {max_bytes // 2**20} MiB")])
        with tarfile.open(path, "r:gz") as archive:
            return _archive_pages(archive, name)
    except KnowledgeError:
        raise
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise KnowledgeError([Problem(name, 0, f"cannot read the archive: {exc}")]) from exc


def _archive_pages(archive: tarfile.TarFile, name: str) -> tuple[dict[str, list[SitePage]], dict[str, str]]:
    trees: dict[str, list[SitePage]] = {}
    newest: dict[str, float] = {}
    members = total = unpacked = 0
    for member in archive:
        members += 1
        if members > MAX_MEMBERS:
            raise KnowledgeError([Problem(name, 0, f"more than {MAX_MEMBERS} archive members")])
        parts = member.name.split("/")
        if member.name.startswith("/") or ".." in parts or "\\" in member.name:
            raise KnowledgeError([Problem(name, 0, f"unsafe member path: {member.name[:200]}")])
        if member.ischr() or member.isblk() or member.isfifo():
            raise KnowledgeError([Problem(name, 0, f"device or FIFO member: {member.name[:200]}")])
        unpacked += max(member.size, 0)
        if unpacked > MAX_UNPACKED_BYTES:
            raise KnowledgeError(
                [Problem(name, 0, f"unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MiB (a tar bomb?)")]
            )
        located = _archive_location(parts)
        if located is None or not member.isfile() or not member.name.endswith(".md"):
            continue
        lang, relative = located
        path = page_path(relative)
        if not path or relative.count("/") > MAX_DEPTH or SKIPPED.match(path):
            continue
        if member.size > MAX_PAGE_BYTES:
            raise KnowledgeError([Problem(f"{name}:{member.name}", 0, f"larger than {MAX_PAGE_BYTES // 1024} KiB")])
        total += member.size
        if total > MAX_ARCHIVE_TEXT or len(trees.get(lang, ())) >= MAX_PAGES:
            raise KnowledgeError([Problem(name, 0, "too much markdown in the archive")])
        data = archive.extractfile(member)
        if data is None:
            continue
        try:
            text = data.read(MAX_PAGE_BYTES + 1).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise KnowledgeError([Problem(f"{name}:{member.name}", 0, f"not UTF-8 text: {exc}")]) from exc
        trees.setdefault(lang, []).append(SitePage(path, relative, text, f"{name}:{member.name}"))
        newest[lang] = max(newest.get(lang, 0.0), float(member.mtime))
    if not trees:
        raise KnowledgeError([Problem(name, 0, "no site pages (ROOT/docs/ or ROOT/i18n/LANG/) in the archive")])
    dates = {
        lang: datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).strftime("%Y-%m-%d")
        for lang, stamp in newest.items()
        if stamp > 0
    }
    for pages in trees.values():
        pages.sort(key=lambda page: page.file)
    return trees, dates


def _archive_location(parts: list[str]) -> tuple[str, str] | None:
    """(language, path under its docs root) of a member ``ROOT/docs/…`` or ``ROOT/i18n/LANG/…``.
    Only the languages the site publishes (SITE_LANGS) count: privacyguides/i18n also holds
    translations in progress (``ar``, ``bn-IN``, …) that have no published pages to link to."""
    if len(parts) >= 3 and parts[1] == "docs":
        suffixed = _LANG_SUFFIX.fullmatch(parts[-1])  # older trees: page.fr.md beside page.md
        if suffixed and suffixed.group(2) != REFERENCE_LANG:
            return None  # translations come from privacyguides/i18n
        name = f"{suffixed.group(1)}.md" if suffixed else parts[-1]
        return REFERENCE_LANG, "/".join([*parts[2:-1], name])
    if len(parts) >= 4 and parts[1] == "i18n" and parts[2] in SITE_LANGS and parts[2] != REFERENCE_LANG:
        return parts[2], "/".join(parts[3:])
    return None


def load_archives(
    paths: list[Path], names: list[str] | None = None, max_bytes: int = MAX_ARCHIVE_BYTES
) -> KnowledgeBase:
    """One site from GitHub tarballs: the English one and, optionally, the translations' one
    (``names``: what errors call each archive, default its path)."""
    names = names or [str(path) for path in paths]
    trees: dict[str, list[SitePage]] = {}
    dates: dict[str, str] = {}
    for path, name in zip(paths, names):
        found, found_dates = read_archive(path, name, max_bytes)
        for lang, pages in found.items():
            if lang in trees:
                raise KnowledgeError([Problem(name, 0, f"language '{lang}' is in more than one archive")])
            trees[lang] = pages
        dates.update(found_dates)
    return build_site(trees, dates=dates, origin=", ".join(names))


def snapshot_dates(path: Path) -> dict[str, str]:
    """Snapshot date per language from the site's README (``- `en/`: … (2026-03-11)``): the
    date of pages that carry none themselves. Key ``""`` holds the first date for the rest."""
    readme = next((p for p in (path / "README.md", path / "README") if p.is_file()), None)
    if readme is None or readme.stat().st_size > MAX_PAGE_BYTES:
        return {}
    text = readme.read_text(encoding="utf-8", errors="replace")
    return dates_in_readme(text)


def dates_in_readme(text: str) -> dict[str, str]:
    dates: dict[str, str] = {}
    for item in re.split(r"\n(?=- )", text):
        date = re.search(r"\b(\d{4}-\d{2}-\d{2})\b", item)
        if not date:
            continue
        dates.setdefault("", date.group(1))
        for names in re.findall(r"`([^`]{1,200})`", item.split(":", 1)[0]):
            for name in names.replace("/", " ").split():
                if _LANG_DIR.match(name):
                    dates.setdefault(name, date.group(1))
    return dates


def page_url(lang: str, path: str) -> str:
    return f"{SITE_URL}/{lang}/{path}/" if path else f"{SITE_URL}/{lang}/"


def link_resolver(lang: str, file: str) -> Callable[[str], str]:
    """Resolves a relative link target of ``file`` (docs-relative) against the published site."""
    here = page_url(lang, page_path(file))

    def resolve(target: str) -> str:
        target_path, _, fragment = target.partition("#")
        anchor = f"#{fragment}" if fragment else ""
        if not target_path:
            return here + anchor
        if target_path.startswith("/"):
            return f"{SITE_URL}{target_path}{anchor}"
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(file), target_path))
        if joined.startswith("..") or joined.startswith("/"):
            return ""  # outside the docs: not a link we can place
        if joined.endswith(".md"):
            return page_url(lang, page_path(joined)) + anchor
        return f"{SITE_URL}/{lang}/{joined}{anchor}" if joined != "." else here + anchor

    return resolve


def build_site(trees: dict[str, list[SitePage]], *, dates: dict[str, str], origin: str) -> KnowledgeBase:
    """Import every English page with cards and align the translations to it."""
    if REFERENCE_LANG not in trees:
        raise KnowledgeError([Problem(origin, 0, f"a multilingual site needs an '{REFERENCE_LANG}' folder")])
    problems: list[Problem] = []
    translated = {lang: {p.path: p for p in pages} for lang, pages in trees.items() if lang != REFERENCE_LANG}
    parts: list[tuple[Category, KnowledgeBase]] = []
    for page in trees[REFERENCE_LANG]:
        if not any(mark in page.text for mark in _CARD_MARK):
            continue  # not a recommendation page: no cards to read
        try:
            english = _import(page, REFERENCE_LANG, dates, None)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
            continue
        if not english.kb.entries:
            continue
        others: dict[str, PageImport] = {}
        for lang, pages in translated.items():
            twin = pages.get(page.path)
            if twin is None:
                continue
            try:
                others[lang] = _import(twin, lang, dates, english.criteria_heading)
            except KnowledgeError as exc:
                problems.extend(exc.problems)
        parts.append(_aligned(page.path, english, others))
    if problems:
        raise KnowledgeError(problems)
    if not parts:
        raise KnowledgeError([Problem(origin, 0, "no page of this site has recommendation cards")])
    return _linked(parts)


def _import(page: SitePage, lang: str, dates: dict[str, str], criteria_at: int | None) -> PageImport:
    return import_page(
        page.text,
        file=page.origin,
        url=page_url(lang, page.path),
        lang=lang,
        date="",
        page=page.path,
        criteria_at=criteria_at,
        resolve=link_resolver(lang, page.file),
        require_cards=False,
        fallback_date=dates.get(lang) or dates.get("", ""),
    )


def _merge_text(*texts: Text) -> Text:
    merged: dict[str, str] = {}
    for text in texts:
        merged.update({lang: value for lang, value in text.by_lang.items() if value})
    return Text(merged)


def _aligned(path: str, english: PageImport, others: dict[str, PageImport]) -> tuple[Category, KnowledgeBase]:
    """The English page with each translation's texts added where its parts line up."""
    kb = english.kb
    entries, criteria, warnings = list(kb.entries), list(kb.criteria), list(kb.warnings)
    titles, intros = {REFERENCE_LANG: english.title}, {REFERENCE_LANG: english.intro}
    sources = [kb.sources[0]]
    for lang, other in others.items():
        titles[lang], intros[lang] = other.title, other.intro
        sources.append(other.kb.sources[0])
        entries = [_entry_with(e, t) for e, t in _pairs(entries, list(other.kb.entries))]
        criteria = [
            dataclasses.replace(c, text=_merge_text(c.text, t.text), group=_merge_text(c.group, t.group))
            if t
            else c
            for c, t in _criterion_pairs(criteria, list(other.kb.criteria))
        ]
        warnings = [
            dataclasses.replace(w, text=_merge_text(w.text, t.text)) if t else w
            for w, t in _pairs(warnings, list(other.kb.warnings))
        ]
    category = Category(
        path=path,
        title=Text({k: v for k, v in titles.items() if v}),
        intro=Text({k: v for k, v in intros.items() if v}),
        criteria=tuple(c.id for c in criteria),
        warnings=tuple(w.id for w in warnings),
        date=kb.sources[0].date,
        sources=tuple(sources),
    )
    return category, KnowledgeBase(tuple(entries), tuple(criteria), tuple(warnings), tuple(sources))


def _pairs(english: list, other: list) -> list[tuple]:
    """English items with their translations: by position when the counts agree, else by id
    (cards keep their product names across languages), else none."""
    if len(english) == len(other):
        return list(zip(english, other))
    by_id = {item.id: item for item in other}
    return [(item, by_id.get(item.id)) for item in english]


def _criterion_pairs(english: list[Criterion], other: list[Criterion]) -> list[tuple]:
    """Criteria with their translations: all by position when the counts agree, else each level
    (minimum, best) by position where that level's counts agree (a translation that lags behind
    may lack the best-case list)."""
    if len(english) == len(other):
        return list(zip(english, other))
    found: dict[str, Criterion] = {}
    for level in ("minimum", "best"):
        mine = [c for c in english if c.level == level]
        theirs = [c for c in other if c.level == level]
        if len(mine) == len(theirs):
            found.update({c.id: t for c, t in zip(mine, theirs)})
    return [(c, found.get(c.id)) for c in english]


def _entry_with(entry: Entry, other: Entry | None) -> Entry:
    if other is None:
        return entry
    caveats = entry.caveats
    if len(other.caveats) == len(caveats):
        caveats = tuple(_merge_text(c, t) for c, t in zip(caveats, other.caveats))
    return dataclasses.replace(
        entry,
        summary=_merge_text(entry.summary, other.summary),
        description=_merge_text(entry.description, other.description),
        details=_merge_text(entry.details, other.details),
        caveats=caveats,
    )


def _linked(parts: list[tuple[Category, KnowledgeBase]]) -> KnowledgeBase:
    """One base of all pages: the same product on several pages knows its twins, and the bare
    name slug is an alias where only one page has that product."""
    entries = [e for _, kb in parts for e in kb.entries]
    by_slug: dict[str, list[Entry]] = {}
    for entry in entries:
        by_slug.setdefault(entry.id.rsplit("/", 1)[-1], []).append(entry)
    owners: dict[str, set[str]] = {}  # name or alias -> entry ids
    for entry in entries:
        for name in (entry.name, *entry.aliases):
            owners.setdefault(name.casefold(), set()).add(entry.id)
    linked: list[Entry] = []
    for entry in entries:
        slug = entry.id.rsplit("/", 1)[-1]
        twins = tuple(e.id for e in by_slug[slug] if e.id != entry.id)
        # an alias shared with another product is no alias: it would name either one
        aliases = [a for a in entry.aliases if owners[a.casefold()] <= {entry.id, *twins}]
        if not twins and len(owners.get(slug, ())) <= 1 and slug.casefold() != entry.name.casefold():
            aliases.append(slug)
        linked.append(dataclasses.replace(entry, also_on=twins, aliases=tuple(dict.fromkeys(aliases))))
    criteria: list[Criterion] = [c for _, kb in parts for c in kb.criteria]
    warnings: list[PageWarning] = [w for _, kb in parts for w in kb.warnings]
    sources: list[Source] = [s for _, kb in parts for s in kb.sources]
    return KnowledgeBase(
        entries=tuple(linked),
        criteria=tuple(criteria),
        warnings=tuple(warnings),
        sources=tuple(sources),
        categories=tuple(category for category, _ in parts),
    )
