"""YAML parsing with bounds, for every YAML the bot reads (knowledge files, front matter,
the configuration): a hostile document is a located error, never a hang, a memory blow-up
or a traceback.

:class:`BoundedLoader` is PyYAML's SafeLoader with limits: the text size, the nesting
depth, the number of aliases, the size of the document with every alias expanded (so an
alias bomb is refused before anything walks it), the digits of an integer; recursive
aliases and impossible dates are errors. :func:`load_bounded` turns every failure into
:class:`YamlError` with a 1-based line.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError

#: Limits for one YAML document.
MAX_TEXT_CHARS = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 200
MAX_EXPANDED_NODES = 200_000
MAX_INT_DIGITS = 40


class YamlError(Exception):
    """A document that cannot be read: ``line`` (1-based, 0 unknown) and ``message``."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.message = message


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses documents beyond the limits above."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise yaml.MarkedYAMLError(
                    problem=f"more than {MAX_ALIASES} aliases", problem_mark=event.start_mark
                )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise yaml.MarkedYAMLError(problem=f"nested more than {MAX_DEPTH} deep", problem_mark=event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        if node is not None:
            _check_expanded_size(node)
        return node

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        digits = sum(ch.isalnum() for ch in str(node.value))
        if digits > MAX_INT_DIGITS:
            raise ConstructorError(None, None, f"a number with more than {MAX_INT_DIGITS} digits", node.start_mark)
        return int(super().construct_yaml_int(node))

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            raise ConstructorError(None, None, f"'{node.value}' is not a real date", node.start_mark) from None


BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)
BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", BoundedLoader.construct_yaml_timestamp)


def _check_expanded_size(root: yaml.Node) -> None:
    """Refuse a node graph that is recursive or, with aliases expanded, too large."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise yaml.MarkedYAMLError(problem="an alias refers to itself", problem_mark=node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            total = 1
        else:
            active.add(key)
            children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
            total = 1
            for child in children:
                total += size(child)
                if total > MAX_EXPANDED_NODES:
                    raise yaml.MarkedYAMLError(
                        problem=f"more than {MAX_EXPANDED_NODES} values once aliases are expanded",
                        problem_mark=node.start_mark,
                    )
            active.discard(key)
        sizes[key] = total
        return total

    size(root)


def load_bounded(text: str, loader: type[BoundedLoader] = BoundedLoader, *, first_line: int = 1) -> Any:
    """The one document in ``text``; YamlError (lines counted from ``first_line``) if it
    is invalid or beyond the limits."""
    if len(text) > MAX_TEXT_CHARS:
        raise YamlError(0, f"larger than {MAX_TEXT_CHARS // 1024} KiB")
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        # An unclosed bracket or quote is found at the end of the file; its start is the news.
        mark = exc.context_mark or exc.problem_mark
        line = mark.line + first_line if mark is not None else 0
        raise YamlError(line, str(exc.problem or exc.context or "invalid YAML")) from None
    except yaml.YAMLError as exc:
        raise YamlError(0, str(exc)) from None
    except (ValueError, OverflowError, RecursionError, MemoryError) as exc:  # a limit PyYAML itself hit
        raise YamlError(0, f"cannot be read: {type(exc).__name__}") from None
