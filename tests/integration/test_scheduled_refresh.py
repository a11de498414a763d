"""A scheduled refresh against a real local Synapse: the bot follows the site's archives (built
from the snapshot, served on 127.0.0.1 behind a redirect hop) and posts what changed to its
report room, and nothing when nothing changed. The short interval is a test-only Tuning knob;
the configuration's minimum stays 15 minutes."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.devserver import LocalSynapse
from site_archives import LANGS, SNAPSHOT, archive_server, serve_snapshot, tarball

from .botkit import QUIET_S, REPLY_TIMEOUT_S, TEST_TUNING, running, set_display_name, user
from .conftest import MakeAccount

PAGES = ("vpn.md", "email.md")  # a small site keeps the 2-second schedule light


def _archives(tmp: Path, pages: tuple[str, ...]) -> tuple[Path, Path]:
    """GitHub-shaped tarballs of ``pages`` of the snapshot, English and translations."""
    english = {f"docs/{page}": SNAPSHOT / "en" / page for page in pages}
    translated = {f"i18n/{lang}/{page}": SNAPSHOT / lang / page for lang in LANGS[1:] for page in pages}
    tmp.mkdir(parents=True, exist_ok=True)
    return (
        tarball(tmp / "site.tar.gz", "privacyguides.org-1111111", english),
        tarball(tmp / "i18n.tar.gz", "i18n-2222222", translated),
    )


@pytest.mark.asyncio
async def test_a_scheduled_refresh_posts_its_diff_to_the_report_room(
    synapse: LocalSynapse, account: MakeAccount, tmp_path: Path
) -> None:
    bot_account, alice_account = account("recbot"), account("alice")
    await set_display_name(synapse, bot_account, "recbot")
    with archive_server() as served:
        site, i18n = serve_snapshot(served, *_archives(tmp_path / "v1", PAGES))
        async with user(synapse, alice_account) as alice:
            reports = await alice.create_room([bot_account.user_id], name="reports")
            config = parse_config(
                {
                    "matrix": {
                        "homeserver": synapse.base_url,
                        "user_id": bot_account.user_id,
                        "password": bot_account.password,
                    },
                    "storage": {"data_dir": str(tmp_path / "bot")},
                    "moderation": {"report_rooms": [reports]},
                    "knowledge": {"sources": [site, i18n], "refresh_every": "15m"},
                    "limits": {"user_per_minute": 0, "room_per_minute": 0},
                },
                env={},
            )
            tuning = dataclasses.replace(TEST_TUNING, refresh_every_s=2.0)  # tests only
            async with running(config, tuning) as bot:
                await alice.wait_joined(reports, bot_account.user_id)
                deadline = time.monotonic() + REPLY_TIMEOUT_S
                while len(await bot.storage.refreshes(10)) < 1:  # a scheduled refresh that changed nothing
                    assert time.monotonic() < deadline, "no scheduled refresh"
                    await asyncio.sleep(0.1)
                assert not await alice.replies(bot_account.user_id, QUIET_S), "posted although nothing changed"

                v2 = _archives(tmp_path / "v2", ("vpn.md",))  # the e-mail page is gone upstream
                serve_snapshot(served, *v2)
                [notice] = await _bot_messages(alice, bot_account.user_id, 1)
                body = str(notice.body)
                assert body.startswith("Kennis veranderd (schedule): versie "), body
                assert "Verwijderd: " in body and "Proton Mail" in body and "Criteria verwijderd: " in body
                assert "Per pagina: email: criteria −" in body
                assert notice.source["content"]["msgtype"] == "m.notice"
                assert "m.relates_to" not in notice.source["content"]
                assert not any("email/" in e.id for e in bot.engine.kb.entries)  # the new base is live
                assert not await alice.replies(bot_account.user_id, 2 * QUIET_S + 2), "posted the same diff twice"
                history = await bot.storage.refreshes(100)
                assert all(record.requested_by == "schedule" and record.ok for record in history)
                assert sum("Proton Mail" in record.details for record in history) == 1


async def _bot_messages(person, bot_id: str, count: int) -> list:
    """The next ``count`` messages from the bot (within the reply timeout)."""
    seen: list = []
    deadline = time.monotonic() + REPLY_TIMEOUT_S
    while len(seen) < count and time.monotonic() < deadline:
        seen.extend(await person.replies(bot_id, 1.0))
    assert len(seen) >= count, f"expected {count} messages from the bot, got {len(seen)}"
    return seen[:count]
