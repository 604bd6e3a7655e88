"""H·v and Hessians of loop-form array programs (``x[i]`` read in a loop) on the float path
(``transform.floatsecond``, issue #19).

The truths: the general step of the forward-over-reverse mode it replaces on numbers
(``SecondOrderMode``: the same operations on (k,) arrays, so the same floats — compared exactly,
a zero's sign aside), step by step for every primitive and on random loop programs; the
hand-derived tridiagonal Hessian of Rosenbrock's function; the vectorised form and the form with
one scalar input per entry (other operations, so within a stated bound); central differences of
reverse-mode gradients; and the notes the old path gave.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
import threading
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numeric import close_to_scale, ulp_close

import adcalc
from adcalc.language.ir import Eqn, Var
from adcalc.ops import higher
from adcalc.rules.registry import PRIMITIVES
from adcalc.transform.floatsecond import FloatSecondOrderMode
from adcalc.transform.reverse import ReverseMode
from adcalc.transform.secondorder import HNode, SecondOrderMode

POINTS = [-2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, math.inf, math.nan, 1e-300]
UNARY = sorted(n for n, p in PRIMITIVES.items() if p.arity == 1)
BINARY = sorted(n for n, p in PRIMITIVES.items() if p.arity == 2)

LOOP = "s = 0\nfor i in range(len(x) - 1):\n    s += 100*(x[i+1] - x[i]^2)^2 + (1 - x[i])^2\nreturn s"
VECTOR = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"


def rosen_hessian(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """By hand: f = Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)² is tridiagonal; with the sum of the absolute
    values of each entry's terms (the scale its rounding is relative to)."""
    n = len(x)
    h, s = np.zeros((n, n)), np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        s[i, i] += 1200 * x[i] ** 2 + 400 * abs(x[i + 1]) + 2
        h[i + 1, i + 1] += 200
        s[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
        s[i, i + 1] = s[i + 1, i] = 400 * abs(x[i])
    return h, s


def cli_json(*args: str) -> dict:
    p = subprocess.run([sys.executable, "-m", "adcalc", *args, "--json"], capture_output=True, text=True,
                       timeout=300, env={**os.environ, "NO_COLOR": "1"})
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    return json.loads(p.stdout)


def text(v: np.ndarray) -> str:
    return json.dumps(np.asarray(v).tolist()).replace(" ", "")


def old_path(fn: object, *args: object, **kw: object) -> object:
    """The same operation with the general-step mode the float path replaces."""
    with mock.patch("adcalc.ops.secondorder.FloatSecondOrderMode", SecondOrderMode):
        return fn(*args, **kw)  # type: ignore[operator]


def notes(r: object) -> list:
    return [(w.kind, w.message, w.count, w.span) for w in r.warnings]  # type: ignore[attr-defined]


# ---- one step on numbers against the general step, every primitive ------------------------------

def step(mode_class: type, prim_name: str, values: tuple, active: tuple, tangents: tuple, seed: tuple) -> tuple:
    """One primitive on scalar inputs (``tangents[i]``: argument i's, if it is ``active``), then one
    sweep from the seed pair: the value, the tangents, each input's pair, the warnings (or the error)."""
    prim = PRIMITIVES[prim_name]
    k = len(tangents[0])
    moving = [i for i, a in enumerate(active) if a]
    m = mode_class([np.array(tangents[i]) for i in moving])
    args = [m.input(moving.index(i), f"a{i}", v) if a else v for i, (v, a) in enumerate(zip(values, active))]
    site = Eqn("v9", "p", tuple(Var(f"a{i}") for i in range(len(values))), None, ())
    try:
        if mode_class is SecondOrderMode:
            out = m.apply(prim, args, site)
        else:
            out = m.apply1(prim, args[0], site) if len(args) == 1 else m.apply2(prim, args[0], args[1], site)
    except Exception as e:  # noqa: BLE001 - both paths must fail alike
        return ("error", type(e).__name__, str(e))
    warnings = [(w.kind, w.message, w.count) for w in m.warnings]
    if type(out) is not HNode:
        return ("constant", out, warnings)
    adj = m.sweep({out.index: (seed[0], np.array(seed[1]))})
    pairs = []
    for a in args:
        if type(a) is HNode:
            pair = adj[a.index]
            pairs.append((0.0, np.zeros(k)) if pair is None else
                         (pair[0], np.zeros(k) if pair[1] is None else np.ravel(pair[1])))
    return ("ok", out.value, np.ravel(out.tangent), pairs, warnings)


def reverse_adjoints(prim_name: str, values: tuple, active: tuple, g: float) -> list[float]:
    """The same step's adjoints by reverse mode's float path (the gradient part's truth)."""
    prim = PRIMITIVES[prim_name]
    m = ReverseMode()
    args = [m.input(i, f"a{i}", v) if a else v for i, (v, a) in enumerate(zip(values, active))]
    site = Eqn("v9", "p", tuple(Var(f"a{i}") for i in range(len(values))), None, ())
    out = m.apply1(prim, args[0], site) if len(args) == 1 else m.apply2(prim, args[0], args[1], site)
    adj = m.gradient([out], [g])
    return [adj[a] for a in args if type(a) is int]


def same_step(a: tuple, b: tuple, gradient: list[float], pairs: bool = True) -> bool:
    """The float path ``a`` against the general step ``b``: the same value, tangents, adjoints'
    tangents (if ``pairs``) and warnings; the adjoints those of reverse mode (``gradient``)."""
    if a[0] != b[0] or a[0] != "ok":
        return a == b or (a[0] == b[0] == "constant" and ulp_close(a[1], b[1], 0) and a[2] == b[2])
    return (ulp_close(a[1], b[1], 0) and ulp_close(a[2], b[2], 0) and a[4] == b[4] and len(a[3]) == len(b[3])
            and (not pairs or all(ulp_close(p[1], q[1], 0) for p, q in zip(a[3], b[3])))
            and ulp_close([p[0] for p in a[3]], gradient, 0))


# k = 1 (hvp: floats) and k = 3 (a Hessian's (k,) arrays), tangents with zeros among them
TANGENTS_1 = [((0.75,), (-2.0,)), ((0.0,), (1.5,)), ((0.0,), (0.0,))]
TANGENTS_3 = [((1.0, 0.0, -0.5), (0.0, 1.0, 3.0))]


@pytest.mark.parametrize("name", UNARY)
def test_a_step_of_one_number_equals_the_general_step(name: str) -> None:
    for x, (t, _), seed in itertools.product(POINTS, TANGENTS_1 + TANGENTS_3, [(1.5, -0.25), (0.0, 2.0)]):
        k = len(t)
        s = (seed[0], (seed[1],) * k)
        fast = step(FloatSecondOrderMode, name, (x,), (True,), (t,), s)
        slow = step(SecondOrderMode, name, (x,), (True,), (t,), s)
        assert same_step(fast, slow, reverse_adjoints(name, (x,), (True,), seed[0])), (name, x, t, seed, fast, slow)


@pytest.mark.parametrize("name", BINARY)
def test_a_step_of_two_numbers_equals_the_general_step(name: str) -> None:
    points = [-2.5, -0.0, 0.0, 0.5, 1.0, 3.0, math.inf, math.nan]
    for x, y in itertools.product(points, points):
        for active in ((True, True), (True, False), (False, True)):
            for tangents in TANGENTS_1 + TANGENTS_3:
                k = len(tangents[0])
                s = (1.5, (-0.25,) * k)
                fast = step(FloatSecondOrderMode, name, (x, y), active, tangents, s)
                slow = step(SecondOrderMode, name, (x, y), active, tangents, s)
                gradient = reverse_adjoints(name, (x, y), active, s[0])
                # The general step took pow's ∂/∂x as its boxes' primal: at (nan, ±0) the float
                # rule (and reverse mode) says 0 — "x^0 is constant" — but the boxed formula nan,
                # and the boxes' nan reached the adjoint and its tangent.  The float path keeps
                # the float rule, so its gradient is reverse mode's there too.
                boxed_nan = name == "pow" and x != x and y == 0.0 and active[1]
                assert same_step(fast, slow, gradient, not boxed_nan), (name, x, y, active, tangents, fast, slow)


def element_step(mode_class: type, x: np.ndarray, key: tuple, k: int) -> tuple:
    """``x[key]`` of an input array by ``element`` (the float path) or by the ``index`` rule's
    general step, then one sweep: the value, its tangents, the array's pair, warnings or the error."""
    from test_modes import element_site

    from adcalc import AdcalcError
    from adcalc.rules.registry import REGISTRY

    seed = np.arange(1.0, k * x.size + 1).reshape((k,) + x.shape) * np.where(np.arange(k) % 2, -0.5, 1.0).reshape(
        (k,) + (1,) * x.ndim)
    m = mode_class([seed])
    node = m.input(0, "x", x)
    prim, site = REGISTRY["index"], element_site(len(key))
    try:
        out = m.applyn(prim, [node, *key], site) if mode_class is SecondOrderMode else m.element(prim, node, key, site)
    except AdcalcError as e:
        return ("error", e.kind, e.message)
    warnings = [(w.kind, w.message, w.count) for w in m.warnings]
    value, tangent = out.value, np.ravel(out.tangent)
    pair = m.sweep({out.index: (1.5, np.linspace(-1.0, 2.0, k).reshape((k,) + np.shape(value)))})[node.index]
    return ("ok", value, tangent, pair[0], pair[1], warnings)


@pytest.mark.parametrize("k", [1, 3])
def test_an_element_read_equals_the_index_rules_general_step(k: int) -> None:
    """x[i], A[i, j] at every kind of subscript (negative, out of range, fractional, nan, too many)
    and element (±0, inf, nan): the same value, tangents, adjoint pair of the array, notes, errors."""
    from test_modes import element_cases

    for x, key in element_cases():
        fast = element_step(FloatSecondOrderMode, x, key, k)
        slow = element_step(SecondOrderMode, x, key, k)
        assert fast[0] == slow[0], (x.tolist(), key, fast, slow)
        if fast[0] == "error":
            assert fast == slow
            continue
        assert all(ulp_close(a, b, 0) for a, b in zip(fast[1:5], slow[1:5])) and fast[5] == slow[5], (key, fast, slow)


# ---- Rosenbrock's function written as a loop: hand-derived, vectorised, scalar inputs ------------

def test_the_loop_forms_hessian_is_the_hand_derived_tridiagonal_one_through_the_cli() -> None:
    x = np.random.default_rng(19).uniform(-1.5, 1.5, 60)
    out = cli_json("hessian", LOOP, "--at", f"x={text(x)}")
    h, s = rosen_hessian(x)
    got = np.array(out["hessian"])
    # Each entry is at most three terms (1200xᵢ², 400xᵢ₊₁, 2, 200), each a few roundings on either
    # side (≤ 16 in all, each ≤ u = EPS/2 of the terms): 8·EPS·Σ|terms|.
    assert close_to_scale(got, h, s, 8)
    assert not got[np.abs(np.subtract.outer(range(60), range(60))) > 1].any()  # exactly zero off the band
    assert np.array_equal(got, got.T)
    vec = cli_json("hessian", VECTOR, "--at", f"x={text(x)}")
    assert close_to_scale(got, np.array(vec["hessian"]), s, 16)  # both within 8·EPS of the hand-derived
    assert out["gradient"] == vec["gradient"] or close_to_scale(out["gradient"]["x"], vec["gradient"]["x"],
                                                                np.abs(vec["gradient"]["x"]) + 400, 16)


def test_the_loop_forms_hvp_is_the_hand_derived_hessian_times_v_through_the_cli() -> None:
    rng = np.random.default_rng(23)
    x, v = rng.uniform(-1.5, 1.5, 100), rng.normal(size=100)
    out = cli_json("hvp", LOOP, "--at", f"x={text(x)}", "--dir", f"x={text(v)}")
    h, s = rosen_hessian(x)
    # H·v adds at most three entries times v: 16·EPS relative to Σⱼ |terms of Hᵢⱼ|·|vⱼ|
    assert close_to_scale(out["hvp"]["x"], h @ v, s @ np.abs(v), 16)
    assert out["value"] == pytest.approx(float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)),
                                         rel=1e-13)
    assert out["gradient"]["x"] == adcalc.grad(LOOP, {"x": x}).gradient["x"].tolist()  # reverse mode's floats


def test_the_loop_form_equals_one_scalar_input_per_entry() -> None:
    x = np.array([0.7, -1.1, 0.4, 1.3, -0.2])
    names = [f"x{i}" for i in range(5)]
    scalar_src = " + ".join(f"100*({names[i + 1]} - {names[i]}^2)^2 + (1 - {names[i]})^2" for i in range(4))
    point = dict(zip(names, x.tolist()))
    scalar = higher.hessian(scalar_src, point)
    loop = higher.hessian(LOOP, {"x": x})
    _, s = rosen_hessian(x)
    assert close_to_scale(np.array(loop.hessian), np.array(scalar.hessian), s, 16)
    v = np.array([1.0, -0.5, 0.25, 2.0, -1.0])
    hv_scalar = higher.hvp(scalar_src, point, dict(zip(names, v.tolist())))
    hv_loop = higher.hvp(LOOP, {"x": x}, {"x": v})
    assert close_to_scale(hv_loop.hvp["x"], [hv_scalar.hvp[n] for n in names], s @ np.abs(v), 32)


def test_the_float_path_gives_the_general_steps_floats_on_rosenbrock() -> None:
    rng = np.random.default_rng(29)
    x, v = rng.uniform(-1.5, 1.5, 80), rng.normal(size=80)
    new, old = higher.hessian(LOOP, {"x": x}), old_path(higher.hessian, LOOP, {"x": x})
    assert new.hessian == old.hessian and np.array_equal(new.gradient["x"], old.gradient["x"])
    new_v, old_v = higher.hvp(LOOP, {"x": x}, {"x": v}), old_path(higher.hvp, LOOP, {"x": x}, {"x": v})
    assert np.array_equal(new_v.hvp["x"], old_v.hvp["x"]) and np.array_equal(new_v.gradient["x"], old_v.gradient["x"])


def test_hessian_sparse_on_the_loop_form_through_the_cli() -> None:
    x = np.random.default_rng(31).uniform(-1.0, 1.5, 50)
    out = cli_json("hessian", LOOP, "--at", f"x={text(x)}", "--sparse")
    assert out["sparsity"]["colors"] == 3 and out["sparsity"]["sweeps"] == 3
    h, s = rosen_hessian(x)
    got = np.zeros((50, 50))
    for (i, j), value in zip(out["sparsity"]["nonzeros"], out["nonzeros"]):
        got[i, j] = value
    assert close_to_scale(got, h, s, 8)


# ---- mixed programs: element reads with whole-array steps, scalar inputs, calls, constants -------

MIXED = [
    ("s = sum(exp(x))\nfor i in range(3):\n    s += x[i] * x[2 - i] * y\nreturn s * x[1]",
     {"x": [0.5, -1.0, 2.0], "y": 1.5}),
    ("x[0] * sum(x^2) + x[2] * x[1] + norm(x) * y^2", {"x": [0.5, -1.0, 2.0], "y": -0.5}),
    ("def g(a, b):\n    return a * sin(b) + b^3\ns = 0\nfor i in range(len(x) - 1):\n    s += g(x[i], x[i+1] * y)\n"
     "return s + dot(x, x) * x[0]", {"x": [0.3, 1.2, -0.7, 0.9], "y": 0.8}),
    ("v = [x[0] * x[1], tanh(x[2]), y * x[0]]\nreturn sum(v * v) + prod(v)", {"x": [0.3, -1.2, 0.7], "y": 2.0}),
    ("z = x * 1\nfor i in range(len(x)):\n    z[i] = x[i]^2 * y\nreturn sum(z * x) + z[1] * x[2]",
     {"x": [0.3, -1.2, 0.7], "y": 2.0}),
    ("s = 0\nfor i in range(2):\n    for j in range(2):\n        s += A[i, j] * x[i] * x[j] + exp(A[i, j] * x[j])\n"
     "return s",
     {"A": [[1.0, 2.0], [-0.5, 0.25]], "x": [0.4, -0.6]}),
    ("s = y\nwhile s < 5:\n    s = s * (1 + x[0]^2) + x[1]\nreturn s * max(x[0], x[1])", {"x": [0.6, 0.9], "y": 1.0}),
    ("s = 0\nfor i in range(1, len(x) + 1):\n    s += max(x[-i], y, x[i - 1] * y)^2 * sin(x[-i])\nreturn s",
     {"x": [0.6, -0.9, 1.4], "y": 0.5}),
]


@pytest.mark.parametrize("src, point", MIXED, ids=[f"mixed{i}" for i in range(len(MIXED))])
def test_mixed_programs_give_the_general_steps_floats_and_finite_differences(src: str, point: dict) -> None:
    point = {k: np.array(v) if isinstance(v, list) else v for k, v in point.items()}
    wrts = [None] + (["x"] if len(point) > 1 else [])
    for wrt in wrts:
        new, old = higher.hessian(src, point, wrt=wrt), old_path(higher.hessian, src, point, wrt=wrt)
        assert ulp_close(new.hessian, old.hessian, 0) and notes(new) == notes(old), (src, wrt)
        names = new.inputs
        v = {n: np.linspace(-1.0, 1.5, np.size(point[n])).reshape(np.shape(point[n])) if np.ndim(point[n])
             else 0.75 for n in names}
        hv, hv_old = higher.hvp(src, point, v, wrt=wrt), old_path(higher.hvp, src, point, v, wrt=wrt)
        for n in names:
            assert ulp_close(hv.hvp[n], hv_old.hvp[n], 0) and ulp_close(hv.gradient[n], hv_old.gradient[n], 0)
            assert ulp_close(hv.gradient[n], adcalc.grad(src, point, wrt=wrt).gradient[n], 0)
        assert notes(hv) == notes(hv_old)
        # central differences of reverse-mode gradients (step 1e-5: truncation O(h²·f''') and
        # roundoff O(EPS·|∇f|/h) both below 1e-7 of these functions' scale)
        flat = np.concatenate([np.ravel(point[n]) for n in names])
        cols = []
        for j in range(flat.size):
            moved = []
            for sign in (1.0, -1.0):
                f = flat.copy()
                f[j] += sign * 1e-5
                pt, at = dict(point), 0
                for n in names:
                    size = int(np.size(point[n]))
                    pt[n] = f[at:at + size].reshape(np.shape(point[n])) if np.ndim(point[n]) else float(f[at])
                    at += size
                g = adcalc.grad(src, pt, wrt=wrt).gradient
                moved.append(np.concatenate([np.ravel(g[n]) for n in names]))
            cols.append((moved[0] - moved[1]) / 2e-5)
        fd = np.array(cols).T
        assert np.allclose(new.hessian, fd, rtol=1e-6, atol=1e-6 * max(1.0, float(np.max(np.abs(fd))))), (src, wrt)
        hv_flat = np.concatenate([np.ravel(hv.hvp[n]) for n in names])
        v_flat = np.concatenate([np.ravel(v[n]) for n in names])
        # the same terms summed in other orders (see the random programs below)
        scale = max(1.0, float(np.max(np.abs(fd))))
        assert np.allclose(hv_flat, np.array(new.hessian) @ v_flat, rtol=0.0,
                           atol=1e-12 * scale * float(np.sum(np.abs(v_flat))))


# ---- random loop programs reading x[i] ------------------------------------------------------------

LEAF = st.sampled_from(["x[i]", "x[i+1]", "x[0]", "t", "y", "0.5", "1.5"])
SMOOTH_LEAF = st.sampled_from(["x[i]", "x[i+1]", "x[0]", "t", "y", "0.5"])


def _expr(children: st.SearchStrategy, kinks: bool) -> st.SearchStrategy:
    parts = [
        st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(lambda e: f"({e[0]} {e[1]} {e[2]})"),
        st.tuples(children, children).map(lambda e: f"({e[0]} / (1.5 + ({e[1]})^2))"),
        st.tuples(st.sampled_from(["sin", "cos", "tanh", "atan"]), children).map(lambda e: f"{e[0]}({e[1]})"),
        children.map(lambda e: f"exp(0.3*{e})"),
        children.map(lambda e: f"sqrt(1 + ({e})^2)"),
        st.tuples(children, st.sampled_from(["2", "3"])).map(lambda e: f"({e[0]})^{e[1]}"),
    ]
    if kinks:
        parts += [children.map(lambda e: f"abs({e})"),
                  st.tuples(children, children).map(lambda e: f"max({e[0]}, {e[1]})"),
                  children.map(lambda e: f"sqrt(abs({e}))"),
                  children.map(lambda e: f"log(abs({e}))")]
    return st.one_of(*parts)


def loop_program(kinks: bool) -> st.SearchStrategy:
    leaf = LEAF if kinks else SMOOTH_LEAF
    expr = st.recursive(leaf, lambda c: _expr(c, kinks), max_leaves=6)
    branch = st.sampled_from(["", "    if x[i] > 0.2:\n        s = s * 0.5 + t\n"]) if kinks else st.just("")
    return st.tuples(expr, expr, branch).map(
        lambda e: f"s = 0.25 * y\nt = y\nfor i in range(len(x) - 1):\n    t = {e[0]}\n    s = s + {e[1]}\n{e[2]}"
                  "return s")


POINT = st.tuples(st.integers(2, 5), st.integers(0, 2**32 - 1))


def point_of(n: int, seed: int, special: bool) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, n)
    if special:  # exact zeros and ties: kinks and non-finite values in some iterations
        x[rng.integers(0, n)] = 0.0
        x[rng.integers(0, n)] = x[rng.integers(0, n)]
    return {"x": x, "y": float(rng.uniform(-1.0, 1.0))}, {"x": rng.normal(size=n), "y": float(rng.normal())}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loop_program(kinks=True), POINT, st.booleans())
def test_random_loop_programs_give_the_general_steps_floats_and_notes(src: str, at: tuple, special: bool) -> None:
    """hvp (k = 1, floats) and hessian (k = 3, arrays) against the mode the float path replaces:
    the same floats, the same notes (kinks, ties, non-finite values), the gradient reverse mode's."""
    point, v = point_of(*at, special)
    new, old = higher.hvp(src, point, v), old_path(higher.hvp, src, point, v)
    for n in ("x", "y"):
        assert ulp_close(new.hvp[n], old.hvp[n], 0), (src, n, new.hvp, old.hvp)
        assert ulp_close(new.gradient[n], adcalc.grad(src, point).gradient[n], 0), (src, n)
    assert notes(new) == notes(old)
    h_new, h_old = higher.hessian(src, point), old_path(higher.hessian, src, point)
    assert ulp_close(h_new.hessian, h_old.hessian, 0) and notes(h_new) == notes(h_old), src


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loop_program(kinks=False), POINT)
def test_random_smooth_loop_programs_against_finite_differences(src: str, at: tuple) -> None:
    """The Hessian of a smooth loop program is the central difference of reverse-mode gradients
    (step 1e-5: truncation O(h²·f''') and roundoff O(EPS·|∇f|/h), below 1e-6 of the scale of these
    programs' derivatives), and H·v on the float path is that Hessian times v."""
    point, v = point_of(*at, False)
    h = np.array(higher.hessian(src, point).hessian)
    flat = np.concatenate([point["x"], [point["y"]]])
    cols = []
    for j in range(flat.size):
        g = []
        for sign in (1.0, -1.0):
            f = flat.copy()
            f[j] += sign * 1e-5
            r = adcalc.grad(src, {"x": f[:-1], "y": float(f[-1])}).gradient
            g.append(np.concatenate([r["x"], [r["y"]]]))
        cols.append((g[0] - g[1]) / 2e-5)
    fd = np.array(cols).T
    scale = max(1.0, float(np.max(np.abs(fd))), float(np.max(np.abs(g[0]))))
    assert np.allclose(h, fd, rtol=1e-6, atol=1e-6 * scale), src
    hv = higher.hvp(src, point, v)
    vf = np.concatenate([v["x"], [v["y"]]])
    got = np.concatenate([hv.hvp["x"], [hv.hvp["y"]]])
    # H·v by the sweep and by the product of the Hessian: the same terms summed in other orders,
    # terms of the size of these programs' derivatives (no division by small numbers): 1e-12 of
    # that size times Σ|v| is ~4,500 roundings (300 examples measured at most 25·EPS·|H|·|v|)
    assert np.allclose(got, h @ vf, rtol=0.0, atol=1e-12 * scale * float(np.sum(np.abs(vf)))), src


# ---- notes, errors, budgets, threads ---------------------------------------------------------------

NOTED = [
    ("s = 0\nfor i in range(len(x)):\n    s += abs(x[i]) * x[i] + sqrt(x[i]^2 + x[i])\nreturn s",
     [0.0, 1.0, 0.0, -0.5]),
    ("s = 0\nfor i in range(len(x) - 1):\n    s += max(x[i], x[i+1])^2 + log(x[i])\nreturn s", [1.0, 1.0, -2.0, 3.0]),
    ("s = 0\nfor i in range(len(x)):\n    s += 1 / x[i] + x[i]^0.5\nreturn s", [2.0, 0.0, 1.0]),
    ("s = 0\nfor i in range(len(x) - 1):\n    if x[i] > x[i+1]:\n        s += x[i]^3\n    else:\n"
     "        s += x[i+1]^2\nreturn s", [1.0, 1.0, 0.5, 2.0]),
]


@pytest.mark.parametrize("src, x", NOTED, ids=[f"noted{i}" for i in range(len(NOTED))])
def test_kinks_ties_and_non_finite_values_are_noted_as_the_old_path_noted_them(src: str, x: list) -> None:
    point, v = {"x": np.array(x)}, {"x": np.linspace(0.5, -1.0, len(x))}
    new, old = higher.hvp(src, point, v), old_path(higher.hvp, src, point, v)
    assert notes(new) and notes(new) == notes(old) and ulp_close(new.hvp["x"], old.hvp["x"], 0)
    new, old = higher.hessian(src, point), old_path(higher.hessian, src, point)
    assert notes(new) and notes(new) == notes(old) and ulp_close(new.hessian, old.hessian, 0)
    p = subprocess.run([sys.executable, "-m", "adcalc", "hvp", src, "--at", f"x={text(np.array(x))}", "--dir",
                        f"x={text(v['x'])}"], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})
    assert p.returncode == 0 and "Traceback" not in p.stderr and "RuntimeWarning" not in p.stderr
    for w in higher.hvp(src, point, v).warnings:
        assert w.message.split(":")[0] in p.stderr


def test_strict_refuses_a_non_finite_value_at_its_line_and_column() -> None:
    src = "s = 0\nfor i in range(len(x)):\n    s += log(x[i])\nreturn s"
    p = subprocess.run([sys.executable, "-m", "adcalc", "hvp", src, "--at", "x=[1,0,2]", "--dir", "x=[1,1,1]",
                        "--strict"], capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert p.returncode == 1 and "Traceback" not in p.stderr and "log(0)" in p.stderr and "3:" in p.stderr
    assert "^" in p.stderr


def test_a_wide_loop_hessian_is_held_against_the_memory_budget() -> None:
    """k = 3,000 tangents on every step of a loop: refused with --max-memory's message, no traceback."""
    p = subprocess.run([sys.executable, "-m", "adcalc", "hessian", LOOP, "--at", "x=" + text(np.full(3000, 0.5)),
                        "--max-memory", "200M"], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "NO_COLOR": "1"})
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "3,000 tangent directions" in p.stderr and "--max-memory" in p.stderr


def test_hvp_of_the_loop_form_from_threads() -> None:
    rng = np.random.default_rng(37)
    points = [rng.uniform(-1.5, 1.5, 40) for _ in range(6)]
    v = rng.normal(size=40)
    serial = [higher.hvp(LOOP, {"x": x}, {"x": v}).hvp["x"] for x in points]
    got: dict[int, object] = {}

    def work(k: int) -> None:
        got[k] = higher.hvp(LOOP, {"x": points[k]}, {"x": v}).hvp["x"]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(got[k], serial[k]) for k in range(6))
    h, s = rosen_hessian(points[0])
    assert close_to_scale(serial[0], h @ v, s @ np.abs(v), 16)


def test_newton_cg_with_hessp_on_the_loop_form_follows_scipys_own_rosenbrock() -> None:
    """``adcalc.function(...).hessp`` of a loop over x[i] (the interpreter's hvp: no compiled Hessian
    code for array programs) drives SciPy's Newton-CG along the same path as SciPy's hand-written
    ``rosen_hess_prod``: the same iterations, the minimum to 1e-8."""
    optimize = pytest.importorskip("scipy.optimize")
    f = adcalc.function("def rosen(x):\n" + "".join("    " + line + "\n" for line in LOOP.splitlines()))
    x0 = 1 + 0.3 * np.cos(np.arange(10.0))
    p = np.sin(np.arange(10.0))
    h, s = rosen_hessian(x0)
    assert close_to_scale(f.hessp(x0, p), h @ p, s @ np.abs(p), 16)
    assert close_to_scale(f.hessp(x0, p), optimize.rosen_hess_prod(x0, p), s @ np.abs(p), 16)
    mine = optimize.minimize(f, x0, method="Newton-CG", jac=f.grad, hessp=f.hessp, options={"xtol": 1e-12})
    ref = optimize.minimize(optimize.rosen, x0, method="Newton-CG", jac=optimize.rosen_der,
                            hessp=optimize.rosen_hess_prod, options={"xtol": 1e-12})
    assert mine.success and ref.success and np.max(np.abs(mine.x - 1.0)) <= 1e-8
    assert mine.nit == ref.nit and mine.nhev == ref.nhev
