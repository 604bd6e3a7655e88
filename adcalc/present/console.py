"""The consoles adcalc prints on, and the table style every view shares.

Contract: ``make_console()`` gives a Rich console on standard output (or error) that measures a
terminal and otherwise lays out at a sane ``COLUMNS`` or 120 columns; on a stream that cannot
encode the notation it writes ASCII, laid out before Rich measures; a closed pipe raises
BrokenPipeError for the entry point.  ``table(...)`` is the house table: title and footer on
their own lines (never wrapped to the table's width), numeric columns right-aligned.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from adcalc.present import plain


def set_digits(n: int) -> None:
    """Significant digits shown to people (the REPL's :digits)."""
    plain.DIGITS = n


class AdcalcConsole(Console):
    """Rich's console with two of adcalc's stream rules: a closed pipe raises BrokenPipeError for
    the entry point to end quietly (Rich's own handler exits with status 1, which adcalc keeps for
    input errors); and on a stream that cannot encode the notation (``PYTHONIOENCODING=ascii``),
    text and table cells are written in ASCII (``adcalc.present.streams.to_ascii``) *before* Rich lays
    them out, so columns stay aligned."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError

    def print(self, *objects: object, **kw: object) -> None:  # type: ignore[override]
        if not self.encoding.startswith("utf"):
            objects = tuple(_ascii(o) for o in objects)
        super().print(*objects, **kw)  # type: ignore[arg-type]


def _ascii(o: object) -> object:
    from adcalc.present.streams import to_ascii

    if isinstance(o, str):
        return to_ascii(o)
    if isinstance(o, Text):
        return Text(to_ascii(o.plain), style=o.style)
    if isinstance(o, Table):
        for column in o.columns:
            column.header = _ascii(column.header)  # type: ignore[assignment]
            column._cells = [_ascii(c) for c in column._cells]  # type: ignore[attr-defined]
        return o
    return o


def make_console(stderr: bool = False) -> Console:
    """A console on standard output (or error): Rich measures a terminal; anything else is laid
    out at a sane ``COLUMNS`` or 120 columns (``adcalc.present.streams.terminal_width``)."""
    from adcalc.present.streams import terminal_width

    stream = sys.stderr if stderr else sys.stdout
    return AdcalcConsole(file=stream, width=terminal_width(stream), highlight=False, soft_wrap=False)


class ViewTable:
    """A Rich table whose title and footer are printed as their own lines (never wrapped to
    the table's width); numeric columns are right-aligned."""

    def __init__(self, *columns: str, title: str | None = None, caption: str | None = None,
                 numeric_from: int = 1, wrap: Sequence[int] = ()):
        self.title, self.caption = title, caption
        self.table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        for i, c in enumerate(columns):
            self.table.add_column(c, no_wrap=i not in wrap, overflow="fold" if i in wrap else "ellipsis",
                                  justify="right" if i >= numeric_from and i not in wrap else "left")

    def add_row(self, *cells: str | Text) -> None:
        self.table.add_row(*[c if isinstance(c, Text) else Text(c) for c in cells])

    def print(self, console: Console) -> None:
        if self.title:
            console.print(Text(self.title, style="bold"))
        console.print(self.table)
        if self.caption:
            console.print(Text(self.caption, style="dim"))


def table(*columns: str, title: str | None = None, caption: str | None = None, numeric_from: int = 1,
           wrap: Sequence[int] = ()) -> ViewTable:
    return ViewTable(*columns, title=title, caption=caption, numeric_from=numeric_from, wrap=wrap)
