"""What ``adcalc.compile`` spends its time on, per 1,000 IR instructions (issue #16's generation target).

Run by hand (never in the test suite):  python bench/generation.py [--repeat 3]

For straight-line Rosenbrock over n scalar inputs (one source line per term, 8 IR steps each —
the program whose size grows with n) and two loop programs, the best of ``--repeat`` runs of each
stage of ``adcalc.compile(source)`` in a fresh cache: parse (Lark), lower (tree → IR), generate
the module's text (value and adjoint code: what ``compile`` writes up front), and Python's own
``compile`` of that text with adcalc's safety check of the code objects.  Then the number of code
lines Python compiles and µs per line: the floor a one-line-per-step module cannot go below.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from codegen import recurrence, rosenbrock  # noqa: E402

from adcalc.language.lower import lower  # noqa: E402
from adcalc.language.parser import parse  # noqa: E402
from adcalc.ops.codegen.module import generate  # noqa: E402
from adcalc.ops.codegen.safety import check_module  # noqa: E402

LOOPED_ROSEN = ("def rosen(x):\n    s = 0\n    for i in range(len(x) - 1):\n"
                "        s = s + 100*(x[i+1] - x[i]^2)^2 + (1 - x[i])^2\n    return s")


def best(fn: object, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times), out


def row(name: str, src: str, repeat: int) -> str:
    t_parse, tree = best(lambda: parse(src), repeat)
    t_lower, program = best(lambda: lower(tree, src), repeat)
    t_gen, text = best(lambda: generate(program, "reverse", None, label="adcalc.compile", guard=True), repeat)
    t_py, _ = best(lambda: check_module(text), repeat)
    n_ir = sum(len(f.code) for f in program.functions.values())
    lines = sum(1 for t in text.splitlines() if t.strip() and not t.lstrip().startswith("#"))
    total = t_parse + t_lower + t_gen + t_py
    per = 1e6 / n_ir
    return (f"{name:24s} {n_ir:7d} {t_parse * per:8.1f} {t_lower * per:8.1f} {t_gen * per:8.1f} {t_py * per:8.1f} "
            f"{total * per:8.1f} {(t_gen + t_py) * per:10.1f} {lines:8d} {t_py / lines * 1e6:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    parse("x + 1")  # Lark's tables: once per process, not per program
    print(f"{'program':24s} {'IR':>7s} {'parse':>8s} {'lower':>8s} {'generate':>8s} {'compile':>8s} {'total':>8s} "
          f"{'gen+comp':>10s} {'lines':>8s} {'µs/line':>8s}   (ms per 1,000 IR, best of {args.repeat})")
    for name, src in [("recurrence", recurrence(100_000)[0]), ("rosenbrock, x[i] loop", LOOPED_ROSEN),
                      ("rosenbrock n=100", rosenbrock(100)[0]), ("rosenbrock n=1000", rosenbrock(1000)[0])]:
        print(row(name, src, args.repeat))


if __name__ == "__main__":
    main()
