"""The marked points of a one-variable plot, found on the grid and refined with AD derivatives.

The math (``g`` is f′ for critical points, f″ for inflection points):
- **Zeros of g**: bracketed by a sign change of g between grid neighbours (or g exactly 0 at a
  grid point), refined by Newton's method ``x ← x − g/g′`` with g′ from AD, kept inside the bracket
  (a step that leaves it bisects instead) until a step is at most 1e-12·max(1, |x|).  A bracket that
  holds a kink or a non-finite region is not searched: there g changes sign by jumping.
- **Classification** of a critical point: f″ < 0 max, f″ > 0 min; f″ = 0: by the sign change of f′
  (− to + min, + to − max, none: neither).
- **Kinks and jumps**: a kink site's gauge (``adcalc.ops.plotting.sweep``) changing sign between
  grid neighbours (or a jump site's piece changing: floor, round …) is bisected down to
  neighbouring doubles.  Where f itself differs across them (by more than 1e-9 relative plus what
  its slope explains) it is a **jump** (f from the left and from the right).  Else, at a kink
  site: where the gauge is exactly 0, the left and right derivatives are the one-sided rules'
  (``adcalc.transform.onesided``); otherwise (the kink lies between two doubles) they are f′ at
  those two doubles.  Sides that agree (to 1e-9 relative) are no kink (``|x|^2``).
- **Non-finite regions**: runs of grid points where f is not finite, their ends bisected to
  neighbouring doubles; and poles between grid points — an interval whose secant slope has the
  sign opposite to f′ at both ends (1/x), or where f′ changes sign (1/x², or a smooth extremum),
  is searched for its largest |f|; where |f| grows past 10⁶ times every grid value, it is a pole
  (a gap: the doubles around it).  A zero of g on a whole stretch (f flat) is no isolated point.
Math only: nothing here prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from adcalc.errors import AdcalcError

Evaluate = Callable[[float, int], list[float]]  # x, depth → [f, f′, … f⁽ᵈᵉᵖᵗʰ⁾] (AdcalcError if it fails)

STEP_TOLERANCE = 1e-12
MAX_NEWTON = 100


def _safe(evaluate: Evaluate, x: float, depth: int) -> list[float] | None:
    try:
        return evaluate(x, depth)
    except AdcalcError:
        return None


def _finite(v: float) -> bool:
    return v - v == 0.0


def _blocked(a: float, b: float, blocks: list[tuple[float, float]]) -> bool:
    return any(lo <= b and hi >= a for lo, hi in blocks)


def zeros(xs: list[float], g: list[float], evaluate: Evaluate, order: int,
          blocks: list[tuple[float, float]]) -> list[tuple[float, int]]:
    """The zeros of g = f⁽ᵒʳᵈᵉʳ⁾: (x, sign change) with the sign change −1 (+ to −), +1 (− to +) or 0."""
    found: list[tuple[float, int]] = []
    n = len(xs)
    for i in range(n):
        gi = g[i]
        if not _finite(gi):
            continue
        if gi == 0.0 and not _blocked(xs[i], xs[i], blocks):
            if (i > 0 and g[i - 1] == 0.0) or (i + 1 < n and g[i + 1] == 0.0):
                continue  # g is 0 on a whole stretch (f′ = 0 where f is flat): no isolated point
            before = next((g[j] for j in range(i - 1, -1, -1) if _finite(g[j]) and g[j] != 0.0), 0.0)
            after = next((g[j] for j in range(i + 1, n) if _finite(g[j]) and g[j] != 0.0), 0.0)
            change = 1 if before < 0 < after else -1 if before > 0 > after else 0
            found.append((xs[i], change))
        elif i + 1 < n and _finite(g[i + 1]) and gi * g[i + 1] < 0.0 and not _blocked(xs[i], xs[i + 1], blocks):
            x = _newton(evaluate, order, xs[i], xs[i + 1], gi)
            if x is not None:
                found.append((x, 1 if gi < 0 else -1))
    return found


def _newton(evaluate: Evaluate, order: int, a: float, b: float, ga: float) -> float | None:
    """The zero of f⁽ᵒʳᵈᵉʳ⁾ in [a, b] (a sign change), by safeguarded Newton."""
    x = 0.5 * (a + b)
    for _ in range(MAX_NEWTON):
        d = _safe(evaluate, x, order + 1)
        if d is None or not _finite(d[order]):
            return None
        gx, dg = d[order], d[order + 1]
        if gx == 0.0:
            return x
        if (gx < 0) == (ga < 0):
            a, ga = x, gx
        else:
            b = x
        step = gx / dg if dg != 0.0 and _finite(dg) else math.inf
        nxt = x - step
        if a <= nxt <= b and abs(step) <= STEP_TOLERANCE * max(1.0, abs(x)):
            return nxt
        if not (a < nxt < b) or not _finite(nxt):
            nxt = 0.5 * (a + b)
            step = x - nxt
        if nxt in (a, b):
            return nxt
        x = nxt
    return x


def critical_points(xs: list[float], d1: list[float], evaluate: Evaluate,
                    blocks: list[tuple[float, float]]) -> list[dict[str, object]]:
    """f′ = 0: x, f(x), kind (min, max, neither)."""
    out = []
    for x, change in zeros(xs, d1, evaluate, 1, blocks):
        d = _safe(evaluate, x, 2)
        if d is None:
            continue
        kind = "max" if d[2] < 0 else "min" if d[2] > 0 else ("min" if change > 0 else "max" if change < 0
                                                             else "neither")
        out.append({"x": x, "value": d[0], "kind": kind})
    return out


def inflection_points(xs: list[float], d2: list[float], evaluate: Evaluate,
                      blocks: list[tuple[float, float]]) -> list[dict[str, object]]:
    """f″ changes sign: x, f(x)."""
    out = []
    for x, change in zeros(xs, d2, evaluate, 2, blocks):
        if change == 0:
            continue  # f″ touches 0 without changing sign (x⁴ at 0): no inflection
        d = _safe(evaluate, x, 0)
        if d is not None:
            out.append({"x": x, "value": d[0]})
    return out


def bisect(a: float, b: float, side: Callable[[float], int]) -> tuple[float, float, bool]:
    """Shrink [a, b] (side(a) ≠ side(b), each −1, 0 or +1) to neighbouring doubles, or to a point
    where side is 0: (lo, hi, exact) with exact when lo == hi and side(lo) == 0."""
    sa = side(a)
    if sa == 0:
        return a, a, True
    if side(b) == 0:
        return b, b, True
    for _ in range(1100):
        m = 0.5 * (a + b)
        if m in (a, b):
            break
        sm = side(m)
        if sm == 0:
            return m, m, True
        if sm == sa:
            a = m
        else:
            b = m
    return a, b, False


Gauge = tuple[list[float], Callable[[float], "float | None"], bool]  # on the grid, at any x, a piece?


def kinks_and_jumps(xs: list[float], gauges: list[Gauge], evaluate: Evaluate,
                    one_sided: Callable[[float], tuple[float, float] | None]
                    ) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Kinks (x, left and right derivatives) and jumps (x, f from the left and from the right):
    see the module docstring.  ``gauges``: each site's gauge on the grid, a function giving it at
    any x (None where the site is not reached), and whether it is a piece (a jump site)."""
    kinks: list[dict[str, float]] = []
    jumps: list[dict[str, float]] = []
    for grid, at, piece in gauges:
        for i in range(len(xs) - 1):
            g0, g1 = grid[i], grid[i + 1]
            if not (_finite(g0) and _finite(g1)):
                continue
            if piece:
                if g0 == g1:
                    continue
            elif not (g0 == 0.0 or (g0 < 0.0) != (g1 < 0.0)) or g1 == 0.0:
                continue  # a zero at a grid point is met once, from the interval that starts there

            def side(x: float, at: Callable[[float], float | None] = at, g0: float = g0, piece: bool = piece) -> int:
                v = at(x)
                if v is None or not _finite(v):
                    return 2
                return (-1 if v == g0 else 1) if piece else (v > 0) - (v < 0)

            lo, hi, exact = bisect(xs[i], xs[i + 1], side)
            if 2 in (side(lo), side(hi)):
                continue
            x = lo if exact or piece or abs(at(lo) or 0.0) <= abs(at(hi) or 0.0) else hi
            left_x, right_x = (math.nextafter(x, -math.inf), math.nextafter(x, math.inf)) if exact else (lo, hi)
            left, right = _safe(evaluate, left_x, 1), _safe(evaluate, right_x, 1)
            if left is None or right is None:
                continue
            slope = max(abs(left[1]), abs(right[1])) if _finite(left[1]) and _finite(right[1]) else math.inf
            if _finite(left[0]) and _finite(right[0]) and abs(left[0] - right[0]) > \
                    1e-9 * max(1.0, abs(left[0]), abs(right[0])) + 4 * slope * (right_x - left_x):
                if not exact:  # between two doubles: name the one that is written shorter (1.0, not 0.9999…)
                    x = min((lo, hi), key=lambda v: (len(repr(v + 0.0)), abs(v)))
                if not any(abs(j["x"] - x) <= 1e-12 * max(1.0, abs(x)) for j in jumps):
                    jumps.append({"x": x + 0.0, "left": left[0], "right": right[0]})
                continue
            if piece:
                continue  # the piece changed, f did not jump (floor(x)·0): nothing to mark
            sides = one_sided(lo) if exact else None
            left_d, right_d = sides if sides is not None else (left[1], right[1])
            if left_d != left_d or right_d != right_d:
                continue  # f is not defined on one side: the end of its domain, not a kink
            if _finite(left_d) and _finite(right_d) and \
                    abs(left_d - right_d) <= 1e-9 * max(1.0, abs(left_d), abs(right_d)):
                continue
            if not any(abs(k["x"] - x) <= 1e-12 * max(1.0, abs(x)) for k in kinks):
                kinks.append({"x": x + 0.0, "left": left_d, "right": right_d})
    return sorted(kinks, key=lambda k: k["x"]), sorted(jumps, key=lambda j: j["x"])


def nonfinite(xs: list[float], f: list[float], d1: list[float],
              finite_at: Callable[[float], bool], value_at: Callable[[float], float | None]) -> list[list[float]]:
    """The non-finite regions [A, B] (see the module docstring), in order."""
    regions: list[list[float]] = []
    n = len(xs)
    i = 0
    while i < n:
        if _finite(f[i]):
            i += 1
            continue
        j = i
        while j + 1 < n and not _finite(f[j + 1]):
            j += 1
        a = xs[i] if i == 0 else bisect(xs[i - 1], xs[i], lambda x: 1 if finite_at(x) else -1)[1]
        b = xs[j] if j == n - 1 else bisect(xs[j], xs[j + 1], lambda x: -1 if finite_at(x) else 1)[0]
        regions.append([a, b])
        i = j + 1
    finite_values = [abs(v) for v in f if _finite(v)]
    scale = max(finite_values, default=1.0)
    for i in range(n - 1):
        y0, y1, s0, s1 = f[i], f[i + 1], d1[i], d1[i + 1]
        if not all(_finite(v) for v in (y0, y1, s0, s1)):
            continue
        turns = (s0 > 0) != (s1 > 0) and s0 != 0.0 and s1 != 0.0  # an extremum or an even pole inside
        against = (s0 > 0) == (s1 > 0) and y1 != y0 and (y1 > y0) != (s0 > 0)  # f jumps against its slope
        if turns or against:
            pole = _pole(xs[i], xs[i + 1], value_at, scale)
            if pole is not None:
                regions.append(pole)
    return sorted(regions)


def _pole(a: float, b: float, value_at: Callable[[float], float | None], scale: float) -> list[float] | None:
    """Where |f| blows up inside [a, b]: a search for the largest |f| (by thirds) down to the
    doubles around it; a pole when |f| there exceeds 10⁶ times every value on the grid (or is not
    finite), else None (a smooth extremum, or a bounded jump)."""
    def size(x: float) -> float:
        v = value_at(x)
        return math.inf if v is None or not _finite(v) else abs(v)

    threshold = 1e6 * max(1.0, scale)
    peak = 0.0
    for _ in range(4000):
        m1, m2 = a + (b - a) / 3.0, b - (b - a) / 3.0
        if not a < m1 < m2 < b:
            break
        v1, v2 = size(m1), size(m2)
        for m, v in ((m1, v1), (m2, v2)):
            if v == math.inf:  # f is not finite here: the region around m, its ends bisected
                lo = bisect(a, m, lambda x: -1 if size(x) < math.inf else 1)[1] if size(a) < math.inf else a
                hi = bisect(m, b, lambda x: 1 if size(x) < math.inf else -1)[0] if size(b) < math.inf else b
                return [lo, hi]
        peak = max(peak, v1, v2)
        if peak <= threshold and b - a <= 1e-9 * max(1.0, abs(a)):
            return None
        if v1 >= v2:
            b = m2
        else:
            a = m1
    return [a, b] if peak > threshold else None
