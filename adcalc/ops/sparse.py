"""Sparse Jacobians and Hessians: the pattern of the executed path, a colouring, compressed sweeps.

Contract:
- ``sparse_jacobian(src, point)``: one pattern run (``adcalc.transform.pattern``: each output
  entry's index domain), a distance-1 colouring of the columns (``adcalc.ops.coloring``), then ONE
  forward sweep per colour — all K colours carried together as K tangent directions, seeded with
  the sum of each colour's unit vectors — and the nonzeros read back.  Every value is exactly the
  number the dense forward-mode Jacobian (``jacobian(…, mode="forward")``) has there; the entries
  outside the pattern are exactly 0 on this path.
- ``sparse_hessian(src, point)``: one pattern run with nonlinear interactions (Walther's index
  domains), a star colouring, then one Hessian-vector product (``adcalc.ops.higher.hvp``,
  forward-over-reverse) per colour; each nonzero equals the dense forward-over-reverse Hessian's
  entry it is read from (the mirrored ones: its transpose's).
- Results carry the pattern (``nonzeros``: [[i, j], …] row-major), ``values`` (one per nonzero),
  ``colors`` and ``sweeps`` (= colors), the dense size, and the full matrix ``dense`` when asked
  (``dense=True``) or when it has at most ``DENSE_ENTRIES`` entries (else None).
- Inputs and rows/columns: as ``jacobian``/``hessian`` (point order, arrays row-major, labels).
"""

from __future__ import annotations

from collections.abc import Mapping

from adcalc.errors import AdcalcError
from adcalc.ops import validate
from adcalc.ops.coloring import column_coloring, recover_columns, recover_symmetric, star_coloring
from adcalc.ops.driver import (
    Loaded,
    bind,
    check_scalar,
    labels,
    limits_of,
    need,
    resolve,
    row_labels,
    run_forward,
    run_mode,
    size,
    tangent_matrix,
    used_inputs,
)
from adcalc.ops.kinks import attach_one_sided
from adcalc.ops.results import result_type
from adcalc.transform.pattern import Pat, PatternMode

DENSE_ENTRIES = 400  # the full matrix is also given when it has at most this many entries (20 × 20)

_FIELDS = {"nonzeros": list, "values": list, "colors": lambda: 0, "shape": lambda: (0, 0), "rows": list,
           "columns": list, "dense": lambda: None, "coloring": list, "arrays": lambda: False}
SparseJacobianResult = result_type(
    "SparseJacobianResult", _FIELDS,
    "A Jacobian by colouring: ``nonzeros`` [[row, column], …] and their ``values``, ``colors`` (= ``sweeps``), "
    "``shape`` (m, n), ``rows``/``columns`` labels, ``coloring`` (each column's colour), ``dense`` (or None).")
SparseHessianResult = result_type(
    "SparseHessianResult", {**_FIELDS, "gradient": dict},
    "A Hessian by star colouring: as SparseJacobianResult, plus the ``gradient``.")


def pattern(loaded: Loaded, names: list[str], values: dict[str, object], hessian: bool, strict: bool,
            limits: object) -> tuple[list[object], list[int], list[int] | None, list]:
    """One run in pattern mode: (output primals, each output entry's index domain, the nonlinear
    interactions of each input entry or None, warnings)."""
    from adcalc.rules.registry import np

    used = used_inputs(loaded, names)
    start: dict[str, int] = {}
    offset = 0
    for nm in names:
        start[nm] = offset
        offset += size(values[nm])
    need(limits, offset * offset // 8, f"the sparsity pattern of {offset:,} input entries")  # type: ignore[arg-type]
    mode = PatternMode([start[nm] for nm in used], offset, hessian, strict)
    outs = run_mode(loaded, mode, names, values, limits, False)  # type: ignore[arg-type]
    primals, rows = [], []
    for o in outs:
        p = mode.primal(o)
        primals.append(p)
        d = o.deps if type(o) is Pat else 0
        if type(p) is float:
            rows.append(int(d))  # type: ignore[call-overload]
        else:
            rows.extend(int(x) for x in np.broadcast_to(np.asarray(d, dtype=object), np.shape(p)).reshape(-1))
    return primals, rows, mode.interactions, mode.warnings


def _dense(nonzeros: list, m: int, n: int) -> list[list[float]]:
    out = [[0.0] * n for _ in range(m)]
    for i, j, v, *_ in nonzeros:
        out[i][j] = v
    return out


def sparse_jacobian(source: str | Loaded, point: Mapping[str, object], *, dense: bool = False, strict: bool = False,
                    max_steps: int | None = None, max_depth: int | None = None,
                    max_memory: int | None = None) -> object:
    """The Jacobian by a column colouring: one forward sweep per colour (see the module docstring)."""
    validate.arguments("jacobian", {"source": source, "point": point, "strict": strict, "max_steps": max_steps,
                                    "max_depth": max_depth, "max_memory": max_memory})
    _flag("dense", dense)
    loaded = resolve(source)
    names, values, warnings = bind(loaded, point)
    limits = limits_of(max_steps, max_depth, max_memory)
    n = sum(size(values[nm]) for nm in names)
    _, rows, _, _ = pattern(loaded, names, values, False, strict, limits)
    colour = column_coloring(rows, n)
    k = max(colour, default=-1) + 1
    seeds = _seeds(names, values, colour, k)
    f = run_forward(loaded, names, values, seeds, strict, False, limits)
    compressed = [row for o in f.outputs for row in tangent_matrix(o, k)]
    nz = recover_columns(rows, colour, compressed)
    m = len(rows)
    attach_one_sided(loaded, names, values, f.warnings, limits, True)
    columns = [label for nm in names for label in labels(nm, values[nm])]
    arrays = any(type(values[nm]) is not float for nm in names) or any(type(p) is not float for p in f.primals)
    value = f.primals if loaded.program.vector_output or len(f.primals) != 1 else f.primals[0]
    return SparseJacobianResult(value, names, "forward", k, warnings + f.warnings, None,
                                [[i, j] for i, j, _ in nz], [v for _, _, v in nz], k, (m, n),
                                row_labels(loaded, f.primals), columns,
                                _dense(nz, m, n) if dense or m * n <= DENSE_ENTRIES else None, colour, arrays)


def sparse_hessian(source: str | Loaded, point: Mapping[str, object], *, dense: bool = False, strict: bool = False,
                   max_steps: int | None = None, max_depth: int | None = None,
                   max_memory: int | None = None) -> object:
    """The Hessian by a star colouring: one Hessian-vector product per colour (see the module docstring)."""
    from adcalc.ops import higher

    validate.arguments("hessian", {"source": source, "point": point, "strict": strict, "max_steps": max_steps,
                                   "max_depth": max_depth, "max_memory": max_memory})
    _flag("dense", dense)
    loaded = resolve(source)
    check_scalar(loaded, "hessian")
    names, values, warnings = bind(loaded, point)
    limits = limits_of(max_steps, max_depth, max_memory)
    n = sum(size(values[nm]) for nm in names)
    primals, _, interactions, _ = pattern(loaded, names, values, True, strict, limits)
    if len(primals) != 1 or type(primals[0]) is not float:
        raise AdcalcError("type", "hessian needs a scalar function, but this one returns an array",
                          hint="reduce it, e.g. sum(…)")
    colour = star_coloring(interactions)  # type: ignore[arg-type]
    k = max(colour, default=-1) + 1
    compressed_cols, result = [], None
    limit_kw = {"max_steps": max_steps, "max_depth": max_depth, "max_memory": max_memory}
    for c in range(k):
        direction = _direction(names, values, colour, c)
        result = higher.hvp(loaded, {nm: values[nm] for nm in names}, direction, strict=strict, **limit_kw)
        compressed_cols.append(_flat(names, result.hvp))
    if result is None:  # no input entries move anything nonlinearly: H = 0, one plain gradient
        from adcalc.ops.derivatives import grad

        g = grad(loaded, {nm: values[nm] for nm in names}, strict=strict, **limit_kw)
        value, gradient, notes = g.value, g.gradient, g.warnings
    else:
        value, gradient, notes = result.value, result.gradient, result.warnings[len(warnings):]
    compressed = [[col[i] for col in compressed_cols] for i in range(n)]
    nz = recover_symmetric(interactions, colour, compressed)  # type: ignore[arg-type]
    columns = [label for nm in names for label in labels(nm, values[nm])]
    arrays = any(type(values[nm]) is not float for nm in names)
    return SparseHessianResult(value, names, "forward-over-reverse", k, warnings + list(notes), None,
                               [[i, j] for i, j, *_ in nz], [v for _, _, v, _ in nz], k, (n, n), columns, columns,
                               _dense(nz, n, n) if dense or n * n <= DENSE_ENTRIES else None, colour, arrays,
                               gradient)


def _flag(label: str, value: object) -> None:
    if value is not True and value is not False:
        raise AdcalcError("type", f"{label} must be True or False, not {value!r}")


def _seeds(names: list[str], values: dict[str, object], colour: list[int], k: int) -> list[object]:
    """One seed per input: k directions, direction c the sum of the unit vectors of colour c."""
    from adcalc.rules.registry import np

    seeds: list[object] = []
    offset = 0
    for nm in names:
        v = values[nm]
        if type(v) is float:
            seeds.append(tuple(1.0 if c == colour[offset] else 0.0 for c in range(k)))
        else:
            seed = np.zeros((k,) + v.shape)  # type: ignore[attr-defined]
            flat = seed.reshape(k, -1)
            for e in range(v.size):  # type: ignore[attr-defined]
                flat[colour[offset + e], e] = 1.0
            seeds.append(seed)
        offset += size(v)
    return seeds


def _direction(names: list[str], values: dict[str, object], colour: list[int], c: int) -> dict[str, object]:
    from adcalc.rules.registry import np

    out: dict[str, object] = {}
    offset = 0
    for nm in names:
        v = values[nm]
        if type(v) is float:
            out[nm] = 1.0 if colour[offset] == c else 0.0
        else:
            out[nm] = (np.array(colour[offset:offset + v.size]) == c).astype(float).reshape(v.shape)  # type: ignore
        offset += size(v)
    return out


def _flat(names: list[str], per_input: Mapping[str, object]) -> list[float]:
    from adcalc.rules.registry import np

    out: list[float] = []
    for nm in names:
        out.extend(float(x) for x in np.asarray(per_input[nm], dtype=float).reshape(-1))
    return out
