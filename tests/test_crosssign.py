"""Formats of cross-signing and Secret Storage: recovery keys, aes-hmac-sha2 secrets,
key checks and signed JSON, checked against vectors made by matrix-js-sdk 43
(``encodeRecoveryKey``, ``calculateKeyCheck``, ``encryptAESSecretStorageItem``) and
against ``cryptography``'s own Ed25519 verification."""

from __future__ import annotations

import argparse
import base64
import os
import stat
from dataclasses import replace
from pathlib import Path

import base58
import pytest
from canonicaljson import encode_canonical_json
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from bot import replies
from bot import secret_storage as ssss
from bot.app import cmd_check_config
from bot.config import ConfigError, parse_config
from bot.settings import RoomSettings
from bot.storage import Storage, StoredLogin
from bot.verify import describe_cross_signing
from bot.crosssign import Identity, SigningKey, published_key, verify_signature, write_recovery_key

KEY = bytes(range(32))
IV = bytes(range(0x10, 0x20))
#: matrix-js-sdk 43: encodeRecoveryKey(KEY)
JS_RECOVERY_KEY = "EsSz ykH7 LCZx 7Cae cmKD wcmY JRXi Ybtu 8iQ3 t8Ez nRwK pUY1"
#: matrix-js-sdk 43: calculateKeyCheck(KEY, IV)
JS_KEY_CHECK_MAC = "nrMWSgMXBpO1lS9nLEL08Saa+XuAn1pdQ0B7gSgsrQQ="
#: matrix-js-sdk 43: encryptAESSecretStorageItem("c2VjcmV0IHNlZWQ", KEY, "m.cross_signing.self_signing", IV)
JS_SECRET = {
    "iv": "EBESExQVFhcYGRobHB0eHw==",
    "ciphertext": "fr3ys3ukXiQAaxflMylH",
    "mac": "oUQv9LLsr1XbGsV8sMLef088brJSGIji9EESI8VuDCQ=",
}


# -- recovery keys ---------------------------------------------------------------------


def test_recovery_key_matches_matrix_js_sdk() -> None:
    assert ssss.encode_recovery_key(KEY) == JS_RECOVERY_KEY
    assert ssss.decode_recovery_key(JS_RECOVERY_KEY) == KEY


@given(st.binary(min_size=32, max_size=32))
def test_recovery_key_roundtrip_and_shape(key: bytes) -> None:
    text = ssss.encode_recovery_key(key)
    assert ssss.decode_recovery_key(text) == key
    assert ssss.decode_recovery_key(text.replace(" ", "")) == key
    assert ssss.decode_recovery_key(f"  {text}\n") == key
    raw = base58.b58decode(text.replace(" ", ""))
    assert raw[:2] == b"\x8b\x01" and len(raw) == 35
    assert all(len(group) == 4 for group in text.split(" ")[:-1])


def test_recovery_key_typo_fails_the_parity_check() -> None:
    middle = JS_RECOVERY_KEY.index("Ybtu")
    typo = JS_RECOVERY_KEY[:middle] + "Ybtv" + JS_RECOVERY_KEY[middle + 4 :]
    with pytest.raises(ssss.SecretStorageError, match="check byte") as caught:
        ssss.decode_recovery_key(typo)
    assert "Ybt" not in str(caught.value) and "EsS" not in str(caught.value)


def _with_parity(data: bytes) -> str:
    parity = 0
    for byte in data:
        parity ^= byte
    return base58.b58encode(data + bytes([parity])).decode()


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "not a recovery key"),
        ("EsSz ykH7 0OIl", "outside base58"),  # 0, O, I and l are not base58
        (_with_parity(b"\x8b\x02" + KEY), "prefix"),
        (_with_parity(b"\x8b\x01" + KEY[:31]), "length"),
        ("x" * 200, "not a recovery key"),
    ],
)
def test_malformed_recovery_keys_are_rejected(text: str, problem: str) -> None:
    with pytest.raises(ssss.SecretStorageError, match=problem):
        ssss.decode_recovery_key(text)


def test_recovery_key_needs_32_bytes() -> None:
    with pytest.raises(ssss.SecretStorageError):
        ssss.encode_recovery_key(b"short")


# -- m.secret_storage.v1.aes-hmac-sha2 ---------------------------------------------------


def test_key_check_matches_matrix_js_sdk() -> None:
    description = {"algorithm": ssss.ALGORITHM, "iv": base64.b64encode(IV).decode(), "mac": JS_KEY_CHECK_MAC}
    assert ssss.key_matches(KEY, description)
    assert not ssss.key_matches(bytes(32), description)
    unpadded = dict(description, mac=JS_KEY_CHECK_MAC.rstrip("="), iv=description["iv"].rstrip("="))
    assert ssss.key_matches(KEY, unpadded)


def test_encrypted_secret_matches_matrix_js_sdk() -> None:
    assert ssss.encrypt(b"c2VjcmV0IHNlZWQ", KEY, "m.cross_signing.self_signing", IV) == JS_SECRET
    assert ssss.decrypt(JS_SECRET, KEY, "m.cross_signing.self_signing") == b"c2VjcmV0IHNlZWQ"


@given(st.binary(max_size=200), st.text(max_size=40))
def test_secret_roundtrip(plaintext: bytes, name: str) -> None:
    key = ssss.new_key()
    payload = ssss.encrypt(plaintext, key, name)
    assert ssss.decrypt(payload, key, name) == plaintext
    assert base64.b64decode(payload["iv"])[8] & 0x80 == 0  # bit 63 cleared


def test_decrypt_checks_the_mac() -> None:
    key = ssss.new_key()
    payload = ssss.encrypt(b"private key", key, "m.cross_signing.master")
    with pytest.raises(ssss.SecretStorageError, match="MAC"):
        ssss.decrypt(payload, ssss.new_key(), "m.cross_signing.master")
    with pytest.raises(ssss.SecretStorageError, match="MAC"):
        ssss.decrypt(payload, key, "m.cross_signing.self_signing")  # the name is bound in
    tampered = bytearray(base64.b64decode(payload["ciphertext"]))
    tampered[0] ^= 1
    with pytest.raises(ssss.SecretStorageError, match="MAC"):
        ssss.decrypt(dict(payload, ciphertext=base64.b64encode(bytes(tampered)).decode()), key, "m.cross_signing.master")
    with pytest.raises(ssss.SecretStorageError, match="malformed"):
        ssss.decrypt({"iv": payload["iv"]}, key, "m.cross_signing.master")


def test_new_key_description_identifies_its_key() -> None:
    key = ssss.new_key()
    description = ssss.key_description(key)
    assert description["algorithm"] == "m.secret_storage.v1.aes-hmac-sha2"
    assert ssss.key_matches(key, description) and not ssss.key_matches(ssss.new_key(), description)
    with pytest.raises(ssss.SecretStorageError):
        ssss.key_matches(key, {"algorithm": "m.secret_storage.v0"})


# -- keys and signed JSON ------------------------------------------------------------------


def test_signatures_verify_with_cryptography_over_canonical_json() -> None:
    key = SigningKey.generate()
    device = {
        "user_id": "@bot:example.org",
        "device_id": "RECBOT",
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {"ed25519:RECBOT": "abc", "curve25519:RECBOT": "déf"},
        "signatures": {"@bot:example.org": {"ed25519:RECBOT": "device-self-signature"}},
        "unsigned": {"device_display_name": "recbot"},
    }
    signed = key.sign(device, "@bot:example.org")
    assert signed["signatures"]["@bot:example.org"]["ed25519:RECBOT"] == "device-self-signature"
    signature = signed["signatures"]["@bot:example.org"][key.key_id]
    assert "=" not in signature and "=" not in key.public and len(key.public) == 43
    assert key.key_id == f"ed25519:{key.public}"
    message = encode_canonical_json({k: v for k, v in device.items() if k not in ("signatures", "unsigned")})
    Ed25519PublicKey.from_public_bytes(ssss.b64decode(key.public)).verify(ssss.b64decode(signature), message)
    assert verify_signature(signed, "@bot:example.org", key.public)
    assert not verify_signature(dict(signed, device_id="OTHER"), "@bot:example.org", key.public)
    assert not verify_signature(signed, "@bot:example.org", SigningKey.generate().public)
    assert verify_signature(dict(signed, unsigned={"changed": True}), "@bot:example.org", key.public)


def test_secret_form_of_a_key_roundtrips_and_repr_hides_it() -> None:
    key = SigningKey.generate()
    assert SigningKey.from_secret(key.secret()).public == key.public
    assert len(ssss.b64decode(key.secret().decode())) == 32
    assert key.secret().decode() not in repr(key)
    with pytest.raises(ssss.SecretStorageError):
        SigningKey.from_secret(b"c2hvcnQ")


def test_identity_upload_body_follows_the_spec() -> None:
    identity = Identity.generate()
    body = identity.upload_body("@bot:example.org")
    master = body["master_key"]
    assert master == {"user_id": "@bot:example.org", "usage": ["master"], "keys": {identity.master.key_id: identity.master.public}}
    assert published_key(master, "master") == identity.master.public
    for field, usage, key in (
        ("self_signing_key", "self_signing", identity.self_signing),
        ("user_signing_key", "user_signing", identity.user_signing),
    ):
        assert body[field]["usage"] == [usage] and published_key(body[field], usage) == key.public
        assert verify_signature(body[field], "@bot:example.org", identity.master.public)
    assert published_key({"usage": ["master"], "keys": {"ed25519:x": "y"}}, "master") is None


def test_recovery_key_file_is_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_recovery_key(tmp_path, JS_RECOVERY_KEY)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert JS_RECOVERY_KEY in path.read_text()


# -- configuration ---------------------------------------------------------------------------

MATRIX = {"homeserver": "https://matrix.example.org", "user_id": "@recbot:example.org", "password": "pw"}


def test_recovery_key_config_is_checked_and_never_quoted() -> None:
    config = parse_config({"matrix": dict(MATRIX, recovery_key=JS_RECOVERY_KEY)}, {})
    assert config.matrix.recovery_key == JS_RECOVERY_KEY and JS_RECOVERY_KEY not in repr(config)
    assert all(JS_RECOVERY_KEY not in line for line in config.summary())
    from_env = parse_config({"matrix": dict(MATRIX, recovery_key="ignored")}, {"RECBOT_RECOVERY_KEY": JS_RECOVERY_KEY})
    assert from_env.matrix.recovery_key == JS_RECOVERY_KEY
    assert parse_config({"matrix": MATRIX}, {}).matrix.recovery_key == ""

    typo = JS_RECOVERY_KEY.replace("Ybtu", "Ybtv")
    with pytest.raises(ConfigError) as caught:
        parse_config({"matrix": dict(MATRIX, recovery_key=typo)}, {})
    assert caught.value.problems[0][0] == "matrix.recovery_key" and "check byte" in str(caught.value)
    assert "Ybt" not in str(caught.value)
    with pytest.raises(ConfigError, match="RECBOT_RECOVERY_KEY"):
        parse_config({"matrix": MATRIX}, {"RECBOT_RECOVERY_KEY": "not a key"})


def test_check_config_says_cross_signing_is_set_up_at_first_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "matrix: {homeserver: 'https://matrix.example.org', user_id: '@b:example.org', password: pw}\n"
        f"storage: {{data_dir: '{tmp_path / 'data'}'}}\n",
        encoding="utf-8",
    )
    assert cmd_check_config(argparse.Namespace(config=str(path))) == 0
    out = capsys.readouterr().out
    assert "cross-signing: not set up yet" in out
    assert not (tmp_path / "data").exists()  # checking creates nothing


def test_status_reply_says_whether_the_device_is_cross_signed() -> None:
    from knowledge.loading import load_sources

    info = replies.StatusInfo(
        kb=load_sources([]), locations=(), last_refresh=None, uptime_s=5, rooms=1, answered=0,
        room=RoomSettings(), language="en", cross_signed=True,
    )
    assert "cross-signed by the bot's account" in replies.status(info, "en").text
    assert "NOT cross-signed" in replies.status(replace(info, cross_signed=False), "en").text
    assert "ondertekend" not in replies.status(replace(info, cross_signed=None), "nl").text


@pytest.mark.asyncio
async def test_check_config_line_when_the_homeserver_is_unreachable(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = parse_config(
        {"matrix": dict(MATRIX, homeserver=f"http://127.0.0.1:{port}"), "storage": {"data_dir": str(tmp_path)}}, {}
    )
    storage = await Storage.open(tmp_path)
    await storage.save_login(StoredLogin("@recbot:example.org", "RECBOT", "syt_secret_token"))
    await storage.close()
    line = await describe_cross_signing(config)
    assert line.startswith("unknown (") and "syt_secret_token" not in line, line
