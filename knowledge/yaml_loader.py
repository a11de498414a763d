"""Load curated knowledge from YAML, with every error located by file and line.

A YAML file holds a mapping. Either it is one entry (it has an ``id``), or it carries any of
``source`` (the page its entries describe, the default for entries of its directory),
``criteria``, ``warnings``, ``entries`` (a list of entries) and ``order`` (entry ids in the
order replies list them). Unknown keys are errors, so a
typo never silently drops a fact. The format is documented in README.md ("Knowledge format").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from .model import (
    CRITERION_LEVELS,
    FORWARD_SECRECY,
    IDENTIFIERS,
    LANGS,
    LINK_KINDS,
    METADATA,
    NETWORKS,
    PLATFORMS,
    ROUTING,
    STATUSES,
    TIERS,
    Audit,
    Calls,
    Category,
    Criterion,
    Download,
    Encryption,
    Entry,
    Evidence,
    Facts,
    Identifiers,
    KnowledgeBase,
    KnowledgeError,
    Link,
    Offline,
    OpenSource,
    PageWarning,
    Problem,
    Protocol,
    Source,
    Text,
    Update,
    page_of_url,
)
from .yaml_safe import BoundedLoader, YamlError, load_bounded


class _Map(dict):
    """A mapping that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class _List(list):
    line: int = 0


class _LineLoader(BoundedLoader):
    """The bounded SafeLoader, recording line numbers; YAML 1.1 yes/no stay booleans as usual."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    result = _Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise yaml.MarkedYAMLError(problem=f"unsupported key {key!r}", problem_mark=key_node.start_mark)
        key = str(key)
        if key in result:
            raise yaml.MarkedYAMLError(problem=f"duplicate key '{key}'", problem_mark=key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _List:
    result = _List(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class _Invalid(Exception):
    """Internal: one problem in one value; collected into a Problem list."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _Reader:
    """Typed accessors over one YAML mapping that raise _Invalid with the right line."""

    def __init__(self, data: Any, path: str, line: int):
        if not isinstance(data, dict):
            raise _Invalid(line, f"{path}: expected a mapping, got {_kind(data)}")
        self.data = data
        self.path = path
        self.line = getattr(data, "line", line)
        self.used: set[str] = set()

    def line_of(self, key: str) -> int:
        return getattr(self.data, "key_lines", {}).get(key, self.line)

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str, required: bool = False) -> Any:
        self.used.add(key)
        value = self.data.get(key)
        if value is None and required:
            raise _Invalid(self.line, f"{self.where(key)}: required field is missing")
        return value

    def str(self, key: str, required: bool = False, default: str = "", choices: Iterable[str] = ()) -> str:
        value = self.raw(key, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise _Invalid(self.line_of(key), f"{self.where(key)}: expected text, got {_kind(value)}")
        text = str(value).strip()
        if required and not text:
            raise _Invalid(self.line_of(key), f"{self.where(key)}: must not be empty")
        choices = tuple(choices)
        if choices and text not in choices:
            raise _Invalid(
                self.line_of(key), f"{self.where(key)}: '{text}' is not one of {', '.join(choices)}"
            )
        return text

    def date(self, key: str, required: bool = False) -> str:
        value = self.raw(key, required)
        if value is None:
            return ""
        text = str(value).strip()
        parts = text.split("-")
        if not (1 <= len(parts) <= 3 and all(p.isdigit() and len(p) <= 4 for p in parts) and len(parts[0]) == 4):
            raise _Invalid(self.line_of(key), f"{self.where(key)}: '{text}' is not a date like 2024-02")
        if not _real_date([int(p) for p in parts]):
            raise _Invalid(self.line_of(key), f"{self.where(key)}: '{text}' is not a real date")
        return text

    def int(self, key: str, required: bool = False) -> int | None:
        value = self.raw(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(self.line_of(key), f"{self.where(key)}: expected a whole number, got {_kind(value)}")
        return value

    def bool(self, key: str) -> bool | None:
        value = self.raw(key)
        if value is None or value == "unknown":
            return None
        if not isinstance(value, bool):
            raise _Invalid(self.line_of(key), f"{self.where(key)}: expected true, false or unknown")
        return value

    def list(self, key: str, required: bool = False) -> list[Any] | None:
        value = self.raw(key, required)
        if value is None:
            return None
        if not isinstance(value, list):
            raise _Invalid(self.line_of(key), f"{self.where(key)}: expected a list, got {_kind(value)}")
        return value

    def words(self, key: str, choices: Iterable[str] = (), default: tuple[str, ...] | None = ()) -> Any:
        """A list of short words, each from ``choices`` when given."""
        items = self.list(key)
        if items is None:
            return default
        choices = tuple(choices)
        out: list[str] = []
        for item in items:
            if not isinstance(item, (str, int)) or isinstance(item, bool):
                raise _Invalid(self.line_of(key), f"{self.where(key)}: expected a list of words")
            word = str(item).strip()
            if choices and word not in choices:
                raise _Invalid(
                    self.line_of(key), f"{self.where(key)}: '{word}' is not one of {', '.join(choices)}"
                )
            out.append(word)
        return tuple(out)

    def text(self, key: str, required: bool = False, langs: Iterable[str] = LANGS) -> Text:
        value = self.raw(key, required)
        if value is None:
            return Text()
        return _text(value, self.where(key), self.line_of(key), tuple(langs))

    def sub(self, key: str) -> _Reader:
        value = self.raw(key)
        return _Reader({} if value is None else value, self.where(key), self.line_of(key))

    def items(self, key: str, required: bool = False) -> list[_Reader]:
        items = self.list(key, required) or []
        return [_Reader(item, f"{self.where(key)}[{i}]", self.line_of(key)) for i, item in enumerate(items)]

    def finish(self) -> None:
        """Reject keys nobody read: a typo must not silently drop a fact."""
        unknown = [k for k in self.data if k not in self.used]
        if unknown:
            key = unknown[0]
            raise _Invalid(self.line_of(key), f"{self.where(key)}: unknown field")


def _real_date(parts: list[int]) -> bool:
    """Whether year[-month[-day]] names a day that exists."""
    import datetime

    year, month, day = (*parts, 1, 1)[:3]
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return type(value).__name__


def _text(value: Any, where: str, line: int, langs: tuple[str, ...]) -> Text:
    """``{nl: ..., en: ...}``; every language in ``langs`` is required."""
    if not isinstance(value, dict):
        raise _Invalid(line, f"{where}: expected texts per language ({', '.join(langs)}), got {_kind(value)}")
    line = getattr(value, "line", line)
    for lang in langs:
        if not str(value.get(lang) or "").strip():
            raise _Invalid(line, f"{where}: missing language '{lang}'")
    for lang, text in value.items():
        if not (isinstance(lang, str) and len(lang) in (2, 5)):
            raise _Invalid(line, f"{where}: '{lang}' is not a language code")
        if not isinstance(text, str):
            raise _Invalid(line, f"{where}.{lang}: expected text, got {_kind(text)}")
    return Text({lang: " ".join(text.split()) for lang, text in value.items()})


def _checked(read: Callable[[_Reader], Any], reader: _Reader) -> Any:
    value = read(reader)
    reader.finish()
    return value


# --- the parts of the format ---------------------------------------------------------------


def _source(r: _Reader, file: str) -> Source:
    return Source(
        page=r.str("page", required=True),
        url=r.str("url", required=True),
        lang=r.str("lang", required=True),
        date=r.date("date", required=True),
        file=file,
        line=r.line,
    )


def _facts(r: _Reader) -> Facts:
    e = r.sub("e2ee")
    e2ee = _checked(lambda e: Encryption(e.bool("default"), e.bool("all_messages"), e.bool("calls")), e)
    i = r.sub("identifiers")
    identifiers = _checked(
        lambda i: Identifiers(i.words("signup", IDENTIFIERS, None), i.words("shared", IDENTIFIERS, None)), i
    )
    o = r.sub("offline")
    offline = _checked(lambda o: Offline(o.bool("wifi"), o.bool("bluetooth"), o.bool("mesh")), o)
    c = r.sub("calls")
    calls = _checked(
        lambda c: Calls(
            c.bool("voice"), c.bool("video"), c.bool("group"), c.bool("encrypted"), c.bool("group_encrypted")
        ),
        c,
    )
    s = r.sub("open_source")
    open_source = _checked(lambda s: OpenSource(s.bool("client"), s.bool("server")), s)
    p = r.sub("protocol")
    protocol = _checked(lambda p: Protocol(p.str("name"), p.str("spec_url")), p)
    audits = tuple(
        _checked(
            lambda a: Audit(
                year=a.int("year", required=True) or 0,
                month=a.int("month"),
                by=a.str("by"),
                scope=a.text("scope"),
                url=a.str("url"),
            ),
            a,
        )
        for a in r.items("audits")
    )
    fs = r.raw("forward_secrecy")
    if isinstance(fs, bool):  # YAML 1.1 reads a bare yes/no as a boolean
        fs = "yes" if fs else "no"
    if fs is not None and fs not in FORWARD_SECRECY:
        raise _Invalid(r.line_of("forward_secrecy"), f"{r.where('forward_secrecy')}: '{fs}' is not one of {', '.join(FORWARD_SECRECY)}")
    return Facts(
        e2ee=e2ee,
        forward_secrecy=fs,
        network=r.str("network", choices=NETWORKS) or None,
        anonymous_routing=r.words("anonymous_routing", ROUTING, None),
        identifiers=identifiers,
        offline=offline,
        calls=calls,
        group_limit=r.int("group_limit"),
        group_limit_note=r.text("group_limit_note"),
        platforms=r.words("platforms", PLATFORMS),
        metadata=r.words("metadata", METADATA),
        data_transfer=r.bool("data_transfer"),
        open_source=open_source,
        audits=audits,
        protocol=protocol,
    )


def _entry(r: _Reader, file: str, default_source: Source | None) -> Entry:
    if r.has("source"):
        source = _checked(lambda s: _source(s, file), r.sub("source"))
    elif default_source is not None:
        source = default_source
    else:
        raise _Invalid(r.line, f"{r.path or 'entry'}: no source (give `source:` here or in a page file)")
    source = Source(source.page, source.url, source.lang, source.date, file, r.line)
    entry_id = r.str("id", required=True)
    if not entry_id.replace("_", "").replace("-", "").isalnum() or entry_id != entry_id.lower():
        raise _Invalid(r.line_of("id"), f"{r.where('id')}: '{entry_id}' must be lowercase letters, digits, - or _")
    links = tuple(
        _checked(lambda link: Link(link.str("kind", True, choices=LINK_KINDS), link.str("url", True), link.str("title")), link)
        for link in r.items("links")
    )
    downloads = tuple(
        _checked(
            lambda d: Download(d.str("channel", True), d.str("platform", choices=("", *PLATFORMS)), d.str("url", True)), d
        )
        for d in r.items("downloads")
    )
    caveat_list = r.list("caveats") or []
    caveats = tuple(_text(c, f"{r.where('caveats')}[{n}]", r.line_of("caveats"), LANGS) for n, c in enumerate(caveat_list))
    updates = tuple(
        _checked(lambda u: Update(u.date("date", True), u.text("text", True), u.str("url")), u) for u in r.items("updates")
    )
    f = r.sub("facts")
    facts = _checked(_facts, f)
    evidence = tuple(_checked(_evidence, e) for e in r.items("evidence"))
    status = r.str("status", choices=STATUSES)
    if status == "not_listed":
        tier = r.str("tier", choices=("not_listed",), default="not_listed")
        undocumented = _undocumented(f.data, evidence)
        if undocumented:
            raise _Invalid(
                r.line_of("facts"),
                f"{r.where('facts')}: facts of a not_listed entry need a source in `evidence`: {', '.join(undocumented)}",
            )
    else:
        tier = r.str("tier", required=True, choices=TIERS)
        if tier == "not_listed":
            raise _Invalid(r.line_of("tier"), f"{r.where('tier')}: tier not_listed needs status not_listed")
    return Entry(
        id=entry_id,
        name=r.str("name", required=True),
        aliases=r.words("aliases"),
        tier=tier,
        status=status,
        summary=r.text("summary", required=True),
        description=r.text("description"),
        facts=facts,
        links=links,
        downloads=downloads,
        caveats=caveats,
        updates=updates,
        meets=r.words("meets"),
        misses=r.words("misses"),
        warnings=r.words("warnings"),
        client_of=r.str("client_of"),
        evidence=evidence,
        source=source,
        # An app Privacy Guides does not list cites its vendor; it belongs to the page it is filed under.
        category=page_of_url((default_source if status == "not_listed" and default_source else source).url),
    )


_FACT_FIELDS = frozenset(f.name for f in dataclasses.fields(Facts))


def _evidence(r: _Reader) -> Evidence:
    facts = r.words("facts") or ()
    for fact in facts:
        if fact.split(".")[0] not in _FACT_FIELDS:
            raise _Invalid(r.line_of("facts"), f"{r.where('facts')}: '{fact}' is not a fact ({', '.join(sorted(_FACT_FIELDS))})")
    if not facts:
        raise _Invalid(r.line_of("facts"), f"{r.where('facts')}: name the facts this source supports")
    return Evidence(
        facts=tuple(facts),
        url=r.str("url", required=True),
        date=r.date("date", required=True),
        lang=r.str("lang", default="en"),
        title=r.str("title"),
    )


def _fact_paths(raw: object) -> set[str]:
    """Dotted paths of the facts given (not null) in a raw `facts:` mapping; `[]` is a fact."""
    paths: set[str] = set()
    for key, value in (raw or {}).items() if isinstance(raw, dict) else ():
        if key == "group_limit_note" or value is None:
            continue
        if isinstance(value, dict):
            paths |= {f"{key}.{sub}" for sub, v in value.items() if v is not None}
        else:
            paths.add(str(key))
    return paths


def _undocumented(raw_facts: object, evidence: tuple[Evidence, ...]) -> list[str]:
    """Fact paths that no evidence names, by the path itself or its parent."""
    named = {fact for item in evidence for fact in item.facts}
    return sorted(p for p in _fact_paths(raw_facts) if p not in named and p.split(".")[0] not in named)


def _criterion(r: _Reader, source: Source | None) -> Criterion:
    return Criterion(
        id=r.str("id", required=True),
        level=r.str("level", required=True, choices=CRITERION_LEVELS),
        text=r.text("text", required=True),
        since=r.date("since"),
        source=source,
        category=page_of_url(source.url) if source else "",
    )


def _warning(r: _Reader, source: Source | None) -> PageWarning:
    return PageWarning(
        id=r.str("id", required=True),
        text=r.text("text", required=True),
        applies_to=r.words("applies_to"),
        source=source,
    )


# --- files and directories -----------------------------------------------------------------


def _parse_file(path: Path) -> Any:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError([Problem(str(path), 0, f"cannot read: {exc}")]) from exc
    try:
        return load_bounded(raw, _LineLoader)
    except YamlError as exc:
        raise KnowledgeError([Problem(str(path), exc.line, f"YAML syntax: {exc.message}")]) from None


def load_yaml(path: str | Path) -> KnowledgeBase:
    """Load a YAML file or a directory of them (recursively, in name order).

    Raises KnowledgeError listing every problem found; never returns a partial base.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            raise KnowledgeError([Problem(str(path), 0, "no .yaml files in this directory")])
    elif path.is_file():
        files = [path]
    else:
        raise KnowledgeError([Problem(str(path), 0, "no such file or directory")])

    problems: list[Problem] = []
    documents: list[tuple[Path, Any]] = []
    for file in files:
        try:
            documents.append((file, _parse_file(file)))
        except KnowledgeError as exc:
            problems.extend(exc.problems)

    # Page files (with a top-level `source`) give the default source of their directory.
    default_sources: dict[Path, Source] = {}
    for file, data in documents:
        if isinstance(data, dict) and "source" in data and "id" not in data:
            try:
                default_sources[file.parent] = _checked(
                    lambda s: _source(s, str(file)), _Reader(data["source"], "source", data.key_lines["source"])
                )
            except _Invalid as exc:
                problems.append(Problem(str(file), exc.line, exc.message))

    entries: list[Entry] = []
    criteria: list[Criterion] = []
    warnings: list[PageWarning] = []
    order: list[str] = []
    for file, data in documents:
        if isinstance(data, dict) and isinstance(data.get("order"), list):
            order.extend(str(item) for item in data["order"])
        default = next((default_sources[d] for d in (file.parent, *file.parents) if d in default_sources), None)
        try:
            _read_document(file, data, default, entries, criteria, warnings)
        except _Invalid as exc:
            problems.append(Problem(str(file), exc.line, exc.message))
    if problems:
        raise KnowledgeError(problems)
    if order:  # the page's own order (recommended first), not file-name order
        rank = {entry_id: n for n, entry_id in enumerate(order)}
        entries.sort(key=lambda e: rank.get(e.id, len(rank)))
    sources = tuple(dict.fromkeys(default_sources.values())) or tuple(dict.fromkeys(e.source for e in entries))
    return KnowledgeBase(
        entries=tuple(entries),
        criteria=tuple(criteria),
        warnings=tuple(warnings),
        sources=sources,
        categories=_categories(entries, criteria, warnings, sources),
    )


def _categories(
    entries: list[Entry], criteria: list[Criterion], warnings: list[PageWarning], sources: tuple[Source, ...]
) -> tuple[Category, ...]:
    """One category per page the curated entries describe (the bundled pack: real-time-communication)."""
    found: list[Category] = []
    for path in dict.fromkeys(e.category for e in entries if e.category):
        mine = [s for s in sources if page_of_url(s.url) == path]
        mine = mine or [e.source for e in entries if e.category == path][:1]
        members = [e for e in entries if e.category == path]
        attached = {w for e in members for w in e.warnings} | {
            w.id for w in warnings if {e.id for e in members} & set(w.applies_to)
        }
        found.append(
            Category(
                path=path,
                title=Text({s.lang: s.page for s in mine}),
                criteria=tuple(c.id for c in criteria if c.category == path),
                warnings=tuple(w.id for w in warnings if w.id in attached),
                date=mine[0].date if mine else "",
                sources=tuple(Source(s.page, s.url, s.lang, s.date) for s in mine),
            )
        )
    return tuple(found)


def _read_document(
    file: Path,
    data: Any,
    default: Source | None,
    entries: list[Entry],
    criteria: list[Criterion],
    warnings: list[PageWarning],
) -> None:
    if data is None:
        raise _Invalid(1, "the file is empty")
    top = _Reader(data, "", 1)
    if top.has("id"):
        entries.append(_checked(lambda r: _entry(r, str(file), default), top))
        return
    top.raw("source")  # read above, as the directory's default
    top.words("order")  # read above: the order of entries in replies
    for item in top.items("entries"):
        entries.append(_checked(lambda r: _entry(r, str(file), default), item))
    for item in top.items("criteria"):
        criteria.append(_checked(lambda r: _criterion(r, default), item))
    for item in top.items("warnings"):
        warnings.append(_checked(lambda r: _warning(r, default), item))
    top.finish()
