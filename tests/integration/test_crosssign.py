"""The bot's cross-signed device seen by an independent client: matrix-js-sdk with its
Rust crypto in Element's only-signed-devices mode (MSC4153), on the real local Synapse."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.devserver import LocalSynapse

from .botkit import bot_config, running, set_display_name
from .conftest import JsClientFactory, MakeAccount


async def ask_and_check(alice, room_id: str, bot_id: str, question: str, expect: str) -> dict:
    """Send ``question``; the bot's reply must arrive, decrypt and carry no red shield."""
    question_id = await alice.send_text(room_id, question)
    reply = await alice.wait_event({"room_id": room_id, "sender": bot_id, "in_reply_to": question_id}, timeout=30)
    assert reply is not None, f"no reply to {question!r}"
    assert reply["encrypted"], reply
    assert reply["decryption_failure"] is None, reply
    assert reply["type"] == "m.room.message" and expect in reply["content"]["body"], reply
    assert reply["encryption"] is not None and reply["encryption"]["shield"] != "RED", reply["encryption"]
    return reply


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
        await ask_and_check(alice, room_id, bot_id, "!info signal", "Signal")
