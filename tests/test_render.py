"""Replies: cards carry every caveat, plain text and HTML agree, user text is never HTML."""

import dataclasses
import html
import re
from pathlib import Path

import pytest

from knowledge import render
from knowledge.engine import Engine
from knowledge.loading import load_sources


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


# --- replies over the Privacy Guides site snapshot (every category) ------------------------------

SNAPSHOT = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "privacyguides"
MESSENGER_LINES = ("Forward secrecy", "End-to-end", "Sign-up needs", "Aanmelden met", "Network:", "Netwerk:")


@pytest.fixture(scope="module")
def site():
    if not (SNAPSHOT / "en").is_dir():
        pytest.fail(f"the site snapshot is missing: {SNAPSHOT}", pytrace=False)
    return load_sources([str(SNAPSHOT)])


@pytest.fixture(scope="module")
def site_engine(site):
    return Engine(site)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_site_cards_show_only_the_facts_that_apply(site, lang):
    for entry in site.entries:
        reply = render.card(site, entry, lang)
        assert len(reply.text) <= render.PLAIN_LIMIT + 100, (entry.id, len(reply.text))
        if not entry.has_messenger_facts:
            assert not any(line in reply.text for line in MESSENGER_LINES), entry.id
            assert render.w("platforms", lang) + ":" in reply.text and render.w("open_source", lang) + ":" in reply.text
        for warning in site.warnings_for(entry):  # a warning box is a caveat of the cards it covers
            assert " ".join(warning.text.get(lang).split())[:60] in " ".join(reply.text.split()), entry.id
        for caveat in entry.caveats:
            assert " ".join(caveat.get(lang).split())[:60] in " ".join(reply.text.split()), entry.id
        title = site.category(entry.category).title.get(lang)
        source = reply.text.splitlines()[-1]
        assert source.startswith(f"{render.w('source', lang)}: {title} (") and "CC BY-SA 4.0" in source, source
        assert ", ?" not in source and "?)" not in source
        assert plain_of(reply.html).count("CC BY-SA 4.0") == 1


def test_site_card_common_facts_and_own_text(site):
    reply = render.card(site, site.get("vpn/proton-vpn"), "en")
    assert "Platforms: Android, iOS, Windows, macOS, Linux" in reply.text
    assert "Open source: yes (source code)" in reply.text and 'href="https://github.com/ProtonVPN"' in reply.html
    assert "Audits: 2025, 2024, 2022" in reply.text
    assert "Downloads: Google Play, App Store" in reply.text and 'href="https://protonvpn.com/download-windows"' in reply.html
    assert "Links: privacy policy, documentation" in reply.text
    assert "in operation since 2016" in reply.text  # the card's own text, beyond its first sentence
    assert "⚠ Using a VPN will not keep your browsing habits anonymous" in reply.text  # the page's warning box


def test_site_source_line_names_the_category_page_in_the_reply_language(site):
    mail = site.get("email/proton-mail")
    dutch = render.card(site, mail, "nl").text.splitlines()[-1]
    assert dutch.startswith("Bron: Email Diensten (https://www.privacyguides.org/nl/email/) (nl, 2026-08-22; CC BY-SA 4.0")
    english = render.card(site, mail, "en").text.splitlines()[-1]
    assert english.startswith("Source: Email Services (https://www.privacyguides.org/en/email/) (en, 2026-03-11; CC BY-SA")
    # the page not loaded in the reply language: its title there, the English page and date
    only_english = dataclasses.replace(site, categories=tuple(dataclasses.replace(c, sources=c.sources[:1]) for c in site.categories))
    line = render.card(only_english, mail, "nl").text.splitlines()[-1]
    assert line.startswith("Bron: Email Diensten (https://www.privacyguides.org/en/email/) (en, 2026-03-11; CC BY-SA")


def test_site_proton_mail_and_mailbox_are_recommended_with_the_warning_as_caveat(site):
    for entry_id in ("email/proton-mail", "email/mailbox-mail"):
        reply = render.card(site, site.get(entry_id), "en")
        assert "(recommended)" in reply.text.splitlines()[0]
        assert "⚠ When using E2EE technology like OpenPGP" in reply.text
        assert "additional option" not in reply.text and "Forward secrecy" not in reply.text


@pytest.mark.parametrize("lang, also", [("en", "Also recommended under Email Services (!info email/tuta)"),
                                        ("nl", "Ook aanbevolen onder Email Diensten (!kaart email/tuta)")])
def test_site_twins_say_where_else_they_are_recommended(site, lang, also):
    assert also in render.card(site, site.get("calendar/tuta"), lang).text
    mastodon = render.card(site, site.get("social-networks/mastodon"), "en").text
    assert "Also recommended under Level Up! Assemble and Organize (" in mastodon and " and Self-Hosting (!info self-hosting/mastodon)" in mastodon
    assert "Also recommended" not in render.card(site, site.get("vpn/proton-vpn"), "en").text


def test_site_info_picks_the_twin_the_question_points_at(site_engine):
    assert site_engine.answer("!info brave", "en").entries[0] == "desktop-browsers/brave"
    answer = site_engine.answer("is brave good on my iphone?", "en")
    assert answer.intent == "card" and answer.entries[0] == "mobile-browsers/brave"
    assert "Platforms: Android, iOS" in answer.text and "Also recommended under Desktop Browsers" in answer.text


def test_site_compare_across_categories(site_engine):
    browsers = site_engine.answer("!compare brave mullvad-browser", "en").text
    assert "Desktop Browsers" in browsers and not any(line.split(":")[0] in browsers for line in MESSENGER_LINES)
    assert "Open source" in browsers and "Platforms" in browsers
    services = site_engine.answer("!compare proton vpn, proton mail", "en")
    assert services.entries == ("vpn/proton-vpn", "email/proton-mail")
    row = next(line for line in services.text.splitlines() if line.startswith("Category"))
    assert "VPN Services" in row and "Email Services" in row
    assert "Forward secrecy" not in services.text
    mixed = site_engine.answer("!compare signal brave", "en")
    fs = next(line for line in mixed.text.splitlines() if line.startswith("Forward secrecy"))
    assert fs.split()[-1] == "n/a" and " yes " in fs  # Signal's fact, not applicable to a browser
    assert "<th>Brave</th>" in mixed.html


def test_site_messenger_filters_ask_messengers_only(site, site_engine):
    answer = site_engine.answer("which have forward secrecy", "en")
    assert answer.intent == "filter" and answer.entries
    assert all(site.get(i).has_messenger_facts for i in answer.entries)
    named = answer.text.split("Not stated for: ")[-1]
    assert "Brave" not in named and "Proton VPN" not in named and "CryptPad" not in named
    assert "vpn/proton-vpn" in site_engine.answer("which are open source", "en").entries  # a fact every card has


def test_site_criteria_of_a_category_in_its_groups(site_engine):
    vpn = site_engine.answer("!criteria vpn", "en")
    assert vpn.intent == "criteria" and vpn.text.startswith("Criteria for VPN Services:")
    for heading in ("Privacy — minimum requirements:", "Privacy — best case:", "Technology — minimum requirements:"):
        assert heading in vpn.text
    assert vpn.text.index("Technology — best case:") < vpn.text.index("Privacy — minimum requirements:")
    assert "Source: VPN Services (https://www.privacyguides.org/en/vpn/)" in vpn.text
    assert site_engine.answer("!criteria VPN Services", "en").text == vpn.text
    email = site_engine.answer("!eisen email", "nl")
    assert email.text.startswith("Criteria voor Email Diensten:")
    assert len(email.text) <= render.CRITERIA_BUDGET + 1500 and "… en nog " in email.text  # 42 criteria: bounded
    brave = site_engine.answer("!criteria brave", "en").text
    assert brave.startswith("Brave is listed under Desktop Browsers; the criteria of that page:")
    assert "Must block third-party cookies by default." in brave and "?" not in brave.split("\n")[1][:2]
    assert "Electronic" not in brave and "WireGuard" not in brave  # only its own page's criteria


def test_site_criteria_without_a_category_says_which_have_criteria(site, site_engine):
    answer = site_engine.answer("!criteria", "en")
    with_criteria = [c for c in site.categories if c.criteria]
    assert answer.text.startswith(f"{len(with_criteria)} pages have criteria:")
    assert "VPN Services (vpn)" in answer.text and "e.g. !criteria dns." in answer.text  # a short path as the example
    assert len(answer.text) < 2000
    assert "bijv. !eisen dns." in site_engine.answer("!eisen", "nl").text


def test_bundled_criteria_keep_todays_reply(engine):
    answer = engine.answer("!criteria", "en")
    assert answer.text.startswith("How messengers are chosen:\nMinimum requirements:\n• The client apps are open source.")
    assert "Source:" not in answer.text


def test_site_sources_are_capped(site_engine):
    answer = site_engine.answer("!sources", "en")
    lines = answer.text.splitlines()
    assert lines[0] == "Knowledge sources:" and len(lines) <= render.SOURCES_MAX + 3
    assert lines[render.SOURCES_MAX + 1].startswith("• … and ") and "9 languages" in lines[1]
    assert "(https://www.privacyguides.org/en/" in lines[1]
    assert "(https://www.privacyguides.org/nl/" in site_engine.answer("!bronnen", "nl").text


def test_site_yes_no_about_a_fact_the_category_lacks(site_engine):
    answer = site_engine.answer("does brave have forward secrecy?", "en")
    assert answer.intent == "card" and answer.entries[0] == "desktop-browsers/brave"
    assert answer.text.startswith("Not known: forward secrecy is not among what Privacy Guides' Desktop Browsers cards state")
    assert "Forward secrecy:" not in answer.text
    assert site_engine.answer("does brave work on linux?", "en").text.startswith("Yes: Brave, platforms: Windows, macOS, Linux")


def test_site_criteria_of_a_page_without_criteria_and_of_nothing_known(site, site_engine):
    cryptpad = site_engine.answer("!criteria cryptpad", "en")  # first on a toolbox tip without criteria
    assert cryptpad.entries[0] == "document-collaboration/cryptpad"
    assert cryptpad.text.startswith("CryptPad is listed under Document Collaboration; the criteria of that page:")
    tip = site.get("activism/toolbox/tip-level-up-assemble-and-organize/cryptpad")
    assert render.criteria(site, "en", tip, category=site.category(tip.category)).text == (
        "Level Up! Assemble and Organize has no criteria of its own on Privacy Guides."
    )
    unknown = site_engine.answer("!criteria zorblax", "en").text
    assert unknown.startswith('I don\'t know "zorblax".\n') and "pages have criteria:" in unknown


def test_site_plain_and_html_say_the_same(site_engine):
    for question in ["!info proton vpn", "!info tuta", "!compare signal brave", "!criteria vpn", "!criteria", "!sources",
                     "which have forward secrecy", "does brave have forward secrecy?", "!caveats proton mail"]:
        answer = site_engine.answer(question, "en")
        words = set(re.findall(r"\w{4,}", answer.text))
        missing = [w for w in words if w not in plain_of(answer.html)]
        assert not missing, (question, missing[:10])


@pytest.mark.parametrize("question, page", [
    ("Which VPN do you recommend?", "VPN Services"),
    ("which vpn accepts monero?", "VPN Services"),
    ("brave vs mullvad browser", "Desktop Browsers"),
])
def test_site_lists_filters_and_compares_attribute_the_page(site_engine, question, page):
    # They show the cards' own texts and warnings, so they name the page and its licence like a card.
    answer = site_engine.answer(question, "en")
    assert f"Source: {page} (https://www.privacyguides.org/en/" in answer.text
    assert "CC BY-SA 4.0" in answer.text and 'href="https://creativecommons.org/licenses/by-sa/4.0/"' in answer.html


def test_bundled_list_has_no_site_source_line():
    from knowledge.engine import Engine

    assert "CC BY-SA" not in Engine(load_sources([])).answer("!list", "en").text
