"""Hessians of array programs (forward-over-reverse with n tangents) against the gradient.

    python bench/hessian_arrays.py

Rosenbrock's function in array form at n = 10, 100, 300, 1,000 (vectorised: a fixed number of
array steps) and in loop form at n = 10, 100, 1,000 (3·(n−1) element reads, ~20 steps each): the
time of one Hessian, of one reverse-mode gradient, their ratio, of one H·v and its ratio to the
gradient.  The Hessian carries n tangents through every step, so its cost grows like n × (a
gradient) for the loop form and like n² array work for the vectorised one; H·v carries one (on
the loop form, floats: ``transform.floatsecond``).  Last, ``hessian --sparse`` of the loop form at
n = 1,000 (``adcalc.ops.sparse``: the pattern, a colouring, one H·v per colour).  Figures go to
bench/RESULTS.md by hand.
"""

from __future__ import annotations

import time

import numpy as np

import adcalc
from adcalc.ops import higher
from adcalc.ops.sparse import sparse_hessian

VECTOR = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"
LOOP = "s = 0\nfor i in range(len(x) - 1):\n    s += 100*(x[i+1] - x[i]^2)^2 + (1 - x[i])^2\nreturn s"


def best(f: object, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    print("| form | n | hessian (ms) | grad (ms) | hessian ÷ grad | hvp (ms) | hvp ÷ grad |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for form, src, sizes in (("vectorised", VECTOR, (10, 100, 300, 1000)), ("loop", LOOP, (10, 100, 1000))):
        for n in sizes:
            x = np.linspace(-1.0, 1.5, n)
            v = np.ones(n)
            h = best(lambda s=src, x=x: higher.hessian(s, {"x": x}), 1 if n >= 300 else 3)
            g = best(lambda s=src, x=x: adcalc.grad(s, {"x": x}))
            p = best(lambda s=src, x=x, v=v: higher.hvp(s, {"x": x}, {"x": v}))
            print(f"| {form} | {n:,} | {h * 1e3:,.1f} | {g * 1e3:,.2f} | {h / g:,.0f} | {p * 1e3:,.2f} "
                  f"| {p / g:,.1f} |", flush=True)
    x = np.linspace(-1.0, 1.5, 1000)
    sparse_hessian(LOOP, {"x": x})  # parse once (cached) before timing
    t = best(lambda: sparse_hessian(LOOP, {"x": x}))
    r = sparse_hessian(LOOP, {"x": x})
    print(f"\nloop form, n = 1,000: hessian --sparse {t * 1e3:,.0f} ms ({r.sweeps} sweeps)")


if __name__ == "__main__":
    main()
