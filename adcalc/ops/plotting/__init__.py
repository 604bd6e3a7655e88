"""``plot``: f and its derivatives over an interval (or f over a rectangle), with the points to mark.

Contract: ``plot(source, x=(NAME, LO, HI), y=None | (NAME2, LO, HI), point={OTHER: V}, order=K,
points=N, tangent=X0, output=i)`` returns a ``PlotResult``:

- ``xs`` (N grid points, LO and HI included), ``values`` (f there; nan where f is not finite or the
  program fails), ``derivatives`` ([f′ …, f⁽ᴷ⁾], each N values), ``critical_points``,
  ``inflection_points``, ``kinks``, ``jumps`` (x, f from the left and from the right), ``nonfinite``
  (see ``adcalc.ops.plotting.features``),
  ``tangent`` ({x, value, slope} at X0, or None), ``method`` ("batched" or "per-point") and
  ``method_reason`` (why not batched), ``warnings`` (one for the points where the program failed:
  how many, and the first message);
- with ``y``: ``ys`` (N points), ``values`` and ``derivatives`` ([∂f/∂x, ∂f/∂y]) as grids
  indexed [row (y)][column (x)], and ``critical_points`` with y, kind (min, max, saddle,
  degenerate) and the Hessian's eigenvalues (``adcalc.ops.plotting.surface``).

Errors (``AdcalcError``): an empty or reversed interval, a NAME the source does not read, a
vector-valued source without ``output`` (1-based), an inputs missing from ``point``, a program
that fails at every point.  Math only: nothing here prints.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from adcalc.errors import AdcalcError
from adcalc.ops.driver import Loaded, bind, limits_of, resolve, run_mode
from adcalc.ops.plotting import features, surface
from adcalc.ops.plotting.sweep import point as point_at
from adcalc.ops.plotting.sweep import sweep
from adcalc.ops.results import result_type
from adcalc.rules.registry import np
from adcalc.transform.notes import Warning, fmt_number

MAX_POINTS = 100_000  # one variable
MAX_POINTS_2D = 1_000  # per axis
MAX_ORDER = 4  # the nested-dual sweep costs about 3ᴷ rules per step (adcalc deriv goes higher at one point)
DEFAULT_POINTS, DEFAULT_POINTS_2D = 1001, 101

PlotResult = result_type("PlotResult", {
    "name": lambda: "x", "xs": list, "y_name": lambda: None, "ys": lambda: None, "values": list,
    "derivatives": list, "order": lambda: 1, "critical_points": list, "inflection_points": list, "kinks": list,
    "jumps": list,
    "nonfinite": list, "tangent": lambda: None, "method": lambda: "batched", "method_reason": lambda: "",
    "point": dict, "output": lambda: None, "source": lambda: "", "file": lambda: None},
    "A plot's grid, f and its derivatives there, and the points to mark (see adcalc.ops.plotting).")


def _check_range(rng: object, what: str, loaded: Loaded) -> tuple[str, float, float]:
    if not (isinstance(rng, tuple | list) and len(rng) == 3 and isinstance(rng[0], str)):
        raise AdcalcError("type", f"{what} must be (NAME, LO, HI)")
    name, lo, hi = rng[0], rng[1], rng[2]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lo, hi)):
        raise AdcalcError("type", f"{what}: LO and HI must be numbers")
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise AdcalcError("input", f"the interval {name}={fmt_number(lo)}:{fmt_number(hi)} is not finite",
                          hint="give finite ends, e.g. -2:2")
    if lo == hi:
        raise AdcalcError("input", f"the interval {name}={fmt_number(lo)}:{fmt_number(hi)} is empty",
                          hint=f"give LO below HI, e.g. {name}={fmt_number(lo)}:{fmt_number(lo + 1)}")
    if lo > hi:
        raise AdcalcError("input", f"the interval {name}={fmt_number(lo)}:{fmt_number(hi)} is reversed "
                          "(LO must be below HI)", hint=f"write {name}={fmt_number(hi)}:{fmt_number(lo)}")
    if not math.isfinite(hi - lo):  # -1e308:1e308: the grid's spacing would overflow (found by the fuzz)
        raise AdcalcError("input", f"the interval {name}={fmt_number(lo)}:{fmt_number(hi)} is wider than a "
                          "float can span (HI − LO overflows)", hint="give a narrower interval, e.g. -1e300:1e300")
    if name not in loaded.program.inputs:
        inputs = ", ".join(loaded.program.inputs) or "none"
        raise AdcalcError("input", f"'{name}' is not an input of the source (its inputs: {inputs})",
                          hint="plot along one of the source's inputs")
    return name, lo, hi


def _output_index(loaded: Loaded, output: int | None) -> int:
    n = loaded.program.n_outputs
    if loaded.program.vector_output:
        if output is None:
            raise AdcalcError("input", f"the source returns {n} values; say which output to plot: --output i "
                              f"(1 … {n})", hint="e.g. --output 1")
        if not 1 <= output <= n:
            raise AdcalcError("input", f"--output {output}: the source returns {n} values (1 … {n})")
        return output - 1
    if output not in (None, 1):
        raise AdcalcError("input", f"--output {output}: the source returns one value", hint="leave --output out")
    return 0


def _grid(lo: float, hi: float, n: int) -> object:
    g = np.linspace(lo, hi, n)
    g[0], g[-1] = lo, hi
    return g


def _failure_warning(s: object, n: int, names: str) -> list[Warning]:
    if not s.failures:  # type: ignore[attr-defined]
        return []
    at = s.first_at  # type: ignore[attr-defined]
    where = ", ".join(f"{k}={fmt_number(v)}" for k, v in zip(names.split(","), at if isinstance(at, tuple) else (at,)))
    e = s.first_error  # type: ignore[attr-defined]
    return [Warning("plot_failures", f"the program fails at {s.failures} of {n} points (drawn as gaps); "  # type: ignore[attr-defined]
                    f"the first, at {where}: {e.message}", details={"count": s.failures, "first": e.message})]


def plot(source: str | Loaded, x: tuple[str, float, float], y: tuple[str, float, float] | None = None,
         point: Mapping[str, float] | None = None, *, order: int = 1, points: int | None = None,
         tangent: float | None = None, output: int | None = None, strict: bool = False, batch: bool = True,
         max_steps: int | None = None, max_depth: int | None = None, max_memory: int | None = None) -> object:
    """The plot's data (see the module docstring); ``batch=False`` forces one run per point."""
    loaded = resolve(source)
    name, lo, hi = _check_range(x, "--x", loaded)
    ranges = [(name, lo, hi)]
    if y is not None:
        ranges.append(_check_range(y, "--y", loaded))
        if ranges[1][0] == name:
            raise AdcalcError("input", f"--x and --y both sweep '{name}'", hint="give two different inputs")
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= MAX_ORDER:
        raise AdcalcError("input", f"the order (--order) must be a whole number from 1 to {MAX_ORDER}",
                          hint="adcalc deriv gives higher derivatives at a point")
    limit = MAX_POINTS if y is None else MAX_POINTS_2D
    n = points if points is not None else (DEFAULT_POINTS if y is None else DEFAULT_POINTS_2D)
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= limit:
        raise AdcalcError("input", f"the number of points (--points) must be a whole number from 2 to {limit:,}"
                          + (" (per axis)" if y is not None else ""))
    if tangent is not None and (y is not None or not math.isfinite(tangent)):
        raise AdcalcError("input", "--tangent takes a finite X0, and only in a plot of one variable")
    idx = _output_index(loaded, output)
    swept_names = [r[0] for r in ranges]
    given = dict(point or {})
    for s in swept_names:
        if s in given:
            raise AdcalcError("input", f"'{s}' is both swept and given in --at", hint=f"remove {s}=… from --at")
    names, values, warnings = bind(loaded, {**given, **{s: 0.0 for s in swept_names}}, allow_arrays=False)
    limits = limits_of(max_steps, max_depth, max_memory)
    common = {"name": name, "order": order, "point": given, "output": output, "source": loaded.text}
    if y is not None:
        return _plot2(loaded, names, values, ranges, n, idx, limits, strict, batch, warnings, common)

    xs = _grid(lo, hi, n)
    depth = max(order, 2)
    s = sweep(loaded, names, values, {name: xs}, depth, idx, limits, strict, batch)
    if s.failures == n:
        raise s.first_error  # type: ignore[misc]
    warnings += _failure_warning(s, n, name)
    f, derivs = s.columns[0], s.columns[1:]

    def evaluate(x0: float, d: int) -> list[float]:
        return point_at(loaded, names, values, name, x0, d, idx, limits, strict)

    def value_at(x0: float) -> float | None:
        try:
            return evaluate(x0, 0)[0]
        except AdcalcError:
            return None

    def finite_at(x0: float) -> bool:
        v = value_at(x0)
        return v is not None and math.isfinite(v)

    grid, fl, d1, d2 = xs.tolist(), f.tolist(), derivs[0].tolist(), derivs[1].tolist()  # type: ignore[attr-defined]
    for i, v in enumerate(fl):  # a failed point is a gap like a non-finite one
        if v != v:
            fl[i] = math.nan
    gaps = features.nonfinite(grid, fl, d1, finite_at, value_at)
    gauges = _gauges(s, loaded, names, values, name, idx, limits, strict)
    kinks, jumps = features.kinks_and_jumps(grid, gauges, evaluate,
                                            lambda x0: _one_sided(loaded, names, values, name, x0, idx, limits))
    blocks = [(g[0], g[1]) for g in gaps] + [(k["x"], k["x"]) for k in kinks + jumps]
    crit = features.critical_points(grid, d1, evaluate, blocks)
    infl = features.inflection_points(grid, d2, evaluate, blocks)
    tan = None
    if tangent is not None:
        d = evaluate(tangent, 1)
        tan = {"x": tangent, "value": d[0], "slope": d[1]}
        sides = _one_sided(loaded, names, values, name, tangent, idx, limits)
        if sides is not None and sides[0] != sides[1]:  # X0 is a kink: the slope is the convention's
            warnings.append(Warning("tangent_at_kink", f"{name} = {fmt_number(tangent)} is a kink (f′ from the left "
                                    f"{fmt_number(sides[0])}, from the right {fmt_number(sides[1])}): the tangent "
                                    f"line uses the convention's slope {fmt_number(d[1])}",
                                    details={"left": sides[0], "right": sides[1]}))
    return PlotResult(fl, names, s.method, 1 if s.method == "batched" else n, warnings, None, xs=grid,
                      values=fl, derivatives=[c.tolist() for c in derivs[:order]], critical_points=crit,
                      inflection_points=infl, kinks=kinks, jumps=jumps, nonfinite=gaps, tangent=tan, method=s.method,
                      method_reason=s.reason, **common)


def _gauges(s: object, loaded: Loaded, names: list[str], values: dict, name: str, idx: int, limits: object,
            strict: bool) -> list[tuple[list[float], object, bool]]:
    """Each kink or jump site's gauge on the grid, a function giving it at one x, and whether it
    is a jump site's piece."""
    from adcalc.ops.plotting.sweep import run_at, seeded

    def at_fn(key: tuple[int, int]) -> object:
        def at(x0: float) -> float | None:
            try:
                _, mode = run_at(loaded, names, values, {name: seeded(x0, 1)}, idx, limits, strict, False)  # type: ignore[arg-type]
            except AdcalcError:
                return None
            g = mode.gauges.get(key)
            return None if g is None else float(g)  # type: ignore[arg-type]
        return at

    return [(g.tolist(), at_fn(k), len(k) == 3) for k, g in s.gauges.items()]  # type: ignore[attr-defined]


def _one_sided(loaded: Loaded, names: list[str], values: dict, name: str, x0: float, idx: int,
               limits: object) -> tuple[float, float] | None:
    """The left and right derivatives along ``name`` at x0 by the one-sided rules."""
    from adcalc.transform.onesided import one_sided

    at = {**values, name: x0}
    used = [n for n in names if n in loaded.program.inputs]
    try:
        sides, _ = one_sided(lambda mode: run_mode(loaded, mode, names, at, limits, False), used)  # type: ignore[arg-type]
    except AdcalcError:
        return None
    left, right = sides[name]
    return left[idx], right[idx]


def _plot2(loaded: Loaded, names: list[str], values: dict, ranges: list, n: int, idx: int, limits: object,
           strict: bool, batch: bool, warnings: list, common: dict) -> object:
    from adcalc.ops.higher import hessian

    (xn, xlo, xhi), (yn, ylo, yhi) = ranges
    xs, ys = _grid(xlo, xhi, n), _grid(ylo, yhi, n)
    gx, gy = np.meshgrid(xs, ys)  # [row j: y][column i: x]
    s = sweep(loaded, names, values, {xn: gx.ravel(), yn: gy.ravel()}, 1, idx, limits, strict, batch)  # type: ignore[arg-type]
    if s.failures == n * n:
        raise s.first_error  # type: ignore[misc]
    warnings += _failure_warning(s, n * n, f"{xn},{yn}")
    f, dx, dy = (c.reshape(n, n) for c in s.columns)  # type: ignore[attr-defined]

    def hessian_at(x0: float, y0: float) -> tuple[float, list[float], list[list[float]]]:
        if loaded.program.vector_output:
            raise AdcalcError("type", "the Hessian of one output of a vector source is not available")
        h = hessian(loaded, {**values, xn: x0, yn: y0}, strict=strict, max_steps=limits.max_steps,  # type: ignore[attr-defined]
                    max_depth=limits.max_depth, max_memory=limits.max_memory)  # type: ignore[attr-defined]
        i, j = h.inputs.index(xn), h.inputs.index(yn)
        return h.value, [h.gradient[xn], h.gradient[yn]], [[h.hessian[i][i], h.hessian[i][j]],
                                                           [h.hessian[j][i], h.hessian[j][j]]]

    crit = surface.critical_points(xs.tolist(), ys.tolist(), dx.tolist(), dy.tolist(), hessian_at)
    if loaded.program.vector_output:
        warnings.append(Warning("plot_no_critical_points", "the critical points of one output of a vector-valued "
                                "source are not searched (the Hessian is of scalar sources)",
                                details={"output": idx + 1}))
    bad = ~np.isfinite(f)
    gaps = [[float(gx[j, i]), float(gy[j, i])] for j, i in zip(*np.nonzero(bad))]
    return PlotResult(f.tolist(), names, s.method, 1 if s.method == "batched" else n * n, warnings, None,
                      xs=xs.tolist(), y_name=yn, ys=ys.tolist(), values=f.tolist(),
                      derivatives=[dx.tolist(), dy.tolist()], critical_points=crit, nonfinite=gaps,
                      method=s.method, method_reason=s.reason, **common)
