"""The catalogue of everything recbot itself writes, one data file per language.

``knowledge/phrasebook/LANG.yaml`` holds three sections: ``words`` (fact labels and values),
``replies`` (answers about the knowledge: headings, yes/no lines, refusals, help) and ``bot``
(the bot's own messages). English is the reference: every language has its keys with the same
placeholders (``tests/test_phrases.py``); a key a file lacks falls back to English. A file whose
only key is ``same_as: OTHER`` shares OTHER's phrases (zh-TW reads zh-Hant's: Privacy Guides'
Taiwanese and Traditional Chinese pages are written in the same script and register).
The files are read once, through the bounded YAML loader; a broken file is an error naming
the file and line.
"""

from __future__ import annotations

import string
from pathlib import Path

from .yaml_safe import YamlError, load_bounded

PHRASES_DIR = Path(__file__).parent / "phrasebook"
SECTIONS = ("words", "replies", "bot")
REFERENCE = "en"
MAX_FILE_BYTES = 256 * 1024  # a phrase file is a few kB; anything bigger is not one
MAX_PHRASE_CHARS = 2000  # one phrase: the longest (the about text) is ~600
#: Languages written right to left: their HTML replies carry ``dir="rtl"``.
RTL_LANGS = frozenset({"he", "ar", "fa", "ur", "yi"})


class PhraseError(ValueError):
    """A phrase file that cannot be used, with its file and line."""


Catalogue = dict[str, dict[str, dict[str, str]]]  # lang -> section -> key -> phrase


def _read(path: Path) -> dict:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PhraseError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
        data = load_bounded(path.read_text(encoding="utf-8"))
    except YamlError as exc:
        raise PhraseError(f"{path}:{exc.line}: {exc.message}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PhraseError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise PhraseError(f"{path}:1: expected sections {', '.join(SECTIONS)}")
    return data


def _checked(path: Path, data: dict) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for section, phrases in data.items():
        if section not in SECTIONS:
            raise PhraseError(f"{path}: unknown section {section!r} (expected {', '.join(SECTIONS)})")
        if not isinstance(phrases, dict):
            raise PhraseError(f"{path}: section {section!r} must map keys to phrases")
        for key, text in phrases.items():
            if not isinstance(key, str) or not isinstance(text, str):
                raise PhraseError(f"{path}: {section}.{key}: a phrase must be a quoted string")
            if len(text) > MAX_PHRASE_CHARS:
                raise PhraseError(f"{path}: {section}.{key}: longer than {MAX_PHRASE_CHARS} characters")
        out[section] = dict(phrases)
    return out


def read_catalogue(folder: Path = PHRASES_DIR) -> tuple[Catalogue, dict[str, str]]:
    """Every language's phrases as written (no fallback), and the files that share another's."""
    raw = {path.stem: (path, _read(path)) for path in sorted(folder.glob("*.yaml"))}
    shared: dict[str, str] = {}
    catalogue: Catalogue = {}
    for lang, (path, data) in raw.items():
        if set(data) == {"same_as"}:
            other = data["same_as"]
            if other not in raw or set(raw[other][1]) == {"same_as"}:
                raise PhraseError(f"{path}: same_as: {other!r} is not a language file of its own")
            shared[lang] = other
        else:
            catalogue[lang] = _checked(path, data)
    if REFERENCE not in catalogue:
        raise PhraseError(f"{folder}: no {REFERENCE}.yaml, the reference language")
    for lang, other in shared.items():
        catalogue[lang] = catalogue[other]
    return catalogue, shared


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a phrase."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _with_fallback(catalogue: Catalogue) -> Catalogue:
    reference = catalogue[REFERENCE]
    return {
        lang: {section: {**reference.get(section, {}), **phrases.get(section, {})} for section in SECTIONS}
        for lang, phrases in catalogue.items()
    }


_CATALOGUE, SHARED = read_catalogue()
PHRASES: Catalogue = _with_fallback(_CATALOGUE)
#: The languages recbot writes its own phrases in.
LANGUAGES: tuple[str, ...] = tuple(sorted(PHRASES))


class _ByLang(dict):
    """``section[lang]``: a language without phrases reads English."""

    def __missing__(self, lang: str) -> dict[str, str]:
        return self[REFERENCE]


def section(name: str) -> dict[str, dict[str, str]]:
    """One section as ``{lang: {key: phrase}}`` (the shape of the replies' ``SAY``)."""
    return _ByLang({lang: phrases[name] for lang, phrases in PHRASES.items()})


def by_key(name: str) -> dict[str, dict[str, str]]:
    """One section as ``{key: {lang: phrase}}`` (the shape of the renderer's ``WORDS``)."""
    keys = PHRASES[REFERENCE][name]
    return {key: {lang: phrases[name][key] for lang, phrases in PHRASES.items()} for key in keys}


def is_rtl(lang: str) -> bool:
    return lang.split("-")[0] in RTL_LANGS
