"""Shared fixtures for the unit tests (no homeserver)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.storage import Storage

from knowledge.engine import Engine
from knowledge.loading import load_sources

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED_PAGE = SHARED / "seeds" / "real-time-communication.nl.md"
DEV_SET = SHARED / "eval" / "dev.yaml"


@pytest.fixture(scope="session")
def kb():
    return load_sources([])


@pytest.fixture(scope="session")
def engine(kb):
    return Engine(kb)


@pytest_asyncio.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """A fresh bot database in a temporary data directory, closed afterwards."""
    store = await Storage.open(tmp_path / "data")
    try:
        yield store
    finally:
        await store.close()

