"""BFGS on 10-D Rosenbrock: ``adcalc.function``'s gradient against SciPy's hand-written ``rosen_der``.

Run: ``python bench/scipy_api.py`` (needs SciPy, the test extra).  Prints the median wall time of a
whole ``scipy.optimize.minimize(..., method="BFGS", jac=...)`` from the same start (same iterations)
and the per-gradient cost; the figures go in bench/RESULTS.md by hand.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy import optimize

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import adcalc  # noqa: E402


def rosen_source(n: int) -> str:
    names = [f"x{i}" for i in range(1, n + 1)]
    lines = [f"def rosen({', '.join(names)}):", "    s = 0"]
    for i in range(n - 1):
        lines.append(f"    s = s + 100*({names[i + 1]} - {names[i]}^2)^2 + (1 - {names[i]})^2")
    return "\n".join(lines + ["    return s"])


def median_ms(fn: object, repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def main() -> None:
    n = 10
    x0 = np.array([-1.2, 1.0] * (n // 2))
    f = adcalc.function(rosen_source(n))
    interp = adcalc.function(rosen_source(n))
    f(x0)
    interp(x0)
    interp._backend = None  # the interpreter, for comparison (what every call used before the compiled path)
    runs = {
        "adcalc.function (compiled)": (f, f.grad),
        "adcalc.function (interpreter)": (interp, interp.grad),
        "scipy rosen + rosen_der": (optimize.rosen, optimize.rosen_der),
    }
    for name, (fun, jac) in runs.items():
        r = optimize.minimize(fun, x0, method="BFGS", jac=jac)
        ms = median_ms(lambda fun=fun, jac=jac: optimize.minimize(fun, x0, method="BFGS", jac=jac))
        g_us = 1e3 * median_ms(lambda jac=jac: [jac(x0) for _ in range(100)], 5) / 100
        print(f"{name:32s} BFGS {ms:7.1f} ms  nit={r.nit} njev={r.njev}  one gradient {g_us:7.1f} µs")


if __name__ == "__main__":
    main()
