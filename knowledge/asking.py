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
_HEBREW_PREFIXES = "[ובכלמשה]{1,2}"  # and, in, like, to, from, that, the
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Cues:
    """One language's cue words as patterns over a normalized question."""

    lang: str
    patterns: dict[str, re.Pattern[str]]  # key -> any of its phrases
    words: dict[str, frozenset[str]]  # key -> its phrases, normalized (for telling the language)
    help_words: frozenset[str]  # single help words, for a misspelling ("hepl")
    stems: tuple[str, ...]  # the phrases written with a trailing "*", longest first


def _pattern(phrases: list[str]) -> re.Pattern[str]:
    """Any of ``phrases``: whole words (a trailing ``*``: any ending), Chinese inside the text."""
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        body = re.escape(phrase.rstrip("*")).replace(r"\*", r"\w*").replace(r"\ ", r"\s+")
        body += r"\w*" if phrase.endswith("*") else ""
        if _HEBREW.search(phrase):
            body = f"(?:{_HEBREW_PREFIXES})?{body}"  # "החסרונות", "בבוט": the article or a preposition joined on
        parts.append(body if _HAN.search(phrase) else rf"(?<![\w'-]){body}(?![\w-])")
    return re.compile("|".join(parts) or r"(?!)")


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
    patterns, words = {}, {}
    for key in KEYS:
        items = data.get(key)
        if not isinstance(items, list) or not items or len(items) > MAX_PHRASES:
            raise ValueError(f"{path}: {key}: expected a list of 1 to {MAX_PHRASES} phrases")
        phrases = [normalize(str(p)).strip() for p in items if str(p).strip()]
        patterns[key] = _pattern(phrases)
        words[key] = frozenset(p.rstrip("*") for p in phrases)
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown key {unknown[0]!r} (expected {', '.join(KEYS)})")
    single = frozenset(w for w in words["help"] if " " not in w and len(w) >= 4 and w.isascii())
    stems = tuple(sorted({normalize(str(p)).strip().rstrip("*") for key in KEYS for p in data[key] if str(p).strip().endswith("*")},
                         key=len, reverse=True))
    return Cues(path.stem, patterns, words, single, stems)


@functools.lru_cache(maxsize=4)
def cues(folder: Path = CUES_DIR) -> dict[str, Cues]:
    """Every language's cues, read once (language code -> cues)."""
    return {path.stem: _read(path) for path in sorted(folder.glob("*.yaml"))}


def _iso(lang: str) -> str:
    return lang.split("-")[0]


@functools.lru_cache(maxsize=1)
def _owners(folder: Path = CUES_DIR) -> dict[str, str]:
    """Each cue phrase -> the one language that has it (a phrase in two languages tells neither)."""
    seen: dict[str, set[str]] = {}
    for lang, c in cues(folder).items():
        for phrases in c.words.values():
            for phrase in phrases:
                seen.setdefault(phrase, set()).add(_iso(lang))
    return {phrase: next(iter(langs)) for phrase, langs in seen.items() if len(langs) == 1}


def cue_language(message: str, candidates: frozenset[str] | set[str], sure: str = "") -> str:
    """The language (ISO 639-1, among ``candidates``) whose cue words a message uses, or "".

    Each phrase of one language counts once; a word inside a longer phrase of another
    language counts for neither ("de" in "háblame de"). Without a ``sure`` guess one telling
    word decides ("aide", "mullvad ou ivpn ?"); against a sure Dutch or English guess it takes
    one when that language has none, else two more ("quali sono i criteri per i servizi email")."""
    text = normalize(message)
    owners = _owners()
    found: list[tuple[str, int, int, str]] = []  # language, start, end, phrase
    for lang, c in cues().items():
        iso = _iso(lang)
        for key in KEYS:
            for m in c.patterns[key].finditer(text):
                phrase = " ".join(m.group(0).split())
                if owners.get(phrase, owners.get(_stem(phrase, c), "")) == iso:
                    found.append((iso, m.start(), m.end(), phrase))
    votes: dict[str, int] = {}
    for lang, start, end, phrase in dict.fromkeys(found):
        if not any(o != lang and a <= start and end <= b and b - a > end - start for o, a, b, _ in found):
            votes[lang] = votes.get(lang, 0) + 1
    if not votes:
        return ""
    best = max(votes, key=votes.__getitem__)
    if best not in candidates or any(votes[o] >= votes[best] for o in votes if o != best):
        return ""
    if sure:
        return best if votes[best] >= votes.get(sure, 0) + (2 if votes.get(sure) else 1) else ""
    return best


def _stem(found: str, c: Cues) -> str:
    """The phrase of ``c`` a prefix match came from ("недостатки" -> "недостат")."""
    return next((p for p in c.stems if found.startswith(p)), found)


#: Languages whose questions understand.py reads itself: their files tell the language only
#: (Dutch "of" is "or", English "of" is not; understand.py knows which the message is in).
READ_ELSEWHERE = frozenset({"en", "nl"})


def asked(message: str) -> set[str]:
    """The intent keys (help, caveats, compare, card) the cues of the languages understand.py
    does not read find in a message."""
    text = normalize(message)
    return {key for lang, c in cues().items() if lang not in READ_ELSEWHERE
            for key in INTENT_KEYS if c.patterns[key].search(text)}


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
