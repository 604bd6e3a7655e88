"""Variables and definitions of the REPL: ``x = …``, ``f(x) = …``, ``def f(x): …``, ``:load FILE``,
and an expression's value.

Contract: ``Definitions`` is a part of ``Session`` (it works on the session's state).  A binding
or definition is added only if it succeeds: a definition (or a loaded file's set of them) joins
the session only if the whole set still compiles, and its name and parameters are not words of
the command syntax (``syntax.name_problem``).  Errors point at the user's own text: the entry, or
the file (``error (name) at lib.ad:6:20``).  ``Definition`` is one function's source and where
it was written (``layout.Origin``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.text import Text

from adcalc.errors import AdcalcError, Span, shown
from adcalc.ops import derivatives as api
from adcalc.present import plain
from adcalc.present.plain import value_text
from adcalc.transform.notes import Warning

from .entries import code
from .layout import Layout, Located, Origin, Piece, line_column, typed, verbatim
from .state import SessionState
from .syntax import ASSIGN, DEF_HEADER, NAME, empty_assignment, name_problem


@dataclass
class Definition:
    name: str
    params: tuple[str, ...]
    source: str  # the def block (generated for a one-line definition)
    origin: Origin | None = None  # where it was written (None: nowhere to point, e.g. built by a test)

    @property
    def piece(self) -> Piece:
        """The definition as a piece of the session's program (see ``layout``)."""
        if self.origin is None:  # built by a caller without one: its own source is the text shown
            return verbatim(self.source, self.source, 0, f"<definition of {self.name}>", 1, self.name)
        return Piece(self.source, self.origin, self.name)


def _outside_block(line: str) -> bool:
    """A line of a ``def`` block typed in the REPL that is not part of it: code at column 0 (the
    indentation is the spaces and tabs a line starts with; form feeds, as blanks, are ignored)
    other than the ``def`` line itself."""
    code = line.lstrip(" \t\f")
    return bool(code) and not code.startswith("#") and line[:1] not in (" ", "\t") and not line.startswith("def ")


class Definitions(SessionState):
    """Values, bindings and definitions: a part of ``Session``."""

    def _show_value(self, start: int, end: int) -> None:
        layout = self.layout(typed(self.entry, self.entries, start, end))
        with layout.located(self.entries):
            loaded = api.load(layout.source)
        with self._running(layout, loaded):
            r = api.evaluate(loaded, self._point(loaded, {}), **self.settings.limits())
        self.out.print(Text(value_text(r.value), style="bold"))
        self._warnings(r.warnings, layout)

    def _assign(self, name: str, name_start: int, expression_start: int) -> None:
        where = (name_start, name_start + len(name))
        problem = name_problem(name, "variable", self.commands)
        if problem:
            raise self._error("name", problem[0], *where, hint=problem[1])
        if name in self.definitions:
            raise self._error("name", f"'{name}' is one of your functions; choose another variable name", *where)
        if (m := ASSIGN.match(self.entry)) and not code(m.group(2)).strip():
            raise empty_assignment(self.entry, m)
        self.variables[name] = self._value_of(expression_start, len(self.entry), name)  # type: ignore[assignment]
        self.out.print(Text(f"{name} = {plain.num(self.variables[name])}"))  # type: ignore[arg-type]

    def _define_one_line(self, m: re.Match[str]) -> None:
        """``f(a, b) = body`` → ``def f(a, b):\\n    return body``, with the way back to the typed columns."""
        entry, name, params = self.entry, m.group(1), m.group(2)
        names = [p.strip() for p in params.split(",") if p.strip()]
        body_start = m.start(3) + len(m.group(3)) - len(m.group(3).lstrip())
        if body_start >= len(entry):
            raise self._error("syntax", f"the definition of {name} has no body", m.start(3) - 1, m.start(3),
                              hint=f"{name}({params.strip()}) = <expression>")
        offset = m.start(2)  # each parameter's own place (not the first match of its text: f(a1, 1))
        for raw in params.split(","):
            p = raw.strip()
            if p and not NAME.match(p):
                start = offset + len(raw) - len(raw.lstrip())
                raise self._error("syntax", f"'{p}' is not a parameter name", start, start + len(p))
            offset += len(raw) + 1
        header = entry[m.start(1):m.end(2) + 1]
        if "\n" in header:
            header = f"{name}({', '.join(names)})"
        body = entry[body_start:]
        name_line, name_column = line_column(entry, m.start(1))
        body_line, body_column = line_column(entry, body_start)
        lines = ((name_line, name_column - 5), (body_line, body_column - 12)) + tuple(
            (body_line + k, 0) for k in range(1, body.count("\n") + 1))
        source = f"def {header}:\n    return {body}\n"
        self._define(Definition(name, tuple(names), source, Origin(self.entries, None, entry, lines)))

    def _define_block(self, entry: str) -> None:
        m = DEF_HEADER.match(entry)
        source = entry + "\n"
        if not m:
            self._load(Layout([verbatim(source, entry, self.entries, None, 1)]))  # the parser says what is wrong
            raise AdcalcError("syntax", "write def name(params): and an indented body")
        lines = source.split("\n")  # lines as the parser counts them: only "\n" ends one (not "\f")
        if sum(1 for line in lines if line.startswith("def ")) != 1 or any(_outside_block(line) for line in lines):
            raise AdcalcError("syntax", "define one function per block (and nothing else)")
        names = tuple(p.strip() for p in m.group(2).split(",") if p.strip())
        piece = verbatim(source, entry, self.entries, None, 1, m.group(1))
        self._define(Definition(m.group(1), names, source, piece.origin))

    def _define(self, d: Definition) -> None:
        """Add (or replace) a definition if the whole set still compiles."""
        self._check_header(d.piece)
        trial = dict(self.definitions)
        trial[d.name] = d
        layout = self.layout(definitions=trial)
        loaded = self._load(layout)  # the whole set must still compile (names, arities, recursion)
        self.definitions = trial
        self.out.print(Text(f"defined {shown(d.name)}({', '.join(d.params)})"))
        self._said_when_defined(loaded, layout, {d.name})
        self._reach_warnings([d.name], layout, loaded)

    def _said_when_defined(self, loaded: api.Loaded, layout: Layout, names: set[str]) -> None:
        """The warnings of the new definitions themselves (a def hiding a built-in), once."""
        said = [Warning(kind, message, span) for kind, message, span in loaded.program.warnings
                if kind == "shadow" and message.split()[1] in names]
        self._warnings(said, layout, definitions=True)

    def _reach_warnings(self, names: list[str], layout: Layout, loaded: api.Loaded) -> None:
        """Warn, when a function is defined, about code that never runs (after a return) and
        about an end of its body that can be reached without a return (``language.reach``);
        lines are the user's own (of the entry or the file)."""
        from adcalc.language.reach import findings
        from adcalc.transform.notes import Warning

        def line(span: Span) -> int:
            place = layout.place(span, self.entries)
            return place.span.line if place is not None else span.line

        warnings = []
        for name in names:
            for f in findings(loaded.program.functions[name]):
                if f.kind == "unreachable":
                    why = (f"it comes after the return on line {line(f.after)}" if f.after is not None
                           else "a break, continue or return before it always leaves first")
                    message = f"line {line(f.span)} of {name} never runs: {why}"
                else:
                    message = (f"{name} can reach the end of its body without a return (after line "
                               f"{line(f.span)}); a call that gets there is an error: add a return on every path")
                warnings.append(Warning("unreachable" if f.kind == "unreachable" else "no_return", message, f.span))
        self._warnings(warnings, layout)

    def _check_header(self, piece: Piece) -> None:
        """A definition's name and parameters: not a word of the command syntax, and the name not
        one of the session's variables (the error points at the word, in the user's text)."""
        m = DEF_HEADER.match(piece.source)
        if m is None:
            return
        words = [(m.group(1), m.start(1), "function")] + [
            (w.group(0), m.start(2) + w.start(), "parameter") for w in re.finditer(r"[A-Za-z_]\w*", m.group(2))]
        for word, offset, what in words:
            problem = name_problem(word, what, self.commands)  # a reserved word (what is never "variable")
            if what == "function" and word in self.variables:
                problem = (f"'{word}' is one of your variables; choose another function name", None)
            if problem:
                line, column = line_column(piece.source, offset)
                place = Layout([piece]).place(Span(line, column, line, column + len(word)), self.entries)
                assert place is not None
                raise Located("name", problem[0], place.span, problem[1], place.text, place.label)

    def _load_file(self, path: str) -> None:
        """``:load FILE``: its definitions join the session's if the whole set compiles; errors
        point into the file (``error (name) at lib.ad:6:20``)."""
        from adcalc.language.sources import read_file

        if not path:
            raise AdcalcError("usage", ":load needs a file name", hint=":load FILE (a file of def blocks)")
        try:
            text = read_file(path)
        except AdcalcError as e:  # no excerpt: the file's text could not be read
            raise Located(e.kind, e.message, e.span, e.hint, "", path) from None
        program = self._load(Layout([verbatim(text, text, self.entries, path, 1)])).program
        if "<main>" in program.functions:
            raise Located("usage", f"{path} has top-level statements; :load takes files of definitions",
                          program.functions["<main>"].span, f"run it as a program instead: eval {path}", text, path)
        defs = [f for name, f in program.functions.items() if name != "<main>"]
        if not defs:
            raise AdcalcError("usage", f"{path} has no definitions to load")
        lines = text.split("\n")  # as the parser counts lines: "\f", "\v", U+2028 … do not end one
        starts = sorted(f.span.line for f in defs) + [len(lines) + 1]
        trial = dict(self.definitions)
        for f in defs:
            start = f.span.line
            end = starts[starts.index(start) + 1]
            block = "\n".join(lines[start - 1:end - 1]).rstrip() + "\n"
            piece = verbatim(block, text, self.entries, path, start, f.name)
            self._check_header(piece)
            trial[f.name] = Definition(f.name, f.params, block, piece.origin)
        layout = self.layout(definitions=trial)
        loaded = self._load(layout)
        self.definitions = trial
        self.out.print(Text(f"loaded {', '.join(shown(f.name) for f in defs)} from {shown(path)}"))
        self._said_when_defined(loaded, layout, {f.name for f in defs})
        self._reach_warnings([f.name for f in defs], layout, loaded)

