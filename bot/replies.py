"""The bot's own replies (moderator commands, flood control, feedback, unanswered
questions, about), in Dutch and English.

Built with the knowledge renderer's document model, so plain text and HTML say the same
thing and every piece of text is escaped.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge import phrases
from knowledge.diff import NAMED_CHANGES, CategoryChange
from knowledge.model import KnowledgeBase
from knowledge.render import WORDS, Doc, Line, Link, Reply

from .refresh import RefreshOutcome, redact_urls
from .settings import RoomSettings, Setting
from .storage import UNANSWERED_PER_ROOM, UNANSWERED_RETENTION_MS, FeedbackRow, RefreshRecord

#: Problems listed in a failed refresh's reply; the rest are counted.
SHOW_PROBLEMS = 10

#: The bot's own phrases, ``SAY[lang][key]``, from the phrase catalogue.
SAY: dict[str, dict[str, str]] = phrases.section("bot")


def _say(lang: str, key: str, **kwargs: object) -> str:
    text = SAY.get(lang, SAY["en"])[key]
    return text.format(**kwargs) if kwargs else text


def _reply(doc: Doc) -> Reply:
    return Reply(doc.plain(), doc.html())


def _one(text: str, *more: str | Link) -> Reply:
    return _reply(Doc().para(text, *more))


# -- flood control -------------------------------------------------------------------------


def slow_down(lang: str) -> Reply:
    return _one(_say(lang, "slow_down"))


def refresh_running(lang: str) -> Reply:
    """The reply to ``!refresh`` while one is running."""
    return _one(_say(lang, "refresh_running"))


def admin_only(lang: str) -> Reply:
    """The refusal of a global command to a room moderator."""
    return _one(_say(lang, "admin_only"))


def went_wrong(lang: str) -> Reply:
    """The notice for a question whose handling failed twice."""
    return _one(_say(lang, "went_wrong"))


def pointer(room_id: str, event_id: str, lang: str) -> Reply:
    """A short reply pointing at the earlier answer to the same question."""
    return _one(_say(lang, "pointer"), Link(_say(lang, "earlier_answer"), event_link(room_id, event_id)), ".")


def event_link(room_id: str, event_id: str) -> str:
    """A matrix.to link to an event."""
    quote = urllib.parse.quote
    server = room_id.partition(":")[2]
    via = f"?via={quote(server, safe='')}" if server else ""
    return f"https://matrix.to/#/{quote(room_id, safe='!:')}/{quote(event_id, safe='$')}{via}"


# -- refresh and history ---------------------------------------------------------------------


def refresh_result(outcome: RefreshOutcome, lang: str) -> Reply:
    """What a refresh changed, or why it failed (problems with file and line, bounded)."""
    return _outcome(outcome, lang, "refresh_ok" if outcome.diff else "refresh_same", "refresh_failed")


def refresh_report(outcome: RefreshOutcome, requested_by: str, lang: str, *, recovered: bool = False) -> Reply:
    """The notice for the report rooms: what a refresh by ``requested_by`` changed, that it
    failed, or (``recovered``) that it works again after failing."""
    ok_key = "report_ok" if outcome.diff or not recovered else "report_recovered"
    return _outcome(outcome, lang, ok_key, "report_failed", by=requested_by)


def _outcome(outcome: RefreshOutcome, lang: str, ok_key: str, failed_key: str, **extra: str) -> Reply:
    numbers = {
        "old": outcome.old_version,
        "new": outcome.new_version,
        "entries": outcome.entries,
        "criteria": outcome.criteria,
        **extra,
    }
    doc = Doc()
    if not outcome.ok:
        doc.para(_say(lang, failed_key, **numbers))
        lines: list[Line] = [[problem] for problem in outcome.problems[:SHOW_PROBLEMS]]
        if outcome.total_problems > SHOW_PROBLEMS:
            lines.append([_say(lang, "more", n=outcome.total_problems - SHOW_PROBLEMS)])
        return _reply(doc.bullets(lines))
    doc.para(_say(lang, ok_key, **numbers))
    return _reply(doc.bullets([[text] for text in _diff_lines(outcome, lang)]))


def _diff_lines(outcome: RefreshOutcome, lang: str) -> list[str]:
    """One line per kind of change, each bounded: its first items and "… and N more"."""
    diff = outcome.diff
    lines = []
    for part in (*NAMED_CHANGES, "categories"):
        items = [_category_change(c, lang) for c in diff.categories] if part == "categories" else getattr(diff, part)
        if not items:
            continue
        more = diff.omitted.get(part, 0)
        tail = f" {_say(lang, 'more', n=more)}" if more else ""
        lines.append(_say(lang, part) + ", ".join(items) + tail)
    return lines


def _category_change(change: CategoryChange, lang: str) -> str:
    """``vpn: criteria +2 ~1; warnings −1`` (added, removed, changed)."""
    parts = []
    for kind in ("criteria", "warnings"):
        counts = [
            f"{sign}{n}"
            for sign, n in zip("+−~", (getattr(change, f"{kind}_{c}") for c in ("added", "removed", "changed")))
            if n
        ]
        if counts:
            parts.append(f"{_say(lang, kind + '_word')} {' '.join(counts)}")
    return f"{change.category or '—'}: {'; '.join(parts)}"


def history(records: Sequence[RefreshRecord], lang: str) -> Reply:
    """The given refreshes, newest first, one line each."""
    if not records:
        return _one(_say(lang, "history_none"))
    lines: list[Line] = [[f"{when(r.ts)} — {r.requested_by}: {_summary(r, lang)}"] for r in records]
    return _reply(Doc().bullets(lines, _say(lang, "history_title")))


def _summary(record: RefreshRecord, lang: str) -> str:
    outcome = RefreshOutcome.from_record(record)
    if not outcome.ok:
        first = f": {outcome.problems[0]}" if outcome.problems else ""
        return f"{_say(lang, 'failed')} ({_say(lang, 'problems', n=outcome.total_problems)}){first}"
    changes = "; ".join(_diff_lines(outcome, lang)) or _say(lang, "no_changes")
    return f"{_say(lang, 'ok')}, {outcome.old_version} → {outcome.new_version}; {changes}"


def when(ts_ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts_ms / 1000))


# -- status ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusInfo:
    """Everything ``!status`` shows (nothing secret)."""

    kb: KnowledgeBase
    locations: tuple[str, ...]  # the configured sources; empty: bundled
    last_refresh: RefreshRecord | None
    uptime_s: float
    rooms: int
    answered: int
    room: RoomSettings
    language: str  # the room's effective language
    cross_signed: bool | None = None  # the bot's device (None: not known)
    admin: bool = True  # the whole bot's state; a room moderator sees only the room's
    stale: tuple[str, ...] = ()  # sources the live base was read from a cached copy of
    refresh_every_s: float = 0  # the refresh schedule (0: off)
    report_rooms: int = 0  # rooms that get each refresh's changes


STATUS_MAX_SOURCES = 10  # source pages listed by !status; the rest are counted


def status(info: StatusInfo, lang: str) -> Reply:
    kb = info.kb
    doc = Doc().title(_say(lang, "status_title"))
    doc.para(_say(lang, "status_knowledge", version=kb.version, entries=len(kb.entries), criteria=len(kb.criteria)))
    if info.stale:
        doc.para(_say(lang, "status_stale"))
        if info.admin:
            doc.bullets([[redact_urls(line)] for line in info.stale])
    autoanswer = _say(lang, "on" if info.room.autoanswer else "off")
    collect = _say(lang, "on" if info.room.collect else "off")
    room_line = _say(lang, "status_room", language=info.language, autoanswer=autoanswer, collect=collect)
    if not info.admin:
        doc.para(room_line)
        return _reply(doc)
    sources: list[Line] = [[f"{s.page} ({s.lang}, {s.date or '?'})"] for s in kb.sources[:STATUS_MAX_SOURCES]]
    if len(kb.sources) > STATUS_MAX_SOURCES:  # a whole site has hundreds of page files
        sources.append([f"… +{len(kb.sources) - STATUS_MAX_SOURCES}"])
    doc.bullets(sources, _say(lang, "status_sources"))
    locations = ", ".join(redact_urls(location) for location in info.locations) or "bundled"
    doc.para(_say(lang, "status_from", locations=locations))
    doc.para(_last_refresh(info.last_refresh, lang))
    every = duration(info.refresh_every_s, lang) if info.refresh_every_s else _say(lang, "off")
    doc.para(_say(lang, "status_schedule", every=every, rooms=info.report_rooms))
    uptime = duration(info.uptime_s, lang)
    doc.para(_say(lang, "status_running", uptime=uptime, rooms=info.rooms, answered=info.answered))
    doc.para(room_line)
    if info.cross_signed is not None:
        doc.para(_say(lang, "status_cross_signed" if info.cross_signed else "status_not_cross_signed"))
    return _reply(doc)


def _last_refresh(record: RefreshRecord | None, lang: str) -> str:
    if record is None:
        return _say(lang, "status_never")
    result = _say(lang, "ok" if record.ok else "failed")
    return _say(lang, "status_last", when=when(record.ts), who=record.requested_by, result=result)


def duration(seconds: float, lang: str) -> str:
    """``seconds`` as the two largest units, e.g. "2d 3h" or "5m 12s" ("u" for hours in Dutch)."""
    day, hour, minute, second = _say(lang, "units").split()
    total = int(seconds)
    parts = [
        (total // 86400, day),
        (total % 86400 // 3600, hour),
        (total % 3600 // 60, minute),
        (total % 60, second),
    ]
    first = next((i for i, (value, _) in enumerate(parts) if value), len(parts) - 1)
    return " ".join(f"{value}{unit}" for value, unit in parts[first : first + 2])


# -- room settings -----------------------------------------------------------------------------


def set_usage(prefix: str, lang: str, langs: Sequence[str] = ("nl", "en")) -> Reply:
    """How to use !set; ``langs``: the languages the loaded knowledge can be answered in."""
    return _one(_say(lang, "set_usage", prefix=prefix, codes="|".join(langs)))


def setting_changed(setting: Setting, lang: str, prefix: str = "!") -> Reply:
    """Confirms a changed setting (a new language is confirmed in that language)."""
    if setting.key == "language":
        new = str(setting.value)
        return _one(_say(new, "set_language", language=WORDS[f"lang_{new}"].get(new, new)))
    if setting.key == "collect":
        if not setting.value:
            return _one(_say(lang, "set_collect_off"))
        days = UNANSWERED_RETENTION_MS // DAY_MS
        return _one(_say(lang, "set_collect_on", n=UNANSWERED_PER_ROOM, days=days, prefix=prefix))
    return _one(_say(lang, "set_autoanswer_on" if setting.value else "set_autoanswer_off"))


# -- feedback, unanswered questions, about ------------------------------------------------------

#: Rows shown per part of ``!feedback``.
FEEDBACK_ROWS = 10
DAY_MS = 24 * 3600 * 1000


def feedback(rows: Sequence[FeedbackRow], *, all_rooms: bool, days: int, lang: str) -> Reply:
    """Votes per intent and per entry, and the lowest-rated answers (linked)."""
    doc = Doc().title(_say(lang, "feedback_title"))
    if not rows:
        return _reply(doc.para(_say(lang, "feedback_none")))
    doc.para(_say(lang, "feedback_scope_all" if all_rooms else "feedback_scope_room", days=days))
    intents: dict[str, list[int]] = {}
    entries: dict[str, list[int]] = {}
    for row in rows:
        for key, table in [(row.intent, intents), *((entry, entries) for entry in row.entries)]:
            counts = table.setdefault(key, [0, 0])
            counts[0] += row.up
            counts[1] += row.down
    for title, table in (("feedback_intents", intents), ("feedback_entries", entries)):
        ranked = sorted(table.items(), key=lambda item: (item[1][0] - item[1][1], item[0]))[:FEEDBACK_ROWS]
        lines: list[Line] = [[_say(lang, "feedback_row", name=name, up=up, down=down)] for name, (up, down) in ranked]
        doc.bullets(lines, _say(lang, title))
    lowest: list[Line] = []
    for row in [row for row in rows if row.down > row.up][:FEEDBACK_ROWS]:
        name = f"{row.intent} {', '.join(row.entries)}".strip()
        link = Link(_say(lang, "answer_link"), event_link(row.room_id, row.answer_id))
        lowest.append([_say(lang, "feedback_row", name=name, up=row.up, down=row.down), " (", link, ")"])
    if lowest:
        doc.bullets(lowest, _say(lang, "feedback_lowest"))
    return _reply(doc)


def unanswered(rows: Sequence[tuple[str, int, str]], *, collecting: bool, all_rooms: bool, prefix: str, lang: str) -> Reply:
    """The kept unanswered questions, newest first (with the room when for every room)."""
    if not rows:
        return _one(_say(lang, "unanswered_none" if collecting or all_rooms else "unanswered_off", prefix=prefix))
    lines: list[Line] = [
        [f"{when(ts)}{f' ({room})' if all_rooms else ''}: ", _clip(text)] for room, ts, text in rows
    ]
    return _reply(Doc().bullets(lines, _say(lang, "unanswered_title")))


def about(kb: KnowledgeBase, source_url: str, *, feedback_days: int, lang: str) -> Reply:
    """What the bot is, where its knowledge comes from, what it keeps and for how long."""
    doc = Doc().title(_say(lang, "about_title"))
    doc.para(_say(lang, "about_what"))
    listed = list(dict.fromkeys(f"{source.page} ({source.date or '?'})" for source in kb.sources))
    pages = ", ".join(listed[:STATUS_MAX_SOURCES]) or "-"
    if len(listed) > STATUS_MAX_SOURCES:  # a whole site: hundreds of page files
        pages += " " + _say(lang, "more", n=len(listed) - STATUS_MAX_SOURCES)
    doc.para(_say(lang, "about_knowledge", version=kb.version, pages=pages))
    days = UNANSWERED_RETENTION_MS // DAY_MS
    doc.para(_say(lang, "about_stores", days=feedback_days, n=UNANSWERED_PER_ROOM, unanswered_days=days))
    if source_url:
        doc.para(_say(lang, "about_source"), Link(source_url, source_url))
    else:
        doc.para(_say(lang, "about_no_source"))
    return _reply(doc)


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
