"""Many scalar inputs: the gradient of x1 + x2 + … + xn as n grows (binding must stay linear).

Run by hand (never in the test suite):  python bench/inputs.py [--sizes 1000,2000,4000,8000] [--repeat 5]

Each input is bound by name (the point is a dict), checked, created as a node and read back; the
program itself is n − 1 additions.  Before issue #16 binding tested each name against the tuple of
the source's inputs (``name in tuple``, O(n) each): 8,000 inputs took ~1.2 s per gradient.  Now
every step is linear, so µs per input stays flat as n grows and the gradient costs about the
usual reverse ÷ eval ratio times the evaluation.  Medians of whole API calls (parse/compile
cached); plain Python's ``sum`` of the same floats for scale.
"""

from __future__ import annotations

import argparse
import platform
import time

from engine import median_time  # bench/ is the script's directory: the same timing rule

import adcalc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1000,2000,4000,8000")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    t = time.perf_counter()
    for _ in range(10**7):
        pass
    print(f"adcalc {adcalc.__version__} · Python {platform.python_version()} · {platform.machine()} · "
          f"median of {args.repeat} · empty 10⁷ loop {time.perf_counter() - t:.2f} s\n")
    print("| inputs n | plain Python sum | adcalc eval | reverse gradient | µs per input (gradient) | "
          "gradient ÷ eval | forward ÷ eval (n=1000 only) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in (int(s) for s in args.sizes.split(",")):
        names = [f"x{i}" for i in range(1, n + 1)]
        loaded = adcalc.load(" + ".join(names))
        point = {name: 0.5 + i * 1e-3 for i, name in enumerate(names)}
        r = adcalc.grad(loaded, point)
        assert all(r.gradient[name] == 1.0 for name in names) and len(r.gradient) == n  # the right thing
        floats = list(point.values())
        t_py = median_time(lambda fs=floats: sum(fs), args.repeat)
        t_eval = median_time(lambda lo=loaded, p=point: adcalc.evaluate(lo, p), args.repeat)
        t_rev = median_time(lambda lo=loaded, p=point: adcalc.grad(lo, p), args.repeat)
        fwd = "—"
        if n <= 1000:  # forward carries n tangents of width n: n² by design
            t_fwd = median_time(lambda lo=loaded, p=point: adcalc.grad(lo, p, mode="forward"), 1)
            fwd = f"{t_fwd / t_eval:.0f}"
        print(f"| {n:,} | {t_py * 1e6:.0f} µs | {t_eval * 1e3:.2f} ms | {t_rev * 1e3:.2f} ms | "
              f"{t_rev / n * 1e6:.2f} | {t_rev / t_eval:.2f} | {fwd} |", flush=True)


if __name__ == "__main__":
    main()
