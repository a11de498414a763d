"""Retrying: backoff for failures, the server's word for rate limits, deadlines."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from nio import ErrorResponse

from bot import retry
from bot.retry import rate_limited, retrying


class Transport:
    def __init__(self, status: int):
        self.status = status


def error(status: int, errcode: str, retry_after_ms: int | None = None) -> ErrorResponse:
    response = ErrorResponse("nope", errcode, retry_after_ms)
    response.transport_response = Transport(status)  # type: ignore[assignment]
    return response


class Calls:
    """Returns the given responses in turn, recording when each call was made."""

    def __init__(self, *responses: Any):
        self.responses = list(responses)
        self.times: list[float] = []

    async def __call__(self) -> Any:
        self.times.append(time.monotonic())
        response = self.responses.pop(0)
        if isinstance(response, BaseException):
            raise response
        return response


def test_rate_limited() -> None:
    assert rate_limited(error(429, "M_LIMIT_EXCEEDED", 10))
    assert rate_limited(error(429, "M_UNKNOWN"))
    assert not rate_limited(error(500, "M_UNKNOWN"))
    assert not rate_limited("ok")


@pytest.mark.asyncio
async def test_rate_limits_use_up_no_attempt_and_are_logged_at_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.retry")
    limited = error(429, "M_LIMIT_EXCEEDED", retry_after_ms=20)
    calls = Calls(limited, limited, limited, limited, "sent")
    assert await retrying(calls, "sending", attempts=2) == "sent"
    assert all(later - earlier >= 0.019 for earlier, later in zip(calls.times, calls.times[1:]))
    assert {record.levelno for record in caplog.records} == {logging.INFO}
    assert "rate limited by the homeserver; retrying in 0.0s" in caplog.text


@pytest.mark.asyncio
async def test_rate_limit_patience_runs_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "RATE_LIMIT_PATIENCE_S", 0.05)
    limited = error(429, "M_LIMIT_EXCEEDED", retry_after_ms=30)
    calls = Calls(limited, limited, limited, limited, "sent")
    assert await retrying(calls, "sending", attempts=1) is limited


@pytest.mark.asyncio
async def test_server_errors_count_as_attempts() -> None:
    broken = error(502, "M_UNKNOWN")
    calls = Calls(broken, broken, "never")
    assert await retrying(calls, "sending", attempts=2, cap_s=0.01) is broken


@pytest.mark.asyncio
async def test_deadline_ends_retrying_instead_of_attempts() -> None:
    calls = Calls(*[ConnectionError("down")] * 50)
    with pytest.raises(ConnectionError):
        await retrying(calls, "sending", cap_s=0.02, deadline=time.monotonic() + 0.1)
    assert 2 <= len(calls.times) < 50


@pytest.mark.asyncio
async def test_stopping_interrupts_the_wait() -> None:
    stopping = asyncio.Event()
    calls = Calls(ConnectionError("down"), "never")
    stopping.set()
    with pytest.raises(retry.Stopped):
        await retrying(calls, "sending", stopping=stopping, cap_s=10)
