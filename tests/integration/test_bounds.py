"""Bounds against a real local Synapse: `recbot run` starts on the last good knowledge when
a URL source is down (and says so in `!status`), a clear error without one, a handler that
raises loses no question, and a new join costs no gap fetch."""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.devserver import LocalSynapse
from knowledge.engine import Answer, Engine
from knowledge.loading import load_sources

from .botkit import Account, bot_config, running, user
from .conftest import MakeAccount
from .netkit import BotProcess

PAGES = Path(__file__).parent.parent / "pages"
SECRET = "s3cret-token"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def page_server(tmp_path: Path) -> Iterator[tuple[str, ThreadingHTTPServer]]:
    """The test pages over HTTP on 127.0.0.1; (base URL, server) so a test can stop it."""
    root = tmp_path / "site"
    shutil.copytree(PAGES, root)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def write_config(path: Path, server: LocalSynapse, bot: Account, data_dir: Path, url: str, admin: str) -> Path:
    settings = {
        "matrix": {"homeserver": server.base_url, "user_id": bot.user_id},
        "storage": {"data_dir": str(data_dir)},
        "moderation": {"admins": [admin]},
        "knowledge": {"sources": [url], "fetch_timeout": 5},
    }
    path.write_text(json.dumps(settings), encoding="utf-8")
    return path


def recbot(command: str, config: Path, bot: Account) -> subprocess.CompletedProcess[str]:
    """``recbot COMMAND --config CONFIG`` to its end (at most a minute)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", command, "--config", str(config)],
        env={**os.environ, "RECBOT_PASSWORD": bot.password},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.asyncio
async def test_run_starts_on_the_last_good_knowledge_when_a_source_is_down(
    synapse: LocalSynapse,
    account: MakeAccount,
    tmp_path: Path,
    page_server: tuple[str, ThreadingHTTPServer],
) -> None:
    base, httpd = page_server
    bot_account, admin_account = account("recbot"), account("admin")
    url = f"{base}/messengers.en.md?token={SECRET}"
    config = write_config(tmp_path / "config.yaml", synapse, bot_account, tmp_path / "data", url, admin_account.user_id)
    checked = recbot("check-config", config, bot_account)
    assert checked.returncode == 0 and SECRET not in checked.stdout, checked.stdout + checked.stderr
    httpd.shutdown()  # the source is down from now on
    httpd.server_close()

    bot = BotProcess(config, bot_account.password)
    bot.start()
    try:
        await bot.wait_for("ready: listening")
        assert "starting on the last good copy" in bot.output and SECRET not in bot.output
        async with user(synapse, admin_account) as admin:
            room_id = await admin.create_room([bot_account.user_id])
            await admin.wait_joined(room_id, bot_account.user_id)
            question = await admin.say(room_id, "!status")
            reply = await admin.reply_to(question, bot_account.user_id)
            assert reply is not None and "laatste goede kopie" in reply.body and SECRET not in reply.body
            assert "messengers.en.md" in reply.body  # the admin is told which source
    finally:
        assert bot.stop() == 0, bot.output

    fresh = write_config(tmp_path / "fresh.yaml", synapse, bot_account, tmp_path / "fresh", url, admin_account.user_id)
    started = recbot("run", fresh, bot_account)
    assert started.returncode == 1 and "no cached copy" in started.stderr, started.stderr
    assert "Traceback" not in started.stderr and SECRET not in started.stderr


class _Failing(Engine):
    """The bundled engine, except that it raises the first ``failures`` times it is asked
    about "kaboom" (a fault injected into a real bot, not a stand-in for one)."""

    def __init__(self, failures: int):
        super().__init__(load_sources([]))
        self.failures = failures

    def answer(self, message: str, *args: Any, **kwargs: Any) -> Answer:
        if "kaboom" in message and self.failures > 0:
            self.failures -= 1
            raise RuntimeError("injected failure")
        return super().answer(message, *args, **kwargs)


@pytest.mark.asyncio
@pytest.mark.parametrize(("failures", "expected"), [(1, "Briar ("), (2, "er ging iets mis")])
async def test_a_handler_that_raises_is_retried_once_then_answered_with_an_apology(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path, failures: int, expected: str
) -> None:
    bot_account, alice_account = account("recbot"), account("alice")
    config = bot_config(synapse, bot_account, tmp_path / "bot")
    async with running(config, engine=_Failing(failures)) as bot, user(synapse, alice_account) as alice:
        room_id = await alice.create_room([bot_account.user_id])
        await alice.wait_joined(room_id, bot_account.user_id)
        question = await alice.say(room_id, "!info briar kaboom")
        reply = await alice.reply_to(question, bot_account.user_id)
        assert reply is not None and expected in reply.body
        assert f'recbot_errors_total{{kind="handler"}} {failures}.0' in bot.metrics.exposition().decode()
        assert await bot.storage.is_claimed(question)  # answered (or apologised for) once, for good


@pytest.mark.asyncio
async def test_a_new_join_costs_no_gap_fetch(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot_account, alice_account = account("recbot"), account("alice")
    caplog.set_level(logging.INFO, logger="bot.matrix_bot")
    async with running(bot_config(synapse, bot_account, tmp_path / "bot")), user(synapse, alice_account) as alice:
        rooms = []
        for _ in range(3):
            rooms.append(await alice.create_room([bot_account.user_id]))
            await alice.wait_joined(rooms[-1], bot_account.user_id)
        question = await alice.say(rooms[-1], "!info briar")
        assert await alice.reply_to(question, bot_account.user_id) is not None
    assert not any("the sync skipped" in record.getMessage() for record in caplog.records)
