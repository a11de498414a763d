"""Backoff and retry rules shared by login, the sync loop, sends and joins."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from nio import ErrorResponse

log = logging.getLogger(__name__)

#: Exceptions nio raises for network trouble (it is configured not to retry itself).
TRANSIENT_EXCEPTIONS: tuple[type[BaseException], ...] = (aiohttp.ClientError, TimeoutError, ConnectionError)
BASE_DELAY_S = 0.5
CAP_S = 60.0
#: Longest total wait for one rate-limited request before giving up on it.
RATE_LIMIT_PATIENCE_S = 300.0
#: Longest error text quoted in logs (servers may echo whole key objects).
_DESCRIBE_MAX = 200
R = TypeVar("R")


class Stopped(Exception):
    """Shutdown was requested while waiting to retry."""


def backoff_delay(failures: int, cap_s: float = CAP_S, retry_after_ms: int | None = None) -> float:
    """Seconds to wait after ``failures`` consecutive failures: the server's
    ``retry_after_ms`` if given, else exponential with jitter (half fixed, half random)."""
    if retry_after_ms:
        return retry_after_ms / 1000
    ceiling = min(cap_s, BASE_DELAY_S * 2.0 ** max(failures - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def rate_limited(response: Any) -> bool:
    """Whether an error response says the request was rate limited (429)."""
    if not isinstance(response, ErrorResponse):
        return False
    return response.status_code == "M_LIMIT_EXCEEDED" or getattr(response.transport_response, "status", None) == 429


def transient_error(response: Any) -> bool:
    """Whether an error response is worth retrying (rate limited or a server error)."""
    if not isinstance(response, ErrorResponse):
        return False
    if response.status_code == "M_LIMIT_EXCEEDED":
        return True
    status = getattr(response.transport_response, "status", None)
    return status is not None and (status == 429 or status >= 500)


def describe(response: Any) -> str:
    """An error response or exception as short text (errcode and message, never a secret)."""
    if isinstance(response, BaseException):
        text = f"{type(response).__name__}: {response}"
    else:
        text = f"{getattr(response, 'status_code', '') or ''} {getattr(response, 'message', response)}".strip()
    return text if len(text) <= _DESCRIBE_MAX else text[: _DESCRIBE_MAX - 1] + "…"


async def wait_or_stop(stopping: asyncio.Event, delay: float) -> bool:
    """Sleep ``delay`` seconds unless ``stopping`` is set first; True if stopping."""
    try:
        await asyncio.wait_for(stopping.wait(), delay)
    except TimeoutError:
        return False
    return True


async def retrying(
    call: Callable[[], Awaitable[R]],
    what: str,
    *,
    stopping: asyncio.Event | None = None,
    attempts: int | None = None,
    cap_s: float = CAP_S,
    deadline: float | None = None,
) -> R:
    """``call()`` again with backoff while it fails transiently.

    Returns the first response that is not a transient error (success or a permanent
    error), or the last one when ``attempts`` run out or the next wait would pass
    ``deadline`` (a ``time.monotonic()`` value); re-raises the last network exception
    if the final attempt raised one. Rate limiting uses up no attempt: the request is
    retried when the server says (logged at info), for up to RATE_LIMIT_PATIENCE_S in
    all. Raises Stopped if ``stopping`` is set while waiting (None: never interrupted).
    """
    failures, limited, limited_s = 0, 0, 0.0
    while True:
        try:
            response = await call()
        except TRANSIENT_EXCEPTIONS as exc:
            failures += 1
            delay = backoff_delay(failures, cap_s)
            if _out_of_tries(failures, attempts, deadline, delay):
                raise
            log.warning("%s failed (%s); retrying in %.1fs", what, describe(exc), delay)
        else:
            retry_after = getattr(response, "retry_after_ms", None)
            if rate_limited(response) and limited_s < RATE_LIMIT_PATIENCE_S:
                limited += 1
                delay = backoff_delay(limited, cap_s, retry_after)
                if _out_of_tries(0, None, deadline, delay):
                    return response
                limited_s += delay
                log.info("%s: rate limited by the homeserver; retrying in %.1fs", what, delay)
            else:
                failures += 1
                delay = backoff_delay(failures, cap_s, retry_after)
                if not transient_error(response) or _out_of_tries(failures, attempts, deadline, delay):
                    return response
                log.warning("%s failed (%s); retrying in %.1fs", what, describe(response), delay)
        if stopping is None:
            await asyncio.sleep(delay)
        elif await wait_or_stop(stopping, delay):
            raise Stopped(what)


def _out_of_tries(failures: int, attempts: int | None, deadline: float | None, delay: float) -> bool:
    """Whether to give up: attempts used up, or waiting ``delay`` would pass ``deadline``."""
    if attempts is not None and failures >= attempts:
        return True
    return deadline is not None and time.monotonic() + delay > deadline
