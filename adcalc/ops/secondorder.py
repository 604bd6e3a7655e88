"""Hessians and Hessian-vector products of array programs (and of vector-valued sources).

Contract (called by ``adcalc.ops.higher`` after binding; ``names`` are the differentiated inputs,
``values`` every input of the point — those not in ``names`` are constants):
- ``hessian_arrays``: one forward-over-reverse run (``transform.secondorder``) with one tangent
  per scalar entry of the inputs (row-major, inputs in ``names`` order), then one backward sweep
  per output entry.  The Hessian of each output entry is n × n, flattened like the Jacobian:
  ``rows`` and ``columns`` label the entries (``x[0]``, ``A[1, 0]``, ``y``).  A scalar source
  gives ``gradient`` and ``hessian``; a vector-valued one (several outputs, or an array output)
  gives ``outputs`` (its entries' labels, as a Jacobian's rows), ``gradients`` and ``hessians``,
  one per output entry, in that order.
- ``hvp_arrays``: the same run with the single tangent v: H·v in each input's shape.
"""

from __future__ import annotations

from collections.abc import Mapping

from adcalc.errors import AdcalcError
from adcalc.ops.driver import (
    Loaded,
    as_array,
    has_arrays,
    labels,
    need,
    row_labels,
    run_mode,
    scalar_output,
    shaped,
    size,
    unit_seeds,
    used_inputs,
)
from adcalc.ops.results import HessianResult, HvpResult
from adcalc.rules.registry import np
from adcalc.transform.floatsecond import FloatSecondOrderMode
from adcalc.transform.interpreter import Limits
from adcalc.transform.notes import Warning
from adcalc.transform.secondorder import HNode, SecondOrderMode


def _run(loaded: Loaded, names: list[str], values: dict[str, object], seeds: list[object], strict: bool,
         limits: Limits) -> tuple[SecondOrderMode, list[object]]:
    seed_of = dict(zip(names, seeds))
    mode = FloatSecondOrderMode([seed_of[n] for n in used_inputs(loaded, names)], strict)
    return mode, run_mode(loaded, mode, names, values, limits, False)


def _pull(mode: SecondOrderMode, loaded: Loaded, names: list[str], values: dict[str, object], out: object,
          weight: object, k: int | None = None) -> dict[str, tuple[object, object]]:
    """Each input's (∂/∂x, its tangents (k, *shape)) for the output ``out`` weighted by ``weight``
    (``k``: the number of directions, the mode's unless no input the run reads was seeded)."""
    k = mode.width if k is None else k
    adj = mode.sweep({out.index: (weight, None)}) if type(out) is HNode else []  # type: ignore[union-attr]
    node_of = {n: i for i, n in enumerate(used_inputs(loaded, names))}
    pairs: dict[str, tuple[object, object]] = {}
    for n in names:
        shape = np.shape(values[n])
        pair = adj[node_of[n]] if n in node_of and adj else None
        value = pair[0] if pair is not None else np.zeros(shape)
        tangent = pair[1] if pair is not None and pair[1] is not None else np.zeros((k,) + shape)
        value = float(value) if not shape else np.array(np.broadcast_to(value, shape), dtype=float)
        pairs[n] = (value, np.asarray(tangent, dtype=float).reshape((k,) + shape))
    return pairs


def _matrix(pairs: dict[str, tuple[object, object]], k: int) -> list[list[float]]:
    """Rows: the input entries (row-major, inputs in order); columns: the k directions."""
    blocks = [np.asarray(t).reshape(k, -1).T for _, t in pairs.values()]
    return (np.concatenate(blocks, axis=0) if blocks else np.zeros((0, k))).tolist()


def _asymmetry(h: list[list[float]]) -> float:
    m = np.array(h, dtype=float)
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(m - m.T))) if m.size else 0.0


def hessian_arrays(loaded: Loaded, names: list[str], values: dict[str, object], warnings: list[Warning],
                   strict: bool, limits: Limits) -> HessianResult:
    """The Hessian of every output entry (module docstring)."""
    n = sum(size(values[nm]) for nm in names)
    need(limits, 8 * n * n, f"a Hessian of {n:,} × {n:,} entries")
    seeds = [np.asarray(s, dtype=float) for s in unit_seeds(names, values, limits)]
    mode, outs = _run(loaded, names, values, seeds, strict, limits)
    primals = [mode.primal(o) for o in outs]
    columns = [label for nm in names for label in labels(nm, values[nm])]
    gradients, hessians = [], []
    for o, p in zip(outs, primals):
        for e in range(size(p)):
            count = f"{len(hessians) + 1} Hessians" if hessians else "a Hessian"
            need(limits, 32 * n * n * (len(hessians) + 1), f"{count} of {n:,} × {n:,} entries")
            if type(p) is float:
                weight: object = 1.0
            else:
                weight = np.zeros(np.shape(p))
                weight.reshape(-1)[e] = 1.0  # type: ignore[union-attr]
            pairs = _pull(mode, loaded, names, values, o, weight, n)  # n: also when --wrt names only unread inputs
            gradients.append({nm: pair[0] for nm, pair in pairs.items()})
            hessians.append(_matrix(pairs, n))
    asym = max([_asymmetry(h) for h in hessians] or [0.0])
    vector = loaded.program.vector_output or any(type(p) is not float for p in primals)
    value = shaped(loaded, primals)
    common = dict(rows=columns, columns=columns, arrays=has_arrays(loaded, values), asymmetry=asym)
    if not vector:
        return HessianResult(value, names, mode.name, 1, warnings + mode.warnings, None, gradients[0], hessians[0],
                             **common)
    return HessianResult(value, names, mode.name, len(hessians), warnings + mode.warnings, None, {}, [],
                         outputs=row_labels(loaded, primals), gradients=gradients, hessians=hessians, **common)


def direction_seeds(names: list[str], values: dict[str, object], direction: Mapping[str, object]) -> dict[str, object]:
    """The direction of each input in its shape (checked: a number for a number, the input's
    shape for an array)."""
    out: dict[str, object] = {}
    for n in names:
        d = as_array(n, direction[n])
        if type(values[n]) is float:
            if type(d) is not float:
                raise AdcalcError("input", f"the direction for '{n}' must be a number, like '{n}' itself")
        elif type(d) is float or d.shape != values[n].shape:  # type: ignore[union-attr]
            raise AdcalcError("input", f"the direction for '{n}' must have its shape {tuple(values[n].shape)}, "  # type: ignore[union-attr]
                              f"got {tuple(getattr(d, 'shape', ()))}")
        out[n] = d
    return out


def hvp_arrays(loaded: Loaded, names: list[str], values: dict[str, object], dvec: dict[str, object],
               warnings: list[Warning], strict: bool, limits: Limits) -> HvpResult:
    """H·v in each input's shape, and the gradient (one run, one sweep)."""
    seeds = [np.asarray(dvec[n], dtype=float)[None, ...] for n in names]
    mode, outs = _run(loaded, names, values, seeds, strict, limits)
    value = scalar_output(mode.primal(outs[0]), "hvp", hint="reduce it, e.g. sum(…), or use hessian for one per entry")
    pairs = _pull(mode, loaded, names, values, outs[0], 1.0, 1)  # one direction, also when no input is read
    hv = {n: (float(t[0]) if type(values[n]) is float else t[0]) for n, (_, t) in pairs.items()}
    return HvpResult(value, names, mode.name, 1, warnings + mode.warnings, None,
                     {n: g for n, (g, _) in pairs.items()}, dvec, hv)


def hessian_columns(loaded: Loaded, names: list[str], values: dict[str, object], seeds: list[object],
                    strict: bool, limits: Limits) -> tuple[object, dict[str, object], object, list[Warning]]:
    """H·S in one run and one sweep, S's k columns the directions ``seeds`` (one (k, *shape) array per
    input of ``names``): (value, gradient, H·S as an n × k array — rows the entries of ``names``
    row-major —, the run's warnings).  Column c is what ``hvp_arrays`` gives for direction c alone."""
    k = int(np.shape(seeds[0])[0]) if seeds else 0
    mode, outs = _run(loaded, names, values, seeds, strict, limits)
    value = mode.primal(outs[0])
    pairs = _pull(mode, loaded, names, values, outs[0], 1.0, k)
    blocks = [np.asarray(t).reshape(k, -1).T for _, t in pairs.values()]
    return (value, {n: g for n, (g, _) in pairs.items()},
            np.concatenate(blocks, axis=0) if blocks else np.zeros((0, k)), mode.warnings)
