"""Array workloads: the gradient of Rosenbrock over a vector input, vectorised and looped.

Run by hand (never in the test suite):  python bench/arrays.py [--n 1000000] [--loop-n 1000] [--repeat 5]

- vectorised: ``sum(100*(x[1:]-x[:-1]^2)^2 + (1-x[:-1])^2)`` with n = 10⁶ inputs; the target
  is gradient ÷ evaluation ≤ 4 (reverse mode's cheap-gradient bound).  For scale, the same
  function and its hand-written gradient in plain NumPy.
- looped: ``for i in range(len(x) - 1): s += …x[i]…`` with n = 10³ (scalar work on elements of
  an array: each x[i] is an indexing rule node in reverse mode).

Medians of whole API calls (parse/compile cached).  Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
from engine import median_time  # bench/ is the script's directory: the same timing rule

import adcalc

VECTORISED = "sum(100*(x[1:]-x[:-1]^2)^2 + (1-x[:-1])^2)"
LOOPED = "s = 0\nfor i in range(len(x) - 1):\n    s += 100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2\nreturn s"


def numpy_value(x: np.ndarray) -> float:
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def numpy_gradient(x: np.ndarray) -> np.ndarray:
    g = np.zeros_like(x)
    r = x[1:] - x[:-1] ** 2
    g[:-1] = -400 * x[:-1] * r - 2 * (1 - x[:-1])
    g[1:] += 200 * r
    return g


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--loop-n", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"adcalc {adcalc.__version__} · NumPy {np.__version__} · Python {platform.python_version()} · "
          f"{platform.machine()} · median of {args.repeat}\n")
    print("| workload | n | eval | reverse gradient | forward gradient | gradient ÷ eval | "
          "plain NumPy value / gradient |")
    print("|---|---:|---:|---:|---:|---:|---:|")

    x = np.random.default_rng(0).uniform(-1.5, 1.5, args.n)
    loaded = adcalc.load(VECTORISED)
    point = {"x": x}
    g = adcalc.grad(loaded, point).gradient["x"]
    assert np.allclose(g, numpy_gradient(x), rtol=1e-12, atol=1e-9)  # the benchmark computes the right thing
    t_eval = median_time(lambda: adcalc.evaluate(loaded, point), args.repeat)
    t_rev = median_time(lambda: adcalc.grad(loaded, point), args.repeat)
    t_np = median_time(lambda: numpy_value(x), args.repeat)
    t_np_g = median_time(lambda: numpy_gradient(x), args.repeat)
    print(f"| vectorised Rosenbrock | {args.n:,} | {t_eval * 1e3:.1f} ms | {t_rev * 1e3:.1f} ms | — (n sweeps) | "
          f"{t_rev / t_eval:.2f} | {t_np * 1e3:.1f} ms / {t_np_g * 1e3:.1f} ms |")

    x = np.random.default_rng(1).uniform(-1.5, 1.5, args.loop_n)
    loaded = adcalc.load(LOOPED)
    point = {"x": x}
    g = adcalc.grad(loaded, point).gradient["x"]
    assert np.allclose(g, numpy_gradient(x), rtol=1e-12, atol=1e-9)
    t_eval = median_time(lambda: adcalc.evaluate(loaded, point), args.repeat)
    t_rev = median_time(lambda: adcalc.grad(loaded, point), args.repeat)
    t_fwd = median_time(lambda: adcalc.grad(loaded, point, mode="forward"), max(1, args.repeat // 2))
    print(f"| looped Rosenbrock | {args.loop_n:,} | {t_eval * 1e3:.1f} ms | {t_rev * 1e3:.1f} ms | "
          f"{t_fwd * 1e3:.0f} ms | {t_rev / t_eval:.2f} | — |")


if __name__ == "__main__":
    main()
