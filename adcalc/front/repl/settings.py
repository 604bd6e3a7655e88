"""The REPL's session commands (``:help :vars :defs :load :reset :quit``) and settings
(``:mode :trace :digits :strict :sparse``, and the run limits ``:max-steps :max-depth :max-memory``), and
the ``:help`` text.

Contract: ``SessionCommands`` is a part of ``Session`` (it works on the session's state);
``_session_command(text)`` runs one ``:word [arg]`` input through the table ``HANDLERS``; an
unknown word is a ``usage`` error suggesting the closest.  A setting given no value prints its
value; a bad value is a ``usage`` error and changes nothing.  ``help_text(commands)`` is the
``:help`` text, its table of derivative commands read off the registry (each command's
``ReplHelp``: example, gloss, slot).
"""

from __future__ import annotations

from rich.text import Text

from adcalc.errors import AdcalcError, shown
from adcalc.front.commands import Registry
from adcalc.present import plain

from .state import SessionState, Settings

_HEAD = """\
Type an expression to see its value; bind variables and define functions:
  x = 2                          f(x, y) = exp(2*x) + x*y^2 + cos(y)
  def g(x):                      (a multi-line block: an empty line ends it; Backspace in the
      if x > 0:                   indentation goes back one level; a line that never runs or a
          return x * x            missing return is warned about when you define it)
      return -x
Each line is its own input unless it opens a block or a bracket; pasted lines run one by one.

Derivatives (the point defaults to your variables; `at` overrides them):
"""
_TAIL = """\
  (f may be any expression: grad sin(x)*y at x=1, y=2, or a program file: eval prog.ad at x=1)

Arrays: v = [1, 2, 3]   A = [[1, 2], [3, 4]]   A @ v   v[0]   v[1:]   sum(v^2)   max(A, axis=0)
  grad sum(v * w) at w=[1, 0, 2]                 (see README: Arrays)

Python as you write it (see README: The language):
  x^2 if x > 0 else -x     (x > 0) * x     where(v > 0, sqrt(v), 0)     7 % 3   -7 // 2   int(x)   round(x)
  True  False   not/and/or as values   for v in [a, b]:   for row in A:   for i in range(len(v)):
  constants at the top of a program file are read by its functions; docstrings are ignored
  relu(x) = (x > 0) * x          grad sum(where(v > 0, sqrt(v), 0)) at v=[0, 1, 4]   (the unchosen
                                 branch's cotangent is exactly 0: no nan from sqrt'(0))

Functions:
{functions}
Session:
  :vars  :defs  :load FILE  :reset  :quit (or Ctrl-D)
  :mode forward|reverse   :trace on|off   :digits N   :strict on|off
  :sparse on|off          (jacobian and hessian by colouring: --sparse on the command line)
  :max-steps N   :max-depth N   :max-memory SIZE      (the run limits: --max-steps … on the command line)
Keys: Tab completes, Ctrl-R searches history, ↑ brings back an input (one that failed, to fix it),
  Esc or Ctrl-C clears the input you are editing, Ctrl-C stops a long run."""
_WIDTHS = (31, 16, 25)  # the columns of the commands' table: example, gloss, example (then gloss)


def _cell(text: str, width: int) -> str:
    return text.ljust(width) if len(text) < width else text + " "


def functions_text(width: int = 96) -> str:
    """The built-in functions and constants, wrapped (read off the registry)."""
    from adcalc.rules.registry import BUILTIN_NAMES, CONSTANTS

    words = sorted(BUILTIN_NAMES) + [f"{c} (constant)" for c in sorted(CONSTANTS)]
    lines, line = [], " "
    for w in words:
        if len(line) + len(w) + 1 > width:
            lines.append(line)
            line = " "
        line += " " + w
    return "\n".join([*lines, line]) + "\n"


def help_text(commands: Registry) -> str:
    """The ``:help`` text: the REPL's commands two to a row, in the order of their slots."""
    shown_commands = sorted((c.repl for c in commands if c.repl is not None), key=lambda h: h.slot)
    rows = []
    for i in range(0, len(shown_commands), 2):
        left, right = shown_commands[i], shown_commands[i + 1:i + 2]
        row = _cell(left.usage, _WIDTHS[0]) + (_cell(left.gloss, _WIDTHS[1]) if right else left.gloss)
        if right:
            row += _cell(right[0].usage, _WIDTHS[2]) + right[0].gloss
        rows.append("  " + row + "\n")
    return _HEAD + "".join(rows) + _TAIL.replace("{functions}", functions_text())


class SessionCommands(SessionState):
    """The ``:`` commands: a part of ``Session``."""

    def _session_command(self, text: str) -> None:
        word, _, arg = text.partition(" ")
        handler = HANDLERS.get(word) or ALIASES.get(word)
        if handler is None:
            from adcalc.errors import closest

            near = closest(word, SESSION_COMMANDS)
            raise AdcalcError("usage", f"unknown session command {word}",
                              hint=(f"did you mean {near}? " if near else "") + ":help lists the commands")
        getattr(self, handler)(arg.strip())

    def _help(self, arg: str) -> None:
        self.out.print(Text(help_text(self.commands)))

    def _quit(self, arg: str) -> None:
        self.quit = True

    def _vars(self, arg: str) -> None:
        if not self.variables:
            self.out.print(Text("no variables yet (bind one: x = 2)"))
        for n, v in self.variables.items():
            self.out.print(Text(f"{n} = {plain.num(v)}"))

    def _defs(self, arg: str) -> None:
        if not self.definitions:
            self.out.print(Text("no functions yet (define one: f(x) = x^2)"))
        for d in self.definitions.values():
            self.out.print(Text(shown(d.source.rstrip(), newlines=True)))

    def _reset(self, arg: str) -> None:
        self.variables.clear()
        self.definitions.clear()
        self.settings = Settings()
        self.out.print(Text("session reset"))

    def _mode(self, arg: str) -> None:
        self._setting("mode", arg)

    def _trace(self, arg: str) -> None:
        self._setting("trace", arg)

    def _sparse(self, arg: str) -> None:
        self._setting("sparse", arg)

    def _digits(self, arg: str) -> None:
        self._setting("digits", arg)

    def _strict(self, arg: str) -> None:
        self._setting("strict", arg)

    def _max_steps(self, arg: str) -> None:
        self._limit("max_steps", arg)

    def _max_depth(self, arg: str) -> None:
        self._limit("max_depth", arg)

    def _max_memory(self, arg: str) -> None:
        self._limit("max_memory", arg)

    def _limit(self, name: str, arg: str) -> None:
        """``:max-steps N``, ``:max-depth N`` (whole numbers from 1) and ``:max-memory SIZE``
        (``8G``, ``512M``): the run limits the command line sets with ``--max-steps`` …"""
        from adcalc.transform import budget

        word = ":" + name.replace("_", "-")
        defaults = {"max_steps": budget.DEFAULT_MAX_STEPS, "max_depth": budget.DEFAULT_MAX_DEPTH,
                    "max_memory": budget.DEFAULT_MAX_MEMORY}
        def said(value: int) -> str:
            return f"{value:,} bytes ({value / 1024 ** 3:g} GiB)" if name == "max_memory" else f"{value:,}"

        if not arg:
            value = getattr(self.settings, name)
            self.out.print(Text(f"{name.replace('_', '-')} = {said(defaults[name] if value is None else value)}"
                                + (" (the default)" if value is None else "")))
            return
        if name == "max_memory":
            try:
                value = budget.parse_size(arg)
            except ValueError as e:
                raise AdcalcError("usage", f"{word}: {e}", hint=f"e.g. {word} 8G") from None
        else:
            if not arg.isascii() or not arg.isdigit() or len(arg.lstrip("0")) > 15 or int(arg) < 1:
                raise AdcalcError("usage", f"{word} takes a whole number of at least 1",
                                  hint=f"e.g. {word} {defaults[name] * 10}")
            value = int(arg)
        setattr(self.settings, name, value)
        self.out.print(Text(f"{name.replace('_', '-')} = {said(value)}"))

    def _setting(self, name: str, arg: str) -> None:
        s = self.settings
        if not arg:
            self.out.print(Text(f"{name} = {getattr(s, name)}"))
            return
        if name == "mode":
            if arg not in ("forward", "reverse"):
                raise AdcalcError("usage", ":mode takes forward or reverse")
            s.mode = arg
        elif name in ("trace", "strict", "sparse"):
            if arg not in ("on", "off"):
                raise AdcalcError("usage", f":{name} takes on or off")
            setattr(s, name, arg == "on")
        else:
            # ASCII digits only: "²".isdigit() is true but int("²") fails; a long run of digits
            # is out of range without being converted
            digits = arg.lstrip("0")
            if not arg.isascii() or not arg.isdigit() or len(digits) > 2 or not 1 <= int(digits or "0") <= 17:
                raise AdcalcError("usage", ":digits takes a whole number from 1 to 17")
            s.digits = int(digits)
            arg = digits
        self.out.print(Text(f"{name} = {arg}"))


# Every session command and the method that runs it with the command's argument, in the order
# completion and suggestions list them (``:load`` is ``Definitions._load_file``).
HANDLERS = {":help": "_help", ":vars": "_vars", ":defs": "_defs", ":load": "_load_file", ":reset": "_reset",
            ":quit": "_quit", ":mode": "_mode", ":trace": "_trace", ":digits": "_digits", ":strict": "_strict",
            ":sparse": "_sparse",
            ":max-steps": "_max_steps", ":max-depth": "_max_depth", ":max-memory": "_max_memory"}
ALIASES = {":q": "_quit"}
SESSION_COMMANDS = tuple(HANDLERS)
