"""The one registry of commands: every command of ``adcalc`` and of the REPL, defined once.

Contract:
- ``REGISTRY`` holds one ``Command`` record per command, in the order ``adcalc --help`` lists
  them: its name, one-line summary, options (``Option``: the command-line spelling and argparse
  settings, and the REPL clause or session setting that supplies the same value), command-line
  examples, how the REPL's ``:help`` shows it, and its runner.
- A runner does the command's work by calling the ops layer and nothing else: given a ``Call``
  (the source text or a ``Loaded``, the point, direction, cotangent, wrt, order, mode, trace and
  the limits) it returns the operation's result (``shows="result"``: shown by
  ``adcalc.present.render`` and ``adcalc.present.jsonout``, found by the result's class) or a
  text (``shows="text"``: printed as it is).  A command that drives its own output (``run``, the
  batch; ``repl``) has ``shows="itself"``: its runner takes the parsed command line and returns
  the exit status (such a command is the command line's only: the REPL offers commands that
  give a result or a text).
- ``Registry`` refuses a record the front ends could not offer (a name twice, an unknown option
  kind, a clause of a kind the REPL cannot read, a REPL command that shows itself).
- ``adcalc.front.cli`` builds argparse from the registry and runs a command through its runner;
  the REPL parses its clauses into the same ``Call`` and runs the same runner; the REPL's
  keywords, completion and highlighting and both help texts read the registry.  Adding a
  command is one ``Command`` here (plus, for a new result class, its view and JSON shape).

Option kinds (how each front end turns the option's text into a value): ``source`` and
``paths`` (positionals), ``point`` (NAME=VALUE for every input: ``--at`` / ``at``), ``bindings``
(NAME=VALUE pairs: a direction), ``numbers`` (a list of numbers), ``name`` (an input's name),
``count`` (a whole number), ``number`` (one number, by its argparse type), ``choice`` (one of its
choices), ``flag`` (on or off), ``cli`` (used by the command line itself, never passed to a runner)
and ``range`` (NAME=LO:HI, ``adcalc.front.cmd_plot.parse_range``; in the REPL it follows the target).
The record types (``Option``, ``Command``, ``Call``, ``Registry``) are ``adcalc.front.commandtypes``.
"""

from __future__ import annotations

import sys
from typing import Any

from adcalc.front.commandtypes import (  # noqa: F401 - the registry's types, imported from here by the front ends
    CLAUSE_KINDS,
    KINDS,
    SHOWS,
    Call,
    Command,
    Option,
    Registry,
    ReplHelp,
)
from adcalc.front.optiontypes import positive_int, positive_number, seconds, size

# ---- option values on the command line: adcalc.front.optiontypes -------------------------------------

# ---- the options -----------------------------------------------------------------------------------

COMMON = (
    Option("--json", "cli", {"action": "store_true", "help": "print the result as JSON (see README for the shapes)"}),
    Option("--strict", "cli", {"action": "store_true", "help": "treat nan/inf results as errors"}),
    Option("--max-steps", "cli", {"type": positive_int, "metavar": "N",
                                  "help": "stop after N executed steps (default 10,000,000)"}),
    Option("--max-depth", "cli", {"type": positive_int, "metavar": "N",
                                  "help": "limit nested function calls to N (default 1,000)"}),
    Option("--max-memory", "cli", {"type": size, "metavar": "SIZE",
                                   "help": "the memory budget for arrays and the tape, e.g. 8G or 512M (default 2G)"}),
    Option("--debug", "cli", {"action": "store_true", "help": "show Python tracebacks of internal errors"}),
)
LIMITS = ("strict", "max_steps", "max_depth", "max_memory")  # the common options that are run limits

SOURCE = Option("source", "source", {
    "metavar": "SOURCE",
    "help": "an expression (it may start with '-', anywhere among the options: \"-x^2\"; "
            "-- before it also works), a .ad program file, or - for stdin"}, field="source")
AT = Option("--at", "point", {"action": "append", "metavar": "NAME=VALUE,...", "default": [],
                              "help": "the point: every input of SOURCE, in the order the results should use"},
            field="point", clause="at")
DIR = Option("--dir", "bindings", {"required": True, "metavar": "NAME=VALUE,...",
                                   "help": "the direction v (every input)"},
             field="direction", clause="dir", example="dir x=1, y=0")
COT = Option("--cot", "numbers", {"required": True, "metavar": "W1,W2,...",
                                  "help": "the cotangent w (one per output)"},
             field="cotangent", clause="cot", example="cot 1, 0")
WRT = Option("--wrt", "name", {"metavar": "NAME,...", "help": "differentiate only these inputs, in this order (the "
                               "other --at inputs are constants; default: every input)"}, field="wrt", clause="wrt",
             example="wrt x, y")
TRACE = Option("--trace", "flag", {"action": "store_true", "help": "show the Wengert list with tangents/adjoints"},
               field="trace", setting="trace")

SPARSE = (Option("--sparse", "flag", {"action": "store_true", "help": "find the sparsity pattern, colour it and "
                                      "compute the nonzeros in one sweep per colour"}, field="sparse",
                 setting="sparse"),  # the REPL's :sparse on|off
          Option("--dense", "flag", {"action": "store_true", "help": "with --sparse: the full matrix too"},
                 field="dense"))


def _mode(help: str, setting: str | None) -> Option:
    return Option("--mode", "choice", {"choices": ["forward", "reverse"], "help": help}, field="mode", setting=setting)


# ---- the runners -------------------------------------------------------------------------------------

def _evaluate(c: Call) -> object:
    from adcalc.ops import derivatives

    return derivatives.evaluate(c.source, c.point, **c.limits)  # type: ignore[arg-type]


def _grad(c: Call) -> object:
    from adcalc.ops import derivatives

    return derivatives.grad(c.source, c.point, mode=c.mode or "reverse", trace=c.trace, wrt=c.wrt,
                           **c.limits)  # type: ignore[arg-type]


def _jvp(c: Call) -> object:
    from adcalc.ops import derivatives

    return derivatives.jvp(c.source, c.point, c.direction, trace=c.trace, wrt=c.wrt, **c.limits)  # type: ignore[arg-type]


def _vjp(c: Call) -> object:
    from adcalc.ops import derivatives

    return derivatives.vjp(c.source, c.point, c.cotangent, trace=c.trace, wrt=c.wrt, **c.limits)  # type: ignore[arg-type]


def _jacobian(c: Call) -> object:
    from adcalc.ops import derivatives

    if c.sparse or c.dense:
        from adcalc.front.cmd_sparse import run_sparse

        return run_sparse("jacobian", c)

    return derivatives.jacobian(c.source, c.point, mode=c.mode, wrt=c.wrt, **c.limits)  # type: ignore[arg-type]


def _hessian(c: Call) -> object:
    from adcalc.ops import higher

    if c.sparse or c.dense:
        from adcalc.front.cmd_sparse import run_sparse

        return run_sparse("hessian", c)

    return higher.hessian(c.source, c.point, wrt=c.wrt, **c.limits)  # type: ignore[arg-type]


def _hvp(c: Call) -> object:
    from adcalc.ops import higher

    return higher.hvp(c.source, c.point, c.direction, wrt=c.wrt, **c.limits)  # type: ignore[arg-type]


def _deriv(c: Call) -> object:
    from adcalc.ops import higher

    return higher.deriv(c.source, c.point, wrt=c.wrt, direction=c.direction, order=c.order,  # type: ignore[arg-type]
                        trace=c.trace, **c.limits)


def _check(c: Call) -> object:
    from adcalc.ops.checks import check

    return check(c.source, c.point, delta=c.delta, wrt=c.wrt, **c.limits)  # type: ignore[arg-type]


def _ir(c: Call) -> str:
    """The lowered program (the Wengert list) as text."""
    from adcalc.language.ir import format_program
    from adcalc.ops import derivatives
    from adcalc.rules.registry import describe

    loaded = derivatives.load(c.source) if isinstance(c.source, str) else c.source
    return format_program(loaded.program, describe)  # type: ignore[attr-defined]


def _codegen(c: Call) -> str:
    """The derivative code as a Python module: printed, or written to ``-o FILE``."""
    from adcalc.ops.codegen.run import codegen

    return codegen(c.source, c.mode or "both", c.inputs, c.output, c.check, c.point, c.path)


def _repl(args: object) -> int:
    from adcalc.front.repl import main

    return main()


def _run_batch(args: Any) -> int:
    """``adcalc run``: the outcomes of every target in input order, as a table (at the end) or JSON
    Lines (as they finish), whatever ``--jobs``.  On SIGINT/SIGTERM what finished is still
    reported, and the status is 128 + the signal number."""
    from contextlib import closing

    from adcalc.front.cli import EXIT_INPUT, EXIT_OK, limits_of, point_of
    from adcalc.ops import batch, batchpool

    at = point_of(args.at) if args.at else None
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


# ---- the registry ---------------------------------------------------------------------------------------

from adcalc.front.cmd_explain import EXPLAIN  # noqa: E402 - its record is built from the options above
from adcalc.front.cmd_graph import GRAPH  # noqa: E402 - the same
from adcalc.front.cmd_plot import PLOT  # noqa: E402 - it builds its record from the options above

_QUICK = 'adcalc grad "exp(2*x1) + x1*x2^2 + cos(x2)" --at x1=1,x2=2'

REGISTRY = Registry((
    Command("repl", "the interactive calculator (also: adcalc with no arguments)", (),
            ("adcalc", "adcalc repl < session.txt"), _repl, shows="itself", common=False,
            description="The interactive calculator.  With standard input not a terminal, it reads plain lines, "
                        "prints results, and exits 1 if any line failed."),
    Command("eval", "the value of SOURCE at a point", (SOURCE, AT),
            ('adcalc eval "sin(x^2 + 1)" --at x=1.5', "adcalc eval samples/newton_sqrt.ad --at a=2 --json",
             'adcalc eval "-x^2" --at x=3', 'adcalc eval --at x=3 -- "-x^2"'),
            _evaluate, repl=ReplHelp("eval f at x=3", "value", 8)),
    Command("grad", "the gradient of a scalar SOURCE (reverse mode by default)",
            (SOURCE, AT, WRT, _mode("differentiation mode (default: reverse)", "mode"), TRACE),
            (_QUICK, _QUICK + " --mode forward --trace", 'adcalc grad "sin(x^2+1)" --at x=1.5 --trace --json',
             'adcalc grad "sum(W * (A + b))" --at "A=[[1,2],[3,4]],b=[10,20],W=[[1,-2],[3,1]]"',
             'adcalc grad "-2*x" --at x=3'),
            _grad, featured=(0, 1, 3), repl=ReplHelp("grad f at x=1, y=2", "gradient", 0)),
    Command("jvp", "the Jacobian-vector product J·v (one forward sweep)", (SOURCE, AT, WRT, DIR, TRACE),
            ('adcalc jvp "[x*y, sin(x)]" --at x=1,y=2 --dir x=1,y=0',
             'adcalc jvp "A @ x" --at "A=[[1,2],[3,4]],x=[1,1]" --wrt x --dir "x=[1,0]"'),
            _jvp, repl=ReplHelp("jvp f at x=1, y=2 dir x=1, y=0", "J·v", 2)),
    Command("vjp", "the vector-Jacobian product wᵀJ (one reverse sweep)", (SOURCE, AT, WRT, COT, TRACE),
            ('adcalc vjp "[x*y, sin(x)]" --at x=1,y=2 --cot 1,0.5 --trace',),
            _vjp, repl=ReplHelp("vjp h cot 1, 0.5", "wᵀJ", 3)),
    Command("jacobian", "the full Jacobian (the mode needing fewer sweeps by default)",
            (SOURCE, AT, WRT, _mode("differentiation mode (default: the one needing fewer sweeps)", None),
             *SPARSE),
            ('adcalc jacobian "[r*cos(t), r*sin(t)]" --at r=2,t=0.5',
             'adcalc jacobian "A @ v" --at "A=[[1,2],[3,4]],v=[1,-1]"',
             'adcalc jacobian "[x+y+z, x*y*z]" --at x=1,y=2,z=3 --mode forward'),
            _jacobian, featured=(0,), repl=ReplHelp("jacobian h at x=1", "Jacobian", 1)),
    Command("hessian", "the Hessian of SOURCE (forward-over-reverse; one per output of a vector SOURCE)",
            (SOURCE, AT, WRT, *SPARSE), ('adcalc hessian "exp(2*x1) + x1*x2^2 + cos(x2)" --at x1=1,x2=2',
                                'adcalc hessian "sum((A @ x - b)^2)" --at "A=[[1,2],[3,4]],x=[1,1],b=[1,2]" --wrt x'),
            _hessian, repl=ReplHelp("hessian f", "Hessian", 4)),
    Command("hvp", "the Hessian-vector product H·v, without forming H", (SOURCE, AT, WRT, DIR),
            ('adcalc hvp "100*(y - x^2)^2 + (1 - x)^2" --at x=-1.2,y=1 --dir x=1,y=0',),
            _hvp, repl=ReplHelp("hvp f dir x=1, y=0", "H·v", 5)),
    Command("deriv", "1st…K-th derivatives along an input or a direction (one Taylor-mode sweep)",
            (SOURCE, AT,
             WRT._replace(argparse={"metavar": "NAME[,...]", "help": "along this input (one name); with --dir, the "
                                    "inputs the direction covers (the others are constants)"}, example="wrt x"),
             DIR._replace(argparse={"metavar": "NAME=VALUE,...", "help": "differentiate along this direction"}),
             Option("--order", "count", {"type": positive_int, "required": True, "metavar": "K",
                                         "help": "the highest derivative (1 to 100)"},
                    field="order", clause="order", repl_default=1, example="order 3"),
             TRACE._replace(argparse={"action": "store_true", "help": "show every node's Taylor coefficients"})),
            ('adcalc deriv "exp(2*x)" --at x=0 --order 10',
             'adcalc deriv "sin(x*y)" --at x=1,y=2 --wrt y --order 4 --trace',
             'adcalc deriv "x*y^2" --at x=1,y=2 --dir x=1,y=1 --order 3'),
            _deriv, repl=ReplHelp("deriv f wrt x order 5", "Taylor mode", 6)),
    Command("check", "compare forward AD, reverse AD and finite differences (exit 1 if they disagree)",
            (SOURCE, AT, WRT, Option("--delta", "number", {
                "type": positive_number, "metavar": "D",
                "help": "the step of each entry's central and one-sided differences (default: ε^(1/3) and ε^(1/2) "
                        "times max(1, |x|)); the step sweep is the same either way"}, field="delta")),
            ('adcalc check "x^2 + 3*x + 1" --at x=2', 'adcalc check "x^2 + 3*x + 1" --at x=2 --delta 0.01',
             'adcalc check "[r*cos(t), r*sin(t)]" --at r=2,t=0.5 --json'),
            _check, repl=ReplHelp("check f", "AD vs finite differences", 7)),
    Command("run", "evaluate program files at their # @at points and check their # @expect lines",
            (Option("paths", "paths", {"nargs": "+", "metavar": "FILE_OR_DIR",
                                       "help": "program files, or directories of *.ad"}),
             AT._replace(argparse={**AT.argparse,
                                   "help": "evaluate every file at this point instead of its # @at points"}),
             _mode("differentiation mode", None),
             TRACE._replace(argparse={"action": "store_true", "help": "show each run's trace (scalar sources)"}),
             Option("--timeout", "cli", {
                 "type": seconds, "default": 60.0, "metavar": "SECONDS",
                 "help": "stop a file that runs longer than this; the others go on (default 60)"}),
             Option("--jobs", "cli", {
                 "type": positive_int, "default": 1, "metavar": "N",
                 "help": "run N files at a time, in worker processes (default 1: one by one, in this process)"})),
            ("adcalc run samples/", "adcalc run samples/newton_sqrt.ad --at a=9 --trace",
             "adcalc run samples/ --json > results.jsonl"),
            _run_batch, shows="itself"),
    Command("codegen", "the derivative code of SOURCE as a Python module (forward and adjoint)",
            (SOURCE,
             Option("--mode", "choice", {"choices": ["forward", "reverse", "both"], "default": "both",
                                         "help": "which derivative code to write (default both)"}, field="mode",
                    setting="mode"),
             Option("--inputs", "name", {"metavar": "NAME,...",
                                         "help": "the order of the inputs as positional parameters"}, field="inputs"),
             Option("-o", "name", {"metavar": "FILE", "dest": "output",
                                   "help": "write the module to FILE instead of printing it"}, field="output"),
             Option("--check", "flag", {"action": "store_true",
                                        "help": "run the generated code at --at and compare it with the interpreter "
                                                "(exit 1 if they differ)"}, field="check"),
             AT._replace(argparse={**AT.argparse, "help": "the point --check runs at"}, clause=None)),
            ('adcalc codegen "exp(2*x1) + x1*x2^2 + cos(x2)"',
             "adcalc codegen samples/rosenbrock.ad --mode reverse -o rosen_ad.py",
             'adcalc codegen "x*sin(y)" --check --at x=1,y=2'),
            _codegen, shows="text", common=False, repl=ReplHelp("code f", "derivative code", 10),
            repl_name="code", highlight="python"),
    Command("ir", "print the lowered IR (the Wengert list)",
            (SOURCE, Option("--debug", "cli", {"action": "store_true"}, hidden=True)),
            ('adcalc ir "exp(2*x1) + x1*x2^2 + cos(x2)"', "echo 'x^2 + 1' | adcalc ir -"),
            _ir, shows="text", common=False, featured=(0,), repl=ReplHelp("ir f", "the Wengert list", 9)),
    EXPLAIN,
    GRAPH,
    PLOT,
))
