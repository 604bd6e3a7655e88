"""``adcalc codegen``: the generated value, forward and adjoint programs reproduce the interpreter.

Truth: the interpreter's eval, forward and reverse modes at the same point — the generated code
performs the same IEEE operations in the same order (tests/numeric.py policy 1), so values, J·eⱼ
and wᵀJ must be equal as floats (nan equal to nan; README lists the one exception, the sign of
a zero derivative).  Programs: every scalar sample, hand-written control flow (early returns in
loops, break/continue, while, calls, recursion), and random programs from hypothesis.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import adcalc
from adcalc.errors import AdcalcError
from adcalc.ops import derivatives as D
from adcalc.ops.codegen.module import generate
from adcalc.ops.codegen.run import check, load_module

ROOT = Path(__file__).resolve().parent.parent


def same(a: object, b: object) -> bool:
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b or (a != a and b != b)  # type: ignore[comparison-overlap]


def compare(src: str, point: dict[str, float]) -> list[str]:
    """Differences between the generated code and the interpreter at ``point`` (value, each J·eⱼ, wᵀJ)."""
    loaded = D.load(src)
    prog = loaded.program
    ns = load_module(generate(prog))
    names = list(prog.inputs)
    xs = [point[n] for n in names]
    diffs = []
    if not same(ns["f"](*xs), adcalc.evaluate(loaded, point).value):
        diffs.append("value")
    for j, n in enumerate(names):
        unit = [1.0 if k == j else 0.0 for k in range(len(names))]
        value, tangent = ns["f_jvp"](*xs, *unit)
        if not same(tangent, adcalc.jvp(loaded, point, dict(zip(names, unit))).tangent):
            diffs.append(f"jvp {n}")
    for i in range(prog.n_outputs):
        w = [1.0 if k == i else 0.0 for k in range(prog.n_outputs)]
        r = adcalc.vjp(loaded, point, w)
        _, bars = ns["f_vjp"](*xs, w if prog.vector_output else 1.0)
        if not same(list(bars), [r.cotangent_result[n] for n in names]):
            diffs.append(f"vjp {i}: {bars} vs {r.cotangent_result}")
    return diffs


def _sample_points() -> list[tuple[str, dict[str, float]]]:
    out = []
    for path in sorted(glob.glob(str(ROOT / "samples" / "*.ad"))):
        text = Path(path).read_text(encoding="utf-8")
        for at in re.findall(r"#\s*@at\s+(.*)", text):
            if "[" in at:
                continue  # array samples: code generation of arrays is not there yet
            point = {k.strip(): float(v) for k, v in (kv.split("=") for kv in at.split(","))}
            out.append((Path(path).name, point))
    return out


@pytest.mark.parametrize(("name", "point"), _sample_points(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_scalar_sample_matches_the_interpreter(name: str, point: dict[str, float]) -> None:
    src = (ROOT / "samples" / name).read_text(encoding="utf-8")
    assert compare(src, point) == []


CONTROL = """
def sq(a):
    return a * a

def fact(n, x):
    if n <= 1:
        return x
    return x * fact(n - 1, sin(x))

def g(x, y):
    s = 0
    for i in range(4):
        if i == 2:
            continue
        s = s + sq(x * i) + fact(3, y)
        if s > 100:
            return s
    u, v = y, x
    while u < 10:
        u = u * 2 + v
        if u > 7:
            break
    return s * u
"""


@pytest.mark.parametrize("point", [{"x": 0.7, "y": 0.3}, {"x": 5.0, "y": 2.0}, {"x": -1.5, "y": 3.0},
                                   {"x": 0.0, "y": 0.5}])
def test_control_flow_calls_and_recursion(point: dict[str, float]) -> None:
    assert compare(CONTROL, point) == []


LOOP_VARIABLE_REASSIGNED = """
def g(a, b):
    return a * b + sin(b)
def f(x, y):
    for i1 in range(3):
        y *= (i1 + x) * i1 + 1
        i1 = g(x, y)
        y = y + i1 * 0.1
    return y * x
"""


@pytest.mark.parametrize("point", [{"x": 0.7, "y": 0.3}, {"x": 1.5, "y": -0.5}])
def test_a_loop_variable_given_an_input_dependent_value(point: dict[str, float]) -> None:
    """Each iteration's counter is a new constant: its tangent is 0 and no cotangent reaches it
    (found by a hostile sweep: the tangent was read before it was set, and the adjoint of the
    previous iteration's value leaked into the counter's)."""
    assert compare(LOOP_VARIABLE_REASSIGNED, point) == []


def test_vector_output_and_where_like_zero_rule() -> None:
    # sqrt'(0) = inf times a zero cotangent or a zero tangent: nothing flows, as in the interpreter
    src = "[sqrt(x) * 0 + y, max(x, y), hypot(x, y)]"
    for point in ({"x": 0.0, "y": 1.0}, {"x": 2.0, "y": 2.0}, {"x": 0.0, "y": 0.0}):
        assert compare(src, point) == []


def test_a_wrong_template_is_caught_by_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from adcalc.ops.codegen import templates

    loaded = D.load("x * sin(y)")
    monkeypatch.setitem(templates.TABLE, "sin", (templates.TABLE["sin"][0], (lambda a: f"_sin({a[0]})",)))
    diffs = check(loaded, generate(loaded.program), {"x": 1.0, "y": 2.0})
    assert any("f_jvp along y" in d for d in diffs) and any("f_vjp" in d for d in diffs)


# ---- random programs -------------------------------------------------------------------------

_UNARY = ["sin", "cos", "exp", "sqrt", "log", "tanh", "abs", "atan", "sigmoid"]


def _expr(depth: int, names: tuple[str, ...] = ("x", "y", "s", "i")) -> st.SearchStrategy[str]:
    leaf = st.sampled_from([*names, "0.5", "2", "3"])
    if depth == 0:
        return leaf
    sub = _expr(depth - 1, names)
    return st.one_of(
        leaf,
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(_UNARY), sub),
        st.builds(lambda a, op, b: f"({a} {op} {b})", sub, st.sampled_from(["+", "-", "*", "/"]), sub),
        st.builds(lambda a, e: f"({a})^{e}", sub, st.sampled_from(["2", "3", "0.5", "y"])),
        st.builds(lambda a, b: f"max({a}, {b})", sub, sub),
        st.builds(lambda a, op, b: f"({a} {op} {b})", sub, st.sampled_from(["%", "//"]), sub),
        st.builds(lambda a, b, c: f"where({a} > 0, {b}, {c})", sub, sub, sub),
        st.builds(lambda a, b, c: f"({b} if {a} < 1 else {c})", sub, sub, sub),
        st.builds(lambda a, b: f"(({a} >= 0) * {b})", sub, sub),
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(["int", "round"]), sub),
    )


@st.composite
def programs(draw: st.DrawFn) -> str:
    e = _expr(2)
    exit_stmt = draw(st.sampled_from(["break", "continue", "return s", "s = s * 0.5", "i = s + x"]))
    return "\n".join([
        "def h(a, b):",
        f"    return {draw(_expr(2, ('a', 'b')))}",
        "def f(x, y):",
        f"    s = {draw(_expr(2, ('x', 'y')))}",
        f"    for i in range({draw(st.integers(0, 4))}):",
        f"        if {draw(e)} > {draw(e)}:",
        f"            s = s + {draw(e)}",
        f"        elif {draw(e)} < 0:",
        f"            {exit_stmt}",
        "        else:",
        f"            s = h(s, {draw(e)})",
        "    k = 0",
        f"    while s < {draw(st.sampled_from(['1', '5', 'x']))} and k < 3:",
        f"        s = s + {draw(e)}",
        "        k = k + 1",
        f"    return s * {draw(e)}",
    ])


@settings(max_examples=int(os.environ.get("ADCALC_CODEGEN_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.floats(-3, 3), st.floats(-3, 3))
def test_random_programs_match_the_interpreter(src: str, x: float, y: float) -> None:
    try:
        adcalc.evaluate(src, {"x": x, "y": y})
    except AdcalcError:
        assume(False)
    assert compare(src, {"x": x, "y": y}) == [], src


# ---- the command -------------------------------------------------------------------------------

def adcalc_cmd(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_module_runs_without_adcalc_passes_ruff_and_is_deterministic(tmp_path: Path) -> None:
    out = tmp_path / "rosen.py"
    r = adcalc_cmd("codegen", str(ROOT / "samples" / "rosenbrock.ad"), "-o", str(out))
    assert r.returncode == 0 and "wrote" in r.stdout, r.stderr
    again = adcalc_cmd("codegen", str(ROOT / "samples" / "rosenbrock.ad"))
    assert again.stdout == out.read_text(encoding="utf-8")  # same source, same bytes
    assert "import math" in again.stdout and "import numpy" not in again.stdout and "adcalc." not in again.stdout
    # isolated Python: no adcalc, no site-packages, in a folder of its own
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = "import sys; sys.path.insert(0, '.'); import rosen; print(repr(rosen.f_grad(1.0, -1.2)))"
    run = subprocess.run([sys.executable, "-I", "-c", code],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    want = adcalc.grad(str((ROOT / "samples" / "rosenbrock.ad").read_text()), {"x": -1.2, "y": 1.0})
    value, bars = eval(run.stdout)  # noqa: S307 - a tuple of floats printed by the test itself
    names = ["y", "x"]  # the order of first appearance in the formula
    assert value == want.value and list(bars) == [want.gradient[n] for n in names]
    assert subprocess.run([sys.executable, "-m", "py_compile", str(out)]).returncode == 0
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", str(out)],
                          capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout


def test_check_of_a_source_without_inputs_needs_no_point() -> None:
    r = adcalc_cmd("codegen", "2 + 3", "--check")
    assert r.returncode == 0 and r.stdout.rstrip().endswith("agrees with the interpreter at this point"), r.stderr
    ns = load_module(r.stdout)
    assert ns["f"]() == 5.0 and ns["f_grad"]() == (5.0, ())


def test_inputs_order_and_def_names(tmp_path: Path) -> None:
    r = adcalc_cmd("codegen", "def rosenbrock(x, y):\n    return 100*(y - x^2)^2 + (1 - x)^2",
                   "--inputs", "y,x", "--check", "--at", "x=-1.2,y=1")
    assert r.returncode == 0, r.stderr
    ns = load_module(r.stdout)
    assert ns["f_grad"] is ns["rosenbrock_grad"] and ns["INPUTS"] == ("y", "x")
    value, (gy, gx) = ns["rosenbrock_grad"](1.0, -1.2)
    x, y = -1.2, 1.0  # hand-derived: ∂f/∂x = -400x(y - x²) - 2(1 - x), ∂f/∂y = 200(y - x²)
    assert gx == pytest.approx(-400 * x * (y - x * x) - 2 * (1 - x), rel=1e-14)
    assert gy == pytest.approx(200 * (y - x * x), rel=1e-14)
    assert "agrees with the interpreter" in r.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("x*y", "--inputs", "x,z"), "does not have"),
    (("x*y", "--inputs", "x"), "leaves out y"),
    (("x*y", "--check"), "--check needs the point"),
    (("x*y", "-o", "/nonexistent-dir/f.py"), "cannot write"),
])
def test_bad_input_is_a_clear_error(args: tuple[str, ...], message: str) -> None:
    r = adcalc_cmd("codegen", *args)
    assert r.returncode in (1, 2) and message in r.stderr and "Traceback" not in r.stderr, r.stderr


# ---- adcalc.compile --------------------------------------------------------------------------------

def test_compile_matches_the_interpreter_and_is_cached() -> None:
    src = "def rosen(x, y):\n    return 100*(y - x^2)^2 + (1 - x)^2"
    c = adcalc.compile(src)
    assert adcalc.compile(src) is c and c.inputs == ("x", "y")
    want = adcalc.grad(src, {"x": -1.2, "y": 1.0})
    assert c.value(-1.2, 1) == want.value
    assert c.grad(-1.2, 1.0) == (want.gradient["x"], want.gradient["y"])
    assert c.value_and_grad(-1.2, 1.0) == (want.value, c.grad(-1.2, 1.0))
    assert c.jvp([-1.2, 1.0], [0.0, 1.0]) == (want.value, want.gradient["y"])
    assert c.vjp([-1.2, 1.0], 2.0)[1] == (2.0 * want.gradient["x"], 2.0 * want.gradient["y"])
    other = adcalc.compile(src, inputs=["y", "x"])
    assert other is not c and other.grad(1.0, -1.2) == (want.gradient["y"], want.gradient["x"])


def test_compile_vector_outputs() -> None:
    c = adcalc.compile("[x*y, sin(x)]")
    r = adcalc.vjp("[x*y, sin(x)]", {"x": 1.0, "y": 2.0}, [0.5, -1.0])
    value, bars = c.vjp([1.0, 2.0], [0.5, -1.0])
    assert value == r.value and list(bars) == [r.cotangent_result["x"], r.cotangent_result["y"]]
    with pytest.raises(AdcalcError, match="scalar output"):
        c.grad(1.0, 2.0)


@pytest.mark.parametrize(("call", "kind"), [
    (lambda c: c.grad(1.0), "usage"),
    (lambda c: c.grad("a", 2.0), "type"),
    (lambda c: c.grad(1j, 2.0), "type"),
    (lambda c: c.grad(True, 2.0), "type"),
    (lambda c: c.vjp([1.0, 2.0], [1.0, 2.0]), "usage"),
    (lambda c: adcalc.compile(b"x"), "type"),
    (lambda c: adcalc.compile("x", inputs="x"), "type"),
    (lambda c: adcalc.compile("x +"), "syntax"),
])
def test_compile_bad_arguments_are_adcalc_errors(call: object, kind: str) -> None:
    c = adcalc.compile("x * y")
    with pytest.raises(AdcalcError) as info:
        call(c)  # type: ignore[operator]
    assert info.value.kind == kind


def test_compile_from_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    srcs = [f"sin(x*{k}) + y^2" for k in range(8)]
    want = {s: adcalc.grad(s, {"x": 0.3, "y": 0.7}).gradient for s in srcs}

    def work(s: str) -> bool:
        g = adcalc.compile(s).grad(0.3, 0.7)
        return g == (want[s]["x"], want[s]["y"])

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, srcs * 8))


# ---- what a generated module may hold ---------------------------------------------------------------

@pytest.mark.parametrize("evil", [
    "import os\n",
    "from math import *\n",
    "def f():\n    return __import__('os')\n",
    "def f():\n    return open('x')\n",
    "def f():\n    return eval('1')\n",
    "def f():\n    return ().__class__\n",
    "def f():\n    return (lambda: 1)()\n",
    "class X:\n    pass\n",
    "def f():\n    global g\n    g = 1\n    return 1\n",
    "def f(x):\n    x.y = 1\n    return x\n",
    "def f():\n    return [open for _ in ()]\n",
    "def f():\n    return globals()\n",
    "def f(x):\n    return x.__dict__\n",
    "x = print('hi')\n",
])
def test_load_module_refuses_anything_the_generator_does_not_write(evil: str) -> None:
    with pytest.raises(ValueError):
        load_module("import math\n\n" + evil)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=30))
def test_user_text_in_comments_stays_a_comment(comment: str) -> None:
    """Whatever follows '#' on a line of the source (carriage returns, NUL, U+2028, quotes, …),
    the module's comments are printable ASCII and the module holds only generated code."""
    src = f"y = x * 2  # {comment}\nreturn y + 1"
    try:
        loaded = D.load(src)
    except AdcalcError:
        assume(False)
    text = generate(loaded.program)
    assert all(" " <= ch <= "~" or ch == "\n" for ch in text), repr(text)
    ns = load_module(text)
    assert ns["f_grad"](3.0) == (7.0, (2.0,))


def test_repl_code_shows_the_module_of_the_mode_in_force() -> None:
    """`code f` in the REPL prints what `adcalc codegen` prints for f (reverse by default, forward
    after `:mode forward`), whole lines even in a narrow terminal."""
    fn = "def f(x, y):\n    return x*sin(y) + exp(2*x)*y^2 + cos(x*y)/(1+x^2)"
    typed = fn + "\n\ncode f\n:mode forward\ncode f\n"
    env = {**os.environ, "COLUMNS": "50"}
    r = subprocess.run([sys.executable, "-m", "adcalc", "repl"], input=typed, capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    shown = "\n".join(line.rstrip() for line in r.stdout.splitlines())
    for mode in ("reverse", "forward"):
        want = adcalc_cmd("codegen", fn, "--mode", mode).stdout.rstrip("\n")
        assert want in shown
    assert shown.index("def _f_rev(") < shown.index("def f_jvp(")


def _test_programs() -> list[tuple[str, str]]:
    """Every program written in the suite's program and language tests (their string literals
    that adcalc loads as a program of numbers with inputs)."""
    import ast as pyast

    found: dict[str, str] = {}
    for name in ("test_programs.py", "test_python_constructs.py", "test_element_reads.py", "test_hard_points.py"):
        path = ROOT / "tests" / name
        if not path.exists():
            continue
        for node in pyast.walk(pyast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, pyast.Constant) and isinstance(node.value, str) and "\n" in node.value \
                    and ("return" in node.value) and "[" not in node.value and len(node.value) < 2000:
                try:
                    loaded = D.load(node.value)
                except AdcalcError:
                    continue
                if loaded.program.inputs:
                    found.setdefault(node.value, f"{name}:{node.lineno}")
    return [(where, src) for src, where in found.items()]


@pytest.mark.parametrize(("where", "src"), _test_programs(), ids=lambda v: v if ":" in str(v)[:40] else "")
def test_every_test_program_matches_the_interpreter(where: str, src: str) -> None:
    names = list(D.load(src).program.inputs)
    compared = 0
    for base in (0.7, -1.3, 2.0, 0.0):
        point = {n: base + 0.25 * k for k, n in enumerate(names)}
        try:
            adcalc.grad(src, point) if D.load(src).program.n_outputs == 1 else adcalc.evaluate(src, point)
        except AdcalcError:
            continue  # the interpreter refuses this point (a limit, a type error): nothing to compare
        assert compare(src, point) == [], (where, point)
        compared += 1
    if not compared:
        pytest.skip("the interpreter refuses every point tried (an error test's program)")


# ---- what a hostile sweep found (each failed before its fix) ------------------------------------------

SWEEP = {
    "a called function overwrites its parameter": (
        "def g(a):\n    a = 1\n    return a\ndef f(x):\n    return g(x) + x*x", {"x": 3.0}),
    "a helper updates its parameter in place": (
        "def step(x, h):\n    x = x + h*sin(x)\n    return x\ndef f(x, h):\n    y = step(x, h)\n    return y*x",
        {"x": 1.2, "h": 0.5}),
    "an infinite constant partial": ("x + y/0", {"x": 1.0, "y": 1.0}),
    "inputs named nan and inf": ("nan*x + inf*2 + sin(inf)*inf", {"nan": 2.0, "x": 3.0, "inf": 0.5}),
    "inputs named like the entry points": ("ybar*2 + f_vjp*it + value", {"ybar": 1.5, "f_vjp": 2.0, "it": 3.0,
                                                                        "value": 0.5}),
    "a loop whose body is an if that continues": ("def f(x):\n    s = x\n    for i in range(3):\n        if x > 2:\n"
                                                  "            continue\n    return s * x", {"x": 3.0}),
}


@pytest.mark.parametrize("case", list(SWEEP))
def test_sweep_findings_match_the_interpreter(case: str) -> None:
    src, point = SWEEP[case]
    assert compare(src, point) == []
    r = adcalc_cmd("codegen", src, "--check", "--at", ",".join(f"{k}={v}" for k, v in point.items()))
    assert r.returncode == 0, r.stderr


def test_every_module_passes_pyflakes_and_pycodestyle_errors(tmp_path: Path) -> None:
    """ruff's classic default rules (E4, E7, E9, F) on the module of every scalar sample and of the
    control-flow programs: no unused import, no unused variable, nothing undefined."""
    sources = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples").glob("*.ad"))
               if "[" not in p.read_text(encoding="utf-8").split("# @at")[-1].split("\n")[0]]
    sources += [CONTROL, LOOP_VARIABLE_REASSIGNED, *(src for src, _ in SWEEP.values())]
    for k, src in enumerate(sources):
        try:
            text = generate(D.load(src).program)
        except AdcalcError:
            continue  # an array sample
        (tmp_path / f"m{k}.py").write_text(text, encoding="utf-8")
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select",
                           "E4,E7,E9,F", str(tmp_path)], capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout


def test_output_paths_that_would_lose_something_are_refused(tmp_path: Path) -> None:
    prog = tmp_path / "prog.ad"
    prog.write_text("return x*2\n", encoding="utf-8")
    r = adcalc_cmd("codegen", str(prog), "-o", str(prog))
    assert r.returncode == 1 and "is the program file itself" in " ".join(r.stderr.split())
    assert prog.read_text(encoding="utf-8") == "return x*2\n"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    r = adcalc_cmd("codegen", "x*2", "-o", str(fifo))  # would block forever waiting for a reader
    assert r.returncode == 1 and "not a regular file" in " ".join(r.stderr.split())
    r = adcalc_cmd("codegen", "x*2", "-o", str(tmp_path / "bad\x1b[31m.py"))
    assert r.returncode == 0 and "\x1b" not in r.stdout and "\\x1b" in r.stdout


def test_python_limits_are_clear_errors() -> None:
    loops = "".join("    " * k + f"for i{k} in range(1):\n" for k in range(1, 23))
    src = "def f(x):\n    s = x\n" + loops + "    " * 23 + "s = s + x\n    return s"
    r = adcalc_cmd("codegen", src)
    assert r.returncode == 1 and "deeper than Python allows" in " ".join(r.stderr.split())
    assert "Traceback" not in r.stderr
    deep = "def f(n, x):\n    if n <= 0:\n        return x\n    return f(n - 1, x) * 1.0"
    with pytest.raises(AdcalcError) as info:
        adcalc.compile(deep).grad(5000.0, 1.0)
    assert info.value.kind == "limit"


def test_code_in_the_repl_ignores_functions_f_does_not_call() -> None:
    r = subprocess.run([sys.executable, "-m", "adcalc", "repl"], input="h(x) = sum(x)\nf(x, y) = x*y\ncode f\n",
                       capture_output=True, text=True, timeout=120)
    assert "def f(x, y):" in r.stdout and "error" not in r.stdout + r.stderr
