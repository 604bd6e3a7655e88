"""Generated code's speed: µs per scalar operation of compiled gradients, against plain Python.

Run by hand (never in the test suite):  python bench/codegen.py [--repeat 7] [--vectorised]

For each workload: the same program as plain Python floats (the floor), adcalc's generated
value code (``adcalc.compile(...).value``), its generated gradient (``.grad``: one forward sweep
with PUSH and one backward sweep with POP), its generated J·v (``.jvp``), and the interpreter's
reverse gradient (``adcalc.grad``).  "µs/op" divides by the executed primitive operations (the
IR's steps).  Generation time is ``adcalc.compile`` from text to callable (parse, lower, write the
module, compile it), per 1,000 IR instructions.  Then the compiled Hessian (``.hessian``) against
the interpreter's.  Then the vectorised row (issue #16's speed target): the compiled NumPy
gradient of ``sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)`` divided by NumPy's own evaluation of
the same expression, and the interpreter's gradient on the same scale, at n = 10⁴, 10⁵, 10⁶
(interleaved: the fastest of each, and the ratio of the medians; ``--vectorised``: that table
alone).  Medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time

import adcalc


def recurrence(k: int) -> tuple[str, dict, int, object]:
    src = f"def rec(x, h, a):\n    for k in range({k}):\n        x = x + h*sin(x)*a\n    return x"

    def plain(x: float, h: float, a: float) -> float:
        for _ in range(k):
            x = x + h * math.sin(x) * a
        return x

    return src, {"x": 0.5, "h": 0.01, "a": 1.3}, 4 * k, plain


def rosenbrock(n: int) -> tuple[str, dict, int, object]:
    """Rosenbrock over n scalar inputs, one term per line (the straight-line form)."""
    names = [f"x{i}" for i in range(1, n + 1)]
    lines = [f"def rosen({', '.join(names)}):", "    s = 0"]
    for i in range(n - 1):
        lines.append(f"    s = s + 100*({names[i + 1]} - {names[i]}^2)^2 + (1 - {names[i]})^2")
    lines.append("    return s")
    src = "\n".join(lines)
    ns: dict = {"math": math}
    body = "\n".join(f"    s = s + 100*(x[{i + 1}] - x[{i}]**2)**2 + (1 - x[{i}])**2" for i in range(n - 1))
    exec(f"def plain(*x):\n    s = 0.0\n{body}\n    return s", ns)  # noqa: S102 - the benchmark's own text
    return src, {nm: 0.5 + 0.001 * i for i, nm in enumerate(names)}, 8 * (n - 1), ns["plain"]


def median(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def measure(name: str, src: str, point: dict, ops: int, plain: object, repeat: int) -> str:
    from adcalc.ops.codegen import compiled

    compiled._CACHE.clear()
    t = time.perf_counter()
    c = adcalc.compile(src)
    gen = time.perf_counter() - t
    n_ir = sum(len(f.code) for f in adcalc.load(src).program.functions.values())
    xs = [point[n] for n in c.inputs]
    dx = [1.0] + [0.0] * (len(xs) - 1)
    t_plain = median(lambda: plain(*xs), repeat)  # type: ignore[operator]
    t_value = median(lambda: c.value(*xs), repeat)
    t_grad = median(lambda: c.grad(*xs), repeat)
    t_jvp = median(lambda: c.jvp(xs, dx), repeat)
    loaded = adcalc.load(src)
    t_interp = median(lambda: adcalc.grad(loaded, point), max(1, repeat // 3))
    us = 1e6 / ops
    return (f"{name:24s} {ops:8d} {gen * 1e3:8.1f} {gen * 1e6 / n_ir:8.1f} {t_plain * us:8.3f} {t_value * us:8.3f} "
            f"{t_grad * us:8.3f} {t_grad / t_plain:10.1f} {t_jvp * us:8.3f} {t_interp * us:8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--vectorised", action="store_true", help="only the vectorised Rosenbrock's table")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, adcalc {adcalc.__version__}")
    if args.vectorised:
        print(vectorised(args.repeat))
        return
    print(f"{'workload':24s} {'ops':>8s} {'gen ms':>8s} {'ms/1k IR':>8s} {'plain':>8s} {'value':>8s} "
          f"{'grad':>8s} {'grad/plain':>10s} {'jvp':>8s} {'interp':>8s}   (µs/op)")
    for name, workload in [("recurrence K=1e4", recurrence(10_000)), ("recurrence K=1e5", recurrence(100_000)),
                           ("rosenbrock n=10", rosenbrock(10)), ("rosenbrock n=100", rosenbrock(100)),
                           ("rosenbrock n=1000", rosenbrock(1000))]:
        print(measure(name, *workload, args.repeat))
    print()
    print(hessians(args.repeat))
    print()
    print(vectorised(args.repeat))
    sys.stdout.flush()


def hessians(repeat: int) -> str:
    """The compiled Hessian (generated reverse-over-forward code, one sweep pair per input) against
    the interpreter's forward-over-reverse Hessian, µs per whole Hessian."""
    from adcalc.ops import higher

    rows = [f"{'Hessian of':32s} {'n':>3s} {'gen ms':>8s} {'compiled µs':>12s} {'interpreter µs':>15s}"]
    for label, src, point in [
        ("the running example", "exp(2*x1) + x1*x2^2 + cos(x2)", {"x1": 1.0, "x2": 2.0}),
        ("rosenbrock n=10 (straight line)", *rosenbrock(10)[:2]),
    ]:
        c = adcalc.compile(src)
        xs = [point[n] for n in c.inputs]
        t = time.perf_counter()
        c.hessian(*xs)  # generates and compiles the Hessian code
        gen = time.perf_counter() - t
        calls = 2000 if len(xs) < 5 else 200
        compiled = median(lambda c=c, xs=xs, calls=calls: [c.hessian(*xs) for _ in range(calls)], repeat) / calls
        ordered = {n: point[n] for n in c.inputs}
        interp = median(lambda s=src, o=ordered: [higher.hessian(s, o) for _ in range(20)], repeat) / 20
        rows.append(f"{label:32s} {len(xs):3d} {gen * 1e3:8.1f} {compiled * 1e6:12.1f} {interp * 1e6:15.1f}")
    return "\n".join(rows)


VECTORISED = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"


def vectorised(repeat: int) -> str:
    """The vectorised Rosenbrock: compiled gradient (generated NumPy code) ÷ NumPy's evaluation of
    the same expression (the target: ≤ 4 at n = 10⁴, ≤ 2.5 at n = 10⁶), and the interpreter's."""
    import numpy as np

    def numpy_value(x: object) -> float:
        return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))  # type: ignore[index]

    c = adcalc.compile(VECTORISED)
    loaded = adcalc.load(VECTORISED)
    rows = [f"{'vectorised rosenbrock':24s} {'n':>9s} {'numpy ms':>9s} {'grad ms':>9s} {'grad/numpy':>10s} "
            f"{'median':>7s} {'interp ms':>9s} {'interp/numpy':>12s}"]
    for n in (10**4, 10**5, 10**6):
        x = np.linspace(-1.5, 1.5, n)
        calls = 100 if n <= 10**4 else 10 if n <= 10**5 else 2
        times: dict[str, list[float]] = {"numpy": [], "grad": []}
        for _ in range(max(repeat, 15)):  # interleaved: the machine's load varies
            for key, fn in (("numpy", numpy_value), ("grad", c.grad)):
                t = time.perf_counter()
                for _ in range(calls):
                    fn(x)
                times[key].append((time.perf_counter() - t) / calls)
        t_np, t_grad = min(times["numpy"]), min(times["grad"])  # the fastest of each, and the medians' ratio
        mid = statistics.median(times["grad"]) / statistics.median(times["numpy"])
        t_int = median(lambda x=x: adcalc.grad(loaded, {"x": x}), max(1, repeat // 2))
        rows.append(f"{'':24s} {n:9,d} {t_np * 1e3:9.3f} {t_grad * 1e3:9.3f} {t_grad / t_np:10.2f} {mid:7.2f} "
                    f"{t_int * 1e3:9.3f} {t_int / t_np:12.1f}")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
