"""The kinds of real questions issue 10 names: named entries first, apps Privacy Guides does
not recommend, unknown products, support questions, old names, situations, other languages."""

import shutil

import pytest

from knowledge import render
from knowledge.engine import Engine
from knowledge.loading import BUNDLED_DIR, load_sources
from knowledge.phrases import PHRASES
from knowledge.text import detect_language, normalize, tokens
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "not_listed"


@pytest.fixture(scope="module")
def fixture_engine(tmp_path_factory):
    """The bundled pack with the throwaway not_listed fixtures instead of the curated ones,
    so these rules are tested independently of the pack's content."""
    target = tmp_path_factory.mktemp("pack") / "data"
    shutil.copytree(BUNDLED_DIR, target)
    shutil.rmtree(target / "entries" / "not_listed", ignore_errors=True)
    shutil.copytree(FIXTURES, target / "entries" / "not_listed")
    return Engine(load_sources([str(target)]))


def ask(engine, question, lang="en"):
    return engine.answer(question, lang)


def test_a_named_entry_beats_a_property_word_and_yes_no_comes_first(engine):
    answer = ask(engine, "Does Session have forward secrecy now?")
    assert (answer.intent, answer.entries) == ("card", ("session",))
    assert answer.text.startswith("No: Session")
    answer = ask(engine, "Does Signal need a phone number?")
    first = answer.text.splitlines()[0]
    assert first.startswith("Yes: Signal") and "2024-02" in first  # the deciding fact and its date
    assert "Signal (recommended)" in answer.text  # then the short card
    assert ask(engine, "Kan ik Signal zonder telefoonnummer gebruiken?", "nl").text.startswith("Nee: Signal")


def test_not_listed_card_says_not_recommended_misses_and_alternatives(fixture_engine):
    answer = ask(fixture_engine, "Is WhatsApp private?")
    assert (answer.intent, answer.entries) == ("card", ("whatsapp",))
    text = answer.text
    assert "Privacy Guides does not recommend WhatsApp." in text
    assert "✗ The client apps are open source." in text and "2025-01" in text  # missed, with its date
    assert "without a phone number: SimpleX Chat, Briar" in text  # computed from the facts
    assert "faq.whatsapp.com, 2025-01" in text  # every fact with its source date


def test_not_listed_entries_are_never_recommended_and_filtered_only_when_named(fixture_engine):
    listing = ask(fixture_engine, "which messengers do you recommend?")
    assert listing.intent == "list" and "whatsapp" not in listing.entries and "WhatsApp" not in listing.text
    phone = ask(fixture_engine, "which need a phone number?")
    assert phone.intent == "filter" and "whatsapp" not in phone.entries and "WhatsApp" not in phone.text
    named = ask(fixture_engine, "which of WhatsApp, Telegram and Signal need a phone number?")
    assert {"whatsapp", "telegram", "signal"} <= set(named.entries)
    compare = ask(fixture_engine, "WhatsApp vs Signal")
    assert compare.intent == "compare" and compare.entries == ("whatsapp", "signal")
    assert "not recommended by Privacy Guides" in compare.text


@pytest.mark.parametrize("question", ["Is Zom safe?", "what about Zom?", "Zom or SimpleX?", "is GBWhatsApp safe?",
                                      "Is a modded WhatsApp safe?"])
def test_unknown_products_get_one_line_never_an_answer_about_something_else(fixture_engine, question):
    answer = ask(fixture_engine, question)
    assert answer.intent == "none" and answer.entries == ()
    assert answer.text.startswith("I don't know") and len(answer.text.splitlines()) == 1 and "!list" in answer.text


def test_another_product_named_as_context_is_not_the_question(fixture_engine):
    assert ask(fixture_engine, "good alternative to WhatsApp?").intent == "list"
    answer = ask(fixture_engine, "my mom wants to leave whatsapp, which app doesn't need her phone number?")
    assert answer.intent == "filter" and "whatsapp" not in answer.entries
    assert ask(fixture_engine, "haha ja die van WhatsApp was echt hilarisch", "nl").intent == "none"


@pytest.mark.parametrize(
    "question, top",
    [
        ("How do I link a new device in Signal?", "signal"),
        ("element-web keeps crashing", "element"),
        ("My Briar messages are gone after restoring my phone", "briar"),
        ("Hoe zet ik een back-up van Signal terug?", "signal"),
        ("Session werkt niet meer na de update", "session"),
    ],
)
def test_support_questions_point_to_the_apps_own_help(engine, question, top):
    answer = ask(engine, question)
    assert (answer.intent, answer.entries) == ("support", (top,))
    assert engine.kb.get(top).link("documentation") in answer.text and len(answer.text.splitlines()) == 1


def test_support_without_an_app_and_capability_questions_that_are_not_support(engine):
    assert ask(engine, "my messages are gone after restoring my phone").intent == "none"  # support, but for no app it knows
    assert ask(engine, "where do i download signal").intent == "card"
    assert ask(engine, "which messengers let me move my chats to a new phone?").intent == "filter"


@pytest.mark.parametrize(
    "question, top",
    [("Riot", "element"), ("TextSecure", "signal"), ("simple x", "simplex"), ("element-web", "element"),
     ("session-android", "session"), ("is Matrix secure?", "element")],
)
def test_old_other_split_and_hyphenated_names(engine, question, top):
    answer = ask(engine, question)
    assert answer.entries[:1] == (top,), (answer.intent, answer.entries)


@pytest.mark.parametrize(
    "question, include, exclude",
    [
        ("my children only have tablets, no SIM", {"simplex", "briar"}, {"signal", "molly"}),
        ("mijn kinderen hebben alleen een tablet", {"simplex", "briar"}, {"signal"}),
        ("what works where the government blocks the app?", {"briar"}, {"signal"}),
        ("I'm a journalist, which app protects my sources?", {"simplex", "briar"}, {"signal"}),
        ("we go camping where there is no coverage, what works?", {"briar"}, {"signal"}),
    ],
)
def test_situations_are_answered_as_a_filter_that_says_why(engine, question, include, exclude):
    answer = ask(engine, question, "nl" if question.startswith("mijn") else "en")
    assert answer.intent == "filter", (answer.intent, answer.entries)
    assert include <= set(answer.entries) and not exclude & set(answer.entries)
    assert answer.text.startswith(("Why:", "Waarom:"))


def test_big_groups_map_to_group_limits(engine):
    answer = ask(engine, "a community chat with thousands of members")
    assert answer.intent == "filter" and "group" in answer.text.lower()


def test_other_languages_get_one_line_in_the_rooms_language(engine):
    # The line is in the question's language when the phrase catalogue has it, else the room's.
    def line(lang: str) -> str:
        phrases = PHRASES[lang]
        named = render.language_list(render.BUNDLED_LANGS, lang)
        return phrases["replies"]["other_language_in"].format(language=phrases["words"]["lang_nl"], languages=named)

    for question, line in (
        ("Ist Signal sicher?", "recbot antwoordt alleen in het Nederlands en Engels"),
        ("Est-ce que Signal est sûr ?", line("fr")),
        ("¿Es seguro Signal?", line("es")),
        ("האם Signal בטוחה?", line("he")),
    ):
        answer = engine.answer(question, "nl")
        assert (answer.intent, answer.entries, answer.lang) == ("card", ("signal",), "nl")
        assert answer.text.startswith(line)
        assert "Signal (aanbevolen)" in answer.text  # then the card, in the room's language
        assert answer.html.startswith('<p dir="rtl">' if "בטוחה" in question else "<p>")  # the Hebrew line reads right to left
    assert engine.answer("Ist das Wetter schön heute?", "nl").text == ""  # names no entry: silence
    for question in ("mesh netwerk?", "brair of simpelx?", "signal vs session", "Welke apps missen PFS?"):
        assert engine.answer(question).intent != "none", question


@pytest.mark.parametrize("question, intent, entries", [
    ("Ist Signal wirklich sicherer als WhatsApp?", "compare", ("signal", "whatsapp")),  # a comparative
    ("¿Es Signal más seguro que Telegram?", "compare", ("signal", "telegram")),
    ("Wo sehe ich meine Telefonnummer in Signal?", "support", ("signal",)),  # where do I find it: app support
    ("Viele sind von WhatsApp auf Telegram umgestiegen. Doch was zeichnet Telegram aus?", "card", ("telegram",)),  # named most
])
def test_other_languages_comparatives_and_where_to_find_a_setting(engine, question, intent, entries):
    answer = engine.answer(question, "nl")
    assert (answer.intent, answer.entries[:2]) == (intent, entries)


def test_one_language_detector_keeps_its_signature():
    assert detect_language(tokens(normalize("Welke messenger heeft geen telefoonnummer nodig?"))).lang == "nl"
    assert detect_language(["which", "ones", "need", "a", "phone", "number"], "nl").lang == "en"
    assert detect_language([], "en").lang == "en"
    guess = detect_language(tokens(normalize("Czy Signal jest bezpieczny?")), "en", {"signal"}, "Czy Signal jest bezpieczny?")
    assert guess.other == "pl" and guess.lang == "en"


def test_smaller_rules(engine):
    offline = ask(engine, "which work without internet, e.g. over wifi or bluetooth")
    assert offline.intent == "filter" and "briar" in offline.entries  # the negation stays with "internet"
    firm = ask(engine, "which messengers were audited by Trail of Bits?")
    assert firm.entries == ("simplex",)
    assert ask(engine, "centralized apps").entries[:1] == ("signal",)
    assert ask(engine, "how does the !compare command work?").intent == "help"
    assert ask(engine, "Waarom raden jullie deze apps aan?", "nl").intent == "criteria"
    usernames = ask(engine, "Which messengers have usernames?")
    assert "signal" in usernames.entries  # usernames since 2024-02, though the number is still needed


def test_support_and_unknown_replies_are_short_plain_and_html(engine):
    for reply in (render.support(engine.kb, engine.kb.get("signal"), "en"), render.unknown_product(engine.kb, ["<b>Zom</b>"], "en")):
        assert "<b>Zom</b>" not in reply.html and len(reply.text.splitlines()) == 1


@pytest.mark.parametrize(
    "question, intent, top",
    [
        ("Is WhatsApp Plus safe?", "none", None),  # a modded build is another product
        ("Signal crashes every time I open it", "support", "signal"),
        ("Ik kan geen berichten versturen in Element", "support", "element"),
        ("Why isn't Threema listed?", "card", "threema"),  # a not_listed entry's card says why
        ("Telegram has a web version, do any of yours?", "filter", None),  # Telegram is the comparison
        ("Why Wire/Signal instead of Matrix/Riot?", "compare", "wire"),  # a capitalised everyday-word name
        ("@anna what do you recommend?", "none", None),  # for someone else
        ("It would be nice if Signal had stories", "none", None),  # a request to the developers
    ],
)
def test_more_general_rules(engine, question, intent, top):
    answer = ask(engine, question)
    assert answer.intent == intent, (answer.intent, answer.entries)
    if top:
        assert answer.entries[:1] == (top,), answer.entries


def test_a_situation_keeps_the_platform_the_asker_has(engine):
    answer = ask(engine, "my grandma has no smartphone, only an iPad, what can she use?")
    assert answer.intent == "filter" and "simplex" in answer.entries and "briar" not in answer.entries
