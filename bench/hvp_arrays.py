"""Compiled vs interpreter H·v on vectorised Rosenbrock (issue #16: Hessian code of whole arrays).

Run: ``PYTHONPATH=. python bench/hvp_arrays.py [n] [repeat]`` (default n = 1000, 7 rounds).  Prints the
first call of ``adcalc.compile(src).hvp`` (generating and compiling the Hessian code), then the
median per call of the compiled hvp and of the interpreter's ``adcalc.ops.higher.hvp``
(forward-over-reverse), and the largest difference between the two results.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

import adcalc
from adcalc.ops import higher

SRC = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"


def median(f: Callable[[], object], calls: int, repeat: int) -> float:
    """Median over ``repeat`` rounds of the seconds per call of ``f``."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(calls):
            f()
        times.append((time.perf_counter() - t) / calls)
    return statistics.median(times)


def main(n: int = 1000, repeat: int = 7) -> str:
    x = 1 + 0.3 * np.cos(np.arange(float(n)))
    v = np.sin(np.arange(float(n)))
    c = adcalc.compile(SRC)
    t = time.perf_counter()
    c.hvp([x], [v])
    first = time.perf_counter() - t
    compiled = median(lambda: c.hvp([x], [v]), 200, repeat)
    interp = median(lambda: higher.hvp(SRC, {"x": x}, {"x": v}), 5, repeat)
    diff = float(np.max(np.abs(c.hvp([x], [v])[0] - higher.hvp(SRC, {"x": x}, {"x": v}).hvp["x"])))
    return (f"vectorised Rosenbrock, n = {n}: first call (generate + compile) {first * 1e3:.1f} ms; "
            f"compiled hvp {compiled * 1e6:.1f} µs, interpreter hvp {interp * 1e6:.1f} µs "
            f"({interp / compiled:.1f}×); max |difference| {diff:.2e}")


if __name__ == "__main__":
    print(main(*(int(a) for a in sys.argv[1:3])))
