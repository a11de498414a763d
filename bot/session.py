"""Logging in: one device for the bot's whole life, its keys kept in ``data_dir``.

The first start logs in with the password (or checks the given access token with
``whoami``) and stores the session; later starts restore it, so no new device is
made per restart. The bot never logs out: that would destroy the device's keys.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    LocalProtocolError,
    LoginResponse,
    WhoamiResponse,
)
from nio.store import SqliteStore

from .config import Config
from .retry import describe, retrying
from .storage import Storage, StoredLogin

log = logging.getLogger(__name__)

DEVICE_NAME = "recbot"
#: Seconds a request other than the long-polling sync may take.
REQUEST_TIMEOUT_S = 30.0


class LoginError(Exception):
    """The bot cannot log in; the message says what to change."""


def make_client(config: Config) -> AsyncClient:
    """A nio client with end-to-end encryption, its store in the data directory.

    nio's own retrying is off (``max_timeouts=0``, ``max_limit_exceeded=0``): the bot
    retries with its own backoff and can stop waiting when asked to shut down.
    """
    client_config = AsyncClientConfig(
        store=SqliteStore,
        store_sync_tokens=False,
        encryption_enabled=True,
        max_timeouts=0,
        max_limit_exceeded=0,
        request_timeout=REQUEST_TIMEOUT_S,
    )
    return AsyncClient(
        config.matrix.homeserver,
        config.matrix.user_id,
        device_id=config.matrix.device_id,
        store_path=str(config.storage.data_dir),
        config=client_config,
    )


async def log_in(client: AsyncClient, config: Config, storage: Storage, stopping: asyncio.Event) -> None:
    """Restore the stored session, or log in for the first time and store it."""
    matrix = config.matrix
    stored = await storage.load_login()
    if stored is not None:
        if stored.user_id != matrix.user_id:
            raise LoginError(
                f"the data directory {config.storage.data_dir} belongs to {stored.user_id}, "
                f"not matrix.user_id {matrix.user_id}; use another storage.data_dir"
            )
        client.restore_login(stored.user_id, stored.device_id, stored.access_token)
        await _check_token(client, stopping, "the stored access token")
        log.info("restored the session of %s (device %s)", stored.user_id, stored.device_id)
        return
    if matrix.access_token:
        client.access_token = matrix.access_token
        device_id = await _check_token(client, stopping, "matrix.access_token") or matrix.device_id
        if device_id != matrix.device_id:
            raise LoginError(
                f"matrix.device_id: the access token belongs to device {device_id}, not {matrix.device_id}"
            )
        client.restore_login(matrix.user_id, device_id, matrix.access_token)
    else:
        response = await retrying(
            lambda: client.login(matrix.password, device_name=DEVICE_NAME), "login", stopping=stopping
        )
        if not isinstance(response, LoginResponse):
            raise LoginError(f"matrix.password: login as {matrix.user_id} failed: {describe(response)}")
    await storage.save_login(StoredLogin(client.user_id, client.device_id, client.access_token))
    log.info("logged in as %s (device %s)", client.user_id, client.device_id)


async def _check_token(client: AsyncClient, stopping: asyncio.Event, what: str) -> str | None:
    """Check the client's access token with whoami; return the token's device id."""
    response = await retrying(client.whoami, "whoami", stopping=stopping)
    if not isinstance(response, WhoamiResponse):
        if getattr(response, "status_code", None) == "M_UNKNOWN_TOKEN":
            raise LoginError(
                f"{what} was rejected by the homeserver (device logged out or deleted?); empty "
                "storage.data_dir to log in afresh with matrix.password or a new matrix.access_token"
            )
        raise LoginError(f"checking {what} failed: {describe(response)}")
    if response.user_id != client.user_id:
        raise LoginError(f"{what} belongs to {response.user_id}, not matrix.user_id {client.user_id}")
    device_id: str | None = response.device_id
    return device_id


async def crypto_housekeeping(client: AsyncClient) -> list[Any]:
    """Upload, query and claim keys as nio needs and send its queued to-device
    messages (what ``sync_forever`` does between syncs); the responses."""
    responses: list[Any] = []
    if client.olm is None:
        return responses
    if client.should_upload_keys:
        responses.append(await client.keys_upload())
    if client.should_query_keys:
        with suppress(LocalProtocolError):  # a concurrent send may have queried already
            responses.append(await client.keys_query())
    if client.should_claim_keys:
        responses.append(await client.keys_claim(client.get_users_for_key_claiming()))
    responses.extend(await client.send_to_device_messages())
    return responses
