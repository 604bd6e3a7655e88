"""Second and higher derivatives: Hessian, Hessian-vector product, Taylor-mode derivatives.

Contract (the math):
- ``hessian(src, point)``: forward-over-reverse.  Inputs are duals xᵢ + εeᵢ (n tangents); the
  reverse sweep runs over duals, so each input's adjoint is ∂f/∂xᵢ + ε·(∂²f/∂xᵢ∂xⱼ)ⱼ: the
  gradient and the Hessian row in one reverse sweep.  Rows and columns in point order.
- ``hvp(src, point, v)``: the same with one tangent v: H·v without forming H (cost ≈ a few
  gradients, independent of n).
- ``deriv(src, point, wrt=… | direction=…, order=K)``: one forward sweep of truncated Taylor
  series; returns dᵏ/dtᵏ f(x + t·v) at t = 0 for k = 1 … K.  ``wrt`` alone names one input (v is
  its unit vector); with a direction, ``wrt`` lists the inputs the direction covers (the others
  are constants).
- ``wrt`` (``adcalc.ops.wrt``) on hessian and hvp: only those inputs, in that order, are
  differentiated (the Hessian's rows and columns, the direction's entries); the others are constants.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from adcalc.errors import AdcalcError
from adcalc.ops import validate
from adcalc.ops.driver import (
    Loaded,
    bind,
    check_direction,
    check_scalar,
    has_arrays,
    limits_of,
    read_adjoints,
    resolve,
    run_mode,
    shaped,
    used_inputs,
)
from adcalc.ops.results import DerivResult, HessianResult, HvpResult
from adcalc.ops.secondorder import direction_seeds, hessian_arrays, hessian_columns, hvp_arrays
from adcalc.ops.wrt import names_of, select
from adcalc.rules.registry import primal
from adcalc.transform.forward import Dual
from adcalc.transform.graph import Graph
from adcalc.transform.record import Rec, Recorder
from adcalc.transform.reverse import BoxedReverseMode
from adcalc.transform.taylor import TaylorMode
from adcalc.transform.taylorarrays import ArrayTaylorMode

MAX_ORDER = 100


def _tangents(v: object, width: int) -> tuple:
    return v.tangent if type(v) is Dual and v.tangent is not None else (0.0,) * width  # type: ignore[union-attr]


def _forward_over_reverse(loaded: Loaded, names: list[str], values: dict[str, float],
                          seeds: dict[str, tuple[float, ...]], strict: bool, limits) -> tuple:
    used = used_inputs(loaded, names)
    boxed = {**values, **{n: Dual(values[n], seeds[n]) for n in names}}  # the inputs not in names: constants
    mode = BoxedReverseMode(strict)
    outs = run_mode(loaded, mode, names, boxed, limits, False)  # type: ignore[arg-type]
    adj = mode.gradient(outs, [1.0])
    return mode, outs, read_adjoints(names, used, adj)  # type: ignore[arg-type]


def hessian_times(loaded: Loaded, names: list[str], values: dict[str, object], seeds: list[object], strict: bool,
                  limits) -> tuple[object, dict[str, object], object, list]:
    """H·S in one forward-over-reverse run with S's k columns as k tangents: ``seeds`` one per
    input of ``names`` (a (k, *shape) array; a number's is (k,)).  Returns (value, gradient, H·S as
    an n × k array, rows the entries of ``names`` row-major, warnings); column c is bit for bit what
    ``hvp`` gives for direction c, and a unit column what ``hessian``'s n-tangent run gives."""
    from adcalc.rules.registry import np

    if has_arrays(loaded, values):
        return hessian_columns(loaded, names, values, seeds, strict, limits)
    k = len(seeds[0]) if seeds else 0  # type: ignore[arg-type]
    tuples = {n: tuple(float(t) for t in s) for n, s in zip(names, seeds)}  # type: ignore[attr-defined]
    mode, outs, adjoints = _forward_over_reverse(loaded, names, values, tuples, strict, limits)  # type: ignore
    columns = np.array([_tangents(adjoints[n], k) for n in names], dtype=float).reshape(len(names), k)
    return primal(mode.primal(outs[0])), {n: primal(adjoints[n]) for n in names}, columns, mode.warnings


def hessian(source: str | Loaded, point: Mapping[str, float], *, wrt: str | Sequence[str] | None = None,
            strict: bool = False,
            max_steps: int | None = None, max_depth: int | None = None,
        max_memory: int | None = None) -> HessianResult:
    """The Hessian of a scalar source (one forward-over-reverse sweep with n tangents); of every
    output entry of a vector-valued one, and through arrays (``adcalc.ops.secondorder``)."""
    validate.arguments("hessian", locals())
    loaded = resolve(source)
    names, values, warnings = bind(loaded, point)
    names = select(names, values, wrt)
    limits = limits_of(max_steps, max_depth, max_memory)
    if loaded.program.vector_output or has_arrays(loaded, values):
        return hessian_arrays(loaded, names, values, warnings, strict, limits)
    n = len(names)
    seeds = {name: tuple(1.0 if j == i else 0.0 for j in range(n)) for i, name in enumerate(names)}
    mode, outs, adjoints = _forward_over_reverse(loaded, names, values, seeds, strict, limits)
    gradient = {name: primal(adjoints[name]) for name in names}
    h = [list(_tangents(adjoints[name], n)) for name in names]
    asym = max((abs(h[i][j] - h[j][i]) for i in range(n) for j in range(n)), default=0.0)
    return HessianResult(primal(mode.primal(outs[0])), names, "forward-over-reverse", 1, warnings + mode.warnings, None,
                         gradient, h, asym)


def hvp(source: str | Loaded, point: Mapping[str, float], direction: Mapping[str, float], *,
        wrt: str | Sequence[str] | None = None, strict: bool = False, max_steps: int | None = None,
        max_depth: int | None = None,
        max_memory: int | None = None) -> HvpResult:
    """H·v: one forward-over-reverse sweep with the single tangent v (H is never formed)."""
    validate.arguments("hvp", locals())
    loaded = resolve(source)
    check_scalar(loaded, "hvp")
    names, values, warnings = bind(loaded, point)
    names = select(names, values, wrt)
    check_direction(names, values, direction)
    limits = limits_of(max_steps, max_depth, max_memory)
    if has_arrays(loaded, values):
        dvec = direction_seeds(names, values, direction)
        return hvp_arrays(loaded, names, values, dvec, warnings, strict, limits)
    seeds = {name: (float(direction[name]),) for name in names}
    mode, outs, adjoints = _forward_over_reverse(loaded, names, values, seeds, strict, limits)
    return HvpResult(primal(mode.primal(outs[0])), names, "forward-over-reverse", 1, warnings + mode.warnings, None,
                     {name: primal(adjoints[name]) for name in names},
                     {name: float(direction[name]) for name in names},
                     {name: _tangents(adjoints[name], 1)[0] for name in names})


def deriv(source: str | Loaded, point: Mapping[str, float], *, wrt: str | Sequence[str] | None = None,
          direction: Mapping[str, float] | None = None, order: int = 1, strict: bool = False, trace: bool = False,
          max_steps: int | None = None, max_depth: int | None = None,
        max_memory: int | None = None) -> DerivResult:
    """The 1st … K-th derivatives along one input (``wrt``) or a direction, in one Taylor sweep
    (with arrays: ``adcalc.transform.taylorarrays``; a derivative of an array output is an array)."""
    validate.arguments("deriv", locals())
    loaded = resolve(source)
    names, values, warnings = bind(loaded, point)
    arrays = has_arrays(loaded, values)
    listed = names_of(wrt)
    if direction is None:
        if listed is None and len(names) == 1:
            listed = names
        elif listed is None or len(listed) != 1:
            raise AdcalcError("input", "give exactly one of wrt (an input name) or a direction" if listed is None
                              else f"wrt lists {len(listed)} inputs but no direction says how to move them",
                              hint="--wrt x, or --dir x=1,y=0, or --wrt x,y with --dir x=1,y=2 (the other inputs "
                                   "constant)")
        along = select(names, values, listed)[0]
        if type(values[along]) is not float:
            raise AdcalcError("input", f"'{along}' is an array: say how it moves with a direction",
                              hint=f"--dir {along}=[…] (its shape), with --wrt {along} to hold the other inputs "
                                   "constant")
        dvec: dict[str, object] = {n: (1.0 if n == along else 0.0 * values[n]) for n in names}  # type: ignore[operator]
    else:  # the direction covers the inputs of wrt (every input without it); the others are constants
        names = select(names, values, listed)
        check_direction(names, values, direction)
        dvec = direction_seeds(names, values, direction) if arrays else {n: float(direction[n]) for n in names}
    used = used_inputs(loaded, names)
    mode = (ArrayTaylorMode if arrays else TaylorMode)([dvec[n] for n in used], order, strict)  # type: ignore[arg-type]
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
