"""The step every mode shares is written once (``Mode.apply``); forward and reverse mode keep
specialisations of it for plain numbers (``apply1``/``apply2``, the hot path).  Here each
specialisation is checked against the general step, primitive by primitive, at ordinary and
hard points: the same values, the same tangents or tape partials, the same warnings — exactly
(they are the same operations in the same order)."""

from __future__ import annotations

import itertools
import math

import pytest

from adcalc.language.ir import Const, Eqn, Var
from adcalc.rules.registry import PRIMITIVES, REGISTRY
from adcalc.transform.forward import Dual, ForwardMode
from adcalc.transform.mode import EvalMode, Mode
from adcalc.transform.reverse import ReverseMode

POINTS = [-2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, math.inf, math.nan, 1e-300]
UNARY = sorted(n for n, p in PRIMITIVES.items() if p.arity == 1)
BINARY = sorted(n for n, p in PRIMITIVES.items() if p.arity == 2)


def same(a: object, b: object) -> bool:
    """Identical floats (nan equal to nan, and the sign of zero must agree), elementwise in tuples."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return (a != a and b != b) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b


def site(n: int) -> Eqn:
    return Eqn("v9", "p", tuple(Var(f"a{i}") for i in range(n)), None, ())


def warnings(m: Mode) -> list:
    return [(w.kind, w.message, w.count) for w in m.warnings]


def forward_pair(prim_name: str, values: tuple[float, ...], active: tuple[bool, ...]) -> None:
    prim = PRIMITIVES[prim_name]
    results = []
    for general in (False, True):
        m = ForwardMode([(1.0, 0.0)] * len(values))
        args = [Dual(v, (1.0, -2.0 + i)) if act else v for i, (v, act) in enumerate(zip(values, active))]
        s = site(len(values))
        if general:
            out = m.apply(prim, args, s)
        else:
            out = m.apply1(prim, args[0], s) if len(args) == 1 else m.apply2(prim, args[0], args[1], s)
        value = out.primal if type(out) is Dual else out
        tangent = out.tangent if type(out) is Dual else None
        results.append((value, tangent, warnings(m)))
    (v1, t1, w1), (v2, t2, w2) = results
    assert same(v1, v2) and same(t1, t2) and w1 == w2, (prim_name, values, active, results)


def reverse_pair(prim_name: str, values: tuple[float, ...], active: tuple[bool, ...]) -> None:
    prim = PRIMITIVES[prim_name]
    results = []
    for general in (False, True):
        m = ReverseMode()
        args = [m.input(i, f"a{i}", v) if act else v for i, (v, act) in enumerate(zip(values, active))]
        s = site(len(values))
        if general:
            out = m.apply(prim, args, s)
        else:
            out = m.apply1(prim, args[0], s) if len(args) == 1 else m.apply2(prim, args[0], args[1], s)
        tape = m.tape
        node = (m.primal(out), tuple(tape.arg0[-1:]), tuple(tape.arg1[-1:]), tuple(tape.partial0[-1:]),
                tuple(tape.partial1[-1:])) if type(out) is int else (out,)
        results.append((node, len(tape), warnings(m)))
    assert same(results[0][0], results[1][0]) and results[0][1:] == results[1][1:], (prim_name, values, results)


@pytest.mark.parametrize("name", UNARY)
def test_unary_specialisations_equal_the_general_step(name: str) -> None:
    for x in POINTS:
        for act in (True, False):
            forward_pair(name, (x,), (act,))
            reverse_pair(name, (x,), (act,))


@pytest.mark.parametrize("name", BINARY)
def test_binary_specialisations_equal_the_general_step(name: str) -> None:
    for x, y in itertools.product(POINTS, repeat=2):
        for active in ((True, True), (True, False), (False, True), (False, False)):
            forward_pair(name, (x, y), active)
            reverse_pair(name, (x, y), active)


@pytest.mark.parametrize("name", UNARY + BINARY)
def test_eval_specialisation_equals_the_general_step(name: str) -> None:
    prim = PRIMITIVES[name]
    for values in itertools.product(POINTS, repeat=prim.arity):
        a, b = EvalMode(), EvalMode()
        s = site(len(values))
        fast = a.apply1(prim, values[0], s) if len(values) == 1 else a.apply2(prim, values[0], values[1], s)
        assert same(fast, b.apply(prim, values, s)) and warnings(a) == warnings(b)


def test_constants_in_a_site_do_not_matter() -> None:
    """The step reads values, never the site's atoms (a literal argument is just a number)."""
    m = ForwardMode([(1.0,)])
    s = Eqn("v2", "mul", (Var("x"), Const(2.0, "2")), None, ())
    out = m.apply2(PRIMITIVES["mul"], Dual(3.0, (1.0,)), 2.0, s)
    assert out.primal == 6.0 and out.tangent == (2.0,)


# ---- element reads: x[i] / A[i, j] on the scalar path vs the index rule ---------------------------

ELEMENT_ARRAYS = [[1.5, -0.0, math.inf, math.nan, 2.0], [[0.5, -1.0, 3.0], [math.nan, 4.0, -0.0]]]
SUBSCRIPTS = [0.0, 1.0, 2.0, -1.0, -2.0, 4.0, -5.0, 5.0, -6.0, 1.5, math.nan, math.inf, -0.0]


def element_cases() -> list[tuple[object, tuple[float, ...]]]:
    import numpy as np

    cases = []
    for rows in ELEMENT_ARRAYS:
        x = np.array(rows)
        for key in itertools.product(SUBSCRIPTS, repeat=x.ndim):
            cases.append((x, key))
        cases.append((x, (0.0,) * (x.ndim + 1)))  # too many subscripts
    return cases


def element_site(n: int) -> Eqn:
    return Eqn("v9", "index", tuple(Var(f"a{i}") for i in range(n + 1)), None, (), False, ("i",) * n)


def outcome(mode: Mode, general: bool, x: object, key: tuple[float, ...]) -> tuple:
    """``x[key]`` by the general step or by ``element``: ("ok", value) or ("error", kind, message)."""
    from adcalc import AdcalcError

    prim, s = REGISTRY["index"], element_site(len(key))
    try:
        return ("ok", mode.apply(prim, [x, *key], s) if general else mode.element(prim, x, key, s))
    except AdcalcError as e:
        return ("error", e.kind, e.message)


@pytest.mark.parametrize("active", [True, False])
def test_element_specialisations_equal_the_general_step(active: bool) -> None:
    """``element`` (eval, forward, reverse) against ``apply`` of the ``index`` rule: the same value,
    tangents, adjoint of the array after a sweep, warnings and errors, at every kind of subscript."""
    import numpy as np

    for x, key in element_cases():
        results = []
        for general in (False, True):
            e = EvalMode()
            ev = outcome(e, general, x, key)
            f = ForwardMode([np.ones((2,) + x.shape)])
            fo = outcome(f, general, f.input(0, "x", x) if active else x, key)
            fo = fo if fo[0] != "ok" or type(fo[1]) is not Dual else ("ok", fo[1].primal, fo[1].tangent)
            r = ReverseMode()
            ro = outcome(r, general, r.input(0, "x", x) if active else x, key)
            adjoint = None
            if ro[0] == "ok" and type(ro[1]) is int:
                adjoint = r.gradient([ro[1]], [2.5])[0]
                ro = ("ok", r.primal(ro[1]))
            results.append((ev, warnings(e), fo, warnings(f), ro, warnings(r), adjoint))
        fast, slow = results
        for a, b in zip(fast[:-1], slow[:-1]):
            assert same(a, b), (x.tolist(), key, fast, slow)
        assert (fast[-1] is None) == (slow[-1] is None) and (
            fast[-1] is None or np.array_equal(fast[-1], slow[-1], equal_nan=True)), (key, fast, slow)
