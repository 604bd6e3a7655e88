"""Second and higher derivatives: Hessian, Hessian-vector product, Taylor-mode derivatives.

Contract (the math):
- ``hessian(src, point)``: forward-over-reverse.  Inputs are duals xᵢ + εeᵢ (n tangents); the
  reverse sweep runs over duals, so each input's adjoint is ∂f/∂xᵢ + ε·(∂²f/∂xᵢ∂xⱼ)ⱼ: the
  gradient and the Hessian row in one reverse sweep.  Rows and columns in point order.
- ``hvp(src, point, v)``: the same with one tangent v: H·v without forming H (cost ≈ a few
  gradients, independent of n).
- ``deriv(src, point, wrt=… | direction=…, order=K)``: one forward sweep of truncated Taylor
  series; returns dᵏ/dtᵏ f(x + t·v) at t = 0 for k = 1 … K.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from adcalc.errors import AdcalcError
from adcalc.ops import validate
from adcalc.ops.driver import (
    Loaded,
    bind,
    check_direction,
    check_scalar,
    limits_of,
    read_adjoints,
    resolve,
    run_mode,
    shaped,
    used_inputs,
)
from adcalc.ops.results import DerivResult, HessianResult, HvpResult
from adcalc.rules.registry import primal
from adcalc.transform.forward import Dual
from adcalc.transform.graph import Graph
from adcalc.transform.record import Rec, Recorder
from adcalc.transform.reverse import BoxedReverseMode
from adcalc.transform.taylor import TaylorMode

MAX_ORDER = 100


def _tangents(v: object, width: int) -> tuple:
    return v.tangent if type(v) is Dual and v.tangent is not None else (0.0,) * width  # type: ignore[union-attr]


def _forward_over_reverse(loaded: Loaded, names: list[str], values: dict[str, float],
                          seeds: dict[str, tuple[float, ...]], strict: bool, limits) -> tuple:
    used = used_inputs(loaded, names)
    boxed = {n: Dual(values[n], seeds[n]) for n in names}
    mode = BoxedReverseMode(strict)
    outs = run_mode(loaded, mode, names, boxed, limits, False)  # type: ignore[arg-type]
    adj = mode.gradient(outs, [1.0])
    return mode, outs, read_adjoints(names, used, adj)  # type: ignore[arg-type]


def hessian(source: str | Loaded, point: Mapping[str, float], *, strict: bool = False,
            max_steps: int | None = None, max_depth: int | None = None,
        max_memory: int | None = None) -> HessianResult:
    """The Hessian of a scalar source (one forward-over-reverse sweep with n tangents)."""
    validate.arguments("hessian", locals())
    loaded = resolve(source)
    check_scalar(loaded, "hessian")
    names, values, warnings = bind(loaded, point, allow_arrays=False)
    n = len(names)
    seeds = {name: tuple(1.0 if j == i else 0.0 for j in range(n)) for i, name in enumerate(names)}
    limits = limits_of(max_steps, max_depth, max_memory)
    mode, outs, adjoints = _forward_over_reverse(loaded, names, values, seeds, strict, limits)
    gradient = {name: primal(adjoints[name]) for name in names}
    h = [list(_tangents(adjoints[name], n)) for name in names]
    asym = max((abs(h[i][j] - h[j][i]) for i in range(n) for j in range(n)), default=0.0)
    return HessianResult(primal(mode.primal(outs[0])), names, "forward-over-reverse", 1, warnings + mode.warnings, None,
                         gradient, h, asym)


def hvp(source: str | Loaded, point: Mapping[str, float], direction: Mapping[str, float], *,
        strict: bool = False, max_steps: int | None = None, max_depth: int | None = None,
        max_memory: int | None = None) -> HvpResult:
    """H·v: one forward-over-reverse sweep with the single tangent v (H is never formed)."""
    validate.arguments("hvp", locals())
    loaded = resolve(source)
    check_scalar(loaded, "hvp")
    names, values, warnings = bind(loaded, point, allow_arrays=False)
    check_direction(names, values, direction)
    seeds = {name: (float(direction[name]),) for name in names}
    limits = limits_of(max_steps, max_depth, max_memory)
    mode, outs, adjoints = _forward_over_reverse(loaded, names, values, seeds, strict, limits)
    return HvpResult(primal(mode.primal(outs[0])), names, "forward-over-reverse", 1, warnings + mode.warnings, None,
                     {name: primal(adjoints[name]) for name in names},
                     {name: float(direction[name]) for name in names},
                     {name: _tangents(adjoints[name], 1)[0] for name in names})


def deriv(source: str | Loaded, point: Mapping[str, float], *, wrt: str | None = None,
          direction: Mapping[str, float] | None = None, order: int = 1, strict: bool = False, trace: bool = False,
          max_steps: int | None = None, max_depth: int | None = None,
        max_memory: int | None = None) -> DerivResult:
    """The 1st … K-th derivatives along one input (``wrt``) or a direction, in one Taylor sweep."""
    validate.arguments("deriv", locals())
    loaded = resolve(source)
    names, values, warnings = bind(loaded, point, allow_arrays=False)
    if (wrt is None) == (direction is None):
        if wrt is None and len(names) == 1:
            wrt = names[0]
        else:
            raise AdcalcError("input", "give exactly one of wrt (an input name) or a direction",
                              hint="--wrt x, or --dir x=1,y=0")
    if wrt is not None:
        if wrt not in values:
            raise AdcalcError("input", f"'{wrt}' is not an input of the point ({', '.join(names)})")
        dvec = {n: (1.0 if n == wrt else 0.0) for n in names}
    else:
        check_direction(names, values, direction)  # type: ignore[arg-type]
        dvec = {n: float(direction[n]) for n in names}  # type: ignore[index]
    used = used_inputs(loaded, names)
    mode = TaylorMode([dvec[n] for n in used], order, strict)
    graph = Graph("taylor", names) if trace else None
    runner = Recorder(mode, graph) if graph is not None else mode
    outs = run_mode(loaded, runner, names, values, limits_of(max_steps, max_depth, max_memory), trace)
    if graph is not None:
        graph.outputs = [o.node if type(o) is Rec else None for o in outs]
        graph.seeds = [dvec]
        outs = [o.inner if type(o) is Rec else o for o in outs]
    factorials = [math.factorial(k) for k in range(order + 1)]
    per_output = [[factorials[k] * c for k, c in enumerate(mode.coefficients(o))][1:] for o in outs]
    value = shaped(loaded, [mode.primal(o) for o in outs])
    derivatives = per_output if loaded.program.vector_output else per_output[0]
    return DerivResult(value, names, "taylor", 1, warnings + mode.warnings, graph, derivatives, dvec, order)
