"""Whole-process time of the Quickstart command, beside a plain ``python -c`` with math.

Run by hand:  python bench/startup.py [--runs 20]
Uses the ``adcalc`` on PATH (install non-editable for a fair figure: ``pip install .``).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

QUICK = ["grad", "exp(2*x1)+x1*x2^2+cos(x2)", "--at", "x1=1,x2=2"]
PLAIN = "import math; x1, x2 = 1.0, 2.0; print(math.exp(2*x1) + x1*x2**2 + math.cos(x2))"


def wall(cmd: list[str], runs: int) -> float:
    subprocess.run(cmd, capture_output=True, check=True)  # warm the disk cache and the grammar cache
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    exe = shutil.which("adcalc")
    if exe is None:
        sys.exit("adcalc is not on PATH: pip install . first")
    base = wall([sys.executable, "-c", PLAIN], args.runs)
    rows = [("python3 -c (math)", base)]
    rows.append(("adcalc grad (Rich table)", wall([exe, *QUICK], args.runs)))
    rows.append(("adcalc grad --json", wall([exe, *QUICK, "--json"], args.runs)))
    print(f"median of {args.runs} runs\n")
    print("| command | ms | × python -c |")
    print("|---|---:|---:|")
    for name, t in rows:
        print(f"| {name} | {t * 1000:.0f} | {t / base:.1f} |")


if __name__ == "__main__":
    main()
