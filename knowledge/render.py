"""Replies people want to read, as plain text and HTML that say the same thing.

Every reply is first built as a small document (blocks of inline pieces), then written out
twice: plain text for ``body`` and HTML for ``formatted_body``. Every piece of text is escaped
in HTML, our own included, because an imported page is as untrusted as a question; links are
only ever http(s).
"""

from __future__ import annotations

import html
import urllib.parse
from collections.abc import Collection
from dataclasses import dataclass

from .model import Entry, KnowledgeBase
from .properties import PLATFORM_NAMES, PropertyQuery
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


def _plain_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- words ---------------------------------------------------------------------------------

WORDS: dict[str, dict[str, str]] = {
    "recommended": {"nl": "aanbevolen", "en": "recommended"},
    "additional": {"nl": "aanvullende optie", "en": "additional option"},
    "removed": {"nl": "niet meer aanbevolen", "en": "no longer recommended"},
    "moved": {"nl": "verplaatst naar een andere pagina", "en": "moved to another page"},
    "not_listed": {"nl": "niet aanbevolen door Privacy Guides", "en": "not recommended by Privacy Guides"},
    "yes": {"nl": "ja", "en": "yes"},
    "no": {"nl": "nee", "en": "no"},
    "partial": {"nl": "gedeeltelijk", "en": "partly"},
    "unknown": {"nl": "onbekend", "en": "unknown"},
    "centralized": {"nl": "centraal", "en": "centralised"},
    "federated": {"nl": "gefedereerd", "en": "federated"},
    "p2p": {"nl": "peer-to-peer", "en": "peer-to-peer"},
    "decentralized": {"nl": "decentraal", "en": "decentralised"},
    "phone": {"nl": "telefoonnummer", "en": "phone number"},
    "email": {"nl": "e-mailadres", "en": "e-mail address"},
    "username": {"nl": "gebruikersnaam", "en": "username"},
    "nothing": {"nl": "niets", "en": "nothing"},
    "e2ee": {"nl": "End-to-end versleuteld", "en": "End-to-end encrypted"},
    "by_default": {"nl": "standaard", "en": "by default"},
    "all_messages": {"nl": "alle berichten", "en": "all messages"},
    "calls": {"nl": "gesprekken", "en": "calls"},
    "fs": {"nl": "Forward secrecy", "en": "Forward secrecy"},
    "network": {"nl": "Netwerk", "en": "Network"},
    "signup": {"nl": "Aanmelden met", "en": "Sign-up needs"},
    "shared": {"nl": "contacten zien", "en": "contacts see"},
    "platforms": {"nl": "Platformen", "en": "Platforms"},
    "audits": {"nl": "Audits", "en": "Audits"},
    "offline": {"nl": "Zonder internet", "en": "Without internet"},
    "routing": {"nl": "Anonieme routing", "en": "Anonymous routing"},
    "calls_row": {"nl": "Bellen", "en": "Calls"},
    "status": {"nl": "Status", "en": "Status"},
    "caveats": {"nl": "Let op", "en": "Caveats"},
    "updates": {"nl": "Sinds de bronpagina ({date})", "en": "Since the source page ({date})"},
    "homepage": {"nl": "Website", "en": "Homepage"},
    "source": {"nl": "Bron", "en": "Source"},
    "none_listed": {"nl": "geen", "en": "none"},
    "client_of": {"nl": "Alternatieve app voor {name}", "en": "Alternative app for {name}"},
    "voice": {"nl": "spraak", "en": "voice"},
    "video": {"nl": "video", "en": "video"},
    "group": {"nl": "groep", "en": "group"},
    "group_encrypted": {"nl": "groep versleuteld", "en": "group encrypted"},
    "mesh": {"nl": "ja (mesh)", "en": "yes (mesh)"},
    "group_limit": {"nl": "Groepen tot {n} leden", "en": "Groups of up to {n} members"},
    "open_source": {"nl": "Open source", "en": "Open source"},
    "apps": {"nl": "apps", "en": "apps"},
}


def w(key: str, lang: str, **kwargs: object) -> str:
    text = WORDS[key].get(lang) or WORDS[key]["en"]
    return text.format(**kwargs) if kwargs else text


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


def _source_line(entry: Entry, lang: str) -> Line:
    s = entry.source
    line: Line = [f"{w('source', lang)}: ", Link(s.page, s.url) if s.url else s.page, f" ({s.lang}, {s.date or '?'}"]
    if "privacyguides.org" in s.url:
        line += ["; ", PRIVACY_GUIDES_LICENCE]
    return [*line, ")"]


# --- replies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    text: str
    html: str


def _done(doc: Doc) -> Reply:
    return Reply(doc.plain(), doc.html())


def _entry_caveats(kb: KnowledgeBase, entry: Entry, lang: str) -> tuple[list[str], list[str]]:
    """Warnings (page-level and status) first, then the entry's own caveats: never omitted."""
    warnings = [warning.text.get(lang) for warning in kb.warnings_for(entry)]
    if entry.current_status in ("removed", "moved"):
        latest = next((u for u in reversed(entry.updates) if u.date), None)
        note = w(entry.current_status, lang).capitalize()
        warnings.insert(0, f"{note} {SAY[lang]['since']} {latest.date}" if latest else note)
    return warnings, [c.get(lang) for c in entry.caveats]


def card(
    kb: KnowledgeBase, entry: Entry, lang: str, focus: tuple[PropertyQuery, ...] = (), lead: list[Line] | None = None
) -> Reply:
    """One entry's card; ``lead`` lines (a yes/no answer) come first, then the short card."""
    reply = _done(_card_doc(kb, entry, lang, focus, clip=False, lead=lead))
    if len(reply.text) > PLAIN_LIMIT:  # long (imported) texts: clip them, keep every caveat
        reply = _done(_card_doc(kb, entry, lang, focus, clip=True, lead=lead))
    return reply


def _card_doc(kb: KnowledgeBase, entry: Entry, lang: str, focus: tuple[PropertyQuery, ...], clip: bool,
              lead: list[Line] | None = None) -> Doc:
    def cut(text: str, limit: int) -> str:
        return _clip(text, limit) if clip else text

    doc = Doc()
    for line in lead or ():
        doc.para(*line)
    doc.title(entry.name, f" ({w(entry.current_status, lang)})")
    if entry.current_status == "not_listed":
        return _not_listed_doc(kb, entry, lang, doc, clip)
    for query in focus if not lead else ():
        label = query.prop.label.get(lang, query.prop.label["en"])
        doc.para(Bold(f"{label}: {_bool(query.prop.test(entry), lang)}"))
    warnings, caveats = _entry_caveats(kb, entry, lang)
    for warning in warnings:
        doc.warn(cut(warning, 220))
    doc.para(cut(entry.summary.get(lang), 240))
    parent = kb.get(entry.client_of) if entry.client_of else None
    if parent is not None:
        doc.para(w("client_of", lang, name=parent.name))
    doc.bullets(_fact_lines(entry, lang))
    doc.bullets([[cut(c, 160)] for c in caveats], w("caveats", lang) + ":")
    updates = entry.updates[-3:] if clip else entry.updates
    doc.bullets(
        [[f"{u.date}: ", cut(u.text.get(lang), 140)] for u in updates],
        w("updates", lang, date=entry.source.date or "?") + ":",
    )
    homepage = entry.link("homepage") or entry.link("repository")
    if homepage:
        doc.para(f"{w('homepage', lang)}: ", Link(homepage, homepage))
    doc.para(*_source_line(entry, lang))
    return doc


def _fact_lines(entry: Entry, lang: str) -> list[Line]:
    f = entry.facts
    lines: list[Line] = [
        [f"{w('e2ee', lang)}: {fact_e2ee(entry, lang)}"],
        [f"{w('fs', lang)}: {fact_fs(entry, lang)}"],
        [f"{w('network', lang)}: {fact_network(entry, lang)}"],
        [f"{w('signup', lang)}: {fact_signup(entry, lang)}; {w('shared', lang)}: {fact_shared(entry, lang)}"],
        [f"{w('platforms', lang)}: {fact_platforms(entry, lang)}"],
        [f"{w('audits', lang)}: {fact_audits(entry, lang)}"],
    ]
    if f.anonymous_routing:
        lines.append([f"{w('routing', lang)}: {fact_routing(entry, lang)}"])
    if f.offline.mesh or f.offline.wifi or f.offline.bluetooth:
        lines.append([f"{w('offline', lang)}: {fact_offline(entry, lang)}"])
    if f.group_limit:
        lines.append([w("group_limit", lang, n=f.group_limit)])
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


def compare(kb: KnowledgeBase, entries: list[Entry], lang: str, prefix: str = "!") -> Reply:
    doc = Doc()
    doc.title(" vs ".join(e.name for e in entries))
    header = ["", *(e.name for e in entries)]
    rows = [[w(key, lang).capitalize(), *(fact(e, lang) for e in entries)] for key, fact in COMPARE_ROWS]
    doc.table(header, rows)
    for entry in entries:
        warnings, caveats = _entry_caveats(kb, entry, lang)
        notes = [_first_sentence(x) for x in warnings]
        notes += [_clip(c, 120) for c in caveats if not any(c.startswith(n) for n in notes)]
        if notes:
            doc.bullets([[n] for n in notes], f"{w('caveats', lang)} — {entry.name}:")
    doc.para(SAY[lang]["compare_more"].format(prefix=prefix))
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
            lines.append([Bold(entry.name), f"{status}: {reasons}"])
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
        doc.warn(f"{entry.name}: " + "; ".join(_first_sentence(x) for x in warnings))
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
        return f"{w('signup', lang).lower()}: {fact_signup(entry, lang)}; {w('shared', lang)}: {fact_shared(entry, lang)}"
    if family in FAMILY_FACTS:
        key, fact = FAMILY_FACTS[family]
        return f"{w(key, lang).lower()}: {fact(entry, lang)}"
    if family == "groups" and entry.facts.group_limit:
        note = entry.facts.group_limit_note.get(lang)
        return w("group_limit", lang, n=entry.facts.group_limit) + (f" ({_clip(note, 100)})" if note else "")
    value = query.prop.test(entry)
    return f"{query.prop.label.get(lang, query.prop.label['en'])}: {_bool(value, lang)}"


def entry_list(kb: KnowledgeBase, lang: str, prefix: str = "!", category: str | None = None) -> Reply:
    """The picks of ``kb``; ``category``: the title of the one category they are the picks of."""
    doc = Doc()
    doc.title(SAY[lang]["list_title_category"].format(category=category) if category else SAY[lang]["list_title"])
    current = [e for e in kb.entries if e.current_status == "recommended"]
    other = [e for e in kb.entries if e.current_status not in ("recommended", "not_listed")]
    lines = [[Bold(e.name), f": {_clip(e.summary.get(lang), 150)}"] for e in current[:SHOW_AT_MOST]]
    if len(current) > SHOW_AT_MOST:
        lines.append([SAY[lang]["more"].format(n=len(current) - SHOW_AT_MOST)])
    doc.bullets(lines)
    if other:
        lines = []
        for entry in other[:SHOW_AT_MOST]:
            warnings, _ = _entry_caveats(kb, entry, lang)
            lines.append([Bold(entry.name), ": ", "; ".join(_first_sentence(x) for x in warnings)])
        doc.bullets(lines, SAY[lang]["list_other"])
    if category and len(current) >= 2:  # the example names are this category's own
        one, two = (e.name.split(" (")[0].lower() for e in current[:2])
        doc.para(SAY[lang]["list_more_category"].format(prefix=prefix, one=one, two=two))
    else:
        doc.para(SAY[lang]["list_more"].format(prefix=prefix))
    return _done(doc)


def criteria(kb: KnowledgeBase, lang: str, entry: Entry | None = None, category: str | None = None) -> Reply:
    doc = Doc()
    if not kb.criteria:
        doc.para(SAY[lang]["no_criteria"])
        return _done(doc)

    def line(c) -> Line:
        since = f" ({SAY[lang]['since']} {c.since})" if c.since else ""
        if entry is None:
            return [c.text.get(lang) + since]
        met = meets_criterion(entry, c.id)
        mark = "✓" if met else ("✗" if met is False else "?")
        return [f"{mark} {c.text.get(lang)}{since}"]

    if entry is not None:
        met = sum(1 for c in kb.criteria if c.level == "minimum" and meets_criterion(entry, c.id))
        total = sum(1 for c in kb.criteria if c.level == "minimum")
        doc.title(SAY[lang]["criteria_entry"].format(name=entry.name, met=met, total=total))
        warnings, _ = _entry_caveats(kb, entry, lang)
        for warning in warnings:
            doc.warn(_clip(warning, 220))
    else:
        doc.title(SAY[lang]["criteria_title_category"].format(category=category) if category else SAY[lang]["criteria_title"])
    doc.bullets([line(c) for c in kb.criteria if c.level == "minimum"], SAY[lang]["minimum"])
    doc.bullets([line(c) for c in kb.criteria if c.level == "best"], SAY[lang]["best"])
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
    doc.bullets([[f"{u.date}: ", u.text.get(lang)] for u in entry.updates], w("updates", lang, date=entry.source.date or "?") + ":")
    doc.para(*_source_line(entry, lang))
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
            value = f"{fact_signup(entry, lang)}; {w('shared', lang)}: {fact_shared(entry, lang)}"
        elif fact == "open_source":
            o = entry.facts.open_source
            value = f"{w('apps', lang)}: {_bool(o.client, lang)}, server: {_bool(o.server, lang)}"
        else:
            value = render_fact(entry, lang)  # type: ignore[misc]
        if fact == "audits" and not entry.facts.audits:
            continue
        facts.append([f"{w(label, lang)}: {value}", *(_dated(entry, fact) if not clip or fact != "audits" else [])])
    doc.bullets(facts)
    doc.bullets([[_clip(c.get(lang), 90 if clip else 160)] for c in entry.caveats], w("caveats", lang) + ":")
    updates = entry.updates[-2:] if clip else entry.updates
    doc.bullets([[f"{u.date}: ", _clip(u.text.get(lang), 120 if clip else 160)] for u in updates])
    alts = alternatives(kb, entry, lang)
    if alts:
        doc.bullets([[f"{reason}: ", ", ".join(e.name for e in fits)] for reason, fits in alts[: 2 if clip else 3]],
                    SAY[lang]["instead"])
    if not clip:
        doc.para(SAY[lang]["not_listed_more"])
    homepage = entry.link("homepage")
    if homepage:
        doc.para(f"{w('homepage', lang)}: ", Link(homepage, homepage))
    urls = list(dict.fromkeys(u for u in (entry.source.url, *(e.url for e in entry.evidence)) if _safe_url(u)))
    if urls:
        doc.para(f"{SAY[lang]['sources']}: ", *_joined([Link(u, u) for u in urls[: 3 if clip else 6]], " · "))
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
            return [f". {SAY[lang]['since'].capitalize()} {update.date}: ", _clip(text, 200)]
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


def other_language(entries: list[Entry], lang: str, prefix: str = "!") -> Reply:
    doc = Doc()
    doc.para(SAY[lang]["other_language"])
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


def help_reply(lang: str, prefix: str = "!", moderator: bool | Collection[str] = False, notice: str = "") -> Reply:
    """The command list; ``moderator``: the restricted commands to list too (True: all)."""
    doc = Doc()
    if notice:
        doc.para(notice)
    doc.title(SAY[lang]["help_title"])
    lines = _help_lines(HELP_LINES, lang, prefix)
    doc.bullets(lines)
    allowed = [row for row in MODERATOR_HELP_LINES if moderator is True or (moderator and row[0] in moderator)]
    if allowed:
        doc.bullets(_help_lines(allowed, lang, prefix), SAY[lang]["help_moderators"])
    doc.para(SAY[lang]["help_free"])
    return _done(doc)


def _help_lines(table, lang: str, prefix: str) -> list[Line]:
    lines: list[Line] = []
    for en, nl, args_en, args_nl in table:
        name, other, args = (nl, en, args_nl) if lang == "nl" else (en, nl, args_en)
        example = f"{prefix}{name} {args}".strip()
        lines.append([Bold(f"{prefix}{name} / {prefix}{other}"), f" — {SAY[lang]['help_' + en]} ", f"({SAY[lang]['example']}: {example})"])
    return lines


def did_you_mean(
    word: str, suggestion: str | None, lang: str, prefix: str = "!", moderator: bool | Collection[str] = False
) -> Reply:
    word = echo(word)
    if suggestion:
        notice = SAY[lang]["unknown_command_suggest"].format(word=f"{prefix}{word}", suggestion=f"{prefix}{suggestion}")
    else:
        notice = SAY[lang]["unknown_command"].format(word=f"{prefix}{word}")
    return help_reply(lang, prefix, moderator, notice)


def unknown_entry(kb: KnowledgeBase, asked: str, lang: str, suggestions: list[Entry]) -> Reply:
    doc = Doc()
    doc.para(SAY[lang]["unknown_entry"].format(asked=echo(asked)))
    if suggestions:
        doc.para(SAY[lang]["did_you_mean"], ", ".join(e.name for e in suggestions), "?")
    doc.para(SAY[lang]["known_entries"], ", ".join(e.name for e in kb.entries[:20]))
    return _done(doc)


def need_entries(kb: KnowledgeBase, lang: str, count: int, prefix: str = "!") -> Reply:
    doc = Doc()
    key = "need_two" if count >= 2 else "need_one"
    doc.para(SAY[lang][key].format(prefix=prefix))
    doc.para(SAY[lang]["known_entries"], ", ".join(e.name for e in kb.entries[:20]))
    return _done(doc)


def sources(kb: KnowledgeBase, lang: str) -> Reply:
    doc = Doc()
    doc.title(SAY[lang]["sources_title"])
    doc.bullets([[Link(s.page, s.url) if s.url else s.page, f" ({s.lang}, {s.date or '?'})"] for s in kb.sources])
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


SAY: dict[str, dict[str, str]] = {
    "en": {
        "not": "no",
        "more": "… and {n} more",
        "since": "since",
        "example": "e.g.",
        "compare_more": "All caveats: {prefix}caveats NAME. Details: {prefix}info NAME.",
        "filter_title": "Matching: {asked}",
        "filter_none": "None of the entries match: {asked}.",
        "filter_not": "Not: ",
        "filter_unknown": "Not stated for: ",
        "list_title": "Recommended encrypted messengers:",
        "list_title_category": "Recommended by Privacy Guides, {category}:",
        "list_more_category": "Ask about one (\"{prefix}info {one}\") or compare (\"{prefix}compare {one}, {two}\").",
        "criteria_title_category": "How Privacy Guides chooses, {category}:",
        "list_other": "On the page earlier, no longer recommended as such:",
        "list_more": "Ask about one (\"{prefix}info signal\") or compare (\"{prefix}compare signal simplex\").",
        "no_criteria": "This knowledge base has no criteria.",
        "criteria_title": "How messengers are chosen:",
        "criteria_entry": "{name} against the criteria ({met} of {total} minimum requirements met):",
        "minimum": "Minimum requirements:",
        "best": "Best case:",
        "caveats_title": "{name}: what to keep in mind",
        "no_caveats": "No caveats are recorded.",
        "help_title": "I answer questions about recommended encrypted messengers. Commands:",
        "help_moderators": "For moderators:",
        "help_free": "Or just ask, in Dutch or English: \"which work without a phone number?\", \"signal vs session\".",
        "help_info": "one messenger's facts and caveats",
        "help_compare": "side by side",
        "help_list": "what is recommended",
        "help_which": "which have a property",
        "help_caveats": "the downsides",
        "help_criteria": "how they are chosen",
        "help_sources": "where the knowledge comes from",
        "help_help": "this list",
        "help_refresh": "reload the knowledge sources",
        "help_status": "knowledge version, sources, uptime",
        "help_set": "room settings: language nl|en, autoanswer on|off",
        "help_history": "the last refreshes",
        "help_feedback": "how people rated the answers (👍/👎)",
        "help_unanswered": "questions I could not answer (with collection on)",
        "help_about": "what this bot is and what it stores",
        "unknown_command": "I don't know the command {word}.",
        "unknown_command_suggest": "I don't know the command {word}. Did you mean {suggestion}?",
        "unknown_entry": "I don't know \"{asked}\".",
        "did_you_mean": "Did you mean: ",
        "known_entries": "I know: ",
        "need_one": "Which messenger? For example: {prefix}info signal",
        "need_two": "Name two messengers to compare, for example: {prefix}compare signal simplex",
        "sources_title": "Knowledge sources:",
        "sources_updates": "Later changes recorded from {first} to {last}.",
        "moderator_only": "Only room moderators can use this command.",
        "pointer": "I answer questions about encrypted messengers. Type {prefix}help to see what you can ask.",
        "and": " and ",
        "because": "Why: {why}.",
        "sources": "Sources",
        "as_of": "as of",
        "answer_yes": "Yes",
        "answer_no": "No",
        "answer_unknown": "Not known",
        "not_listed": "Privacy Guides does not recommend {name}.",
        "not_listed_more": "recbot only keeps this so you get an honest answer; it is not on the list of recommendations.",
        "misses": "Minimum criteria it misses:",
        "instead": "Recommended instead, for the same need:",
        "alt_no_phone": "without a phone number",
        "alt_also_no_phone": "also without a phone number",
        "alt_any": "recommended messengers",
        "support": "recbot does not do app support; the app's own help pages are the place for how-to and trouble questions (I answer which messenger fits: {prefix}help).",
        "support_entry": "recbot does not do app support; for how-to and trouble with {name}, see its own help: ",
        "unknown_product": "I don't know {names}: recbot only knows the messengers on its list ({prefix}list).",
        "other_language": "recbot answers in Dutch and English only; here is what it knows, in English:",
    },
    "nl": {
        "not": "geen",
        "more": "… en nog {n}",
        "since": "sinds",
        "example": "bijv.",
        "compare_more": "Alle nadelen: {prefix}nadelen NAAM. Details: {prefix}kaart NAAM.",
        "filter_title": "Voldoen aan: {asked}",
        "filter_none": "Geen enkele messenger voldoet aan: {asked}.",
        "filter_not": "Niet: ",
        "filter_unknown": "Niet bekend voor: ",
        "list_title": "Aanbevolen versleutelde messengers:",
        "list_title_category": "Aanbevolen door Privacy Guides, {category}:",
        "list_more_category": "Vraag naar één (\"{prefix}kaart {one}\") of vergelijk (\"{prefix}vergelijk {one}, {two}\").",
        "criteria_title_category": "Hoe Privacy Guides kiest, {category}:",
        "list_other": "Eerder op de pagina, nu niet meer als zodanig aanbevolen:",
        "list_more": "Vraag naar één (\"{prefix}kaart signal\") of vergelijk (\"{prefix}vergelijk signal simplex\").",
        "no_criteria": "Deze kennisbank heeft geen criteria.",
        "criteria_title": "Hoe messengers gekozen worden:",
        "criteria_entry": "{name} langs de criteria ({met} van {total} minimumeisen gehaald):",
        "minimum": "Minimumeisen:",
        "best": "Beste geval:",
        "caveats_title": "{name}: waar je op moet letten",
        "no_caveats": "Er zijn geen nadelen vastgelegd.",
        "help_title": "Ik beantwoord vragen over aanbevolen versleutelde messengers. Commando's:",
        "help_moderators": "Voor moderators:",
        "help_free": "Of stel gewoon je vraag, in het Nederlands of Engels: \"welke werken zonder telefoonnummer?\", \"signal of session?\".",
        "help_info": "feiten en nadelen van één messenger",
        "help_compare": "naast elkaar",
        "help_list": "wat er aanbevolen wordt",
        "help_which": "welke een eigenschap hebben",
        "help_caveats": "de nadelen",
        "help_criteria": "hoe ze gekozen worden",
        "help_sources": "waar de kennis vandaan komt",
        "help_help": "dit overzicht",
        "help_refresh": "kennisbronnen opnieuw inlezen",
        "help_status": "kennisversie, bronnen, uptime",
        "help_set": "kamerinstellingen: language nl|en, autoanswer on|off",
        "help_history": "de laatste verversingen",
        "help_feedback": "hoe mensen de antwoorden beoordeelden (👍/👎)",
        "help_unanswered": "vragen die ik niet kon beantwoorden (als verzamelen aan staat)",
        "help_about": "wat deze bot is en wat hij bewaart",
        "unknown_command": "Het commando {word} ken ik niet.",
        "unknown_command_suggest": "Het commando {word} ken ik niet. Bedoel je {suggestion}?",
        "unknown_entry": "\"{asked}\" ken ik niet.",
        "did_you_mean": "Bedoel je: ",
        "known_entries": "Ik ken: ",
        "need_one": "Welke messenger? Bijvoorbeeld: {prefix}info signal",
        "need_two": "Noem twee messengers om te vergelijken, bijvoorbeeld: {prefix}vergelijk signal simplex",
        "sources_title": "Kennisbronnen:",
        "sources_updates": "Latere wijzigingen vastgelegd van {first} tot {last}.",
        "moderator_only": "Alleen moderators van deze kamer kunnen dit commando gebruiken.",
        "pointer": "Ik beantwoord vragen over versleutelde messengers. Typ {prefix}help om te zien wat je kunt vragen.",
        "and": " en ",
        "because": "Waarom: {why}.",
        "sources": "Bronnen",
        "as_of": "stand",
        "answer_yes": "Ja",
        "answer_no": "Nee",
        "answer_unknown": "Niet bekend",
        "not_listed": "Privacy Guides raadt {name} niet aan.",
        "not_listed_more": "recbot kent deze app alleen om je eerlijk te antwoorden; hij staat niet op de lijst met aanbevelingen.",
        "misses": "Minimumeisen waar het niet aan voldoet:",
        "instead": "Aanbevolen in plaats daarvan, voor hetzelfde doel:",
        "alt_no_phone": "zonder telefoonnummer",
        "alt_also_no_phone": "ook zonder telefoonnummer",
        "alt_any": "aanbevolen messengers",
        "support": "recbot geeft geen hulp bij apps; met hoe-vragen en problemen kun je terecht bij de hulppagina's van de app zelf (ik help kiezen welke messenger past: {prefix}hulp).",
        "support_entry": "recbot geeft geen hulp bij apps; voor hoe-vragen en problemen met {name}, zie de eigen hulp: ",
        "unknown_product": "{names} ken ik niet: recbot kent alleen de messengers op zijn lijst ({prefix}lijst).",
        "other_language": "recbot antwoordt alleen in het Nederlands en Engels; dit weet hij, in het Nederlands:",
    },
}
