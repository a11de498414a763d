"""What a question about categories and products asks, read from per-language cue words
(``vocabulary/asking/LANG.yaml``: help, caveats, compare, card, and the markers of a language),
and which of the site's languages those words are in.

understand.py reads Dutch and English questions about messengers; this module adds, for
questions over a whole site, the same few intents in every language the site publishes
("inconvénients de Proton Drive ?", "brave или firefox?", "幫助"), and tells the language
of short messages that a detector cannot ("mullvad ou ivpn ?", "aide"). Only data names
words: a new language is one more file with the same keys.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import OSA

from .text import normalize, tokens
from .understand import Understanding
from .yaml_safe import YamlError, load_bounded

CUES_DIR = Path(__file__).parent / "vocabulary" / "asking"
KEYS = ("markers", "help", "caveats", "compare", "card")
INTENT_KEYS = KEYS[1:]
MAX_PHRASES = 200  # per key and language: the files are small; a huge one is a mistake
MAX_HELP_WORDS = 8  # a longer message with a help word asks for something else ("help me pick a VPN")
_HEBREW = re.compile(r"[\u0590-\u05ff]")
_HEBREW_PREFIXES = frozenset("ובכלמשה")  # and, in, like, to, from, that, the: joined on to the word
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Cues:
    """One language's cue words, normalized as questions are."""

    lang: str
    words: dict[str, frozenset[str]]  # key -> its phrases, normalized (for telling the language)
    help_words: frozenset[str]  # single help words, for a misspelling ("hepl")
    stems: tuple[str, ...]  # the phrases written with a trailing "*", longest first


def _read(path: Path) -> Cues:
    """One file; a broken one names the file, its line or the key."""
    try:
        data = load_bounded(path.read_text(encoding="utf-8"))
    except YamlError as exc:
        raise ValueError(f"{path}:{exc.line}: {exc.message}") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected the keys {', '.join(KEYS)}")
    words = {}
    for key in KEYS:
        items = data.get(key)
        if not isinstance(items, list) or not items or len(items) > MAX_PHRASES:
            raise ValueError(f"{path}: {key}: expected a list of 1 to {MAX_PHRASES} phrases")
        phrases = [" ".join(normalize(str(p)).split()) for p in items if str(p).strip()]
        starred = next((p for p in phrases if "*" in p.rstrip("*") or p.endswith("*") and " " in p), None)
        if starred:
            raise ValueError(f"{path}: {key}: '{starred}': a '*' only ends a one-word phrase")
        words[key] = frozenset(p.rstrip("*") for p in phrases)
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown key {unknown[0]!r} (expected {', '.join(KEYS)})")
    single = frozenset(w for w in words["help"] if " " not in w and len(w) >= 4 and w.isascii())
    stems = tuple(sorted({normalize(str(p)).strip().rstrip("*") for key in KEYS for p in data[key] if str(p).strip().endswith("*")},
                         key=len, reverse=True))
    return Cues(path.stem, words, single, stems)


@functools.lru_cache(maxsize=4)
def cues(folder: Path = CUES_DIR) -> dict[str, Cues]:
    """Every language's cues, read once (language code -> cues)."""
    return {path.stem: _read(path) for path in sorted(folder.glob("*.yaml"))}


def _iso(lang: str) -> str:
    return lang.split("-")[0]


#: Languages whose questions understand.py reads itself: their files tell the language only
#: (Dutch "of" is "or", English "of" is not; understand.py knows which the message is in).
READ_ELSEWHERE = frozenset({"en", "nl"})


@dataclass(frozen=True)
class _Matcher:
    """Every language's phrases, looked up word by word (longest phrase first) in one pass."""

    owner: dict[str, str]  # phrase -> the one language (ISO 639-1) that has it, "" for several
    keys: dict[str, frozenset[str]]  # phrase -> its intent keys in the languages understand.py does not read
    spaced: dict[tuple[str, ...], str]  # a phrase's words -> the phrase
    longest: int  # words in the longest phrase
    stems: tuple[str, ...]  # one-word phrases written with "*", longest first
    han: tuple[str, ...]  # Chinese phrases, found inside the text, longest first

    def _word(self, word: str) -> str:
        """The phrase a single word is: as written, a "*" phrase it starts with, or either
        after a joined-on Hebrew prefix ("החסרונות": "חסרונות")."""
        forms = [word]
        if word[:1] in _HEBREW_PREFIXES:
            forms += [word[1:], *([word[2:]] if word[1:2] in _HEBREW_PREFIXES else [])]
        for form in forms:
            if (form,) in self.spaced:
                return form
            stem = next((p for p in self.stems if form.startswith(p)), "")
            if stem:
                return stem
        return ""

    def found(self, text: str) -> set[str]:
        """The phrases in a normalized text (a word inside a longer phrase is not one of its own)."""
        words = _WORD.findall(text[:2000])
        phrases: set[str] = set()
        i = 0
        while i < len(words):
            for size in range(min(self.longest, len(words) - i), 1, -1):
                phrase = self.spaced.get(tuple(words[i : i + size]))
                if phrase:
                    phrases.add(phrase)
                    i += size
                    break
            else:
                single = self._word(words[i])
                if single:
                    phrases.add(single)
                i += 1
        if _HAN.search(text):
            inside = [p for p in self.han if p in text]
            phrases |= {p for p in inside if not any(p != q and p in q for q in inside)}
        return phrases


@functools.lru_cache(maxsize=1)
def _matcher(folder: Path = CUES_DIR) -> _Matcher:
    langs: dict[str, set[str]] = {}
    keys: dict[str, set[str]] = {}
    for lang, c in cues(folder).items():
        for key, phrases in c.words.items():
            for phrase in phrases:
                langs.setdefault(phrase, set()).add(_iso(lang))
                if key in INTENT_KEYS and lang not in READ_ELSEWHERE:
                    keys.setdefault(phrase, set()).add(key)
    spaced = {tuple(p.split()): p for p in langs if not _HAN.search(p)}
    return _Matcher(
        {p: next(iter(ls)) if len(ls) == 1 else "" for p, ls in langs.items()},
        {p: frozenset(ks) for p, ks in keys.items()},
        spaced,
        max((len(w) for w in spaced), default=1),
        tuple(sorted({p for c in cues(folder).values() for p in c.stems}, key=len, reverse=True)),
        tuple(sorted((p for p in langs if _HAN.search(p)), key=len, reverse=True)),
    )


def cue_language(message: str, candidates: frozenset[str] | set[str], sure: str = "") -> str:
    """The language (ISO 639-1, among ``candidates``) whose cue words a message uses, or "".

    Each phrase counts once, for the one language that has it; a word inside a longer phrase
    counts for nothing ("de" in "háblame de"). Without a ``sure`` guess one telling word
    decides ("aide", "mullvad ou ivpn ?"); against a sure Dutch or English guess it takes one
    when that language has none, else two more ("quali sono i criteri per i servizi email")."""
    matcher = _matcher()
    votes: dict[str, int] = {}
    for phrase in matcher.found(normalize(message)):
        owner = matcher.owner.get(phrase, "")
        if owner:
            votes[owner] = votes.get(owner, 0) + 1
    if not votes:
        return ""
    best = max(votes, key=votes.__getitem__)
    if best not in candidates or any(votes[o] >= votes[best] for o in votes if o != best):
        return ""
    if sure:
        return best if votes[best] >= votes.get(sure, 0) + (2 if votes.get(sure) else 1) else ""
    return best


def asked(message: str) -> set[str]:
    """The intent keys (help, caveats, compare, card) the cues of the languages understand.py
    does not read find in a message."""
    matcher = _matcher()
    return {key for phrase in matcher.found(normalize(message)) for key in matcher.keys.get(phrase, ())}


def _misspelt_help(words: list[str]) -> bool:
    """"hepl pls": a short message whose one long word is a help word with one slip."""
    if not words or len(words) > 3:
        return False
    helps = {w for c in cues().values() for w in c.help_words}
    return any(len(w) >= 4 and any(OSA.distance(w, h) <= 1 for h in helps if abs(len(h) - len(w)) <= 1) for w in words)


def reread(u: Understanding, message: str, names_category: bool) -> Understanding:
    """The understanding with what the cue words of any site language ask, where the
    messenger rules (nl/en) found no such intent: a product's caveats, a comparison of two
    products named, or help. ``names_category``: the question names a loaded category (then
    a help word is no request for the bot's help: "помощь с vpn")."""
    if u.command is not None or u.intent not in ("card", "none"):
        return u
    found = asked(message)
    if u.intent == "card" and u.entries:
        if "caveats" in found:
            return dataclasses.replace(u, intent="caveats", confidence=max(u.confidence, 0.7))
        if len(u.entries) >= 2 and "compare" in found:
            return dataclasses.replace(u, intent="compare", confidence=max(u.confidence, 0.7))
        return u
    if u.intent == "none" and not u.entries and not u.unknown and not names_category \
            and not message.lstrip().startswith("@"):
        words = tokens(normalize(message))
        short = len(words) <= MAX_HELP_WORDS and len(message) <= 80
        if short and ("help" in found or _misspelt_help(words)):
            return dataclasses.replace(u, intent="help", confidence=0.85)
    return u
