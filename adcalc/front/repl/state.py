"""The REPL session's state and the helpers every kind of input uses; no prompt_toolkit here.

Contract: ``SessionState`` holds the consoles, the variables, the definitions (in the order they
were made), the settings, the entry running now (``entry``, number ``entries``) and the command
registry the session offers (``commands``).  Its helpers build the session's program
(``layout``: the definitions, then the text being run), load it with errors placed in the user's
own text, complete a point from the session's variables (``_point``), evaluate an expression of
the entry (``_value_of``) and show warnings where they arose (``_warnings``).  The kinds of input
(``definitions``, ``derivatives``, ``settings``) are parts of ``Session`` built on this state.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console

from adcalc.errors import AdcalcError
from adcalc.front.commands import REGISTRY, Registry
from adcalc.ops import derivatives as api
from adcalc.present import messages
from adcalc.transform.notes import Warning

from .layout import Layout, Located, Piece, typed
from .syntax import span

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .definitions import Definition


@dataclass
class Settings:
    mode: str = "reverse"
    trace: bool = False
    digits: int = 12
    strict: bool = False
    sparse: bool = False  # :sparse on: jacobian and hessian by colouring (the command line's --sparse)
    max_steps: int | None = None  # the run limits (None: the defaults of adcalc.transform.budget)
    max_depth: int | None = None
    max_memory: int | None = None

    def limits(self) -> dict[str, object]:
        """The run limits and strictness, as keyword arguments of the API (the command line's
        ``--strict --max-steps --max-depth --max-memory``)."""
        return {"strict": self.strict, "max_steps": self.max_steps, "max_depth": self.max_depth,
                "max_memory": self.max_memory}


@dataclass
class SessionState:
    out: Console
    err: Console | None = None
    variables: dict[str, float] = field(default_factory=dict)
    definitions: dict[str, Definition] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    quit: bool = False
    entries: int = 0  # inputs run so far; the one running now is number ``entries``
    entry: str = ""  # the input running now (trailing white space and leading empty lines dropped)
    commands: Registry = REGISTRY  # the derivative commands the session offers (``adcalc.front.commands``)

    def __post_init__(self) -> None:
        if self.err is None:
            self.err = self.out

    def _error(self, kind: str, message: str, start: int, end: int, hint: str | None = None) -> Located:
        """An error at ``entry[start:end]`` of the input running now."""
        return Located(kind, message, span(self.entry, start, end), hint, self.entry, None)

    def layout(self, body: Piece | None = None, last: str | None = None,
               definitions: dict[str, Definition] | None = None) -> Layout:
        """The session's definitions followed by ``body`` (with definition ``last`` moved last)."""
        defs = self.definitions if definitions is None else definitions
        pieces = [d.piece for n, d in defs.items() if n != last]
        if last is not None:
            pieces.append(defs[last].piece)
        return Layout(pieces + ([body] if body is not None else []))

    def _load(self, layout: Layout) -> api.Loaded:
        with layout.located(self.entries):
            return api.load(layout.source)

    @contextmanager
    def _running(self, layout: Layout, loaded: api.Loaded) -> Iterator[None]:
        """Run ``loaded`` (of ``layout``): errors come out in the user's text (``Layout.located``),
        and a function that reached the end of its body without a return is named, at the last
        line that ran before it (``language.reach``)."""
        with layout.located(self.entries):
            try:
                yield
            except AdcalcError as e:
                raise _fell_off(e, loaded) from None

    def _point(self, loaded: api.Loaded, given: dict[str, float]) -> dict[str, float]:
        point = dict(given)
        for name in loaded.inputs:
            if name not in point and name in self.variables:
                point[name] = self.variables[name]
        missing = [n for n in loaded.inputs if n not in point]
        if missing:
            raise AdcalcError("input", f"no value for {', '.join(missing)}",
                              hint="bind it first (" + "; ".join(f"{n} = …" for n in missing)
                              + ") or add: at " + ", ".join(f"{n}=…" for n in missing))
        # inputs in the source's order, then any extra names given with `at`
        inputs = set(loaded.inputs)  # a set: one look-up per name keeps many inputs linear
        return {**{n: point[n] for n in loaded.inputs}, **{n: v for n, v in given.items() if n not in inputs}}

    def _warnings(self, warnings: list[Warning], layout: Layout, definitions: bool = False) -> None:
        """Each warning at its place in the user's text (see ``Layout.place``).  A definition's own
        warning (a ``def`` hiding a built-in: kind "shadow") is said once, when it is defined
        (``definitions``), not again by every later input."""
        for w in warnings:
            if (w.kind == "shadow") != definitions:
                continue
            place = layout.place(w.span, self.entries) if w.span is not None else None
            if place is None:  # nowhere in the user's text: no excerpt
                messages.render_warnings(self.err, [w], "" if w.span else self.entry, "<expression>")  # type: ignore[arg-type]
                continue
            message = f"{w.message} (in {place.name})" if place.name else w.message
            moved = Warning(w.kind, message, place.span, w.operation, w.convention, w.count, w.details, w.site)
            messages.render_warnings(self.err, [moved], place.text, place.label or "<expression>")  # type: ignore[arg-type]

    def _value_of(self, start: int, end: int, what: str) -> object:
        """The value of the expression ``entry[start:end]`` over the session's variables."""
        layout = self.layout(typed(self.entry, self.entries, start, end))
        if not layout.pieces[-1].source:
            raise self._error("syntax", f"{what}: the expression is missing", start, end + 1, hint="e.g. x = 2")
        with layout.located(self.entries):
            loaded = api.load(layout.source)
        with self._running(layout, loaded):
            value = api.evaluate(loaded, self._point(loaded, {}), **self.settings.limits()).value
        return one_value(value, what)


_FELL_OFF = re.compile(r"(the program|function \S+) reached its end without a return")


def _fell_off(e: AdcalcError, loaded: api.Loaded) -> AdcalcError:
    """``e``, or when it says a function reached its end without a return: the same error naming
    the function, at the last statement before the end on a path without a return."""
    if e.kind != "type" or e.span is None or not _FELL_OFF.fullmatch(e.message):
        return e
    from adcalc.language.reach import findings

    program = loaded.program
    for fn in (*program.functions.values(), program.main):
        if fn.span == e.span:
            last = next((f.span for f in findings(fn) if f.kind == "falls_off"), None)
            if last is not None:
                return AdcalcError("type", f"{fn.name} reached the end of its body without a return: nothing "
                                   "returns after this line", last, hint=f"add a return on every path of {fn.name}")
    return e


def one_value(value: object, what: str) -> object:
    """A variable holds one value: a number or an array (``[1, 2, 3]`` — a list of results of
    the same shape — becomes an array)."""
    if not isinstance(value, list):
        return value
    import numpy as np

    shapes = {np.shape(v) for v in value}
    if len(shapes) != 1:
        raise AdcalcError("shape", f"{what}: the elements of [...] must all have the same shape",
                          hint="a matrix needs rows of equal length: [[1, 2], [3, 4]]")
    return np.array(value, dtype=float)
