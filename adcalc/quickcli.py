"""The ``adcalc`` command's entry point: the one-shot fast path, then the full command line.

Contract: ``main(argv)`` behaves exactly like ``adcalc.cli.main(argv)`` — same output bytes,
same exit status.  For the commonest call, ``adcalc eval|grad EXPRESSION --at POINT [--json]
[--mode forward|reverse]`` with a one-line scalar expression, it answers without importing
argparse, Lark or Rich (``adcalc.quick`` parses, ``adcalc.plain`` writes the table Rich would
draw).  Whenever anything is unusual — another command or option, a file, arrays, an error, a
warning to render, a table Rich would wrap — it does nothing itself and hands the arguments to
``adcalc.cli.main``, which owns every message.  Why: issue #9's start-up target; the full path
imports ~100 ms of libraries before reading its arguments.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

_STYLE_ENV = ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS")


def _options(argv: list[str]) -> tuple[str, str, str, bool, str | None] | None:
    """(command, source, point text, json, mode) for the plain form, else None."""
    if len(argv) < 4 or argv[0] not in ("eval", "grad"):
        return None
    source = at = mode = None
    want_json = False
    rest = argv[1:]
    i = 0
    while i < len(rest):
        a = rest[i]
        if a == "--json" and not want_json:
            want_json = True
        elif a in ("--at", "--mode") and i + 1 < len(rest):
            value = rest[i + 1]
            i += 1
            if a == "--at" and at is None and not value.startswith("-"):
                at = value
            elif a == "--mode" and mode is None and argv[0] == "grad" and value in ("forward", "reverse"):
                mode = value
            else:
                return None
        elif source is None and a and not a.startswith("-"):
            source = a
        else:
            return None
        i += 1
    if source is None or at is None:
        return None
    if source.endswith(".ad") or "/" in source or os.sep in source:
        return None  # maybe a file: the full path decides
    return argv[0], source, at, want_json, mode


def _quick(argv: list[str]) -> int | None:
    opts = _options(argv)
    if opts is None:
        return None
    command, source, at, want_json, mode = opts
    tty = False
    width = 120
    if not want_json:
        tty = sys.stdout.isatty()
        if not tty:  # as adcalc.render.make_console sizes a console that is not a terminal
            try:
                width = int(os.environ.get("COLUMNS", "0") or 0) or 120
            except ValueError:
                return None
        else:
            if any(os.environ.get(k) is not None for k in _STYLE_ENV):
                return None  # Rich reads these on a terminal: let it
            if os.environ.get("TERM", "dumb") in ("dumb", "unknown"):
                return None
            try:
                width = os.get_terminal_size(sys.stdout.fileno()).columns
            except (OSError, ValueError):
                return None
    from .quick import quick_program

    if quick_program(source) is None:
        return None
    from . import api
    from .bindings import parse_bindings
    from .errors import AdcalcError

    try:
        point = parse_bindings(at)
        if any(isinstance(v, list) for v in point.values()):
            return None
        if command == "eval":
            result = api.evaluate(source, point)
        else:
            result = api.grad(source, point, mode=mode or "reverse")
    except AdcalcError:
        return None  # the full path reports it, with its position and hint
    if want_json:
        from .jsonout import dumps, result_json

        sys.stdout.write(dumps(result_json(command, result)) + "\n")
        return 0
    from .plain import write_result

    return 0 if write_result(sys.stdout, result, point, tty, width) else None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _quick(args)
    except KeyboardInterrupt:
        sys.stderr.write("adcalc: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception:  # a bug of the fast path must not cost the user the answer: the full path
        code = None
    if code is not None:
        sys.stdout.flush()
        return code
    from .cli import main as full_main

    return full_main(args)
