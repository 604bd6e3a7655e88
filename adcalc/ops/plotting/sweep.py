"""The grid sweep of ``plot``: f and its derivatives along one input at many points.

The math: seed the swept input as a nested dual ``x + ε₁ + … + ε_D`` (each εᵢ² = 0, a dual of a
dual …); every primitive applies its registry rule level by level (value, then tangent
Σᵢ ∂ᵢ·u̇ᵢ with ∂ᵢ the registry's partials, evaluated on the level below, so they are
differentiated again).  The coefficient of ε₁⋯ε_k is f⁽ᵏ⁾(x), so one sweep gives f, f′ … f⁽ᴰ⁾.
Two inputs seeded (1, 0) and (0, 1) at one level give f and ∇f.

Batched: the swept input is a NumPy array holding every grid point, so each primitive runs once
for the whole grid (NumPy's value rule; ``array_partials`` where a scalar rule branches on a
value).  That is only valid while no decision depends on the swept input: a condition, a loop
bound or an array operation on a grid-valued number, or a partial rule that branches on a value,
raises ``NotBatchable``, and ``sweep`` runs the program once per point instead (the same mode on
floats, so both give the same numbers up to NumPy's vs the C library's last bits).

Contract: ``sweep(loaded, names, values, swept, depth, output, limits, strict, batch)`` (``swept``:
NAME → the grid's coordinates; ``depth`` D; ``output`` the 0-based output) returns a ``Sweep``:
the value and derivative arrays (nan at a point where the program failed), the method
(``"batched"`` or ``"per-point"``, and why), the failures (count, first error and where), and the
kink gauges: for each kink site met (a primitive whose kink is at its argument's zero, or a tie of
two arguments, or a condition), its gauge (argument, or difference) per grid point — a sign change
between neighbours brackets a kink.  A batched run holds at most ``CHUNK`` grid points × 2ᴰ
numbers per value (longer grids run in chunks).  ``point(loaded, …, x, depth)`` is one scalar
run.  Math only: nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from adcalc.errors import AdcalcError
from adcalc.language.ir import Cmp, Eqn
from adcalc.ops.driver import Loaded, run_mode
from adcalc.rules.registry import G, Primitive, array_rule, np
from adcalc.rules.shapes import mul0
from adcalc.transform.forward import Dual
from adcalc.transform.interpreter import Limits
from adcalc.transform.mode import Mode

CHUNK = 1 << 20  # grid points × 2^depth per batched run
_BRANCHY = (TypeError, ValueError, AttributeError)  # a rule deciding on a grid-valued number (see NotBatchable)


class NotBatchable(Exception):
    """The batched sweep met a decision that depends on the swept input (the reason is the message)."""


def _base(v: object) -> object:
    """The float or array under any number of dual levels."""
    while type(v) is GridDual:
        v = v.primal  # type: ignore[union-attr]
    return v


def _is_grid(v: object) -> bool:
    return hasattr(v, "shape") and getattr(v, "ndim", 0) > 0


def _gauge_kind(prim: Primitive) -> int:
    """1: a kink where the (single) argument is 0 (abs, sign, sqrt …); 2: a tie of two arguments
    (max, min, a comparison); 3: a one-argument primitive whose value jumps at its kinks (floor,
    ceil, round, int): its value says which piece x is on; 0: none of these."""
    if prim.kink is None or not prim.elementwise:
        return 0
    try:
        if prim.min_args == 1 and prim.kink(0.0) and not any(prim.kink(v) for v in (0.5, -0.5, 1.0, -1.0)):
            return 1
        if prim.min_args == prim.max_args == 1 and prim.side is not None:
            return 3
        if prim.min_args == 2 and prim.kink(1.0, 1.0) and not prim.kink(1.0, 2.0) and not prim.kink(2.0, 1.0):
            return 2
    except (TypeError, ValueError):
        return 0
    return 0


_GAUGES: dict[str, int] = {}


class SweepMode(Mode):
    """Nested forward mode over floats (one point) or arrays (every grid point at once)."""

    name = "plot"
    purpose = "plot"

    def __init__(self, batched: bool, strict: bool = False):
        super().__init__(strict)
        self.batched = batched
        self.gauges: dict[tuple[int, int], object] = {}  # (site, occurrence) → gauge value
        self._seen: dict[int, int] = {}

    def _record(self, site: object, gauge: object, piece: bool = False) -> None:
        """A kink site's gauge (a sign change brackets the kink), or a jump site's piece (``piece``:
        a change of value brackets the jump), keyed by the site and its occurrence in the run."""
        n = self._seen.get(id(site), 0)
        self._seen[id(site)] = n + 1
        self.gauges[(id(site), n, "piece") if piece else (id(site), n)] = gauge

    def active(self, v: object) -> bool:
        return type(v) is GridDual

    def concrete(self, v: object) -> object:
        b = _base(v)
        if _is_grid(b) and type(v) is GridDual:
            raise NotBatchable("a loop bound depends on the swept input")
        return b

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: Cmp) -> bool:
        pa, pb = _base(a), _base(b)
        if _is_grid(pa) or _is_grid(pb):
            if type(a) is GridDual or type(b) is GridDual:
                raise NotBatchable("a condition depends on the swept input")
            self.scalar_condition(site, pa, pb)
        if type(a) is GridDual or type(b) is GridDual:
            self._record(site, pa - pb)  # type: ignore[operator]
        return fn(pa, pb)

    def element(self, prim: Primitive, x: object, subscripts: Sequence[object], site: Eqn) -> object:
        return self.applyn(prim, [x, *subscripts], site)

    def apply(self, prim: Primitive, args: Sequence[object], site: Eqn) -> object:
        if not any(type(a) is GridDual for a in args):
            return Mode.apply(self, prim, args, site)  # nothing depends on the swept input: a constant
        if not prim.elementwise or any(type(a) is not GridDual and _is_grid(a) for a in args):
            if self.batched:
                raise NotBatchable(f"{prim.name} takes an array")
            raise self.unsupported(site)
        kind = _GAUGES.get(prim.name)
        if kind is None:
            kind = _GAUGES[prim.name] = _gauge_kind(prim)
        if kind in (1, 2):
            bases = [_base(a) for a in args]
            self._record(site, bases[0] if kind == 1 else bases[0] - bases[1])  # type: ignore[operator]
        try:
            out = self._lift(prim, args, site)
            if kind == 3:
                self._record(site, _base(out), piece=True)
            return out
        except _BRANCHY as e:
            if self.batched:
                raise NotBatchable(f"the rule of {prim.name} decides on the value") from e
            raise

    def _lift(self, prim: Primitive, args: Sequence[object], site: Eqn) -> object:
        return lift(prim, args, lambda p, primals: self.value(p, primals, site))


class GridDual(Dual):
    """A dual whose rules are the sweep's (``lift``): on arrays the registry's ``array_partials``,
    so a partial evaluated on duals of grid arrays is differentiated by the same rules."""

    __slots__ = ()

    def apply_primitive(self, prim: Primitive, args: Sequence[object]) -> Dual:
        return lift(prim, args)  # type: ignore[return-value]


def lift(prim: Primitive, args: Sequence[object], value: Callable[[Primitive, list], object] | None = None) -> object:
    """An elementwise primitive on nested duals: its value one level down, then Σᵢ ∂ᵢ·u̇ᵢ with the
    registry's partials (on grid arrays: ``array_partials`` where a scalar rule branches)."""
    primals: list[object] = []
    nested = grid = False
    width = 0
    for a in args:
        if type(a) is GridDual:
            width = max(width, len(a.tangent))  # type: ignore[union-attr]
            a = a.primal  # type: ignore[union-attr]
        primals.append(a)
        if type(a) is GridDual:
            nested = True
        elif type(a) is not float and _is_grid(a):
            grid = True
    grid = grid and not nested
    if nested:
        out = lift(prim, primals, value)
    elif grid:
        with np.errstate(all="ignore"):
            out = array_rule(prim)(*primals)
    else:
        out = value(prim, primals) if value is not None else prim.value(*primals)
    tangent: list[object] = [0.0] * width
    rules = (prim.array_partials or prim.partials) if grid else prim.partials
    if grid:
        with np.errstate(all="ignore"):
            _accumulate(rules, args, primals, tangent)
    else:
        _accumulate(rules, args, primals, tangent)  # floats (math, no NumPy), or duals (each level its own)
    return GridDual(out, tuple(tangent))


def _accumulate(rules: Sequence[Callable[..., object]], args: Sequence[object], primals: list[object],
                tangent: list[object]) -> None:
    """tangent[j] += ∂ᵢ·u̇ᵢ[j] for every dual argument i."""
    for i, a in enumerate(args):
        if type(a) is not GridDual:
            continue
        d = rules[i](*primals)
        for j, t in enumerate(a.tangent):  # type: ignore[union-attr]
            tangent[j] = _add(tangent[j], _times(d, t))


def _times(d: object, t: object) -> object:
    """d·t where an exact zero factor contributes nothing (the chain rule's convention)."""
    if (type(d) is float and d == 0.0) or (type(t) is float and t == 0.0):
        return 0.0
    if type(d) is GridDual or type(t) is GridDual:
        return G.mul(d, t)
    if type(d) is float and type(t) is float:
        return d * t
    return mul0(d, t)


def _add(a: object, b: object) -> object:
    if type(a) is float and a == 0.0:
        return b
    if type(b) is float and b == 0.0:
        return a
    return G.add(a, b)


def seeded(x: object, depth: int) -> object:
    """``x + ε₁ + … + ε_depth`` as nested duals (depth 0: ``x`` itself)."""
    for _ in range(depth):
        x = GridDual(x, (1.0,))
    return x


def components(v: object, depth: int) -> list[object]:
    """[f, f′, …, f⁽ᴰ⁾] from a result of ``seeded`` inputs: f⁽ᵏ⁾ is reached through the tangent of
    the outer k levels and the primal of the inner depth − k (a constant level gives 0)."""
    out = []
    for k in range(depth + 1):
        c = v
        for level in range(depth):
            if type(c) is not GridDual:
                c = 0.0 if level < k else c
                continue
            c = c.tangent[0] if level < k else c.primal  # type: ignore[union-attr]
        out.append(_base(c))
    return out


class Sweep:
    """A grid sweep's results (see the module docstring)."""

    def __init__(self, columns: list[object], method: str, reason: str, failures: int,
                 first_error: AdcalcError | None, first_at: float | None, gauges: dict[tuple[int, int], object]):
        self.columns, self.method, self.reason = columns, method, reason
        self.failures, self.first_error, self.first_at, self.gauges = failures, first_error, first_at, gauges


def _output(outs: list[object], output: int) -> object:
    return outs[output]


def run_at(loaded: Loaded, names: list[str], values: Mapping[str, object], swept: Mapping[str, object],
           output: int, limits: Limits, strict: bool, batched: bool) -> tuple[object, SweepMode]:
    """One run with the swept inputs' seeded values (nested duals over floats or grid arrays)."""
    mode = SweepMode(batched, strict)
    bound = {**values, **swept}
    outs = run_mode(loaded, mode, names, bound, limits, False)  # type: ignore[arg-type]
    return _output(outs, output), mode


def point(loaded: Loaded, names: list[str], values: Mapping[str, object], name: str, x: float, depth: int,
          output: int, limits: Limits, strict: bool = False) -> list[float]:
    """[f, f′, …, f⁽ᴰ⁾] at ``name = x`` (one scalar run; AdcalcError if the program fails there)."""
    out, _ = run_at(loaded, names, values, {name: seeded(float(x), depth)}, output, limits, strict, False)
    return [float(c) for c in components(out, depth)]  # type: ignore[arg-type]


def sweep(loaded: Loaded, names: list[str], values: Mapping[str, object], swept: Mapping[str, Any],
          depth: int, output: int, limits: Limits, strict: bool = False, batch: bool = True) -> Sweep:
    """f and its derivatives at every grid point.  ``swept``: name → 1-D array of the points'
    coordinates (one name: f … f⁽ᴰ⁾ along it; two names, ``depth`` 1: f, ∂f/∂first, ∂f/∂second)."""
    keys = list(swept)
    n = len(swept[keys[0]])

    def seeds(xs: Mapping[str, object]) -> dict[str, object]:
        if len(keys) == 1:
            return {keys[0]: seeded(xs[keys[0]], depth)}
        return {k: GridDual(xs[k], tuple(1.0 if j == i else 0.0 for j in range(len(keys)))) for i, k in enumerate(keys)}

    def read(out: object) -> list[object]:
        if len(keys) == 1:
            return components(out, depth)
        t = out.tangent if type(out) is GridDual else (0.0,) * len(keys)  # type: ignore[union-attr]
        return [_base(out), *[_base(c) for c in t]]

    reason = ""
    if batch and not strict:
        try:
            parts = []
            step = max(1, CHUNK >> depth)  # a run holds 2^depth arrays per value: memory stays bounded
            for start in range(0, n, step):
                stop = min(n, start + step)
                out, mode = run_at(loaded, names, values, seeds({k: v[start:stop] for k, v in swept.items()}),
                                   output, limits, strict, True)
                size = (stop - start,)
                parts.append(([np.broadcast_to(np.asarray(c, dtype=float), size) for c in read(out)],
                              {k: np.broadcast_to(np.asarray(g, dtype=float), size) for k, g in mode.gauges.items()}))
            cols = [np.concatenate([p[0][j] for p in parts]) for j in range(len(parts[0][0]))]
            keys_seen = [k for k in parts[0][1] if all(k in p[1] for p in parts)]
            gauges = {k: np.concatenate([p[1][k] for p in parts]) for k in keys_seen}
            return Sweep(cols, "batched", "", 0, None, None, gauges)
        except NotBatchable as e:
            reason = str(e)
        except AdcalcError as e:
            reason = f"the batched run failed ({e.message})"
    elif strict:
        reason = "--strict checks every point on its own"
    cols_pp = [np.full(n, np.nan) for _ in range(depth + 1 if len(keys) == 1 else len(keys) + 1)]
    per_gauge: dict[tuple[int, int], object] = {}
    failures, first, first_at = 0, None, None
    for i in range(n):
        xs = {k: float(swept[k][i]) for k in keys}
        try:
            out, mode = run_at(loaded, names, values, seeds(xs), output, limits, strict, False)
        except AdcalcError as e:
            failures += 1
            if first is None:
                first, first_at = e, xs[keys[0]] if len(keys) == 1 else (xs[keys[0]], xs[keys[1]])
            continue
        for c, v in zip(cols_pp, read(out)):
            c[i] = float(v)  # type: ignore[arg-type]
        for k, g in mode.gauges.items():
            per_gauge.setdefault(k, np.full(n, np.nan))[i] = float(g)  # type: ignore[index, arg-type]
    return Sweep(cols_pp, "per-point", reason, failures, first, first_at, per_gauge)  # type: ignore[arg-type]
