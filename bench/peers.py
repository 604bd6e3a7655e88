"""adcalc beside plain Python, JAX, PyTorch and autograd on the same programs, in one run (issue #16).

Run by hand, never in the test suite.  adcalc must be importable (a checkout: PYTHONPATH=.); the
peers are optional and each one that is not installed is skipped (the report says which).  Keep
them out of adcalc's own environment, e.g.

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install numpy jax jaxlib autograd torch \\
        lark rich prompt_toolkit
    PYTHONPATH=. /tmp/peers/bin/python bench/peers.py [--quick] [--out report.md]

Workloads (the same arithmetic in every tool):
  rosenbrock, scalar inputs   s += 100·(y − a²)² + (1 − a)², a = x + 0.001·i, for i < n   (inputs x, y)
  rosenbrock, x[i] reads      s += 100·(x[i+1] − x[i]²)² + (1 − x[i])², for i < n         (x: n + 1 floats)
  recurrence                  x = x + h·sin(x)·a, K times                                   (inputs x, a)
  Hessian                     the running example exp(2·x1) + x1·x2² + cos(x2) at (1, 2)
  vectorised rosenbrock       sum(100·(x[1:] − x[:-1]²)² + (1 − x[:-1])²): gradient ÷ NumPy's evaluation
"µs per op" divides a gradient's time by the number of IR equations (``Eqn``s) adcalc's
interpreter executes for that program and size — one count shared by every tool.  Times are
medians of warm, in-process calls; compile (trace, jit) times are reported separately.  A
"÷ plain Python" ratio is the median of paired ratios: each batch of the tool's calls is timed
right after a batch of plain Python's (``paired_times``), so load that comes and goes on the
machine moves both sides of a ratio alike.

The hook for compiled gradients (``adcalc.compile``, the code generator of issue #16) is
``compiled_grad`` below: when ``adcalc.compile`` exists its gradients are measured as the row
"adcalc compiled"; until then the row says it is absent.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.metadata
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

import adcalc

# ---- the programs, in adcalc's language --------------------------------------------------------

ROSEN_SCALAR = "s = 0\nfor i in range(n):\n    a = x + 0.001 * i\n    s += 100 * (y - a^2)^2 + (1 - a)^2\nreturn s"
ROSEN_ARRAY = "s = 0\nfor i in range(len(x) - 1):\n    s += 100*(x[i+1] - x[i]^2)^2 + (1 - x[i])^2\nreturn s"
RECURRENCE = "h = 0.01\nfor k in range(K):\n    x = x + h*sin(x)*a\nreturn x"
RUNNING = "exp(2*x1) + x1*x2^2 + cos(x2)"
VECTORISED = "sum(100*(x[1:]-x[:-1]^2)^2 + (1-x[:-1])^2)"


def rosen_scalar(x, y, n: int):  # type: ignore[no-untyped-def]
    """The scalar-input Rosenbrock loop, for floats and every peer's scalar type."""
    s = 0.0
    for i in range(n):
        a = x + 0.001 * i
        s = s + 100 * (y - a**2) ** 2 + (1 - a) ** 2
    return s


def rosen_array(x, n: int):  # type: ignore[no-untyped-def]
    """The loop reading x[i] (a list of floats, or a peer's array)."""
    s = 0.0
    for i in range(n):
        s = s + 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2
    return s


def recurrence(x, a, k: int, sin=math.sin):  # type: ignore[no-untyped-def]
    h = 0.01
    for _ in range(k):
        x = x + h * sin(x) * a
    return x


def numpy_rosen(x: np.ndarray) -> float:
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def numpy_rosen_grad(x: np.ndarray) -> np.ndarray:
    g = np.zeros_like(x)
    r = x[1:] - x[:-1] ** 2
    g[:-1] = -400 * x[:-1] * r - 2 * (1 - x[:-1])
    g[1:] += 200 * r
    return g


def array_point(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1.2, 1.2, n + 1)


def call_with(f: Callable[..., object], *args: object) -> Callable[[], object]:
    """``f`` with its arguments fixed now (a timed call does nothing else)."""
    return lambda: f(*args)


# Each workload: (adcalc source, adcalc point for size n, plain-Python evaluation, input names)
WORKLOADS: dict[str, tuple[str, Callable[[int], dict], Callable[[int], Callable[[], object]], list[str]]] = {
    "rosenbrock, scalar inputs": (ROSEN_SCALAR, lambda n: {"x": 0.5, "y": 1.5, "n": float(n)},
                                  lambda n: lambda: rosen_scalar(0.5, 1.5, n), ["x", "y", "n"]),
    "rosenbrock, x[i] reads": (ROSEN_ARRAY, lambda n: {"x": array_point(n)},
                               lambda n: call_with(rosen_array, array_point(n).tolist(), n), ["x"]),
    "recurrence": (RECURRENCE, lambda k: {"x": 0.3, "a": 1.1, "K": float(k)},
                   lambda k: lambda: recurrence(0.3, 1.1, k), ["x", "a", "K"]),
}


# ---- timing and counting -----------------------------------------------------------------------

def batch_size(fn: Callable[[], object]) -> int:
    """How many calls of ``fn`` last about 20 ms (one when a call is longer)."""
    t = time.perf_counter()
    fn()
    return max(1, int(0.02 / max(time.perf_counter() - t, 1e-7)))


def median_time(fn: Callable[[], object], repeat: int, budget: float = 20.0) -> float:
    """Seconds per call: the median of up to ``repeat`` timings (fewer when they pass ``budget``
    seconds), each of a batch of calls lasting about 20 ms (one call when a call is longer), so
    that calls of a few µs are not lost in the timer's own cost."""
    fn()  # a first call may still generate code (adcalc's Hessian code, a jit): not the rate
    number = batch_size(fn)
    times: list[float] = []
    deadline = time.perf_counter() + budget
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t) / number)
        if time.perf_counter() > deadline:
            break
    return statistics.median(times)


def paired_times(base: Callable[[], object], fn: Callable[[], object], repeat: int,
                 budget: float = 20.0) -> tuple[float, float]:
    """(seconds per call of ``fn``, its ratio to ``base``): batches of the two alternate, each
    ratio is of a ``fn`` batch to the ``base`` batch timed just before it, and both figures are
    medians — so a change of the machine's load between the two timings does not move the ratio."""
    fn()  # a first call may still generate code (adcalc's Hessian code, a jit): not the rate
    batches = [batch_size(base), batch_size(fn)]
    times: list[float] = []
    ratios: list[float] = []
    deadline = time.perf_counter() + budget
    for _ in range(repeat):
        pair = []
        for g, number in zip((base, fn), batches):
            gc.collect()
            t = time.perf_counter()
            for _ in range(number):
                g()
            pair.append((time.perf_counter() - t) / number)
        times.append(pair[1])
        ratios.append(pair[1] / pair[0])
        if time.perf_counter() > deadline:
            break
    return statistics.median(times), statistics.median(ratios)


def executed_eqns(source: str, point: dict) -> int:
    """How many IR equations (primitive applications) adcalc's interpreter executes at ``point``."""
    from adcalc.ops.driver import bind, limits_of, load, run_mode
    from adcalc.transform.mode import EvalMode

    class Counting(EvalMode):
        count = 0

        def apply1(self, prim, x, site):  # type: ignore[no-untyped-def]
            self.count += 1
            return super().apply1(prim, x, site)

        def apply2(self, prim, x, y, site):  # type: ignore[no-untyped-def]
            self.count += 1
            return super().apply2(prim, x, y, site)

        def applyn(self, prim, args, site):  # type: ignore[no-untyped-def]
            self.count += 1
            return super().applyn(prim, args, site)

        def element(self, prim, x, subscripts, site):  # type: ignore[no-untyped-def]
            self.count += 1
            return self.apply(prim, [x, *subscripts], site)  # the general step: no second count

    loaded = load(source)
    names, values, _ = bind(loaded, point)
    mode = Counting()
    run_mode(loaded, mode, names, values, limits_of(None, None), False)
    return mode.count


# ==== HOOK: compiled gradients (adcalc.compile, issue #16's code generator) ======================
# The lead plugs adcalc.compile in here.  ``compiled_grad(source, inputs)`` returns a callable
# taking the inputs' values positionally (in ``inputs`` order) and returning the gradient, or None
# when adcalc has no ``compile``.  Adjust the call below if the compiled object's signature differs.

def compiled_grad(source: str, inputs: list[str]) -> Callable[..., object] | None:
    if not hasattr(adcalc, "compile"):
        return None
    compiled = adcalc.compile(source, inputs=inputs)  # type: ignore[attr-defined]
    return compiled.grad


def compiled_hessian(source: str, inputs: list[str]) -> Callable[..., object] | None:
    """The Hessian by the compiled code (``CompiledFunction.hessian``: one reverse-over-forward
    sweep pair per input; None without it)."""
    if not hasattr(adcalc, "compile"):
        return None
    compiled = adcalc.compile(source, inputs=inputs)  # type: ignore[attr-defined]
    return getattr(compiled, "hessian", None)
# ==== end of the hook ==============================================================================


# ---- the tools ---------------------------------------------------------------------------------
# A tool: name → {"version", "max_ops" (skip above: it would take minutes), "grad": work → n → callable,
# "hessian", "vector": x → callable, "compile": {key: seconds}}

LOAD_MS: dict[str, tuple[int, float]] = {}  # source label → (IR instructions, ms of its first load)


def adcalc_tools() -> list[tuple[str, dict]]:
    loaded = {}
    for label, src in [(w, WORKLOADS[w][0]) for w in WORKLOADS] + [("running example", RUNNING),
                                                                   ("vectorised rosenbrock", VECTORISED)]:
        t = time.perf_counter()
        loaded[label] = adcalc.load(src)
        LOAD_MS[label] = (sum(len(fn.code) for fn in loaded[label].program.functions.values()),
                          (time.perf_counter() - t) * 1e3)

    def grad(work: str) -> Callable[[int], Callable[[], object]]:
        return lambda n: call_with(lambda p: adcalc.grad(loaded[work], p).gradient, WORKLOADS[work][1](n))

    interp = {"version": adcalc.__version__, "grad": {w: grad(w) for w in WORKLOADS},
              "hessian": lambda: adcalc.higher.hessian(loaded["running example"], {"x1": 1.0, "x2": 2.0}).hessian,
              "vector": lambda x: lambda: adcalc.grad(loaded["vectorised rosenbrock"], {"x": x}).gradient}
    tools = [("adcalc interpreter", interp)]
    if hasattr(adcalc, "compile"):
        times: dict = {}
        done: set[str] = set()  # sources compiled already: later sizes hit adcalc.compile's cache

        def timed(key: tuple, src: str, make: Callable[[], object]) -> object:
            t = time.perf_counter()
            out = make()
            if src not in done:
                times[key] = time.perf_counter() - t
                done.add(src)
            return out

        def compiled(work: str) -> Callable[[int], Callable[[], object]]:
            src, point, _, inputs = WORKLOADS[work]

            def make(n: int) -> Callable[[], object]:
                g = timed((work, n), src, lambda: compiled_grad(src, inputs))
                return call_with(g, *[point(n)[name] for name in inputs])  # type: ignore[arg-type]

            return make

        def hessian() -> Callable[[], object] | None:
            h = timed(("hessian", 2), RUNNING, lambda: compiled_hessian(RUNNING, ["x1", "x2"]))
            return None if h is None else call_with(h, 1.0, 2.0)  # type: ignore[arg-type]

        def vector(x: np.ndarray) -> Callable[[], object]:
            return call_with(timed(("vectorised", x.size), VECTORISED, lambda: compiled_grad(VECTORISED, ["x"])),  # type: ignore[arg-type]
                             x)

        tools.append(("adcalc compiled", {"version": adcalc.__version__, "grad": {w: compiled(w) for w in WORKLOADS},
                                          "hessian_factory": hessian, "vector": vector, "compile": times}))
    return tools


def autograd_tool() -> dict | None:
    try:
        ag = importlib.import_module("autograd")
        anp = importlib.import_module("autograd.numpy")
    except ImportError:
        return None
    g_scalar = ag.grad(lambda p, n: rosen_scalar(p[0], p[1], n))
    g_array = ag.grad(rosen_array)
    g_rec = ag.grad(lambda p, k: recurrence(p[0], p[1], k, anp.sin))
    hess = ag.hessian(lambda v: anp.exp(2 * v[0]) + v[0] * v[1] ** 2 + anp.cos(v[1]))
    g_vec = ag.grad(lambda x: anp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))
    return {"version": importlib.metadata.version("autograd"), "max_ops": 120_000, "grad": {
        "rosenbrock, scalar inputs": lambda n: lambda: g_scalar(np.array([0.5, 1.5]), n),
        "rosenbrock, x[i] reads": lambda n: call_with(g_array, array_point(n), n),
        "recurrence": lambda k: lambda: g_rec(np.array([0.3, 1.1]), k)},
        "hessian": lambda: hess(np.array([1.0, 2.0])), "vector": lambda x: lambda: g_vec(x)}


def torch_tool() -> dict | None:
    try:
        torch = importlib.import_module("torch")
    except ImportError:
        return None
    torch.set_num_threads(1)
    f64 = torch.float64

    def scalar_grad(body: Callable, values: tuple[float, ...]) -> Callable[[], object]:  # type: ignore[type-arg]
        def go() -> object:
            xs = [torch.tensor(v, dtype=f64, requires_grad=True) for v in values]
            body(*xs).backward()
            return [x.grad.item() for x in xs]

        return go

    def array_grad(n: int) -> Callable[[], object]:
        data = array_point(n)

        def go() -> object:
            x = torch.tensor(data, dtype=f64, requires_grad=True)
            rosen_array(x, n).backward()
            return x.grad

        return go

    def vector(x: np.ndarray) -> Callable[[], object]:
        def go() -> object:
            t = torch.tensor(x, dtype=f64, requires_grad=True)
            torch.sum(100 * (t[1:] - t[:-1] ** 2) ** 2 + (1 - t[:-1]) ** 2).backward()
            return t.grad

        return go

    def hessian() -> object:
        def f(v):  # type: ignore[no-untyped-def]
            return torch.exp(2 * v[0]) + v[0] * v[1] ** 2 + torch.cos(v[1])

        return torch.autograd.functional.hessian(f, torch.tensor([1.0, 2.0], dtype=f64))

    return {"version": torch.__version__, "max_ops": 450_000, "grad": {
        "rosenbrock, scalar inputs": lambda n: scalar_grad(lambda x, y: rosen_scalar(x, y, n), (0.5, 1.5)),
        "rosenbrock, x[i] reads": array_grad,
        "recurrence": lambda k: scalar_grad(lambda x, a: recurrence(x, a, k, torch.sin), (0.3, 1.1))},
        "hessian": hessian, "vector": vector}


def jax_tools() -> list[tuple[str, dict]]:
    try:
        jax = importlib.import_module("jax")
        jnp = importlib.import_module("jax.numpy")
    except ImportError:
        return []
    jax.config.update("jax_enable_x64", True)
    lax = jax.lax

    def jitted(times: dict, key: tuple, f: Callable, *args: object) -> Callable[[], object]:  # type: ignore[type-arg]
        t = time.perf_counter()
        g = jax.jit(f)
        jax.block_until_ready(g(*args))  # trace + compile + one run
        times[key] = time.perf_counter() - t
        return lambda: jax.block_until_ready(g(*args))

    def fori_scalar(x, y, n):  # type: ignore[no-untyped-def]
        def body(i, s):  # type: ignore[no-untyped-def]
            a = x + 0.001 * i
            return s + 100 * (y - a**2) ** 2 + (1 - a) ** 2

        return lax.fori_loop(0, n, body, 0.0)

    def fori_array(x, n):  # type: ignore[no-untyped-def]
        return lax.fori_loop(0, n, lambda i, s: s + 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2, 0.0)

    def fori_rec(x, a, k):  # type: ignore[no-untyped-def]
        return lax.fori_loop(0, k, lambda _, u: u + 0.01 * jnp.sin(u) * a, x)

    def running(v):  # type: ignore[no-untyped-def]
        return jnp.exp(2 * v[0]) + v[0] * v[1] ** 2 + jnp.cos(v[1])

    def vec(x):  # type: ignore[no-untyped-def]
        return jnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    tools = []
    for label, scalar, array, rec, cap in (
            ("jax.jit (Python loop, unrolled)", rosen_scalar, rosen_array,
             lambda x, a, k: recurrence(x, a, k, jnp.sin), 13_000),
            ("jax.jit (lax.fori_loop)", fori_scalar, fori_array, fori_rec, 10**9)):
        times: dict = {}
        grads = {
            "rosenbrock, scalar inputs": lambda n, f=scalar, t=times: jitted(
                t, ("rosenbrock, scalar inputs", n), jax.grad(lambda x, y: f(x, y, n), argnums=(0, 1)), 0.5, 1.5),
            "rosenbrock, x[i] reads": lambda n, f=array, t=times: jitted(
                t, ("rosenbrock, x[i] reads", n), jax.grad(lambda x: f(x, n)), jnp.asarray(array_point(n))),
            "recurrence": lambda k, f=rec, t=times: jitted(
                t, ("recurrence", k), jax.grad(lambda x, a: f(x, a, k), argnums=(0, 1)), 0.3, 1.1),
        }
        tool = {"version": jax.__version__, "max_ops": cap, "grad": grads, "compile": times}
        if cap > 10**6:  # Hessian and vectorised once, in the second jax row (whose label names no loop)
            tool["label"] = "jax.jit"
            tool["hessian_factory"] = lambda t=times: jitted(t, ("hessian", 2), jax.hessian(running),
                                                             jnp.array([1.0, 2.0]))
            tool["vector"] = lambda x, t=times: jitted(t, ("vectorised", x.size), jax.grad(vec), jnp.asarray(x))
        tools.append((label, tool))
    return tools


# ---- report ----------------------------------------------------------------------------------------

def fmt(v: float) -> str:
    return f"{v:.3f}" if v < 1 else f"{v:.2f}" if v < 100 else f"{v:,.0f}"


def failure(e: Exception) -> str:
    """A failure, short and on one line, for a table cell."""
    text = " ".join(str(e).split()).replace("|", "/")
    return f"{type(e).__name__}: {text[:90]}{'…' if len(text) > 90 else ''}"


def seconds(v: float | None) -> str:
    """A compile time: "—" when there is none, ms below a second."""
    return "—" if v is None else f"{v * 1e3:.1f} ms" if v < 1 else f"{v:.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the smaller sizes only, fewer repeats")
    ap.add_argument("--out", help="also write the report to this Markdown file")
    ap.add_argument("--adcalc-only", action="store_true", help="skip the peers")
    args = ap.parse_args()
    repeat = 3 if args.quick else 5
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    t = time.perf_counter()
    for _ in range(10**7):
        pass
    calibration = time.perf_counter() - t
    tools = adcalc_tools()
    absent = []
    if not args.adcalc_only:
        for name, make in (("autograd", autograd_tool), ("torch (CPU)", torch_tool)):
            tool = make()
            if tool is None:
                absent.append(name)
            else:
                tools.append((name, tool))
        jax = jax_tools()
        tools += jax
        if not jax:
            absent.append("jax")
    say(f"# adcalc beside its peers\n\nMachine: {os.cpu_count()} cores, {platform.machine()}, Linux "
        f"{platform.release()}; Python {platform.python_version()}, NumPy {np.__version__}.  Speed check: an "
        f"empty 10⁷-iteration Python loop took {calibration:.2f} s.  Command: `python bench/peers.py"
        f"{' --quick' if args.quick else ''}{' --adcalc-only' if args.adcalc_only else ''}`; medians of up to "
        f"{repeat} warm batches; the loop programs' ratios to plain Python are medians of paired batches.\n")
    say("Tools: plain Python floats, " + ", ".join(f"{n} {t['version']}" for n, t in tools) + ".")
    if not hasattr(adcalc, "compile"):
        say("adcalc compiled: absent (adcalc has no `compile` yet: the hook `compiled_grad` in bench/peers.py).")
    say("Not installed, skipped: " + (", ".join(absent) if absent else "none") + ".")

    say("\n## Reverse-mode gradient of scalar loop programs\n")
    say("µs per op = gradient time ÷ IR equations executed (adcalc's count, shared by every tool); "
        "compile = trace + compile + first call.\n")
    say("| workload | n | Eqns executed | tool | µs per op | ÷ plain Python evaluation | compile |")
    say("|---|---:|---:|---|---:|---:|---:|")
    sizes = {"rosenbrock, scalar inputs": [10, 100, 1000, 10_000], "rosenbrock, x[i] reads": [10, 100, 1000, 10_000],
             "recurrence": [10_000, 100_000]}
    if args.quick:
        sizes = {w: s[:-1] for w, s in sizes.items()}
    for work, ns in sizes.items():
        src, point, plain, _ = WORKLOADS[work]
        for n in ns:
            ops = executed_eqns(src, point(n))
            reps = repeat
            base = median_time(plain(n), reps)
            say(f"| {work} | {n:,} | {ops:,} | plain Python floats | {fmt(base / ops * 1e6)} | 1 | — |")
            for name, tool in tools:
                if ops > tool.get("max_ops", 10**9):
                    say(f"| {work} | {n:,} | {ops:,} | {name} | skipped: over {tool['max_ops']:,} ops "
                        "(minutes per call or compile) | | |")
                    continue
                try:
                    call = tool["grad"][work](n)
                    t, ratio = paired_times(plain(n), call, reps)  # warms up first (jax compiled at the call)
                except Exception as e:  # a tool that cannot run this program: say so, go on
                    say(f"| {work} | {n:,} | {ops:,} | {name} | fails: {failure(e)} | | |")
                    continue
                shown = seconds(tool.get("compile", {}).get((work, n)))
                say(f"| {work} | {n:,} | {ops:,} | {name} | {fmt(t / ops * 1e6)} | {fmt(ratio)} | {shown} |")

    say("\n## Hessian of the running example exp(2·x1) + x1·x2² + cos(x2) at (1, 2)\n")
    say("| tool | µs per Hessian | compile |")
    say("|---|---:|---:|")
    base = median_time(call_with(lambda x1, x2: math.exp(2 * x1) + x1 * x2**2 + math.cos(x2), 1.0, 2.0), 9)
    say(f"| plain Python (the value only, for scale) | {fmt(base * 1e6)} | — |")
    for name, tool in tools:
        if "hessian" not in tool and "hessian_factory" not in tool:
            continue  # this tool's Hessian is measured in another row (jax)
        try:
            call = tool.get("hessian") or tool["hessian_factory"]()
            if call is None:
                say(f"| {tool.get('label', name)} | no Hessian (no hvp) | |")
                continue
            t = median_time(call, 9)
        except Exception as e:
            say(f"| {tool.get('label', name)} | fails: {failure(e)} | |")
            continue
        say(f"| {tool.get('label', name)} | {fmt(t * 1e6)} | {seconds(tool.get('compile', {}).get(('hessian', 2)))} |")

    say("\n## Vectorised Rosenbrock: gradient ÷ NumPy's evaluation of the function\n")
    say("| n | tool | gradient ms | ÷ NumPy evaluation | compile |")
    say("|---:|---|---:|---:|---:|")
    for n in (10_000, 1_000_000) if not args.quick else (10_000,):
        x = np.random.default_rng(1).uniform(-1.2, 1.2, n)
        assert np.allclose(adcalc.grad(VECTORISED, {"x": x}).gradient["x"], numpy_rosen_grad(x), rtol=1e-12,
                           atol=1e-9)  # the benchmark computes the right thing
        ev = median_time(lambda x=x: numpy_rosen(x), 20)
        say(f"| {n:,} | NumPy evaluation | {ev * 1e3:.3f} | 1 | — |")
        g = median_time(lambda x=x: numpy_rosen_grad(x), 20)
        say(f"| {n:,} | NumPy, hand-written gradient | {g * 1e3:.3f} | {fmt(g / ev)} | — |")
        for name, tool in tools:
            if "vector" not in tool:
                continue
            try:
                call = tool["vector"](x)
                t = median_time(call, 10)
            except Exception as e:
                say(f"| {n:,} | {tool.get('label', name)} | fails: {failure(e)} | | |")
                continue
            say(f"| {n:,} | {tool.get('label', name)} | {t * 1e3:.3f} | {fmt(t / ev)} | "
                f"{seconds(tool.get('compile', {}).get(('vectorised', n)))} |")

    say("\n## adcalc's own parse + lower + compile (once per source, cached after)\n")
    say("| source | IR instructions | ms |")
    say("|---|---:|---:|")
    for label, (size, ms) in LOAD_MS.items():
        say(f"| {label} | {size} | {ms:.1f} |")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
