"""Shared fixtures for the unit tests (no homeserver)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
