"""How a message stands to the bot, beyond its words: does it point at an app it never names,
name an app only as a likeness, leave one app for another, run an app rather than ask about it,
or only remark? The cue words are language data in ``knowledge/cues/<lang>.yaml``."""

from __future__ import annotations

import re
from pathlib import Path

from .model import KnowledgeError, Problem
from .yaml_safe import YamlError, load_bounded

CUES_DIR = Path(__file__).parent / "cues"
LANGUAGES = ("en", "nl")
KEYS = ("deixis", "dummy_it", "pronoun_it", "selection", "simile_before", "simile_after", "leave_for", "evaluation",
        "operating", "howto", "judging_verbs", "clause_openers", "subject_verbs", "fillers", "request_openers", "wanting", "unnamed_comparison",
        "topic_words")
MAX_CUE_CHARS = 4000  # one key's patterns, joined


def load_cues(directory: Path = CUES_DIR, languages: tuple[str, ...] = LANGUAGES) -> dict[str, re.Pattern[str]]:
    """One pattern per key, the languages' cues joined; a bad file is a located error."""
    parts: dict[str, list[str]] = {key: [] for key in KEYS}
    problems: list[Problem] = []
    for lang in languages:
        path = directory / f"{lang}.yaml"
        try:
            data = load_bounded(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(path), 0, f"cannot read: {exc.__class__.__name__}"))
            continue
        except YamlError as exc:
            problems.append(Problem(str(path), exc.line, exc.message))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(str(path), 1, "expected a mapping of cue keys to lists of patterns"))
            continue
        for key, patterns in data.items():
            if key not in parts:
                problems.append(Problem(str(path), 0, f"unknown cue key {key!r} (known: {', '.join(KEYS)})"))
            elif not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns):
                problems.append(Problem(str(path), 0, f"cue key {key!r}: expected a list of non-empty strings"))
            else:
                parts[key].extend(patterns)
    compiled: dict[str, re.Pattern[str]] = {}
    for key, patterns in parts.items():
        joined = "|".join(f"(?:{p})" for p in patterns) or r"(?!x)x"
        if len(joined) > MAX_CUE_CHARS:
            problems.append(Problem(str(directory), 0, f"cue key {key!r}: longer than {MAX_CUE_CHARS} characters"))
            continue
        try:
            compiled[key] = re.compile(rf"(?<![\w-])(?:{joined})(?![\w-])")
        except re.error as exc:
            problems.append(Problem(str(directory), 0, f"cue key {key!r}: not a regular expression ({exc})"))
    if problems:
        raise KnowledgeError(problems)
    return compiled


CUES = load_cues()


def points_without_naming(normalized: str) -> bool:
    """"Is this safe?", "I use it in China", "is the video chat encrypted?": the message points
    at an app (with "this", "here", "it", "the app") without naming it or asking us to pick one."""
    if CUES["selection"].search(normalized):
        return False
    text = CUES["dummy_it"].sub(" ", normalized)
    return bool(CUES["deixis"].search(text) or CUES["pronoun_it"].search(text))


def named_as_likeness(normalized: str, start: int, end: int) -> bool:
    """Is the name at ``normalized[start:end]`` a likeness or an example ("something like
    Discord", "discord style", "everything that discord has"), not what is asked about?"""
    before = normalized[max(0, start - 24) : start].rstrip(" ,")
    after = normalized[end : end + 12].lstrip(" ")
    ends_like = any(m.end() == len(before) for m in CUES["simile_before"].finditer(before))
    return ends_like or bool(CUES["simile_after"].match(after))


def leaves_for(normalized: str) -> tuple[int, int] | None:
    """Span of the app left when the message leaves one app for another ("leaving WhatsApp
    for Signal", "WhatsApp verlaten voor Signal") and asks whether that is better; else None."""
    if not CUES["evaluation"].search(normalized):
        return None
    for match in CUES["leave_for"].finditer(normalized):
        group = next((g for g, v in match.groupdict().items() if g.startswith("from") and v), None)
        if group:
            return match.span(group)
    return None


def operates_app(normalized: str) -> bool:
    """Running an app oneself, or its service being down: app support ("is the server down?",
    "how do I deploy it on my servers")."""
    return bool(CUES["operating"].search(normalized))


def howto_verb(normalized: str) -> str:
    """The verb of "how do I <verb> ...", when it is doing something with an app rather than
    judging or choosing one ("how do I share my address" → "share"; "how do I know" → "")."""
    for match in CUES["howto"].finditer(normalized):
        verb = next((v for g, v in match.groupdict().items() if g.startswith("verb") and v), "")
        if verb and not CUES["judging_verbs"].fullmatch(verb) and _opens_clause(normalized[: match.start()]):
            return verb
    return ""


def _opens_clause(before: str) -> bool:
    """Does a phrase after ``before`` open a clause (not "they don't make it obvious how to ...")?"""
    before = before.rstrip()
    return not before or before[-1] in ".?!:;,()-" or any(m.end() == len(before) for m in CUES["clause_openers"].finditer(before[-16:]))


def opens_with_subject(normalized: str, end: int) -> bool:
    """Is the name ending at ``end`` (the message opening with it) the subject of a verb
    ("Signal contains trackers?"), not part of a compound ("session cookies")?"""
    following = normalized[end:].split(maxsplit=1)
    return bool(following) and bool(CUES["subject_verbs"].fullmatch(following[0]))


def without_fillers(normalized: str) -> str:
    """The text without words that only colour it ("wat is er eigenlijk mis met X" reads as
    "wat is er mis met X"), for reading cue phrases; offsets do not carry over."""
    return re.sub(r"  +", " ", CUES["fillers"].sub("", normalized))


def reads_as_remarks(message: str, normalized: str) -> bool:
    """Two or more sentences, none a question or a request, and the asker wanting nothing
    ("Jami lets you export your ID. Session could have that too."): remarks, not a question
    for recbot. The caller still checks that no caveat, support or comparison is in them."""
    if "?" in message or CUES["wanting"].search(normalized):
        return False
    sentences = [s.split() for s in re.split(r"[.!;]+\s+|\n+", normalized) if len(s.split()) >= 3]
    return len(sentences) >= 2 and not any(CUES["request_openers"].fullmatch(s[0]) for s in sentences)


def declares(message: str, normalized: str, outside_names: str | None = None) -> bool:
    """A statement about an app, no question and no request in it, the asker wanting nothing
    ("Signal offers no security", "Matrix is institutionally compromised."): said to the world
    or the app's developers, not asked of recbot. The caller checks that no cue asks anything.
    ``outside_names``: the message without the names it holds; when only topic words are left
    (prepositions, platforms) nothing is said of the app, so it is no statement."""
    if "?" in message or CUES["wanting"].search(normalized):
        return False
    if outside_names is not None and all(CUES["topic_words"].fullmatch(w) for w in outside_names.split()):
        return False  # "brave on android", "signal for desktop": a topic named, nothing said of it
    if any(ch.isalpha() and ord(ch) > 0x24F for ch in message):
        return False  # another script: these English and Dutch cue words cannot tell a statement there
    sentences = [s.split() for s in re.split(r"[.!;]+\s+|\n+", normalized) if s.split()]
    return len(normalized.split()) >= 3 and not any(CUES["request_openers"].fullmatch(s[0]) for s in sentences)


def compares_with_unnamed(normalized: str) -> bool:
    """"Is this app better than Signal?", "how is this different from Matrix?": an app not named
    here is set against the one named, so the question is about the one not named."""
    return bool(CUES["unnamed_comparison"].search(normalized))
