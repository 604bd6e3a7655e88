"""Where each part of the REPL's combined program came from, so errors point at what was typed.

The session runs one program made of pieces: every definition's source (typed as ``f(x) = …``,
as a ``def`` block, or loaded from a file) and the text being run now.  A piece's source is
sometimes generated (``f(a) = a + 1`` becomes ``def f(a):\\n    return a + 1``), so each piece
records its ``Origin``: the text it was written in, and for each generated line the line of that
text and the column shift.  ``Layout.locate`` maps a span of the combined program back to the
piece and the span in the user's own text; ``Layout.relocate`` turns an error of the combined
program into a ``Located`` error that carries that text and its label.

Contract: line numbers count from the first line of the entry (or of the file) the piece was
written in, never across the session; columns are the user's own columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from adcalc.errors import AdcalcError, Span


class Origin(NamedTuple):
    """``entry``: the number of the REPL input the piece was written in; ``label``: the file's
    name when it was loaded from one (None when typed); ``text``: the whole entry or file (for the
    excerpt); ``lines``: for each line of the generated source, ``(line in text, column shift)``."""

    entry: int
    label: str | None
    text: str
    lines: tuple[tuple[int, int], ...]


class Piece(NamedTuple):
    """One part of the combined program: its ``source``, where it came from, and the name of the
    definition it is (None for the text being run)."""

    source: str
    origin: Origin
    name: str | None = None


class Place(NamedTuple):
    """A span in the user's own ``text`` (an entry or a file), its ``label`` (None: the entry
    being run) and the definition it is in when that was written elsewhere."""

    text: str
    label: str | None
    span: Span
    name: str | None


class Located(AdcalcError):
    """An error whose span is in ``text`` (an entry or a file), shown under ``label`` (None: the
    entry being run, whose position needs no label)."""

    def __init__(self, kind: str, message: str, span: Span | None, hint: str | None, text: str,
                 label: str | None):
        super().__init__(kind, message, span, hint)
        self.text = text
        self.label = label


def typed(entry: str, number: int, start: int, end: int, name: str | None = None) -> Piece:
    """The piece ``entry[start:end]`` (surrounding white space dropped) of entry ``number``, verbatim."""
    chunk = entry[start:end]
    start += len(chunk) - len(chunk.lstrip())
    source = chunk.strip()
    line, column = line_column(entry, start)
    lines = ((line, column - 1),) + tuple((line + k, 0) for k in range(1, source.count("\n") + 1))
    return Piece(source, Origin(number, None, entry, lines), name)


def line_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``text[offset]``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def verbatim(source: str, origin_text: str, number: int, label: str | None, first_line: int,
             name: str | None = None) -> Piece:
    """A piece whose lines are lines ``first_line …`` of ``origin_text`` unchanged (a ``def``
    block as typed, or a definition cut from a file)."""
    lines = tuple((first_line + k, 0) for k in range(source.count("\n") + 1))
    return Piece(source, Origin(number, label, origin_text, lines), name)


class Layout:
    """The combined program of some pieces (joined by newlines) and the way back to each piece."""

    def __init__(self, pieces: list[Piece]):
        self.pieces = pieces
        self.source = "\n".join(p.source for p in pieces)
        self.starts: list[int] = []
        line = 1
        for p in pieces:
            self.starts.append(line)
            line += p.source.count("\n") + 1

    def locate(self, span: Span) -> tuple[Piece, Span] | None:
        """The piece that holds ``span`` and the span in that piece's own text; None when the
        span is outside every piece."""
        index = next((i for i in range(len(self.pieces) - 1, -1, -1) if self.starts[i] <= span.line), None)
        if index is None:
            return None
        piece, start = self.pieces[index], self.starts[index]
        lines = piece.origin.lines
        local = min(span.line - start, len(lines) - 1)
        line, shift = lines[local]
        column = max(1, span.column + shift)
        end_local = span.end_line - start
        if span.end_line == span.line:
            return piece, Span(line, column, line, max(column + 1, span.end_column + shift))
        if 0 <= end_local < len(lines) and lines[end_local][0] >= line:
            end_line, end_shift = lines[end_local]
            return piece, Span(line, column, end_line, max(1, span.end_column + end_shift))
        return piece, Span(line, column, line, column + 1)

    def place(self, span: Span, entry: int) -> Place | None:
        """Where ``span`` of the combined program is in the user's text, seen from entry
        ``entry`` (the one running): its label is None inside that entry; ``name`` is the
        definition's name when the span is inside one written elsewhere."""
        found = self.locate(span)
        if found is None:
            return None
        piece, moved = found
        o = piece.origin
        here = o.label is None and o.entry == entry
        label = o.label if o.label is not None else None if here else f"entry {o.entry}"
        return Place(o.text, label, moved, None if here else piece.name)

    def relocate(self, e: AdcalcError, entry: int) -> AdcalcError:
        """``e`` (a span in the combined program) as a ``Located`` error in the user's own text;
        inside a definition written in another entry or a file, the message names it."""
        if isinstance(e, Located) or e.span is None:
            return e
        place = self.place(e.span, entry)
        if place is None:
            return e
        message = f"{e.message} (in {place.name})" if place.name else e.message
        moved = Located(e.kind, message, place.span, e.hint, place.text, place.label)
        moved.at_end = getattr(e, "at_end", False)  # type: ignore[attr-defined]
        return moved

    @contextmanager
    def located(self, entry: int) -> Iterator[None]:
        """Errors raised inside come out relocated into the user's text (see ``relocate``)."""
        try:
            yield
        except Located:
            raise
        except AdcalcError as e:
            raise self.relocate(e, entry) from None
