"""The JS client harness itself: two matrix-js-sdk users (both cross-signed, both in
only-signed-devices mode) talk in an encrypted room through every command; and the
control that the mode is really enforced against an unsigned matrix-nio device."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.devserver import LocalSynapse

from .botkit import user
from .conftest import JsClientFactory, MakeAccount


@pytest.mark.asyncio
async def test_two_js_users_exchange_text_edit_reaction_and_redaction(
    account: MakeAccount, js_client: JsClientFactory
) -> None:
    alice_account, bob_account = account("alice"), account("bob")
    async with js_client(alice_account) as alice, js_client(bob_account) as bob:
        assert (await alice.cross_signing_status())["ready"]
        room_id = await alice.create_room([bob.user_id], encrypted=True)
        await bob.wait_member(room_id, bob.user_id, membership="invite")
        await bob.join(room_id)
        await alice.wait_member(room_id, bob.user_id)

        text = await alice.send_text(room_id, "hello bob")
        got = await bob.wait_event({"room_id": room_id, "sender": alice.user_id, "body_contains": "hello"})
        assert got is not None and got["event_id"] == text
        assert got["encrypted"] and got["decryption_failure"] is None
        assert got["encryption"]["shield"] != "RED", got["encryption"]

        edit = await alice.send_edit(room_id, text, "hello again bob")
        got = await bob.wait_event({"room_id": room_id, "rel_type": "m.replace", "relates_to": text})
        assert got is not None and got["event_id"] == edit
        assert got["content"]["m.new_content"]["body"] == "hello again bob"

        reaction = await bob.react(room_id, text, "👍")
        got = await alice.wait_event({"room_id": room_id, "type": "m.reaction", "relates_to": text})
        assert got is not None and got["event_id"] == reaction and got["relation"]["key"] == "👍"

        redaction = await alice.redact(room_id, text)
        got = await bob.wait_event({"room_id": room_id, "redacts": text})
        assert got is not None and got["event_id"] == redaction

        assert await bob.wait_event({"room_id": room_id, "body_contains": "never sent"}, timeout=0.5) is None


@pytest.mark.asyncio
@pytest.mark.parametrize("only_signed", [True, False], ids=["only-signed", "all-devices"])
async def test_an_unsigned_nio_device_is_excluded_or_shielded_red(
    synapse: LocalSynapse, account: MakeAccount, js_client: JsClientFactory, tmp_path: Path, only_signed: bool
) -> None:
    """The control for the cross-signing tests: the harness really enforces Element's
    mode. A matrix-nio device (never cross-signed) is not decrypted in only-signed mode
    (UNSIGNED_SENDER_DEVICE) and gets a red UNSIGNED_DEVICE shield otherwise."""
    alice_account, bob_account = account("alice"), account("bob")
    async with js_client(alice_account, only_signed=only_signed) as alice, user(
        synapse, bob_account, tmp_path / "bob-store"
    ) as bob:
        room_id = await alice.create_room([bob.user_id], encrypted=True)
        await bob.join(room_id)
        await alice.wait_member(room_id, bob.user_id)
        await bob.wait_joined(room_id, bob.user_id)
        sent = await bob.say(room_id, "hello from an unsigned device")
        if only_signed:
            got = await alice.wait_event({"room_id": room_id, "sender": bob.user_id, "decryption_failure": True})
            assert got is not None and got["event_id"] == sent
            assert got["decryption_failure"] == "UNSIGNED_SENDER_DEVICE", got
        else:
            got = await alice.wait_event({"room_id": room_id, "sender": bob.user_id, "body_contains": "hello"})
            assert got is not None and got["event_id"] == sent and got["decryption_failure"] is None
            assert got["encryption"] == {"shield": "RED", "reason": "UNSIGNED_DEVICE"}, got["encryption"]
