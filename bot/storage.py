"""The bot's own SQLite database in ``data_dir``: login, sync token, answered events,
room settings and the audit trail of knowledge refreshes.

One aiosqlite connection in WAL mode. The schema is versioned (table
``schema_version``) and migrated forward at open; a database written by a newer
recbot, or a file that is not a database, raises :class:`StorageError` with a
message fit for the operator instead of a traceback.

Answering is idempotent through *claims*: an event id is claimed before the reply is
sent (status ``pending``), marked ``answered`` after the send succeeded and released
if the send failed, so a restart from an older sync token never answers twice.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite

DB_NAME = "recbot.db"
log = logging.getLogger(__name__)

#: Claims are kept at least this long, and at least twice ``bot.max_event_age``: an
#: older event is never answered again, so its claim has done its job.
MIN_CLAIM_RETENTION_MS = 3600 * 1000
#: The refresh audit trail keeps at most this many rows, none older than this.
AUDIT_MAX_ROWS = 1000
AUDIT_MAX_AGE_MS = 365 * 24 * 3600 * 1000

#: MIGRATIONS[n] upgrades a database at version n to version n + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE login (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        user_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        access_token TEXT NOT NULL
    );
    CREATE TABLE answered (
        event_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'answered')),
        ts INTEGER NOT NULL
    );
    CREATE INDEX answered_ts ON answered (ts);
    CREATE TABLE rooms (room_id TEXT PRIMARY KEY, joined_ts INTEGER NOT NULL);
    """,
    # 2: moderators' room settings and the audit trail of knowledge refreshes.
    """
    CREATE TABLE room_settings (
        room_id TEXT PRIMARY KEY,
        language TEXT CHECK (language IN ('nl', 'en')),
        autoanswer INTEGER NOT NULL CHECK (autoanswer IN (0, 1)),
        changed_by TEXT NOT NULL,
        ts INTEGER NOT NULL
    );
    CREATE TABLE refreshes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        requested_by TEXT NOT NULL,
        room_id TEXT,
        result TEXT NOT NULL CHECK (result IN ('ok', 'failed')),
        old_version TEXT NOT NULL,
        new_version TEXT NOT NULL,
        details TEXT NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StorageError(Exception):
    """The database cannot be used (newer schema, corrupt file, unwritable directory)."""


@dataclass(frozen=True)
class StoredLogin:
    """The session kept across restarts so the bot keeps one device and its keys."""

    user_id: str
    device_id: str
    access_token: str = field(repr=False)


@dataclass(frozen=True)
class RefreshRecord:
    """One knowledge refresh in the audit trail."""

    ts: int  # ms since the epoch
    requested_by: str  # a user id, or "SIGHUP"
    room_id: str | None  # where it was asked for (None: a signal)
    ok: bool
    old_version: str
    new_version: str
    details: str  # JSON: what changed, or the problems found


def _now_ms() -> int:
    return int(time.time() * 1000)


def claim_retention_ms(max_event_age_s: int) -> int:
    """How long a claim is kept: past that its event is too old to be answered anyway."""
    return max(2000 * max_event_age_s, MIN_CLAIM_RETENTION_MS)


def prepare_data_dir(data_dir: Path) -> None:
    """Create ``data_dir`` owner-only if missing, or make an existing one owner-only (with
    a warning: it holds the access token and encryption keys); raise StorageError if
    unusable."""
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the data directory {data_dir}: {exc.strerror}") from None
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise StorageError(f"the data directory {data_dir} is not writable")
    mode = data_dir.stat().st_mode & 0o777
    if mode & 0o077:
        try:
            data_dir.chmod(0o700)
        except OSError as exc:
            raise StorageError(
                f"the data directory {data_dir} is open to other users (mode {mode:o}) and cannot be "
                f"made owner-only: {exc.strerror}"
            ) from None
        log.warning("the data directory %s was open to other users (mode %o); made it owner-only (700)", data_dir, mode)


def make_private(data_dir: Path) -> None:
    """Make every file in ``data_dir`` owner-only (the encryption store holds keys)."""
    for path in data_dir.iterdir():
        if path.is_file() and path.stat().st_mode & 0o077:
            path.chmod(0o600)


class Storage:
    """Async access to the bot's database; create with :meth:`open`."""

    def __init__(self, db: aiosqlite.Connection, path: Path):
        self._db = db
        self.path = path

    @classmethod
    async def open(cls, data_dir: Path) -> Storage:
        """Open (creating and migrating as needed) ``data_dir/recbot.db``."""
        prepare_data_dir(data_dir)
        path = data_dir / DB_NAME
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        db = await aiosqlite.connect(path)
        try:
            await _migrate(db, path)
        except BaseException:
            await db.close()
            raise
        _restrict(path)
        return cls(db, path)

    async def close(self) -> None:
        await self._db.close()

    # -- login -------------------------------------------------------------------------

    async def load_login(self) -> StoredLogin | None:
        async with self._db.execute("SELECT user_id, device_id, access_token FROM login") as cursor:
            row = await cursor.fetchone()
        return None if row is None else StoredLogin(*row)

    async def save_login(self, login: StoredLogin) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO login (id, user_id, device_id, access_token) VALUES (1, ?, ?, ?)",
            (login.user_id, login.device_id, login.access_token),
        )
        await self._db.commit()

    # -- sync token --------------------------------------------------------------------

    async def sync_token(self) -> str | None:
        async with self._db.execute("SELECT value FROM state WHERE key = 'sync_token'") as cursor:
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def save_sync_token(self, token: str) -> None:
        await self._db.execute("INSERT OR REPLACE INTO state (key, value) VALUES ('sync_token', ?)", (token,))
        await self._db.commit()

    # -- answered events ---------------------------------------------------------------

    async def claim(self, event_id: str, room_id: str) -> bool:
        """Claim ``event_id`` for answering; False if it was claimed or answered before."""
        cursor = await self._db.execute(
            "INSERT OR IGNORE INTO answered (event_id, room_id, status, ts) VALUES (?, ?, 'pending', ?)",
            (event_id, room_id, _now_ms()),
        )
        await self._db.commit()
        return cursor.rowcount == 1

    async def mark_answered(self, event_id: str) -> None:
        await self._db.execute("UPDATE answered SET status = 'answered' WHERE event_id = ?", (event_id,))
        await self._db.commit()

    async def release(self, event_id: str) -> None:
        """Forget a claim whose reply could not be sent, so a later pass may retry it."""
        await self._db.execute("DELETE FROM answered WHERE event_id = ? AND status = 'pending'", (event_id,))
        await self._db.commit()

    async def release_pending(self) -> int:
        """Forget claims left pending by an earlier run that stopped mid-reply, so those
        questions are answered again (the reply's transaction id makes the homeserver
        drop a second copy if the first one did arrive); how many there were."""
        cursor = await self._db.execute("DELETE FROM answered WHERE status = 'pending'")
        await self._db.commit()
        return cursor.rowcount

    async def is_claimed(self, event_id: str) -> bool:
        async with self._db.execute("SELECT 1 FROM answered WHERE event_id = ?", (event_id,)) as cursor:
            return await cursor.fetchone() is not None

    async def prune(self, older_than_ms: int) -> int:
        """Drop claims made before ``older_than_ms`` (such events are too old to answer)."""
        cursor = await self._db.execute("DELETE FROM answered WHERE ts < ?", (older_than_ms,))
        await self._db.commit()
        return cursor.rowcount

    async def prune_audit(
        self, now_ms: int, *, max_rows: int = AUDIT_MAX_ROWS, max_age_ms: int = AUDIT_MAX_AGE_MS
    ) -> int:
        """Drop refresh audit rows older than ``max_age_ms`` or beyond the newest ``max_rows``."""
        cursor = await self._db.execute(
            "DELETE FROM refreshes WHERE ts < ? OR id <= (SELECT MAX(id) FROM refreshes) - ?",
            (now_ms - max_age_ms, max_rows),
        )
        await self._db.commit()
        return cursor.rowcount

    # -- rooms -------------------------------------------------------------------------

    async def joined_at(self, room_id: str) -> int | None:
        """Server timestamp (ms) of the bot's join event in ``room_id``, if seen."""
        async with self._db.execute("SELECT joined_ts FROM rooms WHERE room_id = ?", (room_id,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else int(row[0])

    async def set_joined_at(self, room_id: str, ts: int) -> None:
        await self._db.execute("INSERT OR REPLACE INTO rooms (room_id, joined_ts) VALUES (?, ?)", (room_id, ts))
        await self._db.commit()

    # -- room settings -----------------------------------------------------------------

    async def room_settings(self) -> dict[str, tuple[str | None, bool]]:
        """Every room's settings: room id -> (language or None, autoanswer)."""
        async with self._db.execute("SELECT room_id, language, autoanswer FROM room_settings") as cursor:
            rows = await cursor.fetchall()
        return {str(room_id): (language, bool(autoanswer)) for room_id, language, autoanswer in rows}

    async def save_room_settings(
        self, room_id: str, language: str | None, autoanswer: bool, changed_by: str
    ) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO room_settings (room_id, language, autoanswer, changed_by, ts)"
            " VALUES (?, ?, ?, ?, ?)",
            (room_id, language, int(autoanswer), changed_by, _now_ms()),
        )
        await self._db.commit()

    # -- refresh audit trail -----------------------------------------------------------

    async def record_refresh(self, record: RefreshRecord) -> None:
        await self._db.execute(
            "INSERT INTO refreshes (ts, requested_by, room_id, result, old_version, new_version, details)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                record.ts,
                record.requested_by,
                record.room_id,
                "ok" if record.ok else "failed",
                record.old_version,
                record.new_version,
                record.details,
            ),
        )
        await self._db.commit()

    async def refreshes(self, limit: int) -> list[RefreshRecord]:
        """The last ``limit`` refreshes, newest first."""
        async with self._db.execute(
            "SELECT ts, requested_by, room_id, result, old_version, new_version, details FROM refreshes"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            RefreshRecord(ts, by, room, result == "ok", old, new, details)
            for ts, by, room, result, old, new, details in rows
        ]


async def _migrate(db: aiosqlite.Connection, path: Path) -> None:
    """Bring the schema to SCHEMA_VERSION; StorageError for corrupt or newer files."""
    try:
        await db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode a commit is then written, not flushed to disk: a crash of the bot loses
        # nothing, a power cut at most the last claims (a reply sent again carries the same
        # transaction id, which the homeserver drops). Saves an fsync per claim.
        await db.execute("PRAGMA synchronous=NORMAL")
        async with db.execute("PRAGMA quick_check") as cursor:
            check = await cursor.fetchone()
        if check is None or check[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {check[0] if check else 'no result'}")
        await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        async with db.execute("SELECT version FROM schema_version") as cursor:
            row = await cursor.fetchone()
        version = 0 if row is None else int(row[0])
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{path} was written by a newer recbot (schema version {version}, this one knows up to "
                f"{SCHEMA_VERSION}); upgrade recbot or use another data directory"
            )
        if row is None:
            await db.execute("INSERT INTO schema_version (version) VALUES (0)")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            await db.executescript(
                "BEGIN;\n" + MIGRATIONS[target - 1] + f"\nUPDATE schema_version SET version = {target};\nCOMMIT;"
            )
        await db.commit()
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{path} is not a usable SQLite database ({exc}); move it away to start afresh") from None


def _restrict(path: Path) -> None:
    """Make the database and its WAL side files owner-only (they hold the access token)."""
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate.exists():
            candidate.chmod(0o600)
