"""Arrays: shapes, broadcasting, reductions, indexing and matmul in both modes.

Truths used here, none of them read adcalc's derivative rules: the documents' three examples
worked by hand (``sum(x*y)``, ``sum(x + b)`` with ``b`` broadcast across rows, ``dY = A dX + dA X``),
central finite differences of adcalc's own *values* (every primitive, random shapes, every
broadcasting case), hand-derived gradients (Rosenbrock), and the elementwise scalar rules.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from numeric import NUMPY_VS_MATH_ULPS, ulp_close, ulp_distance
from test_primitives import ROWS

import adcalc
from adcalc import AdcalcError
from adcalc.rules.registry import ARRAY_FUNCTIONS, ARRAY_PRIMITIVES, PRIMITIVES

RNG = np.random.default_rng(7)


def fd_jacobian(source: str, point: dict, h: float = 1e-6) -> np.ndarray:
    """Central differences of adcalc's values: rows = output entries, columns = input entries."""
    names = list(point)
    flat = np.concatenate([np.ravel(point[n]) for n in names]).astype(float)
    shapes = [np.shape(point[n]) for n in names]

    def unflatten(v: np.ndarray) -> dict:
        out, i = {}, 0
        for n, s in zip(names, shapes):
            size = int(np.prod(s)) if s else 1
            out[n] = v[i:i + size].reshape(s) if s else float(v[i])
            i += size
        return out

    def f(v: np.ndarray) -> np.ndarray:
        value = adcalc.evaluate(source, unflatten(v)).value
        parts = value if isinstance(value, list) else [value]
        return np.concatenate([np.ravel(p) for p in parts]).astype(float)

    cols = []
    for j in range(flat.size):
        step = h * max(1.0, abs(flat[j]))
        up, down = flat.copy(), flat.copy()
        up[j] += step
        down[j] -= step
        cols.append((f(up) - f(down)) / (2 * step))
    return np.array(cols).T


def check_both_modes(source: str, point: dict, rtol: float = 1e-6) -> None:
    """Forward and reverse Jacobians agree with each other (tightly) and with central differences."""
    fwd = np.array(adcalc.jacobian(source, point, mode="forward").jacobian)
    rev = np.array(adcalc.jacobian(source, point, mode="reverse").jacobian)
    fd = fd_jacobian(source, point)
    scale = max(1.0, float(np.max(np.abs(fd))))
    assert fwd.shape == rev.shape == fd.shape
    np.testing.assert_allclose(fwd, rev, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(fwd, fd, rtol=rtol, atol=rtol * scale)


# ---- the documents' three examples, exactly ----------------------------------------------------

@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_sum_of_product_has_gradients_y_and_x(mode: str) -> None:
    x, y = np.array([1.0, -2.0, 3.5]), np.array([0.25, 4.0, -1.0])
    r = adcalc.grad("sum(x * y)", {"x": x, "y": y}, mode=mode)
    assert r.value == float(x @ y)
    assert np.array_equal(r.gradient["x"], y) and np.array_equal(r.gradient["y"], x)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_broadcast_bias_gradient_sums_over_rows(mode: str) -> None:
    # z = sum(W * (A + b)), b broadcast across the rows of A: ∂z/∂b = Σ_rows W, ∂z/∂A = W
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = np.array([10.0, 20.0, 30.0])
    W = np.array([[1.0, -2.0, 0.5], [3.0, 1.0, -1.0]])
    r = adcalc.grad("sum(W * (A + b))", {"A": A, "b": b, "W": W}, mode=mode)
    assert np.array_equal(r.gradient["b"], W.sum(axis=0))
    assert np.array_equal(r.gradient["A"], W)
    assert r.gradient["b"].shape == b.shape and r.gradient["A"].shape == A.shape
    # the plain sum: each entry of b is used by every row
    r = adcalc.grad("sum(A + b)", {"A": A, "b": b}, mode=mode)
    assert np.array_equal(r.gradient["b"], np.full(3, 2.0))


def test_matmul_perturbation_is_a_dx_plus_da_x() -> None:
    A = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]])
    X = np.array([[2.0, 0.0, 1.0], [-1.0, 3.0, 0.5]])
    dA, dX = RNG.normal(size=A.shape), RNG.normal(size=X.shape)
    r = adcalc.jvp("A @ X", {"A": A, "X": X}, {"A": dA, "X": dX})
    np.testing.assert_allclose(r.tangent, A @ dX + dA @ X, rtol=1e-14)
    Ybar = RNG.normal(size=(3, 3))
    v = adcalc.vjp("A @ X", {"A": A, "X": X}, list(Ybar.ravel()))
    np.testing.assert_allclose(v.cotangent_result["A"], Ybar @ X.T, rtol=1e-14)
    np.testing.assert_allclose(v.cotangent_result["X"], A.T @ Ybar, rtol=1e-14)


# ---- every elementwise primitive on arrays, every broadcasting case -----------------------------

def _values(points: list[tuple], i: int, shape: tuple[int, ...]) -> np.ndarray | float:
    vals = [p[i] for p in points]
    return float(vals[0]) if shape == () else np.resize(np.array(vals, dtype=float), shape)


UNARY_SHAPES = [(3,), (2, 3)]
BINARY_SHAPES = {  # the broadcasting cases
    "scalar ⊕ vector": ((), (3,)),
    "vector ⊕ scalar": ((3,), ()),
    "row ⊕ matrix": ((3,), (2, 3)),
    "column ⊕ matrix": ((2, 1), (2, 3)),
    "matrix ⊕ matrix": ((2, 3), (2, 3)),
}
TERNARY_SHAPES = [((3,), (), (2, 3)), ((), (3,), (3,)), ((2, 1), (2, 3), (3,)), ((2, 3), (2, 3), (2, 3))]
ELEMENTWISE = [(name, shapes) for name, (_, src, pts) in ROWS.items() if src is not None
               for shapes in {1: [(s,) for s in UNARY_SHAPES], 2: list(BINARY_SHAPES.values()),
                              3: TERNARY_SHAPES}[len(pts[0])]]


# Array rules IEEE 754 makes exact (or that call ``math`` themselves): equal to the scalar rule bit
# for bit.  Every other array rule is a NumPy kernel chosen per CPU: within NUMPY_VS_MATH_ULPS of
# ``math`` (the policy in tests/numeric.py).
EXACT_ARRAY_RULES = {"add", "sub", "mul", "div", "neg", "sqrt", "abs", "max", "min", "sign", "floor", "ceil", "step",
                     "erf", "erfc", "lt", "le", "gt", "ge", "eq", "ne", "where", "mod", "floordiv", "int", "round"}


@pytest.mark.parametrize("name,shapes", ELEMENTWISE, ids=[f"{n}-{s}" for n, s in ELEMENTWISE])
def test_elementwise_primitive_on_arrays(name: str, shapes: tuple) -> None:
    _, source, points = ROWS[name]
    args = {1: ["x"], 2: ["y", "x"] if name == "atan2" else ["x", "y"], 3: ["c", "x", "y"]}[len(shapes)]
    point = {a: _values(points, i, s) for i, (a, s) in enumerate(zip(args, shapes))}
    # values: the array rule equals the scalar rule element by element (to the kernels' bound)
    ulps = 0 if name in EXACT_ARRAY_RULES else NUMPY_VS_MATH_ULPS
    value = adcalc.evaluate(source, point).value
    arrays = np.broadcast_arrays(*[np.asarray(point[a]) for a in args])
    for index in np.ndindex(*arrays[0].shape):
        scalar = adcalc.evaluate(source, {a: float(arr[index]) for a, arr in zip(args, arrays)}).value
        assert ulp_close(value[index], scalar, ulps), (index, value[index], scalar, ulp_distance(value[index], scalar))
    check_both_modes(source, point)


def test_every_elementwise_primitive_has_an_array_rule() -> None:
    assert {n for n, p in PRIMITIVES.items() if p.array} == set(PRIMITIVES)
    assert set(ROWS) >= {n for n, p in PRIMITIVES.items() if p.public or p.symbol}


# ---- every array primitive, both modes, against central differences ----------------------------

M23 = RNG.normal(size=(2, 3))
M32 = RNG.normal(size=(3, 2))
V3 = RNG.normal(size=3)
V2 = RNG.normal(size=2)
ARRAY_CASES = [
    ("array", "sum([x^2, x*y, y] * [1, 2, 3])", {"x": 1.3, "y": -0.7}),
    ("array", "y = [x^2, x*y, y]\nreturn y * 1", {"x": 1.3, "y": -0.7}),
    ("array", "[[x, y], [y*x, 2]] @ [x, 1]", {"x": 1.3, "y": -0.7}),
    ("array", "M = [v, 2*v]\nreturn M * 1", {"v": V3}),
    ("index", "v[1] * v[-1]", {"v": V3}),
    ("index", "A[1, 2] - A[0, -1]^2", {"A": M23}),
    ("index", "A[1]", {"A": M23}),
    ("index", "A[:, 1]", {"A": M23}),
    ("index", "v[1:] * v[:-1]", {"v": RNG.normal(size=5)}),
    ("index", "v[::2]", {"v": RNG.normal(size=5)}),
    ("index", "A[0:2, 1:]", {"A": M32.T}),
    ("setitem", "w = v * 1\nw[1] = w[0] * w[2]\nreturn w", {"v": V3}),
    ("setitem", "B = A * 1\nB[0] = v\nB[1, 2] += B[0, 0]^2\nreturn B", {"A": M23, "v": V3}),
    ("setitem", "w = zeros(3)\nfor i in range(3):\n    w[i] = x^(i + 1)\nreturn w", {"x": 1.7}),
    ("sum", "sum(A^2)", {"A": M23}),
    ("sum", "sum(A^2, axis=0)", {"A": M23}),
    ("sum", "sum(A^2, 1)", {"A": M23}),
    ("sum", "s = sum(A^2, axis=1)\nreturn s", {"A": M23}),  # assigned: the axis must survive
    ("mean", "mean(A * v)", {"A": M23, "v": V3}),
    ("mean", "mean(A, axis=-1)", {"A": M23}),
    ("prod", "prod(v)", {"v": V3}),
    ("prod", "prod(A, axis=0)", {"A": M23}),
    ("prod", "prod([x, 0, y])", {"x": 1.5, "y": -2.0}),  # a zero factor: Π of the others, no 0/0
    ("amax", "max(v)", {"v": np.array([0.3, 2.5, -1.0])}),
    ("amax", "max(A, axis=1)", {"A": M23}),
    ("amin", "min(A, axis=0)", {"A": M23}),
    ("matmul", "A @ B", {"A": M23, "B": M32}),
    ("matmul", "A @ v", {"A": M23, "v": V3}),
    ("matmul", "u @ A", {"u": V2, "A": M23}),
    ("matmul", "u @ w", {"u": V3, "w": -V3 + 0.5}),
    ("dot", "dot(u, w)", {"u": V3, "w": -V3 + 0.5}),
    ("dot", "dot(A, B)", {"A": M23, "B": M32}),
    ("transpose", "transpose(A) @ A", {"A": M23}),
    ("transpose", "transpose(v) * 2", {"v": V3}),
    ("norm", "norm(v)", {"v": V3}),
    ("norm", "norm(A)", {"A": M23}),
    ("zeros", "sum(v + zeros(3))", {"v": V3}),
    ("ones", "ones(2, 3) * A", {"A": M23}),
    ("len", "v[len(v) - 1] * len(v)", {"v": V3}),
]


@pytest.mark.parametrize("prim,source,point", ARRAY_CASES, ids=[f"{p}:{s}" for p, s, _ in ARRAY_CASES])
def test_array_primitive(prim: str, source: str, point: dict) -> None:
    assert prim in ARRAY_PRIMITIVES
    check_both_modes(source, point)


def test_every_array_primitive_is_tested() -> None:
    assert {p for p, _, _ in ARRAY_CASES} == set(ARRAY_PRIMITIVES)
    assert set(ARRAY_FUNCTIONS) <= {p for p, _, _ in ARRAY_CASES}


def test_reduction_values_match_numpy() -> None:
    A = M23
    for source, expected in [("sum(A)", A.sum()), ("sum(A, axis=0)", A.sum(0)), ("mean(A, 1)", A.mean(1)),
                             ("prod(A)", A.prod()), ("max(A, axis=0)", A.max(0)), ("min(A)", A.min()),
                             ("norm(A)", np.linalg.norm(A)), ("transpose(A)", A.T), ("len(A)", 2.0),
                             ("A[1, ::-1]", A[1, ::-1])]:
        np.testing.assert_allclose(adcalc.evaluate(source, {"A": A}).value, expected, rtol=1e-15)


# ---- broadcasting, generated ----------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
       op=st.sampled_from(["x + y", "x - y", "x * y", "x / y", "hypot(x, y)", "atan2(x, y)", "x ^ y"]),
       seed=st.integers(0, 2**16))
def test_random_broadcast_shapes(shapes, op: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sx, sy = shapes.input_shapes
    if sx == () and sy == ():
        return  # scalars: covered by the scalar tests
    point = {"x": rng.uniform(0.5, 2.0, sx) if sx else float(rng.uniform(0.5, 2.0)),
             "y": rng.uniform(0.5, 2.0, sy) if sy else float(rng.uniform(0.5, 2.0))}
    source = f"sum(w * ({op}))"
    point["w"] = rng.normal(size=shapes.result_shape) if shapes.result_shape else float(rng.normal())
    check_both_modes(source, point)
    g = adcalc.grad(source, point).gradient
    assert np.shape(g["x"]) == sx and np.shape(g["y"]) == sy  # gradients have the inputs' shapes


# ---- programs over arrays ----------------------------------------------------------------------

ROSENBROCK_LOOP = """
s = 0
for i in range(len(x) - 1):
    s += 100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2
return s
"""
ROSENBROCK_VECTOR = "sum(100*(x[1:]-x[:-1]^2)^2 + (1-x[:-1])^2)"


def rosenbrock_gradient(x: np.ndarray) -> np.ndarray:
    """By hand: ∂/∂xᵢ of Σ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²."""
    g = np.zeros_like(x)
    g[:-1] += -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    return g


@pytest.mark.parametrize("source", [ROSENBROCK_LOOP, ROSENBROCK_VECTOR], ids=["loop", "vectorised"])
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_rosenbrock_over_a_vector(source: str, mode: str) -> None:
    x = RNG.uniform(-1.5, 1.5, size=7)
    r = adcalc.grad(source, {"x": x}, mode=mode)
    expected = np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    assert r.value == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(r.gradient["x"], rosenbrock_gradient(x), rtol=1e-12, atol=1e-12)


def test_traced_runs_give_identical_numbers() -> None:
    point = {"x": RNG.normal(size=4), "A": M23[:, :2]}
    source = "y = A @ x[:2]\nz = sum(exp(y) * x[2:])\nreturn z + norm(x)"
    for mode in ("forward", "reverse"):
        plain = adcalc.grad(source, point, mode=mode)
        traced = adcalc.grad(source, point, mode=mode, trace=True)
        assert plain.value == traced.value
        for n in point:
            assert np.array_equal(plain.gradient[n], traced.gradient[n])
    rows = adcalc.grad(source, point, trace=True).trace.nodes
    assert [r.op for r in rows[:2]] == ["input", "input"]
    assert np.array_equal(rows[0].value, point["x"])


def test_gradient_of_an_unused_array_input_is_zeros_of_its_shape() -> None:
    r = adcalc.grad("sum(x)", {"x": [1.0, 2.0], "A": [[1.0, 2.0], [3.0, 4.0]]})
    assert np.array_equal(r.gradient["A"], np.zeros((2, 2)))
    r = adcalc.grad("x[0] + 0 * y", {"x": [1.0, 2.0], "y": 3.0})
    assert np.array_equal(r.gradient["x"], [1.0, 0.0]) and r.gradient["y"] == 0.0


# ---- diagnostics ----------------------------------------------------------------------------------

def test_elementwise_kink_and_nonfinite_name_the_element() -> None:
    r = adcalc.grad("sum(abs(x))", {"x": [1.0, 0.0, -2.0]})
    kinks = [w for w in r.warnings if w.kind == "kink"]
    assert kinks and "at [1]" in kinks[0].message and "abs'(0) = 0" in kinks[0].message
    assert np.array_equal(r.gradient["x"], [1.0, 0.0, -1.0])
    r = adcalc.evaluate("sum(log(x))", {"x": [1.0, -2.0]})
    assert any(w.kind == "nonfinite" and "at [1]" in w.message for w in r.warnings)


def test_max_reduction_tie_splits_and_warns() -> None:
    for mode in ("forward", "reverse"):
        r = adcalc.grad("max(x)", {"x": [3.0, 1.0, 3.0]}, mode=mode)
        assert np.array_equal(r.gradient["x"], [0.5, 0.0, 0.5])
        assert any(w.kind == "kink" for w in r.warnings)


def test_bad_array_use_is_a_clear_error() -> None:
    with pytest.raises(AdcalcError, match="scalar function.*shape \\(2,\\)"):
        adcalc.grad("x^2", {"x": [1.0, 2.0]})
    with pytest.raises(AdcalcError, match="rectangular"):
        adcalc.grad("sum(x)", {"x": [[1.0, 2.0], [3.0]]})
    from adcalc.ops.higher import hessian  # arrays are differentiated twice now (tests/test_hessian_arrays.py)

    assert hessian("sum(x^2)", {"x": [1.0, 2.0]}).hessian == [[2.0, 0.0], [0.0, 2.0]]
    with pytest.raises(AdcalcError, match="direction for 'x' must have its shape"):
        adcalc.jvp("sum(x)", {"x": [1.0, 2.0]}, {"x": [1.0]})
    with pytest.raises(AdcalcError, match="cotangent has 2 entries but the source has 3"):
        adcalc.vjp("x * 2", {"x": [1.0, 2.0, 3.0]}, [1.0, 1.0])


# ---- front ends: command line, JSON, REPL, batch --------------------------------------------------

def test_cli_array_bindings_and_json(capsys: pytest.CaptureFixture) -> None:
    import json

    from adcalc.front.cli import main

    code = main(["grad", "sum(x * y) + A[1, 0]", "--at", "x=[1,2,3],y=[0.5, -1, 2],A=[[1,2],[3,4]]", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out == {"value": 7.5, "gradient": {"x": [0.5, -1.0, 2.0], "y": [1.0, 2.0, 3.0],
                                              "A": [[0.0, 0.0], [1.0, 0.0]]}}
    code = main(["jacobian", "A @ v", "--at", "A=[[1,2],[3,4],[5,6]],v=[1,-1]", "--json"])
    out = json.loads(capsys.readouterr().out)
    A, v = np.array([[1, 2], [3, 4], [5, 6]], float), np.array([1, -1], float)
    assert out["value"] == (A @ v).tolist()  # the output's own shape (issue #14 item 21)
    assert out["rows"] == ["f[0]", "f[1]", "f[2]"]
    assert out["columns"] == ["A[0, 0]", "A[0, 1]", "A[1, 0]", "A[1, 1]", "A[2, 0]", "A[2, 1]", "v[0]", "v[1]"]
    assert "row-major" in out["layout"]
    expected = np.hstack([np.kron(np.eye(3), v), A])  # ∂(Av)ᵢ/∂A_ij = v_j, ∂(Av)/∂v = A
    assert np.array_equal(np.array(out["jacobian"]), expected)
    code = main(["eval", "x[1:] - x[:-1]", "--at", "x=[1, 4, 9, 16]", "--json"])
    assert json.loads(capsys.readouterr().out) == {"value": [3.0, 5.0, 7.0]}


@pytest.mark.parametrize("at,words", [("x=[1,2", "not closed"), ("x=[[1,2],[3]]", "not rectangular"),
                                      ("x=[1,,2]", "empty"), ("x=[1,a]", "not a number"), ("x=[]", "empty array"),
                                      ("x=1],y=2", "without its '['")])
def test_cli_bad_array_bindings(capsys: pytest.CaptureFixture, at: str, words: str) -> None:
    from adcalc.front.cli import main

    assert main(["grad", "sum(x)", "--at", at]) == 1  # EXIT_INPUT
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_repl_array_variables() -> None:
    import io

    from rich.console import Console

    from adcalc.front.repl.session import Session

    buf = io.StringIO()
    s = Session(Console(file=buf, width=140, color_system=None))
    assert s.execute("x = [1, 2, 3]") and "x = [1, 2, 3]" in buf.getvalue()
    assert s.execute("grad sum(x^2)") and "[2, 4, 6]" in buf.getvalue()
    assert s.execute("grad sum(v * x) at v=[1, 1, 1]")
    assert np.array_equal(s.variables["x"], [1.0, 2.0, 3.0])
    assert not s.execute("x[5]")  # an error, and the session keeps its variables
    assert np.array_equal(s.variables["x"], [1.0, 2.0, 3.0])


def test_scalar_runs_never_import_numpy(tmp_path) -> None:
    """Scalars stay on the float path: the Quickstart command does not pay NumPy's import."""
    import subprocess
    import sys

    code = ("import sys; from adcalc.front.cli import main; "
            "code = main(['grad', 'exp(2*x1)+x1*x2^2+cos(x2)', '--at', 'x1=1,x2=2', '--trace']); "
            "print(code, 'numpy' in sys.modules, file=sys.stderr)")
    # from another directory, so the installed package is imported (not the source tree)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0 and done.stderr.strip() == "0 False", done.stderr
    assert "18.7781121979" in done.stdout


def test_reverse_trace_of_an_array_program_reads_as_rules() -> None:
    from adcalc.present.traces import trace_json

    x, A = np.array([1.0, 2.0]), np.array([[1.0, 2.0], [3.0, 4.0]])
    r = adcalc.grad("s = A @ x\nreturn s[1]", {"A": A, "x": x}, trace=True)
    updates = trace_json(r.trace)["adjoint_updates"]
    texts = [u["update"] for u in updates]
    assert texts == ["v̄3 += v̄4 scattered into [1]", "v̄1 += v̄3 @ v2ᵀ", "v̄2 += v1ᵀ @ v̄3"]
    assert updates[0]["contribution"].tolist() == [0.0, 1.0]
    assert np.array_equal(updates[1]["contribution"], np.outer([0.0, 1.0], x))  # Ā = ȳ xᵀ
    assert np.array_equal(updates[2]["contribution"], A.T @ np.array([0.0, 1.0]))  # x̄ = Aᵀ ȳ


def test_every_mode_takes_arrays_now(capsys: pytest.CaptureFixture) -> None:
    """hessian, hvp and deriv said "not supported" here; tests/test_hessian_arrays.py and
    tests/test_deriv_check_arrays.py check them against hand-derived results."""
    from adcalc.front.cli import main

    assert main(["deriv", "sum([x, x]^2)", "--at", "x=1", "--order", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["derivatives"] == [4.0, 4.0, 0.0]  # 2x²: 4x, 4, 0
