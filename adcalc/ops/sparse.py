"""Sparse Jacobians and Hessians: the pattern of the executed path, a colouring, compressed sweeps.

Contract:
- ``sparse_jacobian(src, point)``: one pattern run (``adcalc.transform.pattern``: each output
  entry's index domain), a distance-1 colouring of the columns (``adcalc.ops.coloring``), then ONE
  forward sweep per colour — all K colours carried together as K tangent directions, seeded with
  the sum of each colour's unit vectors — and the nonzeros read back.  Every value is exactly the
  number the dense forward-mode Jacobian (``jacobian(…, mode="forward")``) has there; the entries
  outside the pattern are exactly 0 on this path.
- ``sparse_hessian(src, point)``: one pattern run with nonlinear interactions (Walther's index
  domains), a star colouring, then H·S — S one column per colour — in ONE forward-over-reverse
  run carrying the K colours as K tangents (``adcalc.ops.higher.hessian_times``: K Hessian-vector
  products at once); each nonzero equals the dense forward-over-reverse Hessian's entry it is
  read from (the mirrored ones: its transpose's).
- Results carry the pattern (``nonzeros``: [[i, j], …] row-major), ``values`` (one per nonzero),
  ``colors`` and ``sweeps`` (= colors), the dense size, and the full matrix ``dense`` when asked
  (``dense=True``) or when it has at most ``DENSE_ENTRIES`` entries (else None).  ``nonzeros``,
  ``values``, ``rows`` and ``columns`` are Python lists made on their first read (from the NumPy
  arrays the recovery gives): JSON and the table read them; a caller who needs only some does
  not pay for the others (O(nonzeros) lists of lists and labels: ~0.5 ms at n = 1,000).
- Inputs and rows/columns: as ``jacobian``/``hessian`` (point order, arrays row-major, labels).
- ``wrt`` (``adcalc.ops.wrt``): only those inputs, in that order, are differentiated — the
  pattern, the colouring and the sweeps run over their entries alone, the columns (and a
  Hessian's rows) are theirs in ``wrt`` order; every other input of the point is a constant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from adcalc.errors import AdcalcError
from adcalc.ops import validate
from adcalc.ops.coloring import column_coloring, recover_columns, recover_symmetric, star_coloring
from adcalc.ops.driver import (
    Loaded,
    bind,
    check_scalar,
    gc_paused,
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
from adcalc.ops.wrt import select
from adcalc.rules.registry import np
from adcalc.transform.pattern import Pat, PatternMode, spread

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


class Later:
    """A field's value made on its first read, once (``make()``; threads racing there each make
    an equal list, one is kept)."""

    __slots__ = ("make", "made")

    def __init__(self, make: Callable[[], object]):
        self.make: Callable[[], object] | None = make
        self.made: object = None

    def get(self) -> object:
        make = self.make
        if make is not None:
            with gc_paused():  # thousands of small lists, no cycles: no collector passes over them
                self.made = make()
            self.make = None
        return self.made


class _OnRead:
    """A data descriptor: the instance's value, a ``Later`` replaced by what it makes on the first read."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> object:
        if obj is None:
            return self
        v = obj.__dict__[self.name]
        if type(v) is Later:
            v = v.get()
            obj.__dict__[self.name] = v
        return v

    def __set__(self, obj: object, value: object) -> None:
        obj.__dict__[self.name] = value


for _cls in (SparseJacobianResult, SparseHessianResult):
    for _name in ("nonzeros", "values", "rows", "columns"):
        setattr(_cls, _name, _OnRead(_name))


def pattern(loaded: Loaded, names: list[str], values: dict[str, object], hessian: bool, strict: bool,
            limits: object) -> tuple[list[object], tuple[object, object], tuple[object, object] | None, list]:
    """One run in pattern mode: (output primals, the Jacobian's pattern — each output entry's index
    domain — and, for ``hessian``, the pattern of the nonlinear interactions, both CSR ``(ptr, idx)``
    as ``adcalc.ops.coloring`` reads them; warnings)."""
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
        rows.append(spread(o.deps if type(o) is Pat else None, np.shape(p)))
    ptr = [np.zeros(1, dtype=np.int64)]
    at = 0
    for r in rows:
        ptr.append(r.ptr[1:] + at)  # type: ignore[operator]
        at += int(r.ptr[-1])  # type: ignore[index]
    jac = (np.concatenate(ptr), np.concatenate([r.idx for r in rows]) if rows else np.zeros(0, dtype=np.int64))
    return primals, jac, mode.adjacency() if hessian else None, mode.warnings


def _dense(i: object, j: object, v: object, m: int, n: int) -> list[list[float]]:
    out = np.zeros((m, n))
    out[i, j] = v
    return out.tolist()


def _listed(i: object, j: object) -> list[list[int]]:
    return np.stack([np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)], axis=1).tolist()


def sparse_jacobian(source: str | Loaded, point: Mapping[str, object], *, dense: bool = False, strict: bool = False,
                    wrt: str | Sequence[str] | None = None, max_steps: int | None = None,
                    max_depth: int | None = None, max_memory: int | None = None) -> object:
    """The Jacobian by a column colouring: one forward sweep per colour (see the module docstring)."""
    validate.arguments("jacobian", {"source": source, "point": point, "strict": strict, "wrt": wrt,
                                    "max_steps": max_steps, "max_depth": max_depth, "max_memory": max_memory})
    _flag("dense", dense)
    loaded = resolve(source)
    names, values, warnings = bind(loaded, point)
    names = select(names, values, wrt)
    limits = limits_of(max_steps, max_depth, max_memory)
    n = sum(size(values[nm]) for nm in names)
    _, rows, _, _ = pattern(loaded, names, values, False, strict, limits)
    colour = column_coloring(rows, n)
    k = max(colour, default=-1) + 1
    seeds = _seeds(names, values, colour, k)
    f = run_forward(loaded, names, values, [tuple(s.tolist()) if type(values[nm]) is float else s
                                            for nm, s in zip(names, seeds)], strict, False, limits)
    compressed = [row for o in f.outputs for row in tangent_matrix(o, k)]
    m = len(rows[0]) - 1  # type: ignore[arg-type]
    i, j, v = recover_columns(rows, colour, np.array(compressed, dtype=float).reshape(m, k))
    attach_one_sided(loaded, names, values, f.warnings, limits, True)
    columns = _labels(names, values)
    arrays = any(type(values[nm]) is not float for nm in names) or any(type(p) is not float for p in f.primals)
    value = f.primals if loaded.program.vector_output or len(f.primals) != 1 else f.primals[0]
    return SparseJacobianResult(value, names, "forward", k, warnings + f.warnings, None,
                                Later(lambda: _listed(i, j)), Later(v.tolist), k, (m, n),  # type: ignore[attr-defined]
                                Later(lambda: row_labels(loaded, f.primals)), columns,
                                _dense(i, j, v, m, n) if dense or m * n <= DENSE_ENTRIES else None, colour, arrays)


def sparse_hessian(source: str | Loaded, point: Mapping[str, object], *, dense: bool = False, strict: bool = False,
                   wrt: str | Sequence[str] | None = None, max_steps: int | None = None,
                   max_depth: int | None = None, max_memory: int | None = None) -> object:
    """The Hessian by a star colouring: H·S, S one column per colour, in one forward-over-reverse
    run with a tangent per colour (see the module docstring)."""
    from adcalc.ops import higher

    validate.arguments("hessian", {"source": source, "point": point, "strict": strict, "wrt": wrt,
                                   "max_steps": max_steps, "max_depth": max_depth, "max_memory": max_memory})
    _flag("dense", dense)
    loaded = resolve(source)
    check_scalar(loaded, "hessian")
    names, values, warnings = bind(loaded, point)
    names = select(names, values, wrt)
    limits = limits_of(max_steps, max_depth, max_memory)
    n = sum(size(values[nm]) for nm in names)
    primals, _, adjacency, _ = pattern(loaded, names, values, True, strict, limits)
    if len(primals) != 1 or type(primals[0]) is not float:
        raise AdcalcError("type", "hessian needs a scalar function, but this one returns an array",
                          hint="reduce it, e.g. sum(…)")
    colour = star_coloring(adjacency)  # type: ignore[arg-type]
    col = np.asarray(colour, dtype=np.int64)  # once, for the seeds and the recovery
    k = int(col.max()) + 1 if len(col) else 0
    if k == 0:  # no input entries move anything nonlinearly: H = 0, one plain gradient
        from adcalc.ops.derivatives import grad

        limit_kw = {"max_steps": max_steps, "max_depth": max_depth, "max_memory": max_memory}
        g = grad(loaded, values, strict=strict, wrt=names, **limit_kw)
        value, gradient, notes, compressed = g.value, g.gradient, g.warnings[len(warnings):], np.zeros((n, 0))
    else:
        value, gradient, compressed, notes = higher.hessian_times(loaded, names, values,
                                                                  _seeds(names, values, col, k), strict, limits)
    i, j, v, _ = recover_symmetric(adjacency, col, compressed)  # type: ignore[arg-type]
    columns = _labels(names, values)
    arrays = any(type(values[nm]) is not float for nm in names)
    return SparseHessianResult(value, names, "forward-over-reverse", k, warnings + list(notes), None,
                               Later(lambda: _listed(i, j)), Later(v.tolist), k, (n, n),  # type: ignore[attr-defined]
                               columns, columns,
                               _dense(i, j, v, n, n) if dense or n * n <= DENSE_ENTRIES else None, colour, arrays,
                               gradient)


def _labels(names: list[str], values: dict[str, object]) -> Later:
    """The input entries' labels, made on first read (one list, shared by a Hessian's rows and columns)."""
    names = tuple(names)  # type: ignore[assignment]
    return Later(lambda: [label for nm in names for label in labels(nm, values[nm])])


def _flag(label: str, value: object) -> None:
    if value is not True and value is not False:
        raise AdcalcError("type", f"{label} must be True or False, not {value!r}")


def _seeds(names: list[str], values: dict[str, object], colour: Sequence[int], k: int) -> list[object]:
    """One seed per input, (k, *shape): direction c is the sum of the unit vectors of colour c."""
    seeds: list[object] = []
    offset = 0
    col = np.asarray(colour, dtype=np.int64)
    for nm in names:
        v = values[nm]
        m = size(v)
        seed = np.zeros((k, m))
        seed[col[offset:offset + m], np.arange(m)] = 1.0
        seeds.append(seed.reshape((k,) + np.shape(v)))
        offset += m
    return seeds
