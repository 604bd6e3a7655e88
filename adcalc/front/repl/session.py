"""The REPL's session: what an input is, and running it — no prompt_toolkit here.

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

The derivative commands and their clauses are the registry's (``adcalc.front.commands``): the
session's ``commands``.

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

The parts: ``syntax`` (input classification, clauses, reserved words), ``state`` (the state and
shared helpers), ``definitions`` (variables, definitions, ``:load``), ``derivatives`` (the
derivative commands), ``settings`` (the ``:`` commands and ``:help``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.text import Text

from adcalc.errors import AdcalcError, shown
from adcalc.language.keywords import KEYWORDS, RESERVED
from adcalc.present import console, messages
from adcalc.rules.registry import BUILTIN_NAMES as FUNCTIONS
from adcalc.rules.registry import CONSTANTS

from .definitions import Definition, Definitions
from .derivatives import DerivativeCommands
from .entries import BLOCK_START
from .layout import Located
from .settings import SESSION_COMMANDS, SessionCommands
from .state import Settings
from .syntax import ASSIGN, ONE_LINE_DEF, clause_ranges, entry_text, input_status, split_clauses

__all__ = ["BLOCK_START", "SESSION_COMMANDS", "Definition", "Session", "Settings", "clause_ranges", "split_clauses"]


@dataclass
class Session(Definitions, DerivativeCommands, SessionCommands):
    """The REPL's session (its state: ``state.SessionState``)."""

    def status(self, text: str) -> tuple[str, AdcalcError | None]:
        """``complete``, ``incomplete`` (an open block or bracket) or ``error``."""
        return input_status(text, self.commands)

    def execute(self, text: str) -> bool:
        """Run one complete input; print its result or its error.  True on success.  Its output
        is written when it is done (see ``_output``); a BrokenPipeError writing it propagates."""
        entry = entry_text(text)
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
            elif stripped.split(None, 1)[0] in self.commands.repl_names and not ASSIGN.match(stripped):
                self._derivative_command(lead)
            elif m := ONE_LINE_DEF.match(entry):
                self._define_one_line(m)
            elif m := ASSIGN.match(entry):
                self._assign(m.group(1), m.start(1), m.start(2))
            else:
                self._show_value(lead, len(entry))
            return True
        except AdcalcError as e:
            text, label = (e.text, e.label) if isinstance(e, Located) else (entry, None)
            if e.hint:
                e.hint = repl_hint(e.hint)
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

    # ---- for the completer ----------------------------------------------------------------------
    def words(self) -> list[str]:
        """What completion offers: functions, constants, your names, commands, the clause words
        (``at dir wrt order …``) and the language's keywords."""
        return sorted(set(FUNCTIONS) | set(CONSTANTS) | set(self.variables) | set(self.definitions)
                      | set(self.commands.repl_names) | set(self.commands.clause_words) | set(SESSION_COMMANDS)
                      | KEYWORDS | RESERVED)


# A hint written for the command line, as the REPL says it: every hint names something that works
# here (the command line's options are the REPL's clauses and settings).
_HINTS = ((re.compile(r"see `adcalc --help` for the functions"), ":help lists the functions"),
          (re.compile(r"run without --trace"), "turn the trace off (:trace off)"),
          (re.compile(r"--max-memory (\d\S*)"), r":max-memory \1"),
          (re.compile(r"--(max-steps|max-depth|max-memory)\b"), lambda m: f":{m.group(1)} "
           + ("SIZE" if m.group(1) == "max-memory" else "N")),
          (re.compile(r"--(at|dir|cot|wrt) ([^\s,]+(?:,[^\s,]+)*)"),
           lambda m: f"{m.group(1)} {', '.join(m.group(2).split(','))}"),
          (re.compile(r"--(at|dir|cot|wrt)\b"), r"\1"))


def repl_hint(hint: str) -> str:
    """``hint`` with the command line's options written as the REPL's clauses and settings."""
    for pattern, replacement in _HINTS:
        hint = pattern.sub(replacement, hint)  # type: ignore[arg-type]
    return hint


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
