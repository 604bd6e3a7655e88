"""Errors and warnings for people: what went wrong, where (with the source line and a caret),
what to do.  Every piece of user text goes through ``adcalc.errors.shown``/``excerpt`` (control
characters escaped)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from adcalc.errors import AdcalcError, excerpt, shown
from adcalc.transform.notes import Warning


def render_warnings(console: Console, warnings: Sequence[Warning], source: str, label: str) -> None:
    label = shown(label)
    for w in warnings:
        where = f" at {label}:{w.span}" if w.span and label != "<expression>" else (f" at {w.span}" if w.span else "")
        console.print(Text(f"warning{where}: {shown(w.message)}" + (f" (×{w.count})" if w.count > 1 else ""),
                           style="yellow"))
        ex = excerpt(source, w.span, ascii=_ascii(console))
        if ex:
            console.print(Text("  " + ex.replace("\n", "\n  ")))


def _ascii(console: Console) -> bool:
    """The console's stream cannot take every character: the excerpt escapes the user's text."""
    return not (console.encoding or "utf-8").lower().startswith("utf")


def render_error(console: Console, e: AdcalcError, source: str | None, label: str | None) -> None:
    where = ""
    label = shown(label) if label else label
    if e.span is not None:
        where = f" at {label}:{e.span}" if label and label != "<expression>" else f" at {e.span}"
    console.print(Text(f"error ({e.kind}){where}: {shown(e.message, newlines=True)}", style="bold red"))
    ex = excerpt(source, e.span, ascii=_ascii(console)) if source else ""  # no text (unreadable): no excerpt
    if ex:
        console.print(Text("  " + ex.replace("\n", "\n  ")))
    if e.hint:
        console.print(Text(f"hint: {shown(e.hint, newlines=True)}", style="cyan"))
