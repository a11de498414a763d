"""`recbot verify` and the cross-signing line of `recbot check-config`: the bot's
device as the homeserver sees it, using the session stored in ``data_dir``.

Neither touches the encryption store, so both are safe while the bot runs; only
``verify`` changes anything (signing the device, or with ``--reset`` replacing the
account's cross-signing identity: a deliberate act that needs the password).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from nio import AsyncClient, AsyncClientConfig

from .config import Config, ConfigError, load_config
from .crosssign import CrossSigningError, CrossSigningState, ensure_cross_signed, query_state
from .retry import TRANSIENT_EXCEPTIONS, describe
from .storage import DB_NAME, Storage, StorageError, StoredLogin

log = logging.getLogger("recbot")
#: Seconds check-config waits for the homeserver.
CHECK_TIMEOUT_S = 10.0


async def stored_login(config: Config) -> StoredLogin | None:
    """The bot's session from ``data_dir`` (None if the bot never logged in there)."""
    if not (config.storage.data_dir / DB_NAME).exists():
        return None
    storage = await Storage.open(config.storage.data_dir)
    try:
        return await storage.load_login()
    finally:
        await storage.close()


def stored_client(config: Config, login: StoredLogin) -> AsyncClient:
    """A plain client (no encryption store) on the stored session."""
    client = AsyncClient(
        config.matrix.homeserver,
        login.user_id,
        device_id=login.device_id,
        config=AsyncClientConfig(max_timeouts=0, max_limit_exceeded=0, request_timeout=CHECK_TIMEOUT_S),
    )
    client.restore_login(login.user_id, login.device_id, login.access_token)
    return client


async def describe_cross_signing(config: Config) -> str:
    """One line for check-config: whether the bot's device is cross-signed now."""
    try:
        login = await stored_login(config)
    except StorageError as exc:
        return f"unknown ({exc})"
    if login is None:
        return "not set up yet (the first `recbot run` sets it up before answering anything)"
    client = stored_client(config, login)
    try:
        state = await asyncio.wait_for(query_state(client, attempts=1), CHECK_TIMEOUT_S * 2)
    except (CrossSigningError, *TRANSIENT_EXCEPTIONS) as exc:
        return f"unknown ({exc if isinstance(exc, CrossSigningError) else describe(exc)})"
    finally:
        await client.close()
    return ("yes: " if state.cross_signed else "NO: ") + state.detail


async def verify(config: Config, reset: bool) -> CrossSigningState:
    """Cross-sign the stored device (``reset``: under a new identity)."""
    if reset and not config.matrix.password:
        raise CrossSigningError("matrix.password: `recbot verify --reset` needs the account's password (or RECBOT_PASSWORD)")
    login = await stored_login(config)
    if login is None:
        raise CrossSigningError(
            f"storage.data_dir: no session in {config.storage.data_dir} yet; start the bot once with `recbot run`"
        )
    client = stored_client(config, login)
    try:
        return await ensure_cross_signed(client, config, reset=reset)
    except TRANSIENT_EXCEPTIONS as exc:
        raise CrossSigningError(f"the homeserver is unreachable ({describe(exc)})") from None
    finally:
        await client.close()


def cmd_verify(args: argparse.Namespace) -> int:
    """`recbot verify [--reset]`: make sure the bot's device is cross-signed."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("nio").setLevel(logging.WARNING)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"error: {args.config}: {line}", file=sys.stderr)
        return 1
    try:
        state = asyncio.run(verify(config, args.reset))
    except (CrossSigningError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"cross-signing: {state.detail}")
    return 0
