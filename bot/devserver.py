"""A throwaway local Synapse homeserver for the integration tests and ``recbot demo``.

The server runs as a child process (``python -m synapse.app.homeserver``) bound to
127.0.0.1, with SQLite storage and everything it writes kept in one data directory.
It never talks to the network: federation is off and no key servers are trusted.

This module only needs the standard library; matrix-synapse itself is needed only
when a server is started (``pip install 'recbot[synapse]'``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import IO, Any

__all__ = ["DevServerError", "LocalSynapse", "log_tail"]

#: Rate limit used for everything the tests hit hard (effectively unlimited).
_UNLIMITED: dict[str, float] = {"per_second": 10_000, "burst_count": 100_000}
#: Lines of the server's log quoted in errors.
_LOG_TAIL_LINES = 40


class DevServerError(RuntimeError):
    """The local homeserver could not be started, stopped or used."""


def _free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_in_use(port: int) -> bool:
    """Whether something already listens on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option Twisted sets, so a port in TIME_WAIT counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def log_tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of the text file at ``path`` (for error messages)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return "".join(deque(fh, maxlen=lines))
    except OSError as exc:
        return f"(log unreadable: {exc})"


def _write_secret(path: Path, text: str) -> None:
    """Create ``path`` (owner-only) holding ``text``, unless it already exists."""
    if path.exists():
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


class LocalSynapse:
    """One Synapse homeserver process on 127.0.0.1 with its state in ``data_dir``.

    The secrets (signing key, registration shared secret, macaroon key) are made on
    the first start and kept; ``homeserver.yaml`` is rewritten from the current
    settings on every start. The port is chosen once per instance, so a server
    restarted with :meth:`stop` and :meth:`start` comes back at the same address.
    """

    def __init__(
        self,
        data_dir: str | Path,
        *,
        port: int | None = None,
        server_name: str = "localhost",
        rc_message_per_second: float | None = None,
        rc_message_burst: int | None = None,
        default_rate_limits: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.server_name = server_name
        self.port = port if port is not None else _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.rc_message_per_second = rc_message_per_second
        self.rc_message_burst = rc_message_burst
        #: Keep Synapse's own rate limits (a benchmark's realism) instead of lifting them.
        self.default_rate_limits = default_rate_limits
        self._admin_token: str | None = None
        self.config_path = self.data_dir / "homeserver.yaml"
        #: Synapse's stdout, stderr and log records (WARNING and up), appended to.
        self.log_path = self.data_dir / "homeserver.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 60) -> None:
        """Write the config, spawn Synapse and wait until its client API answers."""
        if self.running:
            raise DevServerError(f"Synapse is already running at {self.base_url}")
        if importlib.util.find_spec("synapse") is None:
            raise DevServerError(
                "matrix-synapse is not installed: pip install 'recbot[synapse]'"
            )
        if _port_in_use(self.port):
            raise DevServerError(f"port {self.port} on 127.0.0.1 is already in use")
        self._write_config()
        self._log_file = open(self.log_path, "ab")
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "-c",
                str(self.config_path),
            ],
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 15) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``); keep its data."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def restart(self, timeout: float = 60) -> None:
        """Stop the server and start it again (same port, same data)."""
        self.stop()
        self.start(timeout)

    def set_rate_limits(
        self, rc_message_per_second: float | None, rc_message_burst: int | None
    ) -> None:
        """Set the ``rc_message`` limit (``None``: unlimited); restart if running."""
        self.rc_message_per_second = rc_message_per_second
        self.rc_message_burst = rc_message_burst
        if self.running:
            self.restart()

    def __enter__(self) -> LocalSynapse:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- users -------------------------------------------------------------------

    def register_user(
        self, localpart: str, password: str, *, admin: bool = False
    ) -> tuple[str, str]:
        """Create a user with the shared-secret admin API; return (user_id, token)."""
        secret = (self.data_dir / "registration_shared_secret").read_bytes()
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        signed = (nonce, localpart, password, "admin" if admin else "notadmin")
        mac = hmac.new(secret, "\x00".join(signed).encode("utf-8"), hashlib.sha1)
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        reply = self._request("POST", "/_synapse/admin/v1/register", body)
        return reply["user_id"], reply["access_token"]

    # -- internals ---------------------------------------------------------------

    def _write_config(self) -> None:
        """Create the data dir and secrets if missing; (re)write the config files."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "media_store").mkdir(exist_ok=True)
        # An ed25519 signing key file holds the unpadded base64 of a 32-byte seed.
        seed = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        key_id = "a_" + secrets.token_hex(2)
        _write_secret(self.data_dir / "signing.key", f"ed25519 {key_id} {seed}\n")
        _write_secret(
            self.data_dir / "registration_shared_secret", secrets.token_hex(32)
        )
        _write_secret(self.data_dir / "macaroon_secret_key", secrets.token_hex(32))

        log_config = {
            "version": 1,
            "formatters": {
                "precise": {
                    "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s"
                    " - %(request)s - %(message)s"
                }
            },
            # stderr goes to log_path, so start-up crashes land in the same file.
            "handlers": {
                "console": {"class": "logging.StreamHandler", "formatter": "precise"}
            },
            "root": {"level": "WARNING", "handlers": ["console"]},
            "disable_existing_loggers": False,
        }
        log_config_path = self.data_dir / "log_config.yaml"
        log_config_path.write_text(json.dumps(log_config, indent=2) + "\n")
        # JSON is YAML, so no YAML writer is needed.
        self.config_path.write_text(
            json.dumps(self._config(log_config_path), indent=2) + "\n"
        )

    def exempt_from_rate_limits(self, user_id: str) -> None:
        """Lift every rate limit for ``user_id`` (Synapse's admin API), e.g. for the users
        that set up a benchmark on a server with its default limits."""
        if self._admin_token is None:
            password = secrets.token_urlsafe(16)
            _, self._admin_token = self.register_user(f"devadmin_{secrets.token_hex(4)}", password, admin=True)
        path = f"/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit"
        self._request("POST", path, {"messages_per_second": 0, "burst_count": 0}, token=self._admin_token)

    def _config(self, log_config_path: Path) -> dict[str, Any]:
        """The homeserver.yaml contents for the current settings."""
        config = self._config_lifted(log_config_path)
        if self.default_rate_limits:  # registration and login stay free: they only set up users
            for key in [key for key in config if key.startswith("rc_") and key not in ("rc_registration", "rc_login")]:
                del config[key]
        return config

    def _config_lifted(self, log_config_path: Path) -> dict[str, Any]:
        """The homeserver.yaml contents with the rate limits lifted."""
        data = self.data_dir
        rc_message = dict(_UNLIMITED)
        if self.rc_message_per_second is not None:
            rc_message["per_second"] = self.rc_message_per_second
        if self.rc_message_burst is not None:
            rc_message["burst_count"] = self.rc_message_burst
        return {
            "server_name": self.server_name,
            "public_baseurl": self.base_url + "/",
            "pid_file": str(data / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(data / "homeserver.db")},
            },
            "media_store_path": str(data / "media_store"),
            "log_config": str(log_config_path),
            "signing_key_path": str(data / "signing.key"),
            "macaroon_secret_key_path": str(data / "macaroon_secret_key"),
            "registration_shared_secret_path": str(data / "registration_shared_secret"),
            "enable_registration": False,
            # Password hashing dominates register/login time at the default of 12.
            "bcrypt_rounds": 4,
            "report_stats": False,
            "enable_metrics": False,
            "url_preview_enabled": False,
            "presence": {"enabled": False},
            # Fully offline: no key servers, no federation with anyone.
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "rc_message": rc_message,
            "rc_registration": _UNLIMITED,
            "rc_login": {
                "address": _UNLIMITED,
                "account": _UNLIMITED,
                "failed_attempts": _UNLIMITED,
            },
            "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
            "rc_joins_per_room": _UNLIMITED,
            "rc_invites": {
                "per_room": _UNLIMITED,
                "per_user": _UNLIMITED,
                "per_issuer": _UNLIMITED,
            },
            "rc_room_creation": _UNLIMITED,
            "rc_key_requests": _UNLIMITED,
            "rc_admin_redaction": _UNLIMITED,
            "rc_3pid_validation": _UNLIMITED,
            "rc_media_create": _UNLIMITED,
            "rc_delayed_event_mgmt": _UNLIMITED,
            "rc_reports": _UNLIMITED,
            "rc_user_directory": _UNLIMITED,
            "rc_profile": _UNLIMITED,
            "rc_presence": {"per_user": _UNLIMITED},
        }

    def _wait_ready(self, timeout: float) -> None:
        """Poll the client API until it answers 200, the process dies, or timeout."""
        deadline = time.monotonic() + timeout
        url = self.base_url + "/_matrix/client/versions"
        while True:
            assert self._proc is not None
            code = self._proc.poll()
            if code is not None:
                raise DevServerError(
                    f"Synapse exited with code {code} while starting; "
                    f"last lines of {self.log_path}:\n{self._log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise DevServerError(
                    f"Synapse did not answer at {url} within {timeout:g}s; "
                    f"last lines of {self.log_path}:\n{self._log_tail()}"
                )
            time.sleep(0.1)

    def _log_tail(self) -> str:
        """The last lines of the server's log file."""
        return log_tail(self.log_path, _LOG_TAIL_LINES)

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """Send one JSON request to the server and return the decoded reply."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                reply: dict[str, Any] = json.load(resp)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", errors="replace")
            raise DevServerError(
                f"{method} {path} failed: {exc.code} {detail}"
            ) from exc
        except urllib.error.URLError as exc:
            raise DevServerError(f"{method} {path} failed: {exc.reason}") from exc
        return reply
