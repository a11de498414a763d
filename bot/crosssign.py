"""Cross-signing the bot's own device, so that clients excluding insecure devices
(Element's MSC4153 mode) share room keys with it and show no red shield.

On every start, before the first sync, :func:`ensure_cross_signed` makes sure the
device is signed by the account's self-signing key:

- no identity on the account: make one (master, self-signing and user-signing Ed25519
  keys), keep the private keys in the account's Secret Storage under a new recovery
  key (shown once: one log line and ``recovery-key.txt`` in ``data_dir``), upload the
  public keys (``/keys/device_signing/upload``, user-interactive auth with the
  password when asked) and sign the device (``/keys/signatures/upload``);
- an identity that already signed this device: nothing to do (restarts);
- an identity without this device: with ``matrix.recovery_key`` read the self-signing
  key from Secret Storage and sign the device, else refuse to start
  (:class:`CrossSigningError`). An identity is only replaced on purpose
  (``recbot verify --reset``).

The result is confirmed with ``/keys/query``. Ed25519 comes from ``cryptography``,
canonical JSON from ``canonicaljson``; :mod:`bot.secret_storage` does the rest.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from canonicaljson import encode_canonical_json
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nio import AsyncClient, ErrorResponse

from . import secret_storage as ssss
from .config import Config
from .retry import TRANSIENT_EXCEPTIONS, describe, retrying
from .session import LoginError

log = logging.getLogger(__name__)

RECOVERY_KEY_FILE = "recovery-key.txt"
#: The account-data names of the three private keys in Secret Storage.
SECRET_NAMES = {
    "master": "m.cross_signing.master",
    "self_signing": "m.cross_signing.self_signing",
    "user_signing": "m.cross_signing.user_signing",
}
_CLIENT = "/_matrix/client/v3"
#: Longest response body read from the homeserver.
_MAX_BODY = 1 << 20


class CrossSigningError(LoginError):
    """The device cannot be cross-signed (so the bot does not start); the message names
    the setting to change and never contains a key."""


@dataclass(frozen=True)
class CrossSigningState:
    """Whether the device is cross-signed, and how that came about (for the log)."""

    cross_signed: bool
    detail: str


# -- keys and signatures ---------------------------------------------------------------


class SigningKey:
    """One Ed25519 cross-signing key (its seed is the private key in Secret Storage)."""

    def __init__(self, private: Ed25519PrivateKey):
        self._private = private
        raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        #: Unpadded base64 of the public key, as in key ids and key objects.
        self.public = ssss.b64encode(raw)
        self.key_id = f"ed25519:{self.public}"

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_secret(cls, secret: bytes) -> SigningKey:
        """From a Secret Storage secret: the base64 of the 32-byte seed."""
        seed = ssss.b64decode(secret.decode("ascii", errors="replace").strip())
        if len(seed) != 32:
            raise ssss.SecretStorageError("a cross-signing secret is not a 32-byte Ed25519 seed")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def secret(self) -> bytes:
        """The Secret Storage form of the private key: unpadded base64 of the seed."""
        seed = self._private.private_bytes_raw()
        return ssss.b64encode(seed).encode("ascii")

    def sign(self, obj: dict[str, Any], user_id: str) -> dict[str, Any]:
        """A copy of ``obj`` with this key's signature added (spec "Signing JSON":
        canonical JSON without ``signatures`` and ``unsigned``)."""
        signature = self._private.sign(_signable(obj))
        signed = dict(obj)
        signatures = {user: dict(sigs) for user, sigs in obj.get("signatures", {}).items()}
        signatures.setdefault(user_id, {})[self.key_id] = ssss.b64encode(signature)
        signed["signatures"] = signatures
        return signed

    def __repr__(self) -> str:  # never the private key
        return f"SigningKey({self.key_id})"


def _signable(obj: dict[str, Any]) -> bytes:
    return bytes(encode_canonical_json({k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}))


def verify_signature(obj: Any, user_id: str, public: str) -> bool:
    """Whether ``obj`` carries a valid signature by ``user_id``'s Ed25519 key ``public``
    (unpadded base64)."""
    if not isinstance(obj, dict):
        return False
    signature = obj.get("signatures", {}).get(user_id, {}).get(f"ed25519:{public}")
    if not isinstance(signature, str):
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(ssss.b64decode(public))
        key.verify(ssss.b64decode(signature), _signable(obj))
    except (InvalidSignature, ValueError, ssss.SecretStorageError):
        return False
    return True


def cross_signing_key(user_id: str, usage: str, key: SigningKey) -> dict[str, Any]:
    """The public key object of a cross-signing key (not yet signed)."""
    return {"user_id": user_id, "usage": [usage], "keys": {key.key_id: key.public}}


@dataclass(frozen=True)
class Identity:
    """A new cross-signing identity: the three keys and their signed key objects."""

    master: SigningKey
    self_signing: SigningKey
    user_signing: SigningKey

    @classmethod
    def generate(cls) -> Identity:
        return cls(SigningKey.generate(), SigningKey.generate(), SigningKey.generate())

    def upload_body(self, user_id: str) -> dict[str, Any]:
        """The body of ``/keys/device_signing/upload`` (the sub-keys signed by the master)."""
        return {
            "master_key": cross_signing_key(user_id, "master", self.master),
            "self_signing_key": self.master.sign(cross_signing_key(user_id, "self_signing", self.self_signing), user_id),
            "user_signing_key": self.master.sign(cross_signing_key(user_id, "user_signing", self.user_signing), user_id),
        }

    def keys(self) -> dict[str, SigningKey]:
        return {"master": self.master, "self_signing": self.self_signing, "user_signing": self.user_signing}


def published_key(key_object: Any, usage: str) -> str | None:
    """The public key (unpadded base64) of a published cross-signing key object."""
    if not isinstance(key_object, dict) or usage not in key_object.get("usage", []):
        return None
    keys = key_object.get("keys")
    if not isinstance(keys, dict) or len(keys) != 1:
        return None
    (key_id, public), = keys.items()
    return public if isinstance(public, str) and key_id == f"ed25519:{public}" else None


# -- talking to the homeserver -----------------------------------------------------------


class HttpError(ErrorResponse):
    """An error answer (a nio ErrorResponse, so :func:`retrying` knows 429 and 5xx),
    with its JSON body (the flows and session of a user-interactive-auth 401)."""

    body: dict[str, Any] = {}


class AccountApi:
    """The few client-server endpoints cross-signing needs (nio has none of them)."""

    def __init__(self, client: AsyncClient, stopping: asyncio.Event | None, attempts: int = 6):
        self.client = client
        self.stopping = stopping
        self.attempts = attempts
        self.user_id = str(client.user_id)

    async def _once(self, method: str, path: str, body: Any) -> dict[str, Any] | HttpError:
        headers = {"Authorization": f"Bearer {self.client.access_token}", "Content-Type": "application/json"}
        response = await self.client.send(method, path, None if body is None else json.dumps(body), headers)
        try:
            raw = await response.content.read(_MAX_BODY)
        finally:
            response.release()
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if response.status == 200:
            return data
        error = HttpError(
            str(data.get("error") or f"HTTP {response.status}"), data.get("errcode"), data.get("retry_after_ms")
        )
        error.transport_response = response
        error.body = data
        return error

    async def request(self, method: str, path: str, what: str, body: Any = None) -> dict[str, Any] | HttpError:
        """One request, retried with backoff while it fails transiently."""
        return await retrying(lambda: self._once(method, path, body), what, stopping=self.stopping, attempts=self.attempts)

    async def ok(self, method: str, path: str, what: str, body: Any = None) -> dict[str, Any]:
        response = await self.request(method, path, what, body)
        if isinstance(response, ErrorResponse):
            raise CrossSigningError(f"{what} failed: {describe(response)}")
        return response

    def _account_data_path(self, event_type: str) -> str:
        user = urllib.parse.quote(self.user_id, safe="")
        return f"{_CLIENT}/user/{user}/account_data/{urllib.parse.quote(event_type, safe='')}"

    async def account_data(self, event_type: str) -> dict[str, Any] | None:
        response = await self.request("GET", self._account_data_path(event_type), f"reading {event_type}")
        if isinstance(response, ErrorResponse):
            if response.status_code == "M_NOT_FOUND":
                return None
            raise CrossSigningError(f"reading {event_type} failed: {describe(response)}")
        return response

    async def set_account_data(self, event_type: str, content: dict[str, Any]) -> None:
        await self.ok("PUT", self._account_data_path(event_type), f"writing {event_type}", content)

    async def own_keys(self) -> dict[str, Any]:
        """``/keys/query`` for the bot's own user."""
        return await self.ok("POST", f"{_CLIENT}/keys/query", "querying the bot's keys", {"device_keys": {self.user_id: []}})


@dataclass(frozen=True)
class PublishedKeys:
    master: str | None
    self_signing: str | None
    device: dict[str, Any] | None


def published_keys(keys: dict[str, Any], user_id: str, device_id: str) -> PublishedKeys:
    device = keys.get("device_keys", {}).get(user_id, {}).get(device_id)
    return PublishedKeys(
        published_key(keys.get("master_keys", {}).get(user_id), "master"),
        published_key(keys.get("self_signing_keys", {}).get(user_id), "self_signing"),
        device if isinstance(device, dict) else None,
    )


# -- the procedure -----------------------------------------------------------------------


async def cross_sign_at_start(client: AsyncClient, config: Config, stopping: asyncio.Event) -> bool:
    """:func:`ensure_cross_signed` for ``recbot run``, logged; whether the device is
    cross-signed (CrossSigningError if it cannot be)."""
    try:
        state = await ensure_cross_signed(client, config, stopping)
    except TRANSIENT_EXCEPTIONS as exc:
        raise CrossSigningError(f"cross-signing the device: the homeserver is unreachable ({describe(exc)})") from None
    log.info("cross-signing: %s", state.detail)
    return state.cross_signed


async def ensure_cross_signed(
    client: AsyncClient, config: Config, stopping: asyncio.Event | None = None, *, reset: bool = False
) -> CrossSigningState:
    """Make sure the client's device is cross-signed (see the module docstring);
    ``reset`` replaces any existing identity. Raises CrossSigningError."""
    api = AccountApi(client, stopping)
    user_id, device_id = api.user_id, str(client.device_id)
    published = published_keys(await api.own_keys(), user_id, device_id)
    if published.device is None:
        raise CrossSigningError(f"the homeserver has no keys for the bot's device {device_id}")
    if published.master is not None and not reset:
        if published.self_signing and verify_signature(published.device, user_id, published.self_signing):
            return CrossSigningState(True, f"device {device_id} is cross-signed")
        self_signing = await _self_signing_from_storage(api, config, published)
        await _sign_device(api, self_signing, published.device, device_id)
        return CrossSigningState(True, f"signed the new device {device_id} with the key in secret storage")
    identity = Identity.generate()
    # Upload first: a refused upload (say, a wrong password) must leave the Secret
    # Storage of the current identity as it is.
    await _upload_identity(api, config, identity)
    recovery_key = await _store_identity(api, config, identity, fresh_key=reset)
    await _sign_device(api, identity.self_signing, published.device, device_id)
    what = "replaced the cross-signing identity" if published.master else "set up cross-signing"
    if recovery_key is not None:
        _show_recovery_key(config, recovery_key)
    return CrossSigningState(True, f"{what}; device {device_id} is cross-signed")


async def _self_signing_from_storage(api: AccountApi, config: Config, published: PublishedKeys) -> SigningKey:
    """The account's self-signing key, read from Secret Storage with the recovery key."""
    if not config.matrix.recovery_key:
        raise CrossSigningError(
            f"matrix.recovery_key: {api.user_id} already has a cross-signing identity (made by an earlier "
            f"install or by logging in elsewhere, e.g. Element) that has not signed device {api.client.device_id}; "
            "set matrix.recovery_key (or RECBOT_RECOVERY_KEY) to the account's recovery key, "
            "or run `recbot verify --reset` to replace the identity"
        )
    key = ssss.decode_recovery_key(config.matrix.recovery_key)  # checked by the config already
    default = await api.account_data(ssss.DEFAULT_KEY_TYPE)
    key_id = default.get("key") if default else None
    if not isinstance(key_id, str):
        raise CrossSigningError(
            f"matrix.recovery_key: {api.user_id} has no secret storage, so its cross-signing key cannot be "
            "recovered; run `recbot verify --reset` to replace the identity"
        )
    description = await api.account_data(ssss.KEY_TYPE_PREFIX + key_id)
    try:
        if description is None or not ssss.key_matches(key, description):
            raise CrossSigningError(
                f"matrix.recovery_key: this is not the recovery key of {api.user_id}'s secret storage"
            )
        stored = await api.account_data(SECRET_NAMES["self_signing"])
        encrypted = stored.get("encrypted") if stored else None
        payload = encrypted.get(key_id) if isinstance(encrypted, dict) else None
        if payload is None:
            raise CrossSigningError(
                f"matrix.recovery_key: {api.user_id}'s secret storage holds no self-signing key; "
                "run `recbot verify --reset` to replace the identity"
            )
        self_signing = SigningKey.from_secret(ssss.decrypt(payload, key, SECRET_NAMES["self_signing"]))
    except ssss.SecretStorageError as exc:
        raise CrossSigningError(f"matrix.recovery_key: secret storage: {exc}") from None
    if self_signing.public != published.self_signing:
        raise CrossSigningError(
            f"matrix.recovery_key: the self-signing key in {api.user_id}'s secret storage is not the published "
            "one (the identity was replaced elsewhere?); use its current recovery key or `recbot verify --reset`"
        )
    return self_signing


async def _store_identity(api: AccountApi, config: Config, identity: Identity, *, fresh_key: bool) -> str | None:
    """Put the private keys in Secret Storage under a new key, or the configured
    recovery key unless ``fresh_key``; the new recovery key (None: the configured one)."""
    if config.matrix.recovery_key and not fresh_key:
        key, recovery_key = ssss.decode_recovery_key(config.matrix.recovery_key), None
    else:
        key = ssss.new_key()
        recovery_key = ssss.encode_recovery_key(key)
    key_id = ssss.new_key_id()
    await api.set_account_data(ssss.KEY_TYPE_PREFIX + key_id, ssss.key_description(key))
    for usage, signing_key in identity.keys().items():
        name = SECRET_NAMES[usage]
        await api.set_account_data(name, {"encrypted": {key_id: ssss.encrypt(signing_key.secret(), key, name)}})
    await api.set_account_data(ssss.DEFAULT_KEY_TYPE, {"key": key_id})
    if recovery_key is not None:
        write_recovery_key(config.storage.data_dir, recovery_key)
    return recovery_key


async def _upload_identity(api: AccountApi, config: Config, identity: Identity) -> None:
    """Upload the public keys, with password auth if the homeserver asks for it."""
    path, what = f"{_CLIENT}/keys/device_signing/upload", "uploading the cross-signing keys"
    body = identity.upload_body(api.user_id)
    response = await api.request("POST", path, what, body)
    if isinstance(response, HttpError) and response.body.get("flows") is not None:
        flows = response.body.get("flows") or []
        if not any(flow.get("stages") == ["m.login.password"] for flow in flows if isinstance(flow, dict)):
            raise CrossSigningError(f"{what}: the homeserver does not offer password authentication for it")
        if not config.matrix.password:
            raise CrossSigningError(
                f"matrix.password: the homeserver asks for {api.user_id}'s password to upload cross-signing keys; "
                "set matrix.password (or RECBOT_PASSWORD)"
            )
        body["auth"] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": api.user_id},
            "password": config.matrix.password,
            "session": response.body.get("session"),
        }
        response = await api.request("POST", path, what, body)
        if isinstance(response, ErrorResponse) and response.status_code == "M_FORBIDDEN":
            raise CrossSigningError(f"matrix.password: the homeserver rejected it for {what}")
    if isinstance(response, ErrorResponse):
        raise CrossSigningError(f"{what} failed: {describe(response)}")


async def _sign_device(api: AccountApi, self_signing: SigningKey, device: dict[str, Any], device_id: str) -> None:
    """Sign the published device keys, upload the signature and confirm it."""
    signed = self_signing.sign({k: v for k, v in device.items() if k != "unsigned"}, api.user_id)
    result = await api.ok(
        "POST", f"{_CLIENT}/keys/signatures/upload", "uploading the device signature", {api.user_id: {device_id: signed}}
    )
    failures = result.get("failures") or {}
    if failures:
        reason = failures.get(api.user_id, {}).get(device_id, {})
        raise CrossSigningError(f"the homeserver refused the device signature: {describe_failure(reason)}")
    confirmed = published_keys(await api.own_keys(), api.user_id, device_id)
    if confirmed.self_signing != self_signing.public or not verify_signature(
        confirmed.device, api.user_id, self_signing.public
    ):
        raise CrossSigningError(f"the signature of device {device_id} did not show in /keys/query")


def describe_failure(reason: Any) -> str:
    if isinstance(reason, dict):
        return f"{reason.get('errcode', '')} {reason.get('error', '')}".strip()[:200] or "no reason given"
    return "no reason given"


def write_recovery_key(data_dir: Path, recovery_key: str) -> Path:
    """Write ``recovery-key.txt`` (owner-only) in ``data_dir``; its path."""
    path = Path(data_dir) / RECOVERY_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(
            "recbot recovery key (Secret Storage of the bot's Matrix account). Move this file somewhere\n"
            "safe and delete it here. Set it as matrix.recovery_key (or RECBOT_RECOVERY_KEY) for a second\n"
            "install or after losing the data directory.\n\n"
            f"{recovery_key}\n"
        )
    return path


def _show_recovery_key(config: Config, recovery_key: str) -> None:
    """The one time the recovery key is logged: right after it was made."""
    path = Path(config.storage.data_dir) / RECOVERY_KEY_FILE
    log.warning(
        "NEW RECOVERY KEY (shown only this once, also written to %s): %s -- keep it safe, e.g. in a "
        "password manager; it is needed (as matrix.recovery_key) for a second install or after losing the "
        "data directory",
        path,
        recovery_key,
    )


async def query_state(client: AsyncClient, attempts: int = 6) -> CrossSigningState:
    """Whether the client's device is cross-signed now, from ``/keys/query``."""
    api = AccountApi(client, None, attempts)
    published = published_keys(await api.own_keys(), api.user_id, str(client.device_id))
    if published.device is None:
        return CrossSigningState(False, f"device {client.device_id} has no keys on the homeserver")
    if published.master is None:
        return CrossSigningState(False, f"{api.user_id} has no cross-signing identity yet")
    if published.self_signing and verify_signature(published.device, api.user_id, published.self_signing):
        return CrossSigningState(True, f"device {client.device_id} is cross-signed")
    return CrossSigningState(False, f"device {client.device_id} is not signed by {api.user_id}'s identity")
