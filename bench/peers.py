"""adcalc beside autograd, PyTorch (CPU, scalar tensors) and JAX on scalar programs.

Run by hand, in an environment with the peers you want measured (`pip install ".[bench]"`,
which adds autograd, torch==2.13.0 and jax); a peer that is not installed is skipped:

    python bench/peers.py [--quick] [--out bench/RESULTS.md]

Workloads (the same arithmetic in every tool; "ops" counts the primitive operations each
iteration records — adcalc's own count, shared by all tools for the per-op figures):
  rosenbrock  s += 100·(y − a²)² + (1 − a)² with a = x + 0.001·i, for n = 10 … 10⁴   (9 ops/iter)
  recurrence  u ← u + 0.01·sin(u)·y, for 10⁵ … 10⁶ steps                           (4 ops/iter)
  sweep       Σᵢ sin(xᵢ)·x₍ᵢ₊₁₎ over n = 1 … 1000 inputs: forward vs reverse vs eval
  one-shot    the whole process of the Quickstart gradient, vs a plain `python -c`
Times are medians of warm, in-process repeats (compile/trace time reported separately).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.metadata
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import adcalc

ROSEN_OPS, REC_OPS = 9, 4


def median_time(fn: Callable[[], object], repeat: int, budget: float = 20.0) -> float:
    times: list[float] = []
    deadline = time.perf_counter() + budget
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if time.perf_counter() > deadline:
            break
    return statistics.median(times)


# ---- the workloads, once per tool ----------------------------------------------------------------

ROSEN_SRC = "s = 0\nfor i in range(n):\n    a = x + 0.001 * i\n    s += 100 * (y - a^2)^2 + (1 - a)^2\nreturn s"
REC_SRC = "u = x\nfor i in range(n):\n    u = u + 0.01 * sin(u) * y\nreturn u"


def rosen(x, y, n: int):  # type: ignore[no-untyped-def]
    """The Rosenbrock loop, written once for floats and every peer's scalar type."""
    s = 0.0
    for i in range(n):
        a = x + 0.001 * i
        s = s + 100 * (y - a**2) ** 2 + (1 - a) ** 2
    return s


def rec(x, y, n: int, sin=math.sin):  # type: ignore[no-untyped-def]
    """The recurrence; ``sin`` is the peer's own sine."""
    u = x
    for _ in range(n):
        u = u + 0.01 * sin(u) * y
    return u


def adcalc_tool() -> dict:
    loaded_rosen, loaded_rec = adcalc.load(ROSEN_SRC), adcalc.load(REC_SRC)

    def grad(loaded):  # type: ignore[no-untyped-def]
        return lambda n: adcalc.grad(loaded, {"x": 0.5, "y": 1.5, "n": float(n)}).gradient

    def ev(loaded):  # type: ignore[no-untyped-def]
        return lambda n: adcalc.evaluate(loaded, {"x": 0.5, "y": 1.5, "n": float(n)}).value

    return {"rosenbrock": grad(loaded_rosen), "recurrence": grad(loaded_rec), "rosenbrock_eval": ev(loaded_rosen),
            "recurrence_eval": ev(loaded_rec), "version": adcalc.__version__}


def autograd_tool() -> dict | None:
    try:
        ag = importlib.import_module("autograd")
        anp = importlib.import_module("autograd.numpy")
    except ImportError:
        return None

    g_rosen = ag.grad(lambda p, n: rosen(p[0], p[1], n))
    g_rec = ag.grad(lambda p, n: rec(p[0], p[1], n, anp.sin))
    return {"rosenbrock": lambda n: g_rosen((0.5, 1.5), n), "recurrence": lambda n: g_rec((0.5, 1.5), n),
            "version": importlib.metadata.version("autograd"), "max_ops": 400_000}


def torch_tool() -> dict | None:
    try:
        torch = importlib.import_module("torch")
    except ImportError:
        return None
    torch.set_num_threads(1)

    def run(body):  # type: ignore[no-untyped-def]
        def go(n):  # type: ignore[no-untyped-def]
            x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
            y = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
            out = body(x, y, n)
            out.backward()
            return x.grad.item(), y.grad.item()

        return go

    return {"rosenbrock": run(rosen), "recurrence": run(lambda x, y, n: rec(x, y, n, torch.sin)),
            "version": torch.__version__, "max_ops": 400_000}


def jax_tools() -> list[tuple[str, dict]]:
    try:
        jax = importlib.import_module("jax")
        jnp = importlib.import_module("jax.numpy")
    except ImportError:
        return []
    jax.config.update("jax_enable_x64", True)

    def jrec(x, y, n):  # type: ignore[no-untyped-def]
        return rec(x, y, n, jnp.sin)

    eager = {"rosenbrock": lambda n: jax.grad(rosen, argnums=(0, 1))(0.5, 1.5, n),
             "recurrence": lambda n: jax.grad(jrec, argnums=(0, 1))(0.5, 1.5, n), "version": jax.__version__,
             "max_ops": 2_000}
    compiled: dict = {}

    def jitted(f):  # type: ignore[no-untyped-def]
        def go(n):  # type: ignore[no-untyped-def]
            key = (f.__name__, n)
            if key not in compiled:
                t = time.perf_counter()
                g = jax.jit(jax.grad(lambda x, y: f(x, y, n), argnums=(0, 1)))
                jax.block_until_ready(g(0.5, 1.5))
                compiled[key] = (g, time.perf_counter() - t)
            return jax.block_until_ready(compiled[key][0](0.5, 1.5))

        return go

    jit = {"rosenbrock": jitted(rosen), "recurrence": jitted(jrec), "version": jax.__version__,
           "compile": compiled, "max_ops": 10_000}
    return [("jax (jit)", jit), ("jax (eager)", eager)]


# ---- memory ------------------------------------------------------------------------------------

def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def adcalc_tape_bytes(n: int) -> tuple[float, float]:
    """Bytes per recorded op: the tape's arrays exactly, and the process's resident growth."""
    from adcalc.ops.driver import gc_paused
    from adcalc.ops.driver import run_mode as _run
    from adcalc.transform.interpreter import Limits
    from adcalc.transform.reverse import ReverseMode

    loaded = adcalc.load(REC_SRC)
    gc.collect()
    before = rss()
    mode = ReverseMode()
    with gc_paused():
        outs = _run(loaded, mode, ["x", "y", "n"], {"x": 0.5, "y": 1.5, "n": float(n)}, Limits(), False)
    grown = rss() - before
    ops = len(mode.tape) - 2
    mode.gradient(outs, [1.0])
    return mode.tape.nbytes() / ops, grown / ops


# ---- report ----------------------------------------------------------------------------------------

def fmt(v: float) -> str:
    return f"{v:.2f}" if v < 100 else f"{v:,.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    ap.add_argument("--out", help="also write the report to this Markdown file")
    ap.add_argument("--adcalc-only", action="store_true", help="skip the peers")
    args = ap.parse_args()
    repeat = 3 if args.quick else 5
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    # adcalc's own figures first, in a process no peer has touched yet (they start threads and
    # allocate; measured after them, adcalc's evaluation looked 2-3x slower).
    tools: list[tuple[str, dict]] = [("adcalc", adcalc_tool())]
    cpu = platform.processor() or platform.machine()
    t = time.perf_counter()
    for _ in range(10**7):
        pass
    calibration = time.perf_counter() - t
    say(f"# adcalc benchmark results\n\nMachine: {os.cpu_count()} cores, {cpu}, Linux {platform.release()}; "
        f"Python {platform.python_version()}.  adcalc {adcalc.__version__}.  "
        f"Speed check: an empty 10⁷-iteration Python loop took {calibration:.2f} s during this run (the "
        "machine's speed varies; the ratio columns are the stable figures).")
    say(f"Command: `python bench/peers.py{' --quick' if args.quick else ''}`; medians of up to {repeat} warm runs.\n")

    say("\n## adcalc: gradient ÷ adcalc's own evaluation (target ≤ 4)\n")
    say("| workload | eval µs/op | reverse gradient µs/op | ratio |")
    say("|---|---:|---:|---:|")
    a = tools[0][1]
    per = {"rosenbrock": ROSEN_OPS, "recurrence": REC_OPS}
    for work, n in (("rosenbrock", 1000), ("rosenbrock", 10_000), ("recurrence", 100_000)):
        ops = n * per[work]
        a[work](n)
        te = median_time(lambda n=n, w=work: a[w + "_eval"](n), repeat * 2)
        tg = median_time(lambda n=n, w=work: a[w](n), repeat * 2)
        say(f"| {work} n={n:,} | {te / ops * 1e6:.2f} | {tg / ops * 1e6:.2f} | {tg / te:.2f} |")

    say("\n## adcalc tape memory per recorded operation (target ≤ 150 bytes)\n")
    say("| recorded ops | tape arrays, bytes/op | resident growth, bytes/op |")
    say("|---:|---:|---:|")
    for n in (25_000, 250_000):
        exact, grown = adcalc_tape_bytes(n)
        say(f"| {n * REC_OPS:,} | {exact:.0f} | {grown:.0f} |")

    say("\n## Forward vs reverse as the number of inputs grows (adcalc)\n")
    say("f = Σᵢ sin(xᵢ)·x₍ᵢ₊₁₎ (straight-line, 2n ops). Forward mode carries n tangents (≈ n× an evaluation); "
        "reverse needs one sweep whatever n.\n")
    say("| inputs n | eval ms | forward ms | forward ÷ eval | reverse ms | reverse ÷ eval |")
    say("|---:|---:|---:|---:|---:|---:|")
    for n in (1, 10, 100, 1000) if not args.quick else (1, 10, 100, 300):
        names = [f"x{i}" for i in range(n)]
        src = " + ".join(f"sin({names[i]})*{names[(i + 1) % n]}" for i in range(n))
        loaded = adcalc.load(src)
        point = {nm: 0.1 + i * 1e-3 for i, nm in enumerate(names)}
        te = median_time(lambda lo=loaded, p=point: adcalc.evaluate(lo, p), repeat)
        tf = median_time(lambda lo=loaded, p=point: adcalc.grad(lo, p, mode="forward"), repeat)
        tr = median_time(lambda lo=loaded, p=point: adcalc.grad(lo, p, mode="reverse"), repeat)
        say(f"| {n:,} | {te * 1e3:.2f} | {tf * 1e3:.2f} | {tf / te:.1f} | {tr * 1e3:.2f} | {tr / te:.1f} |")

    if args.adcalc_only:
        peers: list[tuple[str, dict]] = []
    else:
        peers = [(name, t) for name, make in (("autograd", autograd_tool), ("torch (CPU, scalar tensors)", torch_tool))
                 if (t := make()) is not None] + jax_tools()
    tools += peers
    say("\nPeers: " + (", ".join(f"{n} {t['version']}" for n, t in peers) or "none installed") + ".")
    say("\n## Reverse-mode gradient of scalar loop programs\n")
    say("| workload | executed ops | tool | µs per op | gradient ÷ plain-Python evaluation | ÷ adcalc |")
    say("|---|---:|---|---:|---:|---:|")
    sizes = {"rosenbrock": [10, 100, 1000, 10_000], "recurrence": [100_000, 250_000 if args.quick else 1_000_000]}
    per = {"rosenbrock": ROSEN_OPS, "recurrence": REC_OPS}
    plain = {"rosenbrock": rosen, "recurrence": rec}
    summary: dict[tuple[str, int, str], float] = {}
    for work, ns in sizes.items():
        for n in ns:
            ops = n * per[work]
            reps = max(3, min(200, 200_000 // ops)) if ops < 100_000 else repeat
            base = median_time(lambda n=n, w=work: plain[w](0.5, 1.5, n), max(reps, 5))
            for name, tool in tools:
                if ops > tool.get("max_ops", 10**9):
                    continue
                if "compile" in tool or ops < 100_000:
                    tool[work](n)  # warm-up (and jax's compile, reported separately)
                t = median_time(lambda n=n, w=work, tool=tool: tool[w](n), reps)
                summary[(work, n, name)] = t
                ref = summary.get((work, n, "adcalc"), t)
                say(f"| {work} n={n:,} | {ops:,} | {name} | {fmt(t / ops * 1e6)} | {fmt(t / base)} | "
                    f"{t / ref:.1f}× |")
    jit = dict(tools).get("jax (jit)")
    if jit and jit["compile"]:
        say("\njax (jit) compile time, not included above: " + ", ".join(
            f"{k[0]} n={k[1]:,}: {v[1]:.1f} s" for k, v in sorted(jit["compile"].items())))

    say("\n## One-shot process: the Quickstart gradient (target ≤ 3× python -c)\n")
    quick = ["grad", "exp(2*x1)+x1*x2^2+cos(x2)", "--at", "x1=1,x2=2"]
    exe = shutil.which("adcalc")
    scripts = {
        "python3 -c (math, value only)": [sys.executable, "-c", "import math; x1, x2 = 1.0, 2.0; "
                                           "print(math.exp(2*x1) + x1*x2**2 + math.cos(x2))"],
        "adcalc grad (Rich table)": [exe, *quick] if exe else None,
        "adcalc grad --json": [exe, *quick, "--json"] if exe else None,
        "autograd": [sys.executable, "-c", "import autograd.numpy as np, autograd; f = lambda p: np.exp(2*p[0]) + "
                     "p[0]*p[1]**2 + np.cos(p[1]); print(autograd.grad(f)(np.array([1.0, 2.0])))"],
        "torch": [sys.executable, "-c", "import torch; x = torch.tensor([1.0, 2.0], dtype=torch.float64, "
                  "requires_grad=True); y = torch.exp(2*x[0]) + x[0]*x[1]**2 + torch.cos(x[1]); y.backward(); "
                  "print(x.grad)"],
        "jax": [sys.executable, "-c", "import jax, jax.numpy as jnp; jax.config.update('jax_enable_x64', True); "
                "f = lambda x1, x2: jnp.exp(2*x1) + x1*x2**2 + jnp.cos(x2); "
                "print(jax.grad(f, argnums=(0, 1))(1.0, 2.0))"],
    }
    say("| command | ms | × python -c |")
    say("|---|---:|---:|")
    base = None
    for name, cmd in scripts.items():
        if cmd is None:
            continue
        try:
            subprocess.run(cmd, capture_output=True, check=True, timeout=120)
        except (subprocess.SubprocessError, OSError):
            continue
        runs = []
        for _ in range(7 if args.quick else 15):
            t = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True, timeout=120)
            runs.append(time.perf_counter() - t)
        t = statistics.median(runs)
        base = base or t
        say(f"| {name} | {t * 1000:.0f} | {t / base:.1f} |")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
