"""The REPL's session: state, command syntax and evaluation — no prompt_toolkit here.

Syntax (one rule: session commands start with ``:``, derivative commands with a keyword)::

    x^2 + 1                          an expression: its value
    x = 2                            bind a variable (the right side is evaluated)
    f(x, y) = exp(2*x) + x*y^2       define a one-line function
    def f(x): …                      define a multi-line function (an empty line ends it)
    grad f at x=1, y=2               derivatives, with the command line's vocabulary:
    grad exp(x)*y                      eval grad jvp vjp jacobian hessian hvp deriv check ir
    jvp f at x=1, y=2 dir x=1, y=0     (at …) the point: defaults to the session's variables
    vjp g cot 1, 0.5                   (dir …) a direction; (cot …) a cotangent;
    deriv f wrt x order 5              (wrt NAME) and (order K) for deriv
    :help  :vars  :defs  :load FILE  :reset  :quit
    :mode forward|reverse  :trace on|off  :digits N  :strict on|off

Contract: ``Session.execute(text)`` runs one complete input and returns True on success; it
prints through the shared renderer (``adcalc.present.render``) on ``self.out`` / ``self.err``.  A
failing input changes nothing: bindings, definitions and settings are updated only after the
input succeeded.  ``Session.status(text)`` says whether an input is ``complete``,
``incomplete`` (a block or bracket is open) or has a syntax ``error`` (with its position).

Positions in messages are the user's own: the line and column in the entry being run, or in
the entry or file a definition came from (``error (domain) at entry 3:1:8: … (in f)``,
``error (name) at lib.ad:6:20: …``); see ``layout``.  The words of the command syntax (the
commands and the clause words ``at dir cot wrt order``) cannot name a variable, a function or
a parameter.  Output is written once per input (``_output``): a character the output encoding
cannot take is written as a backslash escape rather than losing the rest of the session.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

from adcalc.errors import AdcalcError, Span, shown
from adcalc.language.bindings import parse_number, parse_numbers
from adcalc.language.parser import parse
from adcalc.ops import derivatives as api
from adcalc.present import console, messages, plain, render
from adcalc.present.plain import value_text
from adcalc.rules.arrays import BUILTIN_NAMES as FUNCTIONS
from adcalc.rules.elementwise import CONSTANTS
from adcalc.transform.trace import Warning

from .layout import Layout, Located, Origin, Piece, line_column, typed, verbatim

COMMANDS = ("eval", "grad", "jvp", "vjp", "jacobian", "hessian", "hvp", "deriv", "check", "ir")
SESSION_COMMANDS = (":help", ":vars", ":defs", ":load", ":reset", ":quit", ":mode", ":trace", ":digits", ":strict")
CLAUSES = ("at", "dir", "cot", "wrt", "order")
RESERVED = COMMANDS + CLAUSES  # words of the command syntax: never a variable, function or parameter
BLOCK_START = re.compile(r"^\s*(def|if|while|for|elif|else)\b")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ONE_LINE_DEF = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(([^()]*)\)\s*=(?!=)(.*)$", re.S)
_ASSIGN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)(.*)$", re.S)
_DEF_HEADER = re.compile(r"\s*def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)")

HELP = """\
Type an expression to see its value; bind variables and define functions:
  x = 2                          f(x, y) = exp(2*x) + x*y^2 + cos(y)
  def g(x):                      (a multi-line block: an empty line ends it)
      if x > 0:
          return x * x
      return -x

Derivatives (the point defaults to your variables; `at` overrides them):
  grad f at x=1, y=2             gradient        jacobian h at x=1        Jacobian
  jvp f at x=1, y=2 dir x=1, y=0 J·v             vjp h cot 1, 0.5         wᵀJ
  hessian f                      Hessian         hvp f dir x=1, y=0       H·v
  deriv f wrt x order 5          Taylor mode     check f                  AD vs finite differences
  eval f at x=3                  value           ir f                     the Wengert list
  (f may be any expression: grad sin(x)*y at x=1, y=2)

Arrays: v = [1, 2, 3]   A = [[1, 2], [3, 4]]   A @ v   v[0]   v[1:]   sum(v^2)   max(A, axis=0)
  grad sum(v * w) at w=[1, 0, 2]                 (see README: Arrays)

Session:
  :vars  :defs  :load FILE  :reset  :quit (or Ctrl-D)
  :mode forward|reverse   :trace on|off   :digits N   :strict on|off
Keys: Tab completes, Ctrl-R searches history, Ctrl-C clears the line or stops a long run."""


@dataclass
class Settings:
    mode: str = "reverse"
    trace: bool = False
    digits: int = 12
    strict: bool = False


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


@dataclass
class Session:
    out: Console
    err: Console | None = None
    variables: dict[str, float] = field(default_factory=dict)
    definitions: dict[str, Definition] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    quit: bool = False
    entries: int = 0  # inputs run so far; the one running now is number ``entries``
    entry: str = ""  # the input running now (trailing white space and leading empty lines dropped)

    def __post_init__(self) -> None:
        if self.err is None:
            self.err = self.out

    # ---- input structure --------------------------------------------------------------------
    def status(self, text: str) -> tuple[str, AdcalcError | None]:
        """``complete``, ``incomplete`` (an open block or bracket) or ``error``."""
        stripped = text.strip()
        if not stripped or stripped.startswith(":"):
            return "complete", None
        depth = 0
        for ch in _code(text):
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth -= 1
        if depth > 0:
            return "incomplete", None
        lines = text.split("\n")
        if BLOCK_START.match(lines[0]) or lines[0].rstrip().endswith(":"):
            if not (len(lines) > 1 and lines[-1].strip() == ""):
                return "incomplete", None  # a block ends with an empty line
        word = stripped.split(None, 1)[0]
        if word in COMMANDS or _ONE_LINE_DEF.match(text) or _ASSIGN.match(text):
            return "complete", None  # checked when run
        try:
            parse(stripped)  # syntax only: names are resolved (with the session's definitions) when run
        except AdcalcError as e:
            if getattr(e, "at_end", False):
                return "incomplete", None
            return "error", _shifted(e, text[:len(text) - len(text.lstrip())])
        return "complete", None

    # ---- running ------------------------------------------------------------------------------
    def execute(self, text: str) -> bool:
        """Run one complete input; print its result or its error.  True on success.  Its output
        is written when it is done (see ``_output``); a BrokenPipeError writing it propagates."""
        entry = _entry_text(text)
        if not entry:
            return True
        self.entries += 1
        self.entry = entry
        console.set_digits(self.settings.digits)
        with self._output():
            return self._run(entry)

    def _run(self, entry: str) -> bool:
        lead = len(entry) - len(entry.lstrip())
        stripped = entry[lead:]
        try:
            if stripped.startswith(":"):
                self._session_command(stripped)
            elif BLOCK_START.match(stripped) and stripped.startswith("def"):
                self._define_block(entry)
            elif stripped.split(None, 1)[0] in COMMANDS and not _ASSIGN.match(stripped):
                self._derivative_command(lead)
            elif m := _ONE_LINE_DEF.match(entry):
                self._define_one_line(m)
            elif m := _ASSIGN.match(entry):
                self._assign(m.group(1), m.start(1), m.start(2))
            else:
                self._show_value(lead, len(entry))
            return True
        except AdcalcError as e:
            text, label = (e.text, e.label) if isinstance(e, Located) else (entry, None)
            messages.render_error(self.err, e, text, label)  # type: ignore[arg-type]
            return False
        except RecursionError:
            too_deep = AdcalcError("limit", "the input is nested too deeply")
            messages.render_error(self.err, too_deep, None, None)  # type: ignore[arg-type]
            return False
        except Exception as e:  # a bug of ours: say so, keep the session (its state is unchanged)
            self.err.print(Text(f"adcalc: internal error ({type(e).__name__}: {shown(str(e))}) — please report it "  # type: ignore[union-attr]
                                "with the input that caused it; your variables and definitions are kept",
                                style="red"))
            return False

    @contextmanager
    def _output(self) -> Iterator[None]:
        """Collect what an input prints and write it when the input is done, so that a character
        the stream cannot encode is escaped (``\\u2202``) instead of failing this and every later
        print (Rich keeps the text it could not write and retries it on the next print)."""
        consoles = [self.out] if self.err is self.out else [self.out, self.err]
        for c in consoles:
            c.begin_capture()  # type: ignore[union-attr]
        try:
            yield
        finally:
            for c in consoles:
                _write(c.file, c.end_capture())  # type: ignore[union-attr]

    def _error(self, kind: str, message: str, start: int, end: int, hint: str | None = None) -> Located:
        """An error at ``entry[start:end]`` of the input running now."""
        return Located(kind, message, _span(self.entry, start, end), hint, self.entry, None)

    # ---- pieces ------------------------------------------------------------------------------
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
        return {**{n: point[n] for n in loaded.inputs}, **{n: v for n, v in given.items() if n not in loaded.inputs}}

    def _warnings(self, warnings: list[Warning], layout: Layout) -> None:
        """Each warning at its place in the user's text (see ``Layout.place``)."""
        for w in warnings:
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
            value = api.evaluate(loaded, self._point(loaded, {}), strict=self.settings.strict).value
        return _one_value(value, what)

    def _show_value(self, start: int, end: int) -> None:
        layout = self.layout(typed(self.entry, self.entries, start, end))
        with layout.located(self.entries):
            loaded = api.load(layout.source)
            r = api.evaluate(loaded, self._point(loaded, {}), strict=self.settings.strict)
        self.out.print(Text(value_text(r.value), style="bold"))
        self._warnings(r.warnings, layout)

    def _assign(self, name: str, name_start: int, expression_start: int) -> None:
        where = (name_start, name_start + len(name))
        problem = _new_name_problem(name, "variable")
        if problem:
            raise self._error("name", problem[0], *where, hint=problem[1])
        if name in self.definitions:
            raise self._error("name", f"'{name}' is one of your functions; choose another variable name", *where)
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
        for p in names:
            if not _NAME.match(p):
                start = m.start(2) + params.index(p)
                raise self._error("syntax", f"'{p}' is not a parameter name", start, start + len(p))
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
        m = _DEF_HEADER.match(entry)
        source = entry + "\n"
        if not m:
            self._load(Layout([verbatim(source, entry, self.entries, None, 1)]))  # the parser says what is wrong
            raise AdcalcError("syntax", "write def name(params): and an indented body")
        if sum(1 for line in source.splitlines() if line.startswith("def ")) != 1 or any(
                line[:1] not in ("", " ", "\t", "#") and not line.startswith("def ") for line in source.splitlines()):
            raise AdcalcError("syntax", "define one function per block (and nothing else)")
        names = tuple(p.strip() for p in m.group(2).split(",") if p.strip())
        piece = verbatim(source, entry, self.entries, None, 1, m.group(1))
        self._define(Definition(m.group(1), names, source, piece.origin))

    def _define(self, d: Definition) -> None:
        """Add (or replace) a definition if the whole set still compiles."""
        self._check_header(d.piece)
        trial = dict(self.definitions)
        trial[d.name] = d
        self._load(self.layout(definitions=trial))  # the whole set must still compile (names, arities, recursion)
        self.definitions = trial
        self.out.print(Text(f"defined {shown(d.name)}({', '.join(d.params)})"))

    def _check_header(self, piece: Piece) -> None:
        """A definition's name and parameters: not a word of the command syntax, and the name not
        one of the session's variables (the error points at the word, in the user's text)."""
        m = _DEF_HEADER.match(piece.source)
        if m is None:
            return
        words = [(m.group(1), m.start(1), "function")] + [
            (w.group(0), m.start(2) + w.start(), "parameter") for w in re.finditer(r"[A-Za-z_]\w*", m.group(2))]
        for word, offset, what in words:
            problem = _new_name_problem(word, what) if word in RESERVED else None
            if what == "function" and word in self.variables:
                problem = (f"'{word}' is one of your variables; choose another function name", None)
            if problem:
                line, column = line_column(piece.source, offset)
                place = Layout([piece]).place(Span(line, column, line, column + len(word)), self.entries)
                assert place is not None
                raise Located("name", problem[0], place.span, problem[1], place.text, place.label)

    def _derivative_command(self, lead: int) -> None:
        entry = self.entry
        command = entry[lead:].split(None, 1)[0]
        (t_start, t_end), ranges = clause_ranges(entry, lead + len(command))
        target = entry[t_start:t_end].strip()
        if not target:
            raise AdcalcError("syntax", "give a function name or an expression", hint="e.g. grad f at x=1")
        if target in self.definitions:
            layout = self.layout(last=target)
        else:
            layout = self.layout(typed(entry, self.entries, t_start, t_end))
        loaded = self._load(layout)
        if command == "ir":
            from adcalc.language.ir import format_program
            from adcalc.rules.arrays import describe

            self.out.print(Text(format_program(loaded.program, describe)))
            return
        given = self._bindings(ranges["at"], "at") if "at" in ranges else {}
        options = self._options(command, ranges)
        with layout.located(self.entries):
            point = self._point(loaded, given)
            r = self._compute(command, loaded, point, options)
        render.render_result(self.out, r, point, target if target in self.definitions else "f")
        self._warnings(r.warnings, layout)

    def _options(self, command: str, ranges: dict[str, tuple[int, int]]) -> dict[str, object]:
        """The clauses a command takes besides ``at``: ``dir``, ``cot``, ``order``, ``wrt``."""
        text = {word: self.entry[s:e].strip() for word, (s, e) in ranges.items()}
        options: dict[str, object] = {}
        if command in ("jvp", "hvp"):
            _need(text, "dir", command)
        if command in ("jvp", "hvp", "deriv") and "dir" in ranges:
            options["direction"] = self._bindings(ranges["dir"], "dir")
        if command == "vjp":
            options["cotangent"] = parse_numbers(_need(text, "cot", command), "cot")
        if command == "deriv":
            options["order"] = int(parse_number(text["order"], "order")) if "order" in text else 1
            options["wrt"] = text.get("wrt", "") or None
        return options

    def _compute(self, command: str, loaded: api.Loaded, point: dict[str, float],
                 options: dict[str, object]) -> api.Result:
        s = self.settings
        limits = {"strict": s.strict}
        if command == "eval":
            return api.evaluate(loaded, point, **limits)
        if command == "grad":
            return api.grad(loaded, point, mode=s.mode, trace=s.trace, **limits)
        if command == "jvp":
            return api.jvp(loaded, point, options["direction"], trace=s.trace, **limits)  # type: ignore[arg-type]
        if command == "vjp":
            return api.vjp(loaded, point, options["cotangent"], trace=s.trace, **limits)  # type: ignore[arg-type]
        if command == "jacobian":
            return api.jacobian(loaded, point, **limits)
        if command in ("hessian", "hvp", "deriv"):
            from adcalc.ops import higher

            if command == "hessian":
                return higher.hessian(loaded, point, **limits)
            if command == "hvp":
                return higher.hvp(loaded, point, options["direction"], **limits)  # type: ignore[arg-type]
            return higher.deriv(loaded, point, wrt=options["wrt"], direction=options.get("direction"),  # type: ignore[arg-type]
                                order=options["order"], trace=s.trace, **limits)  # type: ignore[arg-type]
        from adcalc.ops.checks import check

        return check(loaded, point, **limits)

    def _bindings(self, where: tuple[int, int], what: str) -> dict[str, float]:
        """``entry[where]``, ``x=1, y=2*a``, → numbers; in the REPL a value may be any expression
        over the session's variables (the command line takes plain numbers)."""
        out: dict[str, float] = {}
        for start, end in _top_level_ranges(self.entry, *where):
            item = self.entry[start:end]
            name, eq, expr = item.partition("=")
            name = name.strip()
            if not eq or not _NAME.match(name) or not expr.strip():
                raise self._error("input", f"{what}: '{item.strip()}' is not NAME=VALUE", start, end, hint="e.g. x=1.5")
            if name in out:
                raise self._error("input", f"{what}: '{name}' is given twice", start, end)
            try:
                out[name] = parse_number(expr, f"{what} {name}")
                continue
            except AdcalcError:
                pass
            out[name] = self._value_of(start + item.index("=") + 1, end, f"{what} {name}")  # type: ignore[assignment]
        return out

    def _session_command(self, text: str) -> None:
        word, _, arg = text.partition(" ")
        arg = arg.strip()
        if word == ":help":
            self.out.print(Text(HELP))
        elif word == ":quit" or word == ":q":
            self.quit = True
        elif word == ":vars":
            if not self.variables:
                self.out.print(Text("no variables yet (bind one: x = 2)"))
            for n, v in self.variables.items():
                self.out.print(Text(f"{n} = {plain.num(v)}"))  # type: ignore[arg-type]
        elif word == ":defs":
            if not self.definitions:
                self.out.print(Text("no functions yet (define one: f(x) = x^2)"))
            for d in self.definitions.values():
                self.out.print(Text(shown(d.source.rstrip(), newlines=True)))
        elif word == ":reset":
            self.variables.clear()
            self.definitions.clear()
            self.settings = Settings()
            self.out.print(Text("session reset"))
        elif word == ":load":
            self._load_file(arg)
        elif word in (":mode", ":trace", ":digits", ":strict"):
            self._setting(word[1:], arg)
        else:
            from adcalc.errors import closest

            near = closest(word, SESSION_COMMANDS)
            raise AdcalcError("usage", f"unknown session command {word}",
                              hint=(f"did you mean {near}? " if near else "") + ":help lists the commands")

    def _setting(self, name: str, arg: str) -> None:
        s = self.settings
        if not arg:
            self.out.print(Text(f"{name} = {getattr(s, name)}"))
            return
        if name == "mode":
            if arg not in ("forward", "reverse"):
                raise AdcalcError("usage", ":mode takes forward or reverse")
            s.mode = arg
        elif name in ("trace", "strict"):
            if arg not in ("on", "off"):
                raise AdcalcError("usage", f":{name} takes on or off")
            setattr(s, name, arg == "on")
        else:
            if not arg.isdigit() or not 1 <= int(arg) <= 17:
                raise AdcalcError("usage", ":digits takes a whole number from 1 to 17")
            s.digits = int(arg)
        self.out.print(Text(f"{name} = {arg}"))

    def _load_file(self, path: str) -> None:
        """``:load FILE``: its definitions join the session's if the whole set compiles; errors
        point into the file (``error (name) at lib.ad:6:20``)."""
        from adcalc.language.sources import read_file

        if not path:
            raise AdcalcError("usage", ":load needs a file name", hint=":load samples/newton_sqrt.ad")
        try:
            text = read_file(path)
        except AdcalcError as e:  # no excerpt: the file's text could not be read
            raise Located(e.kind, e.message, e.span, e.hint, "", path) from None
        program = self._load(Layout([verbatim(text, text, self.entries, path, 1)])).program
        if "<main>" in program.functions:
            raise Located("usage", f"{path} has top-level statements; :load takes files of definitions",
                          program.functions["<main>"].span, f"use it as a target instead: eval {path}", text, path)
        defs = [f for name, f in program.functions.items() if name != "<main>"]
        if not defs:
            raise AdcalcError("usage", f"{path} has no definitions to load")
        lines = text.splitlines()
        starts = sorted(f.span.line for f in defs) + [len(lines) + 1]
        trial = dict(self.definitions)
        for f in defs:
            start = f.span.line
            end = starts[starts.index(start) + 1]
            block = "\n".join(lines[start - 1:end - 1]).rstrip() + "\n"
            piece = verbatim(block, text, self.entries, path, start, f.name)
            self._check_header(piece)
            trial[f.name] = Definition(f.name, f.params, block, piece.origin)
        self._load(self.layout(definitions=trial))
        self.definitions = trial
        self.out.print(Text(f"loaded {', '.join(shown(f.name) for f in defs)} from {shown(path)}"))

    # ---- for the completer ----------------------------------------------------------------------
    def words(self) -> list[str]:
        return sorted(set(FUNCTIONS) | set(CONSTANTS) | set(self.variables) | set(self.definitions)
                      | set(COMMANDS) | set(SESSION_COMMANDS) | {"range", "return", "def", "if", "elif", "else",
                                                                 "while", "for", "in", "and", "or", "not"})


def _entry_text(text: str) -> str:
    """An input as positions count in it: leading empty lines and trailing white space dropped."""
    lines = text.rstrip().split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def _shifted(e: AdcalcError, lead: str) -> AdcalcError:
    """``e``, found in a text without its leading white space ``lead``, with its span in the
    whole text."""
    if e.span is None or not lead:
        return e
    lines, column = lead.count("\n"), len(lead) - (lead.rfind("\n") + 1)
    line, col, end_line, end_col = e.span
    span = Span(line + lines, col + (column if line == 1 else 0), end_line + lines,
                end_col + (column if end_line == 1 else 0))
    return AdcalcError(e.kind, e.message, span, e.hint)


def _span(text: str, start: int, end: int) -> Span:
    """The span of ``text[start:end]`` (at least one character)."""
    line, column = line_column(text, start)
    end_line, end_column = line_column(text, max(end, start + 1))
    return Span(line, column, end_line, end_column)


def _write(stream: object, text: str) -> None:
    """Write ``text``; what the stream's encoding cannot take is written as backslash escapes."""
    if not text:
        return
    try:
        stream.write(text)  # type: ignore[attr-defined]
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))  # type: ignore[attr-defined]
    stream.flush()  # type: ignore[attr-defined]


def _need(clauses: dict[str, str], key: str, command: str) -> str:
    if key not in clauses:
        hints = {"dir": "dir x=1, y=0", "cot": "cot 1, 0", "order": "order 3"}
        raise AdcalcError("usage", f"{command} needs `{key} …`", hint=f"e.g. {command} f at x=1 {hints.get(key, '')}")
    return clauses[key]


def _new_name_problem(name: str, what: str) -> tuple[str, str | None] | None:
    """Why ``name`` cannot name a new variable / function / parameter (message, hint), or None."""
    if name in RESERVED:
        why = (f"one of the REPL's commands ({', '.join(COMMANDS)})" if name in COMMANDS
               else "a clause word of the REPL's commands (at, dir, cot, wrt, order: grad f at x=1)")
        return f"'{name}' cannot name a {what}: it is {why}", f"choose another name, such as {name}_ or {name}1"
    if what != "variable":
        return None
    if name in CONSTANTS:
        return f"'{name}' is a constant and cannot be assigned", None
    if name in FUNCTIONS:
        return f"'{name}' is a built-in function; choose another variable name", None
    return None


def _one_value(value: object, what: str) -> object:
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


def _top_level_ranges(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The ranges of ``text[start:end]`` between commas that are not inside brackets."""
    items, depth, item = [], 0, start
    for i in range(start, end):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append((item, i))
            item = i + 1
    items.append((item, end))
    return [r for r in items if text[r[0]:r[1]].strip()] or [(start, end)]


def _code(text: str) -> str:
    """Text without comments (for bracket counting)."""
    return "\n".join(line.split("#", 1)[0] for line in text.split("\n"))


def clause_ranges(text: str, start: int = 0) -> tuple[tuple[int, int], dict[str, tuple[int, int]]]:
    """The target and clauses of ``text[start:]`` as ranges of ``text``: in ``grad f at x=1, y=2
    dir x=1`` (start after ``grad``), the range of ``f`` and {"at": range of ``x=1, y=2``, "dir":
    …}.  Clause words inside brackets are part of the target."""
    parts: list[tuple[str, int, int]] = []
    depth = 0
    for m in re.finditer(r"[()\[\]]|\b(at|dir|cot|wrt|order)\b", text[start:]):
        tok = m.group(0)
        if tok in "([":
            depth += 1
        elif tok in ")]":
            depth -= 1
        elif depth == 0:
            parts.append((tok, start + m.start(), start + m.end()))
    if not parts:
        return (start, len(text)), {}
    clauses: dict[str, tuple[int, int]] = {}
    for i, (word, _, end) in enumerate(parts):
        stop = parts[i + 1][1] if i + 1 < len(parts) else len(text)
        if word in clauses:
            raise AdcalcError("usage", f"`{word}` is given twice")
        clauses[word] = (end, stop)
    return (start, parts[0][1]), clauses


def split_clauses(rest: str) -> tuple[str, dict[str, str]]:
    """``f at x=1, y=2 dir x=1`` → (``f``, {"at": "x=1, y=2", "dir": "x=1"}); clause words
    inside brackets are part of the target."""
    (start, end), ranges = clause_ranges(rest)
    return rest[start:end].strip(), {word: rest[s:e].strip() for word, (s, e) in ranges.items()}
