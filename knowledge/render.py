"""Replies people want to read, as plain text and HTML that say the same thing.

Every reply is first built as a small document (blocks of inline pieces), then written out
twice: plain text for ``body`` and HTML for ``formatted_body``. Every piece of text is escaped
in HTML, our own included, because an imported page is as untrusted as a question; links are
only ever http(s).
"""

from __future__ import annotations

import dataclasses
import html
import re
import unicodedata
import urllib.parse
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from . import phrases
from .model import Category, Entry, KnowledgeBase, Source, page_of_url
from .properties import PLATFORM_NAMES, PropertyQuery, applies_to
from .text import echo, normalize

PLAIN_LIMIT = 1500  # a card must read on a phone
SHOW_AT_MOST = 12  # entries listed in one reply; the rest are counted


# --- the document ------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Bold:
    text: str


@dataclass(frozen=True)
class Ref:
    """A short reference: a link in HTML, only its text in plain (the URL is listed once below)."""

    text: str
    url: str


Inline = str | Link | Bold | Ref
Line = list[Inline]


@dataclass
class Doc:
    blocks: list[tuple[str, object]]

    def __init__(self) -> None:
        self.blocks = []

    def title(self, *parts: Inline) -> Doc:
        self.blocks.append(("title", list(parts)))
        return self

    def para(self, *parts: Inline) -> Doc:
        if any(parts):
            self.blocks.append(("p", list(parts)))
        return self

    def warn(self, *parts: Inline) -> Doc:
        self.blocks.append(("warn", list(parts)))
        return self

    def bullets(self, lines: list[Line], heading: str = "") -> Doc:
        if lines:
            self.blocks.append(("ul", (heading, lines)))
        return self

    def table(self, header: list[str], rows: list[list[str]]) -> Doc:
        self.blocks.append(("table", (header, rows)))
        return self

    def plain(self) -> str:
        out: list[str] = []
        for kind, value in self.blocks:
            if kind in ("title", "p"):
                out.append(_plain_line(value))  # type: ignore[arg-type]
            elif kind == "warn":
                out.append("⚠ " + _plain_line(value))  # type: ignore[arg-type]
            elif kind == "ul":
                heading, lines = value  # type: ignore[misc]
                if heading:
                    out.append(heading)
                out.extend("• " + _plain_line(line) for line in lines)
            elif kind == "table":
                header, rows = value  # type: ignore[misc]
                out.append(_plain_table(header, rows))
        return "\n".join(out).strip()

    def html(self) -> str:
        out: list[str] = []
        for kind, value in self.blocks:
            if kind == "title":
                out.append(f"<p><b>{_html_line(value)}</b></p>")  # type: ignore[arg-type]
            elif kind == "p":
                out.append(f"<p>{_html_line(value)}</p>")  # type: ignore[arg-type]
            elif kind == "warn":
                out.append(f"<p>⚠️ <b>{_html_line(value)}</b></p>")  # type: ignore[arg-type]
            elif kind == "ul":
                heading, lines = value  # type: ignore[misc]
                if heading:
                    out.append(f"<p><b>{_esc(heading)}</b></p>")
                items = "".join(f"<li>{_html_line(line)}</li>" for line in lines)
                out.append(f"<ul>{items}</ul>")
            elif kind == "table":
                header, rows = value  # type: ignore[misc]
                head = "".join(f"<th>{_esc(h)}</th>" for h in header)
                body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in rows)
                out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        return "".join(out)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _safe_url(url: str) -> str:
    return url if urllib.parse.urlsplit(url).scheme.lower() in ("http", "https") else ""


def _unlinked(link: Link) -> str:
    """A link whose URL is not http(s) shows neither the URL nor a link."""
    return "" if link.text == link.url else link.text


def _plain_line(parts: Line) -> str:
    out = []
    for part in parts:
        if isinstance(part, Link):
            url = _safe_url(part.url)
            out.append(f"{part.text} ({url})" if url and part.text != url else (url or _unlinked(part)))
        elif isinstance(part, (Bold, Ref)):
            out.append(part.text)
        else:
            out.append(part)
    return "".join(out)


def _html_line(parts: Line) -> str:
    out = []
    for part in parts:
        if isinstance(part, Link):
            url = _safe_url(part.url)
            out.append(f'<a href="{_esc(url)}">{_esc(part.text)}</a>' if url else _esc(_unlinked(part)))
        elif isinstance(part, Bold):
            out.append(f"<b>{_esc(part.text)}</b>")
        elif isinstance(part, Ref):
            url = _safe_url(part.url)
            out.append(f'<a href="{_esc(url)}">{_esc(part.text)}</a>' if url else _esc(part.text))
        else:
            out.append(_esc(part))
    return "".join(out)


def _width(text: str) -> int:
    """Columns ``text`` takes in a monospace font: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _plain_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- words ---------------------------------------------------------------------------------

#: Fact labels and values, ``WORDS[key][lang]``, from the phrase catalogue.
WORDS: dict[str, dict[str, str]] = phrases.by_key("words")


def w(key: str, lang: str, **kwargs: object) -> str:
    text = WORDS[key].get(lang) or WORDS[key]["en"]
    return text.format(**kwargs) if kwargs else text


#: The reply languages with only the bundled pack loaded (``Engine.langs`` with a site).
BUNDLED_LANGS = ("nl", "en")


def language_list(langs: Sequence[str], lang: str, last: str = "and") -> str:
    """The reply languages named in ``lang``, English last ("Dutch and English"; with the site
    "Dutch, Spanish, …, Chinese (Taiwan) and English"); ``last``: "and" or "or"."""
    names = [w(f"lang_{x}", lang) for x in (*(x for x in langs if x != "en"), *(("en",) if "en" in langs else ()))]
    if len(names) < 2:
        return "".join(names)
    return w("list_sep", lang).join(names[:-1]) + w(f"{last}_sep", lang) + names[-1]


def _sep(lang: str) -> str:
    """What follows a label or a name before its value ("Platforms: Android"), per language
    (French " : ", Chinese "："), from the catalogue."""
    return w("label_sep", lang)


def _status_line(entry: Entry, lang: str) -> str:
    return w(entry.current_status, lang)


def _bool(value: bool | None, lang: str) -> str:
    return w("unknown", lang) if value is None else w("yes" if value else "no", lang)


def fact_e2ee(entry: Entry, lang: str) -> str:
    e = entry.facts.e2ee
    if e.default is None and e.all_messages is None and e.calls is None:
        return w("unknown", lang)
    if not e.default:
        return w("no", lang) if e.default is False else w("unknown", lang)
    parts = [w("by_default", lang)]
    if e.all_messages:
        parts.append(w("all_messages", lang))
    if e.calls:
        parts.append(w("calls", lang))
    return ", ".join(parts)


def fact_fs(entry: Entry, lang: str) -> str:
    fs = entry.facts.forward_secrecy
    return w(fs, lang) if fs else w("unknown", lang)


def fact_network(entry: Entry, lang: str) -> str:
    network = entry.facts.network
    return w(network, lang) if network else w("unknown", lang)


def _idents(items: tuple[str, ...] | None, lang: str) -> str:
    if items is None:
        return w("unknown", lang)
    return ", ".join(w(i, lang) for i in items) if items else w("nothing", lang)


def fact_signup(entry: Entry, lang: str) -> str:
    return _idents(entry.facts.identifiers.signup, lang)


def fact_shared(entry: Entry, lang: str) -> str:
    return _idents(entry.facts.identifiers.shared, lang)


def fact_platforms(entry: Entry, lang: str) -> str:
    return ", ".join(PLATFORM_NAMES.get(p, p) for p in entry.facts.platforms) or w("unknown", lang)


def fact_audits(entry: Entry, lang: str) -> str:
    audits = entry.facts.audits
    if not audits:
        return w("none_listed", lang) if entry.facts.network else w("unknown", lang)
    return "; ".join(f"{a.year}" + (f" ({a.by})" if a.by else "") for a in audits)


def fact_offline(entry: Entry, lang: str) -> str:
    o = entry.facts.offline
    ways = [name for name, on in (("Wi-Fi", o.wifi), ("Bluetooth", o.bluetooth)) if on]
    if ways:
        return ", ".join(ways)
    return _bool(o.mesh, lang)


def fact_routing(entry: Entry, lang: str) -> str:
    routing = entry.facts.anonymous_routing
    if routing is None:
        return w("unknown", lang)
    return ", ".join("Tor" if r == "tor" else "onion routing" for r in routing) or w("no", lang)


def fact_calls(entry: Entry, lang: str) -> str:
    c = entry.facts.calls
    kinds = [w(k, lang) for k, on in (("voice", c.voice), ("video", c.video), ("group", c.group)) if on]
    if not kinds:
        return w("no", lang) if c.voice is False else w("unknown", lang)
    text = ", ".join(kinds)
    if c.group and c.group_encrypted:
        text += f" ({w('group_encrypted', lang)})"
    return text


#: Privacy Guides publishes its content under this licence; shown wherever it is the source.
PRIVACY_GUIDES_LICENCE = Link("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/")


def _source_line(kb: KnowledgeBase, entry: Entry, lang: str) -> Line:
    """"Source: PAGE (LANG, DATE; licence)": the entry's category page in the reply language
    when that page is loaded in it (else the entry's own source, the English one for a site)."""
    return _source_parts(_page_source(kb, entry, lang), lang)


def _source_parts(s: Source, lang: str) -> Line:
    meta = ", ".join(x for x in (s.lang, s.date) if x)
    line: Line = [f"{w('source', lang)}{_sep(lang)}", Link(s.page, s.url) if s.url else s.page]
    licensed = "privacyguides.org" in s.url
    if meta or licensed:
        line += [f" ({meta}"]
        if licensed:
            line += ["; " if meta else "", PRIVACY_GUIDES_LICENCE]
        line += [")"]
    return line


MAX_SOURCES_NAMED = 3  # source lines under a list, filter or comparison of site cards


def _site_sources(doc: Doc, kb: KnowledgeBase, entries: Sequence[Entry], lang: str) -> None:
    """Under a reply that shows site cards' own texts (their ids are PAGE/NAME), the pages they
    come from, attributed (CC BY-SA 4.0) like a card's source line; curated entries add nothing."""
    seen: dict[str, Entry] = {}
    for entry in entries:
        if "/" in entry.id and entry.category and entry.category not in seen:
            seen[entry.category] = entry
    for entry in list(seen.values())[:MAX_SOURCES_NAMED]:
        doc.para(*_source_line(kb, entry, lang))


def _page_source(kb: KnowledgeBase, entry: Entry, lang: str) -> Source:
    """The source to name for an entry: its category's page in ``lang`` if loaded (titled in
    ``lang``), else its own source with the category's title where it has one."""
    s = entry.source
    category = kb.category(entry.category) if entry.category else None
    if category is None or (s.url and page_of_url(s.url) != category.path):
        return s  # an entry described by another page (a not-listed app's own source)
    if not any(x.url == s.url.split("#", 1)[0] and x.date == s.date for x in category.sources):
        return dataclasses.replace(s, page=category.title.get(lang) or s.page)  # another state of the page
    title = category.title.get(lang) or s.page
    in_lang = next((x for x in category.sources if x.lang == lang), None)
    if in_lang is None:
        return dataclasses.replace(s, page=title)
    return dataclasses.replace(in_lang, page=title, date=in_lang.date or category.date)


# --- replies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    text: str
    html: str


def _done(doc: Doc) -> Reply:
    return Reply(doc.plain(), doc.html())


_LTR_PARTS = re.compile(r"<a href=[^>]*>.*?</a>|<b>(?:(?!</b>)[^\u0590-\u08ff])*</b>")


def directed(reply: Reply, lang: str) -> Reply:
    """A reply in a right-to-left language: its HTML in one ``dir="rtl"`` element, with links
    and left-to-right bold names (product names, commands) isolated as ``dir="ltr"`` spans so
    their punctuation stays in place. The plain text is left as it is (clients apply the
    bidi algorithm to it)."""
    if not phrases.is_rtl(lang) or not reply.html:
        return reply
    body = _LTR_PARTS.sub(lambda m: f'<span dir="ltr">{m.group(0)}</span>', reply.html)
    return Reply(reply.text, f'<div dir="rtl">{body}</div>')


def _entry_caveats(kb: KnowledgeBase, entry: Entry, lang: str) -> tuple[list[str], list[str]]:
    """Warnings (page-level and status) first, then the entry's own caveats: never omitted."""
    warnings = [warning.text.get(lang) for warning in kb.warnings_for(entry)]
    if entry.current_status in ("removed", "moved"):
        latest = next((u for u in reversed(entry.updates) if u.date), None)
        note = w(entry.current_status, lang).capitalize()
        warnings.insert(0, f"{note} {SAY[lang]['since']} {latest.date}" if latest else note)
    return warnings, [c.get(lang) for c in entry.caveats]


def card(
    kb: KnowledgeBase, entry: Entry, lang: str, focus: tuple[PropertyQuery, ...] = (), lead: list[Line] | None = None,
    prefix: str = "!",
) -> Reply:
    """One entry's card; ``lead`` lines (a yes/no answer) come first, then the short card."""
    reply = _done(_card_doc(kb, entry, lang, focus, clip=False, lead=lead, prefix=prefix))
    if len(reply.text) > PLAIN_LIMIT:  # long (imported) texts: clip them, keep every caveat
        reply = _done(_card_doc(kb, entry, lang, focus, clip=True, lead=lead, prefix=prefix))
    return reply


def _card_doc(kb: KnowledgeBase, entry: Entry, lang: str, focus: tuple[PropertyQuery, ...], clip: bool,
              lead: list[Line] | None = None, prefix: str = "!") -> Doc:
    def cut(text: str, limit: int) -> str:
        return _clip(text, limit) if clip else text

    doc = Doc()
    for line in lead or ():
        doc.para(*line)
    doc.title(entry.name, f" ({w(entry.current_status, lang)})")
    if entry.current_status == "not_listed":
        return _not_listed_doc(kb, entry, lang, doc, clip)
    for query in [q for q in focus if applies_to(q.prop, entry)] if not lead else ():
        label = query.prop.label.get(lang, query.prop.label["en"])
        doc.para(Bold(f"{label}{_sep(lang)}{_bool(query.prop.test(entry), lang)}"))
    warnings, caveats = _entry_caveats(kb, entry, lang)
    for warning in warnings:
        doc.warn(cut(warning, 220))
    if entry.has_messenger_facts:
        doc.para(cut(entry.summary.get(lang), 240))
    else:  # the card's own text: its description, of which the summary is the first sentence
        doc.para(cut(_own_text(entry, lang), 600) if not clip else _clip(_own_text(entry, lang), 240))
    parent = kb.get(entry.client_of) if entry.client_of else None
    if parent is not None:
        doc.para(w("client_of", lang, name=parent.name))
    doc.bullets(_fact_lines(entry, lang))
    doc.bullets([[cut(c, 160)] for c in caveats], w("caveats", lang) + ":")
    updates = entry.updates[-3:] if clip else entry.updates
    doc.bullets(
        [[f"{u.date}{_sep(lang)}", cut(u.text.get(lang), 140)] for u in updates],
        w("updates", lang, date=entry.source.date or "?") + _sep(lang).rstrip(),
    )
    doc.para(*_also_on(kb, entry, lang, prefix))
    homepage = entry.link("homepage") or entry.link("repository")
    if homepage:
        doc.para(f"{w('homepage', lang)}{_sep(lang)}", Link(homepage, homepage))
    doc.para(*_source_line(kb, entry, lang))
    return doc


def _own_text(entry: Entry, lang: str) -> str:
    """The card's text: its description when that starts with its summary (an imported card),
    else the summary. Paragraphs joined by a space, since a card's text is one paragraph here."""
    summary, description = entry.summary.get(lang), entry.description.get(lang)
    text = description if description and description.startswith(summary) else summary
    return " ".join(text.split())


def category_title(kb: KnowledgeBase, path: str, lang: str) -> str:
    """A category's title in ``lang`` (else English, else any), or its path when it is not loaded."""
    category = kb.category(path)
    return (category.title.get(lang) if category else "") or path


def _also_on(kb: KnowledgeBase, entry: Entry, lang: str, prefix: str = "!") -> Line:
    """"Also recommended under Mobile Browsers (!info mobile-browsers/brave)": the pages of the
    entry's twins, each with how to ask for that card; bounded."""
    twins = [t for t in (kb.get(i) for i in entry.also_on[:SHOW_AT_MOST]) if t is not None]
    if not twins:
        return []
    titles = [f"{category_title(kb, t.category, lang)} ({w('also_on_ask', lang, prefix=prefix, id=t.id)})" for t in twins]
    listed = titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + SAY[lang]["and"] + titles[-1]
    return [w("also_on", lang, titles=listed)]


def _fact_lines(entry: Entry, lang: str) -> list[Line]:
    if not entry.has_messenger_facts:
        return _common_fact_lines(entry, lang)
    f = entry.facts
    lines: list[Line] = [
        [f"{w('e2ee', lang)}{_sep(lang)}{fact_e2ee(entry, lang)}"],
        [f"{w('fs', lang)}{_sep(lang)}{fact_fs(entry, lang)}"],
        [f"{w('network', lang)}{_sep(lang)}{fact_network(entry, lang)}"],
        [f"{w('signup', lang)}{_sep(lang)}{fact_signup(entry, lang)}; {w('shared', lang)}{_sep(lang)}{fact_shared(entry, lang)}"],
        [f"{w('platforms', lang)}{_sep(lang)}{fact_platforms(entry, lang)}"],
        [f"{w('audits', lang)}{_sep(lang)}{fact_audits(entry, lang)}"],
    ]
    if f.anonymous_routing:
        lines.append([f"{w('routing', lang)}{_sep(lang)}{fact_routing(entry, lang)}"])
    if f.offline.mesh or f.offline.wifi or f.offline.bluetooth:
        lines.append([f"{w('offline', lang)}{_sep(lang)}{fact_offline(entry, lang)}"])
    if f.group_limit:
        lines.append([w("group_limit", lang, n=f.group_limit)])
    return lines


def fact_open_source(entry: Entry, lang: str) -> str:
    return _bool(entry.facts.open_source.client, lang)


MAX_DOWNLOADS = 8  # download channels named on one card


def _common_fact_lines(entry: Entry, lang: str) -> list[Line]:
    """What every card states, whatever its category: platforms (from its downloads), open
    source (from a source link), audits, downloads and links; never the messenger facts."""
    lines: list[Line] = [[f"{w('platforms', lang)}{_sep(lang)}{fact_platforms(entry, lang)}"]]
    source = entry.link("source") or entry.link("repository")
    open_source: Line = [f"{w('open_source', lang)}{_sep(lang)}{fact_open_source(entry, lang)}"]
    if source and entry.facts.open_source.client:
        open_source += [" (", Ref(w("source_code", lang), source), ")"]
    lines.append(open_source)
    audits = entry.facts.audits
    if audits:
        line: Line = [f"{w('audits', lang)}{_sep(lang)}"]
        for n, audit in enumerate(sorted(audits, key=lambda a: (a.year, a.month or 0), reverse=True)[:5]):
            label = f"{audit.year}" + (f" ({audit.by})" if audit.by else "")
            line += ([", "] if n else []) + [Ref(label, audit.url) if audit.url else label]
        lines.append(line)
    if entry.downloads:
        channels = list(dict.fromkeys(d.channel for d in entry.downloads))
        urls = {d.channel: d.url for d in reversed(entry.downloads)}
        line = [f"{w('downloads', lang)}{_sep(lang)}"]
        line += _joined([Ref(c, urls[c]) for c in channels[:MAX_DOWNLOADS]], ", ")
        if len(channels) > MAX_DOWNLOADS:
            line.append(" " + SAY[lang]["more"].format(n=len(channels) - MAX_DOWNLOADS))
        lines.append(line)
    links = [(kind, entry.link(kind)) for kind in ("privacy_policy", "documentation") if entry.link(kind)]
    if links:
        lines.append([f"{w('links', lang)}{_sep(lang)}", *_joined([Ref(w(kind, lang), url) for kind, url in links], ", ")])
    return lines


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


COMPARE_ROWS = (
    ("status", lambda e, lang: _status_line(e, lang)),
    ("e2ee", fact_e2ee),
    ("fs", fact_fs),
    ("network", fact_network),
    ("signup", fact_signup),
    ("shared", fact_shared),
    ("platforms", fact_platforms),
    ("offline", fact_offline),
    ("routing", fact_routing),
    ("calls_row", fact_calls),
    ("audits", fact_audits),
)


#: Rows every card can fill, whatever its category (the rest are messenger facts).
COMMON_ROWS = ("status", "platforms", "open_source", "audits")


def _compare_rows(kb: KnowledgeBase, entries: list[Entry], lang: str) -> list[list[str]]:
    """Messengers only: the messenger table. Otherwise each side's category, then only the rows
    that apply to at least one side; a messenger fact of a non-messenger reads "n/a"."""
    if all(e.has_messenger_facts for e in entries):
        return [[w(key, lang).capitalize(), *(fact(e, lang) for e in entries)] for key, fact in COMPARE_ROWS]
    any_messenger = any(e.has_messenger_facts for e in entries)
    rows = [
        [w("status", lang), *(_status_line(e, lang) for e in entries)],
        [w("category", lang), *(category_title(kb, e.category, lang) for e in entries)],
    ]
    at = next(i for i, (key, _) in enumerate(COMPARE_ROWS) if key == "platforms") + 1
    for key, fact in (*COMPARE_ROWS[1:at], ("open_source", fact_open_source), *COMPARE_ROWS[at:]):
        if key in COMMON_ROWS:
            rows.append([w(key, lang).capitalize(), *(fact(e, lang) for e in entries)])
        elif any_messenger:
            na = w("not_applicable", lang)
            rows.append([w(key, lang).capitalize(), *(fact(e, lang) if e.has_messenger_facts else na for e in entries)])
    return rows


def compare(kb: KnowledgeBase, entries: list[Entry], lang: str, prefix: str = "!") -> Reply:
    doc = Doc()
    doc.title(" vs ".join(e.name for e in entries))
    header = ["", *(e.name for e in entries)]
    doc.table(header, _compare_rows(kb, entries, lang))
    for entry in entries:
        warnings, caveats = _entry_caveats(kb, entry, lang)
        notes = [_first_sentence(x) for x in warnings]
        notes += [_clip(c, 120) for c in caveats if not any(c.startswith(n) for n in notes)]
        if notes:
            doc.bullets([[n] for n in notes], f"{w('caveats', lang)} — {entry.name}:")
    doc.para(SAY[lang]["compare_more"].format(prefix=prefix))
    _site_sources(doc, kb, entries, lang)
    return _done(doc)


def filter_reply(
    kb: KnowledgeBase,
    matches: list[tuple[Entry, list[PropertyQuery]]],
    misses: list[Entry],
    unknown: list[Entry],
    queries: list[PropertyQuery],
    lang: str,
    why: list[str] | None = None,
) -> Reply:
    """Which entries match; ``why``: the situations the asked properties were read from."""
    doc = Doc()
    for reason in why or ():
        doc.para(SAY[lang]["because"].format(why=reason))
    asked = ", ".join(_query_label(q, lang) for q in queries)
    if matches:
        doc.title(SAY[lang]["filter_title"].format(asked=asked))
        lines: list[Line] = []
        for entry, deciding in matches[:SHOW_AT_MOST]:
            reasons = "; ".join(dict.fromkeys(_reason(entry, q, lang) for q in deciding)) or asked
            status = "" if entry.current_status in ("recommended",) else f" [{w(entry.current_status, lang)}]"
            lines.append([Bold(entry.name), f"{status}{_sep(lang)}{reasons}"])
        if len(matches) > SHOW_AT_MOST:
            lines.append([SAY[lang]["more"].format(n=len(matches) - SHOW_AT_MOST)])
        doc.bullets(lines)
    else:
        doc.title(SAY[lang]["filter_none"].format(asked=asked))
    if misses:
        doc.para(SAY[lang]["filter_not"], _names(misses, lang))
    if unknown:
        doc.para(SAY[lang]["filter_unknown"], _names(unknown, lang))
    shown = [e for e, _ in matches[:SHOW_AT_MOST]]
    warned = [e for e in shown if kb.warnings_for(e) or e.current_status in ("removed", "moved")]
    for entry in warned:
        warnings, _ = _entry_caveats(kb, entry, lang)
        doc.warn(f"{entry.name}{_sep(lang)}" + "; ".join(_first_sentence(x) for x in warnings))
    _site_sources(doc, kb, shown, lang)
    return _done(doc)


def _names(entries: list[Entry], lang: str) -> str:
    names = ", ".join(e.name for e in entries[:SHOW_AT_MOST])
    if len(entries) > SHOW_AT_MOST:
        names += " " + SAY[lang]["more"].format(n=len(entries) - SHOW_AT_MOST)
    return names


def _first_sentence(text: str) -> str:
    head = text.split(". ")[0].split(": ")[0]
    return _clip(head.rstrip("."), 120)


def _query_label(query: PropertyQuery, lang: str) -> str:
    label = query.prop.label.get(lang, query.prop.label["en"])
    return f"{SAY[lang]['not']} {label}" if query.negated else label


# The fact that decides each property family, as (label key, fact function).
FAMILY_FACTS = {
    "platform": ("platforms", fact_platforms),
    "network": ("network", fact_network),
    "forward_secrecy": ("fs", fact_fs),
    "offline": ("offline", fact_offline),
    "routing": ("routing", fact_routing),
    "calls": ("calls_row", fact_calls),
    "audits": ("audits", fact_audits),
}


def _reason(entry: Entry, query: PropertyQuery, lang: str) -> str:
    """The fact that decided, stated plainly ("sign-up needs: nothing")."""
    family = query.prop.family
    if family == "identity":
        return f"{w('signup', lang).lower()}{_sep(lang)}{fact_signup(entry, lang)}; {w('shared', lang)}{_sep(lang)}{fact_shared(entry, lang)}"
    if family in FAMILY_FACTS:
        key, fact = FAMILY_FACTS[family]
        return f"{w(key, lang).lower()}{_sep(lang)}{fact(entry, lang)}"
    if family == "groups" and entry.facts.group_limit:
        note = entry.facts.group_limit_note.get(lang)
        return w("group_limit", lang, n=entry.facts.group_limit) + (f" ({_clip(note, 100)})" if note else "")
    value = query.prop.test(entry)
    return f"{query.prop.label.get(lang, query.prop.label['en'])}{_sep(lang)}{_bool(value, lang)}"


def entry_list(kb: KnowledgeBase, lang: str, prefix: str = "!", category: str | None = None) -> Reply:
    """The picks of ``kb``; ``category``: the title of the one category they are the picks of."""
    doc = Doc()
    doc.title(SAY[lang]["list_title_category"].format(category=category) if category else SAY[lang]["list_title"])
    current = [e for e in kb.entries if e.current_status == "recommended"]
    other = [e for e in kb.entries if e.current_status not in ("recommended", "not_listed")]
    lines = [[Bold(e.name), f"{_sep(lang)}{_clip(e.summary.get(lang), 150)}"] for e in current[:SHOW_AT_MOST]]
    if len(current) > SHOW_AT_MOST:
        lines.append([SAY[lang]["more"].format(n=len(current) - SHOW_AT_MOST)])
    doc.bullets(lines)
    if other:
        lines = []
        for entry in other[:SHOW_AT_MOST]:
            warnings, _ = _entry_caveats(kb, entry, lang)
            lines.append([Bold(entry.name), _sep(lang), "; ".join(_first_sentence(x) for x in warnings)])
        doc.bullets(lines, SAY[lang]["list_other"])
    if category and len(current) >= 2:  # the example names are this category's own
        one, two = (e.name.split(" (")[0].lower() for e in current[:2])
        doc.para(SAY[lang]["list_more_category"].format(prefix=prefix, one=one, two=two))
    else:
        doc.para(SAY[lang]["list_more"].format(prefix=prefix))
    _site_sources(doc, kb, current[:SHOW_AT_MOST] + other[:SHOW_AT_MOST], lang)
    return _done(doc)


CRITERIA_BUDGET = 3000  # characters of criteria text in one reply; the rest are counted
CRITERION_CLIP = 240  # one criterion's text
MAX_CATEGORIES_LISTED = 40  # categories named by a bare !criteria


def criteria(
    kb: KnowledgeBase, lang: str, entry: Entry | None = None, category: Category | None = None, prefix: str = "!",
    asked: str = "",
) -> Reply:
    """The criteria of ``category``, else of ``entry``'s category (with ✓/✗ where its facts
    tell), else of the only category that has criteria; with several and none asked for, which
    categories have criteria and how to ask (``asked``: what was asked for, when it named
    nothing known). Minimum and best case under the page's topic groups where it has them;
    bounded (CRITERIA_BUDGET), the rest counted, then the page."""
    doc = Doc()
    if not kb.criteria:
        doc.para(SAY[lang]["no_criteria"])
        return _done(doc)
    if category is None and entry is not None and entry.category:
        category = kb.category(entry.category)
    with_criteria = [c for c in kb.categories if c.criteria]
    if category is None and len(with_criteria) > 1:
        return _criteria_categories(kb, with_criteria, lang, prefix, asked)
    if category is None or not category.criteria:
        items = [c for c in kb.criteria if entry is None or _same_page(c, entry)]
    else:
        items = [c for c in (kb.criterion(i) for i in category.criteria) if c is not None]
    title = category_title(kb, category.path, lang) if category else ""
    if not items:  # a page without criteria of its own (a toolbox tip)
        doc.para(SAY[lang]["no_criteria_page"].format(title=title))
        return _done(doc)
    marks = entry is not None and any(meets_criterion(entry, c.id) is not None for c in items)

    def line(c) -> Line:
        since = f" ({SAY[lang]['since']} {c.since})" if c.since else ""
        text = _clip(c.text.get(lang), CRITERION_CLIP)
        if not marks:
            return [text + since]
        met = meets_criterion(entry, c.id)  # type: ignore[arg-type]
        mark = "✓" if met else ("✗" if met is False else "?")
        return [f"{mark} {text}{since}"]

    if entry is not None and marks:
        met = sum(1 for c in items if c.level == "minimum" and meets_criterion(entry, c.id))
        total = sum(1 for c in items if c.level == "minimum")
        doc.title(SAY[lang]["criteria_entry"].format(name=entry.name, met=met, total=total))
    elif entry is not None:
        doc.title(SAY[lang]["criteria_of_entry"].format(name=entry.name, title=title))
    elif category is None or category.fact_schema == "messenger":
        doc.title(SAY[lang]["criteria_title"])
    else:
        doc.title(SAY[lang]["criteria_category"].format(title=title))
    if entry is not None:
        warnings, _ = _entry_caveats(kb, entry, lang)
        for warning in warnings:
            doc.warn(_clip(warning, 220))
    budget, left = CRITERIA_BUDGET, 0
    for group, level, group_items in _criteria_sections(items, lang):
        lines: list[Line] = []
        for c in group_items:
            shown = line(c)
            size = len(_plain_line(shown))
            if size > budget and budget < CRITERIA_BUDGET:  # over budget (the first one always shows)
                left += 1
                continue
            budget -= size
            lines.append(shown)
        heading = SAY[lang][level]
        doc.bullets(lines, f"{group} — {heading[0].lower()}{heading[1:]}" if group else heading)
    if left:
        doc.para(SAY[lang]["more"].format(n=left))
    if category is not None and any("/" in c.id for c in items):  # a site page's criteria: name and attribute it
        doc.para(*_category_source_line(category, lang, title))
    return _done(doc)


def _criteria_sections(items: list, lang: str) -> list[tuple[str, str, list]]:
    """(group heading, level, criteria) in page order: per topic group where the page has
    groups, each with its minimum then its best case; else minimum, then best case."""
    groups = list(dict.fromkeys(c.group.get(lang) for c in items))
    return [
        (group, level, [c for c in items if c.group.get(lang) == group and c.level == level])
        for group in groups
        for level in ("minimum", "best")
    ]


def _category_source_line(category: Category, lang: str, title: str) -> Line:
    """The category's page in ``lang`` (else English), as a source line."""
    found = next((s for s in category.sources if s.lang == lang), None)
    found = found or next((s for s in category.sources if s.url == category.url(lang)), None)
    if found is None:
        return [f"{w('source', lang)}{_sep(lang)}", title]
    return _source_parts(dataclasses.replace(found, page=title, date=found.date or category.date), lang)


def _criteria_categories(kb: KnowledgeBase, categories: list[Category], lang: str, prefix: str, asked: str = "") -> Reply:
    """Which categories have criteria, and how to ask for one (bounded)."""
    doc = Doc()
    if asked:
        doc.para(SAY[lang]["unknown_entry"].format(asked=echo(asked)))
    doc.title(SAY[lang]["criteria_which"].format(n=len(categories)))
    names = [f"{category_title(kb, c.path, lang)} ({c.path})" for c in categories[:MAX_CATEGORIES_LISTED]]
    more = len(categories) - len(names)
    doc.para(", ".join(names) + (" " + SAY[lang]["more"].format(n=more) if more else ""))
    example = min((c.path for c in categories if c.fact_schema != "messenger"), key=len, default=categories[0].path)
    doc.para(SAY[lang]["criteria_ask"].format(prefix=prefix, command="eisen" if lang == "nl" else "criteria", example=example))
    return _done(doc)


def caveats(kb: KnowledgeBase, entry: Entry, lang: str) -> Reply:
    if entry.current_status == "not_listed":
        return card(kb, entry, lang)  # what it misses and what to use instead is the whole story
    doc = Doc()
    doc.title(SAY[lang]["caveats_title"].format(name=entry.name))
    warnings, own = _entry_caveats(kb, entry, lang)
    for warning in warnings:
        doc.warn(warning)
    doc.bullets([[c] for c in own])
    if not warnings and not own:
        doc.para(SAY[lang]["no_caveats"])
    doc.bullets([[f"{u.date}{_sep(lang)}", u.text.get(lang)] for u in entry.updates], w("updates", lang, date=entry.source.date or "?") + _sep(lang).rstrip())
    doc.para(*_source_line(kb, entry, lang))
    return _done(doc)


# --- apps Privacy Guides does not recommend ---------------------------------------------------

# How each criterion is read from the facts: True met, False missed, None the facts do not say.
CRITERION_TESTS: dict[str, tuple[str, object]] = {
    "open_source_clients": ("open_source", lambda f: f.open_source.client),
    "e2ee_default": ("e2ee", lambda f: f.e2ee.default),
    "e2ee_default_best": ("e2ee", lambda f: f.e2ee.default),
    "e2ee_all_messages": ("e2ee", lambda f: f.e2ee.all_messages),
    "independent_audit": ("audits", lambda f: True if f.audits else None),
    "no_identifiers_shared": (
        "identifiers", lambda f: None if f.identifiers.shared is None else not ({"phone", "email"} & set(f.identifiers.shared))
    ),
    "forward_secrecy_required": ("forward_secrecy", lambda f: None if f.forward_secrecy is None else f.forward_secrecy == "yes"),
    "forward_secrecy": ("forward_secrecy", lambda f: None if f.forward_secrecy is None else f.forward_secrecy == "yes"),
    "open_source_servers": ("open_source", lambda f: f.open_source.server),
    "decentralized": ("network", lambda f: None if f.network is None else f.network != "centralized"),
    "all_platforms": ("platforms", lambda f: None if not f.platforms else {"android", "ios", "windows", "macos", "linux"} <= set(f.platforms)),
}


def meets_criterion(entry: Entry, criterion_id: str) -> bool | None:
    """Whether an entry meets a criterion: the curated meets/misses first, else its facts."""
    if criterion_id in entry.meets:
        return True
    if criterion_id in entry.misses:
        return False
    test = CRITERION_TESTS.get(criterion_id)
    return None if test is None else test[1](entry.facts)  # type: ignore[operator]


def missed_minimum(kb: KnowledgeBase, entry: Entry) -> list:
    """The minimum criteria of the entry's own page that it misses."""
    return [c for c in kb.criteria if c.level == "minimum" and _same_page(c, entry) and meets_criterion(entry, c.id) is False]


def _same_page(item: object, entry: Entry) -> bool:
    page = getattr(item, "category", "")
    return not page or not entry.category or page == entry.category


def alternatives(kb: KnowledgeBase, entry: Entry, lang: str) -> list[tuple[str, list[Entry]]]:
    """Recommended entries for the same need, by what this entry lacks: (reason, entries)."""
    recommended = [e for e in kb.entries if e.current_status == "recommended" and not e.client_of and _same_page(e, entry)]
    out: list[tuple[str, list[Entry]]] = []
    signup = entry.facts.identifiers.signup
    if signup is not None:  # what it lacks (a phone number to sign up), or what it is used for (signing up without one)
        fits = [e for e in recommended if e.facts.identifiers.signup is not None and "phone" not in e.facts.identifiers.signup]
        if fits:
            out.append((SAY[lang]["alt_no_phone" if "phone" in signup else "alt_also_no_phone"], fits))
    for criterion in missed_minimum(kb, entry):
        fits = [e for e in recommended if meets_criterion(e, criterion.id)]
        if fits:
            out.append((_first_sentence(criterion.text.get(lang)).rstrip(".").lower(), fits))
    if not out and recommended:
        out.append((SAY[lang]["alt_any"], recommended))
    return out[:3]


def _evidence(entry: Entry, fact: str):
    """The evidence for a fact or any part of it ("e2ee" is backed by an item naming "e2ee.default")."""
    found = entry.evidence_for(fact)
    if found is None:
        found = next((e for e in entry.evidence if any(f.startswith(fact + ".") for f in e.facts)), None)
    return found


def _dated(entry: Entry, fact: str) -> list[Inline]:
    """Where a fact of a not_listed entry comes from, with its date."""
    item = _evidence(entry, fact)
    if item is None:
        return []
    host = (urllib.parse.urlsplit(item.url).hostname or item.url).removeprefix("www.")
    return [" (", Ref(f"{host}, {item.date}", item.url), ")"]


_NOT_LISTED_FACTS = (
    ("e2ee", "e2ee", fact_e2ee),
    ("forward_secrecy", "fs", fact_fs),
    ("network", "network", fact_network),
    ("identifiers", "signup", None),
    ("platforms", "platforms", fact_platforms),
    ("open_source", "open_source", None),
    ("audits", "audits", fact_audits),
)


def _not_listed_doc(kb: KnowledgeBase, entry: Entry, lang: str, doc: Doc, clip: bool) -> Doc:
    doc.warn(SAY[lang]["not_listed"].format(name=entry.name))
    doc.para(_clip(entry.summary.get(lang), 110 if clip else 240))
    missed = missed_minimum(kb, entry)
    if missed:
        lines = []
        for c in missed:
            fact = CRITERION_TESTS.get(c.id, ("", None))[0]
            lines.append([f"✗ {_clip(c.text.get(lang), 70) if clip else c.text.get(lang)}", *(_dated(entry, fact) if fact else [])])
        doc.bullets(lines, SAY[lang]["misses"])
    facts: list[Line] = []
    for fact, label, render_fact in _NOT_LISTED_FACTS:
        if _evidence(entry, fact) is None and fact != "audits":
            continue
        if fact == "identifiers":
            value = f"{fact_signup(entry, lang)}; {w('shared', lang)}{_sep(lang)}{fact_shared(entry, lang)}"
        elif fact == "open_source":
            o = entry.facts.open_source
            value = f"{w('apps', lang)}{_sep(lang)}{_bool(o.client, lang)}, server: {_bool(o.server, lang)}"
        else:
            value = render_fact(entry, lang)  # type: ignore[misc]
        if fact == "audits" and not entry.facts.audits:
            continue
        facts.append([f"{w(label, lang)}{_sep(lang)}{value}", *(_dated(entry, fact) if not clip or fact != "audits" else [])])
    doc.bullets(facts)
    doc.bullets([[_clip(c.get(lang), 90 if clip else 160)] for c in entry.caveats], w("caveats", lang) + ":")
    updates = entry.updates[-2:] if clip else entry.updates
    doc.bullets([[f"{u.date}{_sep(lang)}", _clip(u.text.get(lang), 120 if clip else 160)] for u in updates])
    alts = alternatives(kb, entry, lang)
    if alts:
        doc.bullets([[f"{reason}{_sep(lang)}", ", ".join(e.name for e in fits)] for reason, fits in alts[: 2 if clip else 3]],
                    SAY[lang]["instead"])
    if not clip:
        doc.para(SAY[lang]["not_listed_more"])
    homepage = entry.link("homepage")
    if homepage:
        doc.para(f"{w('homepage', lang)}{_sep(lang)}", Link(homepage, homepage))
    urls = list(dict.fromkeys(u for u in (entry.source.url, *(e.url for e in entry.evidence)) if _safe_url(u)))
    if urls:
        doc.para(f"{SAY[lang]['sources']}{_sep(lang)}", *_joined([Link(u, u) for u in urls[: 3 if clip else 6]], " · "))
    return doc


def _joined(parts: list[Inline], sep: str) -> list[Inline]:
    out: list[Inline] = []
    for n, part in enumerate(parts):
        out += [sep, part] if n else [part]
    return out


def yes_no_lead(kb: KnowledgeBase, entry: Entry, queries: tuple[PropertyQuery, ...] | list[PropertyQuery], lang: str) -> list[Line]:
    """"Yes: ..."/"No: ..." first, with the deciding fact and its date, for one entry."""
    verdicts = [q.matches(entry) for q in queries]
    if any(v is False for v in verdicts):
        key = "no"
    elif all(v for v in verdicts):
        key = "yes"
    else:
        key = "unknown"
    deciding = [q for q, v in zip(queries, verdicts) if (v is False if key == "no" else True)]
    reasons = "; ".join(dict.fromkeys(_reason(entry, q, lang) for q in deciding[:2]))
    line: Line = [Bold(f"{SAY[lang]['answer_' + key]}:"), f" {entry.name}, {reasons}"]
    for q in deciding[:2]:
        line += _fact_since(kb, entry, q, lang)
    return [line]


def not_applicable_lead(kb: KnowledgeBase, entry: Entry, queries: list[PropertyQuery], lang: str) -> list[Line]:
    """A yes/no question about a fact the entry's category does not have: say so, not "unknown"."""
    labels = ", ".join(dict.fromkeys(q.prop.label.get(lang, q.prop.label["en"]) for q in queries[:2]))
    title = category_title(kb, entry.category, lang)
    return [[Bold(f"{SAY[lang]['answer_unknown']}:"), " ", SAY[lang]["not_a_fact"].format(labels=labels, title=title)]]


_FAMILY_FACT_PATH = {
    "identity": "identifiers", "forward_secrecy": "forward_secrecy", "network": "network", "offline": "offline",
    "routing": "anonymous_routing", "platform": "platforms", "calls": "calls", "audits": "audits", "metadata": "metadata",
    "groups": "group_limit", "open_source": "open_source", "data": "data_transfer", "e2ee": "e2ee",
}


def _fact_since(kb: KnowledgeBase, entry: Entry, query: PropertyQuery, lang: str) -> list[Inline]:
    """The date of the deciding fact: its evidence, a later update that names it, or the source page."""
    path = _FAMILY_FACT_PATH.get(query.prop.family, "")
    if entry.evidence and path and _evidence(entry, path):
        return _dated(entry, path)
    for update in sorted(entry.updates, key=lambda u: u.date, reverse=True):  # the newest change that names it
        text = update.text.get(lang)
        if query.prop.pattern.search(normalize(text)) or query.prop.pattern.search(normalize(update.text.get("en"))):
            return [f". {SAY[lang]['since'].capitalize()} {update.date}{_sep(lang)}", _clip(text, 200)]
    return [f" ({SAY[lang]['as_of']} {entry.source.date})" if entry.source.date else ""]


def support(kb: KnowledgeBase, entry: Entry | None, lang: str, prefix: str = "!") -> Reply:
    """How-to and troubleshooting: not recbot's job; the app's own help, from the knowledge."""
    doc = Doc()
    docs = (entry.link("documentation") or entry.link("homepage") or entry.link("repository")) if entry else ""
    if entry is not None and docs:
        doc.para(SAY[lang]["support_entry"].format(name=entry.name), Link(docs, docs))
    else:
        doc.para(SAY[lang]["support"].format(prefix=prefix))
    return _done(doc)


def unknown_product(kb: KnowledgeBase, names: tuple[str, ...] | list[str], lang: str, prefix: str = "!") -> Reply:
    """One line: recbot does not know it; the list is where to look."""
    doc = Doc()
    named = SAY[lang]["and"].join(f"\u201c{_clip(n, 40)}\u201d" for n in names[:3])
    doc.para(SAY[lang]["unknown_product"].format(names=named, prefix=prefix))
    return _done(doc)


def other_language(
    entries: list[Entry], lang: str, prefix: str = "!", note_lang: str = "", langs: Sequence[str] = BUNDLED_LANGS
) -> Reply:
    """One line: recbot answers in ``langs`` (Dutch and English with the bundled pack); in
    ``note_lang`` (the question's) if given."""
    doc = Doc()
    if note_lang and note_lang != lang and note_lang in SAY:
        named = language_list(langs, note_lang)
        doc.para(SAY[note_lang]["other_language_in"].format(language=w(f"lang_{lang}", note_lang), languages=named))
    else:
        doc.para(SAY[lang]["other_language"].format(languages=language_list(langs, lang)))
    return _done(doc)


# (English name, Dutch name, example arguments in English, in Dutch)
HELP_LINES = (
    ("info", "kaart", "signal", "signal"),
    ("compare", "vergelijk", "signal element", "signal element"),
    ("list", "lijst", "", ""),
    ("which", "welke", "no phone number", "zonder telefoonnummer"),
    ("caveats", "nadelen", "session", "session"),
    ("criteria", "eisen", "briar", "briar"),
    ("sources", "bronnen", "", ""),
    ("about", "over", "", ""),
    ("help", "hulp", "", ""),
)
MODERATOR_HELP_LINES = (
    ("refresh", "vernieuw", "", ""),
    ("status", "toestand", "", ""),
    ("set", "instel", "language en", "taal en"),
    ("history", "geschiedenis", "", ""),
    ("feedback", "terugkoppeling", "", ""),
    ("unanswered", "onbeantwoord", "", ""),
)


def help_reply(
    lang: str, prefix: str = "!", moderator: bool | Collection[str] = False, notice: str = "",
    langs: Sequence[str] = BUNDLED_LANGS,
) -> Reply:
    """The command list; ``moderator``: the restricted commands to list too (True: all);
    ``langs``: the languages recbot answers in."""
    doc = Doc()
    if notice:
        doc.para(notice)
    doc.title(SAY[lang]["help_title"])
    lines = _help_lines(HELP_LINES, lang, prefix, langs)
    doc.bullets(lines)
    allowed = [row for row in MODERATOR_HELP_LINES if moderator is True or (moderator and row[0] in moderator)]
    if allowed:
        doc.bullets(_help_lines(allowed, lang, prefix, langs), SAY[lang]["help_moderators"])
    doc.para(SAY[lang]["help_free"].format(languages=language_list(langs, lang, "or")))
    return _done(doc)


def _help_lines(table, lang: str, prefix: str, langs: Sequence[str]) -> list[Line]:
    lines: list[Line] = []
    for en, nl, args_en, args_nl in table:
        name, other, args = (nl, en, args_nl) if lang == "nl" else (en, nl, args_en)
        example = f"{prefix}{name} {args}".strip()
        names = f"{prefix}{name} / {prefix}{other}" if lang in ("nl", "en") else f"{prefix}{name}"  # English commands work in every language
        lines.append([Bold(names), f" — {SAY[lang]['help_' + en].format(codes='|'.join(langs))} ", f"({SAY[lang]['example']}{_sep(lang)}{example})"])
    return lines


def did_you_mean(
    word: str, suggestion: str | None, lang: str, prefix: str = "!", moderator: bool | Collection[str] = False,
    langs: Sequence[str] = BUNDLED_LANGS,
) -> Reply:
    word = echo(word)
    if suggestion:
        notice = SAY[lang]["unknown_command_suggest"].format(word=f"{prefix}{word}", suggestion=f"{prefix}{suggestion}")
    else:
        notice = SAY[lang]["unknown_command"].format(word=f"{prefix}{word}")
    return help_reply(lang, prefix, moderator, notice, langs)


def unknown_entry(kb: KnowledgeBase, asked: str, lang: str, suggestions: list[Entry]) -> Reply:
    doc = Doc()
    doc.para(SAY[lang]["unknown_entry"].format(asked=echo(asked)))
    if suggestions:
        doc.para(SAY[lang]["did_you_mean"].format(names=", ".join(e.name for e in suggestions)))
    doc.para(SAY[lang]["known_entries"], ", ".join(e.name for e in kb.entries[:20]))
    return _done(doc)


def need_entries(kb: KnowledgeBase, lang: str, count: int, prefix: str = "!") -> Reply:
    doc = Doc()
    key = "need_two" if count >= 2 else "need_one"
    doc.para(SAY[lang][key].format(prefix=prefix))
    doc.para(SAY[lang]["known_entries"], ", ".join(e.name for e in kb.entries[:20]))
    return _done(doc)


SOURCES_MAX = 10  # pages listed by !sources; the rest are counted (like !status)


def sources(kb: KnowledgeBase, lang: str) -> Reply:
    """The source pages, one line per page (in the reply language where it is loaded in it,
    with how many languages it has), at most SOURCES_MAX; the rest are counted."""
    doc = Doc()
    doc.title(SAY[lang]["sources_title"])
    pages: dict[str, list[Source]] = {}
    for s in kb.sources:
        pages.setdefault(page_of_url(s.url) or s.page, []).append(s)
    lines: list[Line] = []
    for path, found in list(pages.items())[:SOURCES_MAX]:
        s = next((x for x in found if x.lang == lang), found[0])
        title = category_title(kb, path, lang) if kb.category(path) else s.page
        langs = len({x.lang for x in found})
        more = f"; {SAY[lang]['languages'].format(n=langs)}" if langs > 1 else ""
        lines.append([Link(title, s.url) if s.url else title, f" ({s.lang}, {s.date or '?'}{more})"])
    if len(pages) > SOURCES_MAX:
        lines.append([SAY[lang]["more"].format(n=len(pages) - SOURCES_MAX)])
    doc.bullets(lines)
    later = sorted({u.date for e in kb.entries for u in e.updates})
    if later:
        doc.para(SAY[lang]["sources_updates"].format(first=later[0], last=later[-1]))
    return _done(doc)


def moderator_only(lang: str) -> Reply:
    doc = Doc()
    doc.para(SAY[lang]["moderator_only"])
    return _done(doc)


def help_pointer(lang: str, prefix: str = "!") -> tuple[str, str]:
    """The short reply to a DM the bot did not understand."""
    doc = Doc()
    doc.para(SAY.get(lang, SAY["en"])["pointer"].format(prefix=prefix))
    return doc.plain(), doc.html()


#: The replies' phrases, ``SAY[lang][key]``, from the phrase catalogue.
SAY: dict[str, dict[str, str]] = phrases.section("replies")
