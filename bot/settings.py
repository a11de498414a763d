"""Per-room settings set by moderators (``!set language en``, ``!instel autoanswer aan``,
``!set collect on``): parsing, the in-memory copy kept in step with the database, and the
auto-answer rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from knowledge.engine import Answer
from knowledge.model import SITE_LANGS
from knowledge.text import normalize, tokens

from .storage import Storage

#: Auto-answer replies only when the engine is at least this sure.
AUTO_CONFIDENCE = 0.8

_KEYS = {
    "language": "language",
    "lang": "language",
    "taal": "language",
    "autoanswer": "autoanswer",
    "auto-answer": "autoanswer",
    "auto": "autoanswer",
    "autoantwoord": "autoanswer",
    "automatisch": "autoanswer",
    "collect": "collect",
    "verzamel": "collect",
    "verzamelen": "collect",
}
_LANGUAGES = {
    "nl": "nl", "nederlands": "nl", "dutch": "nl", "en": "en", "engels": "en", "english": "en",
    **{code.lower(): code for code in SITE_LANGS},  # "zh-hant" as typed, "zh-Hant" as stored
}
_SWITCH = {
    "on": True,
    "aan": True,
    "yes": True,
    "ja": True,
    "true": True,
    "off": False,
    "uit": False,
    "no": False,
    "nee": False,
    "false": False,
}


@dataclass(frozen=True)
class RoomSettings:
    language: str | None = None  # None: the configured bot.default_language
    autoanswer: bool = False
    collect: bool = False  # keep the questions the bot could not answer (for ``!unanswered``)


@dataclass(frozen=True)
class Setting:
    """One change asked for: ``language`` (a site language code: "nl", "en", "fr", "zh-Hant", …),
    ``autoanswer`` or ``collect`` (bool)."""

    key: str
    value: str | bool


def parse_setting(args: str) -> Setting | None:
    """The setting in ``!set`` arguments ("language en", "taal nl", "autoanswer aan"),
    English or Dutch; None if they are missing or invalid."""
    words = tokens(normalize(args))
    if len(words) != 2 or words[0] not in _KEYS:
        return None
    key, value = _KEYS[words[0]], words[1]
    if key == "language" and value in _LANGUAGES:
        return Setting(key, _LANGUAGES[value])
    if key in ("autoanswer", "collect") and value in _SWITCH:
        return Setting(key, _SWITCH[value])
    return None


def applied(settings: RoomSettings, setting: Setting) -> RoomSettings:
    """``settings`` with ``setting`` changed."""
    return replace(settings, **{setting.key: setting.value})


class RoomSettingsBook:
    """Every room's settings in memory (read once at start), written through to storage."""

    def __init__(self) -> None:
        self._rooms: dict[str, RoomSettings] = {}
        self._storage: Storage | None = None

    async def load(self, storage: Storage) -> None:
        """Read the stored settings; later changes are saved to ``storage``."""
        rows = await storage.room_settings()
        self._rooms = {room_id: RoomSettings(*row) for room_id, row in rows.items()}
        self._storage = storage

    def get(self, room_id: str) -> RoomSettings:
        return self._rooms.get(room_id, RoomSettings())

    async def change(self, room_id: str, setting: Setting, by: str) -> RoomSettings:
        """Apply and save ``setting`` for ``room_id`` (by moderator ``by``)."""
        assert self._storage is not None, "settings are not loaded"
        settings = applied(self.get(room_id), setting)
        await self._storage.save_room_settings(
            room_id, settings.language, settings.autoanswer, by, collect=settings.collect
        )
        self._rooms[room_id] = settings
        return settings


def confident(answer: Answer) -> bool:
    """Whether an auto-answer may be given: a real answer the engine is sure of (app support
    questions and things it does not know are left to the people in the room)."""
    return answer.intent not in ("none", "help", "support") and answer.confidence >= AUTO_CONFIDENCE
