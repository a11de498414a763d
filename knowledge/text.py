"""Text normalisation, quote stripping, tokens and language detection for questions.

Everything a question goes through first: it must take any unicode of any length without
raising, and bound the work it does (hostile input is cut, not choked on).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_CHARS = 2000  # a question longer than this is judged on its start
MAX_TOKENS = 120

# Zero-width and bidirectional control characters: invisible, so never part of a word.
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x034F, 0x061C, 0x180E, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0xFEFF],
    None,
)
# Letters that look like Latin ones (Cyrillic and Greek homoglyphs) folded to Latin.
_HOMOGLYPHS = str.maketrans(
    "аеорсухіјѕԁԛԝмнтвкАЕОРСУХІЈЅМНТВКΑΒΕΖΗΙΚΜΝΟΡΤΥΧαορνιικ",
    "aeopcyxijsdqwmhtbkAEOPCYXIJSMHTBKABEZHIKMNOPTYXaopvilk",
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[.'’-][a-z0-9]+)*")


#: Longest piece of a user's message echoed back in a reply.
ECHO_CHARS = 40
# Characters that show as blank or nothing: Hangul and braille fillers, and the like.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u17b4\u17b5")


def echo(text: str, limit: int = ECHO_CHARS) -> str:
    """``text`` made safe to quote back: invisible, format (bidi included), control and
    filler characters dropped, whitespace folded, cut to ``limit`` characters with "…"."""
    head = text[: limit * 8]
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in head
        if ch.isspace() or not (unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in _FILLERS)
    )
    folded = " ".join(kept.split())
    if len(folded) <= limit and len(head) == len(text):
        return folded
    return folded[: limit - 1].rstrip() + "…"


def normalize(text: str) -> str:
    """Lowercase, accent-free, homoglyph-folded text with invisible characters removed."""
    text = text[: MAX_CHARS * 2].translate(_INVISIBLE)
    text = unicodedata.normalize("NFKC", text).translate(_HOMOGLYPHS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.casefold()[:MAX_CHARS]


_CODE = re.compile(r"```.*?(?:```|$)", re.DOTALL)


def strip_quotes_and_code(message: str) -> str:
    """``message`` without code blocks and quoted lines (a Matrix reply fallback is the
    quoted "> <@user> …" lines at its start), trimmed."""
    message = _CODE.sub(" ", message[:20000])
    return "\n".join(line for line in message.splitlines() if not line.lstrip().startswith(">")).strip()


def tokens(normalized: str) -> list[str]:
    """Words of a normalized text (dots, apostrophes and hyphens inside words kept)."""
    return [m.group(0).replace("’", "'") for m in _TOKEN.finditer(normalized)][:MAX_TOKENS]


def slug(text: str) -> str:
    return "-".join(tokens(normalize(text)).__iter__()).replace(".", "-").replace("'", "")


# --- language ------------------------------------------------------------------------------

_DUTCH = set(
    """
    de het een en of is zijn ben bent wat welke welk hoe waarom wie waar wanneer kan kun kunnen
    heeft hebben heb geen niet nog ook voor met van op in aan bij naar om dan dat die deze dit
    ik je jij jullie u we wij mijn jouw uw ze zij hun er hier daar werkt werken werk nodig moet
    moeten mag graag goed beter best beste slecht zonder over vertel leg uit verschil tussen
    aanbevolen aanraden raden raad gebruiken gebruik veilig versleuteld telefoonnummer nadelen
    nadeel eisen criteria voldoet voldoen apps berichten gesprekken bellen ondersteunen
    ondersteunt hallo hoi dank bedankt wel alsjeblieft aub zit staat alle allemaal iets niets
    geval vind vinden denk jullie hulp lijst kaart vergelijk welke geschikt vergaderingen privé
    webversie opties
    """.split()
)
_ENGLISH = set(
    """
    the a an and or is are am what which how why who where when can could does do did has have
    no not yet also for with of on in at to than that those these this i you your we our my
    they their there here works work need needs needed must should may please good better best
    bad without about tell explain difference between recommended recommend use using safe
    encrypted phone number downsides drawbacks cons criteria meet meets apps messages calls
    support supports hello hi thanks thank all any anything nothing case think help list card
    compare suitable meetings private options ones run runs were was info different
    """.split()
)


@dataclass(frozen=True)
class LangGuess:
    lang: str  # "nl" or "en": the language to answer in
    sure: bool
    other: str = ""  # ISO 639-1 code of another language the message is clearly written in


# Languages people in a Dutch/English room may also write in. Restricting lingua to these keeps
# its models small (low-accuracy mode: ~25 MB, built in ~0.1 s) and a guess at ~0.02 ms.
_HEAD_WORDS = 24  # of a long message, the words our lists read before asking lingua
# Function words that only say which language a long message is in (no German or other
# language's words among them: "was", "will", "also", "so" are German too).
_HEAD_ENGLISH = _ENGLISH | set(
    """
    it be as if but from by just would been because some more very only other into then them he she
    his her its get like know want really which when after before still even way since while could
    don't i'm it's can't doesn't isn't i've there's that's you're we're they're anyone someone
    """.split()
)
_HEAD_DUTCH = _DUTCH | set(
    """
    maar als heel echt nu zo omdat toch meer veel wordt worden gaat gaan hebt zou zouden mij m'n ons
    onze jou hij haar alleen altijd nooit wil weet eigenlijk gewoon iemand mensen zelf sinds
    """.split()
)
_OTHER_LANGUAGES = ("DE", "FR", "ES", "IT", "PT", "PL", "TR", "RU", "AR", "ID", "SV", "DA")
_detector = None


def _lingua():
    """The lingua detector, built once on first use (None if lingua is not installed)."""
    global _detector
    if _detector is None:
        try:
            from lingua import IsoCode639_1, LanguageDetectorBuilder
        except ImportError:  # pragma: no cover - lingua is a dependency
            _detector = False
            return None
        codes = [getattr(IsoCode639_1, code) for code in ("NL", "EN", *_OTHER_LANGUAGES)]
        _detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()
    return _detector or None


def detect_language(
    words: list[str], default: str = "nl", names: frozenset[str] | set[str] = frozenset(), text: str = ""
) -> LangGuess:
    """The language of a question's words: Dutch, English, or another one (``other``).

    lingua decides; our lists of common Dutch and English words decide where lingua cannot
    (short messages made of names: "signal vs session" reads as French to it). ``names``
    (entry names and other words that belong to no language) are left out. ``text``, the
    message as written (accents kept), gives lingua more to go on than the normalized words.
    The default is the answer when nothing tells.
    """
    default = default if default in ("nl", "en") else "nl"
    content = [w for w in words if w not in names and not w.isdigit()]
    nl = sum(1 for w in content if w in _DUTCH and w not in _ENGLISH)
    en = sum(1 for w in content if w in _ENGLISH and w not in _DUTCH)
    # Our lists already tell (and cover half the words, so it is no other language): lingua is not asked.
    clear = ((nl >= 2 and en == 0) or (en >= 2 and nl == 0)) and (nl + en) * 2 >= len(content)
    if not clear and len(content) >= 8:
        # A longer message: its opening function words tell as well as lingua, which reads only those too.
        head = content[:_HEAD_WORDS]
        head_nl = sum(1 for w in head if w in _HEAD_DUTCH and w not in _HEAD_ENGLISH)
        head_en = sum(1 for w in head if w in _HEAD_ENGLISH and w not in _HEAD_DUTCH)
        if (head_nl >= 3 and head_en == 0) or (head_en >= 3 and head_nl == 0):
            clear = (head_nl + head_en) * 3 >= len(head)
            nl, en = (nl, 0) if head_nl else (0, en)
    detector = _lingua() if sum(len(w) for w in content) >= 6 and not clear else None
    if detector is not None:
        raw = [t for t in text[:400].split() if t.casefold().strip(".,:;!?¿¡\"'()") not in names] if text else content
        ranked = detector.compute_language_confidence_values(" ".join(raw)[:160])  # a language shows in its first words
        top = ranked[0] if ranked else None
        if top is not None:
            code = top.language.iso_code_639_1.name.lower()
            lists_disagree = (nl > en and code == "en") or (en > nl and code == "nl")
            if code in ("nl", "en") and top.value >= (0.8 if lists_disagree else 0.5):
                return LangGuess(code, True)
            if code not in ("nl", "en") and top.value >= (0.3 if len(content) >= 3 else 0.5) and nl + en <= len(content) // 4 and len(content) >= 2:
                return LangGuess(default, False, code)
    if nl > en:
        return LangGuess("nl", True)
    if en > nl:
        return LangGuess("en", True)
    return LangGuess(default, False)


# --- the site's other languages --------------------------------------------------------------

# Scripts that name their language among those Privacy Guides publishes in (Han: Chinese, of
# whichever variant; the caller picks zh-Hant or zh-TW by what is loaded).
_SCRIPTS = (
    ("he", re.compile(r"[\u0590-\u05ff\ufb1d-\ufb4f]")),
    ("zh", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
)
# Short words that mark a question in one of the site's Latin-script languages, accent-free
# as ``normalize`` leaves them. lingua's low-accuracy mode mixes these up on a few words
# ("Est-ce que Signal est sûr ?" reads Spanish to it); a word in two lists counts for neither.
_MARKERS = {
    "fr": set(
        """est-ce qu'est-ce est-il est-elle c'est quel quelle quels quelles les des du une pour avec sans ou vous
        je recommandez conseillez recommander meilleur meilleure messagerie pourquoi comment peut-on faut-il sont
        est sur aussi mon ma mes pas ne quoi bien chiffree chiffre securise securisee logiciel navigateur"""
        .split()
    ),
    "es": set(
        """es el los las del una para sin cual cuales seguro segura mejor recomiendan recomiendas recomendais hay
        puedo usar por pero muy como tiene mensajeria aplicacion sirve cifrado cifrada navegador correo
        es-seguro porque"""
        .split()
    ),
    "it": set(
        """il gli della delle dei senza qual quale quali sicuro sicura migliore consigliate consigli consiglia non
        piu posso usare tra fra anche ma sono che cifrata cifrato messaggistica perche"""
        .split()
    ),
}
_MARKER_OWNER = {
    word: lang for lang, words in _MARKERS.items() for word in words
    if sum(word in other for other in _MARKERS.values()) == 1
}
_ACCENT_MARKS = {"fr": "çêûœ", "es": "¿¡ñ", "it": ""}


def site_language(text: str, words: list[str], names: frozenset[str] | set[str] = frozenset(),
                  candidates: frozenset[str] | set[str] | tuple[str, ...] = ()) -> str:
    """The language among ``candidates`` (ISO 639-1: es fr he it ru zh) a message is written
    in, or "" when it does not clearly tell (then the caller keeps its default).

    A script tells first: Hebrew, Han (Chinese) or Cyrillic letters, at least two and a third
    of the letters outside names (one Cyrillic look-alike in "Ѕignal" is not Russian). Latin-script
    languages are read from their short marker words and accented letters, with lingua's
    guess (low-accuracy mode, as for ``detect_language``) as one more vote; two votes decide.
    """
    head = text[:MAX_CHARS]
    content = [w for w in words if w not in names]
    others = sum(len(w) for w in content)  # Latin letters outside names ("Mullvad 和 Proton VPN 哪個比較好？" is Chinese)
    for lang, script in _SCRIPTS:
        count = len(script.findall(head))
        if lang in candidates and count >= 2 and count * 2 >= others:
            return lang
    latin = [lang for lang in _MARKERS if lang in candidates]
    if not latin:
        return ""
    votes = dict.fromkeys(latin, 0.0)
    for word in dict.fromkeys(content):
        owner = _MARKER_OWNER.get(word)
        if owner in votes:
            votes[owner] += 1
    for lang in latin:
        if any(mark in head for mark in _ACCENT_MARKS[lang]):
            votes[lang] += 1
    detector = _lingua() if sum(len(w) for w in content) >= 6 else None
    if detector is not None:
        raw = " ".join(t for t in head[:400].split() if t.casefold().strip(".,:;!?¿¡\"'()") not in names)[:160]
        ranked = detector.compute_language_confidence_values(raw)
        if ranked and ranked[0].value >= 0.5:
            code = ranked[0].language.iso_code_639_1.name.lower()
            if code in votes:
                votes[code] += 1.5
    best = max(votes, key=votes.__getitem__)
    ahead = all(votes[best] > votes[other] for other in votes if other != best)
    return best if votes[best] >= 2 and ahead else ""


def foreign_hint(text: str, words: list[str]) -> bool:
    """Cheap test whether ``site_language`` could find anything: a marker word, a telling
    accent or a non-Latin script letter (so most questions never ask lingua twice)."""
    head = text[:MAX_CHARS]
    return (any(w in _MARKER_OWNER for w in words) or any(m in head for marks in _ACCENT_MARKS.values() for m in marks)
            or any(script.search(head) for _, script in _SCRIPTS))
