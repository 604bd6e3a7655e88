"""adcalc plot: the grid sweep, batched vs one run per point (issue #18: 1,000 points of a
100-operation expression with K = 2 in ≤ 0.3 s).

Run by hand (never in the test suite):  python bench/plot.py [--points 1000] [--ops 100] [--order 2] [--repeat 5]

The expression is a fixed sum of terms (sin, cos, exp, log, sqrt, tanh, ^, *, /, +) with
``--ops`` primitive operations in its lowered IR (counted, not guessed).  Timed (medians):
- the batched sweep alone (f, f′, f″ at every grid point: one run over NumPy arrays);
- the same sweep one run per point;
- the whole ``adcalc.plot`` call (sweep, critical and inflection points refined by Newton, kinks,
  gaps) — what ``adcalc plot --json`` computes.
And the largest difference between the batched and per-point numbers, in units of the curve's
scale (max |curve| · ε): NumPy's kernels and libm may differ by a few ulps per call.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
from engine import median_time  # bench/ is the script's directory: the same timing rule

import adcalc
from adcalc.language.ir import Eqn
from adcalc.ops.driver import bind, limits_of, load
from adcalc.ops.plotting.sweep import sweep

TERMS = ["sin(0.7*x + {k})", "cos(x/{k1}) * x", "exp(-x^2/{k2})", "log(x^2 + {k1})", "sqrt(x^2 + {k})",
         "tanh(x - 0.{k})", "x^3/{k2}", "(x + {k})/(x^2 + {k1})"]


def expression(ops: int) -> tuple[str, int]:
    """A sum of terms with about ``ops`` primitive operations (the count is the lowered IR's)."""
    terms: list[str] = []
    k = 0
    while True:
        t = TERMS[k % len(TERMS)].format(k=k % 9 + 1, k1=k % 7 + 2, k2=k % 5 + 3)
        candidate = " + ".join([*terms, t])
        if count(candidate) > ops:
            break
        terms.append(t)
        k += 1
    text = " + ".join(terms)
    return text, count(text)


def count(text: str) -> int:
    """The primitive operations (``Eqn`` steps) of the lowered program."""
    return sum(isinstance(step, Eqn) for step in load(text).program.main.code)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--ops", type=int, default=100)
    ap.add_argument("--order", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    text, ops = expression(args.ops)
    loaded = load(text)
    names, values, _ = bind(loaded, {"x": 0.0})
    grid = np.linspace(-3.0, 3.0, args.points)
    limits = limits_of(None, None, None)

    def batched() -> object:
        return sweep(loaded, names, values, {"x": grid}, args.order, 0, limits)

    def per_point() -> object:
        return sweep(loaded, names, values, {"x": grid}, args.order, 0, limits, batch=False)

    b, p = batched(), per_point()
    assert b.method == "batched" and p.method == "per-point", (b.method, b.reason)
    worst = 0.0
    for cb, cp in zip(b.columns, p.columns):
        scale = float(np.max(np.abs(cb)))
        worst = max(worst, float(np.max(np.abs(cb - cp))) / (scale * np.finfo(float).eps))
    t_batched = median_time(batched, args.repeat)
    t_point = median_time(per_point, max(1, args.repeat // 2))
    t_plot = median_time(lambda: adcalc.plot(loaded, ("x", -3.0, 3.0), order=args.order, points=args.points),
                         args.repeat)
    print(f"adcalc {adcalc.__version__} · NumPy {np.__version__} · Python {platform.python_version()} · "
          f"{platform.machine()} · median of {args.repeat}\n")
    print(f"expression: {ops} operations in the lowered IR, {args.points:,} points, K = {args.order}\n")
    print("| what | seconds | µs per point |")
    print("|---|---:|---:|")
    for what, t in (("batched sweep (f … f⁽ᴷ⁾ on the grid)", t_batched), ("per-point sweep", t_point),
                    ("whole adcalc.plot (sweep + Newton + kinks + gaps)", t_plot)):
        print(f"| {what} | {t:.3f} | {t / args.points * 1e6:,.1f} |")
    print(f"\nper point ÷ batched: {t_point / t_batched:.1f}×; largest batched − per-point difference: "
          f"{worst:.1f} ε·max|curve|")


if __name__ == "__main__":
    main()
