"""The curated entries for apps Privacy Guides does not recommend: complete, bilingual, sourced.

Until the understanding handles `not_listed` entries, their files wait in
`entries/not_listed/` as `*.yaml.pending` (the loader reads only `.yaml`); this test loads them
either way, so they are checked now and after they are switched on by renaming.
"""

import shutil
from pathlib import Path

import pytest

from knowledge.index import EntityIndex
from knowledge.loading import BUNDLED_DIR, load_sources
from knowledge.model import KnowledgeError
from knowledge.text import normalize, tokens
from knowledge.yaml_loader import _fact_paths

NOT_LISTED = {
    "whatsapp", "telegram", "threema", "wire", "viber", "imessage", "facebook-messenger",
    "discord", "wickr", "tox", "jami", "delta-chat", "xmpp",
}
NOT_LISTED_DIR = Path("entries") / "not_listed"


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """The bundled pack with every not_listed entry switched on, loaded like the bundled one."""
    target = tmp_path_factory.mktemp("pack") / "data"
    shutil.copytree(BUNDLED_DIR, target)
    for pending in (target / NOT_LISTED_DIR).glob("*.yaml.pending"):
        pending.rename(pending.with_suffix(""))
    return load_sources([str(target)])


def not_listed(kb):
    return [e for e in kb.entries if e.current_status == "not_listed"]


def test_every_not_listed_entry_is_there(pack):
    assert {e.id for e in not_listed(pack)} == NOT_LISTED
    files = {p.name.split(".")[0] for p in (BUNDLED_DIR / NOT_LISTED_DIR).iterdir()}
    assert files == NOT_LISTED  # one file each


def test_listed_entries_are_unchanged(pack):
    listed = [e.id for e in pack.entries if e.current_status != "not_listed"]
    assert listed == ["signal", "molly", "simplex", "briar", "element", "session"]
    assert all(e.tier == "not_listed" for e in not_listed(pack))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_texts_in_both_languages_and_short_enough_for_a_card(pack, lang):
    for entry in not_listed(pack):
        assert entry.summary.by_lang.get(lang), (entry.id, lang)
        assert len(entry.summary.by_lang[lang]) <= 240, (entry.id, lang)  # the card clips at 240
        assert entry.description.by_lang.get(lang), (entry.id, lang)
        assert entry.caveats, entry.id
        for caveat in entry.caveats:
            assert caveat.by_lang.get(lang), (entry.id, lang)
            assert len(caveat.by_lang[lang]) <= 160, (entry.id, caveat.by_lang[lang])  # clipped at 160


def test_says_plainly_that_privacy_guides_does_not_recommend_it(pack):
    for entry in not_listed(pack):
        assert "Privacy Guides does not recommend" in entry.description.get("en"), entry.id
        assert "Privacy Guides raadt" in entry.description.get("nl"), entry.id


def test_documentation_homepage_and_source(pack):
    for entry in not_listed(pack):
        assert entry.link("documentation").startswith("https://"), entry.id
        assert entry.link("homepage").startswith("https://"), entry.id
        assert entry.source.url.startswith("https://") and entry.source.date, entry.id
        assert entry.source.file.endswith(f"{entry.id}.yaml"), entry.id


def test_every_fact_has_dated_evidence(pack):
    for entry in not_listed(pack):
        assert entry.evidence, entry.id
        for item in entry.evidence:
            assert item.url.startswith("https://") and item.date, (entry.id, item)
        facts = entry.facts
        stated = [
            ("e2ee.default", facts.e2ee.default), ("forward_secrecy", facts.forward_secrecy),
            ("network", facts.network), ("identifiers.signup", facts.identifiers.signup),
            ("platforms", facts.platforms or None), ("open_source.client", facts.open_source.client),
            ("audits", facts.audits or None),
        ]
        for path, value in stated:
            if value is not None:
                assert entry.evidence_for(path) is not None, (entry.id, path)


def test_criteria_are_decided_only_by_facts(pack):
    ids = {c.id for c in pack.criteria}
    for entry in not_listed(pack):
        assert set(entry.meets) <= ids and set(entry.misses) <= ids, entry.id
        fs = entry.facts.forward_secrecy
        if "forward_secrecy_required" in entry.misses:
            assert fs in ("no", "partial"), entry.id
        if "e2ee_default" in entry.misses:
            assert entry.facts.e2ee.default is False, entry.id
        if "open_source_clients" in entry.misses:
            assert entry.facts.open_source.client is False, entry.id
        if "independent_audit" in entry.meets:
            assert entry.facts.audits, entry.id


def test_a_fact_without_evidence_is_refused(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(BUNDLED_DIR, target)
    [tox] = (target / NOT_LISTED_DIR).glob("tox.yaml*")
    text = tox.read_text(encoding="utf-8").replace("facts:\n", "facts:\n  group_limit: 7\n", 1)
    tox.unlink()
    (target / NOT_LISTED_DIR / "tox.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_sources([str(target)])
    assert "group_limit" in str(info.value) and "tox.yaml" in str(info.value)


def test_fact_paths_cover_nested_and_empty_facts():
    paths = _fact_paths({"e2ee": {"default": True, "calls": None}, "platforms": [], "network": None})
    assert paths == {"e2ee.default", "platforms"}


OLD_AND_OTHER_NAMES = {
    "riot": "element", "riot.im": "element", "element-web": "element", "element x": "element",
    "matrix": "element", "textsecure": "signal", "simplex": "simplex", "session-android": "session",
    "deltachat": "delta-chat", "fb messenger": "facebook-messenger", "aws wickr": "wickr",
    "wickr me": "wickr", "gajim": "xmpp", "monal": "xmpp", "dino": "xmpp", "jabber": "xmpp",
    "qtox": "tox", "gnu jami": "jami", "molly-foss": "molly",
}


def exact_mentions(index, text):
    return [m.entry_id for m in index.find(tokens(normalize(text))) if m.exact]


def test_old_and_other_names_resolve(pack):
    index = EntityIndex(pack.entries)
    for name, entry_id in OLD_AND_OTHER_NAMES.items():
        assert exact_mentions(index, f"is {name} any good") == [entry_id], name


@pytest.mark.parametrize("question", [
    "which messenger is best", "are my conversations encrypted", "a simple app for my mom",
    "ring me later", "whats the best app", "toxic people in groups", "can i read messages offline",
    "what meta data is kept", "the app for my phone",
])
def test_everyday_words_name_no_entry(pack, question):
    # An alias whose only distinctive word is an everyday word would name an entry in any question.
    assert exact_mentions(EntityIndex(pack.entries), question) == []
