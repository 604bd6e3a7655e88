"""The ``adcalc`` command's entry point: the one-shot fast path, then the full command line.

Contract: ``main(argv)`` behaves exactly like ``adcalc.front.cli.main(argv)`` — same output bytes,
same exit status.  For the commonest call, ``adcalc eval|grad EXPRESSION --at POINT [--json]
[--mode forward|reverse]`` with a one-line scalar expression, it answers without importing
argparse, Lark or Rich (``adcalc.language.quick`` parses, ``adcalc.present.plain`` writes the table Rich would
draw).  Whenever anything is unusual — another command or option, a file, arrays, an error, a
warning to render, a table Rich would wrap — it does nothing itself and hands the arguments to
``adcalc.front.cli.main``, which owns every message.  Why: issue #9's start-up target; the full path
imports ~100 ms of libraries before reading its arguments.
"""

from __future__ import annotations

import _signal as signal  # the C module: the signal module's import is itself slow enough to be interrupted
import sys


def _interrupted_at_start(signum: int, frame: object) -> None:
    """Ctrl-C while the command is still starting (importing): end at once with status 130 and
    one line — never a traceback from the middle of an import."""
    try:
        sys.stderr.write("adcalc: interrupted\n")
        sys.stderr.flush()
    finally:
        import os

        os._exit(130)


_SIGINT_BEFORE = signal.getsignal(signal.SIGINT)
if _SIGINT_BEFORE is signal.default_int_handler:  # not when the shell started us with SIGINT ignored
    signal.signal(signal.SIGINT, _interrupted_at_start)

import os  # noqa: E402 - after the handler: the handler covers these imports too
from collections.abc import Sequence  # noqa: E402

from adcalc.language.sources import looks_like_file  # noqa: E402
from adcalc.present.streams import EXIT_BROKEN_PIPE, EXIT_NO_OUTPUT, prepare, quiet_broken_pipe, stdout_closed  # noqa: E402

EXIT_INTERRUPTED = 130

_STYLE_ENV = ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS")


_COMMON = {"-h": False, "--help": False, "--json": False, "--strict": False, "--max-steps": True,
           "--max-depth": True, "--max-memory": True, "--debug": False, "--at": True}
# every option of eval and grad → whether it takes a value (tests check this against the registry)
OPTIONS = {"eval": _COMMON, "grad": {**_COMMON, "--mode": True, "--trace": False, "--wrt": True}}


def _options(argv: list[str]) -> tuple[str, str, str, bool, str | None] | None:
    """(command, source, point text, json, mode) for the plain form, else None.  SOURCE is found
    as the full command line finds it (``adcalc.front.fast.argv``)."""
    if len(argv) < 4 or argv[0] not in OPTIONS:
        return None
    from adcalc.front.fast.argv import find_source, option_of

    opts, source, extra = find_source(argv[1:], OPTIONS[argv[0]])
    if source is None or extra:
        return None
    at = mode = None
    want_json = False
    for a in opts:
        flag = option_of(a, OPTIONS[argv[0]])
        value = a.split("=", 1)[1] if a.startswith(f"{flag}=") else None
        if a == "--json" and not want_json:
            want_json = True
        elif a.startswith("--at=") and at is None and value:
            at = value
        elif a.startswith("--mode=") and mode is None and value in ("forward", "reverse"):
            mode = value
        else:
            return None
    if at is None:
        return None
    if looks_like_file(source):
        return None  # a file: the full path reads it
    return argv[0], source, at, want_json, mode


def _quick(argv: list[str]) -> int | None:
    opts = _options(argv)
    if opts is None:
        return None
    command, source, at, want_json, mode = opts
    tty = False
    width = 120
    from adcalc.present.streams import can_encode

    if not can_encode(sys.stdout):
        return None  # the notation must degrade to ASCII before the layout: the full path does it
    if not want_json:
        tty = sys.stdout.isatty()
        if not tty:  # as adcalc.present.render.make_console sizes a console that is not a terminal
            from adcalc.present.streams import terminal_width

            width = terminal_width(None) or 120
        else:
            if any(os.environ.get(k) is not None for k in _STYLE_ENV):
                return None  # Rich reads these on a terminal: let it
            if os.environ.get("TERM", "dumb") in ("dumb", "unknown"):
                return None
            try:
                width = os.get_terminal_size(sys.stdout.fileno()).columns
            except (OSError, ValueError):
                return None
    from adcalc.language.quick import quick_program

    if quick_program(source) is None:
        return None
    from adcalc.errors import AdcalcError
    from adcalc.language.bindings import parse_bindings
    from adcalc.ops import derivatives as api

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
        from adcalc.present.jsonout import dumps, result_json

        sys.stdout.write(dumps(result_json(command, result)) + "\n")
        return 0
    from adcalc.present.plain import write_result

    return 0 if write_result(sys.stdout, result, point, tty, width) else None


def main(argv: Sequence[str] | None = None) -> int:
    """The ``adcalc`` command.  From its first instruction to its last, Ctrl-C ends it with
    status 130 and one line, a reader closing the pipe with status 141 and nothing at all, and a
    closed standard output with status 74 and a message (see ``adcalc.present.streams``)."""
    try:
        if signal.getsignal(signal.SIGINT) is _interrupted_at_start:
            signal.signal(signal.SIGINT, _SIGINT_BEFORE)  # from here on Ctrl-C raises KeyboardInterrupt
        prepare()
        if stdout_closed():
            sys.stderr.write("adcalc: standard output is closed (or open only for reading), so there is nowhere "
                             "to print results "
                             "(redirect it to a file or /dev/null instead of closing it)\n")
            return EXIT_NO_OUTPUT
        args = list(sys.argv[1:] if argv is None else argv)
        if args in ([], ["repl"]):  # the REPL: straight there, without building the argument parser
            return _repl()
        try:
            code = _quick(args)
        except (KeyboardInterrupt, BrokenPipeError):
            raise
        except Exception:  # a bug of the fast path must not cost the user the answer: the full path
            code = None
        if code is not None:
            sys.stdout.flush()
            return code
        from adcalc.front.cli import main as full_main

        return full_main(args)
    except KeyboardInterrupt:
        return interrupted()
    except BrokenPipeError:
        quiet_broken_pipe()
        return EXIT_BROKEN_PIPE


def _repl() -> int:
    """``adcalc`` / ``adcalc repl``: the interactive calculator, as the full path would run it
    (its errors are its own; a bug of ours is an internal error, never a traceback)."""
    try:
        from adcalc.front.repl import main as repl_main

        code = repl_main()
        sys.stdout.flush()  # here, not in the interpreter's last flush: a reader gone is status 141
        return code
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception:
        sys.stderr.write("adcalc: internal error — please report it, with the command that caused it "
                         "(run again with --debug to see the traceback)\n")
        return 70


def interrupted() -> int:
    """Say that Ctrl-C stopped the run (unless even that is interrupted) and give its status."""
    try:
        sys.stderr.write("adcalc: interrupted\n")
        sys.stderr.flush()
    except (KeyboardInterrupt, OSError, ValueError):
        pass
    return EXIT_INTERRUPTED
