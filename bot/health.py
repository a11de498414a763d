"""The optional HTTP endpoint (``metrics.enabled``): ``/metrics`` for Prometheus and
``/health`` for container health checks, plus ``recbot health`` that asks it.

``/health`` is 200 while the last successful sync is recent enough and 503 otherwise
(before the first sync, or when the homeserver has been unreachable for a while).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from .config import ConfigError, MetricsConfig, load_config
from .metrics import Metrics

#: Seconds ``recbot health`` waits for an answer.
CHECK_TIMEOUT_S = 5.0


class HealthServerError(Exception):
    """The metrics endpoint could not be started (e.g. its port is taken)."""


class MetricsServer:
    """Serves ``/metrics`` and ``/health`` for one bot while it runs (if enabled)."""

    def __init__(self, metrics: Metrics, config: MetricsConfig, max_sync_age_s: float):
        self.metrics = metrics
        self.config = config
        self.max_sync_age_s = max_sync_age_s
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on the configured host and port; nothing if metrics are disabled."""
        if not self.config.enabled:
            return
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/health", self._health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.config.host, self.config.port).start()
        except OSError as exc:
            await runner.cleanup()
            raise HealthServerError(
                f"metrics: cannot listen on {self.config.host}:{self.config.port} ({exc.strerror or exc})"
            ) from None
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, _request: web.Request) -> web.Response:
        response = web.Response(body=self.metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def _health(self, _request: web.Request) -> web.Response:
        age = self.metrics.sync_age()
        healthy = age is not None and age <= self.max_sync_age_s
        body = {"healthy": healthy, "last_sync_s": None if age is None else round(age, 1)}
        return web.json_response(body, status=200 if healthy else 503)


def health_url(config: MetricsConfig) -> str:
    """Where a local client reaches ``/health`` (wildcard binds map to loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(config.host, config.host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.port}/health"


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 if the running bot reports healthy (or its endpoint is disabled), else 1."""
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"unhealthy: {args.config}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    if not config.metrics.enabled:
        print("healthy: not checked (metrics.enabled is false, so there is no /health endpoint)")
        return 0
    url = health_url(config.metrics)
    try:
        with urllib.request.urlopen(url, timeout=CHECK_TIMEOUT_S) as response:
            print(f"healthy: {json.load(response)}")
            return 0
    except urllib.error.HTTPError as exc:
        print(f"unhealthy: {url}: {exc.code} {exc.read().decode('utf-8', 'replace')}", file=sys.stderr)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"unhealthy: {url}: {getattr(exc, 'reason', exc)}", file=sys.stderr)
    return 1
