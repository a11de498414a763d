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
from bot.crosssign import RECOVERY_KEY_FILE, SECRET_NAMES, CrossSigningError, AccountApi, published_keys
from bot.devserver import LocalSynapse
from bot import secret_storage as ssss
from bot.verify import stored_client, stored_login, describe_cross_signing, verify

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


async def signed_dm(alice: JsClient, bot_id: str, device_id: str) -> str:
    """A new encrypted DM from alice to the bot, once the bot joined; the bot's device
    must look cross-signed to alice."""
    room_id = await alice.create_room([bot_id], encrypted=True, dm=True)
    await alice.wait_member(room_id, bot_id)
    status = await alice.device_status(bot_id, device_id)
    assert status is not None and status["signed_by_owner"], status
    return room_id


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
    login = await stored_login(config)
    assert login is not None
    client = stored_client(config, login)
    try:
        api = AccountApi(client, None)
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
    login = await stored_login(config)
    assert login is not None
    client = stored_client(config, login)
    try:
        api = AccountApi(client, None)
        return published_keys(await api.own_keys(), login.user_id, login.device_id).master
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
            device_id = str(bot.client.device_id)
            room_id = await signed_dm(alice, bot_id, device_id)
            await ask_and_check(alice, room_id, bot_id, "!info briar", "Briar")
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
        room_id = await signed_dm(alice, bot_id, "RECBOT2")
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
    with pytest.raises(CrossSigningError, match="matrix.password: the homeserver rejected it"):
        await verify(with_matrix(config, password="wrong password"), reset=True)
    assert await own_master_key(config) == old_master and recovery_key_of(tmp_path / "bot") == old_key
    assert len(await private_keys(config, old_key)) == 3  # Secret Storage untouched
    state = await verify(config, reset=True)
    new_key, new_master = recovery_key_of(tmp_path / "bot"), await own_master_key(config)
    assert state.cross_signed and "replaced" in state.detail
    assert new_key != old_key and new_master != old_master
    assert len(await private_keys(config, new_key)) == 3

    async with running(config) as bot, js_client(alice_account) as alice:
        room_id = await signed_dm(alice, bot_id, str(bot.client.device_id))
        await ask_and_check(alice, room_id, bot_id, "!info signal", "Signal")


@pytest.mark.asyncio
async def test_identity_made_in_element_is_used_with_its_recovery_key(
    synapse: LocalSynapse, account: MakeAccount, js_client: JsClientFactory, tmp_path: Path
) -> None:
    """The operator once logged in as the bot in Element, which set up cross-signing and
    Secret Storage: the bot needs Element's recovery key and never replaces the identity."""
    bot_account, alice_account = account("recbot"), account("alice")
    bot_id = bot_account.user_id
    async with js_client(bot_account, secret_storage=True, device_name="element") as element:
        element_key = element.login_result["recovery_key"]
        assert element_key and (await element.cross_signing_status())["private_keys_in_secret_storage"]
    config = bot_config(synapse, bot_account, tmp_path / "bot")
    with pytest.raises(CrossSigningError, match=r"^matrix\.recovery_key: .* already has a cross-signing identity"):
        async with running(config):
            pass
    master = await own_master_key(config)
    assert not (tmp_path / "bot" / RECOVERY_KEY_FILE).exists()

    config = with_matrix(config, device_id="RECBOT2", recovery_key=element_key)
    config = replace(config, storage=replace(config.storage, data_dir=tmp_path / "second"))
    async with running(config) as bot, js_client(alice_account) as alice:
        room_id = await signed_dm(alice, bot_id, str(bot.client.device_id))
        await ask_and_check(alice, room_id, bot_id, "!info signal", "Signal")
    assert await own_master_key(config) == master


@pytest.mark.asyncio
async def test_first_start_with_a_configured_recovery_key_uses_it(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    chosen = ssss.encode_recovery_key(ssss.new_key())
    config = with_matrix(bot_config(synapse, account("recbot"), tmp_path / "bot"), recovery_key=chosen)
    async with running(config):
        pass
    assert not (tmp_path / "bot" / RECOVERY_KEY_FILE).exists()
    secrets = await private_keys(config, chosen)
    assert "set up cross-signing" in caplog.text and "NEW RECOVERY KEY" not in caplog.text
    assert_no_key_material(caplog.text, chosen, *secrets)
