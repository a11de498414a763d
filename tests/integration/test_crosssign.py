"""The bot's cross-signed device seen by an independent client: matrix-js-sdk with its
Rust crypto in Element's only-signed-devices mode (MSC4153), on the real local Synapse.

Covered: answers in encrypted DMs and group rooms without a red shield; the recovery
key (shown once, file mode 0600, opening Secret Storage for matrix-js-sdk too);
restarts keep the signature; a new device is signed with the recovery key; without it
the bot refuses to start; ``verify --reset``; no key material in logs or replies.
"""

from __future__ import annotations

import logging
import re
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config, ModerationConfig
from bot.crosssign import RECOVERY_KEY_FILE, SECRET_NAMES, CrossSigningError, _Api, _published
from bot.devserver import LocalSynapse
from bot import secret_storage as ssss
from bot.verify import _client, _stored_login, describe_cross_signing, verify

from .botkit import Account, bot_config, running, set_display_name
from .conftest import JsClientFactory, MakeAccount
from .jsclient import JsClient

RECOVERY_KEY_RE = re.compile(r"Es[1-9A-HJ-NP-Za-km-z]{2}(?: [1-9A-HJ-NP-Za-km-z]{4}){11}")


async def ask_and_check(alice: JsClient, room_id: str, bot_id: str, question: str, expect: str) -> dict[str, Any]:
    """Send ``question``; the bot's reply must arrive, decrypt and carry no red shield."""
    question_id = await alice.send_text(room_id, question)
    reply = await alice.wait_event({"room_id": room_id, "sender": bot_id, "in_reply_to": question_id}, timeout=30)
    assert reply is not None, f"no reply to {question!r}"
    assert reply["encrypted"], reply
    assert reply["decryption_failure"] is None, reply
    assert reply["type"] == "m.room.message" and expect in reply["content"]["body"], reply
    assert reply["encryption"] is not None and reply["encryption"]["shield"] != "RED", reply["encryption"]
    return reply


def recovery_key_of(data_dir: Path) -> str:
    path = data_dir / RECOVERY_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    found = RECOVERY_KEY_RE.findall(path.read_text())
    assert len(found) == 1, path.read_text()
    return found[0]


def with_matrix(config: Config, **matrix: Any) -> Config:
    return replace(config, matrix=replace(config.matrix, **matrix))


async def private_keys(config: Config, recovery_key: str) -> list[str]:
    """The account's three private cross-signing keys, read from Secret Storage."""
    login = await _stored_login(config)
    assert login is not None
    client = _client(config, login)
    try:
        api = _Api(client, None)
        key = ssss.decode_recovery_key(recovery_key)
        key_id = (await api.account_data(ssss.DEFAULT_KEY_TYPE))["key"]
        secrets = []
        for name in SECRET_NAMES.values():
            stored = await api.account_data(name)
            secrets.append(ssss.decrypt(stored["encrypted"][key_id], key, name).decode())
        return secrets
    finally:
        await client.close()


async def own_master_key(config: Config) -> str | None:
    login = await _stored_login(config)
    assert login is not None
    client = _client(config, login)
    try:
        api = _Api(client, None)
        return _published(await api.own_keys(), login.user_id, login.device_id).master
    finally:
        await client.close()


def assert_no_key_material(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text
        assert secret.replace(" ", "") not in text


@pytest.mark.asyncio
@pytest.mark.parametrize("dm", [True, False], ids=["dm", "group"])
async def test_only_signed_devices_client_is_answered_in_encrypted_rooms(
    synapse: LocalSynapse, account: MakeAccount, js_client: JsClientFactory, tmp_path: Path, dm: bool
) -> None:
    bot_account, alice_account = account("recbot"), account("alice")
    await set_display_name(synapse, bot_account, "recbot")
    async with running(bot_config(synapse, bot_account, tmp_path / "bot")) as bot, js_client(alice_account) as alice:
        bot_id = bot_account.user_id
        room_id = await alice.create_room([bot_id], encrypted=True, dm=dm)
        await alice.wait_member(room_id, bot_id)
        status = await alice.device_status(bot_id, str(bot.client.device_id))
        assert status is not None and status["signed_by_owner"], status
        await ask_and_check(alice, room_id, bot_id, "!info signal" if dm else "recbot: what is signal?", "Signal")


@pytest.mark.asyncio
async def test_recovery_key_shown_once_restart_keeps_trust_and_status_says_so(
    synapse: LocalSynapse, account: MakeAccount, js_client: JsClientFactory, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    bot_account, alice_account = account("recbot"), account("alice")
    config = bot_config(synapse, bot_account, tmp_path / "bot")
    config = replace(config, moderation=ModerationConfig(users=(alice_account.user_id,)))
    bot_id = bot_account.user_id
    async with js_client(alice_account) as alice:
        async with running(config) as bot:
            room_id = await alice.create_room([bot_id], encrypted=True, dm=True)
            await alice.wait_member(room_id, bot_id)
            await ask_and_check(alice, room_id, bot_id, "!info briar", "Briar")
            device_id = str(bot.client.device_id)
        recovery_key = recovery_key_of(tmp_path / "bot")
        first_start = caplog.text
        assert first_start.count(recovery_key) == 1, "the recovery key is logged exactly once, at first setup"
        assert "set up cross-signing" in first_start
        secrets = await private_keys(config, recovery_key)
        assert len(set(secrets)) == 3
        assert_no_key_material(first_start, *secrets)
        assert (await describe_cross_signing(config)).startswith("yes")

        caplog.clear()
        async with running(config) as bot:
            assert str(bot.client.device_id) == device_id
            status = await alice.device_status(bot_id, device_id)
            assert status == {"signed_by_owner": True, "cross_signing_verified": False}
            await ask_and_check(alice, room_id, bot_id, "!info signal", "Signal")
            new_room = await alice.create_room([bot_id], encrypted=True, dm=True)
            await alice.wait_member(new_room, bot_id)
            reply = await ask_and_check(alice, new_room, bot_id, "!status", "apparaat is ondertekend")
            body = reply["content"]["body"] + reply["content"].get("formatted_body", "")
            assert "NIET" not in body
            assert_no_key_material(body, recovery_key, *secrets, bot_account.password)
    assert f"device {device_id} is cross-signed" in caplog.text
    assert "set up cross-signing" not in caplog.text and "signed the new device" not in caplog.text
    assert_no_key_material(caplog.text, recovery_key, *secrets)


@pytest.mark.asyncio
async def test_new_device_needs_the_recovery_key_and_js_sdk_opens_our_secret_storage(
    synapse: LocalSynapse, account: MakeAccount, js_client: JsClientFactory, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    bot_account, alice_account = account("recbot"), account("alice")
    bot_id = bot_account.user_id
    first = bot_config(synapse, bot_account, tmp_path / "first")
    async with running(first):
        pass
    recovery_key = recovery_key_of(tmp_path / "first")
    secrets = await private_keys(first, recovery_key)

    # matrix-js-sdk reads the identity from our Secret Storage with our recovery key.
    async with js_client(bot_account, recovery_key=recovery_key, device_name="element") as element:
        status = await element.cross_signing_status()
        assert status["ready"] and status["private_keys_in_secret_storage"], status
        assert status["private_keys_cached"] == {"masterKey": True, "selfSigningKey": True, "userSigningKey": True}

    # A lost data directory: a new device without the key refuses to start, saying what to do.
    lost = with_matrix(bot_config(synapse, bot_account, tmp_path / "lost"), device_id="RECBOT2")
    caplog.clear()
    with pytest.raises(CrossSigningError) as refused:
        async with running(lost):
            pass
    message = str(refused.value)
    assert message.startswith("matrix.recovery_key:") and "RECBOT_RECOVERY_KEY" in message and "--reset" in message
    assert "\n" not in message
    assert_no_key_material(message + caplog.text, recovery_key, *secrets)

    wrong = with_matrix(lost, recovery_key=ssss.encode_recovery_key(ssss.new_key()))
    with pytest.raises(CrossSigningError, match="not the recovery key"):
        async with running(wrong):
            pass

    # With the recovery key the new device is signed and answered in only-signed mode.
    recovered = with_matrix(lost, recovery_key=recovery_key)
    caplog.clear()
    async with running(recovered) as bot, js_client(alice_account) as alice:
        assert str(bot.client.device_id) == "RECBOT2"
        room_id = await alice.create_room([bot_id], encrypted=True, dm=True)
        await alice.wait_member(room_id, bot_id)
        assert (await alice.device_status(bot_id, "RECBOT2"))["signed_by_owner"]
        await ask_and_check(alice, room_id, bot_id, "!info signal", "Signal")
    assert "signed the new device RECBOT2 with the key in secret storage" in caplog.text
    assert_no_key_material(caplog.text, recovery_key, *secrets)
    assert not (tmp_path / "lost" / RECOVERY_KEY_FILE).exists()


@pytest.mark.asyncio
async def test_verify_reset_replaces_the_identity_deliberately(
    synapse: LocalSynapse, account: MakeAccount, js_client: JsClientFactory, tmp_path: Path
) -> None:
    bot_account, alice_account = account("recbot"), account("alice")
    bot_id = bot_account.user_id
    config = bot_config(synapse, bot_account, tmp_path / "bot")
    async with running(config):
        pass
    old_key, old_master = recovery_key_of(tmp_path / "bot"), await own_master_key(config)

    state = await verify(config, reset=False)  # nothing to do: already signed
    assert state.cross_signed and await own_master_key(config) == old_master

    with pytest.raises(CrossSigningError, match="matrix.password"):
        await verify(with_matrix(config, password="", access_token="x"), reset=True)
    state = await verify(config, reset=True)
    new_key, new_master = recovery_key_of(tmp_path / "bot"), await own_master_key(config)
    assert state.cross_signed and "replaced" in state.detail
    assert new_key != old_key and new_master != old_master
    assert len(await private_keys(config, new_key)) == 3

    async with running(config) as bot, js_client(alice_account) as alice:
        room_id = await alice.create_room([bot_id], encrypted=True, dm=True)
        await alice.wait_member(room_id, bot_id)
        assert (await alice.device_status(bot_id, str(bot.client.device_id)))["signed_by_owner"]
        await ask_and_check(alice, room_id, bot_id, "!info signal", "Signal")
