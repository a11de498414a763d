"""Find entries mentioned in a question: exact names and aliases, then fuzzy single words.

Built once per knowledge base (a refresh builds a new one). Exact lookups are dictionary hits
on token n-grams; only words that are not known vocabulary go to rapidfuzz, in one batch, so
the cost per question stays small even with thousands of entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .model import Entry
from .text import normalize, tokens

# Generic words that never identify an entry on their own, even as part of a name.
GENERIC = {"chat", "messenger", "app", "apps", "im", "the", "private", "secure", "android", "ios", "client"}
# What follows a name in a hyphenated repository or package name: "element-web", "session-android".
NAME_SUFFIXES = {
    "web", "android", "ios", "desktop", "app", "apps", "client", "messenger", "im", "chat", "mobile", "linux",
    "windows", "macos", "mac", "foss", "fdroid", "beta", "nightly", "server", "cli", "qt", "gtk", "x", "next", "id", "service",
}


@dataclass(frozen=True)
class Mention:
    entry_id: str
    start: int  # token index where the mention starts
    end: int  # token index after it
    score: float  # 0..100: 100 for an exact name or alias
    surface: str  # the words as written (normalized)

    @property
    def exact(self) -> bool:
        return self.score >= 100


MAX_FUZZY_WORDS = 10  # unknown words per message compared with every name (bounds the cost on big bases)


def fuzzy_cutoff(length: int) -> float | None:
    """How close a word of this length must be to a name to count; None: never fuzzy."""
    if length < 5:
        return None
    if length < 7:
        return 80.0
    return 78.0


class EntityIndex:
    def __init__(self, entries: tuple[Entry, ...] | list[Entry], common: frozenset[str] | set[str] = frozenset()):
        """``common``: everyday vocabulary. A one-word alias that is an everyday word
        ("Messenger", "Conversations", the "whats" of "Whats App") never names an entry on its
        own; an entry whose own name is one ("Signal", "Wire") is in ``common_names``, for the
        caller to read in the app's sense only."""
        self.phrases: dict[tuple[str, ...], str] = {}
        self.max_words = 1
        self.common_names: set[str] = set()
        self.common_aliases: dict[str, str] = {}  # everyday-word aliases: a name only when written as one
        self._glued: set[str] = set()
        for entry in entries:
            own = tuple(tokens(normalize(entry.name)))
            names = [tokens(normalize(name)) for name in (entry.name, *entry.aliases)]
            written = {words[0] for words in names if len(words) == 1}
            self._glued |= {"".join(words) for words in names if len(words) > 1} - written
            for phrase in self._phrases(entry):
                if len(phrase) == 1 and (phrase[0] in common or phrase[0] in GENERIC):
                    if phrase != own:
                        if phrase[0] not in GENERIC:
                            self.common_aliases.setdefault(phrase[0], entry.id)
                        continue
                    self.common_names.add(phrase[0])
                self.phrases.setdefault(phrase, entry.id)
                self.max_words = max(self.max_words, len(phrase))
        # Capitalised names in an entry's own texts ("apps such as Conversations, Monal"): a product
        # the question names that only one entry's texts name is that entry's (a client of it).
        seen: dict[str, set[str]] = {}
        for entry in entries:
            texts = [entry.summary.get("en"), entry.description.get("en"), *(c.get("en") for c in entry.caveats)]
            for word in re.findall(r"(?<![\w.])[A-Z][a-z]+[A-Za-z]*\b", " ".join(texts)):
                seen.setdefault(normalize(word), set()).add(entry.id)
        self.named_in_texts = {w: next(iter(ids)) for w, ids in seen.items() if len(ids) == 1}
        self._longest: dict[str, int] = {}  # first word of a phrase -> its most words
        for phrase in self.phrases:
            self._longest[phrase[0]] = max(self._longest.get(phrase[0], 1), len(phrase))
        # Fuzzy matching only for names people write as one word, not for glued-together phrases ("threemaid").
        single = sorted((p[0], owner) for p, owner in self.phrases.items()
                        if len(p) == 1 and len(p[0]) >= 4 and p[0] not in self._glued)
        self.fuzzy_terms = [term for term, _ in single]
        self.fuzzy_owners = [owner for _, owner in single]
        # Every word of a name or alias: words that belong to no language.
        self.name_words = frozenset(w for phrase in self.phrases for w in phrase)
        self._terms: dict[str, list[str]] = {}
        for phrase, owner in self.phrases.items():
            if len(phrase) == 1:
                self._terms.setdefault(owner, []).append(phrase[0])

    def terms_of(self, entry_id: str) -> list[str]:
        """The one-word names and aliases of an entry."""
        return self._terms.get(entry_id, [])

    @staticmethod
    def _phrases(entry: Entry) -> set[tuple[str, ...]]:
        phrases: set[tuple[str, ...]] = set()
        for name in (entry.name, *entry.aliases, entry.id.replace("-", " ").replace("_", " ")):
            words = tuple(tokens(normalize(name)))
            if not words:
                continue
            phrases.add(words)
            if len(words) > 1:
                phrases.add(("".join(words),))  # "simplexchat"
                distinctive = [w for w in words if w not in GENERIC and len(w) >= 4]
                if len(distinctive) == 1:  # "SimpleX Chat" is also just "simplex"
                    phrases.add((distinctive[0],))
            if "." in words[-1]:  # "simplex.chat" also as "simplex chat"
                phrases.add(tuple(words[-1].split(".")))
        return phrases

    def find(self, words: list[str], known: frozenset[str] | set[str] = frozenset()) -> list[Mention]:
        """Mentions in order of appearance; ``known`` words are never fuzzy-matched.

        Besides the names as written: a name split over words ("simple x" for SimpleX) and a
        name with a hyphenated suffix ("element-web", "session-android") count as exact.
        """
        mentions: list[Mention] = []
        taken = [False] * len(words)
        bases = [_base(w) for w in words]
        i = 0
        while i < len(words):
            longest = self._longest.get(bases[i], 1)
            for size in range(min(longest, len(words) - i), 0, -1):
                owner = self.phrases.get(tuple(bases[i : i + size]))
                if owner is not None:
                    mentions.append(Mention(owner, i, i + size, 100.0, " ".join(words[i : i + size])))
                    taken[i : i + size] = [True] * size
                    i += size
                    break
            else:
                owner, size = self._joined(words, bases, i)
                if owner is not None:
                    mentions.append(Mention(owner, i, i + size, 100.0, " ".join(words[i : i + size])))
                    taken[i : i + size] = [True] * size
                    i += size
                else:
                    i += 1
        candidates = sorted(
            {
                b
                for n, (w, b) in enumerate(zip(words, bases))
                if not taken[n] and b not in known and w not in known and fuzzy_cutoff(len(b))
            }
        )
        if len(candidates) > MAX_FUZZY_WORDS:  # a long message: its first unknown words (a typo'd name is rarely deep in it)
            first = {b: n for n, b in reversed(list(enumerate(bases)))}
            candidates = sorted(candidates, key=lambda w: first.get(w, 0))[:MAX_FUZZY_WORDS]
        if candidates and self.fuzzy_terms:
            best = self._fuzzy(candidates)
            for n, word in enumerate(words):
                hit = best.get(bases[n])
                if not taken[n] and hit is not None:
                    mentions.append(Mention(hit[0], n, n + 1, hit[1], word))
        mentions.sort(key=lambda m: m.start)
        return mentions

    def _joined(self, words: list[str], bases: list[str], i: int) -> tuple[str | None, int]:
        """A name written in pieces at ``words[i]``: "simple x", "element-web", "session-android"
        (``bases``: the words without possessives)."""
        word = bases[i]
        if "-" in word:
            parts = word.split("-")
            for cut in range(len(parts) - 1, 0, -1):
                head, tail = parts[:cut], parts[cut:]
                owner = self.phrases.get(tuple(head)) or self.phrases.get(("".join(head),))
                if owner is not None and all(t in NAME_SUFFIXES or "." in t for t in tail):  # "textsecure-service.whispersystems.org"
                    return owner, 1
            owner = self.phrases.get(("".join(parts),))  # "simple-x"
            if owner is not None:
                return owner, 1
        if len(word) >= 5 and word.isalpha():  # "toxid", "signalapp": a name with a suffix glued on
            for size in _GLUED_SIZES:
                if word[-size:] in NAME_SUFFIXES and len(word) - size >= 3 and (word[:-size],) in self.phrases:
                    return self.phrases[(word[:-size],)], 1
        for size in (2, 3):
            if i + size > len(words):
                break
            piece = words[i : i + size]
            based = bases[i : i + size]
            joined = "".join(based)
            if any(len(p) <= 2 for p in piece):  # "simple x"; "brair chat" no
                owner = self.phrases.get((joined,))
                if owner is not None:
                    return owner, size
            elif size == 2 and len(joined) >= 7 and not any((b,) in self.phrases for b in based):
                # "tele gram", "face book messenger": a long name split in two, neither half a name itself
                for tail in range(min(self._longest.get(joined, 1) - 1, len(words) - i - 2), -1, -1):
                    owner = self.phrases.get((joined, *bases[i + 2 : i + 2 + tail]))
                    if owner is not None:
                        return owner, size + tail
        return None, 0

    def _fuzzy(self, candidates: list[str]) -> dict[str, tuple[str, float]]:
        best: dict[str, tuple[str, float]] = {}
        for word in candidates:
            cutoff = fuzzy_cutoff(len(word))
            hit = process.extractOne(word, self.fuzzy_terms, scorer=fuzz.ratio, score_cutoff=cutoff)
            if hit is not None:
                best[word] = (self.fuzzy_owners[hit[2]], float(hit[1]))
        return best

    def is_name(self, word: str) -> bool:
        return (word,) in self.phrases

    def best_score(self, word: str) -> float:
        """How close a word comes to any name or alias (0..100)."""
        if not self.fuzzy_terms:
            return 0.0
        hit = process.extractOne(word, self.fuzzy_terms, scorer=fuzz.ratio)
        return float(hit[1]) if hit else 0.0

    def suggest(self, word: str, limit: int = 3) -> list[str]:
        """Entry ids whose names come close to ``word``: for "did you mean"."""
        word = " ".join(tokens(normalize(word)))
        if not word or not self.fuzzy_terms:
            return []
        found = process.extract(word, self.fuzzy_terms, scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=70)
        # Close to a whole name, not a short word inside a long one ("zom" is not "Facebook Messenger").
        found = [hit for hit in found if fuzz.ratio(word, hit[0]) >= 60]
        return list(dict.fromkeys(self.fuzzy_owners[i] for _, _, i in found))[:limit]


_GLUED_SIZES = tuple(sorted({len(s) for s in NAME_SUFFIXES if s.isalpha()}, reverse=True))


def _base(word: str) -> str:
    """A word without a possessive: "signal's" -> "signal"."""
    if "'" not in word:
        return word
    for suffix in ("'s", "'"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)]
    return word
