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
prints through the shared renderer (``adcalc.render``) on ``self.out`` / ``self.err``.  A
failing input changes nothing: bindings, definitions and settings are updated only after the
input succeeded.  ``Session.status(text)`` says whether an input is ``complete``,
``incomplete`` (a block or bracket is open) or has a syntax ``error`` (with its position).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

from .. import api, render
from ..arrays import BUILTIN_NAMES as FUNCTIONS
from ..bindings import parse_number, parse_numbers
from ..errors import AdcalcError, Span
from ..parser import parse
from ..primitives import CONSTANTS

COMMANDS = ("eval", "grad", "jvp", "vjp", "jacobian", "hessian", "hvp", "deriv", "check", "ir")
SESSION_COMMANDS = (":help", ":vars", ":defs", ":load", ":reset", ":quit", ":mode", ":trace", ":digits", ":strict")
CLAUSES = ("at", "dir", "cot", "wrt", "order")
BLOCK_START = re.compile(r"^\s*(def|if|while|for|elif|else)\b")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ONE_LINE_DEF = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(([^()]*)\)\s*=(?!=)(.*)$", re.S)
_ASSIGN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)(.*)$", re.S)

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
    source: str  # the def block


@dataclass
class Session:
    out: Console
    err: Console | None = None
    variables: dict[str, float] = field(default_factory=dict)
    definitions: dict[str, Definition] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    quit: bool = False

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
            return "error", e
        return "complete", None

    # ---- running ------------------------------------------------------------------------------
    def execute(self, text: str) -> bool:
        """Run one complete input; print its result or its error.  True on success."""
        stripped = text.strip()
        if not stripped:
            return True
        render.set_digits(self.settings.digits)
        try:
            if stripped.startswith(":"):
                self._session_command(stripped)
            elif BLOCK_START.match(stripped) and stripped.startswith("def"):
                self._define_block(text)
            elif stripped.split(None, 1)[0] in COMMANDS and not _ASSIGN.match(stripped):
                self._derivative_command(stripped)
            elif m := _ONE_LINE_DEF.match(stripped):
                self._define_one_line(m.group(1), m.group(2), m.group(3), stripped)
            elif m := _ASSIGN.match(stripped):
                self._assign(m.group(1), m.group(2))
            else:
                self._show_value(stripped)
            return True
        except AdcalcError as e:
            render.render_error(self.err, self._relocate(e), stripped, None)  # type: ignore[arg-type]
            return False
        except RecursionError:
            too_deep = AdcalcError("limit", "the input is nested too deeply")
            render.render_error(self.err, too_deep, None, None)  # type: ignore[arg-type]
            return False
        except Exception as e:  # a bug of ours: say so, keep the session (its state is unchanged)
            self.err.print(Text(f"adcalc: internal error ({type(e).__name__}: {e}) — please report it with the "
                                "input that caused it; your variables and definitions are kept", style="red"))
            return False

    def _relocate(self, e: AdcalcError) -> AdcalcError:
        """A run-time error's position in the combined program (definitions first) → in what was
        typed; inside a definition, say so instead of pointing at the typed line."""
        if e.span is None or getattr(e, "relocated", False) or not self.definitions:
            return e
        offset = self.program("").count("\n") + 1
        if e.span.line > offset:
            span = Span(e.span.line - offset, e.span.column, e.span.end_line - offset, e.span.end_column)
            return AdcalcError(e.kind, e.message, span, e.hint)
        return AdcalcError(e.kind, e.message + " (in one of your definitions)", None, e.hint)

    # ---- pieces ------------------------------------------------------------------------------
    def program(self, body: str, last: str | None = None) -> str:
        """The session's definitions followed by ``body`` (with definition ``last`` moved last)."""
        defs = [d.source for n, d in self.definitions.items() if n != last]
        if last is not None:
            defs.append(self.definitions[last].source)
        return "\n".join(defs + ([body] if body else []))

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

    def _target_source(self, target: str) -> str:
        target = target.strip()
        if not target:
            raise AdcalcError("syntax", "give a function name or an expression", hint="e.g. grad f at x=1")
        if target in self.definitions:
            return self.program("", last=target)
        return self.program(target)

    def _show_value(self, expression: str) -> None:
        loaded = _load_checked(self.program(expression), expression)
        r = api.evaluate(loaded, self._point(loaded, {}), strict=self.settings.strict)
        self.out.print(Text(render._value(r.value), style="bold"))
        render.render_warnings(self.err, r.warnings, expression, "<input>")  # type: ignore[arg-type]

    def _assign(self, name: str, expression: str) -> None:
        _check_new_name(name)
        if name in self.definitions:
            raise AdcalcError("name", f"'{name}' is one of your functions; choose another variable name")
        loaded = _load_checked(self.program(expression.strip()), expression)
        r = api.evaluate(loaded, self._point(loaded, {}), strict=self.settings.strict)
        self.variables[name] = _one_value(r.value, name)  # type: ignore[assignment]
        self.out.print(Text(f"{name} = {render.num(self.variables[name])}"))  # type: ignore[arg-type]

    def _define_one_line(self, name: str, params: str, body: str, text: str) -> None:
        names = [p.strip() for p in params.split(",") if p.strip()]
        if not body.strip():
            raise AdcalcError("syntax", f"the definition of {name} has no body",
                              hint=f"{name}({params}) = <expression>")
        for p in names:
            if not _NAME.match(p):
                raise AdcalcError("syntax", f"'{p}' is not a parameter name")
        self._define(name, tuple(names), f"def {name}({', '.join(names)}):\n    return {body.strip()}\n")

    def _define_block(self, text: str) -> None:
        m = re.match(r"\s*def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)", text)
        source = text.strip("\n") + "\n"
        if not m:
            parse(source)  # let the parser say what is wrong
            raise AdcalcError("syntax", "write def name(params): and an indented body")
        if sum(1 for line in source.splitlines() if line.startswith("def ")) != 1 or any(
                line[:1] not in ("", " ", "\t", "#") and not line.startswith("def ") for line in source.splitlines()):
            raise AdcalcError("syntax", "define one function per block (and nothing else)")
        names = tuple(p.strip() for p in m.group(2).split(",") if p.strip())
        self._define(m.group(1), names, source)

    def _define(self, name: str, params: tuple[str, ...], source: str) -> None:
        if name in self.variables:
            raise AdcalcError("name", f"'{name}' is one of your variables; choose another function name")
        trial = dict(self.definitions)
        trial[name] = Definition(name, params, source)
        text = "\n".join(d.source for d in trial.values())
        api.load(text)  # the whole set must still compile (names, arities, recursion)
        self.definitions = trial
        self.out.print(Text(f"defined {name}({', '.join(params)})"))

    def _derivative_command(self, text: str) -> None:
        command, rest = (text.split(None, 1) + [""])[:2]
        target, clauses = split_clauses(rest)
        source = self._target_source(target)
        if command == "ir":
            from ..arrays import describe
            from ..ir import format_program

            program = _load_checked(source, target).program
            self.out.print(Text(format_program(program, describe)))
            return
        loaded = _load_checked(source, target)
        point = self._point(loaded, self.bindings(clauses["at"], "at") if "at" in clauses else {})
        s = self.settings
        limits = {"strict": s.strict}
        direction = None
        if command == "eval":
            r: api.Result = api.evaluate(loaded, point, **limits)
        elif command == "grad":
            r = api.grad(loaded, point, mode=s.mode, trace=s.trace, **limits)
        elif command == "jvp":
            direction = self.bindings(_need(clauses, "dir", command), "dir")
            r = api.jvp(loaded, point, direction, trace=s.trace, **limits)
        elif command == "vjp":
            r = api.vjp(loaded, point, parse_numbers(_need(clauses, "cot", command), "cot"), trace=s.trace, **limits)
        elif command == "jacobian":
            r = api.jacobian(loaded, point, **limits)
        elif command in ("hessian", "hvp", "deriv"):
            from .. import higher

            if command == "hessian":
                r = higher.hessian(loaded, point, **limits)
            elif command == "hvp":
                direction = self.bindings(_need(clauses, "dir", command), "dir")
                r = higher.hvp(loaded, point, direction, **limits)
            else:
                order = int(parse_number(_need(clauses, "order", command), "order")) if "order" in clauses else 1
                direction = self.bindings(clauses["dir"], "dir") if "dir" in clauses else None
                wrt = clauses.get("wrt", "").strip() or None
                r = higher.deriv(loaded, point, wrt=wrt, direction=direction, order=order, trace=s.trace, **limits)
        else:
            from ..checks import check

            r = check(loaded, point, **limits)
        name = target.strip() if target.strip() in self.definitions else "f"
        render.render_result(self.out, r, point, name)
        render.render_warnings(self.err, r.warnings, source, "<input>")  # type: ignore[arg-type]

    def bindings(self, text: str, what: str) -> dict[str, float]:
        """``x=1, y=2*a`` → numbers; in the REPL a value may be any expression over the session's
        variables (the command line takes plain numbers)."""
        out: dict[str, float] = {}
        for item in _top_level_split(text):
            name, eq, expr = item.partition("=")
            name = name.strip()
            if not eq or not _NAME.match(name) or not expr.strip():
                raise AdcalcError("input", f"{what}: '{item.strip()}' is not NAME=VALUE", hint="e.g. x=1.5")
            if name in out:
                raise AdcalcError("input", f"{what}: '{name}' is given twice")
            try:
                out[name] = parse_number(expr, f"{what} {name}")
                continue
            except AdcalcError:
                pass
            loaded = _load_checked(self.program(expr.strip()), expr.strip())
            value = api.evaluate(loaded, self._point(loaded, {}), strict=self.settings.strict).value
            out[name] = _one_value(value, f"{what} {name}")  # type: ignore[assignment]
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
                self.out.print(Text(f"{n} = {render.num(v)}"))
        elif word == ":defs":
            if not self.definitions:
                self.out.print(Text("no functions yet (define one: f(x) = x^2)"))
            for d in self.definitions.values():
                self.out.print(Text(d.source.rstrip()))
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
            from ..errors import closest

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
        from ..sources import read_file

        if not path:
            raise AdcalcError("usage", ":load needs a file name", hint=":load samples/newton_sqrt.ad")
        text = read_file(path)
        program = _load_checked(text, path).program
        defs = [f for name, f in program.functions.items() if name != "<main>"]
        if "<main>" in program.functions:
            raise AdcalcError("usage", f"{path} has top-level statements; :load takes files of definitions",
                              hint=f"use it as a target instead: eval {path}")
        trial = dict(self.definitions)
        lines = text.splitlines()
        starts = sorted(f.span.line for f in defs) + [len(lines) + 1]
        for f in defs:
            start = f.span.line
            end = starts[starts.index(start) + 1]
            block = "\n".join(lines[start - 1:end - 1]).rstrip() + "\n"
            trial[f.name] = Definition(f.name, f.params, block)
        api.load("\n".join(d.source for d in trial.values()))
        self.definitions = trial
        self.out.print(Text(f"loaded {', '.join(f.name for f in defs)} from {path}"))

    # ---- for the completer ----------------------------------------------------------------------
    def words(self) -> list[str]:
        return sorted(set(FUNCTIONS) | set(CONSTANTS) | set(self.variables) | set(self.definitions)
                      | set(COMMANDS) | set(SESSION_COMMANDS) | {"range", "return", "def", "if", "elif", "else",
                                                                 "while", "for", "in", "and", "or", "not"})


def _need(clauses: dict[str, str], key: str, command: str) -> str:
    if key not in clauses:
        hints = {"dir": "dir x=1, y=0", "cot": "cot 1, 0", "order": "order 3"}
        raise AdcalcError("usage", f"{command} needs `{key} …`", hint=f"e.g. {command} f at x=1 {hints.get(key, '')}")
    return clauses[key]


def _check_new_name(name: str) -> None:
    if name in CONSTANTS:
        raise AdcalcError("name", f"'{name}' is a constant and cannot be assigned")
    if name in FUNCTIONS or name in COMMANDS or name in CLAUSES:
        raise AdcalcError("name", f"'{name}' is a built-in name; choose another variable name")


def _load_checked(source: str, shown: str) -> api.Loaded:
    """Load a session program; errors keep their kind, and positions refer to what was typed
    when the error is inside it (definitions come first in the combined source)."""
    try:
        return api.load(source)
    except AdcalcError as e:
        offset = source.count("\n", 0, max(0, len(source) - len(shown)))
        if e.span is not None and shown and source.endswith(shown):
            line = e.span.line - offset
            if line >= 1:
                moved = AdcalcError(e.kind, e.message, Span(line, e.span.column, e.span.end_line - offset,
                                                            e.span.end_column), e.hint)
            else:
                moved = AdcalcError(e.kind, e.message + " (in one of your definitions)", None, e.hint)
            moved.relocated = True  # type: ignore[attr-defined]
            raise moved from None
        raise


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


def _top_level_split(text: str) -> list[str]:
    """Split on commas that are not inside brackets."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return [item for item in items if item.strip()] or [""]


def _code(text: str) -> str:
    """Text without comments (for bracket counting)."""
    return "\n".join(line.split("#", 1)[0] for line in text.split("\n"))


def split_clauses(rest: str) -> tuple[str, dict[str, str]]:
    """``f at x=1, y=2 dir x=1`` → (``f``, {"at": "x=1, y=2", "dir": "x=1"}); clause words
    inside brackets are part of the target."""
    parts: list[tuple[str, int, int]] = []
    depth = 0
    for m in re.finditer(r"[()\[\]]|\b(at|dir|cot|wrt|order)\b", rest):
        tok = m.group(0)
        if tok in "([":
            depth += 1
        elif tok in ")]":
            depth -= 1
        elif depth == 0:
            parts.append((tok, m.start(), m.end()))
    if not parts:
        return rest.strip(), {}
    target = rest[: parts[0][1]].strip()
    clauses: dict[str, str] = {}
    for i, (word, _, end) in enumerate(parts):
        stop = parts[i + 1][1] if i + 1 < len(parts) else len(rest)
        if word in clauses:
            raise AdcalcError("usage", f"`{word}` is given twice")
        clauses[word] = rest[end:stop].strip()
    return target, clauses
