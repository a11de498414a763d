"""Finding a category by what someone typed, and the one choice among a product's twins.

Pure functions over a KnowledgeBase (no bot imports), for the renderer, the engine and the
understanding of category questions (``category_questions.py``): ``find_category`` reads "vpn",
"Email Services" or "e-maildiensten" as a category; ``pick_twin`` chooses which of a product's
entries on several pages (Brave on the desktop and the mobile browsers page) a question is
about; ``with_criteria`` is the entry whose page judges its picks.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from .model import Category, Entry, KnowledgeBase
from .properties import PLATFORM_NAMES
from .text import normalize, tokens

#: Words that say little about which page is meant ("Desktop Browsers" vs "Mobile Browsers":
#: "browsers" says nothing). Kept small: page titles are short.
_STOP = frozenset({"a", "an", "and", "the", "of", "for", "on", "in", "de", "het", "een", "en", "van", "voor", "op"})

#: Context words for a platform group, beside the platform names themselves.
_PLATFORM_WORDS: dict[str, tuple[str, ...]] = {
    "android": ("android",),
    "ios": ("ios", "iphone", "ipad"),
    "windows": ("windows",),
    "macos": ("macos", "mac", "macbook"),
    "linux": ("linux", "ubuntu", "debian", "fedora"),
    "web": ("web", "browser"),
}
_MOBILE = ("mobile", "mobiel", "phone", "telefoon", "smartphone", "tablet")
_DESKTOP = ("desktop", "computer", "laptop", "pc")


def category_names(category: Category) -> list[str]:
    """What a category may be called: its path, the path's last part and its title in every language."""
    names = [category.path, category.path.rsplit("/", 1)[-1], *category.title.by_lang.values()]
    return list(dict.fromkeys(n for n in names if n))


def find_category(kb: KnowledgeBase, asked: str) -> Category | None:
    """The category ``asked`` names exactly (path or title in any language, case, accents and
    punctuation ignored; a trailing "s" too), else None. Never guesses among several."""
    found = [c for c in kb.categories if any(_same(asked, name) for name in category_names(c))]
    if not found:
        found = [c for c in kb.categories if any(_same(asked, name, plural=True) for name in category_names(c))]
    return found[0] if len(found) == 1 else None


def _key(text: str) -> str:
    """Words of a name, for comparing names ("E-mail Diensten" and "email diensten" agree)."""
    return " ".join(tokens(normalize(text.replace("/", " ").replace("-", " "))))


def _same(asked: str, name: str, plural: bool = False) -> bool:
    a, b = _key(asked).replace(" ", ""), _key(name).replace(" ", "")
    return bool(a) and (a == b or (plural and a.rstrip("s") == b.rstrip("s")))


def twins_of(kb: KnowledgeBase, entry: Entry) -> list[Entry]:
    """The entry and its twins (the same product on other pages), in the base's order."""
    ids = {entry.id, *entry.also_on}
    return [e for e in kb.entries if e.id in ids]


def with_criteria(kb: KnowledgeBase, entry: Entry) -> Entry:
    """The entry, or when its page has no criteria (a toolbox tip) its first twin whose page has."""
    own = kb.category(entry.category)
    if own is None or own.criteria:
        return entry
    return next((t for t in twins_of(kb, entry) if (c := kb.category(t.category)) is not None and c.criteria), entry)


def pick_twin(
    kb: KnowledgeBase, entry: Entry, context: str = "", *, named: Collection[str] = (),
    hints: Mapping[str, Collection[str]] | None = None,
) -> tuple[Entry, bool]:
    """Which of ``entry`` and its twins ``context`` (the question, any language) is about:
    (that entry, True) when the context points at one page (its title's or path's words, or
    platforms only that page's card has: "Brave on my iPhone"; a category the question names,
    ``named``; words that point at a page, ``hints``: page path -> words, from the category
    vocabulary), else (the first of them in the base's order whose page has criteria, else the
    first, False). An entry without twins is returned as it is, with False."""
    candidates = twins_of(kb, entry)
    if len(candidates) < 2:
        return entry, False
    words = set(tokens(normalize(context)))
    if words:
        hints = hints or {}
        scores = [_score(kb, e, candidates, words) + 2 * (e.category in named) + len(words & set(hints.get(e.category, ())))
                  for e in candidates]
        best = max(scores)
        if best > 0 and scores.count(best) == 1:
            return candidates[scores.index(best)], True
    return with_criteria(kb, candidates[0]), False


def _score(kb: KnowledgeBase, entry: Entry, candidates: list[Entry], words: set[str]) -> int:
    own = _title_words(kb, entry)
    shared = set.intersection(*(_title_words(kb, e) for e in candidates))
    score = 2 * len((own - shared - _STOP - set(tokens(normalize(entry.name)))) & words)
    platforms = set(entry.facts.platforms)
    others = set().union(*(set(e.facts.platforms) for e in candidates if e is not entry))
    for platform in platforms - others:  # a platform only this twin's card has
        if words & set(_PLATFORM_WORDS.get(platform, (platform,))) or words & {normalize(PLATFORM_NAMES.get(platform, platform))}:
            score += 1
    mobile, desktop = platforms & {"android", "ios"}, platforms & {"windows", "macos", "linux"}
    if words & set(_MOBILE) and mobile and not desktop:
        score += 1
    if words & set(_DESKTOP) and desktop and not mobile:
        score += 1
    return score


def _title_words(kb: KnowledgeBase, entry: Entry) -> set[str]:
    category = kb.category(entry.category)
    names = category_names(category) if category else [entry.category]
    return set().union(*(set(_key(n).split()) for n in names))
