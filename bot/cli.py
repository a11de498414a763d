"""The `recbot` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from knowledge.model import SITE_LANGS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recbot",
        description="A Matrix bot that answers questions about recommended encrypted messengers.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = sub.add_parser("ask", help="answer a question offline, without Matrix")
    ask.add_argument("question", help="the question, or - to read one question per line from stdin")
    ask.add_argument("--kb", action="append", default=[], metavar="SOURCE",
                     help="knowledge source (YAML file or directory, markdown page, URL, or 'bundled'); repeatable")
    ask.add_argument("--json", action="store_true", help="print JSON: intent, entries, lang, category, confidence, text, html")
    ask.add_argument("--lang", default="nl", choices=SITE_LANGS,
                     help="the room's language: the reply's when the question does not tell (default nl; "
                     "a language the knowledge has no texts in falls back to nl)")
    ask.add_argument("--html", action="store_true", help="print the HTML reply instead of plain text")

    ev = sub.add_parser("eval", help="score a question file (format of shared/eval/dev.yaml)")
    ev.add_argument("file")
    ev.add_argument("--kb", action="append", default=[], metavar="SOURCE")
    ev.add_argument("--lang", default="nl", choices=SITE_LANGS)

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True, metavar="KB_COMMAND")
    check = kb_sub.add_parser("check", help="validate the bundled pack (no arguments) or the given sources")
    check.add_argument("sources", nargs="*", metavar="SOURCE")

    run = sub.add_parser("run", help="run the Matrix bot")
    run.add_argument("--config", "-c", default="config.yaml", help="configuration file (default config.yaml)")

    cc = sub.add_parser("check-config", help="validate a configuration file and exit")
    cc.add_argument("--config", "-c", default="config.yaml")

    verify = sub.add_parser("verify", help="cross-sign the bot's device (after `recbot run` logged it in)")
    verify.add_argument("--config", "-c", default="config.yaml")
    verify.add_argument("--reset", action="store_true",
                        help="replace the account's cross-signing identity and recovery key (needs matrix.password)")

    health = sub.add_parser("health", help="ask the running bot's /health endpoint (exit 0 if healthy)")
    health.add_argument("--config", "-c", default="config.yaml")

    demo = sub.add_parser("demo", help="try recbot on a throwaway local Synapse")
    demo.add_argument("--keep", action="store_true", help="leave the homeserver and bot running afterwards")
    demo.add_argument("--dir", default=None, help="where to keep the demo's data (default: a temporary directory)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("ask", "eval", "kb"):
        from . import offline

        handler = {"ask": offline.cmd_ask, "eval": offline.cmd_eval, "kb": offline.cmd_kb}[args.command]
    elif args.command in ("run", "check-config"):
        from . import app

        handler = app.cmd_run if args.command == "run" else app.cmd_check_config
    elif args.command == "verify":
        from .verify import cmd_verify as handler
    elif args.command == "health":
        from .health import cmd_health as handler
    else:
        from . import demo as demo_module

        handler = demo_module.cmd_demo
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
