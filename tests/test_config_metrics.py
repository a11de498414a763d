"""The ``metrics`` section of the configuration."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import ConfigError, MetricsConfig, parse_config

BASE: dict[str, Any] = {
    "matrix": {"homeserver": "https://matrix.example.org", "user_id": "@recbot:example.org", "password": "pw"},
}


def test_metrics_are_off_by_default_on_the_standard_port() -> None:
    assert parse_config(BASE, {}).metrics == MetricsConfig(enabled=False, host="127.0.0.1", port=9464)


def test_metrics_section_is_read() -> None:
    config = parse_config({**BASE, "metrics": {"enabled": True, "host": "0.0.0.0", "port": 9100}}, {})
    assert config.metrics == MetricsConfig(enabled=True, host="0.0.0.0", port=9100)
    assert "metrics: http://0.0.0.0:9100" in config.summary()


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("enabled", "yes", "must be true or false"),
        ("host", "", "must not be empty"),
        ("host", 127, "must be a string"),
        ("port", 0, "between 1 and 65535"),
        ("port", 70000, "between 1 and 65535"),
        ("port", "9464", "must be an integer"),
        ("bogus", 1, "unknown key"),
    ],
)
def test_bad_metrics_values_name_their_key(key: str, value: Any, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({**BASE, "metrics": {key: value}}, {})
    problems = dict(info.value.problems)
    assert fragment in problems[f"metrics.{key}"]
