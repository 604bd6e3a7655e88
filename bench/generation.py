"""What ``adcalc.compile`` spends its time on, per 1,000 IR instructions (issue #16's generation target).

Run by hand (never in the test suite):  python bench/generation.py [--repeat 3]

For straight-line Rosenbrock over n scalar inputs (one source line per term, 8 IR steps each —
the program whose size grows with n) and two loop programs, the best of ``--repeat`` runs of each
stage of ``adcalc.compile(source)``: parse (Lark), lower (tree → IR), generate the text of what
``compile`` writes up front (the reverse code alone, without comments: ``compiled._generate``),
and Python's own ``compile`` of that text with adcalc's safety check of the code objects
(``safety.check_module``).  "gen+comp" is the target's measure (≤ 20 ms per 1,000 IR).  Then the
same two stages for the module ``adcalc codegen`` prints (value and reverse code, with comments:
what ``compile`` wrote up front before stop 24), the number of code lines Python compiles in
``compile``'s module and µs per line, and end to end: ``adcalc.compile(source)`` and its first
``grad`` call in a fresh cache (every cache of the source emptied), and the first ``value`` call
after it (free for straight-line code, which runs the reverse code's forward sweep; the value
code's generation for a loop program).  "1st grad" and "1st value" are what the first call costs
more than the second (source to callable functions, end to end, per 1,000 IR); "grad ms" is
compile + first grad in ms, "run ms" a second grad.  CPU time (``time.process_time``): the
machine is shared, and wall-clock figures moved ±50 % between runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from codegen import recurrence, rosenbrock  # noqa: E402

import adcalc  # noqa: E402
from adcalc.language.lower import lower  # noqa: E402
from adcalc.language.parser import parse  # noqa: E402
from adcalc.ops import driver  # noqa: E402
from adcalc.ops.codegen import compiled  # noqa: E402
from adcalc.ops.codegen.module import generate  # noqa: E402
from adcalc.ops.codegen.safety import check_module  # noqa: E402

LOOPED_ROSEN = ("def rosen(x):\n    s = 0\n    for i in range(len(x) - 1):\n"
                "        s = s + 100*(x[i+1] - x[i]^2)^2 + (1 - x[i])^2\n    return s")


def best(fn: object, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.process_time()
        out = fn()  # type: ignore[operator]
        times.append(time.process_time() - t)
    return min(times), out


def first_calls(src: str, point: list[object], repeat: int) -> tuple[float, float, float, float]:
    """The best of ``repeat`` times, each in a fresh cache, of ``adcalc.compile(src)`` plus its first
    ``grad``, of a second ``grad`` (the run alone), of the first ``value`` after them and of a second."""
    times: list[list[float]] = [[], [], [], []]
    for _ in range(repeat):
        driver._load.cache_clear()  # noqa: SLF001 - the benchmark empties adcalc's caches
        compiled._CACHE.clear()  # noqa: SLF001
        t = [time.process_time()]
        c = adcalc.compile(src)
        c.grad(*point)
        t.append(time.process_time())
        c.grad(*point)
        t.append(time.process_time())
        c.value(*point)
        t.append(time.process_time())
        c.value(*point)
        t.append(time.process_time())
        for k in range(4):
            times[k].append(t[k + 1] - t[k])
    return min(times[0]), min(times[1]), min(times[2]), min(times[3])


def row(name: str, src: str, point: list[object], repeat: int) -> str:
    t_parse, tree = best(lambda: parse(src), repeat)
    t_lower, program = best(lambda: lower(tree, src), repeat)
    t_gen, text = best(lambda: compiled._generate(program, "reverse", None), repeat)  # noqa: SLF001
    t_py, _ = best(lambda: check_module(text), repeat)
    t_pgen, printed = best(lambda: generate(program, "reverse", None, label="adcalc.compile", guard=True), repeat)
    t_ppy, _ = best(lambda: check_module(printed), repeat)
    t_grad, t_run, t_value, t_vrun = first_calls(src, point, repeat)
    n_ir = sum(len(f.code) for f in program.functions.values())
    lines = sum(1 for t in text.splitlines() if t.strip() and not t.lstrip().startswith("#"))
    per = 1e6 / n_ir
    return (f"{name:24s} {n_ir:6d} {t_parse * per:7.1f} {t_lower * per:7.1f} {t_gen * per:8.1f} {t_py * per:8.1f} "
            f"{(t_gen + t_py) * per:9.1f} {(t_pgen + t_ppy) * per:9.1f} {lines:7d} {t_py / lines * 1e6:7.1f} "
            f"{(t_grad - t_run) * per:10.1f} {(t_value - t_vrun) * per:10.1f} {t_grad * 1e3:7.1f} {t_run * 1e3:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    parse("x + 1")  # Lark's tables: once per process, not per program
    print(f"{'program':24s} {'IR':>6s} {'parse':>7s} {'lower':>7s} {'generate':>8s} {'compile':>8s} "
          f"{'gen+comp':>9s} {'printed':>9s} {'lines':>7s} {'µs/line':>7s} {'1st grad':>10s} {'1st value':>10s}"
          f" {'grad ms':>7s} {'run ms':>7s}   (ms per 1,000 IR, best of {args.repeat}, CPU time)")
    rec = recurrence(100_000)
    rows = [("recurrence", rec[0], list(rec[1].values())),
            ("rosenbrock, x[i] loop", LOOPED_ROSEN, [[0.5 + 0.01 * i for i in range(10)]])]
    for n in (100, 1000):
        src, point, _, _ = rosenbrock(n)
        rows.append((f"rosenbrock n={n}", src, list(point.values())))
    for name, src, point in rows:
        print(row(name, src, point, args.repeat))


if __name__ == "__main__":
    main()
