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
    "check",  # generated code that disagrees with the interpreter (codegen --check)
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

    def __reduce__(self) -> tuple[type, tuple[str, str, Span | None, str | None]]:
        """Pickle by the constructor's arguments (the default would call ``__init__(message)``
        only): errors cross process boundaries in ``adcalc run --jobs N``."""
        return type(self), (self.kind, self.message, self.span, self.hint)

    def __str__(self) -> str:
        where = f" at {self.span}" if self.span else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.kind} error{where}: {self.message}{hint}"


_ESCAPES: list[dict[int, str]] = []


def _escapes() -> dict[int, str]:
    """The translation table of ``shown``: built on first use in a local dict and published in
    one step, so a thread never sees a half-built table."""
    if not _ESCAPES:
        table: dict[int, str] = {}
        for c in (*range(0x00, 0x20), *range(0x7F, 0xA0)):  # C0, DEL, C1 (ESC, CSI, OSC, ...)
            table[c] = f"\\x{c:02x}"
        # bidi controls (with the Arabic letter mark), and the line and paragraph separators
        for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029):
            table[c] = f"\\u{c:04x}"
        for c in range(0xD800, 0xE000):  # lone surrogates: an undecodable byte of a file name
            table[c] = f"\\x{c - 0xDC00:02x}" if 0xDC80 <= c <= 0xDCFF else f"\\u{c:04x}"
        _ESCAPES.append(table)
    return _ESCAPES[0]


def shown(text: str, newlines: bool = False) -> str:
    """User text made safe to show on a terminal or in a log: control characters (ESC and the
    rest of C0 and C1, DEL), bidirectional overrides and undecodable bytes are written as
    ``\\x1b`` / ``\\u202e`` escapes, so echoing a source line or a file name can never retitle
    the terminal, clear the screen or reorder what is shown.  ``newlines``: keep line breaks
    (a multi-line message)."""
    if text.isascii() and text.isprintable():
        return text
    if newlines:
        return "\n".join(line.translate(_escapes()) for line in text.split("\n"))
    return text.translate(_escapes())


def excerpt(source: str, span: Span | None, width: int = 100, ascii: bool = False) -> str:
    """The source line of ``span`` with a caret line under it; '' when unknown.

    Long lines are cut around the span so the caret stays visible; control characters in the
    line are shown escaped (``shown``), with the caret still under the right characters.  With
    ``ascii`` (an output that cannot encode the text) every other non-ASCII character is shown
    as its escape too (``π`` → ``\u03c0``) — the user's own text, never transliterated — and a
    cut line is marked ``...``.
    """
    if span is None or span.line < 1:
        return ""
    lines = source.split("\n")
    if span.line > len(lines):
        return ""
    raw = lines[span.line - 1].removesuffix("\r").expandtabs(1)
    start = max(span.column - 1, 0)
    end = span.end_column - 1 if span.end_line == span.line else len(raw)
    end = max(end, start + 1)

    def display(s: str) -> str:
        s = shown(s)
        return s.encode("ascii", "backslashreplace").decode("ascii") if ascii and not s.isascii() else s

    text = display(raw)
    if text != raw:  # escapes widen characters: move the caret with them
        start, end = len(display(raw[:start])), len(display(raw[:end]))
    if len(text) > width:  # keep a window around the caret
        mark = "..." if ascii else "…"
        left = max(0, min(start - width // 3, len(text) - width))
        text = (mark if left else "") + text[left : left + width] + (mark if left + width < len(text) else "")
        shift = left - (len(mark) if left else 0)
        start, end = start - shift, min(end - shift, len(text))
    carets = "^" * max(1, min(end, len(text) + 1) - start)
    return f"{text}\n{' ' * start}{carets}"


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The nearest known name to a misspelt one, for 'did you mean ...?' hints."""
    import difflib

    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None
