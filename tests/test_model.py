from dataclasses import replace

from knowledge.model import KnowledgeBase, Problem, Source, Text


def test_text_falls_back_to_any_language():
    assert Text({"nl": "hallo", "en": "hello"}).get("en") == "hello"
    assert Text({"nl": "hallo"}).get("en") == "hallo"
    assert Text({"fr": "bonjour"}).get("nl") == "bonjour"
    assert Text().get("nl") == ""
    assert Text({"en": "calls", "zh-Hant": "通話"}).get("zh-TW") == "通話"  # a related language first
    assert Text({"en": "calls", "ru": "звонки"}).get("he") == "calls"
    assert not Text({"nl": ""})


def test_version_depends_on_content_not_location(kb):
    moved = KnowledgeBase(
        tuple(replace(e, source=replace(e.source, file="elsewhere.yaml", line=99)) for e in kb.entries),
        kb.criteria,
        kb.warnings,
        kb.sources,
        kb.categories,
    )
    assert moved.version == kb.version
    changed = KnowledgeBase((replace(kb.entries[0], name="Signal 2"), *kb.entries[1:]), kb.criteria, kb.warnings)
    assert changed.version != kb.version


def test_lookup_helpers(kb):
    signal = kb.get("signal")
    assert signal is not None and signal.name == "Signal"
    assert signal.link("homepage") == "https://signal.org/"
    assert kb.get("nope") is None
    assert [w.id for w in kb.warnings_for(kb.get("session"))] == ["no_forward_secrecy"]
    assert kb.warnings_for(signal) == []
    assert kb.criterion("forward_secrecy_required").since == "2025-05"


def test_problem_names_file_and_line():
    assert str(Problem("a.yaml", 3, "bad")) == "a.yaml:3: bad"
    assert str(Problem("a.yaml", 0, "bad")) == "a.yaml: bad"


def test_source_is_kept_on_every_entry(kb):
    for entry in kb.entries:
        assert isinstance(entry.source, Source)
        if entry.current_status != "not_listed":  # those cite the vendor's own pages (and evidence per fact)
            assert entry.source.url.startswith("https://www.privacyguides.org/")
        assert entry.source.date and entry.source.lang in ("nl", "en")
