"""The one entry point the bot and the command line use: a question in, an Answer out."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from dataclasses import dataclass

from . import phrases, render
from .categories import find_category, with_criteria
from .asking import cue_language
from .category_questions import CategoryIndex, everyday_words
from .index import EntityIndex
from .model import Entry, KnowledgeBase
from .properties import FilterPlan, PropertyQuery, applies_to, audited_by
from .text import detect_language, foreign_hint, normalize, site_language, tokens
from .understand import INDEX_COMMON, PARSE, Command, Understanding, parse_command, understand

INTENTS = ("card", "compare", "list", "criteria", "filter", "caveats", "help", "support", "none")


@dataclass(frozen=True)
class Answer:
    intent: str  # one of INTENTS
    entries: tuple[str, ...]  # entry ids the answer is about, most relevant first
    lang: str  # the language of the reply: "nl", "en", or another the loaded knowledge has (``reply_languages``)
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
        self.index = EntityIndex(kb.entries, everyday_words(kb) if kb.categories else INDEX_COMMON)
        self.categories = CategoryIndex(kb, entities=self.index)
        self._firms = sorted({a.by for e in kb.entries for a in e.facts.audits if a.by}, key=len, reverse=True)
        #: The languages replies can be written in: Dutch and English, and every other language
        #: both the knowledge's texts and the phrase catalogue have.
        self.langs = reply_languages(kb)
        self._asked = {_ISO.get(lang, lang) for lang in self.langs} - {"nl", "en"}

    def understand(
        self, message: str, default_lang: str = "nl", prefix: str = "!", command: Command | None = PARSE
    ) -> Understanding:
        """``default_lang``: the room's language, the reply's when the message does not tell."""
        room = default_lang if default_lang in self.langs else "nl"
        u = understand(message, self.index, self.kb, room if room in ("nl", "en") else "en", prefix, command)
        return self._in_language(self.categories.read(u, message), message, room)

    def _in_language(self, u: Understanding, message: str, room: str) -> Understanding:
        """The reply's language: the message's own when the knowledge has it, else the room's
        when the message does not tell. A message in a language the knowledge lacks keeps the
        room's language and notes the other (``other_lang``)."""
        if u.command is not None and u.command.spec is not None and u.lang == "nl" and room != "nl":
            return u  # "!hulp", "!kaart signal": a Dutch command word tells
        text = u.command.args if u.command is not None else message
        words = tokens(normalize(text))
        guess = None  # detect_language's reading, made once when a branch below needs it
        if self._asked or room not in ("nl", "en"):  # only then: bundled-only answers cost no more than before
            guess = detect_language(words, "en", self.index.name_words, text)
            candidates = self._asked if not guess.sure else self._asked & {"he", "zh", "ru"}
            asked = site_language(text, words, self.index.name_words, candidates) or cue_language(
                text, self._asked, guess.lang if guess.sure else "")  # "mullvad ou ivpn ?", "aide"
            if asked:
                return dataclasses.replace(u, lang=self._variant(asked, room), other_lang="")
            if room not in ("nl", "en") and not guess.sure and not u.other_lang:
                return dataclasses.replace(u, lang=room)
        if u.other_lang:  # the note on the languages recbot answers in is written in the question's, if we can
            written = site_language(text, words, self.index.name_words, _CATALOGUE_ISO)
            return dataclasses.replace(u, other_lang=written) if written and written != u.other_lang else u
        if u.entries and u.intent not in ("none", "help") and foreign_hint(text, words):
            # A question naming an entry in a language the knowledge has no texts in ("Signal est-il sûr ?"
            # over the bundled pack): answered in the room's language, after one line in the question's.
            guess = guess if guess is not None else detect_language(words, "en", self.index.name_words, text)
            candidates = _CATALOGUE_ISO if not guess.sure else frozenset({"he", "zh", "ru"})
            written = site_language(text, words, self.index.name_words, candidates - self._asked)
            if written:
                return dataclasses.replace(u, other_lang=written)
        return u

    def _variant(self, asked: str, room: str) -> str:
        """A language code as the knowledge spells it; Chinese (lingua and the script tell no
        variant): the room's if it is Chinese, else zh-Hant, else zh-TW, whichever is loaded."""
        if asked != "zh":
            return asked
        for lang in (room, "zh-Hant", "zh-TW"):
            if lang in self.langs and lang.startswith("zh"):
                return lang
        return "en"

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
            reply = render.directed(reply, lang)
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
            return done("help", render.did_you_mean(u.command.word.lower(), suggestion, lang, prefix, moderator, self.langs), ())
        if command == "sources":
            return done("help", render.sources(kb, lang), ())
        if u.command is not None and u.command.spec is not None and u.command.spec.moderator:
            return done("help", render.moderator_only(lang), ())
        if command == "about":  # the bot replies with its own about text; offline: the sources
            return done("help", render.sources(kb, lang), ())
        if u.intent == "help":
            return done("help", render.help_reply(lang, prefix, moderator, langs=self.langs), ())
        if u.intent == "support":
            return done("support", render.support(kb, entries[0] if entries else None, lang, prefix), [e.id for e in entries[:1]])
        if u.intent == "list":
            scoped = self.categories.scoped(u.category)
            ids = [e.id for e in scoped.entries if e.current_status == "recommended"]
            ids += [e.id for e in scoped.entries if e.current_status not in ("recommended", "not_listed")]
            return done("list", render.entry_list(scoped, lang, prefix, self._title(u.category, lang)), ids)
        if u.intent == "criteria" and not (entries and entries[0].current_status == "not_listed"):
            asked = u.command.args if u.command else ""
            category = kb.category(u.category) if u.category and not entries else None  # "what do you require of a VPN?"
            if category is None and asked and not entries:
                category = find_category(kb, asked)  # "!criteria vpn", "!criteria Email Services"
            if category is not None:
                return done("criteria", render.criteria(kb, lang, category=category, prefix=prefix), ())
            unknown = asked if asked and not entries else ""
            entry = with_criteria(kb, entries[0]) if entries else None
            ids = [e.id for e in ([entry] if entry else []) + [e for e in entries if e is not entry]]
            return done("criteria", render.criteria(kb, lang, entry, prefix=prefix, asked=unknown), ids)
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
                return done("card", render.card(kb, entries[0], lang, prefix=prefix))
            return done("compare", render.compare(kb, entries[:4], lang, prefix), [e.id for e in entries[:4]])
        if entries[0].current_status == "not_listed" and u.intent in ("caveats", "criteria"):
            # Why it is not recommended, what it misses and what to use instead: that is its card.
            return done("card", render.card(kb, entries[0], lang, prefix=prefix), [e.id for e in entries])
        if u.intent == "caveats":
            return done("caveats", render.caveats(kb, entries[0], lang), [entries[0].id])
        if u.other_lang:
            note_lang = _note_language(u.other_lang)
            note = render.other_language(entries, lang, prefix, note_lang=note_lang, langs=self.langs)
            reply = render.card(kb, entries[0], lang, lead=[[note.text]], prefix=prefix)
            if phrases.is_rtl(note_lang) and not phrases.is_rtl(lang):  # a Hebrew line above a Dutch card
                reply = render.Reply(reply.text, reply.html.replace("<p>", '<p dir="rtl">', 1))
            return done("card", reply, [entries[0].id])
        entry = entries[0]  # of twins, the one the question points at (category_questions: categories.pick_twin)
        asked = [q for q in u.properties if not q.prop.modifier]
        focus = tuple(q for q in asked if applies_to(q.prop, entry))[:2]
        lead = render.yes_no_lead(kb, entry, focus, lang) if u.yes_no and focus else None
        if u.yes_no and asked and not focus:  # "does Brave have forward secrecy?": not a browser card's fact
            lead = render.not_applicable_lead(kb, entry, asked, lang)
        # The card is about the first entry; others named come after it (they are what it was asked against).
        return done("card", render.card(kb, entry, lang, focus, lead, prefix), [e.id for e in entries])

    def _title(self, path: str, lang: str) -> str | None:
        """The heading of a list reply about a category, when several are loaded."""
        return render.category_title(self.kb, path, lang) if len(self.kb.categories) > 1 and self.kb.category(path) else None

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
            return done("help", render.help_reply(lang, langs=self.langs), ())
        matches: list[tuple[Entry, list[PropertyQuery]]] = []
        misses: list[Entry] = []
        unknown: list[Entry] = []
        plan = FilterPlan(queries, u.normalized)
        named = set(u.entries)
        # a messenger property ("forward secrecy") is asked of the cards that have messenger facts
        asked = [q for q in queries if not q.prop.modifier] or queries
        picks = bool(u.situations) and "list" in u.notes  # "I'm a journalist, which app should I use?": today's picks only
        for entry in self.categories.scoped(u.category).entries:
            if entry.current_status == "not_listed" and entry.id not in named:
                continue  # apps Privacy Guides does not recommend: only when the question names them
            if picks and entry.current_status != "recommended" and entry.id not in named:
                continue
            if not all(applies_to(q.prop, entry) for q in asked):
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


#: lingua's and the scripts' ISO 639-1 codes for the site's languages.
_ISO = {"zh-Hant": "zh", "zh-TW": "zh"}
_CATALOGUE_ISO = frozenset(_ISO.get(lang, lang) for lang in phrases.LANGUAGES) - {"nl", "en"}


def reply_languages(kb: KnowledgeBase) -> tuple[str, ...]:
    """nl and en, then every language of the catalogue that the knowledge has texts in."""
    found = {s.lang for s in kb.sources} | {lang for e in kb.entries for lang in e.summary.by_lang}
    return ("nl", "en", *sorted(lang for lang in found & set(phrases.LANGUAGES) if lang not in ("nl", "en")))


def _note_language(other: str) -> str:
    """The catalogue language to say "recbot answers in ..." in, for a message in ``other``."""
    if other == "zh":
        return "zh-Hant"
    return other if other in phrases.LANGUAGES else ""


__all__ = ["Answer", "Command", "Engine", "INTENTS", "PARSE", "parse_command"]
