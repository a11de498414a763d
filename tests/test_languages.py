"""Reply languages: which language a question is answered in, over the bundled pack and over
the nine-language site snapshot (loaded once for the module), and right-to-left Hebrew HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.settings import Setting, parse_setting
from knowledge.engine import Engine, reply_languages
from knowledge.phrases import PHRASES
from knowledge.loading import load_sources
from knowledge import render
from knowledge.render import Reply, _plain_table, _width, directed
from knowledge.text import normalize, site_language, tokens

SNAPSHOT = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "privacyguides"
SIGNAL = "real-time-communication/signal"
OTHERS = {"es", "fr", "he", "it", "ru", "zh"}


def say(lang: str, section: str, key: str, **fields: str) -> str:
    """A phrase from the catalogue (the tests do not repeat the translators' wording)."""
    return PHRASES[lang][section][key].format(**fields)


def other_language_line(note_lang: str, room: str) -> str:
    named = render.language_list(render.BUNDLED_LANGS, note_lang)  # the bundled pack's nl and en
    return say(note_lang, "replies", "other_language_in", language=say(note_lang, "words", f"lang_{room}"), languages=named)


@pytest.fixture(scope="module")
def site() -> Engine:
    if not (SNAPSHOT / "en").is_dir():
        pytest.fail(f"the site snapshot is missing: {SNAPSHOT}", pytrace=False)
    return Engine(load_sources([str(SNAPSHOT)]))


# --- which language a message is in ------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "lang"),
    [
        ("Signal est-il sûr ?", "fr"),
        ("Est-ce que Signal est sûr ?", "fr"),  # lingua alone reads this as Spanish
        ("Quel VPN recommandez-vous ?", "fr"),
        ("¿Es seguro Signal?", "es"),
        ("Signal es mejor que Session?", "es"),
        ("Signal è sicuro?", "it"),
        ("Quale VPN consigliate?", "it"),
        ("Signal безопасен?", "ru"),
        ("האם Signal בטוחה?", "he"),
        ("Signal 安全嗎？", "zh"),
        ("Which VPN do you recommend?", ""),
        ("Welke VPN raden jullie aan?", ""),
        ("signal vs session", ""),  # names only: nothing tells
        ("Signal ou Session ?", ""),  # one short word is not enough
        ("Ѕignal is safe?", ""),  # one Cyrillic look-alike is not Russian
    ],
)
def test_site_language_of_a_message(message, lang):
    assert site_language(message, tokens(normalize(message)), {"signal", "session", "vpn"}, OTHERS) == lang


def test_site_language_only_answers_with_a_candidate():
    assert site_language("האם Signal בטוחה?", ["signal"], {"signal"}, {"fr"}) == ""
    assert site_language("Signal est-il sûr ?", ["signal", "est-il", "sur"], {"signal"}, {"he", "zh"}) == ""


def test_bundled_pack_answers_in_dutch_and_english_only(engine):
    assert engine.langs == reply_languages(engine.kb) == ("nl", "en")
    assert engine.answer("signal", "fr").lang == "nl"  # a room language the knowledge has no texts in
    answer = engine.answer("Signal est-il sûr ?", "en")
    assert answer.lang == "en" and answer.entries == ("signal",)
    assert answer.text.startswith(other_language_line("fr", "en"))
    assert "Signal (recommended)" in answer.text


# --- the site in nine languages ------------------------------------------------------------------


def test_site_reply_languages(site):
    assert site.langs == ("nl", "en", "es", "fr", "he", "it", "ru", "zh-Hant", "zh-TW")


def test_a_french_question_gets_french_card_texts_and_phrases(site):
    answer = site.answer("Est-ce que Signal est sûr ?", "nl")
    assert (answer.intent, answer.entries[:1], answer.lang) == ("card", (SIGNAL,), "fr")
    text = answer.text
    assert text.startswith(f"Signal ({say('fr', 'words', 'recommended')})")
    assert "Signal est une application mobile" in text  # the card's own text, from the French page
    sep = say("fr", "words", "label_sep")  # " : ", as French writes it
    assert f"{say('fr', 'words', 'platforms')}{sep}Android" in text and f"{say('fr', 'words', 'homepage')}{sep}https://signal.org" in text
    assert "recbot ne répond" not in text  # no note: French is answered in French
    assert json.loads(json.dumps(answer.to_json()))["lang"] == "fr"
    assert 'dir="' not in answer.html


def test_a_hebrew_question_gets_a_right_to_left_card(site):
    answer = site.answer("האם Signal בטוחה?", "en")
    assert (answer.intent, answer.entries[:1], answer.lang) == ("card", (SIGNAL,), "he")
    title = f"Signal ({say('he', 'words', 'recommended')})"
    assert answer.text.startswith(title) and "אפליקציה לנייד" in answer.text
    assert "dir=" not in answer.text and "\u200f" not in answer.text  # plain text gets nothing odd
    assert answer.html.startswith(f'<div dir="rtl"><p><b>{title}</b></p>') and answer.html.endswith("</div>")
    assert '<span dir="ltr"><a href="https://signal.org">https://signal.org</a></span>' in answer.html
    assert answer.to_json()["lang"] == "he"


def test_chinese_picks_the_loaded_variant(site):
    assert site.answer("Signal 安全嗎？", "en").lang == "zh-Hant"  # both loaded: zh-Hant, unless the room says
    answer = site.answer("Signal 安全嗎？", "zh-TW")
    assert answer.lang == "zh-TW" and answer.text.startswith(f"Signal ({say('zh-TW', 'words', 'recommended')})")


def test_the_room_language_when_the_message_does_not_tell(site):
    assert site.answer("signal", "fr").lang == "fr"
    assert site.answer("!info signal", "he").lang == "he"
    assert site.answer("!kaart signal", "fr").lang == "nl"  # a Dutch command word tells
    assert site.answer("Which messenger do you recommend without a phone number?", "fr").lang == "en"
    assert site.answer("Welke messenger heeft geen telefoonnummer nodig?", "he").lang == "nl"


def test_help_in_another_language_lists_the_english_commands(site):
    answer = site.answer("!help", "it")
    assert answer.lang == "it" and say("it", "replies", "help_title") in answer.text
    assert f"• !info — {say('it', 'replies', 'help_info')}" in answer.text and "!kaart" not in answer.text


# --- right-to-left HTML ---------------------------------------------------------------------------


def test_directed_html():
    reply = Reply("x", '<p><b>Signal</b>: <b>כן:</b> <a href="https://signal.org">signal.org</a></p>')
    assert directed(reply, "en") is reply and directed(reply, "fr") is reply
    html = directed(reply, "he").html
    assert html == (
        '<div dir="rtl"><p><span dir="ltr"><b>Signal</b></span>: <b>כן:</b> '
        '<span dir="ltr"><a href="https://signal.org">signal.org</a></span></p></div>'
    )
    assert directed(reply, "he").text == "x"
    assert directed(Reply("", ""), "he") == Reply("", "")


# --- room settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "code"), [("language fr", "fr"), ("taal zh-hant", "zh-Hant"), ("lang zh-TW", "zh-TW"),
                                            ("language he", "he"), ("language engels", "en")])
def test_set_language_takes_the_nine_codes(args, code):
    assert parse_setting(args) == Setting("language", code)


def test_set_language_refuses_others():
    assert parse_setting("language de") is None and parse_setting("language klingon") is None


def test_plain_tables_align_chinese_columns():
    table = _plain_table(["", "Mullvad", "Proton VPN"], [["狀態", "推薦", "推薦"], ["端對端加密", "未知", "未知"]])
    header, rule, first, second = table.splitlines()
    assert _width("端對端加密") == 10 and rule.startswith("-" * 10 + "  -")
    # The second column starts at column 12 on every line: Chinese characters take two columns.
    assert _width(header[: header.index("Mullvad")]) == 12
    assert _width(first[: first.index("推薦")]) == _width(second[: second.index("未知")]) == 12
    assert _width(first[: first.rindex("推薦")]) == _width(header[: header.index("Proton")])


def test_what_recbot_says_of_its_languages_follows_the_loaded_knowledge(site):
    nine = "Dutch, Spanish, French, Hebrew, Italian, Russian, Traditional Chinese, Chinese (Taiwan) or English"
    help_text = site.answer("!help", "en", moderator=True).text
    assert f"Or just ask, in {nine}:" in help_text
    assert "language nl|en|es|fr|he|it|ru|zh-Hant|zh-TW, autoanswer on|off" in help_text
    german = site.answer("Ist Signal sicher?", "en")  # German: no texts in it, a line before the card
    assert german.text.startswith(f"recbot answers in {nine.replace(' or ', ' and ')} only")
    assert render.language_list(("nl", "en"), "es") == "neerlandés e inglés"  # English last: "e", never "y inglés"
    assert render.language_list(("nl", "en", "fr"), "zh-Hant") == "荷蘭語、法語和英語"
