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
    compare suitable meetings private options ones run runs were was info
    """.split()
)


@dataclass(frozen=True)
class LangGuess:
    lang: str
    sure: bool


def detect_language(words: list[str], default: str = "nl") -> LangGuess:
    """Dutch or English by common words; the default when the words do not tell."""
    nl = sum(1 for w in words if w in _DUTCH and w not in _ENGLISH)
    en = sum(1 for w in words if w in _ENGLISH and w not in _DUTCH)
    if nl > en:
        return LangGuess("nl", True)
    if en > nl:
        return LangGuess("en", True)
    return LangGuess(default if default in ("nl", "en") else "nl", False)
