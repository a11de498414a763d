"""Secret Storage (SSSS) per the Matrix spec: the recovery key format and the
``m.secret_storage.v1.aes-hmac-sha2`` encryption of account-data secrets.

Every primitive comes from ``cryptography`` (HKDF-SHA-256, AES-CTR-256, HMAC-SHA-256,
constant-time comparison); base58 from the ``base58`` package. Nothing here talks
to a server: :mod:`bot.crosssign` reads and writes the account data.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALGORITHM = "m.secret_storage.v1.aes-hmac-sha2"
DEFAULT_KEY_TYPE = "m.secret_storage.default_key"
KEY_TYPE_PREFIX = "m.secret_storage.key."
KEY_SIZE = 32
#: The spec's "cryptographic key representation" prefix of a recovery key.
RECOVERY_PREFIX = b"\x8b\x01"
#: What a key description's ``iv``/``mac`` encrypt: 32 zero bytes under the name "".
_KEY_CHECK_PLAINTEXT = bytes(KEY_SIZE)
_KEY_ID_LENGTH = 32
_KEY_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#: Longest recovery key text accepted (48 characters plus spaces; a little slack).
_MAX_RECOVERY_TEXT = 100


class SecretStorageError(Exception):
    """A recovery key or encrypted secret is malformed or does not match; the message
    never contains key material."""


def b64encode(data: bytes) -> str:
    """Unpadded standard base64, the spec's encoding for keys and signatures."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str) -> bytes:
    """Standard base64 with or without padding."""
    if not isinstance(text, str):
        raise SecretStorageError("expected a base64 string")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SecretStorageError("not valid base64") from None


# -- recovery keys -------------------------------------------------------------------


def new_key() -> bytes:
    """A new random 32-byte secret storage key."""
    return secrets.token_bytes(KEY_SIZE)


def encode_recovery_key(key: bytes) -> str:
    """The recovery key for ``key``: base58 of 0x8B 0x01, the key and a parity byte
    (XOR of all the bytes before it), in groups of four characters."""
    if len(key) != KEY_SIZE:
        raise SecretStorageError(f"a secret storage key has {KEY_SIZE} bytes")
    data = RECOVERY_PREFIX + key
    parity = 0
    for byte in data:
        parity ^= byte
    text = base58.b58encode(data + bytes([parity])).decode("ascii")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def decode_recovery_key(text: str) -> bytes:
    """The 32-byte key of a recovery key (whitespace ignored); SecretStorageError if it
    is not one (the message never quotes it)."""
    compact = re.sub(r"\s+", "", text or "")
    if not compact or len(compact) > _MAX_RECOVERY_TEXT:
        raise SecretStorageError("is not a recovery key (expected 48 base58 characters, e.g. 'EsT... ....')")
    try:
        data = base58.b58decode(compact)
    except ValueError:
        raise SecretStorageError("is not a recovery key (it contains characters outside base58)") from None
    parity = 0
    for byte in data:
        parity ^= byte
    if len(data) != len(RECOVERY_PREFIX) + KEY_SIZE + 1 or not data.startswith(RECOVERY_PREFIX):
        raise SecretStorageError("is not a recovery key (wrong length or prefix)")
    if parity != 0:
        raise SecretStorageError("is not a valid recovery key (its check byte does not match: a typo?)")
    return data[len(RECOVERY_PREFIX) : -1]


# -- m.secret_storage.v1.aes-hmac-sha2 -----------------------------------------------


def _derive(key: bytes, name: str) -> tuple[bytes, bytes]:
    """The AES and HMAC keys for the secret ``name``: HKDF-SHA-256 with a zero salt."""
    okm = HKDF(algorithm=hashes.SHA256(), length=64, salt=bytes(32), info=name.encode("utf-8")).derive(key)
    return okm[:32], okm[32:]


def _mac(mac_key: bytes, ciphertext: bytes) -> bytes:
    h = hmac.HMAC(mac_key, hashes.SHA256())
    h.update(ciphertext)
    return h.finalize()


def _ctr(aes_key: bytes, iv: bytes, data: bytes) -> bytes:
    cipher = Cipher(algorithms.AES(aes_key), modes.CTR(iv)).encryptor()
    return cipher.update(data) + cipher.finalize()


def encrypt(plaintext: bytes, key: bytes, name: str, iv: bytes | None = None) -> dict[str, str]:
    """Encrypt a secret as ``{"iv", "ciphertext", "mac"}`` (base64): AES-CTR-256 with a
    random IV whose bit 63 is cleared, and HMAC-SHA-256 over the ciphertext."""
    if iv is None:
        raw = bytearray(os.urandom(16))
        raw[8] &= 0x7F  # keeps the 64-bit counter from wrapping (as other clients do)
        iv = bytes(raw)
    aes_key, mac_key = _derive(key, name)
    ciphertext = _ctr(aes_key, iv, plaintext)
    return {
        "iv": base64.b64encode(iv).decode("ascii"),
        "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
        "mac": base64.b64encode(_mac(mac_key, ciphertext)).decode("ascii"),
    }


def decrypt(payload: Any, key: bytes, name: str) -> bytes:
    """Decrypt an ``encrypt`` payload after checking its MAC; SecretStorageError if
    the payload is malformed or the MAC does not match (wrong key or tampering)."""
    if not isinstance(payload, dict) or not all(isinstance(payload.get(k), str) for k in ("iv", "ciphertext", "mac")):
        raise SecretStorageError(f"the encrypted secret {name!r} is malformed")
    iv, ciphertext, mac = (b64decode(payload[k]) for k in ("iv", "ciphertext", "mac"))
    if len(iv) != 16:
        raise SecretStorageError(f"the encrypted secret {name!r} has a malformed iv")
    aes_key, mac_key = _derive(key, name)
    check = hmac.HMAC(mac_key, hashes.SHA256())
    check.update(ciphertext)
    try:
        check.verify(mac)  # constant-time
    except InvalidSignature:
        raise SecretStorageError(f"the MAC of the secret {name!r} does not match (another key?)") from None
    return _ctr(aes_key, iv, ciphertext)


def key_description(key: bytes, name: str = "recbot recovery key") -> dict[str, Any]:
    """The ``m.secret_storage.key.<id>`` content for ``key`` (with its key check)."""
    check = encrypt(_KEY_CHECK_PLAINTEXT, key, "")
    return {"algorithm": ALGORITHM, "name": name, "iv": check["iv"], "mac": check["mac"]}


def key_matches(key: bytes, description: Any) -> bool:
    """Whether ``key`` is the key a ``m.secret_storage.key.*`` content describes."""
    if not isinstance(description, dict) or description.get("algorithm") != ALGORITHM:
        raise SecretStorageError(f"the secret storage key is not {ALGORITHM}")
    iv, mac = description.get("iv"), description.get("mac")
    if not isinstance(iv, str) or not isinstance(mac, str):
        raise SecretStorageError("the secret storage key description has no key check (iv, mac)")
    expected = encrypt(_KEY_CHECK_PLAINTEXT, key, "", b64decode(iv))
    return secrets.compare_digest(b64decode(expected["mac"]), b64decode(mac))


def new_key_id() -> str:
    """A random secret storage key id."""
    return "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(_KEY_ID_LENGTH))
