"""Import a Privacy Guides markdown page into the knowledge model.

Both page formats are read: the old one (``!!! recommendation`` with an indented body and
``??? downloads`` inside) and the current one (``<div class="admonition recommendation">``
with ``<details class="downloads">`` inside). The import has three steps, all of which keep
the 1-based line numbers of the file:

1. normalise the text (BOM, CRLF, tabs, trailing spaces) and read the YAML front matter;
2. split the lines into blocks: headings, paragraphs, bullets and *boxes* (admonitions,
   ``<div class="admonition …">``, ``<details>``). A box holds blocks of its own; plain
   containers (content tabs, other divs) are flattened into their parent, rendered examples
   (``<div class="result">``) dropped;
3. walk the top-level blocks once, tracking the nearest heading, warnings placed directly under
   a section heading, "Additional Options" sections and the criteria section (its topic
   sub-headings and bold marker lines), and turn each recommendation box into an Entry.

``import_markdown`` reads one page on its own; ``import_page`` reads it as part of a site
(knowledge/site.py): ids ``PAGE/NAME-SLUG``, a category, resolved relative links and what the
site needs to align its translations.

Links and downloads are recognised by their icon, never by their (translated) titles. Facts are
read from the text only where a sentence states them plainly; all else stays None (unknown).
A page that cannot be read raises KnowledgeError with file and line, and nothing else.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from .yaml_safe import YamlError, load_bounded

from .model import (
    PLATFORMS,
    Audit,
    Criterion,
    Download,
    Encryption,
    Entry,
    Facts,
    Identifiers,
    KnowledgeBase,
    KnowledgeError,
    Link,
    Offline,
    OpenSource,
    PageWarning,
    Problem,
    Source,
    Text,
    fact_schema,
    page_of_url,
)
from .text import detect_language, normalize, tokens

INTERNAL_ERROR = "internal error in the markdown importer"

_Line = tuple[int, str]  # 1-based line number, text
_MAX_NESTING = 16  # boxes inside boxes; a deeper page is rejected rather than recursed into


def import_markdown(
    text: str, *, file: str = "<page>", url: str = "", lang: str | None = None, date: str = ""
) -> KnowledgeBase:
    """Entries, criteria and warnings of one page; raises only KnowledgeError."""
    return import_page(text, file=file, url=url, lang=lang, date=date).kb


@dataclass(frozen=True)
class PageImport:
    """One page read for a site (see knowledge/site.py): its base and what aligns translations."""

    kb: KnowledgeBase
    title: str
    intro: str  # the first paragraph of prose before any card
    criteria_heading: int | None  # position of its criteria heading, counted from the last heading


def import_page(
    text: str,
    *,
    file: str = "<page>",
    url: str = "",
    lang: str | None = None,
    date: str = "",
    page: str = "",
    criteria_at: int | None = None,
    resolve: Callable[[str], str] | None = None,
    require_cards: bool = True,
    fallback_date: str = "",
) -> PageImport:
    """A page as part of a site when ``page`` (its path) is given: ids ``PAGE/NAME-SLUG``,
    criteria and warning ids under ``PAGE/``, entries of category ``page``. ``criteria_at`` is
    the English page's ``criteria_heading``, for pages whose headings the words cannot tell;
    ``resolve`` turns relative link targets into URLs; ``fallback_date`` is the source's
    (snapshot or archive) date, for a page whose front matter has none."""
    try:
        return _import(text, file, url, lang, date, page, criteria_at, resolve, require_cards, fallback_date)
    except KnowledgeError:
        raise
    except Exception as exc:  # a bug here must not take down a running bot: report it instead
        raise KnowledgeError([Problem(file, 0, f"{INTERNAL_ERROR}: {exc!r}")]) from exc


def _import(
    text: str,
    file: str,
    url: str,
    lang: str | None,
    date: str,
    page_path: str,
    criteria_at: int | None,
    resolve: Callable[[str], str] | None,
    require_cards: bool,
    fallback_date: str = "",
) -> PageImport:
    meta, lines = _front_matter(_normalise(text), file)
    blocks = _BlockReader(file).read(lines)
    page = _Page(
        title=_page_title(meta, blocks, file),
        url=url,
        lang=lang or _detect_lang(" ".join(line for _, line in lines)),
        date=date or _meta_date(meta) or fallback_date,
        file=file,
        path=page_path,
        resolve=resolve,
    )
    headings = [b for b in blocks if isinstance(b, _Heading)]
    if criteria_at is not None and any(_CRITERIA_WORDS.search(_words(h.text)) for h in headings):
        criteria_at = None  # the words tell: a page's own structure beats the English one's
    elif criteria_at is not None:
        criteria_at = len(headings) - criteria_at  # counted from the end: cards come and go above
    walker = _Walker(_slug(page.title) or "page", criteria_at)
    walker.walk(blocks)
    if not walker.cards and require_cards:
        raise KnowledgeError([Problem(file, 0, "no recommendation cards found")])
    prefix = f"{page_path}/" if page_path else ""
    warnings = {prefix + w.id: _page_warning(w, page, prefix) for w in walker.section_warnings if w.cards}
    names = _site_names(walker.cards, page) if page_path else _names(walker.cards, page)
    ids = _Unique()
    entries = tuple(
        _entry(card, name, page, [warnings[prefix + w.id] for w in card.warnings], ids)
        for card, name in zip(walker.cards, names)
    )
    if page_path:  # warnings name the entries by their site ids
        renamed = {card.id: entry.id for card, entry in zip(walker.cards, entries)}
        warnings = {
            wid: dataclasses.replace(w, applies_to=tuple(renamed[a] for a in w.applies_to))
            for wid, w in warnings.items()
        }
    kb = KnowledgeBase(
        entries=entries,
        criteria=_criteria(walker.criteria, page, prefix),
        warnings=tuple(warnings.values()),
        sources=(page.source(),),
    )
    intro = next((_clean(t) for t in _prose(walker.intro) if _clean(t)), "")
    at = walker.criteria_heading
    return PageImport(kb, page.title, intro, None if at is None else len(headings) - at)


@dataclass(frozen=True)
class _Page:
    title: str
    url: str
    lang: str
    date: str
    file: str
    path: str = ""  # the page path in a site, "" for a single page
    resolve: Callable[[str], str] | None = None

    def link(self, target: str) -> str:
        """A link target as a URL: relative ones resolved when the page knows its site."""
        if self.resolve is None or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            return target
        return self.resolve(target)

    def source(self, line: int = 0) -> Source:
        return Source(self.title, self.url, self.lang, self.date, self.file, line)


# --- step 1: text and front matter ----------------------------------------------------------


def _normalise(text: str) -> list[_Line]:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return [(n, line.replace("\t", "    ").rstrip()) for n, line in enumerate(text.split("\n"), start=1)]


def _front_matter(lines: list[_Line], file: str) -> tuple[dict[object, object], list[_Line]]:
    """The front matter mapping (empty if none) and the lines after it."""
    if not lines or lines[0][1] != "---":
        return {}, lines
    end = next((k for k in range(1, len(lines)) if lines[k][1] in ("---", "...")), None)
    if end is None:
        return {}, lines
    try:
        data = load_bounded("\n".join(text for _, text in lines[1:end]), first_line=2)
    except YamlError as exc:
        raise KnowledgeError([Problem(file, exc.line or 1, f"front matter is not valid YAML: {exc.message}")]) from None
    return (data if isinstance(data, dict) else {}), lines[end + 1 :]


def _page_title(meta: dict[object, object], blocks: list[_Block], file: str) -> str:
    title = meta.get("title")
    if isinstance(title, (str, int, float)) and _clean(str(title)):
        return _clean(str(title))
    h1 = next((b for b in blocks if isinstance(b, _Heading) and b.level == 1), None)
    if h1 is not None and _clean(h1.text):
        return _clean(h1.text)
    return file.rstrip("/").rsplit("/", 1)[-1].split(".")[0] or "page"


def _meta_date(meta: dict[object, object]) -> str:
    for key in ("date", "updated", "revision_date"):
        value = meta.get(key)
        if isinstance(value, dict):  # mkdocs blog style: date: {created: …, updated: …}
            value = value.get("updated") or value.get("created")
        match = re.match(r"\d{4}-\d{2}(?:-\d{2})?", str(value)) if value else None
        if match:
            return match.group(0)
    return ""


def _detect_lang(text: str) -> str:
    """The page's language, by the one detector questions use too (English when unsure)."""
    return detect_language(tokens(normalize(text)), default="en").lang


# --- step 2: blocks -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Heading:
    line: int
    level: int
    text: str  # as written, with any { #id } attribute list


@dataclass(frozen=True)
class _Para:
    line: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class _Bullet:
    line: int
    text: str  # with nested lines joined in


@dataclass(frozen=True)
class _Box:
    """An admonition or HTML box; ``kind`` is e.g. recommendation, warning or downloads."""

    line: int
    kind: str
    title: str
    body: tuple[_Block, ...]


_Block = _Heading | _Para | _Bullet | _Box

# Patterns that may start at many places in a text have bounded repeats whose characters stop at
# the next possible start: that keeps them linear on hostile input (pages can come from any URL).
_LINK_TEXT = r"[^\[\]]{0,300}"
_LINK_TARGET = r"\(\s{0,20}([^()\[\]\s]{0,2000})(?:\s[^()]{0,300})?\)"  # (url "title"), url in a group

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_COMMENT_START = re.compile(r"^\s*<!--")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?$")
_ADMONITION = re.compile(r"^(\s*)(?:!!!|\?\?\?\+?)\s*([A-Za-z][\w-]*)(.*)$")
_TAB = re.compile(r"^(\s*)===\+?\s+\S")
_HTML_OPEN = re.compile(r"^\s*<(div|details)\b([^>]*)>(.*)$", re.IGNORECASE)
_HTML_TITLE = re.compile(
    r"^\s*<(?:summary|p\b[^>]{0,200}admonition-title[^>]{0,200})>(.*?)</(?:summary|p)>\s*$", re.I
)
_RULE = re.compile(r"^ {0,3}([-*_])(?:\s*\1){2,}$")
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^[^\]\s]{1,50}\]:")
_IGNORED_LINE = re.compile(r"^\s*(?:--8<--|\*\[[^\]]*\]:)")  # snippet includes, abbreviations
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d{1,9}[.)])\s+(.*)$")
_THREAT_CHIP = re.compile(
    r"^\[:material-[\w-]{1,60}:" + _LINK_TEXT + r"\]" + _LINK_TARGET
    + r"\s*\{[^{}]{0,300}\.pg-[\w-]{1,40}[^{}]{0,300}\}$"
)
_SMALL = re.compile(r"^\s*<small>.*</small>\s*$", re.I)

_BLOCK_STARTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("fence", _FENCE),
    ("comment", _COMMENT_START),
    ("heading", _HEADING),
    ("admonition", _ADMONITION),
    ("tab", _TAB),
    ("html", _HTML_OPEN),
    ("ignored", _RULE),
    ("ignored", _IGNORED_LINE),
    ("footnote", _FOOTNOTE_DEF),
    ("bullet", _BULLET),
)


def _classify(text: str) -> str:
    """What starts on this line: "blank", "text" (paragraph text) or a kind from _BLOCK_STARTS."""
    if not text.strip():
        return "blank"
    return next((kind for kind, pattern in _BLOCK_STARTS if pattern.match(text)), "text")


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _dedent(lines: list[_Line]) -> list[_Line]:
    indents = [_indent(text) for _, text in lines if text.strip()]
    cut = min(indents, default=0)
    return [(n, text[cut:]) for n, text in lines]


class _BlockReader:
    """Splits numbered lines into blocks; box bodies are read recursively."""

    def __init__(self, file: str):
        self.file = file

    def read(self, lines: list[_Line], depth: int = 0) -> list[_Block]:
        blocks: list[_Block] = []
        i = 0
        while i < len(lines):
            new, i = self._block(lines, i, depth)
            blocks.extend(new)
        return _without_threat_chips(blocks)

    def _block(self, lines: list[_Line], i: int, depth: int) -> tuple[list[_Block], int]:
        """The blocks starting at lines[i] and the index after them."""
        match _classify(lines[i][1]):
            case "blank" | "ignored":
                return [], i + 1
            case "fence":
                return [], _after_fence(lines, i)
            case "comment":
                return [], _after_comment(lines, i)
            case "footnote":
                return [], _after_text(lines, i + 1)
            case "heading":
                return [_heading(lines[i])], i + 1
            case "bullet":
                return _bullet(lines, i)
            case "admonition" | "tab":
                return self._indented_box(lines, i, depth)
            case "html":
                return self._html_box(lines, i, depth)
            case _:
                end = _after_text(lines, i + 1)
                return [_Para(lines[i][0], tuple(text.strip() for _, text in lines[i:end]))], end

    def _nested(self, line: int, body: list[_Line], depth: int) -> list[_Block]:
        if depth >= _MAX_NESTING:
            raise KnowledgeError([Problem(self.file, line, "boxes are nested too deeply")])
        return self.read(_dedent(body), depth + 1)

    def _indented_box(self, lines: list[_Line], i: int, depth: int) -> tuple[list[_Block], int]:
        """``!!! kind "title"`` or ``??? kind`` with an indented body; ``=== "tab"`` is flattened."""
        n, text = lines[i]
        indent = _indent(text)
        end = i + 1
        while end < len(lines) and (not lines[end][1].strip() or _indent(lines[end][1]) > indent):
            end += 1
        body = self._nested(n, lines[i + 1 : end], depth)
        match = _ADMONITION.match(text)
        if match is None:  # a content tab
            return body, end
        return [_Box(n, match.group(2).lower(), _quoted(match.group(3)), tuple(body))], end

    def _html_box(self, lines: list[_Line], i: int, depth: int) -> tuple[list[_Block], int]:
        """``<div class="admonition kind">`` or ``<details class="kind">``; other divs are flattened."""
        n, text = lines[i]
        match = _HTML_OPEN.match(text)
        assert match is not None  # _classify saw it
        tag, classes = match.group(1).lower(), _classes(match.group(2))
        found = _html_body(lines, i, tag, match.group(3))
        if found is None:
            raise KnowledgeError([Problem(self.file, n, f"<{tag}> is never closed")])
        body, end = found
        title, body = _html_title(_dedent(body))
        blocks = self._nested(n, body, depth)
        if tag == "div" and "result" in classes:  # a rendered example (meta pages): not content
            return [], end
        if tag == "div" and "admonition" not in classes:
            return blocks, end
        kind = next((c for c in classes if c != "admonition"), tag)
        return [_Box(n, kind, title, tuple(blocks))], end


def _heading(line: _Line) -> _Heading:
    match = _HEADING.match(line[1])
    assert match is not None  # _classify saw it
    return _Heading(line[0], len(match.group(1)), match.group(2))


def _bullet(lines: list[_Line], i: int) -> tuple[list[_Block], int]:
    """One list item with its continuation lines (nested items are joined into it)."""
    n, text = lines[i]
    match = _BULLET.match(text)
    assert match is not None  # _classify saw it
    indent, parts = len(match.group(1)), [match.group(2)]
    end = i + 1
    while end < len(lines):
        following = lines[end][1]
        if not following.strip():  # a blank line ends the item unless indented lines follow it
            after = next((k for k in range(end, len(lines)) if lines[k][1].strip()), len(lines))
            if after == len(lines) or _indent(lines[after][1]) <= indent or _classify(lines[after][1]) not in (
                "text",
                "bullet",
            ):
                break
            end = after
            continue
        if _indent(following) <= indent and _classify(following) != "text":
            break
        parts.append(_BULLET.sub(r"\2", following).strip())
        end += 1
    return [_Bullet(n, " ".join(parts))], end


def _after_text(lines: list[_Line], i: int) -> int:
    """Index after the paragraph text continuing at lines[i]."""
    while i < len(lines) and _classify(lines[i][1]) == "text":
        i += 1
    return i


def _after_fence(lines: list[_Line], i: int) -> int:
    match = _FENCE.match(lines[i][1])
    assert match is not None  # _classify saw it
    fence = match.group(1)
    closing = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    return next((k + 1 for k in range(i + 1, len(lines)) if closing.match(lines[k][1])), len(lines))


def _after_comment(lines: list[_Line], i: int) -> int:
    first = lines[i][1].split("<!--", 1)[1]
    if "-->" in first:
        return i + 1
    return next((k + 1 for k in range(i + 1, len(lines)) if "-->" in lines[k][1]), len(lines))


def _quoted(rest: str) -> str:
    """The title after an admonition's kind: ``"Quoted"``, or unquoted as a fallback."""
    match = re.search(r'"([^"]*)"', rest)
    return (match.group(1) if match else rest).strip()


def _classes(attributes: str) -> list[str]:
    match = re.search(r"""class\s*=\s*["']([^"']*)["']""", attributes, re.I)
    return match.group(1).lower().split() if match else []


def _html_body(lines: list[_Line], i: int, tag: str, rest: str) -> tuple[list[_Line], int] | None:
    """Lines inside the element opened on lines[i] (``rest`` follows its tag) and the index after
    its closing tag; None when it is never closed."""
    tags = re.compile(rf"<(/?){tag}\b[^<>]{{0,500}}>", re.I)
    depth, body = 1, []
    for k in range(i, len(lines)):
        n, text = (lines[k][0], rest) if k == i else lines[k]
        for match in tags.finditer(text):
            depth += -1 if match.group(1) else 1
            if depth == 0:
                body.append((n, text[: match.start()]))
                return body, k + 1
        body.append((n, text))
    return None


def _html_title(body: list[_Line]) -> tuple[str, list[_Line]]:
    """A leading ``<summary>`` or ``<p class="admonition-title">`` as the box title."""
    first = next((k for k, (_, text) in enumerate(body) if text.strip()), None)
    match = _HTML_TITLE.match(body[first][1]) if first is not None else None
    if first is None or match is None:
        return "", body
    return _clean(match.group(1)), body[:first] + body[first + 1 :]


def _without_threat_chips(blocks: list[_Block]) -> list[_Block]:
    """Drop "Protects against the following threat(s)" lists: page decoration, not content."""

    def is_chip(block: _Block) -> bool:
        return isinstance(block, _Bullet) and bool(_THREAT_CHIP.match(block.text))

    return [
        block
        for k, block in enumerate(blocks)
        if not is_chip(block)
        and not (
            isinstance(block, _Para)
            and _SMALL.match(" ".join(block.lines))
            and k + 1 < len(blocks)
            and is_chip(blocks[k + 1])
        )
    ]


# --- markdown to plain text -----------------------------------------------------------------

_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]{1,50}\]")
_IMAGE = re.compile(r"!\[" + _LINK_TEXT + r"\]" + _LINK_TARGET)
_ICON = re.compile(r":(?:material|octicons|simple|fontawesome|pg)-[\w-]{1,60}:")
_LINK = re.compile(r"\[(" + _LINK_TEXT + r")\]" + _LINK_TARGET)  # text, url
_REF_LINK = re.compile(r"\[([^\[\]]{1,300})\]\[[^\[\]]{0,100}\]")
_ATTR_LIST = re.compile(r"\{\s{0,20}:?\s{0,20}(?:[.#][\w-]|[\w-]{1,40}\s{0,20}=)[^{}]{0,300}\}")
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_CODE = re.compile(r"`{1,10}([^`]{0,1000})`{1,10}")
_EMPHASIS = (  # single markers first: then **a *b* c** loses both
    re.compile(r"(?<![\w*])\*(?=[^\s*])([^*]{1,300})(?<=\S)\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?=[^\s_])([^_]{1,300})(?<=\S)_(?![\w_])"),
    re.compile(r"\*\*(?=\S)([^*]{1,300})(?<=\S)\*\*"),
    re.compile(r"__(?=\S)([^_]{1,300})(?<=\S)__"),
    re.compile(r"~~(?=\S)([^~]{1,300})(?<=\S)~~"),
    re.compile(r"==(?=\S)([^=]{1,300})(?<=\S)=="),
)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~=])")
_LONE_BRACES = re.compile(r"(?<!\S)[{}]{1,10}(?!\S)")
_ANY_LINK = re.compile(r"!?\[" + _LINK_TEXT + r"\]" + _LINK_TARGET + r"(?:\s{0,20}\{[^{}]{0,300}\})?")


@functools.lru_cache(maxsize=8192)  # pure, and a page asks for the same texts several times
def _clean(markdown: str) -> str:
    """Plain text: links become their text; images, icons, footnote markers, attribute lists,
    HTML tags and emphasis marks go; whitespace is collapsed."""
    text = _HTML_COMMENT.sub("", markdown)
    text = _FOOTNOTE_REF.sub("", text)
    text = _IMAGE.sub("", text)
    text = _ICON.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _ATTR_LIST.sub("", text)
    text = _TAG.sub(" ", text)
    text = _CODE.sub(r"\1", text)
    for emphasis in _EMPHASIS:
        text = emphasis.sub(r"\1", text)
    text = html.unescape(_ESCAPE.sub(r"\1", text))
    text = _LONE_BRACES.sub("", text)
    return re.sub(r"\s+([.,;:!?)])", r"\1", " ".join(text.split()))


def _is_link_only(markdown: str) -> bool:
    """A line of buttons or icon links (or a logo): no text of its own."""
    return not re.sub(r"[\s{}]+", "", _ANY_LINK.sub("", markdown))


def _prose(blocks: tuple[_Block, ...] | list[_Block]) -> list[str]:
    """Raw markdown of the paragraphs and bullets among ``blocks``, without link-only lines."""
    texts: list[str] = []
    for block in blocks:
        if isinstance(block, _Para):
            texts.append(" ".join(line for line in block.lines if not _is_link_only(line)))
        elif isinstance(block, _Bullet) and not _is_link_only(block.text):
            texts.append(block.text)
    return [text for text in texts if text.strip()]


def _cleaned(raw: list[str]) -> list[str]:
    return [text for text in map(_clean, raw) if text]


def _box_text(box: _Box) -> str:
    return "\n\n".join(_cleaned(_prose(box.body)))


# A sentence ends at . ! ? before a capital (Latin, Cyrillic) or a Hebrew letter (no case), and
# at the full-width 。！？ of Chinese, which needs no space after it.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“‘(\[*]?[A-Z0-9À-ÞА-ЯЁ\u05d0-\u05ea])|(?<=[。！？])\s*(?=\S)")


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


class _Unique:
    """Hands out values unique regardless of case: a taken one is numbered, from 2 on
    (``{base}-{n}`` gives ids like ``tern-2``)."""

    def __init__(self, numbered: str = "{base}-{n}"):
        self._numbered = numbered
        self._taken: set[str] = set()
        self._next: dict[str, int] = {}  # next number to try per base

    def free(self, value: str) -> bool:
        return value.casefold() not in self._taken

    def take(self, base: str) -> str:
        candidate = base
        while not self.free(candidate):
            n = self._next.get(base, 2)
            self._next[base] = n + 1
            candidate = self._numbered.format(base=base, n=n)
        self._taken.add(candidate.casefold())
        return candidate


# --- step 3: the page walk ------------------------------------------------------------------

_WARNING_KINDS = frozenset({"warning", "danger", "caution"})
_HEADING_ID = re.compile(r"\{\s{0,20}#([A-Za-z0-9_-]{1,100})[^{}]{0,300}\}$")
# Words of headings and marker lines, matched on normalize()d text; pages in other scripts are
# read by their position relative to the English page instead (see knowledge/site.py).
_CRITERIA_WORDS = re.compile(r"[ck]riter|критер|標準|קריטריונ")
_BEST_WORDS = re.compile(r"best|meilleur|optima|mejor|melhor|miglior|лучш|最佳|הטוב")
_MINIMUM_WORDS = re.compile(r"minim|минимал|最低|מינימ")
_ADDITIONAL_WORDS = re.compile(
    r"^(?:additional|other) options\b|^aanvullende opties\b|^opciones adicionales\b|^options supplementaires\b"
    r"|^autres options\b|^opzioni aggiuntive\b|^altre opzioni\b|^weitere optionen\b"
)
_MARKER = re.compile(r"^\*\*([^*]{1,120}?)\s*[:：]?\s*\*\*\s*[:：]?$")


def _words(markdown: str) -> str:
    """Text to match heading words on: normalised (accents and homoglyphs folded) for Latin
    scripts, and casefolded as written for the others."""
    text = _clean(markdown)
    return f"{normalize(text)} | {text.casefold()}"


def _anchor(heading: _Heading) -> str:
    """The heading's id: an explicit ``{ #id }`` or the slug of its text."""
    match = _HEADING_ID.search(heading.text)
    return match.group(1).lower() if match else _slug(_clean(heading.text))


@dataclass(eq=False)
class _Card:
    id: str
    box: _Box
    heading: _Heading | None
    warnings: tuple[_SectionWarning, ...]  # the section warnings covering it
    additional: bool = False  # under a section the page presents as lesser ("Additional Options")
    after: list[_Block] = field(default_factory=list)  # until the next heading or card
    details: list[_Block] = field(default_factory=list)  # under sub-headings of its own heading


@dataclass(eq=False)
class _SectionWarning:
    """A warning directly under a heading: it covers the cards of that heading's section."""

    id: str
    level: int
    box: _Box
    cards: list[_Card] = field(default_factory=list)
    owner: _Card | None = None  # the card whose sub-section it sits in, if any


@dataclass(frozen=True)
class _RawCriterion:
    """A criteria bullet with where it sits: the sub-heading (its number in the criteria section
    and text) and the bold marker line above it ("**Best Case:**"), if any."""

    bullet: _Bullet
    sub: int | None = None
    sub_text: str = ""
    marker: int | None = None
    marker_text: str = ""


class _Walker:
    """One pass over the top-level blocks, collecting cards, section warnings and criteria."""

    def __init__(self, fallback_id: str, criteria_at: int | None = None):
        self.cards: list[_Card] = []
        self.section_warnings: list[_SectionWarning] = []
        self.criteria: list[_RawCriterion] = []
        self.intro: list[_Block] = []
        self.criteria_heading: int | None = None
        self._criteria_at = criteria_at
        self._fallback_id = fallback_id
        self._entry_ids = _Unique()
        self._warning_ids = _Unique()
        self._heading: _Heading | None = None
        self._headings = 0
        self._card: _Card | None = None
        self._open: list[_SectionWarning] = []
        self._criteria_level: int | None = None  # level of the criteria heading while inside it
        self._sub: tuple[int, str] | None = None  # sub-heading in the criteria section
        self._subs = 0
        self._marker: tuple[int, str] | None = None
        self._markers = 0
        self._additional_level: int | None = None
        self._owner: _Card | None = None  # the card whose heading's sub-sections we are in

    def walk(self, blocks: list[_Block]) -> None:
        self._walk(blocks)
        for warning in self.section_warnings:  # one in a card's sub-section covering no card
            if not warning.cards and warning.owner is not None:  # is that card's caveat
                warning.owner.details.append(warning.box)

    def _walk(self, blocks: list[_Block]) -> None:
        for block in blocks:
            if isinstance(block, _Heading):
                self._on_heading(block)
            elif isinstance(block, _Box) and block.kind == "recommendation":
                self._on_card(block)
            elif self._criteria_level is not None:
                self._on_criteria_block(block)
            elif self._card is not None:
                self._card.after.append(block)
            elif isinstance(block, _Box) and block.kind in _WARNING_KINDS and (self._heading or not self.cards):
                self._on_section_warning(block, self._heading)  # before any heading: the whole page
            elif self._owner is not None:  # "#### Independently Audited" under "### Proton VPN"
                self._owner.details.append(block)
            elif isinstance(block, _Para) and not self.cards and (self._heading is None or self._heading.level == 1):
                self.intro.append(block)

    def _on_criteria_block(self, block: _Block) -> None:
        if isinstance(block, _Bullet):
            sub, marker = self._sub or (None, ""), self._marker or (None, "")
            self.criteria.append(_RawCriterion(block, sub[0], sub[1], marker[0], marker[1]))
        elif isinstance(block, _Para):
            match = _MARKER.match(" ".join(block.lines))
            if match:
                self._marker = (self._markers, _clean(match.group(1)))
                self._markers += 1

    def _on_heading(self, heading: _Heading) -> None:
        index, self._headings = self._headings, self._headings + 1
        self._heading, self._card = heading, None
        owner = self._owner
        if owner is None or owner.heading is None or heading.level <= owner.heading.level:
            self._owner = None
        self._open = [w for w in self._open if w.level < heading.level]
        text = _words(heading.text)
        if self._additional_level is not None and heading.level <= self._additional_level:
            self._additional_level = None
        if _ADDITIONAL_WORDS.search(text):
            self._additional_level = heading.level
        if self._criteria_level is not None and heading.level > self._criteria_level:
            self._sub, self._subs = (self._subs, _clean(heading.text)), self._subs + 1
            self._marker, self._markers = None, 0
        elif index == self._criteria_at or (self._criteria_at is None and _CRITERIA_WORDS.search(text)):
            self._criteria_level, self.criteria_heading = heading.level, index
            self._sub, self._subs, self._marker, self._markers = None, 0, None, 0
        else:
            self._criteria_level = None

    def _on_card(self, box: _Box) -> None:
        base = (_anchor(self._heading) if self._heading else "") or self._fallback_id
        additional = self._additional_level is not None
        card = _Card(self._entry_ids.take(base), box, self._heading, tuple(self._open), additional)
        self.cards.append(card)
        for warning in self._open:
            warning.cards.append(card)
        self._card = self._owner = card

    def _on_section_warning(self, box: _Box, heading: _Heading | None) -> None:
        base = f"warning-{(_anchor(heading) if heading else '') or self._fallback_id}"
        warning = _SectionWarning(self._warning_ids.take(base), heading.level if heading else 0, box, owner=self._owner)
        self.section_warnings.append(warning)
        self._open.append(warning)


# --- building the model ---------------------------------------------------------------------

_LINK_ICONS = {
    "octicons-home-16": "homepage",
    "octicons-repo-16": "repository",
    "octicons-eye-16": "privacy_policy",
    "octicons-info-16": "documentation",
    "octicons-code-16": "source",
    "octicons-heart-16": "donate",
}
_DOWNLOAD_ICONS = {
    "simple-googleplay": ("Google Play", "android"),
    "simple-appstore": ("App Store", "ios"),
    "simple-android": ("APK", "android"),
    "simple-windows11": ("Windows", "windows"),
    "fontawesome-brands-windows": ("Windows", "windows"),
    "simple-apple": ("macOS", "macos"),
    "simple-linux": ("Linux", "linux"),
    "simple-flathub": ("Flathub", "linux"),
    "simple-fdroid": ("F-Droid", "android"),
    "simple-github": ("GitHub", ""),
    "octicons-globe-16": ("Web", "web"),
    "octicons-browser-16": ("Web", "web"),
}
_ICON_LINK = re.compile(  # icon, text, url, attribute list
    r"\[\s{0,20}:([\w-]{1,60}):\s{0,20}(" + _LINK_TEXT + r")\]" + _LINK_TARGET + r"(\s{0,20}\{[^{}]{0,300}\})?"
)
_TITLE_ATTR = re.compile(r"""title\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s}]+))""")
_LEADING_ICON = re.compile(r"^\s*:([\w-]+):\s*(.*)$")


def _names(cards: list[_Card], page: _Page) -> list[str]:
    """Entry names, unique as loading.validate requires: when a heading's name is taken, a card
    uses its own bold lead (``**Name** is …``) or, failing that, a number."""
    names = _Unique("{base} ({n})")
    result: list[str] = []
    for card in cards:
        heading = (_clean(card.heading.text) if card.heading else "") or page.title
        lead = _bold_lead(card.box)
        use_lead = not names.free(heading) and lead and names.free(lead)
        result.append(names.take(lead if use_lead else heading))
    return result


def _bold_lead(card: _Box) -> str:
    match = re.match(r"\s*\*\*(.+?)\*\*", next(iter(_prose(card.body)), ""))
    return _name(match.group(1)) if match else ""


_SMALL_ELEMENT = re.compile(r"<small\b[^<>]{0,200}>.{0,200}?</small\s*>", re.I | re.S)
_PARENTHETICAL = re.compile(r"\s*[(（][^()（）]{0,120}[)）]\s*$")


def _name(markdown: str) -> str:
    """A product name as plain text: inline HTML elements (``<small>Paid</small>``) go first."""
    return _clean(_SMALL_ELEMENT.sub(" ", markdown))


def _site_names(cards: list[_Card], page: _Page) -> list[str]:
    """Names in a site: the heading a card sits under, or its first bold name when several cards
    share that heading (grids) or it has none."""
    per_heading: dict[int, int] = {}
    for card in cards:
        per_heading[id(card.heading)] = per_heading.get(id(card.heading), 0) + 1
    result: list[str] = []
    for card in cards:
        heading = _name(_HEADING_ID.sub("", card.heading.text)) if card.heading else ""
        lead = _bold_lead(card.box)
        shared = per_heading[id(card.heading)] > 1 or card.heading is None or card.heading.level == 1
        result.append((lead if shared and lead else heading) or lead or page.title)
    return result


def _aliases(name: str, card: _Card) -> tuple[str, ...]:
    """Other names a card goes by: without its parenthetical ("I2P"), its bold short name ("LUKS")."""
    found = [_PARENTHETICAL.sub("", name), _bold_lead(card.box)]
    return tuple(dict.fromkeys(a for a in found if a and a.casefold() != name.casefold() and len(a) <= 60))


def _entry(card: _Card, name: str, page: _Page, warnings: list[PageWarning], ids: _Unique) -> Entry:
    own, after = _prose(card.box.body), _prose(card.after)
    described = _cleaned(own + after)
    first = (_cleaned(own) or described or [""])[0]  # the card's own first paragraph, if it has one
    downloads = _downloads(card.box, page)
    messenger = fact_schema(page.path) == "messenger"
    no_forward_secrecy = messenger and any(_FORWARD_SECRECY.search(w.text.get(page.lang)) for w in warnings)
    # in a site, the sub-sections under the card's heading (audits, notes) are the card's too
    details = card.details if page.path else []
    boxes = [b for b in (*card.box.body, *card.after, *details) if isinstance(b, _Box)]
    caveats = [_box_text(b) for b in boxes if b.kind in _WARNING_KINDS]
    links = _links(card.box, page)
    return Entry(
        id=ids.take(f"{page.path}/{_slug(name) or 'card'}") if page.path else card.id,
        name=name,
        aliases=_aliases(name, card) if page.path else (),
        tier="additional" if card.additional else "recommended",
        summary=Text.of(page.lang, next(iter(_sentences(first)), "")),
        description=Text.of(page.lang, "\n\n".join(described)),
        facts=_facts(own + after + _prose(details), downloads, links, no_forward_secrecy, page),
        links=links,
        downloads=downloads,
        caveats=tuple(Text.of(page.lang, text) for text in caveats if text),
        details=Text.of(page.lang, "\n\n".join(_cleaned(_prose(details)))) if details else Text(),
        warnings=tuple(w.id for w in warnings),
        source=page.source(card.box.line),
        category=page.path or page_of_url(page.url),
    )


def _links(card: _Box, page: _Page) -> tuple[Link, ...]:
    links: dict[Link, None] = {}  # ordered and without repeats
    for text in _raw_texts(card.body):
        for match in _ICON_LINK.finditer(text):
            kind, url = _LINK_ICONS.get(match.group(1)), page.link(match.group(3))
            if kind and url:
                links[Link(kind, url, _title_attr(match.group(4) or "") or _clean(match.group(2)))] = None
    return tuple(links)


def _raw_texts(blocks: tuple[_Block, ...]) -> list[str]:
    return [" ".join(b.lines) if isinstance(b, _Para) else b.text for b in blocks if isinstance(b, (_Para, _Bullet))]


def _title_attr(attributes: str) -> str:
    match = _TITLE_ATTR.search(attributes)
    return next((g for g in match.groups() if g), "") if match else ""


def _downloads(card: _Box, page: _Page) -> tuple[Download, ...]:
    boxes = [b for b in card.body if isinstance(b, _Box) and b.kind == "downloads"]
    return tuple(
        _download(match.group(1), page.link(match.group(2)))
        for box in boxes
        for text in _raw_texts(box.body)
        for match in _LINK.finditer(text)
        if match.group(2)
    )


def _download(label: str, url: str) -> Download:
    """A download by its icon; an unknown icon keeps the link text as channel, no platform."""
    match = _LEADING_ICON.match(label)
    icon, text = (match.group(1), match.group(2)) if match else ("", label)
    if icon in _DOWNLOAD_ICONS:
        channel, platform = _DOWNLOAD_ICONS[icon]
        return Download(channel, platform, url)
    return Download(_clean(text) or icon or url, "", url)


def _page_warning(warning: _SectionWarning, page: _Page, prefix: str) -> PageWarning:
    return PageWarning(
        id=prefix + warning.id,
        text=Text.of(page.lang, _box_text(warning.box)),
        applies_to=tuple(card.id for card in warning.cards),
        source=page.source(warning.box.line),
    )


def _criteria(items: list[_RawCriterion], page: _Page, prefix: str) -> tuple[Criterion, ...]:
    ids, criteria = _Unique(), []
    levels = _criterion_levels(items)
    grouped = any(item.marker is not None for item in items)  # sub-headings are topics then
    for item, level in zip(items, levels):
        text = _clean(item.bullet.text)
        if text:
            base = _slug(" ".join(text.split()[:6])) or "criterion"
            criteria.append(
                Criterion(
                    ids.take(prefix + base),
                    level,
                    Text.of(page.lang, text),
                    source=page.source(item.bullet.line),
                    group=Text.of(page.lang, item.sub_text) if grouped else Text(),
                    category=page.path,
                )
            )
    return tuple(criteria)


def _criterion_levels(items: list[_RawCriterion]) -> list[str]:
    """Minimum or best for each bullet: from bold marker lines under topic sub-headings when the
    page has them, else from the sub-headings; by their words, else by position (the first
    marker or sub-heading is the minimum, later ones the best case)."""

    def level(text: str, position: int | None) -> str:
        words = _words(text)
        if _BEST_WORDS.search(words):
            return "best"
        if _MINIMUM_WORDS.search(words) or not position:
            return "minimum"
        return "best"

    if any(item.marker is not None for item in items):
        return [level(item.marker_text, item.marker) if item.marker is not None else "minimum" for item in items]
    return [level(item.sub_text, item.sub) if item.sub is not None else "minimum" for item in items]


# --- facts from the text: only what a sentence states plainly -------------------------------

_NEGATION = re.compile(r"\b(?:not|no|never|without|cannot|niet|geen|nooit|zonder)\b|n't\b", re.I)
_E2EE = re.compile(r"\be2ee\b|end-to-end", re.I)
_BY_DEFAULT = re.compile(r"\bstandaard\b|\bby default\b|\balle communicatie\b|\ball communications?\b", re.I)
_FORWARD_SECRECY = re.compile(r"forward[- ]secrecy|\bpfs\b", re.I)
_SUPPORTS = re.compile(r"\b(?:supports?|supported|offers?|ha[sv]e?|ondersteunt|ondersteund|biedt|heeft|hebben)\b", re.I)
_TOR = re.compile(r"\bTor\b")
_TOR_NETWORK = re.compile(r"netw|rout", re.I)
_PHONE = re.compile(r"telefoonnummer|phone number", re.I)
_REQUIRES = re.compile(r"\b(?:vereist|nodig|requires?|required|needs?)\b", re.I)
_WIFI = re.compile(r"\bwi-?fi\b", re.I)
_BLUETOOTH = re.compile(r"\bbluetooth\b", re.I)
_MESH = re.compile(r"\bmesh\b", re.I)
_AUDITED = re.compile(r"audit|gecontroleerd|security review", re.I)
_YEAR = re.compile(r"\b(?:19[89]\d|20\d\d)\b")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "january januari", "february februari", "march maart", "april", "may mei", "june juni",
            "july juli", "august augustus", "september", "october oktober", "november", "december",
        ),
        start=1,
    )
    for name in names.split()
}
_MONTH_BEFORE = re.compile(r"([A-Za-z]+)\s+(?:of\s+|van\s+)?$")


def _facts(
    raw: list[str], downloads: tuple[Download, ...], links: tuple[Link, ...], no_forward_secrecy: bool, page: _Page
) -> Facts:
    """The common facts (platforms, open source, audits) of every card; on the messenger page
    (or a page of unknown category) also the messenger facts its sentences state plainly."""
    have = {d.platform for d in downloads}
    common = Facts(
        platforms=tuple(p for p in PLATFORMS if p in have),
        audits=_audits(raw, page),
        open_source=OpenSource(client=True) if any(k.kind in ("source", "repository") for k in links) else OpenSource(),
    )
    if fact_schema(page.path or page_of_url(page.url)) != "messenger":
        return common
    sentences = [s for text in raw for s in _sentences(_clean(text))]
    return Facts(
        e2ee=Encryption(default=_affirmed(sentences, _E2EE, _BY_DEFAULT)),
        forward_secrecy="no" if no_forward_secrecy else _forward_secrecy(sentences),
        anonymous_routing=("tor",) if _affirmed(sentences, _TOR, _TOR_NETWORK) else None,
        identifiers=Identifiers(signup=("phone",) if _affirmed(sentences, _PHONE, _REQUIRES) else None),
        offline=Offline(
            wifi=_affirmed(sentences, _WIFI),
            bluetooth=_affirmed(sentences, _BLUETOOTH),
            mesh=_affirmed(sentences, _MESH),
        ),
        platforms=common.platforms,
        audits=common.audits,
        open_source=common.open_source,
    )


def _affirmed(sentences: list[str], *patterns: re.Pattern[str]) -> bool | None:
    """True when a sentence without negation matches every pattern; else unknown."""
    for sentence in sentences:
        if all(p.search(sentence) for p in patterns) and not _NEGATION.search(sentence):
            return True
    return None


def _forward_secrecy(sentences: list[str]) -> str | None:
    said = {
        "no" if _NEGATION.search(s) else "yes"
        for s in sentences
        if _FORWARD_SECRECY.search(s) and _SUPPORTS.search(s)
    }
    return said.pop() if len(said) == 1 else None


def _audits(raw: list[str], page: _Page) -> tuple[Audit, ...]:
    """A year in a sentence about an audit, with the link nearest to it (one is required)."""
    audits: dict[tuple[int, int | None, str], Audit] = {}  # ordered and without repeats
    for sentence in (s for text in raw for s in _sentences(_FOOTNOTE_REF.sub("", text))):
        links = list(_LINK.finditer(sentence))
        if not links or not _AUDITED.search(_clean(sentence)):
            continue
        starts = [link.start() for link in links]
        visible = _hide_urls(sentence)
        for year in _YEAR.finditer(visible):
            month = _MONTH_BEFORE.search(visible[max(0, year.start() - 30) : year.start()])
            audit = Audit(
                year=int(year.group(0)),
                url=page.link(_nearest(links, starts, year.start()).group(2)),
                month=_MONTHS.get(month.group(1).lower()) if month else None,
            )
            audits.setdefault((audit.year, audit.month, audit.url), audit)
    return tuple(audits.values())


def _nearest(links: list[re.Match[str]], starts: list[int], position: int) -> re.Match[str]:
    """The link containing ``position`` or closest to it (``starts`` are the links' starts)."""
    k = bisect.bisect_right(starts, position)
    candidates = links[max(0, k - 1) : k + 1]
    return min(candidates, key=lambda m: max(m.start() - position, position - m.end(), 0))


def _hide_urls(markdown: str) -> str:
    """Blank out each link's ``(url)``, keeping all positions, so years in URLs don't count."""
    return _LINK.sub(lambda m: f"[{m.group(1)}]" + " " * (len(m.group(0)) - len(m.group(1)) - 2), markdown)
