"""adcalc graph on a long loop: the window keeps the picture and the recording small.

Run by hand (never in the test suite):  python bench/graph.py [--iterations 100000] [--repeat 3]

For a loop of N iterations (3 primitives each), the median wall time of: the untraced reverse
gradient (``adcalc.grad``), the windowed recording (``adcalc.graph``, reverse mode, --max-nodes
200), drawing it (svg by grandalf, text), and the full trace (``grad(trace=True)``, which refuses
runs past 200,000 rows); and the peak memory the recording allocates (tracemalloc).
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import adcalc


def source(n: int) -> str:
    return f"def f(x):\n    s = x\n    for i in range({n}):\n        s = s + sin(s) * 0.001\n    return s\n"


def timed(fn, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    src, point = source(a.iterations), {"x": 1.0}
    adcalc.load(src)
    g = adcalc.graph(src, point)
    print(f"loop of {a.iterations:,} iterations: {len(g.picture.nodes)} nodes drawn")
    print(f"grad (untraced, reverse)     {timed(lambda: adcalc.grad(src, point), a.repeat):8.3f} s")
    print(f"graph (windowed recording)   {timed(lambda: adcalc.graph(src, point), a.repeat):8.3f} s")
    print(f"  svg by grandalf            {timed(lambda: g.svg(layout='grandalf'), a.repeat):8.3f} s")
    print(f"  text (the summary)         {timed(lambda: g.text(), a.repeat):8.3f} s")
    tracemalloc.start()
    adcalc.graph(src, point)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"graph's peak allocation      {peak / 2**20:8.1f} MiB (tape included)")
    tracemalloc.start()
    adcalc.grad(src, point)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"grad's peak allocation       {peak / 2**20:8.1f} MiB")
    try:
        adcalc.grad(src, point, trace=True)
        print("grad --trace: recorded")
    except adcalc.AdcalcError as e:
        print(f"grad --trace: {e.message}")


if __name__ == "__main__":
    main()
