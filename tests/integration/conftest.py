"""Fixtures for tests that run against a real, local Synapse homeserver."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator

import pytest

from bot.devserver import DevServerError, LocalSynapse

from .botkit import Account

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

