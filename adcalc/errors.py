"""One error family for everything a user can get wrong, and source spans.

Contract:
- ``Span(line, column, end_line, end_column)`` is 1-based; ``end_column`` is exclusive.
- ``AdcalcError(kind, message, span=None, hint=None)`` is the only exception the public API
  raises for bad input.  ``kind`` is one of ``KINDS``.  Front ends show ``message``, the
  source line with a caret under ``span`` (see ``excerpt``), and ``hint``.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable

KINDS = (
    "syntax",  # the text is not in the language
    "name",  # an unknown or unbound name
    "arity",  # a call with the wrong number of arguments
    "type",  # a value used where it cannot be (a comparison as a number, a vector as a scalar)
    "domain",  # a non-finite value under strict mode
    "limit",  # steps, call depth, input size, nesting
    "shape",  # array shapes that do not fit (broadcasting, matmul, literals)
    "index",  # an index out of range, or too many subscripts
    "input",  # a bad --at / --dir / --cot value or binding
    "file",  # a source file that cannot be read
    "usage",  # an API or command used the wrong way
)


class Span(namedtuple("Span", "line column end_line end_column")):
    """A source range (immutable, compared by value).  A named tuple rather than a dataclass:
    this module is on every command's start-up path, and ``dataclasses`` costs more to import
    than all of adcalc's own modules."""

    __slots__ = ()

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"

    def to(self, other: Span) -> Span:
        """The span from the start of ``self`` to the end of ``other``."""
        return Span(self.line, self.column, other.end_line, other.end_column)


class AdcalcError(Exception):
    """A user-facing error: what went wrong (kind, message), where (span), what to do (hint)."""

    def __init__(self, kind: str, message: str, span: Span | None = None, hint: str | None = None):
        assert kind in KINDS, kind
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.span = span
        self.hint = hint

    def __str__(self) -> str:
        where = f" at {self.span}" if self.span else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.kind} error{where}: {self.message}{hint}"


def excerpt(source: str, span: Span | None, width: int = 100) -> str:
    """The source line of ``span`` with a caret line under it; '' when unknown.

    Long lines are cut around the span so the caret stays visible.
    """
    if span is None or span.line < 1:
        return ""
    lines = source.splitlines()
    if span.line > len(lines):
        return ""
    text = lines[span.line - 1].expandtabs(1)
    start = max(span.column - 1, 0)
    end = span.end_column - 1 if span.end_line == span.line else len(text)
    end = max(end, start + 1)
    if len(text) > width:  # keep a window around the caret
        left = max(0, min(start - width // 3, len(text) - width))
        text = ("…" if left else "") + text[left : left + width] + ("…" if left + width < len(text) else "")
        shift = left - (1 if left else 0)
        start, end = start - shift, min(end - shift, len(text))
    carets = "^" * max(1, min(end, len(text) + 1) - start)
    return f"{text}\n{' ' * start}{carets}"


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The nearest known name to a misspelt one, for 'did you mean ...?' hints."""
    import difflib

    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None
