"""Question understanding: intents, entries, properties, language, and staying silent."""

from pathlib import Path

import pytest

from bot.offline import evaluate, load_questions
from knowledge.understand import parse_command
from tests.conftest import DEV_SET


def score_set(engine, name: str) -> tuple[dict, list[tuple[str, str]]]:
    """Score tests/eval/NAME: the result and its failures as (question, what was wrong)."""
    result = evaluate(engine, load_questions(Path(__file__).parent / "eval" / name))
    return result, [(q, w) for q, _, w in result["failures"]]


def test_dev_set_accuracy(engine):
    result = evaluate(engine, load_questions(DEV_SET))
    failures = [(q, w) for q, _, w in result["failures"]]
    assert result["overall"] >= 0.95, failures
    for intent, accuracy in result["per_intent"].items():
        assert accuracy >= 0.9, (intent, failures)


@pytest.mark.parametrize(
    "question, intent, top",
    [
        ("singal", "card", "signal"),
        ("simplx", "card", "simplex"),
        ("brair", "card", "briar"),
        ("elemnt", "card", "element"),
        ("sesion", "card", "session"),
        ("simplex", "card", "simplex"),
        ("what about signal's usernames?", "card", "signal"),
        ("Heeft Briar nadelen?", "caveats", "briar"),
        ("!kaart molly", "card", "molly"),
        ("/info simplex chat", "card", "simplex"),
    ],
)
def test_entries_with_typos_and_partial_names(engine, question, intent, top):
    answer = engine.answer(question)
    assert (answer.intent, answer.entries[:1]) == (intent, (top,))


@pytest.mark.parametrize(
    "question",
    [
        "ik heb slecht signaal hier",
        "I had a session with my therapist today and it went long",
        "that was an element of surprise",
        "send me a signal when you are ready to go",
        "hallo allemaal",
        "thanks!",
        "👍",
        "Which VPN do you recommend?",
        "welke zoekmachine is privacyvriendelijk?",
        "what's the weather like",
        "",
        "?!?",
    ],
)
def test_not_for_the_bot(engine, question):
    answer = engine.answer(question)
    assert answer.intent == "none", (answer.intent, answer.entries)
    assert answer.text == "" and answer.html == ""


def test_several_entries_make_a_comparison(engine):
    answer = engine.answer("signal, simplex of briar?")
    assert answer.intent == "compare"
    assert answer.entries == ("signal", "simplex", "briar")


@pytest.mark.parametrize(
    "question, include, exclude",
    [
        ("Welke messenger heeft geen telefoonnummer nodig?", {"simplex", "briar", "session"}, {"signal", "molly"}),
        ("which ones need a phone number", {"signal", "molly"}, {"simplex", "briar"}),
        ("which don't need a phone number", {"simplex", "briar"}, {"signal"}),
        ("welke zijn niet gedecentraliseerd", {"signal"}, {"briar", "simplex"}),
        ("welke werken niet op iOS", {"briar", "molly"}, {"signal"}),
        ("which lack forward secrecy", {"element", "session"}, {"signal", "briar"}),
        ("which support video calls", {"signal", "simplex"}, {"briar"}),
        ("which work over bluetooth", {"briar"}, {"signal", "simplex"}),
        ("which have a desktop app", {"signal", "simplex", "briar"}, {"molly"}),
        ("welke zijn open source", {"signal", "simplex", "briar"}, set()),
        ("which are federated", {"element"}, {"signal", "briar"}),
        ("kan ik mijn gegevens naar een nieuwe telefoon overzetten", {"simplex"}, set()),
        ("which hide my phone number from contacts", {"signal", "simplex"}, set()),
        ("welke werken op android en ios", {"signal", "simplex"}, {"briar", "molly"}),
    ],
)
def test_filters_with_negation(engine, question, include, exclude):
    answer = engine.answer(question)
    assert answer.intent == "filter"
    assert include <= set(answer.entries), answer.entries
    assert not exclude & set(answer.entries), answer.entries


def test_filter_answer_says_why(engine):
    answer = engine.answer("Welke messenger heeft geen telefoonnummer nodig?")
    assert answer.entries[0] == "simplex"
    assert "SimpleX Chat" in answer.text and "aanmelden met: niets" in answer.text
    assert "Niet: Signal, Molly" in answer.text


@pytest.mark.parametrize(
    "question, lang",
    [
        ("Welke apps hebben geen telefoonnummer nodig?", "nl"),
        ("which apps need no phone number?", "en"),
        ("Tell me about Session", "en"),
        ("Vertel me over Element", "nl"),
    ],
)
def test_language_follows_the_question(engine, question, lang):
    assert engine.answer(question, default_lang="nl" if lang == "en" else "en").lang == lang


def test_default_language_when_unsure(engine):
    assert engine.answer("signal", default_lang="en").lang == "en"
    assert engine.answer("signal", default_lang="nl").lang == "nl"


@pytest.mark.parametrize(
    "message, name, suggestion",
    [
        ("!help", "help", None),
        ("!hulp", "help", None),
        ("/lijst", "list", None),
        ("!vergelijk a b", "compare", None),
        ("!eisen", "criteria", None),
        ("!nadelen session", "caveats", None),
        ("!welke zonder telefoonnummer", "which", None),
        ("!bronnen", "sources", None),
        ("!hepl", None, "help"),
        ("!compre signal briar", None, "compare"),
        ("!refrsh", None, "refresh"),
    ],
)
def test_commands(message, name, suggestion):
    command = parse_command(message)
    assert command is not None
    assert (command.spec.name if command.spec else None) == name
    assert (command.suggestion.name if command.suggestion else None) == suggestion


def test_not_commands():
    assert parse_command("hello !help") is None
    assert parse_command("!!!") is None
    assert parse_command("// comment") is None
    assert parse_command("?help", prefix="?").spec.name == "help"


def test_misspelled_command_suggests_and_does_nothing(engine):
    answer = engine.answer("!infoo signal", default_lang="en")
    assert answer.intent == "help"
    assert "Did you mean !info?" in answer.text
    assert answer.entries == ()


def test_moderator_commands_are_not_suggested_to_everyone(engine):
    answer = engine.answer("!refrsh", default_lang="en")
    assert "!refresh" not in answer.text
    assert "!refresh" in engine.answer("!refrsh", default_lang="en", moderator=True).text


def test_confidence_is_reported(engine):
    assert engine.answer("!info signal").confidence == 1.0
    assert 0.5 <= engine.answer("sigal").confidence < 1.0
    assert engine.answer("hallo").confidence < 0.5


@pytest.mark.parametrize(
    "name",
    ["heldout_like.yaml", "heldout_like_2.yaml", "heldout_like_3.yaml", "heldout_like_4.yaml", "fresh_1.yaml", "nl_chat.yaml"],
)
def test_independently_written_sets(engine, name):
    """Question sets written by others without reading the implementation (see their headers)."""
    result, failures = score_set(engine, name)
    assert result["overall"] >= 0.95, failures
    for intent, accuracy in result["per_intent"].items():
        assert accuracy >= 0.9, (intent, failures)


# Real public questions (issue trackers, forums): hard, noisy, many not meant for a bot at all.
# The floor is what the understanding holds today (see the README's table), not the 90% aimed for.
REAL_FLOOR = 0.88


@pytest.mark.parametrize("name, floor", [("real_1.yaml", REAL_FLOOR), ("real_2.yaml", REAL_FLOOR), ("real_3.yaml", 0.84)])
def test_real_public_questions(engine, name, floor):
    result, failures = score_set(engine, name)
    assert result["overall"] >= floor, failures


def test_second_fresh_set(engine):
    """fresh_2.yaml arrived after the others were tuned on; held at what it scores now (README's table)."""
    result, failures = score_set(engine, "fresh_2.yaml")
    assert result["overall"] >= 0.95, failures
    for intent, accuracy in result["per_intent"].items():
        assert accuracy >= 0.85, (intent, failures)


# real_4 and fresh_3 were kept back until issue 10d, which developed its general rules on them
# (README): now held like the other tuned sets, a few points under what they score. The honest
# estimate for unseen questions comes from sets kept back from every tuner (README: real_6, held_site).
@pytest.mark.parametrize("name, floor", [("real_4.yaml", 0.84), ("fresh_3.yaml", 0.95)])
def test_sets_never_tuned_on(engine, name, floor):
    result, failures = score_set(engine, name)
    assert result["overall"] >= floor, failures


# --- the whole site: categories as entities (issue 13) ------------------------------------------

SNAPSHOT = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "privacyguides"


@pytest.fixture(scope="module")
def site_engine():
    from knowledge.engine import Engine
    from knowledge.loading import load_sources

    if not (SNAPSHOT / "en").is_dir():
        pytest.fail(f"the site snapshot is missing: {SNAPSHOT}", pytrace=False)
    return Engine(load_sources([str(SNAPSHOT)]))


# site_own.yaml: written with knowledge/category_questions.py (40/40 when written); site_dev.yaml: written
# without seeing the code, 51.4% on arrival, 79.1% with the nine-language replies, 95.5% with the cue
# words of every site language (knowledge/asking.py) and more stated things. The floors leave a few points, not a kind of question.
@pytest.mark.parametrize("name, floor", [("site_own.yaml", 0.92), ("site_dev.yaml", 0.92)])
def test_whole_site_sets(site_engine, name, floor):
    result, failures = score_set(site_engine, name)
    assert result["overall"] >= floor, failures


@pytest.mark.parametrize(
    "question, intent, category, first",
    [
        ("Which VPN do you recommend?", "list", "vpn", "vpn/proton-vpn"),
        ("welke wachtwoordbeheerder raden jullie aan?", "list", "passwords", "passwords/bitwarden"),
        ("best browser for android", "filter", "mobile-browsers", "mobile-browsers/brave"),  # Safari is iOS only
        ("what browser should I use on my laptop?", "list", "desktop-browsers", "desktop-browsers/mullvad-browser"),
        ("what do you require of a VPN?", "criteria", "vpn", None),
        ("criteria voor e-mailproviders", "criteria", "email", None),
        ("which vpn accepts monero?", "filter", "vpn", "vpn/ivpn"),
        ("which messenger do you recommend?", "list", "real-time-communication", "real-time-communication/signal"),
    ],
)
def test_questions_about_a_category(site_engine, question, intent, category, first):
    answer = site_engine.answer(question, "en")
    assert (answer.intent, answer.category) == (intent, category)
    assert answer.to_json()["category"] == category
    if first:
        assert answer.entries[0] == first
    else:
        assert answer.entries == ()


@pytest.mark.parametrize(
    "question, intent, lang, first",
    [
        ("quels sont les inconvénients de bitwarden ?", "caveats", "fr", "passwords/bitwarden"),
        ("ci sono rischi con mullvad?", "caveats", "it", "vpn/mullvad"),
        ("какие недостатки у proton mail?", "caveats", "ru", "email/proton-mail"),
        ("מה החסרונות של bitwarden?", "caveats", "he", "passwords/bitwarden"),  # the article joined on
        ("nextdns 有什麼缺點", "caveats", "zh-Hant", "dns/nextdns"),
        ("¿desventajas de tuta?", "caveats", "es", None),
        ("keepassxc или bitwarden?", "compare", "ru", "passwords/keepassxc"),
        ("ivpn או mullvad?", "compare", "he", "vpn/ivpn"),
        ("firefox 還是 brave", "compare", "zh-Hant", "desktop-browsers/firefox"),
        ("cuéntame de mullvad", "card", "es", "vpn/mullvad"),
        ("parlez-moi de bitwarden", "card", "fr", "passwords/bitwarden"),  # a product, not a word after an article
        ("ayuda", "help", "es", None),
        ("aidez-moi", "help", "fr", None),
        ("aiuto", "help", "it", None),
        ("помогите", "help", "ru", None),
        ("עזרה", "help", "he", None),
        ("幫助", "help", "zh-Hant", None),
    ],
)
def test_questions_in_every_site_language(site_engine, question, intent, lang, first):
    answer = site_engine.answer(question, "nl")
    assert (answer.intent, answer.lang) == (intent, lang), answer.to_json()
    if first:
        assert answer.entries[0] == first
    if intent != "help":
        assert answer.text


@pytest.mark.parametrize(
    "question, category, kept, dropped",
    [
        ("מנהל סיסמאות ללינוקס?", "passwords", "passwords/keepassxc", "passwords/keepassdx-android"),  # "to Linux", joined on
        ("браузер для андроид", "mobile-browsers", "mobile-browsers/brave", "mobile-browsers/safari-ios"),
    ],
)
def test_platforms_written_in_other_scripts_filter_a_category(site_engine, question, category, kept, dropped):
    answer = site_engine.answer(question, "nl")
    assert (answer.intent, answer.category) == ("filter", category), answer.to_json()
    assert kept in answer.entries and dropped not in answer.entries


@pytest.mark.parametrize(
    "question, category, kept, dropped",
    [
        ("which linux distributions are immutable?", "desktop", "desktop/fedora-atomic-desktops", "desktop/arch-linux"),
        ("a vpn that works over ipv6?", "vpn", "vpn/mullvad", "vpn/ivpn"),  # IVPN states it does not
        ("linux distro for anonymity", "desktop", "desktop/tails", "desktop/fedora-linux"),
        ("дистрибутив для анонимности", "desktop", "desktop/whonix", "desktop/arch-linux"),  # a Russian ending on the word asked
    ],
)
def test_filters_on_what_cards_state_in_any_language(site_engine, question, category, kept, dropped):
    answer = site_engine.answer(question, "en")
    assert (answer.intent, answer.category) == ("filter", category), answer.to_json()
    assert kept in answer.entries and dropped not in answer.entries


def test_a_context_word_in_another_script_picks_the_twin(site_engine):
    assert site_engine.answer("brave באייפון?", "nl").entries[0] == "mobile-browsers/brave"  # "on the iPhone"


@pytest.mark.parametrize("question", ["помощь с vpn", "@marco aiuto", "aiuto a tutti per la riunione di domani sera con i colleghi"])
def test_a_help_word_about_something_else_is_no_request_for_help(site_engine, question):
    assert site_engine.answer(question, "nl").intent != "help"


def test_a_category_list_is_that_category_only(site_engine):
    answer = site_engine.answer("Which VPN do you recommend?", "en")
    assert set(answer.entries) == {"vpn/proton-vpn", "vpn/ivpn", "vpn/mullvad"}
    assert "VPN" in answer.text.splitlines()[0] and "Mullvad" in answer.text and "Signal" not in answer.text


def test_criteria_of_a_category_are_its_page_criteria(site_engine):
    answer = site_engine.answer("what do you require of a VPN?", "en")
    vpn = set(site_engine.kb.category("vpn").criteria)
    shown = [c for c in site_engine.kb.criteria if c.category == "vpn" and c.text.get("en")[:40] in answer.text]
    assert shown and {c.id for c in shown} <= vpn


def test_filter_on_what_cards_state_stays_in_the_category(site_engine):
    answer = site_engine.answer("which vpn accepts monero?", "en")
    assert set(answer.entries) == {"vpn/ivpn", "vpn/mullvad"}  # Proton VPN's card names cash, not Monero
    messengers = site_engine.answer("which messengers are open source?", "en")
    assert messengers.intent == "filter" and messengers.category == "real-time-communication"
    assert messengers.entries and all(e.startswith("real-time-communication/") for e in messengers.entries)


@pytest.mark.parametrize(
    "question, top",
    [
        ("brave on android", "mobile-browsers/brave"),
        ("brave on my linux laptop?", "desktop-browsers/brave"),
        ("tuta calendar", "calendar/tuta"),
        ("is tuta a good email service?", "email/tuta"),
        ("tell me about tuta", "calendar/tuta"),  # no context: the first page's
        ("does mullvad take monero?", "vpn/mullvad"),  # what the card states, not Mullvad vs Monero
    ],
)
def test_twins_by_context(site_engine, question, top):
    answer = site_engine.answer(question, "en")
    assert answer.intent in ("card", "caveats") and answer.entries[0] == top


def test_products_of_two_categories_compare(site_engine):
    answer = site_engine.answer("Signal vs Brave", "en")
    assert answer.intent == "compare" and set(answer.entries) == {"real-time-communication/signal", "desktop-browsers/brave"}


@pytest.mark.parametrize("question", ["my vpn keeps disconnecting", "the browser crashed again lol", "I had pizza for dinner"])
def test_not_a_question_about_a_category(site_engine, question):
    assert site_engine.answer(question, "en").intent == "none"


def test_off_topic_follows_the_loaded_knowledge(engine, site_engine):
    assert engine.answer("Which VPN do you recommend?", "en").intent == "none"  # the messenger pack alone
    assert site_engine.answer("Which VPN do you recommend?", "en").intent == "list"
    bundled = engine.answer("welke messenger raden jullie aan?")
    assert bundled.intent == "list" and bundled.category == "real-time-communication"


@pytest.mark.parametrize(
    "command, intent, category",
    [("!list vpn", "list", "vpn"), ("!criteria passwords", "criteria", "passwords"), ("!which vpn monero", "filter", "vpn"),
     ("!eisen android/distributions", "criteria", "android/distributions"), ("!lijst", "list", "real-time-communication")],
)
def test_commands_name_a_category(site_engine, command, intent, category):
    answer = site_engine.answer(command)
    assert (answer.intent, answer.category) == (intent, category)
    assert all(e.startswith(category + "/") for e in answer.entries)


@pytest.fixture(scope="module")
def pack_and_site_engine():
    from knowledge.engine import Engine
    from knowledge.loading import load_sources

    return Engine(load_sources(["bundled", str(SNAPSHOT)]))


@pytest.mark.parametrize(
    "question, intent, top",
    [
        ("!which tor", "filter", "briar"),  # a property of messengers, not the Tor Browser page
        ("Would it be possible to use signal desktop without a smartphone? I do not own any android or iphone at all", "card", "signal"),
    ],
)
def test_messenger_questions_keep_their_reading_with_the_site(pack_and_site_engine, engine, question, intent, top):
    alone = engine.answer(question, "en")
    both = pack_and_site_engine.answer(question, "en")
    assert (both.intent, both.entries) == (alone.intent, alone.entries)
    assert both.intent == intent and top in both.entries
# real_5 and fresh_4 (kept back from the tuners until issue 10e): held a few points under what they
# score (real_5 80.0% after issue 10f's general rules, developed on its failures, so no longer unseen;
# fresh_4 95.7%), so no change loses ground on them.
@pytest.mark.parametrize("name, floor", [("real_5.yaml", 0.76), ("fresh_4.yaml", 0.92)])
def test_maintainers_held_out_sets(engine, name, floor):
    result, failures = score_set(engine, name)
    assert result["overall"] >= floor, failures


# Sets kept back from every tuner this round and scored once on arrival (README, "The honest estimate
# now"): held at what they score, a few points under, so nothing loses ground on them; they are no longer
# unseen, and the next held-out sets must be new.
@pytest.mark.parametrize("name, floor", [("real_6.yaml", 0.50)])
def test_sets_kept_back_this_round(engine, name, floor):
    result, failures = score_set(engine, name)
    assert result["overall"] >= floor, failures


@pytest.mark.parametrize("name, floor", [("site_held.yaml", 0.72), ("site_real.yaml", 0.42)])
def test_whole_site_sets_kept_back_this_round(site_engine, name, floor):
    result, failures = score_set(site_engine, name)
    assert result["overall"] >= floor, failures
