"""The public API: evaluate, grad, jvp, vjp, jacobian (and ``function`` for optimisers).

Contract:
- ``source`` is adcalc text (an expression or a program) or a ``Loaded`` from ``load``.
- ``point`` maps input names to floats or arrays (nested lists or NumPy arrays of numbers).
  Its order is the order of inputs in every result (gradient keys, Jacobian columns, trace
  input nodes ``v1 … vn``).  A derivative with respect to an array input has the input's shape
  (a NumPy array); a Jacobian flattens outputs (rows) and inputs (columns) in row-major order,
  inputs in point order (``JacobianResult.rows`` / ``columns`` label each entry).  Every input of the source
  must be bound; binding a name the source never uses is allowed: its derivative is exactly 0
  and a warning ("unused") names it.
- ``wrt`` (names, or one string "x,y"; see ``adcalc.ops.wrt``) differentiates only those inputs,
  in that order — result keys, Jacobian columns, a jvp's direction and the trace's input nodes
  are exactly them —; the point's other inputs are constants.  None: every input, point order.
- Results carry ``value`` (a float, or a list for vector-valued sources), the derivative,
  ``warnings`` (first non-finite value, kinks hit, unused bindings), ``mode``, ``sweeps``, and
  the ``trace`` when ``trace=True``.  Traced and untraced runs give identical numbers.
- Every user mistake raises ``AdcalcError``; nothing else escapes for bad input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adcalc.errors import AdcalcError
from adcalc.ops import validate
from adcalc.ops.driver import (
    Loaded,
    as_array,
    bind,
    check_direction,
    check_scalar,
    has_arrays,
    labels,
    limits_of,
    load,
    need_jacobian,
    read_adjoints,
    resolve,
    row_labels,
    run_forward,
    run_mode,
    run_reverse,
    scalar_output,
    shaped,
    size,
    split,
    tangent_matrix,
    tangent_of,
    unflatten,
    unit_seeds,
    used_inputs,
)
from adcalc.ops.kinks import attach_one_sided
from adcalc.ops.results import EvalResult, GradResult, JacobianResult, JvpResult, Result, VjpResult
from adcalc.ops.wrt import select
from adcalc.rules.shapes import entries
from adcalc.transform.mode import EvalMode

__all__ = ["EvalResult", "GradResult", "JacobianResult", "JvpResult", "Loaded", "Result", "VjpResult", "evaluate",
           "grad", "jacobian", "jvp", "load", "vjp"]


def evaluate(source: str | Loaded, point: Mapping[str, float] | None = None, *, strict: bool = False,
             max_steps: int | None = None, max_depth: int | None = None,
        max_memory: int | None = None) -> EvalResult:
    """The value of the source at ``point``."""
    validate.arguments("evaluate", locals())
    loaded = resolve(source)
    names, values, warnings = bind(loaded, point or {})
    mode = EvalMode(strict)
    outs = run_mode(loaded, mode, names, values, limits_of(max_steps, max_depth, max_memory), False)
    return EvalResult(shaped(loaded, outs), names, "eval", 0, warnings + mode.warnings)


def grad(source: str | Loaded, point: Mapping[str, float], *, mode: str = "reverse", strict: bool = False,
         trace: bool = False, wrt: str | Sequence[str] | None = None,
        max_steps: int | None = None, max_depth: int | None = None,
        max_memory: int | None = None) -> GradResult:
    """The gradient of a scalar source at ``point`` (reverse mode: one sweep; forward: one per input)."""
    validate.arguments("grad", locals())
    loaded = resolve(source)
    check_scalar(loaded, "grad")
    names, values, warnings = bind(loaded, point)
    names = select(names, values, wrt)
    limits = limits_of(max_steps, max_depth, max_memory)
    if mode == "forward":
        seeds = unit_seeds(names, values, limits)
        f = run_forward(loaded, names, values, seeds, strict, trace, limits)
        value = scalar_output(f.primals[0], "grad")
        gradient = split(names, values, f.tangents[0]) if names else {}
        attach_one_sided(loaded, names, values, f.warnings, limits, False, gradient)
        return GradResult(value, names, "forward", f.width, warnings + f.warnings, f.graph, gradient)
    r = run_reverse(loaded, names, values, strict, trace, limits)
    value = scalar_output(r.primal(r.outputs[0]), "grad")
    if r.graph is not None:
        r.graph.output_seeds = [1.0]
    adj = r.pull([1.0])
    used = used_inputs(loaded, names)
    gradient = read_adjoints(names, used, adj, values)
    attach_one_sided(loaded, names, values, r.warnings, limits, False, gradient)
    return GradResult(value, names, "reverse", 1, warnings + r.warnings, r.graph, gradient)


def jvp(source: str | Loaded, point: Mapping[str, float], direction: Mapping[str, float], *,
        strict: bool = False, trace: bool = False, wrt: str | Sequence[str] | None = None, max_steps: int | None = None,
        max_depth: int | None = None, max_memory: int | None = None) -> JvpResult:
    """J·v: the directional derivative along ``direction`` (one forward sweep)."""
    validate.arguments("jvp", locals())
    loaded = resolve(source)
    names, values, warnings = bind(loaded, point)
    names = select(names, values, wrt)
    check_direction(names, values, direction)
    dvec: dict[str, object] = {}
    seeds: list[object] = []
    for n in names:
        d = as_array(n, direction[n]) if type(values[n]) is not float else direction[n]
        if type(values[n]) is float:
            if isinstance(d, list | tuple) or hasattr(d, "shape") and getattr(d, "ndim", 0) > 0:
                raise AdcalcError("input", f"the direction for '{n}' must be a number, like '{n}' itself")
            dvec[n] = float(d)  # type: ignore[arg-type]
            seeds.append((dvec[n],))
        else:
            if type(d) is float or d.shape != values[n].shape:
                raise AdcalcError("input", f"the direction for '{n}' must have its shape "
                                  f"{tuple(values[n].shape)}, got {tuple(getattr(d, 'shape', ()))}")
            dvec[n] = d
            seeds.append(d[None, ...])
    limits = limits_of(max_steps, max_depth, max_memory)
    f = run_forward(loaded, names, values, seeds, strict, trace, limits)
    t = [tangent_of(o, p) for o, p in zip(f.outputs, f.primals)]
    return JvpResult(shaped(loaded, f.primals), names, "forward", 1, warnings + f.warnings, f.graph,
                     shaped(loaded, t), dvec)


def vjp(source: str | Loaded, point: Mapping[str, float], cotangent: Sequence[float], *, strict: bool = False,
        trace: bool = False, wrt: str | Sequence[str] | None = None,
        max_steps: int | None = None, max_depth: int | None = None,
        max_memory: int | None = None) -> VjpResult:
    """wᵀJ: the cotangent ``w`` (one weight per output) pulled back to the inputs (one reverse sweep)."""
    validate.arguments("vjp", locals())
    loaded = resolve(source)
    names, values, warnings = bind(loaded, point)
    names = select(names, values, wrt)
    w = [float(c) for c in cotangent]
    limits = limits_of(max_steps, max_depth, max_memory)
    r = run_reverse(loaded, names, values, strict, trace, limits)
    primals = [r.primal(o) for o in r.outputs]
    n_out = sum(size(p) for p in primals)
    if len(w) != n_out:
        what = "output" if all(type(p) is float for p in primals) else "output entry (arrays flattened row-major)"
        raise AdcalcError("input", f"the cotangent has {len(w)} entr{'y' if len(w) == 1 else 'ies'} but the "
                          f"source has {n_out} {what}{'s' if n_out != 1 else ''}",
                          hint="give one weight per output: --cot " + ",".join(["1"] * min(n_out, 20)))
    if r.graph is not None:
        r.graph.output_seeds = w
    adj = r.pull(unflatten(primals, w))
    used = used_inputs(loaded, names)
    return VjpResult(_outputs_value(loaded, primals), names, "reverse", 1, warnings + r.warnings, r.graph, w,
                     read_adjoints(names, used, adj, values))


def _outputs_value(loaded: Loaded, primals: list) -> object:
    """The value ``jacobian`` and ``vjp`` report: a source whose one output is an array gives that
    array in its own shape (as ``eval`` shows it, not wrapped in a list); otherwise the list of the
    outputs (one entry for a scalar source, as these results have always given)."""
    if not loaded.program.vector_output and len(primals) == 1 and type(primals[0]) is not float:
        return primals[0]
    return primals


def jacobian(source: str | Loaded, point: Mapping[str, float], *, mode: str | None = None,
             strict: bool = False, wrt: str | Sequence[str] | None = None,
        max_steps: int | None = None, max_depth: int | None = None,
        max_memory: int | None = None) -> JacobianResult:
    """The m×n Jacobian (rows: outputs, columns: inputs in point order).

    ``mode=None`` picks whichever needs fewer sweeps: forward takes one per input, reverse one
    per output (a tie goes to forward, which needs no tape)."""
    validate.arguments("jacobian", locals())
    loaded = resolve(source)
    names, values, warnings = bind(loaded, point)
    names = select(names, values, wrt)
    n = sum(size(values[nm]) for nm in names)
    limits = limits_of(max_steps, max_depth, max_memory)
    arrays = has_arrays(loaded, values)
    if mode is None:
        if arrays:  # how many output entries there are is known only by running
            probe = EvalMode(strict)
            m_out = sum(size(v) for v in run_mode(loaded, probe, names, values, limits, False))
        else:
            m_out = loaded.program.n_outputs
        mode = "forward" if n <= m_out else "reverse"
    columns = [label for nm in names for label in labels(nm, values[nm])]
    if mode == "forward":
        seeds = unit_seeds(names, values, limits)
        f = run_forward(loaded, names, values, seeds, strict, False, limits)
        need_jacobian(limits, sum(size(p) for p in f.primals), n)
        jac = [row for o in f.outputs for row in tangent_matrix(o, f.width)]
        attach_one_sided(loaded, names, values, f.warnings, limits, True)
        return JacobianResult(_outputs_value(loaded, f.primals), names, "forward", n, warnings + f.warnings, None, jac,
                              row_labels(loaded, f.primals), columns, arrays)
    r = run_reverse(loaded, names, values, strict, False, limits)
    primals = [r.primal(o) for o in r.outputs]
    m_out = sum(size(p) for p in primals)
    need_jacobian(limits, m_out, n)
    used = used_inputs(loaded, names)
    jac = []
    for i in range(m_out):
        adj = r.pull(unflatten(primals, [1.0 if k == i else 0.0 for k in range(m_out)]))
        row = read_adjoints(names, used, adj, values)
        jac.append(entries([row[nm] for nm in names]))
    attach_one_sided(loaded, names, values, r.warnings, limits, True)
    return JacobianResult(_outputs_value(loaded, primals), names, "reverse", m_out, warnings + r.warnings, None, jac,
                          row_labels(loaded, primals), columns, arrays)
