"""The code generator's templates against the registry's rules (tests/numeric.py policy 1: the
same operations in the same order give the same float — compared bit for bit, nan equal to nan).

Every elementwise primitive of the registry must have a template; its value and each partial, as
generated Python evaluated with the prelude, must equal the rule on floats at special points
(±0, ±1, domain edges, poles, overflow, ±inf, nan) and at random points, with the arguments as
names and as literals (the generator folds literal exponents and divisors).
"""

from __future__ import annotations

import math
import random
import struct

import pytest

from adcalc.ops.codegen import prelude, templates
from adcalc.ops.codegen.templates import lit
from adcalc.rules.registry import REGISTRY

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, 1e-300, -1e-300, 5e-324, 1e300, -1e300, 709.5, -745.5,
           710.0, math.inf, -math.inf, math.nan, 0.3, -2.5, 1e-8, 10.0, 100.5, 2.0 ** 60]
_rng = random.Random(20261129)
POINTS = SPECIAL + [_rng.uniform(-6.0, 6.0) for _ in range(30)] + [_rng.lognormvariate(0, 5) for _ in range(10)]
ELEMENTWISE = sorted(n for n, p in REGISTRY.items() if p.elementwise)
NAMESPACE = {"math": math, **{k: v for k, v in vars(prelude).items() if k.startswith("_")}}


def bits(v: float) -> bytes:
    return b"nan" if v != v else struct.pack("<d", v)


def _points(arity: int) -> list[tuple[float, ...]]:
    if arity == 1:
        return [(x,) for x in POINTS]
    if arity == 2:
        pairs = [(x, y) for x in SPECIAL for y in SPECIAL]
        return pairs + [(_rng.uniform(-4, 4), _rng.uniform(-4, 4)) for _ in range(200)]
    few = [0.0, -0.0, 1.0, -2.5, math.inf, -math.inf, math.nan, 0.3]
    return [(x, y, z) for x in few for y in few for z in few]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_every_elementwise_primitive_has_exact_templates(name: str) -> None:
    prim = REGISTRY[name]
    arity = prim.min_args
    bad = []
    for xs in _points(arity):
        for literal in [None] + list(range(arity)):  # all names, or argument `literal` as a literal
            args = [lit(x) if k == literal else f"a{k}" for k, x in enumerate(xs)]
            env = dict(NAMESPACE, **{f"a{k}": x for k, x in enumerate(xs)})
            got = eval(templates.value(name, args), env)  # noqa: S307 - the generator's own text
            if bits(got) != bits(prim.value(*xs)):
                bad.append(("value", xs, literal, got, prim.value(*xs)))
            for i in range(arity):
                want = prim.partials[i](*xs)
                got = eval(templates.partial(name, i, args), env)  # noqa: S307
                if bits(got) != bits(float(want)):
                    bad.append((f"partial {i}", xs, literal, got, want))
    assert not bad, bad[:5]


@pytest.mark.parametrize("name", ["max", "min"])
def test_variadic_extremes_match_the_rule(name: str) -> None:
    prim = REGISTRY[name]
    for xs in [(1.0, 3.0, 3.0), (2.0, 2.0, 2.0), (-1.0, math.nan, 0.0), (0.0, -0.0, 0.0), (5.0, 1.0, -2.0, 5.0)]:
        args = [f"a{k}" for k in range(len(xs))]
        env = dict(NAMESPACE, **{f"a{k}": x for k, x in enumerate(xs)})
        assert bits(eval(templates.value(name, args), env)) == bits(prim.value(*xs))  # noqa: S307
        for i in range(len(xs)):
            want = prim.partials[i](*xs)
            assert bits(eval(templates.partial(name, i, args), env)) == bits(want), (xs, i)  # noqa: S307


def test_a_template_that_differs_from_its_rule_is_caught() -> None:
    """The comparison above can fail: a partial written with the wrong sign differs."""
    wrong = "(-_sin(a0))"  # cos's partial, not sin's
    env = dict(NAMESPACE, a0=0.7)
    assert bits(eval(wrong, env)) != bits(REGISTRY["sin"].partials[0](0.7))  # noqa: S307


def test_helper_source_is_self_contained() -> None:
    """The copied helpers run in a namespace that has only math."""
    names = {n for n in vars(prelude) if n.startswith("_") and callable(getattr(prelude, n))
             and n not in ("__builtins__",) and not n.startswith("__")}
    text = prelude.helper_source(names)
    env: dict = {"math": math}
    exec(compile(text, "<helpers>", "exec"), env)  # noqa: S102 - adcalc's own prelude
    assert env["_div"](1.0, -0.0) == -math.inf
    assert env["_pow"](-8.0, 1 / 3) != env["_pow"](-8.0, 1 / 3)  # nan: a negative base to a fraction


@pytest.mark.parametrize("shape", [(0,), (1,), (5,), (2, 3), (2, 0), (0, 4), (3, 1, 2), (2, 0, 3), (1, 1, 1, 4)])
def test_zeros_of_nested_lists_match_numpy(shape: tuple[int, ...]) -> None:
    """``_zeros`` (an element-read input's adjoint) is NumPy's zeros of the input's shape, +0.0 each."""
    import numpy as np

    x = (np.arange(int(np.prod(shape)), dtype=float) - 2.5).reshape(shape).tolist()
    got = prelude._zeros(x)
    assert got == np.zeros(shape).tolist()
    assert all(bits(v) == bits(0.0) for v in np.asarray(got, dtype=float).reshape(-1).tolist())
    assert np.shape(got) == shape or 0 in shape
