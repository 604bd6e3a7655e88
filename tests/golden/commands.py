"""The golden corpus: every command whose exact output ``outputs*.json`` records.

``commands()`` returns the list, always the same (a fixed ``random.Random(SEED)``; nothing here
reads the clock, the machine or the package).  Each command is a dict: ``id`` (its index),
``group`` (where it comes from), ``argv`` (the arguments after ``adcalc``) and, when it reads
standard input, ``stdin`` (text) or ``stdin_b64`` (bytes that are not UTF-8).

Groups:
  readme     every command shown in README.md (copied by hand) and its REPL session
  examples   every example of ``adcalc --help`` / ``adcalc CMD --help`` (the registry's examples in
             ``adcalc.front.commands``, copied by hand so that this file never imports the package),
             and the help texts
  samples    every ``samples/*.ad`` at its own ``# @at`` point(s): eval, grad (both modes),
             jacobian (vector outputs and array inputs), ir; tables, --json, --trace
  run        ``adcalc run`` over samples/ and over the corpus's own programs (tests/golden/programs)
  policy     README's numeric policy, kinks, non-finite values, --strict, files and streams
  scalar     generated formulas over every function of the language, across every command
  program    generated programs: def, if/elif/else, while, for/range, calls, recursion
  array      generated array expressions (exact arithmetic only: see ARRAY DATA below)
  errors     user errors: syntax, names, arity, types, bad --at/--dir/--cot, usage, limits
  python     Python's constructs (issue #14): conditional expressions, comparisons as values,
             where, % and //, int, round, True/False, keywords, shadowing, module constants,
             docstrings, for over lists and arrays — README's language section among them
  plot       ``adcalc plot`` (issue #18): terminal charts, heat maps, --json, errors, a REPL session —
             exact arithmetic only (+ - * / abs sqrt), as in the array group, since the grid runs on NumPy
  repl       REPL sessions fed on standard input

Left out on purpose:
- three-or-more-argument ``max``/``min`` at a tie (their tie convention is about to change);
  ties in array ``max``/``min`` reductions too.
- numbers computed by NumPy's transcendental kernels (``sin``, ``exp``, ``log``, … of arrays,
  ``pow`` with a non-integer exponent on arrays): they may differ by an ulp between CPUs, which
  can change a printed digit.  Array commands use only + - * /, ^2, sqrt, abs, max, min, sum,
  @, indexing, transpose and norm of small integer (or halves) data.  So
  samples/softmax_cross_entropy.ad (exp/log of a vector) is recorded with ``ir`` and in the
  ``adcalc run samples/`` table (8 and 6 significant digits), not with its full-precision JSON:
  ``adcalc run --json`` is recorded over every other sample file.
- anything timed (``run``'s timings are masked: see record.mask), ``--timeout``, ``--jobs``
  (worker processes), terminals, Ctrl-C, the interactive prompt_toolkit REPL.
"""

from __future__ import annotations

import base64
import random
import re
from pathlib import Path
from typing import Any

SEED = 20260501
REPO = Path(__file__).resolve().parent.parent.parent
SAMPLES = REPO / "samples"
PROGRAMS = "tests/golden/programs"  # the corpus's own program files (relative to the repository)

# Samples whose digits would come from NumPy's transcendental kernels (see the docstring).
NUMPY_TRANSCENDENTAL_SAMPLES = {"softmax_cross_entropy.ad"}

_out: list[dict[str, Any]] = []


def add(group: str, *argv: str, stdin: str | bytes | None = None) -> None:
    c: dict[str, Any] = {"group": group, "argv": list(argv)}
    _out.append(c)
    if isinstance(stdin, bytes):
        try:
            c["stdin"] = stdin.decode("utf-8")
        except UnicodeDecodeError:
            c["stdin_b64"] = base64.b64encode(stdin).decode("ascii")
    elif stdin is not None:
        c["stdin"] = stdin


def gen_add(group: str, command: str, source: str, *options: str, stdin: str | None = None) -> None:
    """A generated command: ``adcalc COMMAND SOURCE OPTIONS…``, except that a source starting
    with ``-`` (an expression such as ``-x``) follows its options and ``--`` (argparse would
    read it as an option), and a negative first ``--cot`` weight is written ``--cot=-1,…``."""
    opts = list(options)
    if "--cot" in opts:
        k = opts.index("--cot")
        if opts[k + 1].startswith("-"):
            opts[k:k + 2] = [f"--cot={opts[k + 1]}"]
    if source.startswith("-") and source != "-":
        add(group, command, *opts, "--", source, stdin=stdin)
    else:
        add(group, command, source, *opts, stdin=stdin)


def shell(group: str, line: str, stdin: str | None = None) -> None:
    """A command written as in the documents: ``adcalc grad "..." --at ...``."""
    import shlex

    words = shlex.split(line)
    assert words[0] == "adcalc", line
    add(group, *words[1:], stdin=stdin)


# =============================================================================================
# README.md, by hand
# =============================================================================================

README_REPL = """\
x = 2
f(x, y) = exp(2*x) + x*y^2 + cos(y)
grad f at x=1, y=2
def g(t):
    if t > 0:
        return t * t
    return -t

deriv g wrt t order 3 at t=x
"""

README_NEWTON = """\
# Newton's iteration for the square root; d√a/da = 1/(2√a).
# @at a=2
# @expect value = sqrt(a)
# @expect d/da = 1/(2*sqrt(a))
def newton_sqrt(a):
    y = a
    while abs(y * y - a) > 1e-12 * a:
        y = (y + a / y) / 2
    return y
"""

README_PIECEWISE = """\
def f(x):
    if x > 0:
        return x * x
    else:
        return -x
"""


def readme() -> None:
    g = "readme"
    # Quickstart
    shell(g, 'adcalc grad "exp(2*x1)+x1*x2^2+cos(x2)" --at x1=1,x2=2')
    shell(g, "adcalc run samples/")
    # Commands
    shell(g, 'adcalc eval "sin(x^2 + 1)" --at x=1.5')
    shell(g, 'adcalc grad "sin(x^2+1)" --at x=1.5 --mode forward --trace')
    shell(g, 'adcalc grad "sin(x^2+1)" --at x=1.5 --trace')
    shell(g, 'adcalc jvp "[x*y, sin(x)]" --at x=1,y=2 --dir x=1,y=0')
    shell(g, 'adcalc vjp "[x*y, sin(x)]" --at x=1,y=2 --cot 1,0.5')
    shell(g, 'adcalc jacobian "[r*cos(t), r*sin(t)]" --at r=2,t=0.5')
    shell(g, 'adcalc hessian "exp(2*x1) + x1*x2^2 + cos(x2)" --at x1=1,x2=2')
    # jacobian/hessian --sparse (issue #19): the README example, the JSON shape, and the flag errors
    shell(g, 'adcalc jacobian "u[1:-1] + 0.1*(u[2:] - 2*u[1:-1] + u[:-2])" --at "u=[0,1,4,9,16,25]" --sparse')
    shell(g, 'adcalc hessian "100*(y - x^2)^2 + (1 - x)^2 + z^2" --at x=1,y=2,z=3 --sparse --json')
    shell(g, 'adcalc jacobian "[x*y]" --at x=1,y=2 --dense')
    shell(g, 'adcalc jacobian "[x*y]" --at x=1,y=2 --sparse --mode reverse')
    shell(g, 'adcalc deriv "exp(2*x)" --at x=0 --order 10 --json')
    shell(g, 'adcalc check "x^2 + 3*x + 1" --at x=2')
    shell(g, 'adcalc ir "exp(2*x1) + x1*x2^2 + cos(x2)"')
    # "a space after a comma is fine"
    shell(g, 'adcalc grad "exp(2*x1)+x1*x2^2+cos(x2)" --at "x1=1, x2=2"')
    # run: the documented program (Newton) from standard input is not a file: eval/grad it
    add(g, "grad", "-", "--at", "a=2", stdin=README_NEWTON)
    # the REPL
    add(g, "repl", stdin=README_REPL)
    add(g, stdin=README_REPL)  # `adcalc` with no arguments
    # JSON
    shell(g, 'adcalc grad "sin(x^2+1)" --at x=1.5 --json')
    # errors
    shell(g, 'adcalc eval "1 + sine(x)" --at x=1')
    # the language: the piecewise program
    for x in ("2", "-3", "0"):
        add(g, "grad", "-", "--at", f"x={x}", stdin=README_PIECEWISE)
    shell(g, 'adcalc eval "2^3^2" --at x=1')
    gen_add(g, "eval", "-x^2", "--at", "x=3")
    shell(g, 'adcalc eval "2^-x" --at x=1')
    shell(g, 'adcalc eval "x**2" --at x=3')
    # Arrays
    shell(g, 'adcalc grad "sum(W * (A + b))" --at "A=[[1,2,3],[4,5,6]],b=[10,20,30],W=[[1,-2,0.5],[3,1,-1]]"')
    add(g, "grad", "s = A @ x\nreturn s[1]", "--at", "A=[[1,2],[3,4]],x=[1,2]", "--trace")
    shell(g, 'adcalc eval "x[1] + A[1, 0]" --at "x=[1,2,3],A=[[1,2],[3,4]]"')
    for expr in ("A[1]", "A[:, 0]", "x[1:]", "x[:-1]", "x[::2]", "mean(A, axis=0)", "prod(x)", "max(x)",
                 "min(A, axis=1)", "sum(A, 0)", "dot(x, x)", "transpose(A)", "norm(x)", "len(x)", "zeros(3)",
                 "ones(2, 3)", "x + 1", "A * x[:2]", "max(x, 2)"):
        shell(g, f'adcalc eval "{expr}" --at "x=[1,2,3],A=[[1,2],[3,4]]"')
    shell(g, 'adcalc ir "sin(A) + 1"')
    shell(g, 'adcalc grad "if x > 0:\n    return 1\nreturn 2" --at "x=[1,2]"')
    # check on the polynomial sample, as its comment says
    shell(g, "adcalc check samples/polynomial.ad --at x=2")
    # non-differentiable points
    shell(g, 'adcalc grad "abs(x)" --at x=0')
    # graph: the tutorial's text drawing
    shell(g, 'adcalc graph "sin(x^2 + 1)" --at x=1.5 --mode forward')


# =============================================================================================
# adcalc --help and the registry's examples (copied by hand)
# =============================================================================================

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
    # graph's third example writes piecewise.svg (-o): not recorded; svg's layout depends on Graphviz being installed
    "graph": ['adcalc graph "exp(2*x1) + x1*x2^2 + cos(x2)" --at x1=1,x2=2',
              'adcalc graph "sin(x^2 + 1)" --at x=1.5 --mode forward',
              'adcalc graph "x*y + sin(x)" --at x=1,y=2 --format json'],
}


def examples() -> None:
    g = "examples"
    for lines in EXAMPLES.values():
        for line in lines:
            if line.startswith("echo "):  # echo 'x^2 + 1' | adcalc ir -
                text, _, cmd = line.partition(" | ")
                shell(g, cmd, stdin=text[len("echo '"):-1] + "\n")
            elif " > " in line:
                # "adcalc run samples/ --json > results.jsonl": the JSON of samples/ has the full-precision
                # numbers of softmax_cross_entropy.ad (NumPy's exp/log of a vector; see the module docstring),
                # so the run group records `run --json` over every other sample instead.
                assert line == "adcalc run samples/ --json > results.jsonl", line
            else:
                shell(g, line)
    add(g, "--help")
    add(g, "-h")
    add(g, "--version")
    for name in ("repl", "eval", "grad", "jvp", "vjp", "jacobian", "hessian", "hvp", "deriv", "check", "run", "ir",
                 "graph"):
        add(g, name, "--help")


# =============================================================================================
# samples/*.ad at their own # @at points
# =============================================================================================

_AT = re.compile(r"^\s*#\s*@at\b(.*)$")


def sample_points(path: Path) -> list[str]:
    """The text of every ``# @at`` directive of a program file, in order."""
    return [m.group(1).strip() for line in path.read_text(encoding="utf-8").splitlines() if (m := _AT.match(line))]


def _vector_valued(text: str) -> bool:
    """A sample whose output is a vector: its value expectation is a list."""
    return bool(re.search(r"^\s*#\s*@expect\s+value\s*=\s*\[", text, re.M))


def _array_inputs(point: str) -> bool:
    return "[" in point


def samples() -> None:
    g = "samples"
    for path in sorted(SAMPLES.glob("*.ad")):
        rel = f"samples/{path.name}"
        points = sample_points(path)
        text = path.read_text(encoding="utf-8")
        add(g, "ir", rel)
        if path.name in NUMPY_TRANSCENDENTAL_SAMPLES:
            continue
        vector = _vector_valued(text)
        for k, at in enumerate(points):
            first = k == 0
            for j in ((), ("--json",)):
                add(g, "eval", rel, "--at", at, *j)
                if vector:
                    add(g, "jacobian", rel, "--at", at, *j)
                    add(g, "jacobian", rel, "--at", at, "--mode", "reverse", *j)
                    if first:
                        add(g, "jvp", rel, "--at", at, "--dir", ",".join(f"{n.split('=')[0].strip()}=1"
                                                                         for n in at.split(",")), *j)
                        add(g, "vjp", rel, "--at", at, "--cot", "1,-1", "--trace", *j)
                        add(g, "jvp", rel, "--at", at, "--dir", ",".join(f"{n.split('=')[0].strip()}=1"
                                                                         for n in at.split(",")), "--trace", *j)
                    continue
                for mode in ((), ("--mode", "forward")):
                    add(g, "grad", rel, "--at", at, *mode, *j)
                    if first:
                        add(g, "grad", rel, "--at", at, *mode, "--trace", *j)
                if first and _array_inputs(at):
                    add(g, "jacobian", rel, "--at", at, *j)
                elif first:  # numbers only: the higher-order commands and the finite-difference check
                    add(g, "hessian", rel, "--at", at, *j)
                    first_input = at.split(",")[0].split("=")[0].strip()
                    add(g, "deriv", rel, "--at", at, "--wrt", first_input, "--order", "3", *j)
                    add(g, "check", rel, "--at", at, *j)
            if vector and first:
                add(g, "grad", rel, "--at", at)  # an error that points to jacobian
        if not points:
            raise AssertionError(f"{rel} has no # @at line")


# =============================================================================================
# adcalc run
# =============================================================================================

# The corpus's own program files (tests/golden/programs/*.ad) for run's other outcomes.
PROGRAM_FILES = {
    "ok_no_expectations.ad": "# @at x=2\n# @at x=-1, y=3\nx^3 - 2*x\n",
    "fails.ad": "# @at x=1\n# @expect value = 3\n# @expect d/dx = 2\nx^2 + 1\n",
    "broken_syntax.ad": "# @at x=1\ndef f(x):\n    return x +* 2\n",
    "unknown_name.ad": "# @at x=1\nsin(x) + q\n",
    "bad_expectation.ad": "# @at x=1\n# @expect d/dz = 1\n# @expect value = nosuch(x)\nx + 1\n",
    "no_point.ad": "x^2\n",
    "tolerance.ad": "# @at x=1.5\n# @tol 1e-3\n# @expect value = 3.376\n# @expect d/dx = 6.75\nx^3\n",
    "vector.ad": "# @at a=1, b=2\n# @expect value = [a + b, a * b]\n# @expect d/da = [1, b]\n"
                 "def f(a, b):\n    return a + b, a * b\n",
    "domain.ad": "# @at x=-1\nlog(x) + 1\n",
    "kink.ad": "# @at x=0, y=0\nabs(x) + max(x, y)\n",
    "deep.ad": "# @at x=1\ndef f(x, n):\n    if n == 0:\n        return x\n    return f(x, n - 1) * 1\n\n"
               "def g(x):\n    return f(x, 2000)\n",
}


def run_group() -> None:
    g = "run"
    others = [f"samples/{p.name}" for p in sorted(SAMPLES.glob("*.ad")) if p.name not in NUMPY_TRANSCENDENTAL_SAMPLES]
    add(g, "run", *others, "--json")
    add(g, "run", "samples/", "--mode", "forward")
    add(g, "run", "samples/rosenbrock.ad", "samples/polar.ad", "--json")
    add(g, "run", "samples/newton_sqrt.ad", "--at", "a=9", "--trace")
    add(g, "run", "samples/newton_sqrt.ad", "--at", "a=9", "--trace", "--json")
    add(g, "run", "samples/horner.ad", "--trace", "--mode", "forward")
    add(g, "run", "samples/polar.ad", "samples/piecewise.ad", "--trace")
    add(g, "run", "samples/piecewise.ad", "--at", "x=0")
    add(g, "run", "samples/piecewise.ad", "--at", "x=1", "--at", "x=-1")
    add(g, "run", "samples/rosenbrock.ad", "--at", "x=1,y=q")
    add(g, "run", "samples/rosenbrock.ad", "--strict")
    add(g, "run", "samples/newton_sqrt.ad", "--max-steps", "20")
    add(g, "run", PROGRAMS)
    add(g, "run", PROGRAMS, "--json")
    add(g, "run", PROGRAMS, "--mode", "forward", "--strict")
    for name in sorted(PROGRAM_FILES):
        add(g, "run", f"{PROGRAMS}/{name}")
    add(g, "run", f"{PROGRAMS}/deep.ad", "--max-depth", "100", "--json")
    add(g, "run", "samples/nosuch.ad")
    add(g, "run", "samples/nosuch.ad", "samples/polar.ad", "--json")
    add(g, "run", "README.md")
    add(g, "run", "tests/golden/nosuch_dir/")
    add(g, "run", "samples/polar.ad", "--jobs", "0")
    add(g, "run", "samples/polar.ad", "--timeout", "0")
    add(g, "run")


def write_program_files() -> None:
    """Write tests/golden/programs/ (record.py calls it; the files are committed)."""
    folder = REPO / PROGRAMS
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.ad"):
        if old.name not in PROGRAM_FILES:
            old.unlink()
    for name, text in PROGRAM_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")


# =============================================================================================
# README's numeric policy, kinks, non-finite values, --strict, files and streams
# =============================================================================================

def policy() -> None:
    g = "policy"
    # outside the domain, poles, overflow
    for expr in ("log(-1)", "sqrt(-1)", "asin(2)", "1/0", "log(0)", "exp(1000)", "(-8)^(1/3)", "cbrt(-8)",
                 "9^9^9", "acosh(0.5)", "atanh(1)", "log1p(-1)", "log2(0)", "log10(-x)", "0/0", "x/0 - x/0",
                 "tan(pi/2)", "1e308*10", "-1/0", "sqrt(0)", "0^0", "0^-1", "(-2)^3", "(-2)^0.5", "erf(inf)"):
        for extra in ((), ("--json",)):
            gen_add(g, "eval", expr, "--at", "x=1", *extra)
        gen_add(g, "grad", expr + " + x", "--at", "x=1")
        gen_add(g, "eval", expr, "--at", "x=1", "--strict")
    add(g, "eval", "[x/0, -x/0, 0/x, log(-x)]", "--at", "x=1", "--json")
    add(g, "eval", "[x/0, -x/0, 0/x, log(-x)]", "--at", "x=1")
    add(g, "grad", "sqrt(x)", "--at", "x=0")
    add(g, "grad", "sqrt(x)", "--at", "x=0", "--mode", "forward", "--json")
    add(g, "grad", "sqrt(x) * 0", "--at", "x=0")
    add(g, "grad", "cbrt(x)", "--at", "x=0", "--trace")
    add(g, "grad", "x^0.5", "--at", "x=0")
    add(g, "grad", "x^y", "--at", "x=0,y=0.5", "--json")
    add(g, "grad", "x^y", "--at", "x=0,y=2", "--mode", "forward")
    add(g, "grad", "x^y", "--at", "x=-2,y=3", "--json")
    add(g, "grad", "log(x) * y", "--at", "x=0,y=0", "--trace")
    add(g, "grad", "exp(x)", "--at", "x=1000", "--json")
    add(g, "grad", "exp(x)", "--at", "x=1000", "--strict")
    add(g, "grad", "1/x", "--at", "x=0", "--strict", "--json")
    add(g, "jacobian", "[log(x), 1/y]", "--at", "x=0,y=0", "--json")
    # IEEE inputs
    for at in ("x=nan", "x=inf", "x=-inf", "x=1e308", "x=-0", "x=5e-324"):
        add(g, "eval", "x * 2", "--at", at, "--json")
        add(g, "grad", "x^2 + 1", "--at", at)
    add(g, "grad", "x^2", "--at", "x=nan", "--strict")
    # kinks: one convention in both modes, with one-sided derivatives
    kinks = [("abs(x)", "x=0"), ("abs(x - y)", "x=1,y=1"), ("max(x, y)", "x=1,y=1"), ("min(x, y)", "x=2,y=2"),
             ("max(x, 0)", "x=0"), ("min(x^2, y)", "x=1,y=1"), ("hypot(x, y)", "x=0,y=0"), ("sign(x)", "x=0"),
             ("floor(x)", "x=2"), ("ceil(x)", "x=-1"), ("sqrt(x^2)", "x=0"), ("abs(x) * abs(y)", "x=0,y=0"),
             ("max(x, y) + min(x, y)", "x=3,y=3"), ("max(abs(x), y)", "x=0,y=0"), ("abs(sin(x))", "x=0"),
             ("floor(x) * x", "x=1"), ("pow(x, 0.5)", "x=0")]
    for expr, at in kinks:
        add(g, "grad", expr, "--at", at)
        add(g, "grad", expr, "--at", at, "--mode", "forward", "--json")
        add(g, "grad", expr, "--at", at, "--trace")
    for expr, at in kinks[:6]:
        add(g, "jvp", expr, "--at", at, "--dir", ",".join(f"{v.split('=')[0]}=1" for v in at.split(",")))
        add(g, "hessian", expr, "--at", at)
        add(g, "deriv", expr, "--at", at, "--wrt", "x", "--order", "3")
        add(g, "check", expr, "--at", at)
    tie = "def f(x, y):\n    if x > y:\n        return x * y\n    return x + y\n"
    add(g, "grad", tie, "--at", "x=1,y=1")
    add(g, "grad", tie, "--at", "x=1,y=1", "--json")
    add(g, "grad", tie, "--at", "x=1,y=1", "--mode", "forward", "--trace")
    add(g, "grad", "def f(x):\n    if x >= 0:\n        return x\n    return -x\n", "--at", "x=0")
    add(g, "grad", "def f(x):\n    while x < 1:\n        x = x + 0.5\n    return x * x\n", "--at", "x=0")
    add(g, "grad", "abs(x) + y", "--at", "x=0,y=1,typo=3", "--json")
    add(g, "grad", "abs(x) + y", "--at", "x=0,y=1,typo=3")
    add(g, "grad", "x + y", "--at", "x=1,y=2,z=3,w=4")
    # issue #14: SOURCE starting with '-', check --delta, a kink reported once, parenthesized displays
    add(g, "eval", "-x^2", "--at", "x=3")
    add(g, "grad", "--at", "x=3", "--", "-2*x", "--json")
    add(g, "vjp", "[x*y, -x]", "--at", "x=1,y=2", "--cot", "-1,2", "--trace")
    add(g, "check", "x^2 + 3*x + 1", "--at", "x=2", "--delta", "0.01")
    add(g, "check", "x^2 + 3*x + 1", "--at", "x=2", "--delta", "0.01", "--json")
    newton0 = "def f(a):\n    y = 1\n    for i in range(10):\n        r = y * y - a\n        if abs(r) > 0:\n" \
              "            y = y - r / (2 * y)\n    return y\n"
    add(g, "grad", newton0, "--at", "a=1")
    add(g, "grad", newton0, "--at", "a=1", "--json")
    add(g, "eval", "(-1)^0.5 + x", "--at", "x=1")
    add(g, "ir", "(-1)^x + -2*x - (-x)^2")
    add(g, "jacobian", "x / sum(x)", "--at", "x=[1,2,5]", "--json")  # exact: NumPy's exp differs by CPU
    add(g, "deriv", "sin(x^2+1)", "--at", "x=1.5", "--order", "3", "--trace")
    # files and streams
    add(g, "eval", "-", "--at", "x=2", stdin="x^2 + 1\n")
    add(g, "eval", "-", "--at", "x=2", stdin="\ufeffx^2 + 1\n")  # a BOM is ignored
    add(g, "eval", "-", "--at", "x=2", stdin="y = x^2\r\nreturn y + 1\r\n")  # CR LF
    add(g, "eval", "-", "--at", "x=2", stdin="y = x^2\rreturn y + 1\r")  # CR
    add(g, "eval", "-", "--at", "x=2", stdin="")
    add(g, "eval", "-", "--at", "x=2", stdin="   \n\n")
    add(g, "eval", "-", "--at", "x=2", stdin=b"x\x00 + 1\n")
    add(g, "eval", "-", "--at", "x=2", stdin=b"x + 1\n# caf\xe9\n")
    add(g, "eval", "-", "--at", "x=2", "--json", stdin=b"x + \xff\n")
    add(g, "grad", "-", "--at", "x=2", "--trace", stdin="def f(x):\n    y = x * x\n    return y + x\n")
    add(g, "ir", "-", stdin="def f(x):\n    if x > 0:\n        return x\n    return -x\n")
    add(g, "eval", "samples/nosuch.ad", "--at", "x=1")
    add(g, "eval", "samples/", "--at", "x=1")
    add(g, "eval", "samples", "--at", "x=1")  # no separator: an expression (an unknown name)
    add(g, "eval", "nosuch/path", "--at", "x=1")  # a separator but no such path: an expression
    add(g, "eval", "x/2", "--at", "x=1")  # division, not a path
    add(g, "eval", "README.md", "--at", "x=1")
    add(g, "eval", "/dev/null", "--at", "x=1")  # empty
    add(g, "eval", "/dev/zero", "--at", "x=1")  # endless: a limit error after 8 MiB + 1 byte
    add(g, "grad", "samples/polar.ad", "--at", "r=1,t=0", "--json")
    add(g, "eval", "samples/newton_sqrt.ad", "--at", "a=2", "--json")
    # deep and large inputs
    add(g, "eval", "(" * 300 + "x" + ")" * 300, "--at", "x=2")
    gen_add(g, "grad", "-" * 301 + "x", "--at", "x=2")
    add(g, "grad", "+".join(f"{k}*x" for k in range(1, 401)), "--at", "x=0.5", "--json")
    add(g, "grad", "x" + "^1" * 200, "--at", "x=3")
    add(g, "eval", "1" + "0" * 400, "--at", "x=1")
    add(g, "eval", "1e400 * x", "--at", "x=1")
    add(g, "eval", "x", "--at", "x=1e400")
    add(g, "eval", "x", "--at", "x=" + "9" * 320)
    add(g, "eval", "x", "--at", "x=" + "9" * 5000)
    # limits
    loop = "def f(x):\n    while x > 0:\n        x = x + 1\n    return x\n"
    add(g, "eval", loop, "--at", "x=1", "--max-steps", "1000")
    add(g, "grad", loop, "--at", "x=1", "--max-steps", "1000", "--json")
    rec = "def f(x):\n    return f(x) + 1\n"
    add(g, "eval", rec, "--at", "x=1", "--max-depth", "50")
    add(g, "grad", rec, "--at", "x=1")
    add(g, "eval", "for i in range(1000000000000):\n    x = x + 1\nreturn x", "--at", "x=1")
    add(g, "eval", "x", "--at", "x=1", "--max-steps", "0")
    add(g, "eval", "x", "--at", "x=1", "--max-depth", "abc")
    add(g, "eval", "x", "--at", "x=1", "--max-memory", "1K")
    add(g, "eval", "sum(zeros(100000) + x)", "--at", "x=1", "--max-memory", "64K")
    add(g, "eval", "x", "--at", "x=1", "--max-memory", "lots")


# =============================================================================================
# generated scalar formulas
# =============================================================================================

UNARY_ANY = ["sin", "cos", "atan", "sinh", "cosh", "tanh", "asinh", "exp", "expm1", "cbrt", "abs", "sign",
             "floor", "ceil", "sigmoid", "softplus", "erf", "erfc"]
UNARY_UNIT = ["asin", "acos", "atanh"]  # arguments in (-1, 1)
UNARY_POS = ["log", "log2", "log10", "sqrt", "log1p", "acosh", "tan"]  # given arguments ≥ 1 (tan: kept small)
BINARY = ["atan2", "pow", "hypot", "min", "max"]
ALL_FUNCTIONS = UNARY_ANY + UNARY_UNIT + UNARY_POS + BINARY
VALUES = ["0.5", "1.5", "-0.7", "2", "0.3", "1.25", "-1.1", "0.8", "3", "-2.5", "0.1", "1"]
CONSTANTS = ["1", "2", "3", "0.5", "2.5", "pi", "e", "1e-3", ".25", "10"]


class Gen:
    def __init__(self, rng: random.Random, names: list[str]):
        self.rng, self.names = rng, names

    def leaf(self) -> str:
        r = self.rng
        return r.choice(self.names) if r.random() < 0.75 else r.choice(CONSTANTS)

    def expr(self, depth: int, fn: str | None = None) -> str:
        r = self.rng
        if depth <= 0:
            return self.leaf()
        if fn is None:
            k = r.random()
            if k < 0.35:
                op = r.choice(["+", "-", "*", "/", "^"])
                a = self.expr(depth - 1)
                if op == "^":
                    b = r.choice(["2", "3", "-1", "0.5", "2.5"])
                    if b in ("0.5", "2.5"):
                        a = f"(1 + {self.expr(depth - 1)}^2)"
                    return f"({a})^{b}"
                if op == "/":
                    return f"({a} / (1 + ({self.expr(depth - 1)})^2))" if r.random() < 0.8 else f"({a} / {self.leaf()})"
                return f"({a} {op} {self.expr(depth - 1)})"
            if k < 0.4:
                return f"-{self.expr(depth - 1)}" if r.random() < 0.5 else f"-({self.expr(depth - 1)})"
            fn = r.choice(ALL_FUNCTIONS)
        a = self.expr(depth - 1)
        if fn in UNARY_ANY:
            if fn in ("exp", "sinh", "cosh", "expm1"):
                a = f"sin({a})" if r.random() < 0.5 else a
            return f"{fn}({a})"
        if fn in UNARY_UNIT:
            return f"{fn}(tanh({a}))" if r.random() < 0.5 else f"{fn}(sin({a}) / 2)"
        if fn in UNARY_POS:
            if fn == "tan":
                return f"tan(sin({a}))"
            inner = f"1 + ({a})^2" if r.random() < 0.6 else f"1 + abs({a})"
            return f"{fn}({inner})"
        b = self.expr(depth - 1)
        if fn == "pow":
            return f"pow(1 + ({a})^2, {b})" if r.random() < 0.6 else f"pow({a}, {r.choice(['2', '3', '-2'])})"
        return f"{fn}({a}, {b})"


def _point(rng: random.Random, names: list[str]) -> str:
    return ",".join(f"{n}={rng.choice(VALUES)}" for n in names)


def _dir(rng: random.Random, names: list[str]) -> str:
    return ",".join(f"{n}={rng.choice(['1', '0', '-1', '2', '0.5'])}" for n in names)


def _opts(rng: random.Random, json_p: float = 0.4) -> list[str]:
    out = []
    if rng.random() < json_p:
        out.append("--json")
    if rng.random() < 0.05:
        out.append("--strict")
    return out


def scalar_command(g: str, rng: random.Random, expr: str, names: list[str], command: str) -> None:
    at = _point(rng, names)
    trace = ["--trace"] if rng.random() < 0.3 else []
    if command == "eval":
        gen_add(g, "eval", expr, "--at", at, *_opts(rng))
    elif command == "grad":
        mode = rng.choice([[], [], ["--mode", "forward"], ["--mode", "reverse"]])
        gen_add(g, "grad", expr, "--at", at, *mode, *trace, *_opts(rng))
    elif command == "jvp":
        gen_add(g, "jvp", expr, "--at", at, "--dir", _dir(rng, names), *trace, *_opts(rng))
    elif command == "vjp":
        gen_add(g, "vjp", expr, "--at", at, "--cot", rng.choice(["1", "2", "-0.5"]), *trace, *_opts(rng))
    elif command == "jacobian":
        gen_add(g, "jacobian", expr, "--at", at, *rng.choice([[], ["--mode", "forward"], ["--mode", "reverse"]]),
            *_opts(rng))
    elif command == "hessian":
        gen_add(g, "hessian", expr, "--at", at, *_opts(rng))
    elif command == "hvp":
        gen_add(g, "hvp", expr, "--at", at, "--dir", _dir(rng, names), *_opts(rng))
    elif command == "deriv":
        how = ["--wrt", rng.choice(names)] if rng.random() < 0.6 else ["--dir", _dir(rng, names)]
        gen_add(g, "deriv", expr, "--at", at, *how, "--order", str(rng.randint(1, 6)), *trace, *_opts(rng))
    elif command == "check":
        gen_add(g, "check", expr, "--at", at, *_opts(rng, 0.3))
    elif command == "ir":
        gen_add(g, "ir", expr)
    else:
        raise AssertionError(command)


COMMANDS = ["eval", "grad", "jvp", "vjp", "jacobian", "hessian", "hvp", "deriv", "check", "ir"]


def scalar(rng: random.Random) -> None:
    g = "scalar"
    # every function at least twice, alone and composed, through grad and deriv
    for fn in ALL_FUNCTIONS:
        gen = Gen(rng, ["x", "y"])
        if fn in BINARY:
            expr = f"{fn}(x, y)" if fn != "pow" else "pow(x, y)"
            at = "x=1.5,y=0.5"
        elif fn in UNARY_UNIT:
            expr, at = f"{fn}(x)", "x=0.3"
        elif fn == "acosh":
            expr, at = "acosh(x)", "x=1.5"
        elif fn in UNARY_POS:
            expr, at = f"{fn}(x)", "x=1.5"
        else:
            expr, at = f"{fn}(x)", "x=0.7"
        add(g, "grad", expr, "--at", at)
        add(g, "grad", expr, "--at", at, "--mode", "forward", "--json")
        add(g, "deriv", expr, "--at", at, "--wrt", "x", "--order", "4", "--json")
        add(g, "hessian", expr, "--at", at, "--json")
        add(g, "check", expr, "--at", at, "--json")
        composed = gen.expr(2, fn)
        scalar_command(g, rng, composed, ["x", "y"], rng.choice(["grad", "deriv", "jvp", "hessian"]))
    # random formulas across the commands
    for i in range(200):
        names = rng.choice([["x"], ["x", "y"], ["x", "y"], ["x", "y", "z"]])
        gen = Gen(rng, names)
        expr = gen.expr(rng.randint(1, 3))
        command = COMMANDS[i % len(COMMANDS)]
        if command in ("vjp", "jacobian") or (command in ("eval", "jvp", "deriv", "check") and rng.random() < 0.3):
            k = rng.randint(2, 3)
            expr = "[" + ", ".join(gen.expr(rng.randint(1, 2)) for _ in range(k)) + "]"
            if command == "vjp":
                at = _point(rng, names)
                cot = ",".join(rng.choice(["1", "-1", "0.5", "2", "0"]) for _ in range(k))
                gen_add(g, "vjp", expr, "--at", at, "--cot", cot, *(["--trace"] if rng.random() < 0.3 else []),
                    *_opts(rng))
                continue
        scalar_command(g, rng, expr, names, command)
    # the number syntax and spacing
    for text in ("1", "-2.5", "1e-3", ".5", "2.", "1E3", "+1", " 3 ", "-0", "1e-320"):
        add(g, "eval", "x * 1", "--at", f"x={text}", "--json")
    add(g, "eval", "x + y", "--at", "x=1", "--at", "y=2")
    add(g, "grad", "x * y", "--at", "y=2", "--at", "x=3", "--json")
    add(g, "jacobian", "[x1*x2, x1]", "--at", "x2=2", "--at", "x1=3", "--json")
    add(g, "grad", "pi * x + e", "--at", "x=1")
    add(g, "eval", "sin(x)^2 + cos(x)^2", "--at", "x=0.3")


# =============================================================================================
# generated programs
# =============================================================================================

def _cmp(rng: random.Random, a: str, b: str) -> str:
    return f"{a} {rng.choice(['<', '<=', '>', '>=', '!='])} {b}"


def programs(rng: random.Random) -> None:
    g = "program"
    gen = Gen(rng, ["x", "y"])
    made: list[tuple[str, list[str]]] = []
    for _ in range(12):  # if / elif / else
        made.append((
            "def f(x, y):\n"
            f"    if {_cmp(rng, 'x', rng.choice(['y', '0', '1']))}:\n"
            f"        r = {gen.expr(2)}\n"
            f"    elif {_cmp(rng, 'y', '0.5')} and not x == y:\n"
            f"        r = {gen.expr(2)}\n"
            "    else:\n"
            f"        r = {gen.expr(1)}\n"
            f"    return r * {gen.expr(1)}\n", ["x", "y"]))
    for _ in range(8):  # while loops with data-dependent trip counts (bounded by n)
        k = rng.choice(["1.5", "2", "1.1"])
        made.append((
            "def f(x):\n"
            "    y = x\n"
            "    n = 0\n"
            f"    while abs(y) < {rng.choice(['10', '100', '5'])} and n < 40:\n"
            f"        y = y * {k} + {rng.choice(['0.1', '1', 'sin(y)', 'x'])}\n"
            "        n += 1\n"
            "    return y\n", ["x"]))
    for _ in range(8):  # for loops over range(...)
        n = rng.randint(1, 8)
        rng_text = rng.choice([f"range({n})", f"range(1, {n + 1})", f"range({n}, 0, -1)", f"range(0, {2 * n}, 2)"])
        body = rng.choice(["s += {e} * i", "s = s * x + i", "s -= {e} / (i + 1)", "s += x^i"])
        made.append((
            "s = 0\n"
            f"for i in {rng_text}:\n"
            f"    {body.format(e=gen.expr(1))}\n"
            "    if i == 3:\n"
            f"        {rng.choice(['continue', 'break', 'pass'])}\n"
            f"return s + {gen.expr(1)}\n", ["x", "y"]))
    for _ in range(6):  # calls and multiple outputs
        made.append((
            f"def h(t):\n    return {Gen(rng, ['t']).expr(2)}\n\n"
            "def f(x, y):\n"
            "    a, b = h(x), h(y)\n"
            "    a, b = b, a\n"
            f"    a *= {rng.choice(['2', 'x', '0.5'])}\n"
            "    return a + b, a * b\n", ["x", "y"]))
    made.append(("def p(x, n):\n    if n == 0:\n        return 1\n    return x * p(x, n - 1)\n\n"
                 "def f(x):\n    return p(x, 7)\n", ["x"]))
    made.append(("def fact(n):\n    if n <= 1:\n        return 1\n    return n * fact(n - 1)\n\n"
                 "def f(x):\n    s = 0\n    for k in range(8):\n        s += x^k / fact(k)\n    return s\n", ["x"]))
    made.append(("def fib(x, n):\n    a, b = 0, x\n    for i in range(n):\n        a, b = b, a + b\n    return a\n\n"
                 "def f(x):\n    return fib(x, 10)\n", ["x"]))
    made.append(("y = x\ny += 1\ny -= 0.5\ny *= x\ny /= 2\ny\n", ["x"]))  # a bare last line
    made.append(("def g(a):\n    return a * a\n\ndef f(x, y):\n    return g(x) + g(y) + g(x * y)\n", ["x", "y"]))
    for i, (src, names) in enumerate(made):
        vector = "return a + b, a * b" in src
        via_stdin = i % 4 == 3
        source = "-" if via_stdin else src
        stdin = src if via_stdin else None
        at = _point(rng, names)
        if vector:
            choices = ["eval", "jacobian", "jvp", "vjp", "ir"]
        else:
            choices = ["eval", "grad", "grad", "jvp", "hessian", "hvp", "deriv", "check", "ir"]
        for command in rng.sample(choices, 3):
            trace = ["--trace"] if rng.random() < 0.35 and command in ("grad", "jvp", "vjp", "deriv") else []
            json_ = ["--json"] if rng.random() < 0.4 else []
            if command == "eval":
                args = ["eval", source, "--at", at]
            elif command == "grad":
                args = ["grad", source, "--at", at, *rng.choice([[], ["--mode", "forward"]])]
            elif command == "jvp":
                args = ["jvp", source, "--at", at, "--dir", _dir(rng, names)]
            elif command == "vjp":
                args = ["vjp", source, "--at", at, "--cot", "1,-1"]
            elif command == "jacobian":
                args = ["jacobian", source, "--at", at, *rng.choice([[], ["--mode", "reverse"]])]
            elif command == "hessian":
                args = ["hessian", source, "--at", at]
            elif command == "hvp":
                args = ["hvp", source, "--at", at, "--dir", _dir(rng, names)]
            elif command == "deriv":
                args = ["deriv", source, "--at", at, "--wrt", names[0], "--order", str(rng.randint(1, 4))]
            elif command == "check":
                args = ["check", source, "--at", at]
            else:
                args, trace, json_ = ["ir", source], [], []
            add(g, *args, *trace, *json_, stdin=stdin)


# =============================================================================================
# generated array expressions (exact arithmetic on small integers and halves)
# =============================================================================================

VECTORS = ["[1,2,3]", "[2,-1,4]", "[0.5,-2,3]", "[3,0,-1]", "[-1,5,2]"]
VECTORS2 = ["[1,-1]", "[2,3]", "[0.5,4]"]
MATRICES = ["[[1,2],[3,4]]", "[[2,0],[-1,3]]", "[[1,2,3],[4,5,6]]", "[[0.5,1,-2],[3,-1,2]]"]
ARRAY_EXPRS = [
    # (expression, names, kinds: v = 3-vector, w = 2-vector, M = 2×2, R = 2×3, s = scalar)
    ("sum(x * y)", {"x": "v", "y": "v"}),
    ("x @ y", {"x": "v", "y": "v"}),
    ("sum(A @ w)", {"A": "M", "w": "w"}),
    ("A @ w", {"A": "M", "w": "w"}),
    ("w @ A @ w", {"A": "M", "w": "w"}),
    ("norm(x)", {"x": "v"}),
    ("norm(A)", {"A": "R"}),
    ("transpose(A) @ w", {"A": "M", "w": "w"}),
    ("sum(transpose(B) @ w)", {"B": "R", "w": "w"}),
    ("x[0] * x[2] - x[1]", {"x": "v"}),
    ("sum(x[1:] - x[:-1])", {"x": "v"}),
    ("sum(x^2)", {"x": "v"}),
    ("sqrt(sum(x^2))", {"x": "v"}),
    ("[x[0] + s, x[1] * s]", {"x": "v", "s": "s"}),
    ("A[1, 0] * w[1] + A[0, 1]", {"A": "M", "w": "w"}),
    ("A[:, 0]", {"A": "M"}),
    ("sum(A[1])", {"A": "R"}),
    ("max(x)", {"x": "v"}),
    ("min(x)", {"x": "v"}),
    ("sum(abs(x - y))", {"x": "v", "y": "v"}),
    ("sum(max(x, y))", {"x": "v", "y": "v"}),
    ("sum(min(x, 1))", {"x": "v"}),
    ("mean(B, axis=0)", {"B": "R"}),
    ("sum(mean(B, axis=1))", {"B": "R"}),
    ("sum(x * s + 1)", {"x": "v", "s": "s"}),
    ("x * s - y / 2", {"x": "v", "y": "v", "s": "s"}),
    ("sum((x - s)^2) / 2", {"x": "v", "s": "s"}),
    ("sum(B * B)", {"B": "R"}),
    ("A @ A", {"A": "M"}),
    ("sum(A @ transpose(A))", {"A": "M"}),
    ("x[::2] * s", {"x": "v", "s": "s"}),
    ("sum(zeros(3) + x)", {"x": "v"}),
    ("ones(2, 2) @ w", {"w": "w"}),
    ("len(x) * s", {"x": "v", "s": "s"}),
    ("prod(w)", {"w": "w"}),
    ("dot(w, w) + s^2", {"w": "w", "s": "s"}),
    ("sum(B + w[0])", {"B": "R", "w": "w"}),
    ("sum(B * x)", {"B": "R", "x": "v"}),
    ("[sum(x), norm(w)]", {"x": "v", "w": "w"}),
    ("[1, 2, 3] * x", {"x": "v"}),
    ("[[1, 0], [0, 2]] @ w", {"w": "w"}),
    ("sum(sqrt(abs(x)))", {"x": "v"}),
    ("x / 2 + y * 0.5", {"x": "v", "y": "v"}),
]
ARRAY_PROGRAMS = [
    ("s = 0\nfor i in range(len(x)):\n    s += x[i] * x[i]\nreturn s", {"x": "v"}),
    ("y = x * 1\ny[0] = s * 2\ny[2] += s\nreturn sum(y * x)", {"x": "v", "s": "s"}),
    ("def f(A, w):\n    r = A @ w\n    return 0.5 * sum(r^2)\n", {"A": "M", "w": "w"}),
    ("t = A @ w\nif t[0] > t[1]:\n    return t[0] * 2\nreturn t[1] + w[0]", {"A": "M", "w": "w"}),
    ("m = max(x)\nreturn sum(x - m)", {"x": "v"}),
]


def _array_value(rng: random.Random, kind: str) -> str:
    return {"v": lambda: rng.choice(VECTORS), "w": lambda: rng.choice(VECTORS2),
            "M": lambda: rng.choice(MATRICES[:2]), "R": lambda: rng.choice(MATRICES[2:]),
            "s": lambda: rng.choice(["2", "-1", "0.5", "3"])}[kind]()


def _array_dir(kind: str, value: str) -> str:
    if kind == "s":
        return "1"
    return re.sub(r"-?\d+(\.\d+)?", "1", value)


def arrays(rng: random.Random) -> None:
    g = "array"
    for expr, kinds in ARRAY_EXPRS + ARRAY_PROGRAMS:
        names = list(kinds)
        values = {n: _array_value(rng, k) for n, k in kinds.items()}
        at = ",".join(f"{n}={values[n]}" for n in names)
        scalar_out = not (expr.startswith("[") and "," in expr.split("]")[0]) and not any(
            expr.startswith(p) for p in ("A @ w", "A[:, 0]", "mean(B, axis=0)", "x * s", "A @ A", "x[::2]",
                                         "ones(", "[1, 2, 3]", "[[1, 0]", "x / 2"))
        add(g, "eval", expr, "--at", at)
        add(g, "eval", expr, "--at", at, "--json")
        if scalar_out:
            add(g, "grad", expr, "--at", at, *rng.choice([[], ["--json"]]))
            add(g, "grad", expr, "--at", at, "--mode", "forward", *rng.choice([[], ["--json"]]))
            if rng.random() < 0.5:
                add(g, "grad", expr, "--at", at, "--trace", *rng.choice([[], ["--mode", "forward"]]))
        else:
            add(g, "vjp", expr, "--at", at, "--cot", "1,2" if "w" in names or "A" in names else "1,2,-1")
        add(g, "jacobian", expr, "--at", at, *rng.choice([[], ["--json"], ["--mode", "reverse"]]))
        add(g, "jvp", expr, "--at", at, "--dir", ",".join(f"{n}={_array_dir(kinds[n], values[n])}" for n in names),
            *rng.choice([[], ["--json"], ["--trace"]]))
    add(g, "ir", "A @ x + b[1:]")
    add(g, "ir", "y = x * 1\ny[0] = 2\nfor i in range(2):\n    y[i] += x[i]\nreturn sum(y)")
    add(g, "vjp", "A @ x", "--at", "A=[[1,2],[3,4]],x=[1,-1]", "--cot", "1,2", "--json")
    add(g, "jacobian", "x[1:] - x[:-1]", "--at", "x=[1,2,4]", "--json")
    add(g, "eval", "x[1:] - x[:-1]", "--at", "x=[1,2,4]", "--json")
    # array errors
    for expr, at in [("x + y", "x=[1,2,3],y=[1,2]"), ("A @ x", "A=[[1,2],[3,4]],x=[1,2,3]"), ("x[3]", "x=[1,2,3]"),
                     ("x[1.5]", "x=[1,2,3]"), ("sum(x, axis=2)", "x=[1,2,3]"), ("[[1,2],[3]]", "x=1"),
                     ("x", "x=[1,2,[3]]"), ("x", "x=[]"), ("x", "x=[1,2"), ("norm(s)", "s=2"),
                     ("transpose(x)", "x=[[[1]]]"), ("max(x, axis=x)", "x=[1,2]")]:
        add(g, "eval", expr, "--at", at)
    add(g, "hessian", "sum(x^2)", "--at", "x=[1,2]")
    add(g, "deriv", "sum(x)", "--at", "x=[1,2]", "--wrt", "x", "--order", "2")
    add(g, "check", "sum(x)", "--at", "x=[1,2]")
    add(g, "hvp", "sum(x)", "--at", "x=[1,2]", "--dir", "x=[1,1]")
    add(g, "grad", "x * 2", "--at", "x=[1,2]")
    add(g, "vjp", "x * 2", "--at", "x=[1,2]", "--cot", "1")
    add(g, "jvp", "sum(x)", "--at", "x=[1,2]", "--dir", "x=[1,1,1]")
    add(g, "jvp", "sum(x)", "--at", "x=[1,2]", "--dir", "x=1")


# =============================================================================================
# user errors
# =============================================================================================

def errors() -> None:
    g = "errors"
    syntax = ["sin(x", "x +* 2", "2x", "x ^", "(x", "x)", "[x, ", "x y", "lambda x: x", "'text'", "\"x\"",
              "import os", "x.real", "__import__", "f'{x}'", "x ==", "1 +", "x[", ",", "", "   ", "@x",
              "x = ", "def f(x):\nreturn x", "def f(x):\n    return x\n  y = 2", "if x:\n    return 1\nelse return 2",
              "x;y", "x # comment", "return", "for i in x:\n    pass\nreturn 1", "while:\n    x", "x ⁄ 2", "ｘ + 1",
              "x\t+ 1", "sin(x,)", "max()", "1 = x", "x += 1", "break", "x if y else 2"]
    for text in syntax:
        add(g, "eval", text, "--at", "x=1,y=2")
    for text in syntax[:10]:
        add(g, "grad", text, "--at", "x=1,y=2", "--json")
    names = [("1 + sine(x)", "x=1"), ("sinx(x)", "x=1"), ("x + q", "x=1"), ("a + b * c", "a=1"),
             ("Sin(x)", "x=1"), ("exponential(x)", "x=1"), ("x + pi + tau", "x=1"), ("f(x)", "x=1"),
             ("def f(x):\n    return g(x)\n", "x=1"), ("def f(x):\n    return y\n", "x=1"),
             ("range(3)", "x=1"), ("x1 + x2", "x1=1,x3=2")]
    for expr, at in names:
        add(g, "eval", expr, "--at", at)
        add(g, "eval", expr, "--at", at, "--json")
    arity = ["atan2(x)", "sin(x, y)", "pow(x)", "hypot(x, y, x)", "max(x)", "exp()",
             "def f(a, b):\n    return a\n\ndef g(x):\n    return f(x)\n"]
    for expr in arity:
        add(g, "eval", expr, "--at", "x=1,y=2")
    types = [("if x > 0:\n    return 1\nreturn 2", "x=[1,2]"), ("x < y", "x=1,y=2"), ("not x", "x=1"),
             ("for i in range(x):\n    pass\nreturn 1", "x=2.5"), ("a, b = x\nreturn a", "x=1")]
    for expr, at in types:
        add(g, "eval", expr, "--at", at)
    bad_at = ["x=", "x=abc", "x=1_000", "x=0x10", "x=１", "x=1,,y=2", "x=1,x=2", "pi=3", "e=1", "sin=1", "=1",
              "x", "x=1,", ",x=1", "x==1", "1x=2", "x=1 2", "x=--1", "x=1e", "x=infinity", "x=NaN", "x=[1,2",
              "x=1;y=2", "x=1,y"]
    for at in bad_at:
        add(g, "eval", "x + 1", "--at", at)
    for at in bad_at[:8]:
        add(g, "grad", "x + 1", "--at", at, "--json")
    add(g, "eval", "x + 1", "--at", "x=1", "--at", "x=2")
    add(g, "eval", "x + y")
    add(g, "eval", "x + y", "--at", "x=1")
    add(g, "jvp", "x * y", "--at", "x=1,y=2", "--dir", "x=1")
    add(g, "jvp", "x * y", "--at", "x=1,y=2", "--dir", "x=1,y=a")
    add(g, "jvp", "x * y", "--at", "x=1,y=2", "--dir", "x=1,y=1,z=1")
    add(g, "hvp", "x * y", "--at", "x=1,y=2", "--dir", "q=1")
    add(g, "vjp", "[x, y]", "--at", "x=1,y=2", "--cot", "1")
    add(g, "vjp", "[x, y]", "--at", "x=1,y=2", "--cot", "1,2,3")
    add(g, "vjp", "[x, y]", "--at", "x=1,y=2", "--cot", "1,b")
    add(g, "vjp", "[x, y]", "--at", "x=1,y=2", "--cot", "", "--json")
    add(g, "grad", "[x, y]", "--at", "x=1,y=2")
    add(g, "grad", "[x, y]", "--at", "x=1,y=2", "--json")
    add(g, "hessian", "[x, y]", "--at", "x=1,y=2")
    add(g, "deriv", "x^2", "--at", "x=1", "--order", "101")
    add(g, "deriv", "x^2", "--at", "x=1,y=2", "--order", "2")
    add(g, "deriv", "x^2", "--at", "x=1", "--wrt", "q", "--order", "2")
    add(g, "deriv", "x^2", "--at", "x=1", "--wrt", "x", "--dir", "x=1", "--order", "2")
    # explain refuses before writing anything (no page is left in the corpus's folder)
    for argv in (["[x, 2*x]", "--at", "x=1"], ["x +* 2", "--at", "x=1"], ["x * y", "--at", "x=1"],
                 ["x * y", "--at", "x=1", "--mode", "sideways"], ["[x, 2*x]", "--at", "x=1", "--json"],
                 ["def f(x):\n    for i in range(3000):\n        x = x * 1.5\n    return x\n", "--at", "x=1"]):
        add(g, "explain", *argv)
    # usage (exit status 2)
    usage = [
        ["frobnicate"], ["eval"], ["grad", "--at", "x=1"], ["grad", "x", "--at"],
        ["grad", "x", "--mode", "sideways", "--at", "x=1"], ["jvp", "x", "--at", "x=1"], ["vjp", "x", "--at", "x=1"],
        ["deriv", "x", "--at", "x=1"], ["deriv", "x", "--at", "x=1", "--order", "0"],
        ["deriv", "x", "--at", "x=1", "--order", "two"], ["eval", "x", "--at", "x=1", "--bogus"],
        ["eval", "x", "y", "--at", "x=1"], ["ir", "x", "--json"], ["ir", "x", "--at", "x=1"],
        ["eval", "x", "--at", "x=1", "--trace"], ["hessian", "x", "--mode", "forward"], ["--json"],
        ["run", "samples/polar.ad", "--jobs", "x"], ["eval", "x", "--max-steps", "-1"],
        ["eval", "--", "-x", "--at", "x=1"], ["eval", "-x", "--at", "x=1"],
        # a negative first weight reads as an option: argparse wants --cot=-1,0.5
        ["vjp", "[x, y]", "--at", "x=1,y=2", "--cot", "-1,0.5"], ["vjp", "[x, y]", "--at", "x=1,y=2", "--cot=-1,0.5"],
        ["jvp", "x", "--at", "x=1", "--dir", "-x=1"], ["grad", "x", "--at", "x=1", "--json", "--json"],
        ["grad", "x", "--at", "x=1", "--mode", "forward", "--mode", "reverse"], ["eval", "x", "--at=x=1"],
    ]
    for argv in usage:
        add(g, *argv)


# =============================================================================================
# REPL sessions on standard input
# =============================================================================================

REPL_SCRIPTS = [
    # definitions, variables, the derivative commands
    """\
x = 2
y = x^2 + 1
y
f(x, y) = exp(2*x) + x*y^2 + cos(y)
grad f at x=1, y=2
grad f
jvp f at x=1, y=2 dir x=1, y=0
hessian f at x=1, y=2
hvp f at x=1, y=2 dir x=1, y=0
deriv f wrt x order 4 at x=0, y=1
check f at x=1, y=2
eval f at x=3, y=x
ir f
:vars
:defs
""",
    # blocks, :trace, modes, vector functions
    """\
def g(t):
    if t > 0:
        return t * t
    elif t == 0:
        return 1
    else:
        return -t

grad g at t=3
:trace on
grad g at t=-2
:mode forward
grad g at t=1.5
:trace off
:mode
h(a, b) = [a*b, sin(a)]
jacobian h at a=1, b=2
vjp h at a=1, b=2 cot 1, 0.5
jvp h at a=1, b=2 dir a=1, b=0
deriv sin(x)*x wrt x order 5 at x=0
grad sin(x)*y at x=1, y=2
""",
    # errors: each prints its error and changes nothing; the script exits 1
    """\
x = 1
1 + sine(x)
grad f at x=1
x = 1 +* 2
x
f(a) = a +
def k(u):
    return u +* 1

f(q) = q^2
grad f at q=nan
:strict on
eval log(0)
:strict off
eval log(0)
:mode sideways
:digits 40
:nosuch
grad [x, x] at x=1
deriv f wrt q order 0 at q=1
vjp f at q=1 cot 1, 2
eval = 3
at = 2
:load samples/nosuch.ad
:vars
""",
    # :load, arrays, :digits, :reset, :quit
    """\
:load samples/newton_sqrt.ad
:defs
grad newton_sqrt at a=2
deriv newton_sqrt wrt a order 2 at a=4
v = [1, 2, 3]
A = [[1, 2], [3, 4]]
A @ [1, -1]
grad sum(v * w) at w=[1, 0, 2]
jacobian A @ w at w=[1, 2]
:digits 5
grad sin(x) at x=1
:digits 12
x = 0.5
abs(x - 0.5)
grad abs(x - 0.5)
grad max(x, 0.5)
:help
:reset
:vars
:quit
grad x^2 at x=1
""",
    # continuation lines, comments, brackets across lines, a block ended by the next line
    """\
# a comment line
f(x) = x^3 - 2*x  # trailing comment
m = [1,
     2]
def p(x):
    s = 0
    for i in range(4):
        s += x^i
    return s
grad p at x=2
:trace on
deriv p wrt x order 2 at x=1
:trace off
ir p
  grad p at x=1
eval m
""",
]


def repl() -> None:
    for script in REPL_SCRIPTS:
        add("repl", "repl", stdin=script)
    add("repl", "repl", stdin="")
    add("repl", "repl", stdin="x = 1\n")
    add("repl", "repl", stdin="def f(x):\n    return x * 2")  # ends without a newline, inside a block


# =============================================================================================

README_FUNCTION_FILE = '''"""A function file: a constant, a docstring, a loop, a conditional expression."""
g = 9.81

def f(x):
    """Σ g·v² over the positive entries, -v for the others."""
    s = 0
    for v in x:
        s += g * v^2 if v > 0 else -v
    return s
'''

SHADOW_CBRT = """def cbrt(a):
    y = a
    for i in range(60):
        y = y - (y*y*y - a) / (3*y*y)
    return y

def f(x):
    return cbrt(x) * 2
"""


def python_constructs() -> None:
    g = "python"
    # README: the language section
    shell(g, 'adcalc grad "sum(where(x > 0, sqrt(x), 0))" --at "x=[0,1,4]"')
    add(g, "grad", "-", "--at", "x=[1,-2,3]", stdin=README_FUNCTION_FILE)
    for line in ('adcalc eval "-7 // 2"', 'adcalc eval "7 % -3"', 'adcalc eval "2^3^2 % 5 + True"'):
        shell(g, line)
    for x in ("3", "-2", "0"):
        shell(g, f'adcalc grad "x^2 if x > 0 else -x" --at x={x} --json')
        shell(g, f'adcalc grad "(x > 0) * x" --at x={x}')
        shell(g, f'adcalc deriv "x^3 if x > 1 else x" --at x={x} --order 3')
    shell(g, 'adcalc grad "sum((x > 0) * x)" --at "x=[-1,0,2]" --json')
    shell(g, 'adcalc grad "x % y" --at x=7.5,y=2 --trace')
    shell(g, 'adcalc grad "x * (x // 1)" --at x=1')
    shell(g, 'adcalc grad "x * (x % 2)" --at x=4 --json')
    shell(g, 'adcalc grad "int(x) * x + round(y) * y" --at x=-3,y=2.5')
    shell(g, 'adcalc hessian "where(x > 0, x^3, x^2) + x*y" --at x=2,y=1')
    shell(g, 'adcalc jacobian "[where(x > y, x, y), x and y, x or y, not x]" --at x=0,y=2')
    shell(g, 'adcalc ir "a if b > 0 else c"')
    for line in ('adcalc eval "None + 1"', 'adcalc eval "lambda + 1"', 'adcalc eval "and + 1"',
                 'adcalc eval "return + 1" --at return=1', 'adcalc eval "x + 1" --at if=2',
                 'adcalc eval "ln(x)" --at x=1'):
        shell(g, line)
    add(g, "eval", 'y = "no"\nreturn 1')
    add(g, "grad", "-", "--at", "x=8", stdin=SHADOW_CBRT)
    add(g, "ir", "-", stdin="c = 3\nk = 2*c + pi\ndef f(x):\n    return c * x + k\n")
    add(g, "grad", "-", "--at", "x=[1,2,3]", "--trace",
        stdin="def f(x):\n    s = 0\n    for v in x:\n        s += v^2\n    return s\n")
    add(g, "eval", "-", "--at", "x=3", stdin="s = 0\nfor v in x:\n    s += v\nreturn s\n")


def wrt_and_array_hessians() -> None:
    """Issue #19: --wrt on every derivative command, and hessian/hvp/deriv/check of array programs."""
    g = "wrt"
    ax = "A=[[1,2],[3,4]],x=[1,1]"
    add(g, "jvp", "A @ x", "--at", ax, "--wrt", "x", "--dir", "x=[1,0]")
    add(g, "jvp", "A @ x", "--at", ax, "--wrt", "x", "--dir", "x=[1,0]", "--trace", "--json")
    add(g, "jacobian", "A @ x", "--at", ax, "--wrt", "x", "--json")
    add(g, "grad", "x^2*y*z", "--at", "x=1.5,y=2,z=3", "--wrt", "z,x")
    add(g, "grad", "x^2*y*z", "--at", "x=1.5,y=2,z=3", "--wrt", "y", "--mode", "forward", "--trace")
    add(g, "vjp", "[x*y, y + z]", "--at", "x=1.5,y=4,z=7", "--wrt", "y,x", "--cot", "2,3", "--trace")
    add(g, "hessian", "x^2*y*z", "--at", "x=1.5,y=2,z=3", "--wrt", "z,x", "--json")
    add(g, "hvp", "x^2*y^3", "--at", "x=1.5,y=2", "--wrt", "x", "--dir", "x=2")
    add(g, "deriv", "x^2*y*z", "--at", "x=1,y=2,z=3", "--wrt", "x,y", "--dir", "x=1,y=1", "--order", "3")
    add(g, "check", "[x^2*y, z*x]", "--at", "x=1.5,y=2,z=3", "--wrt", "z,y")
    for wrt in ("q", "x,x", "", "x,,y", "x\x1b[2J"):
        add(g, "grad", "x*y", "--at", "x=1,y=2", "--wrt", wrt)
    add(g, "hvp", "x^2*y^3", "--at", "x=1.5,y=2", "--wrt", "x", "--dir", "x=2,y=1")
    add(g, "deriv", "x^2*y*z", "--at", "x=1,y=2,z=3", "--wrt", "x,y", "--order", "3")
    add(g, "repl", stdin="f(x, y) = x^2*y\ngrad f at x=3, y=2 wrt y\nhessian f at x=3, y=2 wrt y, x\n"
                         "grad f at x=3, y=2 wrt y, z\n")
    lsq = ("sum((A @ x - b)^2)", "A=[[1,2],[3,4],[5,6]],x=[1,-1],b=[1,2,3]")
    add(g, "hessian", *lsq[:1], "--at", lsq[1], "--wrt", "x")
    add(g, "hessian", *lsq[:1], "--at", lsq[1], "--json")
    add(g, "hvp", *lsq[:1], "--at", lsq[1], "--wrt", "x", "--dir", "x=[1,0]", "--json")
    add(g, "deriv", *lsq[:1], "--at", lsq[1], "--wrt", "x", "--dir", "x=[1,-1]", "--order", "3")
    # A's entries powers of 2: A @ (x ± δ) is exact products and one addition per row, the same float in every
    # BLAS kernel (with A=[[1,2],[3,4],[5,6]] the printed differences moved with OpenBLAS's kernel for the CPU)
    add(g, "check", *lsq[:1], "--at", "A=[[1,2],[4,0.5],[-2,1]],x=[1,-1],b=[1,2,3]", "--wrt", "x", "--json")
    rosen = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"
    add(g, "hessian", rosen, "--at", "x=[-1.2,1,0.5,2]")
    add(g, "hessian", "sum(y * z^2) / 2 - dot(y, z)", "--at", "z=[0.5,-1,2],y=[0.25,0.5,0.25]", "--wrt", "z",
        "--json")  # exact arithmetic: NumPy's exp and log of arrays differ by an ulp between CPUs
    add(g, "hessian", "x @ Q @ x", "--at", "Q=[[1,2,0],[-1,3,4],[0.5,0,2]],x=[1,-2,3]", "--wrt", "x")
    add(g, "hessian", "[x*y, x^2*y]", "--at", "x=2,y=3")
    add(g, "hessian", "x^3", "--at", "x=[1,2]", "--json")
    add(g, "hessian", "prod(x) + norm(x) + max(x*x)", "--at", "x=[1,-2,3]")
    add(g, "hessian", "sum(sqrt(x))", "--at", "x=[0,1]")
    add(g, "deriv", "prod(A, axis=1)", "--at", "A=[[1,2],[3,4]]", "--dir", "A=[[1,-1],[0,2]]", "--order", "2")
    add(g, "deriv", "sum(x^2)", "--at", "x=[1,2]", "--dir", "x=[1,1]", "--order", "2", "--trace")
    add(g, "deriv", "sum(x)", "--at", "x=[1,2]", "--dir", "x=[1,2,3]", "--order", "2")
    add(g, "hvp", rosen, "--at", "x=[1,2,3]", "--dir", "x=[1,0]")


def plot_group() -> None:
    """``adcalc plot``: the README's JSON example, charts and lists, surfaces, gaps, kinks, per-point
    programs, failures under --strict, errors, and a REPL session (exact arithmetic only: see the
    group's note in the module docstring)."""
    g = "plot"
    for line in ('adcalc plot "abs(x - 1)" --x x=-3:3 --points 5 --json',
                 'adcalc plot "x*x*x - 3*x" --x x=-3:3 --order 2 --tangent 0.5',
                 'adcalc plot "x*x*x - 3*x" --x x=-3:3 --points 13 --order 2 --json',
                 'adcalc plot "1/x" --x x=-1:1 --points 9 --json',
                 'adcalc plot "1/x" --x x=-1:1 --points 8',
                 'adcalc plot "abs(x - 1) + abs(x + 1)" --x x=-3:3 --points 31',
                 'adcalc plot "x*x - y*y" --x x=-2:2 --y y=-2:2 --points 9',
                 'adcalc plot "x*x + y*y" --x x=-1:1 --y y=-1:1 --points 5 --json',
                 'adcalc plot "[x, x*x - 1]" --x x=-1:2 --points 7 --output 2 --json',
                 'adcalc plot "a*x*x" --x x=-1:1 --points 5 --at a=2 --json',
                 'adcalc plot "sqrt(x)" --x x=-1:1 --points 5 --strict',
                 'adcalc plot "sqrt(x)" --x x=-1:1 --points 5 --strict --json',
                 "adcalc plot --help"):
        shell(g, line)
    add(g, "plot", "if x < 1:\n    return x*x\nreturn 3*x - 1", "--x", "x=-2:3", "--points", "11", "--json")
    for bad in ("x=2:2", "x=3:1", "z=0:1", "x=0", "x=0:inf", "x=a:b"):
        add(g, "plot", "x*x", "--x", bad)
    add(g, "plot", "[x, x*x]", "--x", "x=0:1")
    add(g, "plot", "[x, x*x]", "--x", "x=0:1", "--output", "3")
    add(g, "plot", "x*y", "--x", "x=0:1")
    add(g, "plot", "x*y", "--x", "x=0:1", "--y", "x=0:1")
    add(g, "plot", "x*x", "--x", "x=0:1", "-o", "plot.gif")
    add(g, "plot", "x*x", "--x", "x=0:1", "--points", "1")
    add(g, "plot", "x*x", "--x", "x=0:1", "--order", "5", "--json")
    add(g, "plot", "x*x", "--x", "x=0:1", "--tangent", "1,2")
    add(g, "repl", stdin="f(x) = x*x*x - 3*x\nplot f x=-3:3 order 2 tangent 0.5\nplot f x=1:0\nplot f\n")


def commands() -> list[dict[str, Any]]:
    """The corpus, in recording order (REPL sessions last: a session's settings must not leak)."""
    global _out
    _out = []
    rng = random.Random(SEED)
    readme()
    examples()
    samples()
    run_group()
    policy()
    scalar(rng)
    programs(rng)
    arrays(rng)
    errors()
    python_constructs()
    wrt_and_array_hessians()
    plot_group()
    repl()
    out = _out
    _out = []
    for i, c in enumerate(out):
        c["id"] = i
    return [{"id": c["id"], **{k: v for k, v in c.items() if k != "id"}} for c in out]


if __name__ == "__main__":
    import json
    import sys

    cs = commands()
    counts: dict[str, int] = {}
    for c in cs:
        counts[c["group"]] = counts.get(c["group"], 0) + 1
    print(json.dumps(counts), len(cs), file=sys.stderr)
