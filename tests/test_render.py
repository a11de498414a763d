"""Replies: cards carry every caveat, plain text and HTML agree, user text is never HTML."""

import html
import re

import pytest

from knowledge import render


def plain_of(html_text: str) -> str:
    """Visible text of our HTML, whitespace-folded, for comparing with the plain body."""
    hrefs = " ".join(re.findall(r'href="([^"]+)"', html_text))
    text = re.sub(r"<[^>]+>", " ", html_text) + " " + hrefs
    return " ".join(html.unescape(text).split())


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_card_carries_caveats_warnings_and_updates(kb, lang):
    for entry in kb.entries:
        reply = render.card(kb, entry, lang)
        assert len(reply.text) <= render.PLAIN_LIMIT + 100, (entry.id, len(reply.text))
        for caveat in entry.caveats:
            assert caveat.get(lang)[:60] in reply.text, (entry.id, caveat.get(lang))
        for warning in kb.warnings_for(entry):
            assert warning.text.get(lang) in reply.text
        for update in entry.updates:
            assert update.date in reply.text
        assert entry.source.url in reply.text
        assert entry.link("homepage") in reply.text


def test_plain_and_html_say_the_same(engine):
    for question in ["!info signal", "!compare signal element", "!list", "!criteria briar", "which use tor", "!help", "!caveats session",
                     "Is Telegram private?", "Does Signal need a phone number?", "How do I back up Signal?", "Is Zom safe?",
                     "my kids only have tablets, which app?", "Ist Threema sicher?"]:
        answer = engine.answer(question, "en")
        words = set(re.findall(r"\w{4,}", answer.text))
        visible = plain_of(answer.html)
        missing = [w for w in words if w not in visible]
        assert not missing, (question, missing[:10])


def test_additional_options_always_show_the_forward_secrecy_warning(engine):
    for question in ["!info session", "!info element", "session vs signal", "!caveats element", "which are federated"]:
        answer = engine.answer(question, "en")
        assert "No forward secrecy" in answer.text, question


def test_user_text_is_never_html(engine):
    answer = engine.answer("!info <script>alert(1)</script>", "en")
    assert "<script>" not in answer.html
    assert "&lt;script&gt;" in answer.html
    answer = engine.answer('!compare <img src=x onerror=alert(1)> "signal"', "en")
    assert "<img" not in answer.html


def test_only_http_links(kb):
    from dataclasses import replace

    evil = replace(kb.get("signal"), links=(type(kb.get("signal").links[0])("homepage", "javascript:alert(1)"),))
    reply = render.card(kb, evil, "en")
    assert "javascript:" not in reply.html


def test_compare_is_a_table(engine):
    answer = engine.answer("!compare signal element", "en")
    assert answer.html.count("<table>") == 1 and "<th>Signal</th>" in answer.html and "<th>Element</th>" in answer.html
    lines = answer.text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith(" ") and "Signal" in line and "Element" in line)
    assert set(lines[header + 1]) <= {"-", " "}  # aligned plain-text table


def test_criteria_for_an_entry(engine):
    answer = engine.answer("Does Session meet the criteria?", "en")
    assert answer.intent == "criteria" and answer.entries == ("session",)
    assert "✗ Forward secrecy" in answer.text
    assert "✓ The client apps are open source." in answer.text


def test_help_in_the_askers_language(engine):
    assert "Commando's" in engine.answer("!hulp").text
    assert "Commands" in engine.answer("!help", "en").text
    assert "!vergelijk" in engine.answer("!hulp").text


def test_list_puts_recommended_first(engine):
    answer = engine.answer("which messengers do you recommend?")
    assert answer.intent == "list"
    assert answer.entries[:4] == ("signal", "molly", "simplex", "briar")
    assert "no longer recommended" in answer.text


def test_filter_json_holds_matches_only(engine):
    answer = engine.answer("which use tor", "en")
    assert set(answer.entries) == {"briar", "molly"}  # Molly: optional Tor
    assert "Not: " in answer.text and "Signal" in answer.text.split("Not: ")[1]


def test_help_pointer():
    text, html_text = render.help_pointer("en")
    assert "!help" in text and "!help" in html_text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_privacy_guides_content_is_attributed_with_its_licence(kb, lang):
    for entry in kb.entries:
        reply = render.card(kb, entry, lang)
        from_privacy_guides = "privacyguides.org" in entry.source.url
        assert ("CC BY-SA 4.0" in reply.text) == from_privacy_guides, entry.id
        if from_privacy_guides:
            assert 'href="https://creativecommons.org/licenses/by-sa/4.0/"' in reply.html
