"""Tests for site sources (knowledge/site.py): the Privacy Guides snapshot in ../shared/seeds
(read-only; CI always has it) and the small invented site in tests/pages/site."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.importer import import_markdown
from knowledge.loading import load_sources, validate
from knowledge.model import KnowledgeBase, KnowledgeError, page_of_url
from knowledge.site import dates_in_readme, link_resolver, page_path
from site_archives import snapshot_tarballs, tarball

SNAPSHOT = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "privacyguides"
SITE = Path(__file__).resolve().parent / "pages" / "site"
LANGS = ("en", "es", "fr", "he", "it", "nl", "ru", "zh-Hant", "zh-TW")


@pytest.fixture(scope="module")
def snapshot() -> KnowledgeBase:
    if not (SNAPSHOT / "en").is_dir():
        pytest.fail(f"the site snapshot is missing: {SNAPSHOT}", pytrace=False)
    return load_sources([str(SNAPSHOT)])


@pytest.fixture(scope="module")
def site() -> KnowledgeBase:
    return load_sources([str(SITE)])


# --- the invented site ------------------------------------------------------------------------


def test_site_ids_names_and_skipped_pages(site: KnowledgeBase) -> None:
    assert [(e.id, e.name) for e in site.entries] == [
        ("android/finch", "Finch"),  # android/index.md is the folder's page
        ("birds/finch", "Finch"),  # <small>Paid</small> removed from the heading
        ("birds/heron-pad", "Heron Pad"),  # grid: named by the first bold name, not the heading
        ("birds/owl-board", "Owl Board"),
        ("birds/stork-the-slow-bird-tool", "Stork (The Slow Bird Tool)"),
    ]  # nothing from tools.md or meta/
    assert [c.path for c in site.categories] == ["android", "birds"]
    assert all(e.category == e.id.rsplit("/", 1)[0] for e in site.entries)


def test_site_twins_and_aliases(site: KnowledgeBase) -> None:
    finch, android = site.get("birds/finch"), site.get("android/finch")
    stork = site.get("birds/stork-the-slow-bird-tool")
    assert finch.also_on == ("android/finch",) and android.also_on == ("birds/finch",)
    assert "finch" not in finch.aliases  # the bare slug would name either page's Finch
    assert stork.aliases == ("Stork", "stork-the-slow-bird-tool")
    assert "heron-pad" in site.get("birds/heron-pad").aliases
    validate(site)  # twins may share their name; everything else stays unique


def test_site_links_resolve_against_the_published_site(site: KnowledgeBase) -> None:
    finch, android = site.get("birds/finch"), site.get("android/finch")
    assert finch.link("documentation") == "https://www.privacyguides.org/en/android/#finch"
    assert android.link("documentation") == "https://www.privacyguides.org/en/birds/#finch"
    assert android.link("privacy_policy") == "https://www.privacyguides.org/en/android/#finch"
    assert finch.facts.platforms == ("linux",) and finch.facts.open_source.client is True


def test_site_tiers_warnings_and_facts(site: KnowledgeBase) -> None:
    [warning] = site.warnings
    assert warning.id == "birds/warning-bird-apps"  # before any card: covers the whole page
    assert set(warning.applies_to) == {e.id for e in site.entries_in("birds")}
    assert warning.text.get("fr").startswith("Un chat peut voir")
    assert {e.id: e.tier for e in site.entries_in("birds")} == {
        "birds/finch": "recommended",  # a warning is a caveat, not a demotion
        "birds/heron-pad": "recommended",
        "birds/owl-board": "recommended",
        "birds/stork-the-slow-bird-tool": "additional",  # under "Additional Options"
    }
    assert not any(e.has_messenger_facts for e in site.entries)
    assert site.category("birds").fact_schema == ""


def test_site_translations_align_by_page_and_position(site: KnowledgeBase) -> None:
    finch = site.get("birds/finch")
    assert finch.summary.get("fr") == "Finch est une application d'oiseaux inventée."
    assert finch.summary.get("en") == "Finch is a made-up bird app."
    category = site.category("birds")
    assert category.title.by_lang == {"en": "Bird Apps", "fr": "Applications d'oiseaux"}
    assert [(s.lang, s.date, s.url) for s in category.sources] == [
        ("en", "2025-01-15", "https://www.privacyguides.org/en/birds/"),
        ("fr", "2025-02-01", "https://www.privacyguides.org/fr/birds/"),
    ]
    assert category.url("fr") == "https://www.privacyguides.org/fr/birds/"


def test_site_criteria_levels_groups_and_nested_items(site: KnowledgeBase) -> None:
    criteria = [site.criterion(c) for c in site.category("birds").criteria]
    assert [(c.group.get("en"), c.level, c.text.get("en")) for c in criteria] == [
        ("Watching", "minimum", "Must be open source. Nested detail of the open-source rule."),
        ("Watching", "minimum", "Must work offline."),
        ("Watching", "best", "Should be audited."),
        ("Sharing", "minimum", "Must not need an account."),
        ("Sharing", "best", "Should share over Tor."),
    ]
    # the French criteria heading is in words the importer does not know: found by position
    assert [c.text.get("fr") for c in criteria][2:] == [
        "Devrait être audité.",
        "Ne doit pas exiger de compte.",
        "Devrait partager via Tor.",
    ]
    assert criteria[0].group.get("fr") == "Observation"


def test_site_helpers() -> None:
    assert [page_path(p) for p in ("vpn.md", "os/index.md", "index.md", "android/distributions.md")] == [
        "vpn",
        "os",
        "",
        "android/distributions",
    ]
    resolve = link_resolver("fr", "activism/toolbox/tip.md")
    assert resolve("../../social-networks.md#peertube") == "https://www.privacyguides.org/fr/social-networks/#peertube"
    assert resolve("../../../outside.md") == ""
    assert dates_in_readme("- `en/`: docs, commit x (2026-03-11).\n- `es fr/`: i18n\n  (2026-08-22).\n") == {
        "": "2026-03-11",
        "en": "2026-03-11",
        "es": "2026-08-22",
        "fr": "2026-08-22",
    }
    assert page_of_url("https://www.privacyguides.org/zh-Hant/android/distributions/#x") == "android/distributions"


# --- the Privacy Guides snapshot ----------------------------------------------------------------


def test_snapshot_loads_every_category_in_nine_languages(snapshot: KnowledgeBase) -> None:
    assert len(snapshot.categories) >= 45 and len(snapshot.entries) >= 150
    assert sorted({s.lang for s in snapshot.sources}) == sorted(LANGS)
    paths = {c.path for c in snapshot.categories}
    assert not any(p.startswith(("meta", "about")) or p == "tools" for p in paths)
    assert {"vpn", "email", "android/distributions", "real-time-communication"} <= paths
    for category in snapshot.categories:
        assert set(category.title.by_lang) == set(LANGS), category.path
        assert category.date == "2026-03-11"
    validate(snapshot)


def test_snapshot_ids_the_issue_names(snapshot: KnowledgeBase) -> None:
    for entry_id in (
        "calendar/tuta",
        "email/tuta",
        "desktop-browsers/brave",
        "mobile-browsers/brave",
        "android/distributions/grapheneos",
        "vpn/proton-vpn",
        "email/proton-mail",
    ):
        assert snapshot.get(entry_id) is not None, entry_id
    assert snapshot.get("calendar/tuta").also_on == ("email/tuta",)
    assert snapshot.get("mobile-browsers/brave").also_on == ("desktop-browsers/brave",)
    grid = [e for e in snapshot.entries if e.category.startswith("activism/")]
    assert "CryptPad" in [e.name for e in grid]
    assert not any(e.name.startswith("Tools that") for e in snapshot.entries)
    assert "document-collaboration/cryptpad" in snapshot.get(
        "activism/toolbox/tip-level-up-assemble-and-organize/cryptpad"
    ).also_on


def test_snapshot_short_names_are_aliases(snapshot: KnowledgeBase) -> None:
    assert "I2P" in snapshot.get("alternative-networks/i2p-the-invisible-internet-project").aliases
    assert "LUKS" in snapshot.get("encryption/linux-unified-key-setup").aliases
    assert "Molly" in snapshot.get("real-time-communication/molly-android").aliases


@pytest.mark.parametrize("page", ["vpn", "email"])
def test_snapshot_criteria_split_minimum_and_best_in_topic_groups(snapshot: KnowledgeBase, page: str) -> None:
    criteria = [snapshot.criterion(c) for c in snapshot.category(page).criteria]
    levels = {c.level for c in criteria}
    assert levels == {"minimum", "best"}
    privacy = [c for c in criteria if c.group.get("en") == "Privacy"]
    assert {c.level for c in privacy} == {"minimum", "best"}
    for lang in ("ru", "zh-TW", "zh-Hant", "he", "fr"):
        assert all(c.text.by_lang.get(lang) for c in criteria), (page, lang)
        assert all(c.group.by_lang.get(lang) for c in criteria), (page, lang)
    russian = [c.group.get("ru") for c in criteria if c.group.get("en") == "Privacy"]
    assert set(russian) == {"Конфиденциальность"}


def test_snapshot_vpn_first_best_case_criterion(snapshot: KnowledgeBase) -> None:
    criteria = [snapshot.criterion(c) for c in snapshot.category("vpn").criteria]
    first_best = next(c for c in criteria if c.level == "best")
    assert first_best.group.get("en") == "Technology"
    assert first_best.text.get("en").startswith("Kill switch on all major platforms")


def test_snapshot_nested_list_items_stay_with_their_parent(snapshot: KnowledgeBase) -> None:
    criteria = [snapshot.criterion(c) for c in snapshot.category("dns").criteria]
    texts = [c.text.get("en") for c in criteria]
    [parent] = [t for t in texts if t.startswith("Must not log any personal data to disk.")]
    assert "As noted in the footnotes" in parent
    assert not any(t.startswith("As noted") for t in texts)


def test_snapshot_french_best_case_headings(snapshot: KnowledgeBase) -> None:
    page = SNAPSHOT / "fr" / "passwords.md"
    kb = import_markdown(page.read_text(encoding="utf-8"), file=str(page), lang="fr")
    assert {c.level for c in kb.criteria} == {"minimum", "best"}  # "Critères optimaux"


def test_snapshot_warnings_are_caveats_not_demotions(snapshot: KnowledgeBase) -> None:
    for entry_id in ("email/proton-mail", "email/mailbox-mail"):
        entry = snapshot.get(entry_id)
        assert entry.tier == "recommended"
        assert entry.facts.forward_secrecy is None  # a VPN or e-mail card has no messenger facts
        assert not entry.has_messenger_facts
    assert snapshot.warnings_for(snapshot.get("vpn/proton-vpn"))  # "VPNs do not provide anonymity"
    assert not any(e.tier == "additional" for e in snapshot.entries)  # the site has no such section now


def test_snapshot_translated_texts_are_aligned(snapshot: KnowledgeBase) -> None:
    vpn = snapshot.get("vpn/proton-vpn")
    assert set(vpn.summary.by_lang) == set(LANGS)
    assert vpn.summary.get("fr") != vpn.summary.get("en")
    assert all("Proton VPN" in vpn.summary.get(lang) for lang in ("fr", "ru", "zh-TW"))
    assert not snapshot.get("real-time-communication/signal").summary.get("he").startswith("**")
    bitwarden = snapshot.get("passwords/bitwarden").summary  # one sentence in every script
    assert bitwarden.get("zh-TW").endswith("。") and bitwarden.get("zh-TW").count("。") == 1
    assert all(bitwarden.get(lang).count(". ") == 0 for lang in ("ru", "he", "en"))
    sources = snapshot.category("vpn").sources
    assert {(s.lang, s.date) for s in sources} >= {("en", "2026-03-11"), ("ru", "2026-08-22")}


def test_snapshot_beside_the_bundled_pack(snapshot: KnowledgeBase) -> None:
    bundled = load_sources(["bundled"])
    assert all(e.category == "real-time-communication" and e.has_messenger_facts for e in bundled.entries)
    [curated_page] = bundled.categories
    assert curated_page.path == "real-time-communication" and "forward_secrecy" in curated_page.criteria
    both = load_sources(["bundled", str(SNAPSHOT)])
    assert both.get("real-time-communication/signal") is None  # one entry: the curated id wins
    signal, curated = both.get("signal"), bundled.get("signal")
    assert "real-time-communication/signal" in signal.aliases
    assert signal.facts == curated.facts and signal.summary.get("en") == curated.summary.get("en")
    assert set(signal.summary.by_lang) == set(LANGS)  # the card fills the languages it lacks
    assert "Molly (Android)" in both.get("molly").aliases
    # the curated Element (an older page state) and the site's Element cards know each other
    assert "social-networks/element" in both.get("element").also_on
    assert "element" in both.get("social-networks/element").also_on
    assert len(both.entries) == len(snapshot.entries) + len(bundled.entries) - 4
    page = both.category("real-time-communication")
    assert page.criteria == curated_page.criteria  # curated criteria stand for the page
    assert page.title.get("ru") == snapshot.category("real-time-communication").title.get("ru")


# --- GitHub tarballs of the site's repositories ---------------------------------------------------


def test_archives_load_like_the_snapshot(tmp_path: Path, snapshot: KnowledgeBase) -> None:
    english, translated = snapshot_tarballs(tmp_path)
    kb = load_sources([str(english), str(translated)])
    assert [e.id for e in kb.entries] == [e.id for e in snapshot.entries]
    assert kb.get("vpn/proton-vpn").summary == snapshot.get("vpn/proton-vpn").summary
    assert [(c.id, c.level, c.text) for c in kb.criteria] == [(c.id, c.level, c.text) for c in snapshot.criteria]
    dates = {(s.lang, s.date) for s in kb.category("vpn").sources}
    assert ("en", "2026-03-11") in dates and ("fr", "2026-08-22") in dates  # from the members' times
    only_english = load_sources([str(english)])
    assert set(only_english.get("vpn/proton-vpn").summary.by_lang) == {"en"}


@pytest.mark.parametrize("bad", ["../evil.md", "/abs/evil.md"])
def test_archives_refuse_unsafe_paths(tmp_path: Path, bad: str) -> None:
    import io
    import tarfile

    path = tmp_path / "bad.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo(bad)
        info.size = 1
        archive.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(KnowledgeError, match="unsafe member path"):
        load_sources([str(path)])


def test_archives_report_broken_and_empty_ones(tmp_path: Path) -> None:
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a tarball")
    with pytest.raises(KnowledgeError, match="cannot read the archive"):
        load_sources([str(broken)])
    empty = tarball(tmp_path / "empty.tar.gz", "root", {"README.md": b"# nothing\n"})
    with pytest.raises(KnowledgeError, match="no site pages"):
        load_sources([str(empty)])
    big = tarball(tmp_path / "big.tar.gz", "root", {"docs/vpn.md": b"x" * (2 * 1024 * 1024 + 1)})
    with pytest.raises(KnowledgeError, match="larger than"):
        load_sources([str(big)])


def test_a_single_translated_page_keeps_its_language() -> None:
    kb = load_sources([str(SNAPSHOT / "ru" / "vpn.md")])
    assert kb.sources[0].lang == "ru" and set(kb.entries[0].summary.by_lang) == {"ru"}
    assert {c.level for c in kb.criteria} == {"minimum", "best"}  # Russian headings and markers
    assert all(c.group.get("ru") for c in kb.criteria)


def test_snapshot_card_sub_sections_give_audits_and_caveats(snapshot: KnowledgeBase) -> None:
    proton = snapshot.get("vpn/proton-vpn")  # "#### Independently Audited" under "### Proton VPN"
    assert {a.year for a in proton.facts.audits} >= {2022, 2024}
    assert all(a.url.startswith("https://") for a in proton.facts.audits)
    [telemetry] = proton.caveats  # the warning box under "#### Mobile Clients"
    assert "telemetry" in telemetry.get("en").lower() and telemetry.get("fr") != telemetry.get("en")
    assert "Independently Audited" not in proton.description.get("en")  # the description stays the card's


# --- categories in replies: finding one by name, picking among twins ----------------------------


def test_find_category_by_path_or_title_in_any_language(snapshot: KnowledgeBase) -> None:
    from knowledge.categories import find_category

    for asked in ("vpn", "VPN Services", "vpn services", "email", "Email Diensten", "e-maildiensten", "Электронная почта",
                  "android/distributions", "distributions", "Desktop Browsers"):
        assert find_category(snapshot, asked) is not None, asked
    assert find_category(snapshot, "Email Diensten").path == "email"
    assert find_category(snapshot, "Электронная почта").path == "email"
    for asked in ("brave", "", "   ", "browsers"):  # a product, nothing, or a word of two pages' titles
        assert find_category(snapshot, asked) is None, asked


def test_pick_twin_by_the_questions_context(snapshot: KnowledgeBase) -> None:
    from knowledge.categories import pick_twin

    desktop, mobile = snapshot.get("desktop-browsers/brave"), snapshot.get("mobile-browsers/brave")
    assert pick_twin(snapshot, desktop, "is brave good on my iphone?") == (mobile, True)
    assert pick_twin(snapshot, mobile, "brave for my laptop") == (desktop, True)
    assert pick_twin(snapshot, mobile, "brave mobile browser") == (mobile, True)
    assert pick_twin(snapshot, mobile, "what about brave") == (desktop, False)  # nothing points: the first
    tuta = snapshot.get("email/tuta")
    assert pick_twin(snapshot, tuta, "tuta calendar sync") == (snapshot.get("calendar/tuta"), True)
    assert pick_twin(snapshot, tuta, "agendasynchronisatie met tuta")[0].id == "calendar/tuta"  # the Dutch title
    vpn = snapshot.get("vpn/proton-vpn")
    assert pick_twin(snapshot, vpn, "proton vpn on android") == (vpn, False)  # no twins: itself
