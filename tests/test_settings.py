"""Room settings: parsing ``!set`` in English and Dutch, persistence, the auto-answer rule."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.settings import (
    RoomSettings,
    RoomSettingsBook,
    Setting,
    applied,
    confident,
    parse_setting,
)
from bot.storage import DB_NAME, MIGRATIONS, SCHEMA_VERSION, Storage
from knowledge.engine import Answer, Engine


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("language en", Setting("language", "en")),
        ("taal nl", Setting("language", "nl")),
        ("Language  English", Setting("language", "en")),
        ("taal Nederlands", Setting("language", "nl")),
        ("autoanswer on", Setting("autoanswer", True)),
        ("autoanswer aan", Setting("autoanswer", True)),
        ("auto-answer uit", Setting("autoanswer", False)),
        ("autoantwoord off", Setting("autoanswer", False)),
        ("collect on", Setting("collect", True)),
        ("verzamel uit", Setting("collect", False)),
    ],
)
def test_valid_settings(args: str, expected: Setting) -> None:
    assert parse_setting(args) == expected


@pytest.mark.parametrize(
    "args", ["", "language", "language de", "autoanswer maybe", "colour blue", "language en please", "on autoanswer"]
)
def test_missing_or_invalid_settings(args: str) -> None:
    assert parse_setting(args) is None


def test_applied_changes_one_setting() -> None:
    settings = applied(RoomSettings(), Setting("autoanswer", True))
    assert settings == RoomSettings(None, True)
    assert applied(settings, Setting("language", "en")) == RoomSettings("en", True)


@pytest.mark.asyncio
async def test_settings_are_kept_across_a_reopen(tmp_path: Path) -> None:
    storage = await Storage.open(tmp_path)
    book = RoomSettingsBook()
    await book.load(storage)
    assert book.get("!r:x") == RoomSettings()
    await book.change("!r:x", Setting("language", "en"), "@mod:x")
    await book.change("!r:x", Setting("autoanswer", True), "@mod:x")
    await storage.close()
    storage = await Storage.open(tmp_path)
    try:
        reread = RoomSettingsBook()
        await reread.load(storage)
        assert reread.get("!r:x") == RoomSettings("en", True)
        assert reread.get("!other:x") == RoomSettings()
    finally:
        await storage.close()


def test_auto_answers_only_when_confident(engine: Engine) -> None:
    def answer(text: str) -> Answer:
        return engine.answer(text, default_lang="en")

    assert confident(answer("which messengers work without a phone number?"))
    assert confident(answer("what is briar?"))
    assert not confident(answer("hallo allemaal"))
    assert not confident(answer("I sent you a signal yesterday"))
    assert not confident(answer("!help"))


@pytest.mark.asyncio
async def test_a_database_from_before_settings_is_migrated(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version (version) VALUES (1)")
        db.execute("INSERT INTO state (key, value) VALUES ('sync_token', 's9')")
    storage = await Storage.open(tmp_path)
    try:
        assert await storage.sync_token() == "s9"
        assert await storage.room_settings() == {}
        assert await storage.refreshes(5) == []
    finally:
        await storage.close()
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        assert db.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.asyncio
async def test_a_database_with_room_settings_keeps_them_and_gets_the_feedback_tables(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.executescript(MIGRATIONS[0] + MIGRATIONS[1])
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version (version) VALUES (2)")
        db.execute(
            "INSERT INTO room_settings (room_id, language, autoanswer, changed_by, ts) VALUES ('!r:x', 'en', 1, '@m:x', 1)"
        )
    storage = await Storage.open(tmp_path)
    try:
        assert await storage.room_settings() == {"!r:x": ("en", True, False)}
        assert await storage.feedback(None) == [] and await storage.unanswered(None) == []
        await storage.add_unanswered("!r:x", "what is the weather")
        assert [text for _, _, text in await storage.unanswered("!r:x")] == ["what is the weather"]
    finally:
        await storage.close()


@pytest.mark.asyncio
async def test_room_settings_keep_their_rows_and_take_the_nine_languages(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.executescript(MIGRATIONS[0] + MIGRATIONS[1] + MIGRATIONS[2])
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version (version) VALUES (3)")
        db.execute(
            "INSERT INTO room_settings (room_id, language, autoanswer, changed_by, ts, collect)"
            " VALUES ('!r:x', 'en', 1, '@m:x', 1, 1)"
        )
    storage = await Storage.open(tmp_path)
    try:
        assert await storage.room_settings() == {"!r:x": ("en", True, True)}
        await storage.save_room_settings("!z:x", "zh-Hant", False, "@m:x")
        await storage.save_room_settings("!h:x", "he", True, "@m:x", collect=True)
        settings = await storage.room_settings()
        assert settings["!z:x"] == ("zh-Hant", False, False) and settings["!h:x"] == ("he", True, True)
        with pytest.raises(sqlite3.IntegrityError):
            await storage.save_room_settings("!d:x", "de", False, "@m:x")
    finally:
        await storage.close()
