"""The REPL's derivative commands: ``grad f at x=1, y=2``, ``jvp f dir x=1``, ``deriv f wrt x order 5``, …

Contract: ``DerivativeCommands`` is a part of ``Session``.  The command is the registry's
(``adcalc.front.commands``): its clauses are its options that have a ``clause`` word, its session
settings (``:mode``, ``:trace``) the options that have a ``setting``; they fill the same ``Call``
the command line fills, and the command's runner computes the result, shown by
``adcalc.present.render``.  The target is a function of the session, a program file (``eval
prog.ad``: a name ending in ``.ad`` or a path that exists, as on the command line) or any
expression; the point
(``at``) defaults to the session's variables and its values may be expressions over them.  A
clause the command does not take is ignored; a required clause that is missing is a ``usage``
error with an example.  A count (``order``) is a whole number from 1 to 100, as on the command
line; a bad clause value is an error at its own text (the caret under it, not the space before).
``wrt x, y`` differentiates only those inputs (the command line's ``--wrt``): a name that is
not an input of the point, or given twice, is an error with its caret under the name.
"""

from __future__ import annotations

import math

from rich.text import Text

from adcalc.errors import AdcalcError
from adcalc.front.commands import Call, Command
from adcalc.language.bindings import parse_number, parse_numbers
from adcalc.language.sources import looks_like_file
from adcalc.present import render

from .layout import Layout, Located, typed, verbatim
from .state import SessionState
from .syntax import NAME, clause_ranges, top_level_ranges


class DerivativeCommands(SessionState):
    """The derivative commands: a part of ``Session``."""

    def _derivative_command(self, lead: int) -> None:
        entry = self.entry
        word = entry[lead:].split(None, 1)[0]
        command = self.commands[word]
        (t_start, t_end), ranges = clause_ranges(entry, lead + len(word), self.commands.clause_words)
        target = entry[t_start:t_end].strip()
        if not target:
            raise AdcalcError("syntax", "give a function name or an expression", hint="e.g. grad f at x=1")
        if target in self.definitions:
            layout = self.layout(last=target)
        elif looks_like_file(target):  # a program file, as on the command line: grad lib/prog.ad at x=1
            layout = self._file_layout(target)
        else:
            layout = self.layout(typed(entry, self.entries, t_start, t_end))
        loaded = self._load(layout)
        if command.shows == "text" and not any(o.kind == "point" and o.clause for o in command.options):
            values = {k: v for k, v in self._clause_values(command, ranges).items() if k != "point"}
            self._show_text(command, command.runner(Call(loaded, **values)))
            return
        values = self._clause_values(command, ranges)
        given = values.pop("point", {})
        if NAME.match(target) and target not in self.definitions and target not in self.variables \
                and target not in given:  # a function that was never defined (or not accepted)
            start, end = _trimmed(entry, t_start, t_end)
            raise self._error("name", f"'{target}' is not one of your functions or variables", start, end,
                              hint=f"define it first (def {target}(x): … or {target}(x) = …); "
                                   ":defs lists your functions")
        with self._running(layout, loaded):
            point = self._point(loaded, given)
            if "wrt" in ranges and any(o.clause == "wrt" for o in command.options):
                self._check_wrt(ranges["wrt"], point)
            r = command.runner(Call(loaded, point, **values))
        if command.shows == "text":  # a text command at a point (explain f at x=1)
            self._show_text(command, r)
            return
        render.render_result(self.out, r, point, target if target in self.definitions else "f")
        self._warnings(r.warnings, layout)

    def _show_text(self, command: Command, text: str) -> None:
        if command.highlight:
            from rich.syntax import Syntax

            self.out.print(Syntax(text, command.highlight, theme="ansi_dark", background_color="default"),
                           soft_wrap=True)  # never cut a line of code at the terminal's width
        else:
            self.out.print(Text(text))

    def _file_layout(self, path: str) -> Layout:
        """A program file as the whole program (it does not see the session's definitions, as
        on the command line); errors point into the file."""
        from adcalc.language.sources import read_file

        try:
            text = read_file(path)
        except AdcalcError as e:  # no excerpt: the file's text could not be read
            raise Located(e.kind, e.message, e.span, e.hint, "", path) from None
        return Layout([verbatim(text, text, self.entries, path, 1)])

    def _clause_values(self, command: Command, ranges: dict[str, tuple[int, int]]) -> dict[str, object]:
        """The ``Call`` fields from the clauses (in the order of the command's options) and the
        session's settings; the limits are the session's (``:strict``, ``:max-steps`` …)."""
        s = self.settings
        values: dict[str, object] = {"limits": s.limits()}
        for option in command.options:
            field, clause = option.field, option.clause
            if field is None:
                continue
            if option.setting is not None:
                values[field] = getattr(s, option.setting)
            if clause is None:
                continue
            if clause in ranges:
                values[field] = self._clause_value(option.kind, clause, ranges[clause])
            elif option.kind == "point":
                values[field] = {}
            elif option.required and option.repl_default is None:
                raise AdcalcError("usage", f"{command.name} needs `{clause} …`",
                                  hint=f"e.g. {command.name} f at x=1 {option.example}")
            else:
                values[field] = option.repl_default
        return values

    def _clause_value(self, kind: str, clause: str, where: tuple[int, int]) -> object:
        """A clause's value: bindings (values may be expressions over the session's variables),
        numbers, a whole number, or a name."""
        text = self.entry[where[0]:where[1]].strip()
        if kind in ("point", "bindings"):
            return self._bindings(where, clause)
        if kind == "numbers":
            return parse_numbers(text, clause)
        if kind == "count":
            return self._count(clause, where)
        return text or None  # a name

    def _count(self, clause: str, where: tuple[int, int]) -> int:
        """A whole number from 1 to ``MAX_ORDER`` (the one count clause is ``deriv``'s order), as
        the command line and the API take it: ``2.7``, ``inf`` or ``0`` is an error at its text."""
        from adcalc.ops.higher import MAX_ORDER

        start, end = _trimmed(self.entry, *where)
        text = self.entry[start:end]
        need, hint = f"a whole number from 1 to {MAX_ORDER}", f"e.g. {clause} 3"
        if not text:  # the caret under the clause word
            raise self._error("input", f"`{clause}` needs {need}", where[0] - len(clause), where[0], hint=hint)
        try:
            value = parse_number(text, clause)
        except AdcalcError:
            value = math.nan
        if not (math.isfinite(value) and value == int(value) and 1 <= value <= MAX_ORDER):
            shown = text if len(text) <= 30 else text[:27] + "…"
            raise self._error("input", f"{clause} must be {need}, not {shown}", start, end, hint=hint)
        return int(value)

    def _check_wrt(self, where: tuple[int, int], point: dict[str, object]) -> None:
        """The ``wrt`` clause's names, each an input of the point and given once: an error has its
        caret under the name (``adcalc.ops.wrt`` makes the same checks, without positions)."""
        seen: set[str] = set()
        hint = "list inputs of the point, separated by commas: wrt x or wrt x, y"
        if not self.entry[where[0]:where[1]].strip():
            raise self._error("input", "wrt lists no input", where[0] - 3, where[0], hint=hint)
        cuts = [where[0] - 1] + [i for i in range(*where) if self.entry[i] == ","] + [where[1]]
        for before, after in zip(cuts, cuts[1:]):
            start, end = _trimmed(self.entry, before + 1, after)
            name = self.entry[start:end]
            if not name:  # x,, y or a trailing comma: the caret under the comma that ends nothing
                comma = after if after < where[1] else before
                raise self._error("input", "wrt has an empty name", comma, comma + 1, hint=hint)
            if name in seen:
                raise self._error("input", f"wrt lists '{name}' twice", start, end, hint="give each input once")
            if name not in point:
                raise self._error("input", f"wrt: '{name}' is not an input of the point ({', '.join(point)})",
                                  start, end, hint="name inputs given by at (or the session's variables)")
            seen.add(name)

    def _bindings(self, where: tuple[int, int], what: str) -> dict[str, float]:
        """``entry[where]``, ``x=1, y=2*a``, → numbers; in the REPL a value may be any expression
        over the session's variables (the command line takes plain numbers)."""
        entry = self.entry
        out: dict[str, float] = {}
        for start, end in top_level_ranges(entry, *where):
            item = entry[start:end]
            name, eq, expr = item.partition("=")
            name = name.strip()
            shown_at = _trimmed(entry, start, end)  # the caret under the item, not the space before it
            if not eq or not NAME.match(name) or not expr.strip():
                raise self._error("input", f"{what}: '{item.strip()}' is not NAME=VALUE", *shown_at, hint="e.g. x=1.5")
            if name in out:
                raise self._error("input", f"{what}: '{name}' is given twice", *shown_at)
            try:
                out[name] = parse_number(expr, f"{what} {name}")
                continue
            except AdcalcError:
                pass
            out[name] = self._value_of(start + item.index("=") + 1, end, f"{what} {name}")
        return out


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end]`` without its surrounding white space, as a range of ``text``."""
    chunk = text[start:end]
    return start + len(chunk) - len(chunk.lstrip()), start + len(chunk.rstrip())
