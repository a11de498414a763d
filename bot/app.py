"""`recbot run` and `recbot check-config`: load and check everything, then run the bot."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from knowledge.engine import Engine
from knowledge.loading import load_sources
from knowledge.model import KnowledgeBase, KnowledgeError

from .config import Config, ConfigError, load_config
from .health import HealthServerError
from .matrix_bot import Bot
from .refresh import knowledge_cache, redact_urls
from .session import LoginError
from .storage import StorageError
from .verify import describe_cross_signing

log = logging.getLogger("recbot")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def load_checked(path: str, stale: list[str] | None = None) -> tuple[Config, KnowledgeBase]:
    """The validated configuration and its knowledge base; ConfigError lists every
    problem (knowledge problems under ``knowledge.sources``, with file:line). A good load
    is saved as the last good knowledge in ``data_dir``; with ``stale`` given (``run``), a
    URL source that cannot be fetched is read from that copy, and a line saying so is
    added to ``stale``."""
    config = load_config(path)
    knowledge = config.knowledge
    try:
        kb = load_sources(
            list(knowledge.sources),
            limits=knowledge.fetch_limits,
            cache=knowledge_cache(config.storage.data_dir),
            fall_back=stale is not None,
            stale=stale,
        )
    except KnowledgeError as exc:
        raise ConfigError([("knowledge.sources", redact_urls(str(problem))) for problem in exc.problems]) from None
    return config, kb


def _report(path: str, exc: ConfigError) -> int:
    for line in str(exc).splitlines():
        print(f"error: {path}: {line}", file=sys.stderr)
    return 1


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate the configuration and knowledge sources; print a summary without secrets."""
    try:
        config, kb = load_checked(args.config)
    except ConfigError as exc:
        return _report(args.config, exc)
    print("config OK")
    for line in config.summary():
        print(f"  {line}")
    print(f"  knowledge: {len(kb.entries)} entries")
    print(f"  cross-signing: {asyncio.run(describe_cross_signing(config))}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot until SIGTERM or SIGINT."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("nio").setLevel(logging.WARNING)
    logging.getLogger("peewee").setLevel(logging.WARNING)
    os.umask(0o077)  # everything the bot writes (session, keys, cached knowledge) is its own
    stale: list[str] = []
    try:
        config, kb = load_checked(args.config, stale)
    except ConfigError as exc:
        return _report(args.config, exc)
    for line in stale:
        log.warning("knowledge source unreachable, starting on the last good copy: %s", redact_urls(line))
    log.info("knowledge: %d entries", len(kb.entries))
    bot = Bot(config, Engine(kb))
    bot.pipeline.stale_knowledge = tuple(stale)
    return asyncio.run(run_bot(bot))


async def run_bot(bot: Bot) -> int:
    """Run ``bot`` with SIGTERM/SIGINT wired to a clean shutdown and SIGHUP to a knowledge
    refresh; the exit code."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for sig in signals:
        loop.add_signal_handler(sig, bot.shutdown)
    loop.add_signal_handler(signal.SIGHUP, bot.reload_knowledge)
    try:
        await bot.run()
    except (LoginError, StorageError, HealthServerError) as exc:
        log.error("%s", exc)
        return 1
    finally:
        for sig in (*signals, signal.SIGHUP):
            loop.remove_signal_handler(sig)
    return 0
