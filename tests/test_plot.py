"""adcalc plot (issue #18): known functions against hand-derived truth, batched vs per point,
the JSON contract, errors, files, the terminal chart, the REPL and the API on threads."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from numeric import EPS, NUMPY_VS_MATH_ULPS, ulp_close

import adcalc
from adcalc.ops.plotting import plot

STEP = 1e-12  # the Newton tolerance: a step of at most 1e-12·max(1, |x|)


def cli(*args: str, env: dict | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, env=full_env,
                          timeout=120, cwd=tempfile.gettempdir(), input=stdin)


def plot_json(*args: str) -> dict:
    p = cli("plot", *args, "--json")
    assert p.returncode == 0, p.stderr + p.stdout
    return json.loads(p.stdout)


def near(x: float, truth: float, ulps: int = 4) -> bool:
    """Within a few doubles of the truth (Newton stops within 1e-12; it lands on the nearest doubles)."""
    return abs(x - truth) <= max(STEP * max(1.0, abs(truth)), ulps * math.ulp(truth))


# ---- known functions (hand-derived) ----------------------------------------------------------------

def test_cubic_critical_points_inflection_and_derivatives() -> None:
    """x³ − 3x: f′ = 3x² − 3 = 0 at ±1, f″ = 6x: max at −1 (f = 2), min at 1 (f = −2), inflection at 0."""
    d = plot_json("x^3 - 3*x", "--x", "x=-3:3", "--order", "2")
    assert set(d) == {"x", "value", "derivatives", "critical_points", "inflection_points", "kinks", "jumps",
                      "nonfinite", "method"}
    assert d["method"] == "batched"
    xs = d["x"]
    assert len(xs) == 1001 and xs[0] == -3.0 and xs[-1] == 3.0
    crit = d["critical_points"]
    assert [c["kind"] for c in crit] == ["max", "min"]
    assert near(crit[0]["x"], -1.0) and near(crit[1]["x"], 1.0)
    assert ulp_close(crit[0]["value"], 2.0, 4) and ulp_close(crit[1]["value"], -2.0, 4)
    (infl,) = d["inflection_points"]
    assert abs(infl["x"]) <= STEP and abs(infl["value"]) <= 4 * STEP
    assert d["kinks"] == [] and d["nonfinite"] == []
    f, (d1, d2) = d["value"], d["derivatives"]
    for x, v, a, b in zip(xs, f, d1, d2):  # every grid value against the formulas, to rounding
        assert abs(v - (x**3 - 3 * x)) <= 1e-13 * 27
        assert abs(a - (3 * x * x - 3)) <= 1e-13 * 27
        assert abs(b - 6 * x) <= 1e-13 * 18


def test_abs_kink_left_and_right_derivatives() -> None:
    """|x − 1|: a kink at 1 with f′ = −1 from the left and 1 from the right (no critical point there)."""
    d = plot_json("abs(x - 1)", "--x", "x=-3:3")
    assert d["kinks"] == [{"x": 1.0, "left": -1.0, "right": 1.0}]
    assert d["critical_points"] == [] and d["nonfinite"] == []


def test_reciprocal_has_a_gap_at_zero_never_a_line_through_it() -> None:
    """1/x on [−1, 1]: not finite at 0.  1001 points put 0 on the grid (its value is inf); 1000 do
    not, and the pole between two grid points is found anyway."""
    d = plot_json("1/x", "--x", "x=-1:1")
    assert d["x"][500] == 0.0 and d["value"][500] == "inf"
    ((a, b),) = d["nonfinite"]
    assert a <= 0.0 <= b and b - a < 1e-300
    d = plot_json("1/x", "--x", "x=-1:1", "--points", "1000")
    assert 0.0 not in d["x"] and all(isinstance(v, float) for v in d["value"])
    ((a, b),) = d["nonfinite"]
    assert a <= 0.0 <= b and b - a < 1e-300
    assert d["critical_points"] == [] and d["inflection_points"] == [] and d["kinks"] == []


def test_sine_critical_points_at_half_pi_plus_k_pi() -> None:
    d = plot_json("sin(x)", "--x", "x=0:10")
    crit = d["critical_points"]
    assert [c["kind"] for c in crit] == ["max", "min", "max"]  # π/2, 3π/2, 5π/2 (7π/2 > 10)
    for k, c in enumerate(crit):
        assert near(c["x"], math.pi / 2 + k * math.pi)
        assert c["value"] == (1.0 if k % 2 == 0 else -1.0)
    assert [round(p["x"] / math.pi, 9) for p in d["inflection_points"]] == [1.0, 2.0, 3.0]
    for k, p in enumerate(d["inflection_points"]):
        assert near(p["x"], (k + 1) * math.pi)


def test_paraboloid_minimum_and_saddle() -> None:
    d = plot_json("x^2 + y^2", "--x", "x=-2:2", "--y", "y=-2:2")
    assert set(d) >= {"x", "y", "value", "derivatives", "critical_points", "nonfinite", "method"}
    assert d["critical_points"] == [{"x": 0.0, "y": 0.0, "value": 0.0, "kind": "min", "eigenvalues": [2.0, 2.0]}]
    assert len(d["value"]) == len(d["y"]) == 101 and len(d["value"][0]) == len(d["x"]) == 101
    # value[row j][column i] = f(x[i], y[j]) and derivatives = [∂f/∂x, ∂f/∂y] = [2x, 2y]
    assert d["value"][10][90] == d["x"][90] ** 2 + d["y"][10] ** 2
    assert d["derivatives"][0][10][90] == 2 * d["x"][90] and d["derivatives"][1][10][90] == 2 * d["y"][10]
    d = plot_json("x^2 - y^2", "--x", "x=-2:2", "--y", "y=-2:2")
    assert d["critical_points"] == [{"x": 0.0, "y": 0.0, "value": 0.0, "kind": "saddle", "eigenvalues": [-2.0, 2.0]}]


def test_surface_with_four_extrema_and_a_saddle() -> None:
    """f = x·y·exp(−(x² + y²)/2): ∇f = 0 at (0, 0) (saddle) and (±1, ±1) (f = ±1/e; max where xy > 0)."""
    r = plot("x*y*exp(-(x^2+y^2)/2)", ("x", -3, 3), ("y", -3, 3))
    kinds = {(round(p["x"]), round(p["y"])): p for p in r.critical_points}
    assert set(kinds) == {(0, 0), (1, 1), (-1, -1), (1, -1), (-1, 1)}
    assert kinds[(0, 0)]["kind"] == "saddle"
    for (i, j), p in kinds.items():
        if (i, j) != (0, 0):
            assert p["kind"] == ("max" if i * j > 0 else "min")
            assert near(p["x"], float(i)) and near(p["y"], float(j))
            assert ulp_close(p["value"], i * j * math.exp(-1), NUMPY_VS_MATH_ULPS)


def test_tangent_line_and_its_equation() -> None:
    """sin(x² + 1) at 1.5: f = sin(3.25), f′ = 2·1.5·cos(3.25) (the README's running example)."""
    d = plot_json("sin(x^2 + 1)", "--x", "x=-2:2", "--tangent", "1.5")
    t = d["tangent"]
    assert t["x"] == 1.5
    assert ulp_close(t["value"], math.sin(3.25), 1) and ulp_close(t["slope"], 3 * math.cos(3.25), 2)
    assert t["equation"] == "y = -0.10819513453 − 2.98238902824·(x − 1.5)"


def test_tangent_at_a_kink_says_which_slope_it_drew() -> None:
    """|x| at 0: the one-sided derivatives are −1 and 1; the line uses abs′(0) = 0 and a warning says so."""
    p = cli("plot", "abs(x)", "--x", "x=-1:1", "--tangent", "0")
    assert p.returncode == 0 and "tangent at x = 0: y = 0 + 0·(x)" in p.stdout
    assert "x = 0 is a kink (f′ from the left -1, from the right 1)" in p.stderr
    assert "warning" not in cli("plot", "abs(x)", "--x", "x=-1:1", "--tangent", "0.5").stderr


def test_other_inputs_fixed_by_at_and_ranges_in_multiples_of_pi() -> None:
    """a·sin(x) with a = 2 over [0, 2π]: max at π/2 (f = 2), min at 3π/2."""
    d = plot_json("a*sin(x)", "--x", "x=0:2*pi", "--at", "a=2")
    assert d["x"][-1] == 2 * math.pi
    assert [(c["kind"], c["value"]) for c in d["critical_points"]] == [("max", 2.0), ("min", -2.0)]


def test_a_flat_stretch_is_not_a_thousand_critical_points() -> None:
    """max(x, 0)²: f′ = 0 on all of [−1, 0]: no isolated critical point there."""
    r = plot("max(x, 0)^2", ("x", -1, 1))
    assert r.critical_points == [] and r.kinks == []


def test_jumps_are_found_and_break_the_curve() -> None:
    """floor(x) on [−2, 2.1] jumps by 1 at −1, 0, 1 and 2; a branch whose pieces do not meet jumps
    (x² → 3x at 1: from 1 to 3); neither is a kink, and the chart does not join the pieces."""
    r = plot("floor(x)", ("x", -2, 2.1))
    assert [(j["x"], j["left"], j["right"]) for j in r.jumps] == [(-1.0, -2.0, -1.0), (0.0, -1.0, 0.0),
                                                                   (1.0, 0.0, 1.0), (2.0, 1.0, 2.0)]
    assert r.kinks == [] and r.critical_points == []
    (j,) = plot("if x < 1:\n    return x*x\nreturn 3*x\n", ("x", -2, 3)).jumps
    assert j["x"] == 1.0 and ulp_close(j["left"], 1.0, 2) and ulp_close(j["right"], 3.0, 2)
    from adcalc.present.plotview import segments

    pieces = segments(r.xs, r.values, [(j["x"], j["x"]) for j in r.jumps])
    assert len(pieces) == 5 and all(len(set(ys)) == 1 for _, ys in pieces)  # five flat steps, never joined


def test_branches_give_kinks_through_one_run_per_point() -> None:
    """A program whose branch depends on x: per point; its kink at 1 (the pieces meet: x² = 3x − 2 = 1;
    f′ from the left 2x = 2, from the right 3)."""
    src = "if x < 1:\n    return x^2\nreturn 3*x - 2\n"
    r = plot(src, ("x", -2, 3))
    assert r.method == "per-point" and "condition" in r.method_reason
    assert r.kinks == [{"x": 1.0, "left": 2.0, "right": 3.0}]
    assert [(c["x"], c["kind"]) for c in r.critical_points] == [(0.0, "min")]


# ---- batched vs per point -----------------------------------------------------------------------------

EXACT = ["x*x*x - 3*x", "1/x", "abs(x - 1)", "(x - 2)*(x + 1)/(x*x + 1)", "sqrt(x)"]  # IEEE-exact operations
LIBM = {"x^3 - 3*x": 1, "sin(x^2 + 1)": 2, "exp(2*x)*cos(x) + log(x^2 + 1)": 4, "tanh(3*x) - atan(x)": 2}  # calls


@pytest.mark.parametrize("src", EXACT + list(LIBM))
def test_batched_and_per_point_sweeps_agree(src: str) -> None:
    """The same nested-dual rules, once on arrays and once per point: bit for bit for + − × ÷ √ |·|
    (IEEE-exact on both paths); with pow and transcendental functions, NumPy's kernels and libm may
    differ by NUMPY_VS_MATH_ULPS per call (tests/numeric.py).  A composed result can cancel (x³ − 3x
    near √3), so that bound is relative to the curve's scale: calls × 8 ulps of max |curve|, plus
    one rounding per operation of the same size."""
    batched = plot(src, ("x", -2, 2), order=3, points=401)
    single = plot(src, ("x", -2, 2), order=3, points=401, batch=False)
    assert batched.method == "batched" and single.method == "per-point"
    for a, b in zip([batched.values, *batched.derivatives], [single.values, *single.derivatives]):
        if src in EXACT:
            assert all(ulp_close(u, v, 0) for u, v in zip(a, b)), src
        else:
            scale = max(abs(v) for v in a if math.isfinite(v))
            bound = (LIBM[src] * NUMPY_VS_MATH_ULPS + 16) * EPS * scale
            assert max(abs(u - v) for u, v in zip(a, b)) <= bound, src
    assert batched.kinks == single.kinks
    assert len(batched.critical_points) == len(single.critical_points)


def test_method_is_said_in_json() -> None:
    d = plot_json("x^x", "--x", "x=0.1:2")  # pow's special cases are decided elementwise: batched
    assert d["method"] == "batched"
    # x^x = e^(x ln x): f′ = x^x (ln x + 1) = 0 at x = 1/e, a minimum
    (c,) = d["critical_points"]
    assert near(c["x"], math.exp(-1)) and c["kind"] == "min"
    per_point = plot_json("def f(x):\n    if x < 1:\n        return x^x\n    return x*x", "--x", "x=0.1:2")
    assert per_point["method"] == "per-point" and per_point["method_reason"]  # a condition on x
    (c,) = per_point["critical_points"]
    assert near(c["x"], math.exp(-1)) and c["kind"] == "min"


# ---- errors -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["x^2", "--x", "x=2:2"], "the interval x=2:2 is empty"),
    (["x^2", "--x", "x=3:1"], "the interval x=3:1 is reversed"),
    (["x^2", "--x", "x=-1e308:1e308"], "wider than a float can span"),  # the fuzz: HI − LO overflowed
    (["x^2", "--x", "z=0:1"], "'z' is not an input of the source (its inputs: x)"),
    (["[x, x^2]", "--x", "x=0:1"], "say which output to plot: --output i (1 … 2)"),
    (["x*y", "--x", "x=0:1"], "no value for y"),
    (["x^2", "--x", "x=0"], "'x=0' is not NAME=LO:HI"),
    (["x^2", "--x", "x=0:1", "-o", "plot.gif"], "must end in .svg, .png or .pdf"),
    (["x^2", "--x", "x=0:1", "--tangent", "1,2"], "--tangent takes one number"),
    (["x^2 +", "--x", "x=0:1"], ""),
])
def test_errors_are_clear_and_never_a_traceback(args: list[str], message: str) -> None:
    p = cli("plot", *args)
    assert p.returncode in (1, 2) and "Traceback" not in p.stderr and p.stdout == ""
    assert message in p.stderr
    j = cli("plot", *args, "--json")
    assert j.returncode == p.returncode and "Traceback" not in j.stderr
    if p.returncode == 1:
        assert message in json.loads(j.stdout)["error"]["message"]


def test_vector_source_with_output_chosen() -> None:
    d = plot_json("[x, x^2 - 1]", "--x", "x=-1:2", "--output", "2")
    (c,) = d["critical_points"]
    assert c == {"x": 0.0, "value": -1.0, "kind": "min"}


def test_failing_points_become_gaps_with_one_warning() -> None:
    """Under --strict, sqrt(x) fails for x < 0: 500 of 1001 points are gaps, and one warning says so."""
    p = cli("plot", "sqrt(x)", "--x", "x=-1:1", "--strict", "--json")
    assert p.returncode == 0, p.stdout
    d = json.loads(p.stdout)
    assert d["value"][:500] == ["nan"] * 500 and d["value"][500] == 0.0 and d["value"][-1] == 1.0
    (w,) = d["warnings"]
    assert w["kind"] == "plot_failures" and "fails at 500 of 1001 points" in w["message"] and "x=-1" in w["message"]
    p = cli("plot", "sqrt(x)", "--x", "x=-1:1", "--strict")
    assert p.returncode == 0 and p.stderr.count("warning") == 1 and "fails at 500 of 1001 points" in p.stderr


def test_missing_matplotlib_names_the_extra(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['matplotlib'] = None\nfrom adcalc.front.cli import main\n"
            f"sys.exit(main(['plot', 'x^2', '--x', 'x=0:1', '-o', {str(tmp_path / 'p.svg')!r}]))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and 'pip install "adcalc[plot]"' in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "p.svg").exists()


def test_o_refuses_a_fifo_and_the_program_file(tmp_path: Path) -> None:
    fifo = tmp_path / "p.svg"
    os.mkfifo(fifo)
    p = cli("plot", "x^2", "--x", "x=0:1", "-o", str(fifo))
    assert p.returncode == 1 and "not a regular" in p.stderr
    prog = tmp_path / "prog.svg"
    prog.write_text("x^2\n")
    p = cli("plot", str(prog), "--x", "x=0:1", "-o", str(prog))
    assert p.returncode == 1 and "the program file itself" in p.stderr and prog.read_text() == "x^2\n"


# ---- files ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-")])
def test_files_are_written(tmp_path: Path, suffix: str, magic: bytes) -> None:
    out = tmp_path / f"plot{suffix}"
    p = cli("plot", "abs(x - 1) + 1/x", "--x", "x=-3:3", "--order", "2", "--tangent", "2", "-o", str(out))
    assert p.returncode == 0, p.stderr
    data = out.read_bytes()
    assert len(data) > 1000 and data.startswith(magic)
    assert f"plot written to {out}" in p.stdout and "kinks" in p.stdout
    if suffix == ".svg":
        texts = "".join(ET.parse(out).getroot().itertext())  # it parses
        assert "Matplotlib" in texts or "matplotlib" in data.decode()


def test_surface_file(tmp_path: Path) -> None:
    out = tmp_path / "saddle.svg"
    p = cli("plot", "x^2 - y^2", "--x", "x=-2:2", "--y", "y=-2:2", "-o", str(out), "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["file"] == str(out)
    ET.parse(out)


# ---- the terminal chart --------------------------------------------------------------------------------

@pytest.mark.parametrize("columns", [25, 53, 80, 137, 201])
def test_chart_fits_columns_and_has_no_colour_when_piped(columns: int) -> None:
    p = cli("plot", "x^3 - 3*x", "--x", "x=-3:3", "--order", "2", "--tangent", "0.5",
            env={"COLUMNS": str(columns), "NO_COLOR": ""})
    assert p.returncode == 0 and "\x1b[" not in p.stdout
    lines = p.stdout.splitlines()
    assert lines[0] == "f(x) for x in [-3, 3]"
    chart = lines[1:lines.index("")]
    assert chart[0].strip() == "x^3 - 3*x"  # the title
    assert all(len(line) <= max(columns, 25) for line in chart)
    assert sum("┤" in line for line in chart) >= 3 and any("└" in line for line in chart)
    if columns < 53:
        return  # the lists below wrap at the width
    assert "critical points (f′ = 0)" in p.stdout and "tangent at x = 0.5: y = -1.375 − 2.25·(x − 0.5)" in p.stdout
    assert "1,001 points · one batched sweep over all points" in p.stdout


def test_chart_on_a_terminal_has_colour_and_marks() -> None:
    import pexpect

    child = pexpect.spawn(sys.executable, ["-m", "adcalc", "plot", "x^3 - 3*x", "--x", "x=-3:3"],
                          env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "90", "LINES": "40"},
                          cwd=tempfile.gettempdir(), encoding="utf-8", timeout=60, dimensions=(40, 90))
    child.expect(pexpect.EOF)
    out = child.before
    child.close()
    assert child.exitstatus == 0
    assert "\x1b[" in out  # colour on a terminal
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "●" in plain and "◆" in plain and "x^3 - 3*x" in plain


def test_heat_map_marks_the_saddle() -> None:
    p = cli("plot", "x^2 - y^2", "--x", "x=-2:2", "--y", "y=-2:2", env={"COLUMNS": "61"})
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert lines[0] == "f(x, y) for x in [-2, 2], y in [-2, 2]"
    rows = [line.split("│", 1)[1] for line in lines if "│" in line]
    (j,) = [j for j, row in enumerate(rows) if "S" in row]
    assert abs(j - (len(rows) - 1) / 2) <= 0.5 and abs(rows[j].index("S") - (len(rows[j]) - 1) / 2) <= 0.5
    assert all(len(line) <= 61 for line in lines[:len(rows) + 4])
    assert re.search(r"\b0\s+0\s+0\s+saddle\s+-2, 2", p.stdout)


# ---- the REPL and the API ------------------------------------------------------------------------------

def test_repl_plot_through_a_pipe() -> None:
    session = "f(x) = x^3 - 3*x\nplot f x=-3:3 order 2 tangent 0.5\nplot f x=3:1\nplot f\n"
    p = cli(stdin=session, env={"COLUMNS": "100"})
    assert p.returncode == 1  # two lines failed
    assert "f(x) for x in [-3, 3]" in p.stdout
    assert re.search(r"-1\s+2\s+max", p.stdout) and re.search(r"1\s+-2\s+min", p.stdout)
    assert "y = -1.375 − 2.25·(x − 0.5)" in p.stdout
    assert "the interval x=3:1 is reversed" in p.stderr and "plot needs the interval" in p.stderr
    assert "Traceback" not in p.stderr


def test_repl_plot_on_a_terminal(tmp_path: Path) -> None:
    import pexpect

    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "TERM": "xterm", "COLUMNS": "100", "LINES": "50",
           "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "adcalc"], env=env, cwd=tempfile.gettempdir(), encoding="utf-8",
                          timeout=60, dimensions=(50, 100))
    try:
        child.expect("adcalc> ")
        child.send("f(x) = x^3 - 3*x\r")
        child.expect("defined f")
        child.send("plot f x=-3:3 order 5\r")
        child.expect("must be a whole number from 1 to 4")
        child.send("plot f x=-3:3 order 2\r")
        child.expect("critical points")
        chart = [line for line in child.before.splitlines() if "┤" in line]
        assert len(chart) >= 3 and all("\x1b[" in line for line in chart)  # the chart, in colour on a terminal
        child.expect("inflection points")
        child.expect("1,001 points · one batched sweep")
        child.expect("adcalc> ")
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)


def test_repl_plot_uses_session_variables_for_other_inputs() -> None:
    p = cli(stdin="a = 2\ng(x, a) = a*sin(x)\nplot g x=0:2*pi\n", env={"COLUMNS": "100"})
    assert p.returncode == 0, p.stderr
    assert "g(x, a=2) for x in [0, 6.28318530718]" in p.stdout
    assert re.search(r"1.57079632679\s+2\s+max", p.stdout)


def test_api_plot_from_threads_gives_the_same_result() -> None:
    results: list[object] = []

    def work() -> None:
        results.append(adcalc.plot("sin(x)*exp(-x/4)", ("x", 0, 12), order=2))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first = results[0]
    assert len(results) == 4
    for r in results[1:]:
        assert r.values == first.values and r.critical_points == first.critical_points  # type: ignore[attr-defined]
    # f′ = e^(−x/4)(cos x − sin(x)/4) = 0 where tan x = 4
    xs = [c["x"] for c in first.critical_points]  # type: ignore[attr-defined]
    assert all(near(x, math.atan(4) + k * math.pi) for k, x in enumerate(xs)) and len(xs) == 4


@pytest.mark.parametrize("args", [["abs(x - 1) + 1/x", "--x", "x=0:2*pi", "--points", "2"],
                                  ["log(x)", "--x", "x=-2:-1", "--points", "5"],
                                  ["0*x + 3", "--x", "x=0:1", "--points", "2"]])
def test_charts_with_no_segment_or_one_level_draw(args: list[str]) -> None:
    """Found by the fuzz: a chart whose curves are single points or all gaps gave plotext nan
    ticks (an internal error): the axes get explicit limits then."""
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "adcalc", "plot", *args], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "internal error" not in p.stderr, p.stderr
    assert "points ·" in p.stdout
