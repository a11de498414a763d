"""Categories as things a question names: each loaded recommendation page by its titles in every
loaded language and by the common words for it (``vocabulary/categories.yaml``), and what a
question about a category asks for (its picks, its criteria, or the cards that state something).

The rules for messenger questions (understand.py) stay as they are: this module only adds the
category those answers are about, and reads the questions about the other loaded categories,
which understand.py knows nothing of. Which categories can be named follows the loaded
knowledge: with only the messenger page loaded, "Which VPN?" names nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from . import discourse
from .asking import reread
from .categories import pick_twin, with_criteria
from .index import EntityIndex
from .model import MESSENGER_CATEGORY, Entry, KnowledgeBase, fact_schema
# COMMON_*: properties whose facts every card has (platforms, open source, audits, status): they filter any category.
from .properties import COMMON_FAMILIES, COMMON_PROPERTIES, PROPERTIES, STATED, Property, PropertyQuery, dedupe, find_properties
from .text import normalize, tokens
from .understand import _LISTED_WITH, INDEX_COMMON, KNOWN_WORDS, OFF_TOPIC_PRODUCTS, Understanding, _offset
from .yaml_safe import YamlError, load_bounded

VOCABULARY = Path(__file__).parent / "vocabulary" / "categories.yaml"
MAX_FUZZY = 8  # unknown word groups per question compared with the category words
MAX_PHRASE = 6  # longest category name, in words
MAX_WORDS = 20  # a longer message that names a category is not read as a question about it


def _stated(key: str, label: dict[str, str], ask: re.Pattern[str], text: re.Pattern[str]) -> Property:
    """Something a card may state in its text ("accepts Monero"), as a property to filter on:
    asked by some words, found by others; a card that does not mention it is unknown, one that
    says it does not ("doesn't support IMAP") is "no"."""

    def test(entry: Entry) -> bool | None:
        card = _card_text(entry)
        said = [_NEGATED_CLAUSE.search(card[max(0, m.start() - 120) : m.start()]) is None for m in text.finditer(card)]
        if not said:
            return None
        return any(said)  # "Tuta doesn't support the IMAP protocol": stated as not

    return Property(f"{STATED}{key}", f"{STATED}{key}", ask, test, label)


# A negation in the clause before what a card states ("doesn't accept any cryptocurrencies").
_NEGATED_CLAUSE = re.compile(r"(?:n't|\bnot\b|\bno\b|\bnever\b|\bwithout\b)[^.;:!?]*$", re.IGNORECASE)


# Asking what a category's picks must meet, in words understand.py's criteria cues leave to the messenger page.
REQUIRES = re.compile(r"(?<![\w-])(?:requir\w*|criteri\w*|eisen|eis|vereis\w*|voorwaarden|exig\w*|anforderung\w*|requisit\w*|"
                      r"what makes (?:a|an) (?:\w+ ){0,2}good|what (?:do|should) (?:i|you) look for|waar (?:moet|let) (?:ik|je|een) (?:\w+ ){0,3}(?:op|aan))(?![\w-])")


# The same in scripts without spaces or Latin letters: found inside words, as normalize() writes them.
REQUIRES_UNSPACED = tuple(normalize(w) for w in ("требовани", "критери", "קריטריונ", "דרישות", "標準", "标准", "要求", "條件", "条件"))


def asks_requirements(text: str) -> bool:
    """Does the question ask what a category's picks must meet?"""
    return bool(REQUIRES.search(text)) or not text.isascii() and any(w in text for w in REQUIRES_UNSPACED)


@dataclass(frozen=True)
class Vocabulary:
    words: dict[str, tuple[str, ...]]  # page path -> its common words, every language
    context: dict[str, frozenset[str]]  # page path -> words that point to it
    order: tuple[str, ...]  # page paths in the file's order (first wins a shared word)
    stated: tuple[Property, ...]
    property_words: dict[str, str]  # a property's words in other scripts (normalized) -> property id


@dataclass(frozen=True)
class CategoryMention:
    paths: tuple[str, ...]  # the categories the words name, first the likeliest
    start: int  # token index
    end: int
    exact: bool
    span: tuple[int, int] | None = None  # characters, for names in scripts without spaces or Latin letters


def _words_pattern(words: list[str]) -> re.Pattern[str]:
    """Any of ``words`` as whole words of a normalized question, a space also written as "-" or nothing."""
    # words in other scripts take their endings ("наличн": наличными, наличные)
    alternatives = sorted({re.escape(normalize(str(w))).replace(r"\ ", r"[ -]?") + ("" if normalize(str(w)).isascii() else r"\w*")
                           for w in words}, key=len, reverse=True)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(alternatives)})(?![\w-])")


@functools.lru_cache(maxsize=1)
def vocabulary(path: Path = VOCABULARY) -> Vocabulary:
    """The category words and stated things, read once; a broken file names its line."""
    try:
        data = load_bounded(path.read_text(encoding="utf-8"))
    except YamlError as exc:
        raise ValueError(f"{path}:{exc.line}: {exc.message}") from None
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise ValueError(f"{path}: expected 'categories:' (page path -> words per language)")
    words: dict[str, tuple[str, ...]] = {}
    context: dict[str, frozenset[str]] = {}
    for page, item in data["categories"].items():
        if not isinstance(item, dict) or not isinstance(item.get("words", {}), dict):
            raise ValueError(f"{path}: categories.{page}: expected 'words:' per language")
        words[str(page)] = tuple(normalize(str(w)) for ws in item.get("words", {}).values() for w in ws or ())
        context[str(page)] = frozenset(normalize(str(w)) for w in item.get("context", ()) or ())
    stated = []
    for key, item in (data.get("stated") or {}).items():
        if not isinstance(item, dict) or not item.get("ask") or not item.get("text") or not isinstance(item.get("label"), dict):
            raise ValueError(f"{path}: stated.{key}: expected 'label', 'ask' and 'text'")
        try:
            found = re.compile("|".join(str(t) for t in item["text"]), re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"{path}: stated.{key}.text: {exc}") from None
        stated.append(_stated(str(key), {k: str(v) for k, v in item["label"].items()}, _words_pattern(item["ask"]), found))
    property_words = {normalize(str(w)): str(prop) for prop, ws in (data.get("property_words") or {}).items() for w in ws or ()}
    return Vocabulary(words, context, tuple(words), tuple(stated), property_words)


def _variants(phrase: tuple[str, ...]) -> set[tuple[str, ...]]:
    """A name as people write it: plural, with or without its hyphens ("e-mail", "email", "e mail")."""
    found = {phrase}
    for form in list(found):
        last = form[-1]
        found |= {(*form[:-1], last + tail) for tail in ("s", "es", "en", "'s") if len(last) >= 3}
        if last.endswith("y") and len(last) > 3:
            found.add((*form[:-1], last[:-1] + "ies"))
    for form in list(found):
        joined = tuple(w for part in form for w in part.split("-") if w)
        found |= {joined, (" ".join(joined).replace(" ", ""),) if len(joined) > 1 and len("".join(joined)) <= 24 else joined}
        found.add(tuple(w.replace("-", "") for w in form))
    return {f for f in found if f}


class CategoryIndex:
    """The loaded categories by their names: titles in every loaded language and common words."""

    def __init__(self, kb: KnowledgeBase, vocab: Vocabulary | None = None, entities: EntityIndex | None = None):
        """``entities``: the entry index, to tell a product's name from a category's words."""
        vocab = vocab or vocabulary()
        self.entities = entities
        self.kb = kb
        self.vocab = vocab
        loaded = [c for c in kb.categories if kb.entries_in(c.path)]
        rank = {path: n for n, path in enumerate(vocab.order)}
        self.paths = tuple(sorted((c.path for c in loaded), key=lambda p: rank.get(p, len(rank))))
        self.phrases: dict[tuple[str, ...], list[str]] = {}
        self.unspaced: dict[str, list[str]] = {}  # names in other scripts -> their categories
        names = {tuple(tokens(normalize(n))) for e in kb.entries for n in (e.name, *e.aliases)}
        base: dict[str, list[str]] = {}  # names as written (no variants), for misspellings
        for path in self.paths:
            category = kb.category(path)
            titles = [t for t in category.title.by_lang.values()] if category else []
            for name in (*titles, *vocab.words.get(path, ())):
                if not normalize(name).isascii():  # Cyrillic, Hebrew, Chinese: found as written, not by words
                    unspaced = normalize(name).strip()
                    if len(unspaced) >= 2 and path not in self.unspaced.setdefault(unspaced, []):
                        self.unspaced[unspaced].append(path)
                    continue
                words = tuple(tokens(normalize(name)))
                if not words or len(words) > MAX_PHRASE:
                    continue
                if fact_schema(path) != "messenger" and len(" ".join(words)) >= 6 and " ".join(words).isascii():
                    base.setdefault(" ".join(words), [])
                    if path not in base[" ".join(words)]:
                        base[" ".join(words)].append(path)
                for form in _variants(words):
                    if form in names and len(form) == 1:
                        continue  # "Tor", "Monero": a product's own name names the product
                    owners = self.phrases.setdefault(form, [])
                    if path not in owners:
                        owners.append(path)
        self.max_words = max((len(p) for p in self.phrases), default=1)
        # Misspelled names only of the categories understand.py does not read (the messenger page it
        # does), by length: a ratio of 85 or more needs lengths within a sixth.
        self._fuzzy = {n: [t for t in base if abs(len(t) - n) * 6 <= n + 6] for n in range(6, 40)} if base else {}
        self._fuzzy_owner = base
        self.others = any(fact_schema(p) != "messenger" for p in self.paths)
        self._unspaced_context = sorted({w for ws in vocab.context.values() for w in ws if not w.isascii()})
        self._scoped: dict[str, KnowledgeBase] = {}

    def find(self, words: list[str]) -> list[CategoryMention]:
        """Categories named, in order: exact names (longest first), then close misspellings."""
        found: list[CategoryMention] = []
        taken = [False] * len(words)
        i = 0
        while i < len(words):
            for size in range(min(self.max_words, len(words) - i), 0, -1):
                owners = self.phrases.get(tuple(words[i : i + size]))
                if owners:
                    found.append(CategoryMention(tuple(owners), i, i + size, True))
                    taken[i : i + size] = [True] * size
                    i += size
                    break
            else:
                i += 1
        tried = 0
        for size in (2, 1) if self._fuzzy else ():
            for i in range(len(words) - size + 1):
                piece = words[i : i + size]
                if any(taken[i : i + size]) or not any(_unknown(w) for w in piece) or tried >= MAX_FUZZY:
                    continue
                text = " ".join(piece)
                if len(text) < 6:
                    continue
                tried += 1
                hit = process.extractOne(text, self._fuzzy.get(len(text), ()), scorer=fuzz.ratio, score_cutoff=88 if len(text) < 9 else 85)
                if hit and size > 1 and not _word_by_word(piece, hit[0].split()):
                    hit = None  # "voip service" is not "vpn service": every word must be close, short ones exact
                if hit:
                    found.append(CategoryMention(tuple(self._fuzzy_owner[hit[0]]), i, i + size, False))
                    taken[i : i + size] = [True] * size
        return sorted(found, key=lambda m: m.start)

    def _unspaced(self, text: str, after: int) -> list[CategoryMention]:
        """Names written in scripts our words do not cover ("менеджер паролей", "密碼管理器"), longest first."""
        if text.isascii() or not self.unspaced:
            return []
        found: list[CategoryMention] = []
        taken: list[tuple[int, int]] = []
        for name in sorted((n for n in self.unspaced if n in text), key=len, reverse=True)[:MAX_FUZZY]:
            at = text.find(name)
            if any(a < at + len(name) and at < b for a, b in taken):
                continue
            taken.append((at, at + len(name)))
            found.append(CategoryMention(tuple(self.unspaced[name]), after, after, True, (at, at + len(name))))
        return sorted(found, key=lambda m: m.span or (0, 0))

    def _not_category_words(self, u: Understanding, words: list[str], mentions: list[CategoryMention]) -> Understanding:
        """Entries named only by words of a category's name ("office suite" is not GPG Suite,
        "youtube frontends" not Piped) are not asked about."""
        inside = {n for m in mentions for n in range(m.start, m.end)}
        found = self.entities.find(words, KNOWN_WORDS) if self.entities else []
        exact = {(m.start, m.end) for m in mentions}  # "Tor Browser": the product's own name is the page's too
        outside = {m.entry_id for m in found if not set(range(m.start, m.end)) <= inside or (m.start, m.end) in exact}
        within = {m.entry_id for m in found if set(range(m.start, m.end)) <= inside}
        dropped = tuple(i for i in u.entries if i in within and i not in outside)
        if not dropped:
            return u
        ids = tuple(i for i in u.entries if i not in dropped)
        intent = u.intent if ids or u.intent not in ("card", "caveats", "compare") else "none"
        # a card asked of nothing left ("office suite?"): a question, to be read as one about the category
        return dataclasses.replace(u, entries=ids, intent=intent, notes=(*u.notes, "question") if intent == "none" else u.notes)

    def pick(self, mention: CategoryMention, words: list[str]) -> str:
        """The category a mention means: by the context words around it ("browser for android"), else the first."""
        if len(mention.paths) == 1:
            return mention.paths[0]
        present = set(words)
        scores = [len(self.vocab.context.get(p, frozenset()) & present) for p in mention.paths]
        return mention.paths[scores.index(max(scores))]

    def twin(self, entry_id: str, words: list[str], named: set[str]) -> str:
        """Of the same product's entries on several pages, the one the question's context points
        to ("brave on android": mobile browsers; "tuta calendar"): ``categories.pick_twin`` with
        the categories the question names and the vocabulary's context words."""
        entry = self.kb.get(entry_id)
        if entry is None or not entry.also_on:
            return entry_id
        # context words in other scripts ("באייפון") point to their pages as a category named does
        written = {w for w in words if not w.isascii()}
        pointed = {p for p, ws in self.vocab.context.items() if written & ws} if written else set()
        return pick_twin(self.kb, entry, " ".join(words), named=set(named) | pointed, hints=self.vocab.context)[0].id

    def scoped(self, path: str) -> KnowledgeBase:
        """The knowledge of one category: its entries, criteria and warnings (a list or criteria reply)."""
        if len(self.kb.categories) <= 1 or self.kb.category(path) is None:
            return self.kb
        if path not in self._scoped:
            entries = tuple(self.kb.entries_in(path))
            ids = {e.id for e in entries}
            warned = {w for e in entries for w in e.warnings}
            self._scoped[path] = KnowledgeBase(
                entries,
                tuple(c for c in self.kb.criteria if c.category == path),
                tuple(w for w in self.kb.warnings if w.id in warned or ids & set(w.applies_to)),
                self.kb.sources,
                (self.kb.category(path),),  # type: ignore[arg-type]
            )
        return self._scoped[path]

    def _foreign_properties(self, text: str) -> list[PropertyQuery]:
        """Common-fact properties written in other scripts ("ללינוקס", "с открытым исходным кодом")."""
        if text.isascii():
            return []
        by_id = {p.id: p for p in PROPERTIES}
        found = []
        for words, prop_id in self.vocab.property_words.items():
            at = text.find(words)
            if at >= 0 and prop_id in by_id:
                found.append(PropertyQuery(by_id[prop_id], False, at, at + len(words)))
        return found

    def stated(self, normalized: str) -> list[PropertyQuery]:
        """What the question asks a card to state ("accepts Monero", "self-hostable")."""
        found = []
        for prop in self.vocab.stated:
            match = prop.pattern.search(normalized)
            if match:
                found.append(PropertyQuery(prop, _negated(normalized, match.start()), match.start(), match.end()))
        return found

    def read(self, u: Understanding, message: str) -> Understanding:
        """The understanding with its category: what understand.py read, and, when the question
        names a loaded category other than the messenger one, what it asks of that category."""
        if not self.paths:
            return u
        if not self.others:  # the messenger page alone: understand.py's reading, about that page
            return dataclasses.replace(u, category=self.paths[0]) if u.intent in ("list", "criteria", "filter") else u
        if u.command is not None:  # "!info brave" is the first of its pages; "!criteria brave" one with criteria
            words = tokens(u.normalized)
            ids = tuple(dict.fromkeys(self.twin(i, words, set()) for i in u.entries))
            return self._read_command(dataclasses.replace(u, entries=ids) if ids != u.entries else u)
        # The words as written: understand.py's spelling correction aims at its own vocabulary
        # ("contant betalen" is no "contact bepalen"); offsets of its properties hold when equal.
        text = normalize(message)
        words = tokens(text)
        stated = self.stated(text)  # what it asks a card to state: read once, used by every step below
        mentions = self.find(words) + self._unspaced(text, len(words))
        seen = words + [w for w in self._unspaced_context if w in text] if not text.isascii() else words  # "באייפון"
        context = {self.pick(m, seen) for m in mentions}  # for twins, even words that ask a property ("self-host Mastodon")
        if text == u.normalized:
            mentions = [m for m in mentions if not _property_words(m, u, text, words)]
        if mentions and u.entries and self.entities is not None:
            u = self._not_category_words(u, words, mentions)
        paths = [self.pick(m, seen) for m in mentions]
        ids = tuple(dict.fromkeys(self.twin(i, seen, context) for i in u.entries))
        if ids != u.entries:
            u = dataclasses.replace(u, entries=ids)
        u = reread(u, message, bool(paths))  # caveats, comparisons and help asked in any site language
        if u.entries and u.intent in ("card", "compare", "none"):
            u = self._stated_of_entry(u, text, stated)
        messenger = u.intent == "filter" and not stated and any(  # "which ones route over Tor, without the Orbot VPN mode"
            q.prop.family not in COMMON_FAMILIES and q.prop.id not in COMMON_PROPERTIES and not q.id.startswith(STATED)
            for q in u.properties)
        if not paths or fact_schema(paths[0]) == "messenger" or messenger:
            if u.intent == "filter" and not paths and not messenger and u.properties and not u.entries:
                return u  # "which are open source": a fact every card has, asked of the whole site
            # messenger questions: understand.py's reading, now about the messenger page
            if u.intent in ("list", "criteria", "filter"):
                category = self._default(u, paths if not messenger else [])
                return dataclasses.replace(u, category=category, entries=self._on_page(u.entries, category))
            return u
        path = paths[0]
        if len(words) > MAX_WORDS:  # a long message names a category in passing: understand.py's reading stands
            return dataclasses.replace(u, category=path) if u.intent in ("list", "filter") else u
        spans = [m for m, p in zip(mentions, paths) if p == path]
        return self._about_category(u, text, words, path, spans, stated)

    def _stated_of_entry(self, u: Understanding, text: str, stated: list[PropertyQuery]) -> Understanding:
        """"Does Mullvad take Monero?": what a card states, asked of a product named (not a
        comparison with the product Monero); only for cards without messenger facts, whose
        properties understand.py reads."""
        first = self.kb.get(u.entries[0])
        if first is None or first.has_messenger_facts:
            return u
        stated = [q for q in stated if not _names(first) & set(tokens(text[q.start : q.end]))]
        if not stated:
            return u
        terms = {i for i in u.entries[1:] if (e := self.kb.get(i)) is not None
                 and any(_names(e) & set(tokens(text[q.start : q.end])) for q in stated)}
        ids = tuple(i for i in u.entries if i not in terms)
        intent = "card" if u.intent == "compare" and len(ids) < 2 else u.intent
        return dataclasses.replace(u, intent=intent, entries=ids, properties=(*u.properties, *stated))

    def _on_page(self, ids: tuple[str, ...], path: str) -> tuple[str, ...]:
        """Each product as its entry on ``path`` where it has one (its twin there)."""
        def there(entry_id: str) -> str:
            entry = self.kb.get(entry_id)
            twins = (entry_id, *entry.also_on) if entry else (entry_id,)
            return next((t for t in twins if (e := self.kb.get(t)) is not None and e.category == path), entry_id)
        return tuple(dict.fromkeys(there(i) for i in ids))

    def _default(self, u: Understanding, paths: list[str]) -> str:
        """The category of a question that names none: a named entry's for its criteria, else the
        messenger page, which understand.py's rules are about."""
        entry = self.kb.get(u.entries[0]) if u.entries else None
        if u.intent == "criteria" and entry is not None and entry.category:
            return with_criteria(self.kb, entry).category  # a product on several pages: one whose page has criteria
        if paths:
            return paths[0]
        return MESSENGER_CATEGORY if MESSENGER_CATEGORY in self.paths else self.paths[0]

    def _read_command(self, u: Understanding) -> Understanding:
        """``!list vpn``, ``!criteria passwords``, ``!which vpn monero``: the category the arguments name."""
        spec = u.command.spec if u.command else None
        if spec is None or spec.intent not in ("list", "criteria", "filter"):
            return u
        words = tokens(u.normalized)
        mentions = [m for m in self.find(words) if m.exact]
        if not mentions and (path := self._path_named(words)):
            mentions = [CategoryMention((path,), 0, len(words), True)]
        if not mentions and spec.intent == "criteria" and not u.entries:
            return u  # a bare "!criteria" over several pages: the reply says which have criteria
        if not mentions:
            category = self._default(u, [])
            return dataclasses.replace(u, category=category, entries=self._on_page(u.entries, category))
        path = self.pick(mentions[0], words)
        props = self._filters(u, u.normalized, words, path, mentions, self.stated(u.normalized)) if spec.intent == "filter" else u.properties
        if spec.intent == "filter" and not props and u.properties:  # "!which tor": a property of messengers, not the Tor page
            return dataclasses.replace(u, category=self._default(u, []))
        ids = () if spec.intent == "criteria" else tuple(i for i in u.entries if (e := self.kb.get(i)) is not None and e.category == path)
        return dataclasses.replace(u, category=path, entries=ids, properties=props)

    def _path_named(self, words: list[str]) -> str:
        """A category written as its page path ("passwords", "android/distributions", "email-clients")."""
        asked = " ".join(words).replace("/", " ").replace("-", " ")
        for path in self.paths:
            if asked and asked in (path.replace("/", " ").replace("-", " "), path.rsplit("/", 1)[-1].replace("-", " ")):
                return path
        return ""

    def _filters(self, u: Understanding, text: str, words: list[str], path: str,
                 mentions: list[CategoryMention], stated: list[PropertyQuery]) -> tuple[PropertyQuery, ...]:
        """The properties a question asks of a non-messenger category's cards: the common facts
        and what the cards state, never words of the category's own name ("linux distro")."""
        spans = [_span(m, text, words) for m in mentions]
        context = self.vocab.context.get(path, frozenset())
        props = [q for q in u.properties
                 if (q.prop.family in COMMON_FAMILIES or q.prop.id in COMMON_PROPERTIES or fact_schema(path) == "messenger")
                 # inside the category's name only a platform that tells its page from a sibling ("browser voor android")
                 and (not any(a <= q.start < b for a, b in spans) or set(tokens(text[q.start : q.end])) & context)]
        stated = [q for q in stated if not any(a <= q.start < b for a, b in spans)]
        return tuple(sorted([*props, *stated], key=lambda q: q.start))

    def _about_category(self, u: Understanding, text: str, words: list[str], path: str,
                        mentions: list[CategoryMention], stated: list[PropertyQuery]) -> Understanding:
        notes = set(u.notes)
        foreign = "other language" in notes
        if (foreign or not text.isascii()) and not u.properties:  # understand.py reads no properties there (nor in other scripts)
            u = dataclasses.replace(u, properties=tuple(dedupe([*find_properties(text), *self._foreign_properties(text)])))
        # Products named as what a card states ("a VPN that takes Monero"): the question's terms, not its subject.
        terms = {i for i in u.entries if (e := self.kb.get(i)) is not None and e.category != path
                 and any(_names(e) & set(tokens(text[q.start : q.end])) for q in stated)}
        ids = tuple(i for i in u.entries if i not in terms)
        in_category = [i for i in ids if (e := self.kb.get(i)) is not None and e.category == path]
        filters = self._filters(u, text, words, path, mentions, stated)
        if ids and not in_category and any(q.id.startswith(STATED) for q in filters) and u.intent not in ("compare", "support"):
            ids = ()  # "an email provider with IMAP, so I can use Thunderbird": the product is context
        # understand.py refused it as another topic, which the loaded knowledge now has; a long
        # message naming a category in passing, or a product it does not know, stays unanswered.
        refused = u.intent == "none" and bool(u.unknown or len(words) > MAX_WORDS or not (
            "off_topic" in notes or foreign or len(words) <= 8))
        if ids:
            if u.intent in ("list", "filter", "criteria"):
                # picks of the page named ("which phone for GrapheneOS"); a filter or criteria about the products named
                category = path if u.intent == "list" or in_category and u.intent == "filter" else self._default(u, [])
                return dataclasses.replace(u, entries=self._on_page(ids, category), category=category)
            if u.intent == "none" and not refused and "off_topic" in notes and notes & {"question", "card", "caveats", "compare"}:
                intent = "compare" if len(ids) >= 2 and "compare" in notes else "card"
                return dataclasses.replace(u, intent=intent, entries=tuple(dict.fromkeys([*in_category, *ids])), confidence=0.7)
            return dataclasses.replace(u, entries=ids)
        named = sum(m.end - m.start for m in mentions)
        requirements = bool(asks_requirements(text))
        # "password managers?", "a VPN I can pay for with cash", "dns apps that work on iphone"
        asks = bool(notes & {"question", "list", "criteria", "why_not", "card", "caveats", "compare"}) or len(words) <= 4 \
            or named * 2 >= len(words) or bool(filters) or foreign or requirements
        # "how do I strip exif metadata from photos": a how-to naming a category's task and no app
        # of one's own asks for that category's tools; "how do I set up my VPN" is app support.
        own = any(_OWN.search(text[:_span(m, text, words)[0]]) for m in mentions)
        tools = not ids and bool(discourse.howto_verb(text)) and not own
        support = "support" in notes and not notes & {"list", "criteria"} and not tools
        if not asks or refused or support or u.intent in ("help", "support"):
            return dataclasses.replace(u, entries=ids)  # "my VPN keeps disconnecting": not a question for recbot

        def decided(intent: str, confidence: float, props: tuple[PropertyQuery, ...] = ()) -> Understanding:
            return dataclasses.replace(u, intent=intent, entries=(), properties=props, category=path,
                                       confidence=max(confidence, u.confidence if u.intent == intent else 0.0), unknown=())

        if notes & {"criteria", "why_not"} or requirements:
            return decided("criteria", 0.8)
        scoped = self.scoped(path).entries
        if filters and not (all(q.prop.family == "platform" for q in filters) and all(q.matches(e) for e in scoped for q in filters)):
            return decided("filter", 0.8, filters)
        return decided("list", 0.8)  # "a browser for my laptop": every desktop browser runs there


def everyday_words(kb: KnowledgeBase) -> frozenset[str]:
    """The everyday vocabulary for the entry index over ``kb``: understand.py's, less the
    products it names as another topic that are loaded entries' own names ("de bitwarden",
    "parlez-moi de tuta": the product, not a word after an article)."""
    asked_elsewhere = set(re.findall(r"[a-z0-9]{3,}", OFF_TOPIC_PRODUCTS.pattern))
    own = {e.name.casefold() for e in kb.entries if e.category and fact_schema(e.category) != "messenger"}
    return INDEX_COMMON - (asked_elsewhere & own)


def _card_text(entry: Entry) -> str:
    parts = [entry.name, entry.summary.get("en"), entry.description.get("en"), entry.details.get("en"),
             *(c.get("en") for c in entry.caveats)]
    return "\n".join(p for p in parts if p)


def _span(mention: CategoryMention, text: str, words: list[str]) -> tuple[int, int]:
    """Character span of a mention in the normalized text."""
    if mention.span is not None:
        return mention.span
    return _offset(text, words, mention.start), _offset(text, words, mention.end - 1) + len(words[mention.end - 1])


def _property_words(mention: CategoryMention, u: Understanding, text: str, words: list[str]) -> bool:
    """Are a category's words here a property asked of an app ("over the Tor network", "in the
    browser", "without a phone number or email") rather than the category? A property that
    starts the name is ("tor network"); one inside it is not ("disk encryption", "linux distro",
    "desktopbrowsers")."""
    start, end = _span(mention, text, words)
    for q in u.properties:
        if q.start < end and start < q.end and q.start <= start and (q.prop.family != "platform" or q.prop.id == "web"):
            return True
        if _LISTED_WITH.fullmatch(text[q.end : start]) or _LISTED_WITH.fullmatch(text[end : q.start]):
            return q.prop.family == "identity"
    return False


def _names(entry: Entry) -> set[str]:
    return {w for n in (entry.name, *entry.aliases) for w in tokens(normalize(n))}


#: An app of one's own ("my VPN", "mijn wachtwoordbeheerder"): its how-to is app support.
_OWN = re.compile(r"\b(?:my|our|mijn|onze|ons)\s*$")

_NEGATION_BEFORE = re.compile(r"(?:without|no|not|zonder|geen|niet|don'?t|doesn'?t)\W+(?:\w+\W+)?$")


def _negated(normalized: str, start: int) -> bool:
    return bool(_NEGATION_BEFORE.search(normalized[max(0, start - 24) : start]))


def _word_by_word(written: list[str], name: list[str]) -> bool:
    return len(written) == len(name) and all(
        a == b or len(a) >= 5 and fuzz.ratio(a, b) >= 80 for a, b in zip(written, name))


def _unknown(word: str) -> bool:
    return len(word) >= 4 and word.isalpha() and word not in KNOWN_WORDS
