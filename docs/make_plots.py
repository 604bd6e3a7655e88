"""Re-create the README's plots (docs/*.svg) with ``adcalc plot … -o``, exactly as a user would.

Run from the repository's root:  python docs/make_plots.py [--out-dir docs]

tests/test_plot_docs.py checks that the committed pictures are current: re-created with the same
matplotlib they are the same bytes (the SVG carries no date and fixed ids); with another
matplotlib, the same texts (title, legend, tick labels).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

PLOTS = {
    # the README's running example in one variable: f, f′, f″, critical and inflection points, the tangent at 1.5
    "plot_running_example.svg": ["sin(x^2 + 1)", "--x", "x=-2:2", "--order", "2", "--tangent", "1.5"],
    # two variables: a saddle at the origin between two maxima and two minima
    "plot_saddle.svg": ["x*y*exp(-(x^2 + y^2)/2)", "--x", "x=-3:3", "--y", "y=-3:3", "--points", "61"],
}


def make(out_dir: Path) -> list[Path]:
    """Write every picture into ``out_dir``; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, args in PLOTS.items():
        path = out_dir / name
        subprocess.run([sys.executable, "-m", "adcalc", "plot", *args, "-o", str(path)], check=True,
                       stdout=subprocess.DEVNULL)
        written.append(path)
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    for path in make(ap.parse_args().out_dir):
        print(path)


if __name__ == "__main__":
    main()
