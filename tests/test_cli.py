"""The offline command line, run as a user would: `python -m bot ...` in a subprocess."""

import json
import subprocess
import sys

from tests.conftest import DEV_SET, ROOT, SEED_PAGE


def recbot(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def test_ask_answers_the_quick_start_question():
    result = recbot("ask", "Welke messenger heeft geen telefoonnummer nodig?")
    assert result.returncode == 0, result.stderr
    assert "SimpleX Chat" in result.stdout and "Briar" in result.stdout


def test_ask_json():
    result = recbot("ask", "--json", "!info signal")
    data = json.loads(result.stdout)
    assert set(data) == {"intent", "entries", "lang", "category", "confidence", "text", "html"}
    assert data["intent"] == "card" and data["entries"] == ["signal"] and data["category"] == ""
    assert "Signal" in data["text"] and "<b>" in data["html"]


def test_ask_json_stdin_protocol_keeps_order_and_empty_lines():
    questions = ["!info briar", "", "hallo", "signal vs session", "   "]
    result = recbot("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["intent"] for d in lines] == ["card", "none", "none", "compare", "none"]
    assert lines[0]["entries"] == ["briar"]


def test_ask_json_support_unknown_and_not_listed():
    questions = ["How do I back up Signal?", "Is Zom safe?", "Is Telegram private?"]
    result = recbot("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(d["intent"], d["entries"]) for d in lines] == [("support", ["signal"]), ("none", []), ("card", ["telegram"])]
    assert lines[1]["text"] and lines[1]["html"]  # the one line recbot sends when addressed


def test_ask_from_the_imported_source_page():
    result = recbot("ask", "--kb", str(SEED_PAGE), "!info briar")
    assert result.returncode == 0, result.stderr
    assert "Briar" in result.stdout
    assert "briarproject.org" in result.stdout


def test_ask_with_a_broken_source_fails_clearly(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: [oops\n")
    result = recbot("ask", "--kb", str(bad), "signal")
    assert result.returncode == 1
    assert f"{bad}:2" in result.stderr and "Traceback" not in result.stderr


def test_kb_check_bundled_and_seed():
    result = recbot("kb", "check")
    from knowledge.loading import load_sources

    assert result.returncode == 0 and f"{len(load_sources([]).entries)} entries" in result.stdout
    result = recbot("kb", "check", str(SEED_PAGE))
    assert result.returncode == 0, result.stderr
    assert "5 entries" in result.stdout


def test_kb_check_a_multilingual_site():
    result = recbot("kb", "check", str(ROOT.parent / "shared" / "seeds" / "privacyguides"))
    assert result.returncode == 0, result.stderr
    assert "47 categories, languages: en es fr he it nl ru zh-Hant zh-TW" in result.stdout
    assert "423 page files" in result.stdout and "159 entries" in result.stdout


def test_kb_check_reports_every_error_with_line(tmp_path):
    (tmp_path / "a.yaml").write_text("id: a\nname: A\ntier: recommended\nsummary: {en: x}\n")
    result = recbot("kb", "check", str(tmp_path / "a.yaml"), str(tmp_path / "missing.md"))
    assert result.returncode == 1
    assert "a.yaml:1" in result.stderr and "missing.md: no such file" in result.stderr


def test_eval_prints_per_intent_and_overall():
    result = recbot("eval", str(DEV_SET))
    assert result.returncode == 0, result.stderr
    assert "overall" in result.stdout and "filter" in result.stdout


def test_python_dash_m_and_console_script_agree():
    result = recbot("--help")
    assert result.returncode == 0 and "ask" in result.stdout and "run" in result.stdout
