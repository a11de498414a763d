"""The metrics registry, the /metrics and /health endpoint, and `recbot health`."""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.config import MetricsConfig
from bot.health import HealthServerError, MetricsServer, cmd_health, health_url
from bot.metrics import Metrics
from knowledge.model import KnowledgeBase


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_counters_and_latency_appear_in_the_exposition(kb: KnowledgeBase) -> None:
    metrics = Metrics(lambda: kb)
    metrics.question()
    metrics.question()
    metrics.answered("card", 0.04)
    metrics.unanswered("rate_limited")
    metrics.error("sync")
    text = metrics.exposition().decode()
    assert "recbot_questions_total 2.0" in text
    assert 'recbot_answers_total{intent="card"} 1.0' in text
    assert 'recbot_unanswered_total{reason="rate_limited"} 1.0' in text
    assert 'recbot_unanswered_total{reason="send_failed"} 0.0' in text  # every reason is there from the start
    assert 'recbot_errors_total{kind="sync"} 1.0' in text
    assert 'recbot_answer_latency_seconds_bucket{le="0.05"} 1.0' in text
    assert f'recbot_knowledge_info{{version="{kb.version}"}} 1.0' in text


def test_knowledge_version_follows_the_current_base(kb: KnowledgeBase) -> None:
    current = [kb]
    metrics = Metrics(lambda: current[0])
    assert kb.version in metrics.exposition().decode()
    current[0] = KnowledgeBase(entries=kb.entries[:1])
    text = metrics.exposition().decode()
    assert current[0].version in text and kb.version not in text


def test_two_bots_have_separate_counters(kb: KnowledgeBase) -> None:
    first, second = Metrics(lambda: kb), Metrics(lambda: kb)
    first.question()
    assert "recbot_questions_total 0.0" in second.exposition().decode()


def test_sync_age() -> None:
    clock = Clock()
    metrics = Metrics(lambda: KnowledgeBase(entries=()), clock)
    assert metrics.sync_age() is None
    metrics.synced()
    clock.now += 7
    assert metrics.sync_age() == 7


@pytest_asyncio.fixture
async def served(kb: KnowledgeBase) -> AsyncIterator[tuple[Metrics, Clock, MetricsConfig]]:
    clock = Clock()
    metrics = Metrics(lambda: kb, clock)
    config = MetricsConfig(enabled=True, host="127.0.0.1", port=free_port())
    server = MetricsServer(metrics, config, max_sync_age_s=75)
    await server.start()
    try:
        yield metrics, clock, config
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_health_is_503_before_the_first_sync_200_after_and_503_when_stale(
    served: tuple[Metrics, Clock, MetricsConfig],
) -> None:
    metrics, clock, config = served
    url = health_url(config)
    status, body = await asyncio.to_thread(get, url)
    assert status == 503 and json.loads(body) == {"healthy": False, "last_sync_s": None}
    metrics.synced()
    clock.now += 30
    status, body = await asyncio.to_thread(get, url)
    assert status == 200 and json.loads(body) == {"healthy": True, "last_sync_s": 30.0}
    clock.now += 60
    assert (await asyncio.to_thread(get, url))[0] == 503


@pytest.mark.asyncio
async def test_metrics_endpoint_serves_the_prometheus_text_format(served: tuple[Metrics, Clock, MetricsConfig]) -> None:
    metrics, _, config = served
    metrics.answered("list", 0.2)
    status, text = await asyncio.to_thread(get, f"http://127.0.0.1:{config.port}/metrics")
    assert status == 200
    assert "# TYPE recbot_answers_total counter" in text
    assert 'recbot_answers_total{intent="list"} 1.0' in text


@pytest.mark.asyncio
async def test_disabled_server_listens_nowhere_and_a_taken_port_is_a_clear_error(kb: KnowledgeBase) -> None:
    metrics = Metrics(lambda: kb)
    disabled = MetricsServer(metrics, MetricsConfig(enabled=False, port=free_port()), 75)
    await disabled.start()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = MetricsConfig(enabled=True, host="127.0.0.1", port=sock.getsockname()[1])
        with pytest.raises(HealthServerError, match=f"metrics: cannot listen on 127.0.0.1:{taken.port}"):
            await MetricsServer(metrics, taken, 75).start()
    await disabled.stop()


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:9464/health"),
        ("0.0.0.0", "http://127.0.0.1:9464/health"),
        ("::", "http://[::1]:9464/health"),
        ("bot.internal", "http://bot.internal:9464/health"),
    ],
)
def test_health_url_maps_wildcard_binds_to_loopback(host: str, url: str) -> None:
    assert health_url(MetricsConfig(enabled=True, host=host, port=9464)) == url


def write_config(tmp_path: Path, metrics: dict[str, object]) -> str:
    path = tmp_path / "config.yaml"
    config = {
        "matrix": {"homeserver": "http://127.0.0.1:9", "user_id": "@bot:localhost", "password": "pw"},
        "metrics": metrics,
    }
    path.write_text(json.dumps(config), encoding="utf-8")
    return str(path)


def test_recbot_health_is_healthy_when_the_endpoint_is_disabled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cmd_health(argparse.Namespace(config=write_config(tmp_path, {"enabled": False}))) == 0
    assert "metrics.enabled is false" in capsys.readouterr().out


def test_recbot_health_is_unhealthy_when_nothing_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, {"enabled": True, "port": free_port()})
    assert cmd_health(argparse.Namespace(config=config)) == 1
    assert capsys.readouterr().err.startswith("unhealthy: http://127.0.0.1:")


@pytest.mark.asyncio
async def test_recbot_health_follows_the_endpoint(
    served: tuple[Metrics, Clock, MetricsConfig], tmp_path: Path
) -> None:
    metrics, _, config = served
    args = argparse.Namespace(config=write_config(tmp_path, {"enabled": True, "port": config.port}))
    assert await asyncio.to_thread(cmd_health, args) == 1
    metrics.synced()
    assert await asyncio.to_thread(cmd_health, args) == 0
