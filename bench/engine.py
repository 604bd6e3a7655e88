"""Engine speed: µs per executed primitive operation in eval, forward and reverse mode.

Run by hand (never in the test suite):  python bench/engine.py [--ops 100000] [--repeat 5]

Workloads are loop programs whose executed primitive count is known exactly; the table shows
the median wall time of whole API calls (parse/compile cached, as in a warm process), µs per
primitive, and the cheap-gradient ratio  reverse-gradient time / eval time.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time

import adcalc

WORKLOADS = {
    # name: (source, point for n iterations, primitives per iteration)
    "rosenbrock loop": (
        "s = 0\nfor i in range(n):\n    a = x + 0.001 * i\n    s += 100 * (y - a^2)^2 + (1 - a)^2\nreturn s",
        lambda n: {"x": 0.5, "y": 1.5, "n": float(n)}, 11,
    ),
    "recurrence": (
        "u = x\nfor i in range(n):\n    u = u + 0.01 * sin(u) * y\nreturn u",
        lambda n: {"x": 0.3, "y": 1.1, "n": float(n)}, 4,
    ),
    "rosenbrock x[i] reads": (  # three element reads of an array input per iteration (issue #16)
        "s = 0\nfor i in range(len(x) - 1):\n    s += 100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2\nreturn s",
        lambda n: {"x": _array(n + 1)}, 12,
    ),
}


def _array(size: int) -> object:
    import numpy as np

    return np.random.default_rng(0).uniform(-1.2, 1.2, size)


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ops", type=int, default=100_000, help="executed primitive operations per run")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"adcalc {adcalc.__version__} · Python {platform.python_version()} · {platform.machine()} · "
          f"{args.ops:,} primitive ops per run · median of {args.repeat}\n")
    print("| workload | eval µs/op | forward µs/op | reverse µs/op | reverse ÷ eval |")
    print("|---|---:|---:|---:|---:|")
    for name, (src, point, per_iter) in WORKLOADS.items():
        n = args.ops // per_iter
        pt = point(n)
        loaded = adcalc.load(src)
        ops = n * per_iter
        t_eval = median_time(lambda lo=loaded, p=pt: adcalc.evaluate(lo, p), args.repeat)
        t_fwd = None  # forward mode over an array input carries one tangent per element: n² work
        if all(type(v) is float for v in pt.values()):
            t_fwd = median_time(lambda lo=loaded, p=pt: adcalc.grad(lo, p, mode="forward"), args.repeat)
        t_rev = median_time(lambda lo=loaded, p=pt: adcalc.grad(lo, p, mode="reverse"), args.repeat)
        fwd = "—" if t_fwd is None else f"{t_fwd / ops * 1e6:.2f}"
        print(f"| {name} | {t_eval / ops * 1e6:.2f} | {fwd} | {t_rev / ops * 1e6:.2f} | "
              f"{t_rev / t_eval:.2f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
