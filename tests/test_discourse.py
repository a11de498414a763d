"""How a message stands to the bot (knowledge/discourse.py): pointing at an app it never names,
an app named as a likeness, leaving one app for another, running an app; and the cue files."""

import pytest

from knowledge import discourse
from knowledge.model import KnowledgeError
from knowledge.text import normalize


@pytest.mark.parametrize("text, points", [
    ("I use it in China, is it still safe?", True),
    ("what is this. Is this safe", True),
    ("Can you give me some clarity on whether the video chat is end to end encrypted?", True),
    ("is dit wel veilig?", True),
    ("is the group chat end to end encrypted?", True),
    ("zijn de berichten versleuteld?", True),
    ("which apps encrypt the messages?", False),
    ("is it possible to chat without a phone number?", False),  # a dummy "it"
    ("which apps are safe here?", False),  # asks us to pick
    ("iphone user here, what can i install", False),
    ("is there an app that works without internet?", False),
])
def test_pointing_without_naming(text, points):
    assert discourse.points_without_naming(normalize(text)) is points


@pytest.mark.parametrize("text, name, likeness", [
    ("need something for a big community, discord style", "discord", True),
    ("a forum unrelated to big SaaS, like Discord, GitHub", "discord", True),
    ("everything that discord has but private", "discord", True),
    ("I like Signal but is it safe?", "signal", False),
    ("Does Briar have any limitations?", "briar", False),
])
def test_an_app_named_as_a_likeness(text, name, likeness):
    norm = normalize(text)
    start = norm.index(name)
    assert discourse.named_as_likeness(norm, start, start + len(name)) is likeness


def test_leaving_one_app_for_another_asks_to_compare_only_with_an_evaluation():
    for text in ("Steeds meer mensen verlaten WhatsApp voor Signal: is dat veiliger?",
                 "Is it time to leave WhatsApp – and is Signal the answer?"):
        norm = normalize(text)
        span = discourse.leaves_for(norm)
        assert span is not None and "whatsapp" in norm[span[0] : span[1]]
    assert discourse.leaves_for(normalize("I am leaving WhatsApp for Signal tomorrow")) is None


@pytest.mark.parametrize("text, verb", [
    ("how do i share my simplex address with someone", "share"),
    ("element: hoe maak ik een bestaande kamer versleuteld", "maak"),
    ("Thanks. And how i deploy session on my servers", "deploy"),
    ("how do I know which one to trust?", ""),  # judging, not doing
    ("they don't make it very obvious how to self-host the server", ""),  # inside a statement
])
def test_how_to_verb(text, verb):
    assert discourse.howto_verb(normalize(text)) == verb


def test_operating_an_app():
    assert discourse.operates_app(normalize("Is matrix server down?"))
    assert discourse.operates_app(normalize("what XMPP server software fits best?"))
    assert not discourse.operates_app(normalize("can i run my own server with element"))  # a question about a property


@pytest.mark.parametrize("question, intent, entries", [
    ("is this safe?", "none", ()),
    ("Is the video chat end to end encrypted?", "none", ()),
    ("Steeds meer mensen verlaten WhatsApp voor Signal: is dat veiliger?", "compare", ("whatsapp", "signal")),
    ("Is matrix server down?", "support", ("element",)),
    ("is signal down?", "support", ("signal",)),
    ("ligt de server van element plat?", "support", ("element",)),
    ("ik ga van whatsapp naar signal, verstandig?", "compare", ("whatsapp", "signal")),
    ("how do i move my chats from whatsapp to signal", "support", ("signal",)),
    ("how do i share my simplex address with someone", "support", ("simplex",)),
    ("Can we have some forum that is unrelated to big SaaS, like Discord, GitHub, and so on?", "none", ()),
])
def test_the_engine_reads_these_kinds(engine, question, intent, entries):
    answer = engine.answer(question, "en")
    assert answer.intent == intent
    assert set(entries) <= set(answer.entries)


def test_a_bad_cue_file_is_a_located_error(tmp_path):
    (tmp_path / "en.yaml").write_text("deixis:\n  - 'this'\nunknown_key:\n  - 'x'\n", encoding="utf-8")
    (tmp_path / "nl.yaml").write_text("howto: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        discourse.load_cues(tmp_path)
    text = str(caught.value)
    assert "unknown cue key 'unknown_key'" in text and "en.yaml" in text
    assert "nl.yaml:" in text  # the YAML error with its line
    (tmp_path / "nl.yaml").write_text("howto:\n  - '(unclosed'\n", encoding="utf-8")
    (tmp_path / "en.yaml").write_text("deixis: ['this']\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="cue key 'howto': not a regular expression"):
        discourse.load_cues(tmp_path)


@pytest.mark.parametrize("question, prop", [
    ("which apps depend on a single company's servers", "centralized"),
    ("welke draaien op de servers van één bedrijf", "centralized"),
    ("bij welke apps blijven oude berichten veilig als mijn sleutel ooit uitlekt", "forward_secrecy"),
    ("ik wil kunnen facetimen maar dan prive, welke app", "video"),
    ("welke gebruiken standaard het tor netwerk", "tor"),  # "standaard" here is "by default", not a criterion
    ("something for a 10k member community", "group_limit"),
])
def test_what_a_property_is_for_names_it(engine, question, prop):
    u = engine.understand(question, "en")
    assert u.intent == "filter"
    asked = {q.id for q in u.properties}
    assert prop in asked or prop == "group_limit" and any(a.startswith("group_at_least") for a in asked), asked


def test_how_to_use_the_bot_is_help_even_with_a_criteria_word(engine):
    assert engine.answer("Provide a list of bot commands, to quickly evaluate what the bot can do", "en").intent == "help"
    assert engine.answer("what kind of stuff can i ask you", "en").intent == "help"


def test_two_apps_set_against_each_other_outright_are_compared_despite_a_caveat_word(engine):
    answer = engine.answer("is element nou beter of slechter dan session", "nl")
    assert answer.intent == "compare" and {"element", "session"} <= set(answer.entries)
    assert engine.answer("what are the downsides of signal", "en").intent == "caveats"


@pytest.mark.parametrize("question, intent, top", [
    ("wie zit er eigenlijk achter signal", "card", "signal"),  # who makes it: its card
    ("telegram geheime chats, zijn die wel echt versleuteld", "card", "telegram"),  # a clause opening with a verb asks
    ("element, still worth it in 2026?", "card", "element"),  # the name set off as the topic
    ("hoe verstuur ik een verdwijnend bericht in simplex", "support", "simplex"),  # a how-to keeps the app's sense
    ("Signal contains three different third party trackers?", "card", "signal"),  # "three" is no Threema
    ("I can find the Whatsapp icon but what is the Signal icon?", "card", "signal"),  # the asking clause's app first
    ("I can't use camera on my smartphone -> can't use threema web :(", "support", "threema"),
    ("waarom krijg ik geen meldingen van element", "support", "element"),
    ("gebruikt whatsapp end-to-end encryptie?", "card", "whatsapp"),
    ("ik snap niet waarom iedereen signal aanraadt", "criteria", "signal"),  # why it is recommended, not confusion about the bot  # the verb it opens with, not "my friend uses WhatsApp"  # one's own trouble, not a caveat
    ("why don't i get notifications from signal", "support", "signal"),
])
def test_the_app_asked_about(engine, question, intent, top):
    answer = engine.answer(question, "en")
    assert (answer.intent, answer.entries[:1]) == (intent, (top,))


def test_an_everyday_compound_is_no_app_even_opening_a_question(engine):
    assert "session" not in engine.answer("session cookies vs local storage, which is safer?", "en").entries
    assert engine.answer("Why people in some countries can't use Signal", "en").intent != "support"  # not one's own trouble


@pytest.mark.parametrize("question, intent, entries", [
    ("I need to wire money to my landlord today", "none", ()),  # "to wire": a verb
    ("what works with zero signal bars and no wifi", "filter", ("briar",)),  # signal bars: no app
    ("what's the best budget android phone", "none", ()),  # a device to buy
    ("mijn telefoon heeft geen signaal meer sinds de update", "none", ()),  # own trouble, no app named
    ("which app lets me sign up without any phone number or email", "filter", ("simplex", "briar")),
    ("Welche Messenger bieten die beste Ende-zu-Ende-Verschlüsselung?", "list", ()),
    ("Bij welke kan ik mijn account meenemen naar een nieuwe telefoon?", "filter", ()),  # a new phone is app talk
])
def test_everyday_senses_devices_and_other_languages(engine, question, intent, entries):
    answer = engine.answer(question, "en")
    assert answer.intent == intent
    assert set(entries) <= set(answer.entries)


def test_a_relative_which_is_no_request_for_the_list(engine):
    answer = engine.answer("Briar spreads your message to all the other Briar users which then can help you transport "
                           "your message to the recipient. Does that mean anyone in the chain can view my messages?", "en")
    assert answer.intent == "card" and answer.entries[:1] == ("briar",)


def test_fillers_do_not_hide_a_cue_and_a_verb_is_no_product(engine):
    assert discourse.without_fillers("wat is er eigenlijk mis met simplex") == "wat is er mis met simplex"
    answer = engine.answer("wat is er eigenlijk mis met simplex", "nl")
    assert (answer.intent, answer.entries[:1]) == ("caveats", ("simplex",))
    assert engine.answer("why isnt needing a phone number a dealbreaker in your criteria", "en").intent == "criteria"


def test_a_dutch_compound_names_the_situation(engine):
    u = engine.understand("ik ben onderzoeksjournalist en mijn bron moet anoniem blijven, wat gebruiken we", "nl")
    assert u.intent == "filter" and "sources" in {s.id for s in u.situations}


@pytest.mark.parametrize("message, remarks", [
    ("Jami lets you export your ID to a file. Session could have a file export too.", True),
    ("Find us in blackhats on Element. You can install it with yay.", True),
    ("I thought briar was distributed. I may not be recalling it right.", False),  # wondering: a question
    ("Don't recommend Telegram. Telegram doesn't use end-to-end encryption by default.", False),  # a request
    ("Is Signal safe? It needs a number.", False),
    ("Signal needs a phone number.", False),  # one sentence
])
def test_remarks(message, remarks):
    assert discourse.reads_as_remarks(message, normalize(message)) is remarks


def test_remarks_naming_an_app_get_no_card_but_complaints_and_trouble_still_do(engine):
    assert engine.answer("Jami lets you export your ID to a file. Session could have a file export too.", "en").intent == "none"
    trouble = "I bought an Android tablet and wanted to install Signal on it. The app did not show in the Play store."
    assert engine.answer(trouble, "en").intent == "support"
    complaint = "Signal requires your phone number. That is why using signal pretty much defeats the whole privacy thing."
    assert engine.answer(complaint, "en").intent in ("caveats", "card")


def test_an_inflected_word_is_no_fuzzy_name_and_an_inner_capital_is_a_brand(engine):
    answer = engine.answer("Recently I discovered a new application for Android called Tok. Is this new application safe??", "en")
    assert "discord" not in answer.entries
    u = engine.understand("Is there an easy way to keep all conversations, groups and so on, while moving to LibreSignal?", "en")
    assert u.intent == "none" and "LibreSignal" in u.unknown
    assert engine.answer("is WhatsApp safe?", "en").entries[:1] == ("whatsapp",)  # a known brand stays known


def test_a_spelling_fix_is_one_edit(engine):
    from knowledge import understand
    text = "i'm thinking signal or whatsapp would solve this problem"
    fixed, _ = understand._correct_spelling(text, text.split(), engine.index)
    assert "hiking" not in fixed
    fixed, _ = understand._correct_spelling("welke app zonder telefoonummer", "welke app zonder telefoonummer".split(), engine.index)
    assert "telefoonnummer" in fixed
    fixed, _ = understand._correct_spelling("vergelyk signal en session", "vergelyk signal en session".split(), engine.index)
    assert fixed.startswith("vergelijk")  # y for ij is one edit


@pytest.mark.parametrize("question, prop, negated", [
    ("welke apps laten niet zien met wie ik praat", "metadata", False),
    ("which apps don't reveal who I talk to", "metadata", False),
    ("which apps let anyone check the code", "open_source", False),
    ("welke apps hebben openbare code", "open_source", False),
    ("waar kan niemand meelezen", "e2ee", False),
    ("which apps are not controlled by a single company", "centralized", True),
    ("apps zonder dat iemand weet wie ik ben", "anonymous", False),
    ("which apps work without giving out my number", "phone", True),
])
def test_a_property_said_by_what_it_is_for(engine, question, prop, negated):
    u = engine.understand(question, "en")
    assert u.intent == "filter"
    assert (prop, negated) in {(q.id, q.negated) for q in u.properties}, u.properties


def test_what_makes_an_app_good_is_criteria_and_how_the_bot_works_is_help(engine):
    assert engine.answer("what makes an app good enough for your list", "en").intent == "criteria"
    assert engine.answer("wat maakt een messenger veilig", "nl").intent == "criteria"
    assert engine.answer("What Makes a Good Secure Messaging App?", "en").intent == "criteria"
    assert engine.answer("wat maakt een goede messenger?", "nl").intent == "criteria"
    assert engine.answer("hoe werk jij", "nl").intent == "help"
    assert engine.answer("wat kun je over vpns zeggen", "nl").intent == "none"  # another topic stays another topic


@pytest.mark.parametrize("question", [
    "Is this app better than Signal?", "How secure is this app compared to WhatsApp?", "How is this different from Matrix?",
    "is het beter dan whatsapp",
])
def test_an_app_not_named_set_against_one_named_is_no_card_of_the_named_one(engine, question):
    assert engine.answer(question, "en").intent == "none"


def test_a_named_app_compared_with_its_past_is_still_about_it(engine):
    assert engine.answer("is signal better than it used to be", "en").entries[:1] == ("signal",)
    assert engine.answer("how is signal different from session?", "en").intent == "compare"


@pytest.mark.parametrize("question", ["welke vragen kan ik stellen", "who made you", "wat doe jij precies"])
def test_questions_about_the_bot_itself_get_the_help(engine, question):
    assert engine.answer(question, "nl").intent == "help"


@pytest.mark.parametrize("message, declares", [
    ("Signal offers no security", True),
    ("Matrix is institutionally compromised.", True),
    ("Signal needs a phone number?", False),  # a question
    ("tell me about Signal", False),  # a request
    ("Id like to use signal on my tablet without a phone.", False),  # wanting, apostrophe left out
    ("signal safe", False),  # too short to be a statement
])
def test_declarative_statements(message, declares):
    assert discourse.declares(message, normalize(message)) is declares


def test_a_statement_naming_an_app_gets_no_card_but_a_caveat_said_outright_still_does(engine):
    assert engine.answer("Signal offers no security", "en").intent == "none"
    assert engine.answer("Matrix is institutionally compromised.", "en").intent == "none"
    assert engine.answer("Element/Matrix logs IP addresses", "en").intent == "caveats"
    assert engine.answer("is Signal safe", "en").intent == "card"


@pytest.mark.parametrize("message", [
    "When can we expect post-quantum encryption in Signal? Where is it in the priority list?",
    "What is the reason for not implementing OMEMO now?",
    "I'd like to suggest adding Molly to the guide as an alternative for Android users.",
    "Stop recommending Telegram. It's not secure",
    "Hey folks, are there any plans to move towards end to end encryption?",  # no app named: its developers' plans
    "By the way, is there any todo list on uTox?",  # the project's own to-do list
    "where is the issue tracker for Session?",
])
def test_an_address_to_the_developers_or_the_lists_maintainers_is_not_for_recbot(engine, message):
    assert engine.answer(message, "en").intent == "none"


def test_a_plan_asked_about_a_named_app_is_still_answered(engine):
    assert engine.answer("Are there any plans for Signal to work without a phone number?", "en").intent != "none"


@pytest.mark.parametrize("message, intent", [
    ("If I try to call anyone on Signal iOS the call does not get through. Why?", "support"),  # one's own trouble
    ("I prefer OMEMO. Is there a way to disable OTR by default?", "support"),  # a how-to
    ("is there any way to delete messages in Signal?", "support"),
    ("is there a way to register Signal without a phone number?", "card"),  # asks for a property
])
def test_ones_own_trouble_and_a_way_to_do_something_are_support(engine, message, intent):
    assert engine.answer(message, "en").intent == intent


@pytest.mark.parametrize("message", [
    "Can you respond on tox please?",
    "could you message me via Signal?",
    "Is it possible to get a conversation with you? Wickr or anything....",
])
def test_asking_to_talk_over_an_app_is_not_about_it(engine, message):
    assert engine.answer(message, "en").intent == "none"


@pytest.mark.parametrize("message, intent", [
    ("The SMS verification message should not mention the name of the app, Wire, as that may pose a risk.", "none"),
    ("this plugin should just stop Discord from collecting your data.", "none"),
    ("Session is a Signal fork that removes forward security. It should really not be trusted by anyone.", "caveats"),
    ("should i use molly or regular signal on my android phone", "compare"),
])
def test_what_an_app_should_do_is_for_its_developers_but_judging_it_is_a_caveat(engine, message, intent):
    assert engine.answer(message, "en").intent == intent


def test_the_apps_named_taken_together_after_them_are_compared(engine):
    answer = engine.answer("Mensen stapten over naar Signal en Telegram. Hoe veilig zijn jouw gesprekken bij deze apps?", "nl")
    assert answer.intent == "compare" and {"signal", "telegram"} <= set(answer.entries)
    assert engine.answer("Signal and Session: how private are these apps?", "en").intent == "compare"


def test_announcing_that_one_leaves_an_app_asks_nothing(engine):
    assert engine.answer("I will delete Signal 'cause it's broken !", "en").intent == "none"
    assert engine.answer("I'm going to delete WhatsApp and need a replacement", "en").intent != "none"  # a wish
    assert engine.answer("we will leave WhatsApp for Signal, is that safer?", "en").intent == "compare"


@pytest.mark.parametrize("message, outside", [("brave on android", "on android"), ("signal for desktop", "for desktop"),
                                              ("molly on my phone", "on my phone")])
def test_a_named_topic_is_no_statement(message, outside):
    # Only words that place the app are left beside its name: asked about, not said of it.
    assert not discourse.declares(message, message, outside)
    assert discourse.declares("Signal offers no security", "signal offers no security", "offers no security")


def test_other_scripts_are_not_judged_by_english_statement_cues():
    assert not discourse.declares("qubes os что скажете", "qubes os что скажете", "что скажете")
