"""The command line: ``adcalc eval|grad|jvp|vjp|jacobian|ir SOURCE ...``.

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

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130

QUICK = 'adcalc grad "exp(2*x1) + x1*x2^2 + cos(x2)" --at x1=1,x2=2'

EXAMPLES = {
    "eval": ['adcalc eval "sin(x^2 + 1)" --at x=1.5', "adcalc eval samples/newton_sqrt.ad --at a=2 --json"],
    "grad": [QUICK, QUICK + " --mode forward --trace", 'adcalc grad "sin(x^2+1)" --at x=1.5 --trace --json',
             'adcalc grad "sum(W * (A + b))" --at "A=[[1,2],[3,4]],b=[10,20],W=[[1,-2],[3,1]]"'],
    "jvp": ['adcalc jvp "[x*y, sin(x)]" --at x=1,y=2 --dir x=1,y=0'],
    "vjp": ['adcalc vjp "[x*y, sin(x)]" --at x=1,y=2 --cot 1,0.5 --trace'],
    "jacobian": ['adcalc jacobian "[r*cos(t), r*sin(t)]" --at r=2,t=0.5',
                 'adcalc jacobian "A @ v" --at "A=[[1,2],[3,4]],v=[1,-1]"',
                 'adcalc jacobian "[x+y+z, x*y*z]" --at x=1,y=2,z=3 --mode forward'],
    "ir": ['adcalc ir "exp(2*x1) + x1*x2^2 + cos(x2)"', "echo 'x^2 + 1' | adcalc ir -"],
    "hessian": ['adcalc hessian "exp(2*x1) + x1*x2^2 + cos(x2)" --at x1=1,x2=2'],
    "hvp": ['adcalc hvp "100*(y - x^2)^2 + (1 - x)^2" --at x=-1.2,y=1 --dir x=1,y=0'],
    "deriv": ['adcalc deriv "exp(2*x)" --at x=0 --order 10',
              'adcalc deriv "sin(x*y)" --at x=1,y=2 --wrt y --order 4 --trace',
              'adcalc deriv "x*y^2" --at x=1,y=2 --dir x=1,y=1 --order 3'],
    "check": ['adcalc check "x^2 + 3*x + 1" --at x=2', 'adcalc check "[r*cos(t), r*sin(t)]" --at r=2,t=0.5 --json'],
    "run": ["adcalc run samples/", "adcalc run samples/newton_sqrt.ad --at a=9 --trace",
            "adcalc run samples/ --json > results.jsonl"],
}

HELP = {
    "eval": "the value of SOURCE at a point",
    "grad": "the gradient of a scalar SOURCE (reverse mode by default)",
    "jvp": "the Jacobian-vector product J·v (one forward sweep)",
    "vjp": "the vector-Jacobian product wᵀJ (one reverse sweep)",
    "jacobian": "the full Jacobian (the mode needing fewer sweeps by default)",
    "ir": "print the lowered IR (the Wengert list)",
    "hessian": "the Hessian of a scalar SOURCE (forward-over-reverse)",
    "hvp": "the Hessian-vector product H·v, without forming H",
    "deriv": "1st…K-th derivatives along an input or a direction (one Taylor-mode sweep)",
    "check": "compare forward AD, reverse AD and finite differences (exit 1 if they disagree)",
    "run": "evaluate program files at their # @at points and check their # @expect lines",
}


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and a one-line hint (never a traceback)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        from adcalc.errors import shown

        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {shown(message)}\n(see {self.prog} --help)\n")
        raise SystemExit(EXIT_USAGE)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _size(text: str) -> int:
    from adcalc.transform.budget import parse_size

    try:
        return parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def build_parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="adcalc",
        description="A derivative calculator built on automatic differentiation: values, gradients, "
                    "Jacobian products and Jacobians of formulas and small programs, in forward or "
                    "reverse mode, with the Wengert-list trace that shows how.",
        epilog="examples:\n  " + "\n  ".join(EXAMPLES["grad"][:2] + EXAMPLES["grad"][3:] + EXAMPLES["jacobian"][:1]
                                               + EXAMPLES["ir"][:1])
               + "\n  adcalc            (the interactive calculator)"
               + "\n\nSOURCE is an expression, a program file (.ad), or - for standard input.\nInputs may be "
               "arrays: --at x=[1,2,3],A=[[1,2],[3,4]] (see README: Arrays).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"adcalc {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.add_parser("repl", help="the interactive calculator (also: adcalc with no arguments)",
                   description="The interactive calculator.  With standard input not a terminal, it reads "
                               "plain lines, prints results, and exits 1 if any line failed.",
                   epilog="examples:\n  adcalc\n  adcalc repl < session.txt",
                   formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print the result as JSON (see README for the shapes)")
    common.add_argument("--strict", action="store_true", help="treat nan/inf results as errors")
    common.add_argument("--max-steps", type=_positive_int, metavar="N",
                        help="stop after N executed steps (default 10,000,000)")
    common.add_argument("--max-depth", type=_positive_int, metavar="N",
                        help="limit nested function calls to N (default 1,000)")
    common.add_argument("--max-memory", type=_size, metavar="SIZE",
                        help="the memory budget for arrays and the tape, e.g. 8G or 512M (default 2G)")
    common.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")

    for name in ("eval", "grad", "jvp", "vjp", "jacobian", "hessian", "hvp", "deriv", "check", "run", "ir"):
        p = sub.add_parser(name, help=HELP[name], description=HELP[name] + ".",
                           parents=[] if name == "ir" else [common],
                           epilog="examples:\n  " + "\n  ".join(EXAMPLES[name]),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        if name == "run":
            p.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="program files, or directories of *.ad")
            p.add_argument("--at", action="append", metavar="NAME=VALUE,...", default=[],
                           help="evaluate every file at this point instead of its # @at points")
            p.add_argument("--mode", choices=["forward", "reverse"], help="differentiation mode")
            p.add_argument("--trace", action="store_true", help="show each run's trace (scalar sources)")

            def seconds(text: str) -> float:
                """--timeout: a positive number of seconds (at most a million)."""
                try:
                    value = float(text)
                except ValueError:
                    raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
                if not 0 < value <= 1e6:
                    raise argparse.ArgumentTypeError("must be a number of seconds above 0 (at most 1000000)")
                return value

            p.add_argument("--timeout", type=seconds, default=60.0, metavar="SECONDS",
                           help="stop a file that runs longer than this; the others go on (default 60)")
            p.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                           help="run N files at a time, in worker processes (default 1: one by one, in this process)")
            continue
        p.add_argument("source", metavar="SOURCE", help="an expression, a .ad program file, or - for stdin")
        if name == "ir":
            p.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
            continue
        p.add_argument("--at", action="append", metavar="NAME=VALUE,...", default=[],
                       help="the point: every input of SOURCE, in the order the results should use")
        if name in ("grad", "jacobian"):
            p.add_argument("--mode", choices=["forward", "reverse"],
                           help="differentiation mode" + (" (default: reverse)" if name == "grad" else
                                                          " (default: the one needing fewer sweeps)"))
        if name in ("jvp", "hvp"):
            p.add_argument("--dir", required=True, metavar="NAME=VALUE,...", help="the direction v (every input)")
        if name == "deriv":
            which = p.add_mutually_exclusive_group()
            which.add_argument("--wrt", metavar="NAME", help="differentiate along this input")
            which.add_argument("--dir", metavar="NAME=VALUE,...", help="differentiate along this direction")
            p.add_argument("--order", type=_positive_int, required=True, metavar="K",
                           help="the highest derivative (1 to 100)")
        if name == "vjp":
            p.add_argument("--cot", required=True, metavar="W1,W2,...", help="the cotangent w (one per output)")
        if name in ("grad", "jvp", "vjp", "deriv"):
            p.add_argument("--trace", action="store_true", help="show the Wengert list with tangents/adjoints"
                           if name != "deriv" else "show every node's Taylor coefficients")
    return top


def _point(at: list[str]) -> dict[str, float]:
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
    return {"strict": args.strict, "max_steps": args.max_steps, "max_depth": args.max_depth,
            "max_memory": args.max_memory}


def _run_batch(args: argparse.Namespace) -> int:
    """``adcalc run``: the outcomes of every target in input order, as a table (at the end) or JSON
    Lines (as they finish), whatever ``--jobs``.  On SIGINT/SIGTERM what finished is still
    reported, and the status is 128 + the signal number."""
    from contextlib import closing

    from adcalc.ops import batch, batchpool

    at = _point(args.at) if args.at else None
    options = batch.Options(args.mode, at, args.trace, limits_of(args), args.timeout)
    targets = batch.find_targets(args.paths)
    finished = batchpool.Finished(len(targets))
    if args.json:
        from adcalc.present.jsonout import dumps, outcome_json
        from adcalc.present.streams import ascii_only

        def emit(outcomes: list[batch.Outcome]) -> None:
            for o in outcomes:
                sys.stdout.write(dumps(outcome_json(o), ascii_only=ascii_only(sys.stdout)) + "\n")
            sys.stdout.flush()
    else:
        from adcalc.present import batchview, console
    interrupted = None
    try:
        with batchpool.interrupts_raised(), closing(batchpool.run_all(targets, options, args.jobs)) as results:
            for index, outcomes in results if args.json else batchview.run_with_progress(results, len(targets)):
                finished.add(index, outcomes)
                if args.json:
                    emit(finished.next_in_order())
    except batchpool.Interrupted as e:
        interrupted = e
        sys.stderr.write(f"adcalc: interrupted ({e.name}): {finished.count} of {len(targets)} files finished\n")
    if args.json:
        emit(finished.rest())
    else:
        batchview.render_batch(console.make_console(), finished.outcomes(), args.trace,
                            interrupted=(finished.count, len(targets)) if interrupted else None)
    if interrupted is not None:
        return interrupted.exit_status
    ok = all(o.status in ("pass", "ok") for o in finished.outcomes())
    return EXIT_OK if ok and targets else EXIT_INPUT


def _run(args: argparse.Namespace, state: dict[str, Any]) -> int:
    from adcalc.language.sources import read_source
    from adcalc.ops import derivatives as api

    if args.command == "run":
        return _run_batch(args)
    text, label, _ = read_source(args.source)
    state["source"], state["label"] = text, label
    if args.command == "ir":
        from adcalc.language.ir import format_program
        from adcalc.rules.arrays import describe

        program = api.load(text).program
        sys.stdout.write(format_program(program, describe) + "\n")
        return EXIT_OK
    point = _point(args.at)
    limits = limits_of(args)
    direction = None
    if args.command == "eval":
        result: api.Result = api.evaluate(text, point, **limits)
    elif args.command == "grad":
        result = api.grad(text, point, mode=args.mode or "reverse", trace=args.trace, **limits)
    elif args.command == "jvp":
        from adcalc.language.bindings import parse_bindings

        direction = parse_bindings(args.dir, "--dir")
        result = api.jvp(text, point, direction, trace=args.trace, **limits)
    elif args.command == "vjp":
        from adcalc.language.bindings import parse_numbers

        result = api.vjp(text, point, parse_numbers(args.cot, "--cot"), trace=args.trace, **limits)
    elif args.command == "jacobian":
        result = api.jacobian(text, point, mode=args.mode, **limits)
    elif args.command in ("hessian", "hvp", "deriv"):
        from adcalc.language.bindings import parse_bindings
        from adcalc.ops import higher

        if args.command == "hessian":
            result = higher.hessian(text, point, **limits)
        elif args.command == "hvp":
            direction = parse_bindings(args.dir, "--dir")
            result = higher.hvp(text, point, direction, **limits)
        else:
            direction = parse_bindings(args.dir, "--dir") if args.dir else None
            result = higher.deriv(text, point, wrt=args.wrt, direction=direction, order=args.order,
                                  trace=args.trace, **limits)
    else:
        from adcalc.ops.checks import check

        result = check(text, point, **limits)
    code = EXIT_INPUT if getattr(result, "ok", True) is False else EXIT_OK
    if args.json:
        from adcalc.present.jsonout import result_json

        _write_json(result_json(args.command, result))
        return code
    from adcalc.present import console, messages, render

    out = console.make_console()
    render.render_result(out, result, point)
    if result.warnings:
        messages.render_warnings(console.make_console(stderr=True), result.warnings, text, label)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    from adcalc.present.streams import EXIT_BROKEN_PIPE, prepare, quiet_broken_pipe

    prepare()
    args = None
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as done:  # --help, --version, or a usage error (already printed): its status
            return done.code if isinstance(done.code, int) else (0 if done.code is None else EXIT_USAGE)
        if not args.command or args.command == "repl":
            from adcalc.front.repl import main as repl_main

            return repl_main()
        return _main(args)
    except KeyboardInterrupt:
        from adcalc.front.fast.quickcli import interrupted

        return interrupted()
    except BrokenPipeError:
        quiet_broken_pipe()
        return EXIT_BROKEN_PIPE
    except Exception:
        if args is not None and getattr(args, "debug", False):
            raise
        return _internal_error()


def _internal_error() -> int:
    sys.stderr.write("adcalc: internal error — please report it, with the command that caused it "
                     "(run again with --debug to see the traceback)\n")
    return EXIT_INTERNAL


def _main(args: argparse.Namespace) -> int:
    """Run one command; every error a user can cause becomes its message and exit status."""
    state: dict[str, Any] = {"source": None, "label": None}
    want_json = getattr(args, "json", False)
    try:
        return _run(args, state)
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
