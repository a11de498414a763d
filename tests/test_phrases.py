"""The phrase catalogue: every language has every phrase, with the same placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import phrases
from knowledge.model import SITE_LANGS

CATALOGUE, SHARED = phrases.read_catalogue()
OTHERS = sorted(lang for lang in CATALOGUE if lang != phrases.REFERENCE)
REFERENCE = CATALOGUE[phrases.REFERENCE]


def test_the_nine_site_languages_are_written():
    assert set(SITE_LANGS) <= set(CATALOGUE)
    assert phrases.LANGUAGES == tuple(sorted(CATALOGUE))
    assert SHARED == {"zh-TW": "zh-Hant"}


@pytest.mark.parametrize("lang", OTHERS)
def test_every_language_has_every_key_and_no_other(lang):
    for section in phrases.SECTIONS:
        keys, ref = set(CATALOGUE[lang].get(section, {})), set(REFERENCE[section])
        assert ref - keys == set(), f"{lang}.yaml {section}: missing"
        assert keys - ref == set(), f"{lang}.yaml {section}: not in en.yaml"


@pytest.mark.parametrize("lang", OTHERS)
def test_placeholders_and_joins_are_the_same(lang):
    for section in phrases.SECTIONS:
        for key, english in REFERENCE[section].items():
            text = CATALOGUE[lang][section][key]
            assert text.strip(), f"{lang} {section}.{key} is empty"
            assert phrases.placeholders(text) == phrases.placeholders(english), f"{lang} {section}.{key}"
            if key.endswith("_sep"):  # a separator is the spacing itself: French " : ", Chinese "："
                continue
            # A phrase the code joins to what follows ("Not: " + names) keeps its trailing space.
            assert text.endswith(" ") == english.endswith(" "), f"{lang} {section}.{key}: trailing space"
            assert text.startswith(" ") == english.startswith(" "), f"{lang} {section}.{key}: leading space"
            assert text.format(**{name: "X" for name in phrases.placeholders(text)})


def test_units_have_four_words_everywhere():
    for lang in CATALOGUE:
        assert len(CATALOGUE[lang]["bot"]["units"].split()) == 4, lang


def test_section_and_words_fall_back_to_english():
    say = phrases.section("replies")
    assert say["xx"] is say["en"]
    words = phrases.by_key("words")
    assert words["yes"]["fr"] == CATALOGUE["fr"]["words"]["yes"]
    assert phrases.is_rtl("he") and not phrases.is_rtl("zh-Hant")


def test_a_broken_file_is_named_with_its_line(tmp_path: Path):
    (tmp_path / "en.yaml").write_text("words:\n  yes: \"yes\"\n  no: [unclosed\n", encoding="utf-8")
    with pytest.raises(phrases.PhraseError, match=r"en\.yaml:\d+"):
        phrases.read_catalogue(tmp_path)
    (tmp_path / "en.yaml").write_text("words:\n  a: 1\n", encoding="utf-8")
    with pytest.raises(phrases.PhraseError, match="words.a: a phrase must be a quoted string"):
        phrases.read_catalogue(tmp_path)
    (tmp_path / "en.yaml").write_text("replies:\n  a: \"b\"\n", encoding="utf-8")
    (tmp_path / "fr.yaml").write_text("same_as: de\n", encoding="utf-8")
    with pytest.raises(phrases.PhraseError, match="same_as"):
        phrases.read_catalogue(tmp_path)



def test_labels_and_questions_are_punctuated_as_each_language_writes_them():
    from knowledge import render
    from knowledge.loading import load_sources

    assert CATALOGUE["en"]["words"]["label_sep"] == CATALOGUE["nl"]["words"]["label_sep"] == ": "
    kb = load_sources(["bundled"])
    signal = kb.get("signal")
    assert "Platforms: " in render.card(kb, signal, "en").text
    assert "Plateformes : " in render.card(kb, signal, "fr").text
    assert "平台：" in render.card(kb, signal, "zh-TW").text
    assert "Vouliez-vous dire : Signal ?" in render.unknown_entry(kb, "sgnal", "fr", [signal]).text
    assert "Did you mean: Signal?" in render.unknown_entry(kb, "sgnal", "en", [signal]).text
