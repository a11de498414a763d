"""The one entry point the bot and the command line use: a question in, an Answer out."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from dataclasses import dataclass

from . import render
from .categories import CategoryIndex
from .index import EntityIndex
from .model import Entry, KnowledgeBase
from .properties import FilterPlan, PropertyQuery, audited_by
from .text import normalize
from .understand import INDEX_COMMON, PARSE, Command, Understanding, parse_command, understand

INTENTS = ("card", "compare", "list", "criteria", "filter", "caveats", "help", "support", "none")


@dataclass(frozen=True)
class Answer:
    intent: str  # one of INTENTS
    entries: tuple[str, ...]  # entry ids the answer is about, most relevant first
    lang: str  # "nl" or "en": the language of the reply
    confidence: float  # 0..1; below the threshold the intent is "none"
    text: str  # plain-text reply ("" when intent is none)
    html: str  # the same reply as safe HTML (user text escaped)
    command: str = ""  # canonical command name when the message was a command
    category: str = ""  # page path of the category a list, criteria or filter answer is about

    def to_json(self) -> dict:
        return {
            "intent": self.intent,
            "entries": list(self.entries),
            "lang": self.lang,
            "category": self.category,
            "confidence": round(self.confidence, 3),
            "text": self.text,
            "html": self.html,
        }


_AUDITED_BY = re.compile(r"(?:audit\w*|review\w*|gecontroleerd|onderzocht|doorgelicht|checked|tested)\s+(?:by|door)\s+([a-z0-9][\w.-]*(?: (?!and\b|en\b|or\b|of\b)[a-z0-9][\w.-]*){0,2})")


class Engine:
    """Answers questions from one immutable KnowledgeBase (build a new Engine to refresh)."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.index = EntityIndex(kb.entries, INDEX_COMMON)
        self.categories = CategoryIndex(kb, entities=self.index)
        self._firms = sorted({a.by for e in kb.entries for a in e.facts.audits if a.by}, key=len, reverse=True)

    def understand(
        self, message: str, default_lang: str = "nl", prefix: str = "!", command: Command | None = PARSE
    ) -> Understanding:
        u = understand(message, self.index, self.kb, default_lang, prefix, command)
        return self.categories.read(u, message)

    def answer(
        self,
        message: str,
        default_lang: str = "nl",
        prefix: str = "!",
        moderator: bool | Collection[str] = False,
        command: Command | None = PARSE,
    ) -> Answer:
        """Understand and reply. Never raises. Intent "none" carries no text, except the one line
        for a product the knowledge does not know (the bot sends it only when addressed). ``moderator``:
        the restricted commands the asker may use (True: all), shown in help. ``command``:
        the message's command if the caller parsed it (see ``understand``)."""
        u = self.understand(message, default_lang, prefix, command)
        return self.reply(u, prefix, moderator)

    def reply(self, u: Understanding, prefix: str = "!", moderator: bool | Collection[str] = False) -> Answer:
        u = self._narrowed(u)
        kb, lang = self.kb, u.lang
        command = u.command.spec.name if u.command and u.command.spec else ""
        entries = [e for e in (kb.get(i) for i in u.entries) if e is not None]

        def done(intent: str, reply: render.Reply, ids: list[str] | tuple[str, ...] = u.entries) -> Answer:
            category = u.category if intent in ("list", "criteria", "filter") else ""
            return Answer(intent, tuple(ids), lang, u.confidence, reply.text, reply.html, command, category)

        if u.intent == "none":
            if u.unknown:
                return done("none", render.unknown_product(kb, u.unknown, lang, prefix), ())
            # Nothing is sent; `entries` still says which apps it made out (a remark about Jami, a request to Telegram's developers).
            return Answer("none", tuple(u.entries), lang, u.confidence, "", "", command)
        if u.command is not None and u.command.spec is None:
            suggestion = u.command.suggestion.words[0] if u.command.suggestion else None
            spec = u.command.suggestion
            if suggestion and spec and spec.moderator and not (moderator is True or (moderator and spec.name in moderator)):
                suggestion = None
            return done("help", render.did_you_mean(u.command.word.lower(), suggestion, lang, prefix, moderator), ())
        if command == "sources":
            return done("help", render.sources(kb, lang), ())
        if u.command is not None and u.command.spec is not None and u.command.spec.moderator:
            return done("help", render.moderator_only(lang), ())
        if command == "about":  # the bot replies with its own about text; offline: the sources
            return done("help", render.sources(kb, lang), ())
        if u.intent == "help":
            return done("help", render.help_reply(lang, prefix, moderator), ())
        if u.intent == "support":
            return done("support", render.support(kb, entries[0] if entries else None, lang, prefix), [e.id for e in entries[:1]])
        if u.intent == "list":
            scoped = self.categories.scoped(u.category)
            ids = [e.id for e in scoped.entries if e.current_status == "recommended"]
            ids += [e.id for e in scoped.entries if e.current_status not in ("recommended", "not_listed")]
            return done("list", render.entry_list(scoped, lang, prefix, self._title(u.category, lang)), ids)
        if u.intent == "criteria" and not (entries and entries[0].current_status == "not_listed"):
            scoped = self.categories.scoped(u.category or (entries[0].category if entries else ""))
            return done("criteria", render.criteria(scoped, lang, entries[0] if entries else None, self._title(u.category, lang)))
        if u.intent == "filter":
            return self._filter(u, done)
        if not entries:
            asked = u.command.args if u.command else ""
            if asked:
                suggestions = [e for e in (kb.get(i) for i in self.index.suggest(asked)) if e]
                return done(u.intent, render.unknown_entry(kb, asked, lang, suggestions), ())
            return done(u.intent, render.need_entries(kb, lang, 2 if u.intent == "compare" else 1, prefix), ())
        if u.intent == "compare":
            if len(entries) < 2:
                return done("card", render.card(kb, entries[0], lang))
            return done("compare", render.compare(kb, entries[:4], lang, prefix), [e.id for e in entries[:4]])
        if entries[0].current_status == "not_listed" and u.intent in ("caveats", "criteria"):
            # Why it is not recommended, what it misses and what to use instead: that is its card.
            return done("card", render.card(kb, entries[0], lang), [e.id for e in entries])
        if u.intent == "caveats":
            return done("caveats", render.caveats(kb, entries[0], lang), [entries[0].id])
        if u.other_lang:
            note = render.other_language(entries, lang, prefix)
            reply = render.card(kb, entries[0], lang, lead=[[note.text]])
            return done("card", reply, [entries[0].id])
        focus = tuple(q for q in u.properties if not q.prop.modifier)[:2]
        lead = render.yes_no_lead(kb, entries[0], focus, lang) if u.yes_no and focus else None
        # The card is about the first entry; others named come after it (they are what it was asked against).
        return done("card", render.card(kb, entries[0], lang, focus, lead), [e.id for e in entries])

    def _title(self, path: str, lang: str) -> str | None:
        """The heading of a list or criteria reply about a category, when several are loaded."""
        category = self.kb.category(path) if len(self.kb.categories) > 1 else None
        return category.title.get(lang) if category else None

    def _narrowed(self, u: Understanding) -> Understanding:
        """Properties narrowed by names the knowledge holds: "audited by Trail of Bits"."""
        if not any(q.id == "audited" for q in u.properties):
            return u
        firms = [f for f in self._firms if re.search(rf"(?<!\w){re.escape(normalize(f))}(?!\w)", u.normalized)]
        if not firms:  # a firm the knowledge does not name: "audited by Cure53"
            named = _AUDITED_BY.search(u.normalized)
            if not named:
                return u
            firms = [named.group(1)]
        narrowed = tuple(
            PropertyQuery(audited_by(firms[0]), q.negated, q.start, q.end) if q.id == "audited" else q for q in u.properties
        )
        return dataclasses.replace(u, properties=narrowed)

    def _filter(self, u: Understanding, done) -> Answer:
        kb, lang = self.kb, u.lang
        queries = list(u.properties)
        if not queries:
            return done("help", render.help_reply(lang), ())
        matches: list[tuple[Entry, list[PropertyQuery]]] = []
        misses: list[Entry] = []
        unknown: list[Entry] = []
        plan = FilterPlan(queries, u.normalized)
        named = set(u.entries)
        picks = bool(u.situations) and "list" in u.notes  # "I'm a journalist, which app should I use?": today's picks only
        for entry in self.categories.scoped(u.category).entries:
            if entry.current_status == "not_listed" and entry.id not in named:
                continue  # apps Privacy Guides does not recommend: only when the question names them
            if picks and entry.current_status != "recommended" and entry.id not in named:
                continue
            verdict, deciding = plan.test(entry)
            if verdict:
                matches.append((entry, deciding))
            elif verdict is None:
                unknown.append(entry)
            else:
                misses.append(entry)
        # Recommended entries first; the page's order within each group.
        matches.sort(key=lambda m: m[0].current_status != "recommended")
        why = [situation.why.get(lang, situation.why["en"]) for situation in u.situations]
        reply = render.filter_reply(kb, matches, misses, unknown, queries, lang, why)
        return done("filter", reply, [e.id for e, _ in matches])


__all__ = ["Answer", "Command", "Engine", "INTENTS", "PARSE", "parse_command"]
