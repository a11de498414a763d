"""The one entry point the bot and the command line use: a question in, an Answer out."""

from __future__ import annotations

from dataclasses import dataclass

from .model import KnowledgeBase

INTENTS = ("card", "compare", "list", "criteria", "filter", "caveats", "help", "none")


@dataclass(frozen=True)
class Answer:
    intent: str  # one of INTENTS
    entries: tuple[str, ...]  # entry ids the answer is about, most relevant first
    lang: str  # "nl" or "en": the language of the reply
    confidence: float  # 0..1; below the threshold the intent is "none"
    text: str  # plain-text reply ("" when intent is none)
    html: str  # the same reply as safe HTML (user text escaped)
    command: str = ""  # canonical command name when the message was a command

    def to_json(self) -> dict:
        return {
            "intent": self.intent,
            "entries": list(self.entries),
            "lang": self.lang,
            "confidence": round(self.confidence, 3),
            "text": self.text,
            "html": self.html,
        }


class Engine:
    """Answers questions from one immutable KnowledgeBase (swap the Engine to refresh)."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb

    def answer(self, message: str, default_lang: str = "nl", prefix: str = "!") -> Answer:
        # Placeholder while understanding is being written: never answers.
        return Answer("none", (), default_lang, 0.0, "", "")
