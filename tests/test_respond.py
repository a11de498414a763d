"""The shape of every reply and edit: m.notice, reply/thread relation, m.replace, no pings,
bounded size."""

from __future__ import annotations

import html
import json

from bot.respond import ELLIPSIS, MAX_BYTES, build_edit, build_reply, escape_within, truncate


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def test_reply_content_shape() -> None:
    content = build_reply("Signal is fine", "<p><b>Signal</b> is fine</p>", in_reply_to="$question")
    assert content == {
        "msgtype": "m.notice",
        "body": "Signal is fine",
        "format": "org.matrix.custom.html",
        "formatted_body": "<p><b>Signal</b> is fine</p>",
        "m.relates_to": {"m.in_reply_to": {"event_id": "$question"}},
        "m.mentions": {},
    }


def test_reply_in_a_thread_stays_in_the_thread() -> None:
    content = build_reply("a", "a", in_reply_to="$question", thread_root="$root")
    assert content["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": "$question"},
    }


def test_short_text_is_untouched() -> None:
    assert truncate("hello world", 100) == "hello world"


def test_long_text_is_cut_on_a_word_with_an_ellipsis() -> None:
    text = "word " * 10_000
    cut = truncate(text, 1000)
    assert size(cut) <= 1000
    assert cut.endswith("word" + ELLIPSIS)


def test_cut_never_splits_a_character() -> None:
    text = "é" * 5000  # two bytes each, no spaces
    cut = truncate(text, 1001)
    assert size(cut) <= 1001
    assert cut.rstrip(ELLIPSIS) == "é" * len(cut.rstrip(ELLIPSIS))


def test_bodies_are_bounded_and_long_html_falls_back_to_escaped_text() -> None:
    text = "<b>&" + "x" * (2 * MAX_BYTES)
    long_html = "<p>" + "<b>y</b>" * MAX_BYTES + "</p>"
    content = build_reply(text, long_html, in_reply_to="$q")
    assert size(content["body"]) <= MAX_BYTES
    assert size(content["formatted_body"]) <= MAX_BYTES
    assert content["formatted_body"].startswith("&lt;b&gt;&amp;xxx")
    assert "<b>" not in content["formatted_body"]


def test_html_within_the_bound_is_kept() -> None:
    safe = "<p>" + "a" * 100 + "</p>"
    assert build_reply("a", safe, in_reply_to="$q", max_bytes=200)["formatted_body"] == safe


def test_escape_within_respects_the_budget_and_never_cuts_an_entity() -> None:
    text = "&<>\"'\n" * 100
    escaped = escape_within(text, 101)
    assert size(escaped) <= 101
    assert escaped.endswith(ELLIPSIS)
    body = escaped.removesuffix(ELLIPSIS)
    assert html.unescape(body.replace("<br>", "\n")) == text[: len(html.unescape(body.replace("<br>", "\n")))]
    assert escape_within("a\nb & c", 100) == "a<br>b &amp; c"


def test_an_edit_replaces_the_answer_and_is_no_bigger_than_a_reply() -> None:
    edit = build_edit("$answer", "x" * 100_000, "<b>" + "y" * 100_000 + "</b>")
    assert edit["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$answer"}
    assert "m.relates_to" not in edit["m.new_content"] and edit["m.new_content"]["m.mentions"] == {}
    assert edit["body"].startswith("* ") and edit["msgtype"] == edit["m.new_content"]["msgtype"] == "m.notice"
    reply = build_reply("x" * 100_000, "y" * 100_000, in_reply_to="$q")
    assert len(json.dumps(edit).encode()) <= len(json.dumps(reply).encode()) + 200
