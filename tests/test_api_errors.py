"""The Python API never leaks a raw exception: every bad argument of every public function is an
``AdcalcError`` of kind ``type``, ``input`` or ``usage`` whose message names the argument and
says what was expected (issue #13 item 19; the rules are in ``adcalc.ops.validate``)."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import adcalc
from adcalc import AdcalcError
from adcalc.errors import KINDS
from adcalc.ops import checks, higher

SRC = "x*y + sin(x)"
PT = {"x": 1.0, "y": 2.0}


def error(call: Callable[[], object]) -> AdcalcError:
    with pytest.raises(AdcalcError) as e:
        call()
    return e.value


def expect(call: Callable[[], object], kind: str, *words: str) -> AdcalcError:
    e = error(call)
    assert e.kind == kind, e
    for word in words:
        assert word in e.message or word in (e.hint or ""), (word, e)
    return e


# ---- the examples of the issue --------------------------------------------------------------------

def test_a_huge_int_in_the_point() -> None:
    expect(lambda: adcalc.grad("x^2", {"x": 10**400}), "input", "point['x']", "too large for a double", "10^400")


def test_a_string_as_the_cotangent() -> None:
    expect(lambda: adcalc.vjp("[x, 2*x]", {"x": 1.0}, "1,2"), "type", "cotangent", "list of numbers", "'1,2'")


def test_none_as_the_direction() -> None:
    expect(lambda: adcalc.jvp("x^2", {"x": 1.0}, None), "type", "direction", "mapping", "None")


def test_a_string_as_max_steps() -> None:
    expect(lambda: adcalc.grad("x", {"x": 1.0}, max_steps="10"), "type", "max_steps", "whole number", "'10'")


def test_a_scalar_where_a_function_wants_a_vector() -> None:
    f = adcalc.function("x^2", inputs=["x"])
    expect(lambda: f(3.0), "type", "x must be a list of numbers", "3.0", "f([1.0, 2.0])")
    expect(lambda: f.grad(3.0), "type", "x must be a list of numbers")
    assert f([3.0]) == 9.0 and f.grad((3.0,)).tolist() == [6.0] and f(np.array([3.0])) == 9.0


def test_bytes_as_the_source() -> None:
    expect(lambda: adcalc.load(b"x"), "type", "text", "a str", "bytes", "decode")
    expect(lambda: adcalc.grad(b"x", {"x": 1.0}), "type", "source", "a str, or a Loaded", "decode")


@pytest.mark.parametrize("value", [1 + 2j, np.complex128(1j), np.array([1 + 2j, 3]), [1.0, 2j], np.array(1j)])
def test_complex_values_are_errors_never_cut_to_their_real_part(value: object) -> None:
    e = expect(lambda: adcalc.grad("sum(x)", {"x": value}), "type", "point['x']", "real")
    assert "complex" in e.message


# ---- every argument ---------------------------------------------------------------------------------

D = {"x": 1.0, "y": 0.0}
BAD = [  # (call, kind, words in the message)
    # source
    (lambda: adcalc.evaluate(None, PT), "type", ["source", "None"]),
    (lambda: adcalc.grad(3, PT), "type", ["source", "3 (int)"]),
    (lambda: adcalc.load(None), "type", ["text", "None"]),
    (lambda: adcalc.load(adcalc.load("x")), "type", ["already loaded"]),
    (lambda: adcalc.jacobian(adcalc.api.Loaded("x", 1, 2), PT), "type", ["Loaded that adcalc.load did not make"]),
    (lambda: higher.hessian(["x"], PT), "type", ["source", "list"]),
    (lambda: checks.check(b"x", PT), "type", ["source", "bytes"]),
    (lambda: adcalc.function(7), "type", ["source", "int"]),
    # point
    (lambda: adcalc.grad(SRC, [1.0, 2.0]), "type", ["point must be a mapping", "list"]),
    (lambda: adcalc.grad(SRC, "x=1,y=2"), "type", ["point must be a mapping", "str"]),
    (lambda: adcalc.evaluate(SRC, {1: 1.0}), "type", ["keys of point", "1 (int)"]),
    (lambda: adcalc.evaluate(SRC, {"x y": 1.0}), "input", ["point", "'x y'", "not a name"]),
    (lambda: adcalc.evaluate(SRC, {"x": True, "y": 2.0}), "type", ["point['x']", "boolean"]),
    (lambda: adcalc.evaluate(SRC, {"x": np.bool_(False), "y": 2.0}), "type", ["point['x']", "boolean"]),
    (lambda: adcalc.evaluate(SRC, {"x": None, "y": 2.0}), "type", ["point['x']", "number", "None"]),
    (lambda: adcalc.evaluate(SRC, {"x": "1.5", "y": 2.0}), "type", ["point['x']", "'1.5'", "float(text)"]),
    (lambda: adcalc.evaluate(SRC, {"x": Decimal(1), "y": 2.0}), "type", ["point['x']", "Decimal"]),
    (lambda: adcalc.evaluate("sum(x)", {"x": [1.0, "a"]}), "type", ["point['x'][1]", "'a'"]),
    (lambda: adcalc.evaluate("sum(x)", {"x": [[1.0, True]]}), "type", ["point['x'][0, 1]", "boolean"]),
    (lambda: adcalc.evaluate("sum(x)", {"x": [[1.0, 2.0], [3.0]]}), "input", ["point['x']", "rectangular"]),
    (lambda: adcalc.evaluate("sum(x)", {"x": [1.0, [2.0]]}), "input", ["point['x']", "rectangular"]),
    (lambda: adcalc.evaluate("sum(x)", {"x": [1.0, 10**400]}), "input", ["point['x'][1]", "too large"]),
    (lambda: adcalc.evaluate("sum(x)", {"x": np.array([object()])}), "type", ["point['x'][0]", "object"]),
    (lambda: adcalc.evaluate("sum(x)", {"x": np.array([1, None], dtype=object)}), "type", ["point['x'][1]"]),
    (lambda: adcalc.evaluate("sum(x)", {"x": np.array([True])}), "type", ["point['x']", "booleans"]),
    (lambda: adcalc.evaluate("sum(x)", {"x": np.array(["1"])}), "type", ["point['x']", "dtype"]),
    (lambda: adcalc.evaluate("sum(x)", {"x": _nested(40)}), "input", ["point['x']", "nested"]),
    (lambda: adcalc.evaluate("sum(x)", {"x": _cycle()}), "input", ["point['x']", "rectangular"]),
    (lambda: adcalc.evaluate("sum(x)", {"x": {"a": 1.0}}), "type", ["point['x']", "number"]),
    (lambda: adcalc.grad("sum(x)", {"x": []}, mode="forward"), "input", ["point['x']", "empty array"]),
    (lambda: adcalc.jacobian("x", {"x": np.zeros((2, 0))}), "input", ["point['x']", "empty array", "(2, 0)"]),
    (lambda: adcalc.evaluate("x", {"x": np.array(None, dtype=object)}), "type", ["point['x'] must", "None"]),
    (lambda: adcalc.evaluate("sum(x)", {"x": [1.0, np.array(1j)]}), "type", ["point['x'][1]", "complex"]),
    # direction
    (lambda: adcalc.jvp(SRC, PT, [1.0, 0.0]), "type", ["direction must be a mapping", "list"]),
    (lambda: adcalc.jvp(SRC, PT, "x=1"), "type", ["direction must be a mapping", "str"]),
    (lambda: adcalc.jvp(SRC, PT, {"x": 1j, "y": 0.0}), "type", ["direction['x']", "complex"]),
    (lambda: adcalc.jvp(SRC, PT, {"x": 1.0}), "input", ["no direction for y"]),
    (lambda: higher.hvp(SRC, PT, None), "type", ["direction", "None"]),
    (lambda: higher.hvp(SRC, PT, {"x": [1.0, 2.0], "y": 0.0}), "input", ["direction['x']", "like point['x']"]),
    (lambda: higher.hvp(SRC, PT, {"x": "1", "y": 0.0}), "type", ["direction['x']", "'1'"]),
    (lambda: higher.deriv(SRC, PT, direction=[1.0, 0.0]), "type", ["direction must be a mapping"]),
    (lambda: higher.deriv(SRC, PT, direction={"x": False, "y": 1.0}), "type", ["direction['x']", "boolean"]),
    # cotangent
    (lambda: adcalc.vjp("[x, y]", PT, None), "type", ["cotangent", "None"]),
    (lambda: adcalc.vjp("[x, y]", PT, {"x": 1.0}), "type", ["cotangent", "a dict"]),
    (lambda: adcalc.vjp("[x, y]", PT, 1.0), "type", ["cotangent", "1.0 (float)"]),
    (lambda: adcalc.vjp("[x, y]", PT, [1.0, 2j]), "type", ["cotangent[1]", "complex"]),
    (lambda: adcalc.vjp("[x, y]", PT, [[1.0, 0.0]]), "type", ["cotangent", "flat"]),
    (lambda: adcalc.vjp("[x, y]", PT, np.eye(2)), "type", ["cotangent", "flat", "(2, 2)"]),
    (lambda: adcalc.vjp("[x, y]", PT, [1.0]), "input", ["cotangent has 1 entry", "2 outputs"]),
    (lambda: adcalc.vjp("[x, y]", PT, [True, False]), "type", ["cotangent[0]", "boolean"]),
    # modes
    (lambda: adcalc.grad(SRC, PT, mode="sideways"), "usage", ["mode", "'forward' or 'reverse'", "'sideways'"]),
    (lambda: adcalc.grad(SRC, PT, mode=None), "type", ["mode", "None"]),
    (lambda: adcalc.jacobian(SRC, PT, mode="Forward"), "usage", ["mode", "or None to choose"]),
    (lambda: adcalc.jacobian(SRC, PT, mode=1), "type", ["mode"]),
    (lambda: adcalc.grad(SRC, PT, mode=np.zeros(2)), "type", ["mode", "array"]),  # `in` on an array: ambiguous
    # limits and flags
    (lambda: adcalc.evaluate(SRC, PT, max_steps=0), "usage", ["max_steps must be at least 1"]),
    (lambda: adcalc.evaluate(SRC, PT, max_depth=-3), "usage", ["max_depth must be at least 1"]),
    (lambda: adcalc.grad(SRC, PT, max_depth=True), "type", ["max_depth", "True (bool)"]),
    (lambda: adcalc.grad(SRC, PT, max_steps=1e6), "type", ["max_steps", "whole number"]),
    (lambda: adcalc.jvp(SRC, PT, D, strict=1), "type", ["strict must be True or False"]),
    (lambda: adcalc.vjp(SRC, PT, [1.0], trace="yes"), "type", ["trace must be True or False"]),
    (lambda: higher.hessian(SRC, PT, max_steps="many"), "type", ["max_steps"]),
    (lambda: checks.check(SRC, PT, max_steps=0), "usage", ["max_steps must be at least 1"]),
    (lambda: checks.check(SRC, PT, strict="no"), "type", ["strict"]),
    (lambda: checks.check(SRC, PT, mode="forward"), "usage", ["check() has no option 'mode'", "max_steps"]),
    (lambda: checks.check(SRC, PT, colour=True), "usage", ["no option 'colour'"]),
    # order and wrt
    (lambda: higher.deriv(SRC, PT, wrt="x", order=0), "input", ["order", "from 1 to 100", "not 0"]),
    (lambda: higher.deriv(SRC, PT, wrt="x", order=101), "input", ["order", "from 1 to 100"]),
    (lambda: higher.deriv(SRC, PT, wrt="x", order=2.0), "type", ["order", "whole number", "2.0"]),
    (lambda: higher.deriv(SRC, PT, wrt="x", order=True), "type", ["order", "True (bool)"]),
    (lambda: higher.deriv(SRC, PT, wrt=0), "type", ["wrt", "input name"]),
    (lambda: higher.deriv(SRC, PT, wrt=["x", 1]), "type", ["wrt", "list of str"]),
    (lambda: higher.deriv(SRC, PT, wrt=("x", "x"), direction={"x": 1.0}), "input", ["'x' twice"]),
    (lambda: higher.deriv(SRC, PT, wrt="z"), "input", ["'z' is not an input"]),
    # function(...) and its calls
    (lambda: adcalc.function(SRC, inputs="xy"), "type", ["inputs must be a list of input names", "'xy'"]),
    (lambda: adcalc.function(SRC, inputs=["x", 2]), "type", ["inputs[1]", "2 (int)"]),
    (lambda: adcalc.function(SRC, inputs=["x", "x"]), "input", ["inputs names 'x' twice"]),
    (lambda: adcalc.function(SRC, inputs=["x", "1y"]), "input", ["inputs[1]", "not a name"]),
    (lambda: adcalc.function(SRC, inputs=["x", "y"])("12"), "type", ["x must be a list of numbers", "'12'"]),
    (lambda: adcalc.function(SRC, inputs=["x", "y"])({"x": 1.0, "y": 2.0}), "type",
     ["x must be a list of numbers", "a dict"]),
    (lambda: adcalc.function(SRC, inputs=["x", "y"])([1.0, None]), "type", ["x[1]", "None"]),
    (lambda: adcalc.function(SRC, inputs=["x", "y"]).grad([1.0, 2j]), "type", ["x[1]", "complex"]),
    (lambda: adcalc.function(SRC, inputs=["x", "y"]).grad([1.0]), "input",
     ["x has 1 values", "2 inputs (x, y)", "shapes"]),
    (lambda: adcalc.function(SRC, inputs=["x", "y"], shapes={"y": (2,)}).grad([1.0]), "input",
     ["expected 3 values (x, y: 2), got 1"]),
    (lambda: adcalc.function(SRC), "input", ["2 inputs (x, y) and no def", "inputs=['x', 'y']"]),
    (lambda: adcalc.function(SRC, inputs=["x", "y"], shapes=[2]), "type", ["shapes must be a dict"]),
    (lambda: adcalc.function(SRC, inputs=["x", "y"], shapes={"z": (2,)}), "input", ["'z'", "not an input"]),
    (lambda: adcalc.function(SRC, inputs=["x", "y"], shapes={"x": "3"}), "type", ["shapes['x']", "tuple of sizes"]),
]


def _nested(depth: int) -> list:
    v: list = [1.0]
    for _ in range(depth):
        v = [v]
    return v


def _cycle() -> list:
    v: list = [1.0]
    v.append(v)
    return v


@pytest.mark.parametrize("call,kind,words", BAD, ids=[f"{i}-{k}" for i, (_, k, _) in enumerate(BAD)])
def test_every_bad_argument_is_a_named_adcalc_error(call: Callable[[], object], kind: str, words: list[str]) -> None:
    expect(call, kind, *words)


# ---- what stays allowed -------------------------------------------------------------------------------

def test_numbers_of_every_real_kind_are_accepted() -> None:
    for x in (2, 2.0, np.float32(2.0), np.int64(2), np.uint8(2), Fraction(2), np.array(2.0), np.longdouble(2)):
        r = adcalc.grad("x^2", {"x": x})
        assert r.value == 4.0 and r.gradient == {"x": 4.0}, x


def test_nan_and_infinities_are_values_not_errors() -> None:
    assert math.isnan(adcalc.evaluate("x + 1", {"x": math.nan}).value)
    assert adcalc.evaluate("x + 1", {"x": -math.inf}).value == -math.inf


def test_arrays_of_ints_tuples_and_numpy_scalars_are_accepted() -> None:
    for x in ([1, 2, 3], (1, 2, 3), [np.float64(1), np.int32(2), 3.0], np.array([1, 2, 3], dtype=np.int8),
              np.array([1.0, 2.0, 3.0], dtype=object)):
        r = adcalc.grad("sum(x^2)", {"x": x})
        assert r.value == 14.0 and np.array_equal(r.gradient["x"], [2.0, 4.0, 6.0]), x
    r = adcalc.vjp("[x, 2*x]", {"x": 1.0}, np.array([1, 2]))
    assert r.cotangent_result == {"x": 5.0}
    assert adcalc.vjp("[x, 2*x]", {"x": 1.0}, (np.float32(1), np.array(2.0))).cotangent_result == {"x": 5.0}
    assert adcalc.evaluate("sum(x)", {"x": [np.array(1.5), 2]}).value == 3.5


def test_none_as_the_point_means_no_inputs() -> None:
    assert adcalc.evaluate("1 + 2").value == 3.0 and adcalc.grad("2", None).gradient == {}


def test_a_long_double_beyond_a_double_is_an_error() -> None:
    with np.errstate(all="ignore"):
        big = np.array([np.longdouble(10) ** 400])
        wider = np.isinf(big.astype(float)).all() and not np.isinf(big).any()  # x86's 80-bit long double
    if wider:
        expect(lambda: adcalc.evaluate("sum(x)", {"x": big}), "input", "point['x']", "too large")


def test_a_foreign_object_whose_repr_fails_is_still_described() -> None:
    class Odd:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    expect(lambda: adcalc.evaluate("x", {"x": Odd()}), "type", "point['x']", "a Odd")


# ---- anything, anywhere ---------------------------------------------------------------------------------

def _object_array(items: list) -> np.ndarray:
    a = np.empty(len(items), dtype=object)
    a[:] = items
    return a


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**1000, max_value=2**1200), st.floats(),
    st.complex_numbers(), st.text(max_size=8), st.binary(max_size=8), st.decimals(), st.fractions(),
    st.sampled_from([np.float32(1.5), np.int64(3), np.bool_(True), np.complex128(1j), np.array(2.0), np.array(1j),
                     object(), Ellipsis, NotImplemented, math.nan, math.inf, int, "x", "x*y", "1,2", b"x"]),
    st.sampled_from([int, float, str, bytes, bytearray, complex, bool, range, slice, type(None), frozenset]).flatmap(
        st.from_type),
)
ARRAYS = st.one_of(
    hnp.arrays(st.sampled_from(["f8", "f4", "f2", "i8", "u1", "?", "c16", "U3", "M8[s]", "g"]),
               hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)),
    st.lists(SCALARS, min_size=1, max_size=4).map(_object_array),
)
ANYTHING = st.recursive(
    st.one_of(SCALARS, ARRAYS),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.dictionaries(st.one_of(st.sampled_from(["x", "y", "z"]), st.text(max_size=3),
                                                      st.integers()), inner, max_size=3),
                            st.sets(st.integers(), max_size=3)),
    max_leaves=10,
)
NEAR = st.one_of(  # well-formed containers with one arbitrary entry, to reach the checks inside them
    ANYTHING.map(lambda v: {"x": v, "y": 2.0}),
    ANYTHING.map(lambda v: [v, 1.0]),
    ANYTHING.map(lambda v: (1.0, v)),
    ANYTHING.map(lambda v: [[1.0, 2.0], [v, 3.0]]),
    st.sampled_from([adcalc.load(SRC), adcalc.load("[x, y]"), adcalc.api.Loaded("x", None, None)]),
)
VALUES = st.one_of(ANYTHING, NEAR)

FUNCTIONS: dict[str, tuple[Callable[..., object], dict[str, object]]] = {  # each with valid arguments
    "evaluate": (adcalc.evaluate, {"source": SRC, "point": PT}),
    "grad": (adcalc.grad, {"source": SRC, "point": PT}),
    "jvp": (adcalc.jvp, {"source": SRC, "point": PT, "direction": D}),
    "vjp": (adcalc.vjp, {"source": "[x, y]", "point": PT, "cotangent": [1.0, 0.0]}),
    "jacobian": (adcalc.jacobian, {"source": "[x*y, x]", "point": PT}),
    "load": (adcalc.load, {"text": SRC}),
    "function": (adcalc.function, {"source": SRC}),
    "DiffFunction.__call__": (lambda x: adcalc.function(SRC)(x), {"x": [1.0, 2.0]}),
    "DiffFunction.grad": (lambda x: adcalc.function(SRC).grad(x), {"x": [1.0, 2.0]}),
    "hessian": (higher.hessian, {"source": SRC, "point": PT}),
    "hvp": (higher.hvp, {"source": SRC, "point": PT, "direction": D}),
    "deriv": (higher.deriv, {"source": SRC, "point": PT, "wrt": "x"}),
    "check": (checks.check, {"source": SRC, "point": PT}),
}
CHECK_OPTIONS = ["strict", "max_steps", "max_depth", "mode", "trace", "colour", "max_memory"]


def positions(name: str) -> list[str]:
    """Every argument of the function, from its signature (a keyword added later is covered too)."""
    f, valid = FUNCTIONS[name]
    params = inspect.signature(f).parameters.values()
    return [p.name for p in params if p.kind is not p.VAR_KEYWORD] or list(valid)


def call_with(name: str, position: str, value: object, data: st.DataObject) -> None:
    f, valid = FUNCTIONS[name]
    args = dict(valid)
    if position == "**":
        args[data.draw(st.sampled_from(CHECK_OPTIONS))] = value
    else:
        args[position] = value
    try:
        f(**args)
    except AdcalcError as e:
        assert e.kind in KINDS and isinstance(e.message, str) and e.message, e
        str(e)  # a message that shows
        if position != "source" and position != "text":
            assert e.kind in ("type", "input", "usage"), (position, e)


@pytest.mark.filterwarnings("error::numpy.exceptions.ComplexWarning")  # a complex never silently loses its part
@pytest.mark.parametrize("name", list(FUNCTIONS))
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_anything_in_any_argument_is_a_result_or_an_adcalc_error(name: str, data: st.DataObject) -> None:
    position = data.draw(st.sampled_from(positions(name) + (["**"] if name == "check" else [])))
    call_with(name, position, data.draw(VALUES), data)


def test_the_fuzz_reaches_every_argument_of_every_public_function() -> None:
    """The positions come from the signatures, so an argument added later is fuzzed as soon as it exists."""
    limits = {"strict", "max_steps", "max_depth"}
    expected = {"evaluate": {"source", "point"} | limits, "grad": {"source", "point", "mode", "trace", "wrt"} | limits,
                "jvp": {"direction", "trace", "wrt"} | limits, "vjp": {"cotangent", "trace", "wrt"} | limits,
                "jacobian": {"mode", "wrt"} | limits, "load": {"text"}, "function": {"source", "inputs"},
                "DiffFunction.__call__": {"x"}, "DiffFunction.grad": {"x"}, "hessian": {"wrt"} | limits,
                "hvp": {"direction", "wrt"} | limits, "deriv": {"wrt", "direction", "order", "trace"} | limits,
                "check": {"source", "point"}}
    for name, args in expected.items():
        assert args <= set(positions(name)), name
