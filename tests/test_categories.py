"""Category names and the eval fields (pure logic: no site loaded)."""

from pathlib import Path

import pytest

from bot.offline import check
from knowledge.category_questions import _variants, vocabulary
from knowledge.engine import Answer


def test_variants_cover_plurals_and_hyphens():
    forms = _variants(("e-mailprovider",))
    assert {("e-mailproviders",), ("emailprovider",), ("e", "mailprovider")} <= forms
    assert ("password", "managers") in _variants(("password", "manager"))


def test_every_category_has_words_in_english_and_dutch():
    vocab = vocabulary()
    assert "vpn" in vocab.words["vpn"] and "wachtwoordbeheerder" in vocab.words["passwords"]
    assert all(vocab.words[path] for path in vocab.order)
    assert {p.id for p in vocab.stated} >= {"stated:monero", "stated:cash", "stated:self_hosted"}


def test_a_broken_vocabulary_names_its_file_and_line(tmp_path: Path):
    bad = tmp_path / "categories.yaml"
    bad.write_text("categories:\n  vpn:\n    words: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"categories\.yaml:\d+"):
        vocabulary.__wrapped__(bad)
    bad.write_text("vpn: [vpn]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected 'categories:'"):
        vocabulary.__wrapped__(bad)
    bad.write_text("categories: {}\nstated:\n  monero: {label: {en: x}, ask: [monero], text: ['(']}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"stated\.monero\.text"):
        vocabulary.__wrapped__(bad)


def _answer(**fields) -> Answer:
    base = dict(intent="list", entries=("vpn/mullvad",), lang="en", confidence=0.8, text="x", html="x", category="vpn")
    return Answer(**{**base, **fields})


def test_eval_checks_category_lang_and_a_list_of_tops():
    assert check({"q": "?", "intent": "list", "category": "vpn", "lang": "en"}, _answer()) == []
    assert check({"q": "?", "category": "email"}, _answer()) == ["category vpn, want email"]
    assert check({"q": "?", "lang": "nl"}, _answer()) == ["lang en, want nl"]
    assert check({"q": "?", "top": ["vpn/ivpn", "vpn/mullvad"]}, _answer()) == []
    assert check({"q": "?", "top": ["vpn/ivpn"]}, _answer()) == ["top vpn/mullvad, want vpn/ivpn"]
    assert check({"q": "?", "src": "https://example.org"}, _answer()) == []  # unknown fields: ignored
