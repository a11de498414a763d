"""YAML parsing with bounds, for every YAML the bot reads (knowledge files, front matter,
the configuration): a hostile document is a located error, never a hang, a memory blow-up
or a traceback.

:class:`BoundedLoader` is PyYAML's SafeLoader with limits: the text size, the nesting
depth, the number of aliases, the size of the document with every alias expanded (so an
alias bomb is refused before anything walks it), the digits of an integer; recursive
aliases and impossible dates are errors. :class:`FastBoundedLoader` holds the same limits on
libyaml's parser (ten times faster: a whole site's front matter), checking depth and aliases
on the composed nodes instead; libyaml itself stops at 1000 levels. :func:`load_bounded`
(the fast loader where libyaml is present) turns every failure into :class:`YamlError` with
a 1-based line.
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


class _BoundedConstruction:
    """The constructors of the bounded loaders: no huge integers, no impossible dates."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        digits = sum(ch.isalnum() for ch in str(node.value))
        if digits > MAX_INT_DIGITS:
            raise ConstructorError(None, None, f"a number with more than {MAX_INT_DIGITS} digits", node.start_mark)
        return int(super().construct_yaml_int(node))  # type: ignore[misc]

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[misc]
        except (ValueError, OverflowError):
            raise ConstructorError(None, None, f"'{node.value}' is not a real date", node.start_mark) from None


class BoundedLoader(_BoundedConstruction, yaml.SafeLoader):
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



try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _CParser = None
if _CParser is not None:

    class FastBoundedLoader(_CParser, _BoundedConstruction, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """The same limits on libyaml's parser: depth and aliases checked once composed."""

        def __init__(self, stream: Any):
            _CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        def get_single_node(self) -> Any:
            node = _CParser.get_single_node(self)
            if node is not None:
                _check_expanded_size(node, composed=True)
            return node

else:  # pragma: no cover - PyYAML without libyaml
    FastBoundedLoader = BoundedLoader  # type: ignore[misc,assignment]


for _loader in {BoundedLoader, FastBoundedLoader}:
    _loader.add_constructor("tag:yaml.org,2002:int", _BoundedConstruction.construct_yaml_int)
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _BoundedConstruction.construct_yaml_timestamp)


def _check_expanded_size(root: yaml.Node, *, composed: bool = False) -> None:
    """Refuse a node graph that is recursive or, with aliases expanded, too large; with
    ``composed`` (libyaml composed it unchecked) also one nested too deeply or with too
    many aliases (a node met again is an alias)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    aliases = 0

    def size(node: yaml.Node, depth: int) -> int:
        nonlocal aliases
        key = id(node)
        if composed and depth > MAX_DEPTH:
            raise yaml.MarkedYAMLError(problem=f"nested more than {MAX_DEPTH} deep", problem_mark=node.start_mark)
        if key in sizes or key in active:
            aliases += 1
            if composed and aliases > MAX_ALIASES:
                raise yaml.MarkedYAMLError(problem=f"more than {MAX_ALIASES} aliases", problem_mark=node.start_mark)
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
                total += size(child, depth + 1)
                if total > MAX_EXPANDED_NODES:
                    raise yaml.MarkedYAMLError(
                        problem=f"more than {MAX_EXPANDED_NODES} values once aliases are expanded",
                        problem_mark=node.start_mark,
                    )
            active.discard(key)
        sizes[key] = total
        return total

    size(root, 1)


def load_bounded(text: str, loader: type[Any] = FastBoundedLoader, *, first_line: int = 1) -> Any:
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
        problem = str(exc.problem or exc.context or "invalid YAML")
        if "maximum nesting depth" in problem:  # libyaml's own limit, far above ours
            problem = f"nested more than {MAX_DEPTH} deep"
        raise YamlError(line, problem) from None
    except yaml.YAMLError as exc:
        raise YamlError(0, str(exc)) from None
    except (ValueError, OverflowError, RecursionError, MemoryError) as exc:  # a limit PyYAML itself hit
        raise YamlError(0, f"cannot be read: {type(exc).__name__}") from None
