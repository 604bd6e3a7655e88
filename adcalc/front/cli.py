"""The command line: ``adcalc COMMAND SOURCE ...``, read off the registry (``adcalc.front.commands``).

The parser (subcommands, options, help, examples) is built from the registry's records, and a
command runs through its record's runner; this module only parses, reads SOURCE, and shows the
result (``adcalc.present.render`` / ``adcalc.present.jsonout``) or the error.

Contract (exact; other programs rely on it):
- SOURCE is an expression, a program file (ends in ``.ad`` or names an existing path), or ``-``.
- Exit status: 0 success; 1 an error in the user's input (syntax, name, arity, domain under
  ``--strict``, limits, files); 2 bad command-line usage; 70 an internal bug (traceback only
  with ``--debug``); 130 interrupted.
- ``--json`` prints exactly the shapes in ``adcalc.present.jsonout`` on standard output, errors
  included; otherwise results go to standard output and warnings/errors to standard error.
- Front end only: it calls the public API and the renderers; Rich is imported only when
  something is rendered for a person.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from adcalc import __version__
from adcalc.errors import AdcalcError
from adcalc.front.commands import COMMON, LIMITS, REGISTRY, Call, Command, Option, Registry

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70  # 130 (Ctrl-C): quickcli.interrupted

# every command's --help examples (tests run them all; the REPL's would start a session)


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and a one-line hint (never a traceback)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        from adcalc.errors import shown

        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {shown(message)}\n(see {self.prog} --help)\n")
        raise SystemExit(EXIT_USAGE)


def _add(parser: argparse.ArgumentParser, option: Option) -> argparse.Action:
    settings = dict(option.argparse)
    if option.hidden:
        settings["help"] = argparse.SUPPRESS
    return parser.add_argument(option.flag, **settings)


def build_parser(commands: Registry = REGISTRY) -> argparse.ArgumentParser:
    """The command line, read off the registry: a subcommand per command, its options, help and
    examples; ``adcalc --help`` lists every command and the featured examples."""
    featured = [c.examples[i] for c in commands for i in c.featured]
    top = _Parser(
        prog="adcalc",
        description="A derivative calculator built on automatic differentiation: values, gradients, "
                    "Jacobian products and Jacobians of formulas and small programs, in forward or "
                    "reverse mode, with the Wengert-list trace that shows how.",
        epilog="examples:\n  " + "\n  ".join(featured)
               + "\n  adcalc            (the interactive calculator)"
               + "\n\nSOURCE is an expression, a program file (.ad), or - for standard input; an expression may start "
               "with '-'\n(adcalc eval \"-x^2\" --at x=3, or adcalc eval -- \"-x^2\" --at x=3).\nInputs may be "
               "arrays: --at x=[1,2,3],A=[[1,2],[3,4]] (see README: Arrays).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"adcalc {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    common = argparse.ArgumentParser(add_help=False)
    for option in COMMON:
        _add(common, option)
    for command in commands:
        p = sub.add_parser(command.name, help=command.summary, description=command.description or command.summary + ".",
                           parents=[common] if command.common else [],
                           epilog="examples:\n  " + "\n  ".join(command.examples),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        groups: dict[str, argparse._MutuallyExclusiveGroup] = {}
        for option in command.options:
            if option.group is not None and option.group not in groups:
                groups[option.group] = p.add_mutually_exclusive_group()
            _add(groups[option.group] if option.group is not None else p, option)
    return top


def option_table(command: Command) -> dict[str, bool]:
    """Every option spelling of ``command`` (``-h`` and the shared options included) → whether it takes a value."""
    options = [o for o in command.options if o.flag.startswith("-")] + (list(COMMON) if command.common else [])
    table = {"-h": False, "--help": False}
    for o in options:
        table[o.flag] = o.argparse.get("action", "store") in ("store", "append")
    return table


def arranged(argv: Sequence[str], commands: Registry = REGISTRY) -> list[str]:
    """``argv`` with SOURCE found as ``adcalc.front.fast.argv.find_source`` says (an expression may
    start with '-', wherever it stands; ``--`` before or after the options) and put last, after
    ``--``, where argparse reads it as the positional it is; other commands' arguments unchanged."""
    argv = list(argv)
    if not argv or argv[0] not in commands or not any(o.kind == "source" for o in commands[argv[0]].options):
        return argv
    from adcalc.front.fast.argv import find_source

    opts, source, extra = find_source(argv[1:], option_table(commands[argv[0]]))
    return [argv[0], *opts] + (["--", source, *extra] if source is not None else [])


def point_of(at: list[str]) -> dict[str, float]:
    """The point of ``--at`` (given any number of times): every binding once, arrays as NumPy arrays."""
    from adcalc.language.bindings import parse_bindings, with_arrays

    point: dict[str, float] = {}
    for chunk in at:
        for name, value in parse_bindings(chunk).items():
            if name in point:
                raise AdcalcError("input", f"--at: '{name}' is given twice")
            point[name] = value
    return with_arrays(point)


def limits_of(args: argparse.Namespace) -> dict[str, Any]:
    """The run limits and strictness given on the command line, as keyword arguments of the API."""
    return {name: getattr(args, name) for name in LIMITS}


def _value(option: Option, given: Any) -> Any:
    """An option's value for the runner, from what argparse parsed (an empty optional value is absent)."""
    if option.kind == "point":
        return point_of(given)
    if option.kind in ("bindings", "numbers"):
        if not given and not option.required:
            return None
        from adcalc.language.bindings import parse_bindings, parse_numbers

        return (parse_bindings if option.kind == "bindings" else parse_numbers)(given, option.flag)
    return given


def call_of(command: Command, args: argparse.Namespace, text: str) -> Call:
    """The runner's values, parsed from the command line in the order of the command's options."""
    values: dict[str, Any] = {"source": text, "path": getattr(args, "source", None)}
    for option in command.options:
        if option.field is not None and option.kind != "source":
            values[option.field] = _value(option, getattr(args, option.dest))
    if command.common:
        values["limits"] = limits_of(args)
        values["json"] = args.json
    return Call(**values)


def _run(args: argparse.Namespace, state: dict[str, Any], commands: Registry = REGISTRY) -> int:
    from adcalc.language.sources import looks_like_file, read_source

    command = commands[args.command]
    if command.shows == "itself":
        return command.runner(args)  # type: ignore[no-any-return]
    if args.source == "-" or looks_like_file(args.source):  # a file error names where it is
        state["label"] = "<stdin>" if args.source == "-" else args.source
    text, label, _ = read_source(args.source)
    state["source"], state["label"] = text, label
    call = call_of(command, args, text)
    result = command.runner(call)
    if command.shows == "text":
        sys.stdout.write(result + "\n")
        return EXIT_OK
    code = EXIT_INPUT if getattr(result, "ok", True) is False else EXIT_OK
    if args.json:
        from adcalc.present.jsonout import result_json

        _write_json(result_json(args.command, result))
        return code
    from adcalc.present import console, messages, render

    out = console.make_console()
    render.render_result(out, result, call.point)  # type: ignore[arg-type]
    if result.warnings:
        messages.render_warnings(console.make_console(stderr=True), result.warnings, text, label)
    return code


def main(argv: Sequence[str] | None = None, commands: Registry = REGISTRY) -> int:
    """The ``adcalc`` command (the full path): parse ``argv`` and run the command; its exit status."""
    from adcalc.present.streams import EXIT_BROKEN_PIPE, prepare, quiet_broken_pipe

    prepare()
    parsed: list[argparse.Namespace] = []
    try:
        code = _parse_and_run(argv, commands, parsed)
        sys.stdout.flush()  # here, not in the interpreter's last flush: a reader gone is status 141
        return code
    except KeyboardInterrupt:
        from adcalc.front.fast.quickcli import interrupted

        return interrupted()
    except BrokenPipeError:
        quiet_broken_pipe()
        return EXIT_BROKEN_PIPE
    except Exception:
        if parsed and getattr(parsed[0], "debug", False):
            raise
        return _internal_error()


def _parse_and_run(argv: Sequence[str] | None, commands: Registry, parsed: list[argparse.Namespace]) -> int:
    try:
        args = build_parser(commands).parse_args(arranged(sys.argv[1:] if argv is None else argv, commands))
    except SystemExit as done:  # --help, --version, or a usage error (already printed): its status
        return done.code if isinstance(done.code, int) else (0 if done.code is None else EXIT_USAGE)
    parsed.append(args)
    if not args.command:
        args.command = "repl"  # adcalc with no arguments
    if args.command == "repl":
        return commands["repl"].runner(args)  # type: ignore[no-any-return]  # its errors are its own
    return _main(args, commands)


def _internal_error() -> int:
    sys.stderr.write("adcalc: internal error — please report it, with the command that caused it "
                     "(run again with --debug to see the traceback)\n")
    return EXIT_INTERNAL


def _main(args: argparse.Namespace, commands: Registry) -> int:
    """Run one command; every error a user can cause becomes its message and exit status."""
    state: dict[str, Any] = {"source": None, "label": None}
    want_json = getattr(args, "json", False)
    try:
        return _run(args, state, commands)
    except AdcalcError as e:
        code = EXIT_USAGE if e.kind == "usage" else EXIT_INPUT
        if want_json:
            from adcalc.present.jsonout import error_json

            _write_json(error_json(e))
        else:
            from adcalc.present import console, messages

            messages.render_error(console.make_console(stderr=True), e, state["source"], state["label"])
        return code
    except (MemoryError, RecursionError) as e:
        error = AdcalcError("limit", "the run needs more memory than this machine gave it" if isinstance(
            e, MemoryError) else "the input is nested too deeply to process",
            hint="lower --max-memory or simplify the input" if isinstance(e, MemoryError) else None)
        if want_json:
            from adcalc.present.jsonout import error_json

            _write_json(error_json(error))
        else:
            from adcalc.present import console, messages

            messages.render_error(console.make_console(stderr=True), error, None, None)
        return EXIT_INPUT


def _write_json(obj: dict[str, Any]) -> None:
    from adcalc.present.jsonout import dumps
    from adcalc.present.streams import ascii_only

    sys.stdout.write(dumps(obj, ascii_only=ascii_only(sys.stdout)) + "\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
