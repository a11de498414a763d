"""Configuration validation: every error names its key; secrets never leak."""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

import pytest

from bot.app import cmd_check_config
from bot.config import ConfigError, load_config, parse_config

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.yaml"
SECRET = "hunter2-very-secret"
TOKEN = "syt_c2VjcmV0_token"

VALID: dict[str, Any] = {
    "matrix": {"homeserver": "https://matrix.example.org", "user_id": "@recbot:example.org", "password": SECRET},
}


def problems(data: Any, env: dict[str, str] | None = None) -> dict[str, str]:
    """The ConfigError problems for ``data`` as {dotted key: message}."""
    with pytest.raises(ConfigError) as info:
        parse_config(data, env or {})
    return dict(info.value.problems)


def with_value(section: str, key: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    data.setdefault(section, {})[key] = value
    return data


def test_minimal_config_gets_the_documented_defaults() -> None:
    config = parse_config(VALID, {})
    assert config.matrix.device_id == "RECBOT"
    assert config.storage.data_dir == Path("data")
    assert config.bot.command_prefix == "!"
    assert config.bot.default_language == "nl"
    assert config.bot.autojoin is True
    assert config.bot.allowed_inviters == ()
    assert config.bot.max_event_age == 600
    assert config.moderation.power_level == 50
    assert config.knowledge.sources == ()
    assert (config.limits.user_per_minute, config.limits.room_per_minute) == (10, 30)


def test_example_file_is_valid_once_a_secret_is_given() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(EXAMPLE, {})
    assert [key for key, _ in info.value.problems] == ["matrix.password"]
    config = load_config(EXAMPLE, {"RECBOT_PASSWORD": SECRET})
    assert config.matrix.password == SECRET
    assert config.matrix.homeserver == "https://matrix.example.org"


@pytest.mark.parametrize(
    ("section", "key", "value", "fragment"),
    [
        ("matrix", "homeserver", "matrix.example.org", "http(s) URL"),
        ("matrix", "homeserver", "ftp://matrix.example.org", "http(s) URL"),
        ("matrix", "user_id", "recbot", "Matrix user id"),
        ("matrix", "user_id", "@recbot", "Matrix user id"),
        ("matrix", "device_id", "MY DEVICE", "whitespace"),
        ("matrix", "device_id", "", "empty"),
        ("storage", "data_dir", "", "empty"),
        ("storage", "data_dir", 5, "string"),
        ("bot", "command_prefix", "", "non-empty"),
        ("bot", "command_prefix", "! ", "whitespace"),
        ("bot", "default_language", "de", "en, es, fr, he, it, nl, ru, zh-Hant, zh-TW"),
        ("bot", "autojoin", "yes", "true or false"),
        ("bot", "allowed_inviters", "@a:b.org", "list"),
        ("bot", "allowed_inviters", ["example.org"], "server suffix"),
        ("bot", "max_event_age", 0, "between"),
        ("bot", "max_event_age", "600", "integer"),
        ("bot", "max_event_age", True, "integer"),
        ("bot", "source_url", "git.example.org/recbot", "http(s) URL"),
        ("bot", "source_url", "https://user:pw@git.example.org/recbot", "credentials"),
        ("bot", "feedback_days", 0, "between"),
        ("moderation", "power_level", 101, "between"),
        ("moderation", "users", ["alice"], "user id"),
        ("knowledge", "sources", "bundled", "list"),
        ("knowledge", "sources", [""], "empty"),
        ("knowledge", "refresh_every", "10m", "between 15m and 30d"),
        ("knowledge", "refresh_every", "6 hours", "duration like"),
        ("knowledge", "refresh_every", 3600, "duration like"),
        ("knowledge", "refresh_every", "40d", "between"),
        ("knowledge", "archive_max_mb", 0, "between"),
        ("knowledge", "archive_timeout", 5, "between 10 and 3600 seconds"),
        ("knowledge", "archive_timeout", 7200, "between 10 and 3600 seconds"),
        ("knowledge", "archive_timeout", "300", "number of seconds"),
        ("knowledge", "fetch_timeout", 0, "between 1 and 300 seconds"),
        ("moderation", "report_rooms", ["#reports:example.org"], "room id"),
        ("moderation", "report_rooms", "!r:example.org", "list"),
        ("limits", "user_per_minute", -1, "between"),
        ("limits", "room_per_minute", 1.5, "integer"),
    ],
)
def test_bad_value_is_reported_under_its_key(section: str, key: str, value: Any, fragment: str) -> None:
    found = problems(with_value(section, key, value))
    assert f"{section}.{key}" in found, found
    assert fragment in found[f"{section}.{key}"]


def test_scheduled_refresh_and_report_rooms() -> None:
    assert parse_config(VALID, {}).knowledge.refresh_every == 0  # off by default
    for written, seconds in (("6h", 21600), ("1d", 86400), ("1h30m", 5400), ("15m", 900), ("off", 0), (False, 0)):
        assert parse_config(with_value("knowledge", "refresh_every", written), {}).knowledge.refresh_every == seconds
    config = parse_config(with_value("moderation", "report_rooms", ["!abc:example.org", "!abc:example.org"]), {})
    assert config.moderation.report_rooms == ("!abc:example.org",)
    assert config.knowledge.archive_max_bytes == 200 * 1024 * 1024
    assert "scheduled refresh: off   report rooms: 1" in config.summary()


def test_fetch_limits_gather_the_three_knowledge_keys() -> None:
    limits = parse_config(VALID, {}).knowledge.fetch_limits
    assert (limits.timeout, limits.archive_timeout, limits.archive_max_bytes) == (20.0, 300.0, 200 * 1024 * 1024)
    config = parse_config(with_value("knowledge", "archive_timeout", 900), {})
    assert config.knowledge.fetch_limits.archive_timeout == 900.0
    assert any("(fetch timeout 20s, archives 900s)" in line for line in config.summary())


def test_all_problems_are_reported_together() -> None:
    data = with_value("bot", "default_language", "de")
    data["limits"] = {"room_per_minute": -5}
    assert set(problems(data)) == {"bot.default_language", "limits.room_per_minute"}


def test_unknown_keys_and_sections_are_errors() -> None:
    data = with_value("bot", "prefix", "!")
    data["extra"] = {}
    found = problems(data)
    assert found["bot.prefix"] == "unknown key"
    assert found["extra"] == "unknown section"


def test_section_must_be_a_mapping() -> None:
    assert "mapping" in problems(with_value("limits", "x", 1) | {"limits": [1]})["limits"]


def test_required_keys() -> None:
    found = problems({})
    assert found["matrix.homeserver"] == "is required"
    assert found["matrix.user_id"] == "is required"
    assert "password" in found["matrix.password"]


def test_valid_inviters_and_user_ids() -> None:
    data = with_value("bot", "allowed_inviters", ["@alice:example.org", ":example.org", ":[::1]:8448"])
    data["moderation"] = {"users": ["@mod:chat.example.org:8448"]}
    config = parse_config(data, {})
    assert config.bot.allowed_inviters == ("@alice:example.org", ":example.org", ":[::1]:8448")
    assert config.moderation.users == ("@mod:chat.example.org:8448",)


def test_environment_overrides_secrets() -> None:
    data = copy.deepcopy(VALID)
    data["matrix"]["access_token"] = "from-file"
    config = parse_config(data, {"RECBOT_PASSWORD": "from-env", "RECBOT_ACCESS_TOKEN": TOKEN})
    assert config.matrix.password == "from-env"
    assert config.matrix.access_token == TOKEN


def test_access_token_alone_is_enough() -> None:
    data = copy.deepcopy(VALID)
    del data["matrix"]["password"]
    assert parse_config(data, {"RECBOT_ACCESS_TOKEN": TOKEN}).matrix.access_token == TOKEN


def test_secrets_never_appear_in_repr_str_or_errors() -> None:
    data = copy.deepcopy(VALID)
    data["matrix"]["access_token"] = TOKEN
    config = parse_config(data, {})
    for text in (repr(config), str(config), repr(config.matrix), "\n".join(config.summary())):
        assert SECRET not in text and TOKEN not in text
    bad = with_value("matrix", "user_id", "nobody")
    bad["matrix"]["password"] = [SECRET]
    with pytest.raises(ConfigError) as info:
        parse_config(bad, {})
    assert SECRET not in str(info.value) and SECRET not in repr(info.value.problems)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("matrix:\n  homeserver: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 3"):
        load_config(path, {})


def test_check_config_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECBOT_PASSWORD", SECRET)
    path = tmp_path / "config.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert cmd_check_config(argparse.Namespace(config=str(path))) == 0
    out = capsys.readouterr().out
    assert out.startswith("config OK") and "@recbot:example.org" in out and SECRET not in out

    path.write_text("matrix:\n  homeserver: nope\n", encoding="utf-8")
    assert cmd_check_config(argparse.Namespace(config=str(path))) == 1
    err = capsys.readouterr().err
    assert "matrix.homeserver: must be an http(s) URL" in err and "matrix.user_id: is required" in err


def test_check_config_reports_knowledge_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECBOT_PASSWORD", SECRET)
    path = tmp_path / "config.yaml"
    missing = tmp_path / "missing.yaml"
    path.write_text(
        f"matrix: {{homeserver: 'https://m.org', user_id: '@b:m.org'}}\nknowledge: {{sources: ['{missing}']}}\n",
        encoding="utf-8",
    )
    assert cmd_check_config(argparse.Namespace(config=str(path))) == 1
    assert f"knowledge.sources: {missing}" in capsys.readouterr().err
