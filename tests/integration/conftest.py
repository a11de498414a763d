"""Fixtures for tests that run against a real, local Synapse homeserver."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from bot.devserver import DevServerError, LocalSynapse

from .botkit import Account
from .jsclient import JsClient, JsClientError, js_runtime, js_user

#: new_user(prefix) -> (user_id, password, access_token)
NewUser = Callable[[str], tuple[str, str, str]]
#: account(prefix) -> a new Account
MakeAccount = Callable[[str], Account]


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSynapse]:
    """One homeserver for the whole session; fails (never skips) if it can't start."""
    server = LocalSynapse(tmp_path_factory.mktemp("synapse"))
    error: str | None = None
    try:
        server.start()
    except DevServerError as exc:
        error = str(exc)
    if error is not None:  # fail outside the except block: no chained traceback
        pytest.fail(f"local Synapse for the integration tests: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def new_user(synapse: LocalSynapse) -> NewUser:
    """``new_user(prefix)`` registers a user with a unique localpart on ``synapse``."""
    counter = itertools.count(1)

    def make(prefix: str) -> tuple[str, str, str]:
        localpart = f"{prefix.lower()}{next(counter)}_{secrets.token_hex(3)}"
        password = secrets.token_urlsafe(12)
        user_id, token = synapse.register_user(localpart, password)
        return user_id, password, token

    return make


@pytest.fixture
def account(new_user: NewUser) -> MakeAccount:
    """``account(prefix)``: a newly registered user as an Account."""
    return lambda prefix: Account(*new_user(prefix))



@pytest.fixture(scope="session")
def js_node() -> Path:
    """The Node 22 binary of the JS client tests, installing the locked npm packages
    (``npm ci``) on first use."""
    try:
        return js_runtime()
    except JsClientError as exc:
        pytest.fail(f"JS client for the integration tests: {exc}", pytrace=False)


#: js_client(account, **login options) -> an async context manager yielding a JsClient
JsClientFactory = Callable[..., AbstractAsyncContextManager[JsClient]]


@pytest.fixture
def js_client(js_node: Path, synapse: LocalSynapse, tmp_path: Path) -> JsClientFactory:
    """``async with js_client(account, **options) as client``: matrix-js-sdk logged in as
    ``account`` (options: see ``login`` in jsclient.py), its log in ``tmp_path``."""
    counter = itertools.count(1)

    def make(account: Account, **options: Any) -> AbstractAsyncContextManager[JsClient]:
        log_path = tmp_path / f"js-{account.user_id.split(':')[0][1:]}-{next(counter)}.log"
        return js_user(synapse.base_url, account.user_id, account.password, log_path, **options)

    return make
