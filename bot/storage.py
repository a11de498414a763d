"""The bot's own SQLite database in ``data_dir``: login, sync token, answered events,
the answers sent (for edits, redactions and feedback), votes, unanswered questions, room
settings and the audit trail of knowledge refreshes.

One aiosqlite connection in WAL mode. The schema is versioned (table
``schema_version``) and migrated forward at open; a database written by a newer
recbot, or a file that is not a database, raises :class:`StorageError` with a
message fit for the operator instead of a traceback.

Answering is idempotent through *claims*: an event id is claimed before the reply is
sent (status ``pending``), marked ``answered`` after the send succeeded and released
if the send failed, so a restart from an older sync token never answers twice.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite

DB_NAME = "recbot.db"
#: Unanswered questions kept per room, and for how long.
UNANSWERED_PER_ROOM = 50
UNANSWERED_RETENTION_MS = 14 * 24 * 3600 * 1000
#: Characters of an unanswered question kept.
UNANSWERED_MAX_CHARS = 500
#: Answer records kept at most (the newest), whatever their age.
MAX_ANSWERS = 100_000
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
    # 3: answers sent (which question, which reply), votes on them, unanswered questions.
    """
    CREATE TABLE answers (
        question_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        answer_id TEXT NOT NULL UNIQUE,
        asker TEXT NOT NULL,
        question_ts INTEGER NOT NULL,
        intent TEXT NOT NULL,
        entries TEXT NOT NULL,
        digest TEXT NOT NULL,
        removed INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
        ts INTEGER NOT NULL
    );
    CREATE INDEX answers_ts ON answers (ts);
    CREATE TABLE votes (
        answer_id TEXT NOT NULL,
        voter TEXT NOT NULL,
        reaction TEXT NOT NULL UNIQUE,
        value INTEGER NOT NULL CHECK (value IN (-1, 1)),
        ts INTEGER NOT NULL,
        PRIMARY KEY (answer_id, voter)
    );
    CREATE TABLE unanswered (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        room_id TEXT NOT NULL,
        text TEXT NOT NULL,
        ts INTEGER NOT NULL
    );
    CREATE INDEX unanswered_room ON unanswered (room_id, id);
    ALTER TABLE room_settings ADD COLUMN collect INTEGER NOT NULL DEFAULT 0;
    """,
    # 4: a room's language may be any of the nine Privacy Guides languages (SQLite cannot alter
    # a CHECK, so the table is rebuilt with its rows).
    """
    CREATE TABLE room_settings_new (
        room_id TEXT PRIMARY KEY,
        language TEXT CHECK (language IN ('nl', 'en', 'es', 'fr', 'he', 'it', 'ru', 'zh-Hant', 'zh-TW')),
        autoanswer INTEGER NOT NULL CHECK (autoanswer IN (0, 1)),
        changed_by TEXT NOT NULL,
        ts INTEGER NOT NULL,
        collect INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO room_settings_new (room_id, language, autoanswer, changed_by, ts, collect)
        SELECT room_id, language, autoanswer, changed_by, ts, collect FROM room_settings;
    DROP TABLE room_settings;
    ALTER TABLE room_settings_new RENAME TO room_settings;
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


@dataclass(frozen=True)
class AnswerRecord:
    """An answer the bot sent: to which question, about what, still standing or removed."""

    question_id: str
    room_id: str
    answer_id: str
    asker: str  # salted hash of who asked
    question_ts: int
    intent: str
    entries: tuple[str, ...]
    digest: str  # of the reply's text
    removed: bool = False


@dataclass(frozen=True)
class FeedbackRow:
    """Votes on one answer."""

    room_id: str
    answer_id: str
    intent: str
    entries: tuple[str, ...]
    up: int
    down: int


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
        self._salt_bytes: bytes | None = None  # see _salt

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

    async def room_settings(self) -> dict[str, tuple[str | None, bool, bool]]:
        """Every room's settings: room id -> (language or None, autoanswer, collect)."""
        async with self._db.execute("SELECT room_id, language, autoanswer, collect FROM room_settings") as cursor:
            rows = await cursor.fetchall()
        return {str(room): (language, bool(auto), bool(collect)) for room, language, auto, collect in rows}

    async def save_room_settings(
        self, room_id: str, language: str | None, autoanswer: bool, changed_by: str, collect: bool = False
    ) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO room_settings (room_id, language, autoanswer, collect, changed_by, ts)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (room_id, language, int(autoanswer), int(collect), changed_by, _now_ms()),
        )
        if not collect:
            await self._db.execute("DELETE FROM unanswered WHERE room_id = ?", (room_id,))
        await self._db.commit()

    # -- answers, votes and unanswered questions ------------------------------------------

    async def _salt(self) -> bytes:
        """The secret that salts hashes of user and event ids (made once, kept here only; read
        from the database once per Storage, since it never changes)."""
        if self._salt_bytes is not None:
            return self._salt_bytes
        async with self._db.execute("SELECT value FROM state WHERE key = 'salt'") as cursor:
            row = await cursor.fetchone()
        if row is None:
            await self._db.execute(
                "INSERT OR IGNORE INTO state (key, value) VALUES ('salt', ?)", (secrets.token_hex(32),)
            )
            await self._db.commit()
            return await self._salt()
        self._salt_bytes = bytes.fromhex(str(row[0]))
        return self._salt_bytes

    async def pseudonym(self, value: str) -> str:
        """A salted hash of ``value`` (a user or event id): the same for the same value,
        telling nothing about it without the salt."""
        return hmac.new(await self._salt(), value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    async def record_answer(self, record: AnswerRecord) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO answers (question_id, room_id, answer_id, asker, question_ts, intent, entries,"
            " digest, removed, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.question_id,
                record.room_id,
                record.answer_id,
                record.asker,
                record.question_ts,
                record.intent,
                ",".join(record.entries),
                record.digest,
                int(record.removed),
                _now_ms(),
            ),
        )
        await self._db.commit()

    async def answer_to(self, question_id: str) -> AnswerRecord | None:
        """The answer sent to ``question_id``, if any (also when it was removed)."""
        return await self._answer_where("question_id", question_id)

    async def answer(self, answer_id: str) -> AnswerRecord | None:
        """The record of the bot's answer event ``answer_id``, if it is one."""
        return await self._answer_where("answer_id", answer_id)

    async def _answer_where(self, column: str, value: str) -> AnswerRecord | None:
        async with self._db.execute(
            "SELECT question_id, room_id, answer_id, asker, question_ts, intent, entries, digest, removed"
            f" FROM answers WHERE {column} = ?",
            (value,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        question, room, answer, asker, ts, intent, entries, digest, removed = row
        return AnswerRecord(
            question, room, answer, asker, ts, intent, tuple(e for e in entries.split(",") if e), digest, bool(removed)
        )

    async def mark_removed(self, answer_id: str) -> None:
        """The answer was redacted: it is never sent (or edited) again; its votes go."""
        await self._db.execute("UPDATE answers SET removed = 1 WHERE answer_id = ?", (answer_id,))
        await self._db.execute("DELETE FROM votes WHERE answer_id = ?", (answer_id,))
        await self._db.commit()

    async def vote(self, answer_id: str, voter: str, reaction: str, value: int) -> bool:
        """Count ``voter``'s vote on ``answer_id`` (pseudonyms), once: False if they voted."""
        cursor = await self._db.execute(
            "INSERT OR IGNORE INTO votes (answer_id, voter, reaction, value, ts) VALUES (?, ?, ?, ?, ?)",
            (answer_id, voter, reaction, value, _now_ms()),
        )
        await self._db.commit()
        return cursor.rowcount == 1

    async def unvote(self, reaction: str) -> bool:
        """Take back the vote cast by reaction ``reaction`` (a pseudonym); False if none."""
        cursor = await self._db.execute("DELETE FROM votes WHERE reaction = ?", (reaction,))
        await self._db.commit()
        return cursor.rowcount == 1

    async def feedback(self, room_id: str | None, limit: int = 500) -> list[FeedbackRow]:
        """Votes per answer (in ``room_id``, or every room for None), lowest score first."""
        where, args = ("AND a.room_id = ?", (room_id,)) if room_id is not None else ("", ())
        async with self._db.execute(
            "SELECT a.room_id, a.answer_id, a.intent, a.entries,"
            " SUM(v.value = 1), SUM(v.value = -1) FROM answers a JOIN votes v ON v.answer_id = a.answer_id"
            f" WHERE a.removed = 0 {where} GROUP BY a.answer_id ORDER BY SUM(v.value), a.ts LIMIT ?",
            (*args, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            FeedbackRow(room, answer, intent, tuple(e for e in entries.split(",") if e), int(up), int(down))
            for room, answer, intent, entries, up, down in rows
        ]

    async def add_unanswered(self, room_id: str, text: str) -> None:
        """Keep an unanswered question's text (no sender) among the room's newest few."""
        now = _now_ms()
        await self._db.execute(
            "INSERT INTO unanswered (room_id, text, ts) VALUES (?, ?, ?)", (room_id, text[:UNANSWERED_MAX_CHARS], now)
        )
        await self._db.execute(
            "DELETE FROM unanswered WHERE room_id = ? AND id NOT IN"
            " (SELECT id FROM unanswered WHERE room_id = ? ORDER BY id DESC LIMIT ?)",
            (room_id, room_id, UNANSWERED_PER_ROOM),
        )
        await self._db.commit()

    async def unanswered(self, room_id: str | None) -> list[tuple[str, int, str]]:
        """(room id, ts, text) of the kept unanswered questions, newest first (one room,
        or every room for None), none older than the retention."""
        await self.prune_unanswered(_now_ms())
        where, args = ("WHERE room_id = ?", (room_id,)) if room_id is not None else ("", ())
        async with self._db.execute(
            f"SELECT room_id, ts, text FROM unanswered {where} ORDER BY id DESC LIMIT ?",
            (*args, UNANSWERED_PER_ROOM if room_id is not None else 4 * UNANSWERED_PER_ROOM),
        ) as cursor:
            rows = await cursor.fetchall()
        return [(str(room), int(ts), str(text)) for room, ts, text in rows]

    async def prune_unanswered(self, now_ms: int, retention_ms: int = UNANSWERED_RETENTION_MS) -> int:
        cursor = await self._db.execute("DELETE FROM unanswered WHERE ts < ?", (now_ms - retention_ms,))
        await self._db.commit()
        return cursor.rowcount

    async def prune_answers(self, older_than_ms: int, max_rows: int = MAX_ANSWERS) -> int:
        """Forget answers sent before ``older_than_ms`` or beyond the newest ``max_rows``,
        and their votes (feedback retention)."""
        old = "ts < ? OR rowid <= (SELECT MAX(rowid) FROM answers) - ?"
        await self._db.execute(
            f"DELETE FROM votes WHERE answer_id IN (SELECT answer_id FROM answers WHERE {old})",
            (older_than_ms, max_rows),
        )
        cursor = await self._db.execute(f"DELETE FROM answers WHERE {old}", (older_than_ms, max_rows))
        await self._db.commit()
        return cursor.rowcount

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
