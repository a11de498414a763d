"""The curated YAML format: the bundled pack loads, and every mistake is located."""

from pathlib import Path
from textwrap import dedent

import pytest

from knowledge.loading import load_sources
from knowledge.model import KnowledgeError
from knowledge.yaml_loader import load_yaml

PAGE = """\
source: {page: Test page, url: "https://example.org/p", lang: en, date: "2024-01"}
criteria:
  - {id: audited, level: minimum, text: {en: Audited., nl: Geaudit.}}
"""
ENTRY = """\
id: alpha
name: Alpha
tier: recommended
summary: {en: An app., nl: Een app.}
facts:
  forward_secrecy: yes
  platforms: [android]
meets: [audited]
"""


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), encoding="utf-8")
    return tmp_path


def problems(path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_sources([str(path)])
    return [str(p) for p in info.value.problems]


# Criteria the facts cannot decide for an entry: in neither meets nor misses, on purpose.
UNDECIDED = {"molly": {"independent_audit"}}  # no audit of Molly's own code is known


def test_bundled_pack_is_complete(kb):
    listed = [e for e in kb.entries if e.current_status != "not_listed"]
    assert [e.id for e in listed] == ["signal", "molly", "simplex", "briar", "element", "session"]
    assert sum(c.level == "minimum" for c in kb.criteria) == 6  # 4 on the page + 2 added later
    assert sum(c.level == "best" for c in kb.criteria) == 5
    for entry in listed:
        for lang in ("nl", "en"):
            assert entry.summary.by_lang.get(lang), (entry.id, lang)
            assert entry.description.by_lang.get(lang), (entry.id, lang)
            assert all(c.by_lang.get(lang) for c in entry.caveats)
        assert entry.caveats, entry.id
        assert entry.link("documentation"), entry.id
        assert not set(entry.meets) & set(entry.misses), entry.id
        decided = set(entry.meets) | set(entry.misses) | UNDECIDED.get(entry.id, set())
        assert decided == {c.id for c in kb.criteria}, entry.id
    assert {e.id for e in kb.entries if e.tier == "additional"} == {"element", "session"}
    assert kb.get("session").current_status == "removed"
    assert kb.get("element").current_status == "moved"
    assert kb.get("molly").client_of == "signal"


def test_later_changes_are_recorded(kb):
    def dates(entry_id):
        return [u.date for u in kb.get(entry_id).updates]

    assert "2024-02" in dates("signal")
    assert {"2023-10", "2024-07"} <= set(dates("simplex"))
    assert "2024-10" in dates("element")
    assert "2025-05" in dates("session")
    assert {"windows", "macos", "linux"} <= set(kb.get("simplex").facts.platforms)
    assert kb.get("element").facts.calls.group_encrypted is True
    assert kb.get("signal").facts.identifiers.signup == ("phone",)
    # Since 2024-02 Signal has usernames: contacts get a username, never the number.
    assert kb.get("signal").facts.identifiers.shared == ("username",)
    assert "2025-12" in dates("session")  # Session Protocol V2 announced
    assert kb.get("session").facts.forward_secrecy == "no"  # announced, not shipped
    assert not kb.get("molly").facts.audits  # Signal's 2016 protocol analysis is not Molly's audit


def test_minimal_pack_loads_and_yes_means_yes(tmp_path):
    kb = load_yaml(write(tmp_path, {"page.yaml": PAGE, "entries/alpha.yaml": ENTRY}))
    alpha = kb.get("alpha")
    assert alpha.facts.forward_secrecy == "yes"  # YAML 1.1 reads bare yes as true
    assert alpha.source.page == "Test page" and alpha.source.file.endswith("alpha.yaml")
    assert alpha.facts.e2ee.default is None  # not stated: unknown, never "no"


@pytest.mark.parametrize(
    "change, expected",
    [
        (("facts:", "colour: blue\nfacts:"), "alpha.yaml:5: colour: unknown field"),
        (("summary: {en: An app., nl: Een app.}", "summary: {en: An app.}"), "alpha.yaml:4: summary: missing language 'nl'"),
        (("tier: recommended", "tier: great"), "alpha.yaml:3: tier: 'great' is not one of recommended, additional"),
        (("platforms: [android]", "platforms: [android, amiga]"), "alpha.yaml:7: facts.platforms: 'amiga' is not one of"),
        (("meets: [audited]", "meets: [audited, fast]"), "refers to unknown criterion 'fast'"),
        (("name: Alpha", "name: [Alpha"), "alpha.yaml:2: YAML syntax"),
        (("forward_secrecy: yes", "forward_secrecy: maybe"), "alpha.yaml:6: facts.forward_secrecy: 'maybe' is not one of"),
        (("id: alpha", "id: Alpha One"), "alpha.yaml:1: id: 'Alpha One' must be lowercase"),
        (("name: Alpha\n", ""), "alpha.yaml:1: name: required field is missing"),
    ],
)
def test_errors_name_file_and_line(tmp_path, change, expected):
    old, new = change
    write(tmp_path, {"page.yaml": PAGE, "entries/alpha.yaml": ENTRY.replace(old, new)})
    found = problems(tmp_path)
    assert any(expected in p for p in found), found


def test_duplicate_ids_and_aliases_across_files(tmp_path):
    beta = ENTRY.replace("id: alpha", "id: beta").replace("name: Alpha", "name: Beta\naliases: [Alpha]")
    write(tmp_path, {"page.yaml": PAGE, "a/alpha.yaml": ENTRY, "b/alpha.yaml": ENTRY, "c/beta.yaml": beta})
    found = problems(tmp_path)
    assert any("duplicate entry id 'alpha'" in p and "b/alpha.yaml:1" in p for p in found), found
    assert any("'Alpha' of 'beta' is already used by 'alpha'" in p for p in found), found


def test_every_problem_is_reported_and_nothing_half_loaded(tmp_path):
    write(
        tmp_path,
        {
            "page.yaml": PAGE,
            "entries/alpha.yaml": ENTRY.replace("tier: recommended", "tier: nope"),
            "entries/beta.yaml": ENTRY.replace("id: alpha", "id: beta").replace("name: Alpha", "name: Beta").replace("nl: Een app.", "de: Eine App."),
        },
    )
    found = problems(tmp_path)
    assert len(found) == 2, found


def test_missing_source_and_empty_inputs(tmp_path):
    write(tmp_path, {"alpha.yaml": ENTRY})
    assert any("no source" in p for p in problems(tmp_path / "alpha.yaml"))
    (tmp_path / "empty").mkdir()
    assert any("no .yaml files" in p for p in problems(tmp_path / "empty"))
    write(tmp_path, {"blank/x.yaml": ""})
    assert any("x.yaml:1: the file is empty" in p for p in problems(tmp_path / "blank"))
    assert any("no such file" in p for p in problems(tmp_path / "missing.yaml"))


NOT_LISTED = """\
id: zapp
name: Zapp
status: not_listed
source: {page: Zapp (not listed), url: "https://zapp.example/faq", lang: en, date: "2026-11"}
summary: {en: A messenger., nl: Een messenger.}
facts:
  forward_secrecy: "no"
  identifiers: {signup: [phone]}
evidence:
  - {facts: [forward_secrecy], url: "https://zapp.example/security", date: "2026-10"}
  - {facts: [identifiers], url: "https://zapp.example/signup", date: "2026-11-02", title: Sign-up}
"""


def test_not_listed_entry_keeps_a_source_per_fact(tmp_path):
    kb = load_sources([str(write(tmp_path, {"zapp.yaml": NOT_LISTED}))])
    entry = kb.get("zapp")
    assert entry.current_status == "not_listed" and entry.tier == "not_listed"
    assert entry.evidence_for("forward_secrecy").url == "https://zapp.example/security"
    assert entry.evidence_for("identifiers.signup").date == "2026-11-02"
    assert entry.evidence_for("network") is None


def test_not_listed_fact_without_evidence_is_located(tmp_path):
    text = NOT_LISTED.replace("  - {facts: [identifiers], url: \"https://zapp.example/signup\", date: \"2026-11-02\", title: Sign-up}\n", "")
    found = problems(write(tmp_path, {"zapp.yaml": text}))
    assert found == [f"{tmp_path / 'zapp.yaml'}:6: facts: facts of a not_listed entry need a source in `evidence`: identifiers.signup"]


def test_evidence_names_real_facts_and_tier_not_listed_needs_the_status(tmp_path):
    bad = NOT_LISTED.replace("facts: [forward_secrecy]", "facts: [forward_secracy]")
    assert "'forward_secracy' is not a fact" in problems(write(tmp_path / "a", {"zapp.yaml": bad}))[0]
    listed = ENTRY.replace("tier: recommended", "tier: not_listed")
    assert "tier not_listed needs status not_listed" in problems(write(tmp_path / "b", {"page.yaml": PAGE, "alpha.yaml": listed}))[-1]
