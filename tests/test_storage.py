"""The bot's SQLite storage: migrations, sync token, login, idempotent answering."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from bot.storage import DB_NAME, SCHEMA_VERSION, Storage, StorageError, StoredLogin

TOKEN = "syt_secret_token"


def schema_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT version FROM schema_version").fetchone()[0])


@pytest.mark.asyncio
async def test_new_database_is_migrated_private_and_in_wal_mode(storage: Storage) -> None:
    assert schema_version(storage.path) == SCHEMA_VERSION
    assert stat.S_IMODE(storage.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(storage.path.parent.stat().st_mode) == 0o700
    with sqlite3.connect(storage.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.asyncio
async def test_sync_token_round_trip_and_survives_reopen(tmp_path: Path) -> None:
    store = await Storage.open(tmp_path)
    assert await store.sync_token() is None
    await store.save_sync_token("s1")
    await store.save_sync_token("s2")
    await store.close()
    store = await Storage.open(tmp_path)
    try:
        assert await store.sync_token() == "s2"
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_login_round_trip_hides_the_token(storage: Storage) -> None:
    assert await storage.load_login() is None
    await storage.save_login(StoredLogin("@bot:example.org", "RECBOT", TOKEN))
    login = await storage.load_login()
    assert login == StoredLogin("@bot:example.org", "RECBOT", TOKEN)
    assert TOKEN not in repr(login)


@pytest.mark.asyncio
async def test_an_event_is_claimed_once(storage: Storage) -> None:
    assert await storage.claim("$q1", "!room")
    assert not await storage.claim("$q1", "!room")
    await storage.mark_answered("$q1")
    assert not await storage.claim("$q1", "!room")
    assert await storage.is_claimed("$q1")
    assert not await storage.is_claimed("$q2")


@pytest.mark.asyncio
async def test_released_claim_can_be_claimed_again_but_answered_cannot(storage: Storage) -> None:
    assert await storage.claim("$q1", "!room")
    await storage.release("$q1")
    assert await storage.claim("$q1", "!room")
    await storage.mark_answered("$q1")
    await storage.release("$q1")  # only pending claims are released
    assert not await storage.claim("$q1", "!room")


@pytest.mark.asyncio
async def test_answered_events_survive_reopen(tmp_path: Path) -> None:
    store = await Storage.open(tmp_path)
    await store.claim("$q1", "!room")
    await store.mark_answered("$q1")
    await store.close()
    store = await Storage.open(tmp_path)
    try:
        assert not await store.claim("$q1", "!room")
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_prune_drops_old_claims_only(storage: Storage) -> None:
    await storage.claim("$old", "!room")
    assert await storage.prune(0) == 0
    assert await storage.prune(2**62) == 1
    assert not await storage.is_claimed("$old")


@pytest.mark.asyncio
async def test_join_timestamps(storage: Storage) -> None:
    assert await storage.joined_at("!room") is None
    await storage.set_joined_at("!room", 1000)
    await storage.set_joined_at("!room", 2000)
    assert await storage.joined_at("!room") == 2000


@pytest.mark.asyncio
async def test_old_schema_is_migrated(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version VALUES (0)")
    store = await Storage.open(tmp_path)
    try:
        assert await store.claim("$q", "!r")
    finally:
        await store.close()
    assert schema_version(tmp_path / DB_NAME) == SCHEMA_VERSION


@pytest.mark.asyncio
async def test_newer_schema_is_a_clear_error(tmp_path: Path) -> None:
    store = await Storage.open(tmp_path)
    await store.close()
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(StorageError, match="newer recbot"):
        await Storage.open(tmp_path)


@pytest.mark.asyncio
async def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not a database, just garbage " * 200)
    with pytest.raises(StorageError, match="not a usable SQLite database"):
        await Storage.open(tmp_path)


@pytest.mark.asyncio
async def test_unusable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="data directory"):
        await Storage.open(blocker / "data")


@pytest.mark.asyncio
async def test_audit_rows_are_bounded_by_count_and_age(storage: Storage) -> None:
    from bot.storage import RefreshRecord

    day = 24 * 3600 * 1000
    now = 400 * day
    for n in range(30):
        await storage.record_refresh(RefreshRecord(now - (29 - n) * day, "@a:x", None, True, "v1", "v2", "{}"))
    assert await storage.prune_audit(now, max_rows=20, max_age_ms=365 * day) == 10
    assert [r.ts for r in await storage.refreshes(100)][-1] == now - 19 * day
    assert await storage.prune_audit(now, max_rows=20, max_age_ms=5 * day) == 14  # older than 5 days
    assert len(await storage.refreshes(100)) == 6


def test_claims_are_kept_twice_the_event_age_and_at_least_an_hour() -> None:
    from bot.storage import MIN_CLAIM_RETENTION_MS, claim_retention_ms

    assert claim_retention_ms(600) == MIN_CLAIM_RETENTION_MS == 3600 * 1000
    assert claim_retention_ms(7200) == 4 * 3600 * 1000


@pytest.mark.asyncio
async def test_an_open_data_dir_is_made_owner_only_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data_dir.chmod(0o755)
    storage = await Storage.open(data_dir)
    await storage.close()
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert "made it owner-only" in caplog.text
