"""Sparse Jacobians and Hessians by colouring (issue #19): sweeps and time against the dense ones.

Run: ``python bench/sparse.py`` (figures go in bench/RESULTS.md by hand).  Workloads:

- a banded Jacobian: one explicit step of the 1-D diffusion equation,
  ``u[1:-1] + 0.1*(u[2:] - 2*u[1:-1] + u[:-2])``, n = 1,000 (against the dense forward-mode
  Jacobian) and n = 10,000 (sparse only: the dense one is 10⁸ entries);
- Rosenbrock's tridiagonal Hessian, n = 1,000: over 1,000 scalar inputs (one term per input pair),
  and in array form ``sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)`` (issue #19's target: ≥ 50×
  the dense Hessian, measured in the same run): with the colouring remembered, afresh
  (``coloring.forget()`` first: the first call on a pattern), and afresh with the result's lists
  read (they are made on first read: what JSON and the table pay).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adcalc import AdcalcError, higher  # noqa: E402
from adcalc.ops import coloring, derivatives  # noqa: E402
from adcalc.ops.sparse import sparse_hessian, sparse_jacobian  # noqa: E402

DIFFUSION = "u[1:-1] + 0.1*(u[2:] - 2*u[1:-1] + u[:-2])"
ARRAY_ROSEN = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"


def best(fn: object, repeat: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        out = None  # the previous call's result is freed before the clock starts, not in this call's time
        t = time.perf_counter()
        out = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times), out


def _read(r: object) -> object:
    """Every list the result makes on first read (what JSON and the table read)."""
    return r.nonzeros, r.values, r.rows, r.columns  # type: ignore[attr-defined]


def main() -> None:
    for n in (1_000, 10_000):
        u = {"u": np.sin(np.linspace(0.0, 3.0, n))}
        ts, r = best(lambda u=u: sparse_jacobian(DIFFUSION, u))
        line = (f"diffusion Jacobian n={n:,}: --sparse {ts * 1e3:8.1f} ms, {r.sweeps} sweeps, "
                f"{len(r.nonzeros):,} nonzeros")
        if n <= 1_000:
            td, d = best(lambda u=u: derivatives.jacobian(DIFFUSION, u, mode="forward"), 1)
            dense = np.array(d.jacobian)
            same = all(dense[i, j] == v for (i, j), v in zip(r.nonzeros, r.values))
            line += f" · dense forward {td * 1e3:8.1f} ms ({n:,} sweeps) · ×{td / ts:.0f} · values equal: {same}"
        print(line, flush=True)
    n = 1_000
    names = [f"x{i}" for i in range(n)]
    src = " + ".join(f"100*({names[i + 1]} - {names[i]}^2)^2 + (1 - {names[i]})^2" for i in range(n - 1))
    pt = {nm: 0.5 + 0.001 * i for i, nm in enumerate(names)}
    sparse_hessian(src, pt)  # parse once (cached) before timing
    ts, h = best(lambda: sparse_hessian(src, pt))
    td, d = best(lambda: higher.hessian(src, pt), 1)
    same = all(d.hessian[i][j] == v for (i, j), v in zip(h.nonzeros, h.values))
    print(f"rosenbrock Hessian, {n:,} scalar inputs: --sparse {ts * 1e3:8.1f} ms, {h.sweeps} sweeps · dense "
          f"{td * 1e3:8.1f} ms (one sweep of {n:,} tangents) · ×{td / ts:.0f} · values equal: {same}", flush=True)
    x = {"x": 0.5 + 0.001 * np.arange(n)}
    try:
        sparse_hessian(ARRAY_ROSEN, x)  # parse once (cached) before timing
        ts, tc, tl, td = float("inf"), float("inf"), float("inf"), float("inf")
        for _ in range(3):  # interleaved, so the bests come from the same stretch of a shared machine's load
            t, d = best(lambda: higher.hessian(ARRAY_ROSEN, x), 1)
            td = min(td, t)
            t, h = best(lambda: sparse_hessian(ARRAY_ROSEN, x), 10)  # the pattern's colouring remembered
            ts = min(ts, t)
            t, _ = best(lambda: (coloring.forget(), sparse_hessian(ARRAY_ROSEN, x)), 10)  # coloured afresh
            tc = min(tc, t)
            t, _ = best(lambda: (coloring.forget(), _read(sparse_hessian(ARRAY_ROSEN, x))), 10)  # and its lists read
            tl = min(tl, t)
        same = all(d.hessian[i][j] == v for (i, j), v in zip(h.nonzeros, h.values))
        print(f"rosenbrock Hessian, array form n={n:,}: --sparse {ts * 1e3:8.1f} ms (colouring remembered; "
              f"{tc * 1e3:.1f} ms colouring afresh; {tl * 1e3:.1f} ms afresh with the [i, j] lists, values and "
              f"labels read), {h.sweeps} sweeps · dense {td * 1e3:8.1f} ms · ×{td / ts:.0f} (×{td / tc:.0f} afresh, "
              f"×{td / tl:.0f} with the lists) · values equal: {same}")
    except AdcalcError as e:
        print(f"rosenbrock Hessian, array form n={n:,}: not yet ({e.message})")


if __name__ == "__main__":
    main()
