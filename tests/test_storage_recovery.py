"""Storage after an unclean stop: interrupted claims are released; damage is reported."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage import DB_NAME, Storage, StorageError


@pytest.mark.asyncio
async def test_pending_claims_of_an_earlier_run_are_released(tmp_path: Path) -> None:
    store = await Storage.open(tmp_path)
    assert await store.claim("$sent", "!r") and await store.claim("$interrupted", "!r")
    await store.mark_answered("$sent")
    await store.close()  # (a crash leaves the same rows: every write is committed)
    store = await Storage.open(tmp_path)
    try:
        assert await store.release_pending() == 1
        assert await store.claim("$interrupted", "!r"), "an interrupted question can be answered again"
        assert not await store.claim("$sent", "!r")
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_damaged_pages_are_found_at_open(tmp_path: Path) -> None:
    store = await Storage.open(tmp_path)
    for n in range(200):
        await store.claim(f"$event{n}", "!room")
    await store.close()
    path = tmp_path / DB_NAME
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[-4096:] = b"\xa5" * 4096  # the last page: part of the answered table or its index
    path.write_bytes(bytes(data))
    with pytest.raises(StorageError, match="not a usable SQLite database"):
        await Storage.open(tmp_path)
