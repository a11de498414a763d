"""Offline commands: `recbot ask`, `recbot eval` and `recbot kb check` (no Matrix needed)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from knowledge.engine import Answer, Engine
from knowledge.loading import load_sources
from knowledge.model import KnowledgeError
from knowledge.yaml_safe import YamlError, load_bounded


def _engine(sources: list[str]) -> Engine:
    return Engine(load_sources(sources))


def _report(exc: KnowledgeError) -> int:
    for problem in exc.problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1


def cmd_ask(args: argparse.Namespace) -> int:
    try:
        engine = _engine(args.kb)
    except KnowledgeError as exc:
        return _report(exc)
    try:
        return _ask(engine, args)
    except BrokenPipeError:  # the reader went away (`recbot ask ... | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _ask(engine: Engine, args: argparse.Namespace) -> int:
    if args.question == "-":
        for line in sys.stdin:
            answer = engine.answer(line.rstrip("\r\n"), args.lang)
            print(_format(answer, args), flush=True)
        return 0
    print(_format(engine.answer(args.question, args.lang), args))
    return 0


def _format(answer: Answer, args: argparse.Namespace) -> str:
    if args.json:
        return json.dumps(answer.to_json(), ensure_ascii=False)
    if answer.intent == "none" and not answer.text:
        return "(no answer: this does not look like a question for recbot)"
    return answer.html if args.html else answer.text


def cmd_kb(args: argparse.Namespace) -> int:
    sources = args.sources or ["bundled"]
    try:
        kb = load_sources(sources)
    except KnowledgeError as exc:
        return _report(exc)
    print(
        f"ok: {len(kb.entries)} entries, {len(kb.criteria)} criteria, {len(kb.warnings)} warnings "
        f"from {', '.join(sources)} (version {kb.version})"
    )
    if kb.categories:  # a site: what it covers
        pages = {s.file for s in kb.sources}
        langs = sorted({s.lang for s in kb.sources})
        print(f"   {len(pages)} page files, {len(kb.categories)} categories, languages: {' '.join(langs)}")
    return 0


# --- evaluation -------------------------------------------------------------------------------


def load_questions(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        items = load_bounded(text) or []
    except YamlError as exc:
        raise ValueError(f"{path}:{exc.line}: {exc.message}") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) and "q" in i for i in items):
        raise ValueError(f"{path}: expected a list of items with a 'q' field")
    return items


def check(item: dict[str, Any], answer: Answer) -> list[str]:
    """What is wrong with an answer to one evaluation item (empty: right). Fields checked:
    ``intent`` (one or a list), ``top`` (an id or a list of acceptable ids, one must come first),
    ``include``, ``exclude``, ``category`` (the answer's category page) and ``lang``; others
    (``src``, notes) are ignored."""
    wrong: list[str] = []
    intents = item.get("intent", [])
    intents = [intents] if isinstance(intents, str) else list(intents)
    if intents and answer.intent not in intents:
        wrong.append(f"intent {answer.intent}, want {'|'.join(intents)}")
    top = item.get("top")
    tops = [top] if isinstance(top, str) else list(top or [])  # a list: any one of them may come first
    if tops and (not answer.entries or answer.entries[0] not in tops):
        wrong.append(f"top {answer.entries[0] if answer.entries else '-'}, want {'|'.join(tops)}")
    if item.get("category") and answer.category != item["category"]:
        wrong.append(f"category {answer.category or '-'}, want {item['category']}")
    if item.get("lang") and answer.lang != item["lang"]:
        wrong.append(f"lang {answer.lang}, want {item['lang']}")
    missing = [e for e in item.get("include", []) if e not in answer.entries]
    if missing:
        wrong.append(f"missing {missing}")
    extra = [e for e in item.get("exclude", []) if e in answer.entries]
    if extra:
        wrong.append(f"should not include {extra}")
    return wrong


def evaluate(engine: Engine, items: list[dict[str, Any]], lang: str = "nl") -> dict[str, Any]:
    per_intent: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for item in items:
        answer = engine.answer(str(item["q"]), lang)
        wrong = check(item, answer)
        intents = item.get("intent", "?")
        key = intents if isinstance(intents, str) else intents[0]
        per_intent[key][1] += 1
        if wrong:
            failures.append((item["q"], answer, wrong))
        else:
            per_intent[key][0] += 1
    right = sum(r for r, _ in per_intent.values())
    return {
        "overall": right / len(items) if items else 0.0,
        "right": right,
        "total": len(items),
        "per_intent": {k: v[0] / v[1] for k, v in per_intent.items()},
        "counts": dict(per_intent),
        "failures": failures,
    }


def cmd_eval(args: argparse.Namespace) -> int:
    try:
        engine = _engine(args.kb)
        items = load_questions(args.file)
    except KnowledgeError as exc:
        return _report(exc)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    result = evaluate(engine, items, args.lang)
    for intent, (right, total) in sorted(result["counts"].items()):
        print(f"{intent:10} {right:3}/{total:<3} {right / total:6.1%}")
    print(f"{'overall':10} {result['right']:3}/{result['total']:<3} {result['overall']:6.1%}")
    for question, answer, wrong in result["failures"]:
        got = f"{answer.intent} {answer.category + ' ' if answer.category else ''}{list(answer.entries)[:6]} {answer.confidence:.2f}"
        print(f"FAIL {question!r}: {'; '.join(wrong)} (got {got})")
    return 0
