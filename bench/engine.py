"""Engine speed: µs per executed primitive operation in eval, forward and reverse mode.

Run by hand (never in the test suite):  python bench/engine.py [--ops 100000] [--repeat 5] [--extras]

Workloads are loop programs whose executed primitive count is known exactly; the table shows
the median wall time of whole API calls (parse/compile cached, as in a warm process), µs per
primitive, and the cheap-gradient ratio  reverse-gradient time / eval time.
"""

from __future__ import annotations

import argparse
import os
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


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def tape_bytes(name: str, n: int) -> tuple[int, float, float]:
    """(recorded ops, bytes per op of the tape's arrays, resident growth per op) of a reverse run
    of ``n`` iterations (element reads are 40-byte nodes like any other)."""
    import gc

    from adcalc.ops.driver import bind, gc_paused, limits_of, load, run_mode
    from adcalc.transform.reverse import ReverseMode

    src, point, _ = WORKLOADS[name]
    loaded = load(src)
    names, values, _ = bind(loaded, point(n))
    gc.collect()
    before = rss()
    mode = ReverseMode()
    with gc_paused():
        outs = run_mode(loaded, mode, names, values, limits_of(None, None), False)
    grown = rss() - before
    ops = len(mode.tape) - len(names)
    mode.gradient(outs, [1.0])
    return ops, mode.tape.nbytes() / ops, grown / ops


def sweep_over_inputs(repeat: int) -> None:
    """f = Σᵢ sin(xᵢ)·x₍ᵢ₊₁₎: forward mode carries n tangents (≈ n× an evaluation), reverse is flat."""
    print("\n| inputs n | eval ms | forward ms | forward ÷ eval | reverse ms | reverse ÷ eval |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in (1, 10, 100, 1000):
        names = [f"x{i}" for i in range(n)]
        loaded = adcalc.load(" + ".join(f"sin({names[i]})*{names[(i + 1) % n]}" for i in range(n)))
        point = {nm: 0.1 + i * 1e-3 for i, nm in enumerate(names)}
        te = median_time(lambda lo=loaded, p=point: adcalc.evaluate(lo, p), repeat)
        tf = median_time(lambda lo=loaded, p=point: adcalc.grad(lo, p, mode="forward"), repeat)
        tr = median_time(lambda lo=loaded, p=point: adcalc.grad(lo, p, mode="reverse"), repeat)
        print(f"| {n:,} | {te * 1e3:.2f} | {tf * 1e3:.2f} | {tf / te:.1f} | {tr * 1e3:.2f} | {tr / te:.1f} |")


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
    ap.add_argument("--extras", action="store_true",
                    help="also the tape's bytes per recorded op and forward vs reverse as inputs grow")
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
    if args.extras:
        print("\n| workload | recorded ops | tape arrays, bytes/op | resident growth, bytes/op |")
        print("|---|---:|---:|---:|")
        for name, n in (("recurrence", 250_000), ("rosenbrock x[i] reads", 100_000)):
            ops, exact, grown = tape_bytes(name, n)
            print(f"| {name} | {ops:,} | {exact:.0f} | {grown:.0f} |")
        sweep_over_inputs(args.repeat)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
