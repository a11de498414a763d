"""What the bot counts: questions, answers, unanswered questions, errors, latency, and
when it last synced (for ``/health``).

Every :class:`Metrics` has its own Prometheus registry, so several bots in one process
(the tests) never share counters. Recording is cheap and always on; serving the
registry over HTTP is optional (see :mod:`bot.health`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import InfoMetricFamily, Metric

from knowledge.model import KnowledgeBase

#: Answer latency buckets (seconds): from the engine's milliseconds to a slow homeserver.
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

#: Why an addressed question got no reply (the ``reason`` label of unanswered_total).
UNANSWERED_REASONS = ("not_understood", "already_answered", "rate_limited", "send_failed")


class _KnowledgeCollector:
    """``recbot_knowledge_info{version=...} 1`` for the knowledge base in use now."""

    def __init__(self, current: Callable[[], KnowledgeBase]):
        self._current = current

    def collect(self) -> Iterator[Metric]:  # KnowledgeBase.version is hashed once per base
        yield InfoMetricFamily("recbot_knowledge", "The loaded knowledge base", value={"version": self._current().version})


class Metrics:
    """The bot's counters in a private registry, and the time of its last good sync."""

    def __init__(self, knowledge: Callable[[], KnowledgeBase], clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._last_sync: float | None = None
        self.registry = CollectorRegistry(auto_describe=True)
        self._questions = Counter(
            "recbot_questions", "Messages addressed to the bot", registry=self.registry
        )
        self._answers = Counter(
            "recbot_answers", "Replies sent, by intent", ["intent"], registry=self.registry
        )
        self._unanswered = Counter(
            "recbot_unanswered", "Addressed messages left without a reply, by reason", ["reason"],
            registry=self.registry,
        )
        self._errors = Counter("recbot_errors", "Failures, by kind", ["kind"], registry=self.registry)
        self._latency = Histogram(
            "recbot_answer_latency_seconds", "From receiving a question to its reply being sent",
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        for reason in UNANSWERED_REASONS:
            self._unanswered.labels(reason)
        self.registry.register(_KnowledgeCollector(knowledge))

    def question(self) -> None:
        self._questions.inc()

    def answered(self, intent: str, latency_s: float) -> None:
        self._answers.labels(intent).inc()
        self._latency.observe(latency_s)

    def unanswered(self, reason: str) -> None:
        self._unanswered.labels(reason).inc()

    def error(self, kind: str) -> None:
        self._errors.labels(kind).inc()

    def synced(self) -> None:
        """Note a successful sync (what ``/health`` looks at)."""
        self._last_sync = self._clock()

    def sync_age(self) -> float | None:
        """Seconds since the last successful sync; None before the first one."""
        return None if self._last_sync is None else self._clock() - self._last_sync

    def exposition(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)
