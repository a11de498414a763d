"""Unit tests for the per-language cue words of questions (knowledge/asking.py, vocabulary/asking/)."""

from pathlib import Path

import pytest

from knowledge import asking
from knowledge.asking import CUES_DIR, KEYS, cue_language, cues
from knowledge.yaml_safe import load_bounded

SITE_LANGUAGES = {"en", "es", "fr", "he", "it", "nl", "ru", "zh-Hant"}
OTHERS = frozenset({"es", "fr", "he", "it", "ru", "zh"})


def test_every_site_language_has_a_cue_file():
    assert set(cues()) == SITE_LANGUAGES


@pytest.mark.parametrize("lang", sorted(SITE_LANGUAGES))
def test_every_cue_file_has_the_same_keys_each_a_list_of_phrases(lang):
    data = load_bounded((CUES_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))
    assert set(data) == set(KEYS)
    for key in KEYS:
        assert data[key] and all(isinstance(p, str) and p.strip() for p in data[key]), (lang, key)


@pytest.mark.parametrize(
    "message, sure, lang",
    [
        ("aide", "", "fr"),
        ("ivpn ou mullvad ?", "", "fr"),
        ("háblame de signal", "nl", "es"),  # "de" of "háblame de" is no Dutch article
        ("quali sono i requisiti per un browser", "en", "it"),
        ("какие недостатки у tuta?", "", "ru"),
        ("מה החסרונות של tuta", "", "he"),
        ("tuta 有什麼缺點", "", "zh"),
    ],
)
def test_cue_language_tells_short_messages(message, sure, lang):
    assert cue_language(message, OTHERS, sure) == lang


@pytest.mark.parametrize("message, sure", [("which vpn do you recommend?", "en"), ("welke vpn raden jullie aan?", "nl"),
                                           ("signal o session", ""), ("de beste browser", "nl")])
def test_cue_language_leaves_dutch_english_and_undecided_messages(message, sure):
    assert cue_language(message, OTHERS, sure) == ""  # "o": Spanish or Italian, nothing tells


def _folder(tmp_path: Path, text: str) -> Path:
    (tmp_path / "xx.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_a_cue_file_without_a_key_names_the_file_and_the_key(tmp_path):
    folder = _folder(tmp_path, "markers: [a]\nhelp: [b]\ncaveats: [c]\ncompare: [d]\n")
    with pytest.raises(ValueError, match=r"xx\.yaml: card: expected a list"):
        asking.cues.__wrapped__(folder)


def test_a_broken_cue_file_names_its_line(tmp_path):
    folder = _folder(tmp_path, "markers: [a]\nhelp: [b\n")
    with pytest.raises(ValueError, match=r"xx\.yaml:\d+: "):
        asking.cues.__wrapped__(folder)


def test_an_unknown_key_is_named(tmp_path):
    keys = "".join(f"{k}: [w{n}]\n" for n, k in enumerate(KEYS))
    with pytest.raises(ValueError, match="unknown key 'extra'"):
        asking.cues.__wrapped__(_folder(tmp_path, keys + "extra: [x]\n"))
