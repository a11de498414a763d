"""The bot's own replies: refresh results, history, status, pointers, durations."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot import replies
from bot.refresh import KnowledgeDiff, RefreshOutcome
from bot.settings import RoomSettings, Setting
from bot.storage import FeedbackRow, RefreshRecord
from knowledge.loading import load_sources
from knowledge.model import KnowledgeBase


def test_pointer_links_to_the_earlier_event() -> None:
    reply = replies.pointer("!abc:example.org", "$ev-1_x", "en")
    link = "https://matrix.to/#/!abc:example.org/$ev-1_x?via=example.org"
    assert reply.text == f"Answered just above: the earlier answer ({link})."
    assert f'<a href="{link}">het eerdere antwoord</a>' in replies.pointer("!abc:example.org", "$ev-1_x", "nl").html


def test_refresh_reply_lists_changes_by_name() -> None:
    diff = KnowledgeDiff(added=("Zapp",), changed=("Signal", "Briar"), criteria_removed=("audit",))
    text = replies.refresh_result(RefreshOutcome(True, "aaa", "bbb", 7, 8, diff), "en").text
    assert text.splitlines() == [
        "Knowledge refreshed: version aaa → bbb (7 entries, 8 criteria).",
        "• Added: Zapp",
        "• Changed: Signal, Briar",
        "• Criteria removed: audit",
    ]
    same = replies.refresh_result(RefreshOutcome(True, "bbb", "bbb", 7, 8), "nl").text
    assert same.startswith("Kennis opnieuw ingelezen, niets veranderd")


def test_failed_refresh_reply_is_bounded() -> None:
    problems = tuple(f"entries/e{n}.yaml:{n}: bad" for n in range(20))
    outcome = RefreshOutcome(False, "aaa", "aaa", 6, 9, problems=problems, total_problems=25)
    lines = replies.refresh_result(outcome, "en").text.splitlines()
    assert lines[0] == "Refresh failed; the knowledge stays at version aaa. Problems:"
    assert lines[1] == "• entries/e0.yaml:0: bad"
    assert len(lines) == 1 + replies.SHOW_PROBLEMS + 1 and lines[-1] == "• … and 15 more"


def test_history_lines() -> None:
    ok = RefreshOutcome(True, "aaa", "bbb", 7, 9, KnowledgeDiff(added=("Zapp",)))
    failed = RefreshOutcome(False, "bbb", "bbb", 7, 9, problems=("x.yaml:3: bad",), total_problems=1)
    records = [
        RefreshRecord(86_400_000, "SIGHUP", None, False, "bbb", "bbb", failed.details()),
        RefreshRecord(0, "@mod:x", "!r:x", True, "aaa", "bbb", ok.details()),
    ]
    assert replies.history(records, "en").text.splitlines() == [
        "Last refreshes:",
        "• 1970-01-02 00:00 UTC — SIGHUP: failed (1 problem(s)): x.yaml:3: bad",
        "• 1970-01-01 00:00 UTC — @mod:x: ok, aaa → bbb; Added: Zapp",
    ]
    assert replies.history([], "nl").text == "Nog geen verversingen vastgelegd."


def test_status_shows_knowledge_and_figures_but_no_secrets(kb: KnowledgeBase) -> None:
    info = replies.StatusInfo(
        kb=kb,
        locations=("https://user:secret@example.org/page.md?token=t", "/srv/pack"),
        last_refresh=None,
        uptime_s=3725,
        rooms=4,
        answered=12,
        room=RoomSettings(None, True),
        language="nl",
    )
    text = replies.status(info, "en").text
    assert kb.version in text and f"{len(kb.entries)} entries" in text
    assert "Loaded from: https://example.org/page.md, /srv/pack." in text
    assert "secret" not in text and "token" not in text
    assert "Running for 1h 2m in 4 room(s); 12 question(s) answered since the start." in text
    assert "This room: language nl, auto-answer on, collecting unanswered questions off." in text
    assert "Scheduled refresh: off; changes are reported to 0 room(s)." in text
    scheduled = replies.status(replace(info, refresh_every_s=6 * 3600, report_rooms=2), "nl").text
    assert "Geplande verversing: 6u 0m; veranderingen worden gemeld in 2 kamer(s)." in scheduled


def test_status_lists_a_site_s_sources_bounded() -> None:
    site = load_sources([str(Path(__file__).resolve().parent / "pages" / "site")])
    many = replace(site, sources=site.sources * 20)  # a whole site has hundreds of page files
    info = replies.StatusInfo(many, (), None, 1, 1, 0, RoomSettings(None, False), "en")
    lines = replies.status(info, "en").text.splitlines()
    assert sum(line.startswith("• ") for line in lines) == replies.STATUS_MAX_SOURCES + 1
    assert f"• … +{len(many.sources) - replies.STATUS_MAX_SOURCES}" in lines


def test_durations() -> None:
    assert replies.duration(0, "en") == "0s"
    assert replies.duration(59, "en") == "59s"
    assert replies.duration(3 * 86400 + 7200 + 5, "nl") == "3d 2u"
    assert replies.duration(90061, "en") == "1d 1h"


def test_a_new_language_is_confirmed_in_that_language() -> None:
    assert replies.setting_changed(Setting("language", "en"), "nl").text == "This room's language is now English."
    assert replies.setting_changed(Setting("autoanswer", False), "nl").text.startswith("Automatisch antwoorden staat uit")


def test_about_says_what_is_kept_and_links_the_source(kb: KnowledgeBase) -> None:
    reply = replies.about(kb, "https://git.example.org/recbot", feedback_days=90, lang="en")
    assert "90 days" in reply.text and "last 50 questions" in reply.text and "14 days" in reply.text
    assert '<a href="https://git.example.org/recbot">' in reply.html and kb.version in reply.text
    assert "niet ingesteld" in replies.about(kb, "", feedback_days=90, lang="nl").text
    site = replace(kb, sources=tuple(replace(kb.sources[0], page=f"Page {n}") for n in range(400)))
    text = replies.about(site, "", feedback_days=90, lang="en").text  # a whole site: capped like !status
    assert "Page 9 (" in text and "Page 10 (" not in text and "… and 390 more" in text


def test_feedback_counts_per_intent_and_entry_and_links_the_lowest() -> None:
    rows = [
        FeedbackRow("!r:x", "$a1", "card", ("signal",), 0, 2),
        FeedbackRow("!r:x", "$a2", "compare", ("signal", "briar"), 3, 1),
    ]
    text = replies.feedback(rows, all_rooms=False, days=90, lang="en").text
    assert "card: 👍 0 · 👎 2" in text and "signal: 👍 3 · 👎 3" in text and "briar: 👍 3 · 👎 1" in text
    assert "Lowest rated:" in text and "$a1" in text and "$a2" not in text
    assert replies.feedback([], all_rooms=True, days=90, lang="nl").text.endswith("Nog geen stemmen op antwoorden.")


def test_unanswered_lists_texts_clipped_and_says_when_collecting_is_off() -> None:
    rows = [("!r:x", 0, "x" * 300)]
    text = replies.unanswered(rows, collecting=True, all_rooms=False, prefix="!", lang="en").text
    assert "x" * 199 + "…" in text and "!r:x" not in text
    off = replies.unanswered([], collecting=False, all_rooms=False, prefix="?", lang="en").text
    assert "?set collect on" in off
