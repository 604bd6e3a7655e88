"""Critical points of a two-variable plot: Newton on ∇f with the Hessian from AD.

The math: a grid cell whose corners see both signs of ∂f/∂x and both signs of ∂f/∂y (or a zero)
may hold a point where ∇f = 0.  From the cell's centre, Newton's method ``p ← p − H⁻¹∇f`` (H and ∇f
from one forward-over-reverse sweep, ``adcalc.ops.higher.hessian``) runs until a step is at most
1e-12·max(1, |p|); a point that converges inside the plotted rectangle is kept (once).  The
Hessian's eigenvalues classify it: both > 0 min, both < 0 max, opposite signs saddle, a zero
eigenvalue degenerate (the second-derivative test cannot tell).  Math only: nothing here prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from adcalc.errors import AdcalcError
from adcalc.rules.registry import np

HessianAt = Callable[[float, float], tuple[float, list[float], list[list[float]]]]  # f, ∇f, H

STEP_TOLERANCE = 1e-12
MAX_NEWTON = 60


def _sign_change(values: list[float]) -> bool:
    if not all(v - v == 0.0 for v in values):
        return False
    return min(values) <= 0.0 <= max(values)


def critical_points(xs: list[float], ys: list[float], gx: object, gy: object, hessian_at: HessianAt,
                    limit: int = 200) -> list[dict[str, object]]:
    """Points where ∇f = 0 inside the rectangle: x, y, value, kind, eigenvalues.  ``gx``/``gy``: the
    gradient's components on the grid, indexed [row j (y), column i (x)].  At most ``limit``
    starting cells are tried (a flat f would offer every cell)."""
    found: list[dict[str, object]] = []
    tried = 0
    for j in range(len(ys) - 1):
        for i in range(len(xs) - 1):
            cx = [gx[j][i], gx[j][i + 1], gx[j + 1][i], gx[j + 1][i + 1]]  # type: ignore[index]
            cy = [gy[j][i], gy[j][i + 1], gy[j + 1][i], gy[j + 1][i + 1]]  # type: ignore[index]
            if not (_sign_change(cx) and _sign_change(cy)):
                continue
            tried += 1
            if tried > limit:
                return found
            p = _newton(hessian_at, 0.5 * (xs[i] + xs[i + 1]), 0.5 * (ys[j] + ys[j + 1]))
            if p is None:
                continue
            x, y, value, eig = p
            if not (xs[0] <= x <= xs[-1] and ys[0] <= y <= ys[-1]):
                continue
            if any(abs(q["x"] - x) <= 1e-9 * max(1.0, abs(x)) and abs(q["y"] - y) <= 1e-9 * max(1.0, abs(y))
                   for q in found):  # type: ignore[operator]
                continue
            kind = ("min" if eig[0] > 0 else "max" if eig[1] < 0 else "saddle" if eig[0] < 0 < eig[1]
                    else "degenerate")
            found.append({"x": x, "y": y, "value": value, "kind": kind, "eigenvalues": eig})
    return found


def _newton(hessian_at: HessianAt, x: float, y: float) -> tuple[float, float, float, list[float]] | None:
    for _ in range(MAX_NEWTON):
        try:
            value, g, h = hessian_at(x, y)
        except AdcalcError:
            return None
        if not all(v - v == 0.0 for v in (value, *g, *h[0], *h[1])):
            return None
        det = h[0][0] * h[1][1] - h[0][1] * h[1][0]
        if g[0] == 0.0 and g[1] == 0.0 or det == 0.0:
            break
        dx = (h[1][1] * g[0] - h[0][1] * g[1]) / det
        dy = (h[0][0] * g[1] - h[1][0] * g[0]) / det
        x, y = x - dx, y - dy
        if math.hypot(dx, dy) <= STEP_TOLERANCE * max(1.0, math.hypot(x, y)):
            value, g, h = hessian_at(x, y)
            break
    else:
        return None
    if not (g[0] == 0.0 and g[1] == 0.0) and math.hypot(*g) > 1e-8 * max(1.0, abs(value)):
        return None  # a singular Hessian away from a critical point: Newton cannot go on
    eig = sorted(float(e) for e in np.linalg.eigvalsh(np.array(h, dtype=float)))
    return x, y, value, eig
