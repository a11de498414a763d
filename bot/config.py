"""The bot's configuration: a YAML file, validated in full at start.

Every problem is reported with its dotted key ("matrix.homeserver: must be an http(s)
URL"), unknown keys included, and all problems are collected before raising
:class:`ConfigError`. Secrets (password, access token) never appear in reprs or errors;
the environment variables ``RECBOT_PASSWORD``, ``RECBOT_ACCESS_TOKEN`` and
``RECBOT_RECOVERY_KEY`` override them.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from knowledge.loading import FetchLimits, public_source
from knowledge.model import SITE_LANGS
from knowledge.yaml_safe import YamlError, load_bounded

from .secret_storage import SecretStorageError, decode_recovery_key

#: Reply languages a room may default to; one the loaded knowledge has no texts in reads Dutch.
LANGUAGES = SITE_LANGS
PASSWORD_ENV = "RECBOT_PASSWORD"
ACCESS_TOKEN_ENV = "RECBOT_ACCESS_TOKEN"
RECOVERY_KEY_ENV = "RECBOT_RECOVERY_KEY"

# A user id: "@localpart:server", server a hostname, IPv4 or [IPv6] with an optional port.
_SERVER = r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?"
_USER_ID_RE = re.compile(r"@[^\s:]+:" + _SERVER)
_SERVER_SUFFIX_RE = re.compile(":" + _SERVER)
_MAX_RATE = 10_000
_ROOM_ID_RE = re.compile(r"![^\s:]+(?::" + _SERVER + ")?")  # room version 12: no server part
#: knowledge.refresh_every: shortest and longest interval (seconds); tests go below the minimum
#: only through ``Tuning.refresh_every_s``, never through the configuration.
MIN_REFRESH_EVERY_S = 15 * 60
MAX_REFRESH_EVERY_S = 30 * 24 * 3600
_DURATION_RE = re.compile(r"(\d{1,6})\s*([smhdw])")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_REPORT_ROOMS = 20
_MAX_POWER_LEVEL = 100

T = TypeVar("T")


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists ``(dotted key, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = list(problems)
        super().__init__("\n".join(f"{key}: {message}" if key else message for key, message in self.problems))


@dataclass(frozen=True)
class MatrixConfig:
    homeserver: str
    user_id: str
    device_id: str
    password: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)
    #: Opens the account's Secret Storage (cross-signing); see bot/crosssign.py.
    recovery_key: str = field(default="", repr=False)


@dataclass(frozen=True)
class StorageConfig:
    data_dir: Path


@dataclass(frozen=True)
class BotConfig:
    command_prefix: str = "!"
    default_language: str = "nl"
    autojoin: bool = True
    allowed_inviters: tuple[str, ...] = ()
    max_event_age: int = 600
    source_url: str = ""  # where the bot's source code is (shown by !about); "": not given
    feedback_days: int = 90  # answers and their votes are kept this many days


@dataclass(frozen=True)
class ModerationConfig:
    power_level: int = 50
    admins: tuple[str, ...] = ()  # moderation.admins
    users: tuple[str, ...] = ()  # the older name of the same list; both are merged into each
    report_rooms: tuple[str, ...] = ()  # room ids that get each refresh's changes

    def __post_init__(self) -> None:
        merged = tuple(dict.fromkeys((*self.admins, *self.users)))
        object.__setattr__(self, "admins", merged)
        object.__setattr__(self, "users", merged)


@dataclass(frozen=True)
class KnowledgeConfig:
    sources: tuple[str, ...] = ()
    fetch_timeout: float = 20.0  # seconds for one whole fetch of a URL source
    archive_max_mb: int = 200  # size cap of one fetched archive source (the site's tarballs)
    refresh_every: int = 0  # seconds between scheduled refreshes; 0: off
    archive_timeout: float = 300.0  # seconds for one whole download of an archive source

    @property
    def archive_max_bytes(self) -> int:
        return self.archive_max_mb * 1024 * 1024

    @property
    def fetch_limits(self) -> FetchLimits:
        """The bounds every fetch of the sources keeps."""
        return FetchLimits(self.fetch_timeout, self.archive_timeout, self.archive_max_bytes)


@dataclass(frozen=True)
class LimitsConfig:
    user_per_minute: int = 10
    room_per_minute: int = 30


@dataclass(frozen=True)
class MetricsConfig:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 9464


@dataclass(frozen=True)
class Config:
    matrix: MatrixConfig
    storage: StorageConfig
    bot: BotConfig
    moderation: ModerationConfig
    knowledge: KnowledgeConfig
    limits: LimitsConfig
    metrics: MetricsConfig = MetricsConfig()

    def summary(self) -> list[str]:
        """Human-readable lines describing the settings, without secrets."""
        m, b = self.matrix, self.bot
        login = "access token" if m.access_token else "password"
        inviters = ", ".join(b.allowed_inviters) or "anyone"
        return [
            f"homeserver: {m.homeserver}",
            f"user: {m.user_id} (device {m.device_id}, first login with {login})",
            f"data directory: {self.storage.data_dir}",
            f"command prefix: {b.command_prefix}   language: {b.default_language}   max event age: {b.max_event_age}s",
            f"autojoin: {'yes' if b.autojoin else 'no'}   allowed inviters: {inviters}",
            f"admins: {len(self.moderation.admins)} user(s); room moderators: power level >= {self.moderation.power_level}",
            f"knowledge sources: {', '.join(public_source(s) for s in self.knowledge.sources) or 'bundled'}"
            f" (fetch timeout {self.knowledge.fetch_timeout:g}s, archives {self.knowledge.archive_timeout:g}s)",
            f"scheduled refresh: {_duration(self.knowledge.refresh_every) if self.knowledge.refresh_every else 'off'}"
            f"   report rooms: {len(self.moderation.report_rooms)}",
            f"limits: {_rate(self.limits.user_per_minute)} per user, {_rate(self.limits.room_per_minute)} per room",
            f"metrics: {f'http://{self.metrics.host}:{self.metrics.port}' if self.metrics.enabled else 'off'}",
        ]


def _duration(seconds: int) -> str:
    """``21600`` as ``6h``, ``5400`` as ``1h30m``."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


def _rate(per_minute: int) -> str:
    return f"{per_minute}/min" if per_minute else "unlimited"


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the YAML file at ``path``; raise ConfigError listing every problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([("", f"cannot read the file: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise ConfigError([("", "the file is not UTF-8 text")]) from None
    try:
        data = load_bounded(text)
    except YamlError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise ConfigError([("", f"{where}invalid YAML: {exc.message}")]) from None
    return parse_config({} if data is None else data, env)


def parse_config(data: Any, env: Mapping[str, str] | None = None) -> Config:
    """Validate already-parsed YAML data (a mapping of sections); see :func:`load_config`."""
    reader = _Reader(os.environ if env is None else env)
    if not isinstance(data, dict):
        raise ConfigError([("", "the configuration must be a mapping of sections")])
    sections = reader.sections(data)
    config = Config(
        matrix=reader.matrix(sections["matrix"]),
        storage=StorageConfig(Path(reader.get(sections["storage"], "storage.data_dir", "./data", reader.nonblank))),
        bot=reader.bot(sections["bot"]),
        moderation=ModerationConfig(
            power_level=reader.get(sections["moderation"], "moderation.power_level", 50, reader.power_level),
            admins=reader.get(sections["moderation"], "moderation.admins", (), reader.user_ids),
            users=reader.get(sections["moderation"], "moderation.users", (), reader.user_ids),
            report_rooms=reader.get(sections["moderation"], "moderation.report_rooms", (), reader.room_ids),
        ),
        knowledge=KnowledgeConfig(
            reader.get(sections["knowledge"], "knowledge.sources", (), reader.sources),
            reader.get(sections["knowledge"], "knowledge.fetch_timeout", 20.0, reader.fetch_timeout),
            reader.get(sections["knowledge"], "knowledge.archive_max_mb", 200, lambda v: reader.integer(v, 1, 2048)),
            reader.get(sections["knowledge"], "knowledge.refresh_every", 0, reader.refresh_every),
            reader.get(sections["knowledge"], "knowledge.archive_timeout", 300.0, lambda v: reader.seconds(v, 10, 3600)),
        ),
        limits=LimitsConfig(
            user_per_minute=reader.get(sections["limits"], "limits.user_per_minute", 10, reader.rate),
            room_per_minute=reader.get(sections["limits"], "limits.room_per_minute", 30, reader.rate),
        ),
        metrics=reader.metrics(sections["metrics"]),
    )
    if reader.problems:
        raise ConfigError(reader.problems)
    return config


_KEYS: dict[str, tuple[str, ...]] = {
    "matrix": ("homeserver", "user_id", "password", "access_token", "device_id", "recovery_key"),
    "storage": ("data_dir",),
    "bot": (
        "command_prefix",
        "default_language",
        "autojoin",
        "allowed_inviters",
        "max_event_age",
        "source_url",
        "feedback_days",
    ),
    "moderation": ("power_level", "admins", "users", "report_rooms"),
    "knowledge": ("sources", "fetch_timeout", "archive_timeout", "archive_max_mb", "refresh_every"),
    "limits": ("user_per_minute", "room_per_minute"),
    "metrics": ("enabled", "host", "port"),
}


class _Invalid(ValueError):
    """A value check failed; the message says what is wrong (never quoting secrets)."""


class _Reader:
    """Collects problems while converting the raw YAML into typed values."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.problems: list[tuple[str, str]] = []

    def sections(self, data: dict[Any, Any]) -> dict[str, dict[Any, Any]]:
        """Each known section as a dict (missing: empty); report unknown keys everywhere."""
        result: dict[str, dict[Any, Any]] = {}
        for key in data:
            if key not in _KEYS:
                self.problems.append((str(key), "unknown section"))
        for name, keys in _KEYS.items():
            section = data.get(name)
            if section is None:
                section = {}
            elif not isinstance(section, dict):
                self.problems.append((name, "must be a mapping"))
                section = {}
            for key in section:
                if key not in keys:
                    self.problems.append((f"{name}.{key}", "unknown key"))
            result[name] = section
        return result

    def get(self, section: dict[Any, Any], dotted: str, default: T, check: Callable[[Any], T]) -> T:
        """The checked value at ``dotted`` (``default`` if absent); problems are recorded."""
        key = dotted.rsplit(".", 1)[1]
        if section.get(key) is None:
            return default
        try:
            return check(section[key])
        except _Invalid as exc:
            self.problems.append((dotted, str(exc)))
            return default

    def matrix(self, section: dict[Any, Any]) -> MatrixConfig:
        homeserver = self.get(section, "matrix.homeserver", "", self.url)
        user_id = self.get(section, "matrix.user_id", "", self.user_id)
        for key in ("homeserver", "user_id"):
            if section.get(key) is None:
                self.problems.append((f"matrix.{key}", "is required"))
        password = self.env.get(PASSWORD_ENV) or self.get(section, "matrix.password", "", self.secret)
        token = self.env.get(ACCESS_TOKEN_ENV) or self.get(section, "matrix.access_token", "", self.secret)
        if not password and not token:
            self.problems.append(
                ("matrix.password", f"set a password or an access_token (or {PASSWORD_ENV} / {ACCESS_TOKEN_ENV})")
            )
        device_id = self.get(section, "matrix.device_id", "RECBOT", self.device_id)
        recovery_key = self.env.get(RECOVERY_KEY_ENV) or self.get(section, "matrix.recovery_key", "", self.secret)
        if recovery_key:
            try:
                decode_recovery_key(recovery_key)
            except SecretStorageError as exc:  # the message never quotes the key
                source = f" (from {RECOVERY_KEY_ENV})" if self.env.get(RECOVERY_KEY_ENV) else ""
                self.problems.append(("matrix.recovery_key", f"{exc}{source}"))
        return MatrixConfig(homeserver.rstrip("/"), user_id, device_id, password, token, recovery_key)

    def bot(self, section: dict[Any, Any]) -> BotConfig:
        return BotConfig(
            command_prefix=self.get(section, "bot.command_prefix", "!", self.prefix),
            default_language=self.get(section, "bot.default_language", "nl", self.language),
            autojoin=self.get(section, "bot.autojoin", True, self.boolean),
            allowed_inviters=self.get(section, "bot.allowed_inviters", (), self.inviters),
            max_event_age=self.get(section, "bot.max_event_age", 600, self.max_age),
            source_url=self.get(section, "bot.source_url", "", self.public_url),
            feedback_days=self.get(section, "bot.feedback_days", 90, lambda value: self.integer(value, 1, 3650)),
        )

    def metrics(self, section: dict[Any, Any]) -> MetricsConfig:
        return MetricsConfig(
            enabled=self.get(section, "metrics.enabled", False, self.boolean),
            host=self.get(section, "metrics.host", "127.0.0.1", self.nonblank),
            port=self.get(section, "metrics.port", 9464, self.port),
        )

    # -- value checks: return the typed value or raise _Invalid -------------------------

    @staticmethod
    def string(value: Any) -> str:
        if not isinstance(value, str):
            raise _Invalid(f"must be a string, not {_type_name(value)}")
        return value

    def nonblank(self, value: Any) -> str:
        text = self.string(value).strip()
        if not text:
            raise _Invalid("must not be empty")
        return text

    def secret(self, value: Any) -> str:
        if not isinstance(value, str):
            raise _Invalid(f"must be a string, not {_type_name(value)}")  # the value is never quoted
        return value.strip()

    def url(self, value: Any) -> str:
        text = self.nonblank(value)
        parts = urllib.parse.urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Invalid(f"must be an http(s) URL, not {text!r}")
        return text

    def public_url(self, value: Any) -> str:
        """An http(s) URL shown to everyone, no credentials in it; "" for none."""
        if value == "":
            return ""
        text = self.url(value)
        if urllib.parse.urlsplit(text).username is not None:
            raise _Invalid("must not contain credentials")
        return text

    def user_id(self, value: Any) -> str:
        text = self.nonblank(value)
        if not _USER_ID_RE.fullmatch(text):
            raise _Invalid(f"must be a Matrix user id like @name:example.org, not {text!r}")
        return text

    def user_ids(self, value: Any) -> tuple[str, ...]:
        return tuple(self._each(value, self.user_id))

    def room_id(self, value: Any) -> str:
        text = self.nonblank(value)
        if not _ROOM_ID_RE.fullmatch(text):
            raise _Invalid(f"must be a Matrix room id like !abc:example.org, not {text[:80]!r}")
        return text

    def room_ids(self, value: Any) -> tuple[str, ...]:
        rooms = tuple(dict.fromkeys(self._each(value, self.room_id)))
        if len(rooms) > MAX_REPORT_ROOMS:
            raise _Invalid(f"at most {MAX_REPORT_ROOMS} rooms, not {len(rooms)}")
        return rooms

    @staticmethod
    def refresh_every(value: Any) -> int:
        """A duration like ``6h``, ``1d``, ``1h30m`` (or ``off``/``0``: no schedule), in seconds."""
        if value is False or value == 0 or (isinstance(value, str) and value.strip().lower() in ("off", "0", "")):
            return 0
        if not isinstance(value, str):
            raise _Invalid(f"must be a duration like 6h or 1d (or off), not {_type_name(value)}")
        text = value.strip().lower()
        pieces = _DURATION_RE.findall(text)
        if not pieces or _DURATION_RE.sub("", text).strip():
            raise _Invalid(f"must be a duration like 30m, 6h, 1d or 1h30m (or off), not {value[:40]!r}")
        seconds = sum(int(number) * _DURATION_UNITS[unit] for number, unit in pieces)
        if not MIN_REFRESH_EVERY_S <= seconds <= MAX_REFRESH_EVERY_S:
            raise _Invalid(f"must be between 15m and 30d, not {value[:40]!r}")
        return seconds

    def device_id(self, value: Any) -> str:
        text = self.nonblank(value)
        if any(ch.isspace() for ch in text):
            raise _Invalid("must not contain whitespace")
        return text

    def prefix(self, value: Any) -> str:
        text = self.string(value)
        if not text or any(ch.isspace() for ch in text):
            raise _Invalid("must be a non-empty string without whitespace")
        return text

    def language(self, value: Any) -> str:
        text = self.string(value)
        if text not in LANGUAGES:
            raise _Invalid(f"must be one of {', '.join(LANGUAGES)}, not {text!r}")
        return text

    @staticmethod
    def boolean(value: Any) -> bool:
        if not isinstance(value, bool):
            raise _Invalid(f"must be true or false, not {_type_name(value)}")
        return value

    def inviter(self, value: Any) -> str:
        text = self.nonblank(value)
        if not (_USER_ID_RE.fullmatch(text) or _SERVER_SUFFIX_RE.fullmatch(text)):
            raise _Invalid(f"must be a user id (@name:server) or a server suffix (:server), not {text!r}")
        return text

    def inviters(self, value: Any) -> tuple[str, ...]:
        return tuple(self._each(value, self.inviter))

    def sources(self, value: Any) -> tuple[str, ...]:
        return tuple(self._each(value, self.nonblank))

    @staticmethod
    def integer(value: Any, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"must be an integer, not {_type_name(value)}")
        if not low <= value <= high:
            raise _Invalid(f"must be between {low} and {high}, not {value}")
        return value

    def max_age(self, value: Any) -> int:
        return self.integer(value, 1, 7 * 24 * 3600)

    @staticmethod
    def seconds(value: Any, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Invalid(f"must be a number of seconds, not {_type_name(value)}")
        if not low <= value <= high:
            raise _Invalid(f"must be between {low:g} and {high:g} seconds, not {value}")
        return float(value)

    def fetch_timeout(self, value: Any) -> float:
        return self.seconds(value, 1, 300)

    def power_level(self, value: Any) -> int:
        return self.integer(value, 0, _MAX_POWER_LEVEL)

    def rate(self, value: Any) -> int:
        return self.integer(value, 0, _MAX_RATE)

    def port(self, value: Any) -> int:
        return self.integer(value, 1, 65535)

    @staticmethod
    def _each(value: Any, check: Callable[[Any], str]) -> list[str]:
        if not isinstance(value, list):
            raise _Invalid(f"must be a list, not {_type_name(value)}")
        result = []
        for index, item in enumerate(value):
            try:
                result.append(check(item))
            except _Invalid as exc:
                raise _Invalid(f"item {index + 1}: {exc}") from None
        return result


def _type_name(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)
