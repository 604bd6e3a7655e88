"""``adcalc.compile`` writes only what a call needs, when it is first needed (issue #16's generation
target, stop 24), and the lazy pieces compute what the eager module computed, bit for bit.

What changed: ``compile`` writes the reverse code alone, without comments, and where a step runs
once per call it calls the prelude helper instead of inlining its fast path (``_pow(x, 2.0)`` for
``math.pow(x, 2.0) if -1e60 < x < 1e60 else _pow(x, 2.0)``), and a once-used partial is tested in
one line (``b = g * _p if g and (_p := …) else 0.0``); ``value`` runs that code's forward sweep
(straight-line programs) until ``VALUE_SWEEPS`` calls, then the value code, written then; the
forward and Hessian code are written on their first call.

Truth: the module ``adcalc codegen`` prints for the same source (the eager module, value code
with inlined fast paths, written by a subprocess of the real CLI and imported from its file), and
the interpreter.  Same operations in the same order, so every float must be the same bits
(``repr``: it tells -0.0 from 0.0); the points include the special values where the helpers and
the inline fast paths take different branches (overflow, inf, nan, ±0).
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
import threading

import pytest

import adcalc
from adcalc.ops.codegen import compiled
from adcalc.ops.higher import hvp

STRAIGHT = """def s(x, y):
    a = x^2 + exp(y) * sin(x) - cos(y)^3
    b = log(x) + sqrt(y) / (x - y)
    if a > b:
        c = a * b
    else:
        c = a / b
    return c + tanh(x * y) + x^4"""
LOOP = """def g(x, n):
    k = 0
    while k < n:
        x = x * 1.01 + sin(x)^2
        k = k + 1
    for i in range(3):
        x = x + exp(i * x) / 10
    return x"""
CALLS = """def sq(u):
    return u^2 + sin(u)

def f(x, y):
    return sq(x) * sq(y) + exp(x)"""
RECURSIVE = """def p(x, n):
    if n < 1:
        return exp(x)
    return x * p(x, n - 1) + sin(x)"""
ZERO = "def z(x, y):\n    return y * (x^2)^2 + exp(x)^2 * (y * sin(x))"  # ȳ = 0 reaching partials that are inf
VECTOR = "def v(x, y):\n    return [x^2 * y, exp(x) - y^3]"
READS = """def r(x):
    s = 0
    for i in range(len(x) - 1):
        s = s + 100*(x[i+1] - x[i]^2)^2 + (1 - x[i])^2
    return s"""

SCALAR = {  # source → points (one number per input)
    STRAIGHT: [(0.7, 0.3), (2.0, 0.5), (1e200, 0.25), (0.5, 800.0), (-0.0, 0.0), (math.inf, 1.0), (math.nan, 2.0),
               (0.3, -1.0)],
    LOOP: [(0.5, 7.0), (1.3, 0.0), (-2.0, 3.0), (1e200, 2.0)],
    CALLS: [(0.4, 1.5), (1e200, 0.5), (-0.0, 0.0), (math.nan, 1.0)],
    RECURSIVE: [(0.8, 4.0), (1.1, 0.0), (1e300, 2.0)],
    VECTOR: [(0.6, 1.4), (1e200, 2.0), (0.0, -0.0)],
    ZERO: [(1e200, 0.0), (1e200, -0.0), (800.0, 0.0), (0.5, 0.0), (2.0, 3.0)],
}


def bits(v: object) -> str:
    """Every float of a (nested) result as its exact repr: equal strings, equal bits (nan as nan)."""
    if hasattr(v, "tolist"):
        v = v.tolist()  # type: ignore[union-attr]
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(bits(x) for x in v) + "]"
    return repr(float(v))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The module ``adcalc codegen SOURCE -o FILE`` writes for each source, imported from the file."""
    out: dict[str, dict] = {}
    folder = tmp_path_factory.mktemp("printed")
    for k, src in enumerate([*SCALAR, READS]):
        path = folder / f"printed_{k}.py"
        done = subprocess.run([sys.executable, "-m", "adcalc", "codegen", src, "-o", str(path)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        spec = importlib.util.spec_from_file_location(f"printed_{k}", path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        out[src] = vars(module)
    return out


def fresh(src: str, monkeypatch: pytest.MonkeyPatch, sweeps: int = compiled.VALUE_SWEEPS) -> compiled.CompiledFunction:
    """A new compiled function of ``src`` (not the cached one: a fresh cache), whose value calls run
    the reverse sweep ``sweeps`` times before the value code is written."""
    monkeypatch.setattr(compiled, "VALUE_SWEEPS", sweeps)
    monkeypatch.setattr(compiled, "_CACHE", type(compiled._CACHE)())  # noqa: SLF001 - an empty cache
    return adcalc.compile(src)


@pytest.mark.parametrize("src", list(SCALAR), ids=["straight", "loop", "calls", "recursive", "vector", "zero"])
def test_every_lazy_piece_equals_the_printed_module_bit_for_bit(src: str, printed: dict, monkeypatch) -> None:
    ns = printed[src]
    scalar = src is not VECTOR
    for sweeps in (compiled.VALUE_SWEEPS, 0):  # the value from the reverse sweep, and from the value code
        c = fresh(src, monkeypatch, sweeps)
        for x in SCALAR[src]:
            assert bits(c.value(*x)) == bits(ns["f"](*x)), (x, sweeps)
            ybar = 1.0 if scalar else [0.5, -2.0]
            assert bits(c.vjp(list(x), ybar)) == bits(ns["f_vjp"](*x, ybar)), x
            for d in ((1.0, 0.0), (0.0, 1.0), (0.25, -3.0)):
                assert bits(c.jvp(list(x), list(d))) == bits(ns["f_jvp"](*x, *d)), (x, d)
            if scalar:
                assert bits(c.value_and_grad(*x)) == bits(ns["f_grad"](*x)), x


@pytest.mark.parametrize("src", [STRAIGHT, LOOP, CALLS])
def test_the_lazy_pieces_equal_the_interpreter(src: str, monkeypatch: pytest.MonkeyPatch) -> None:
    c = fresh(src, monkeypatch)
    names = list(c.inputs)
    for x in SCALAR[src][:2]:
        point = dict(zip(names, x))
        want = adcalc.grad(src, point)
        assert bits(c.value(*x)) == bits(adcalc.evaluate(src, point).value)
        assert bits(c.grad(*x)) == bits([want.gradient[n] for n in names])
        along = {names[0]: 1.0, names[1]: 0.0}
        assert bits(c.jvp(list(x), [1.0, 0.0])[1]) == bits(adcalc.jvp(src, point, along).tangent)
        hv = c.hvp(list(x), [1.0, 0.0])
        exact = hvp(src, point, {names[0]: 1.0, names[1]: 0.0}).hvp
        for n, h in zip(names, hv):  # reverse-over-forward against forward-over-reverse: rounding apart
            assert h == pytest.approx(exact[n], rel=1e-12, abs=1e-12)


def test_element_reads_value_and_gradient_equal_the_printed_module(printed: dict, monkeypatch) -> None:
    ns = printed[READS]
    c = fresh(READS, monkeypatch)
    for x in ([0.5, 1.5, -0.25, 2.0], [1e200, 0.0, -0.0], [math.inf, 1.0]):
        assert bits(c.value(x)) == bits(ns["f"](x))
        assert bits(c.value_and_grad(x)) == bits(ns["f_grad"](x))
        assert bits(c.jvp([x], [[1.0] * len(x)])) == bits(ns["f_jvp"](x, [1.0] * len(x)))


def test_compile_writes_the_reverse_code_only_and_each_piece_once(monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[str] = []
    real = compiled._generate  # noqa: SLF001

    def counting(program: object, mode: str, *rest: object) -> str:
        written.append(mode)
        return real(program, mode, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(compiled, "_generate", counting)
    c = fresh(STRAIGHT, monkeypatch, sweeps=3)
    assert written == ["reverse"]
    for _ in range(3):  # straight-line code: the reverse sweep's value, nothing more to write
        c.value(0.7, 0.3)
    assert written == ["reverse"]
    for _ in range(5):  # past VALUE_SWEEPS: the value code, once
        c.value(0.7, 0.3)
    c.jvp([0.7, 0.3], [1.0, 0.0])
    c.jvp([0.7, 0.3], [0.0, 1.0])
    assert written == ["reverse", "value", "forward"]
    written.clear()
    loop = fresh(LOOP, monkeypatch)  # a loop's sweep keeps a stack: its value code on the first value
    loop.value(0.5, 7.0)
    loop.value(0.5, 7.0)
    assert written == ["reverse", "value"]


def at_once(c: compiled.CompiledFunction, x: tuple, n: int = 8) -> list[list[str]]:
    """``n`` threads released together, each calling value ten times (across the switch from the
    sweep to the value code), then jvp, value_and_grad and hvp: each thread's results' bits."""
    barrier = threading.Barrier(n)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            got = [bits(c.value(*x)) for _ in range(10)]
            got += [bits(c.jvp(list(x), [1.0, 0.0])), bits(c.value_and_grad(*x)), bits(c.hvp(list(x), [1.0, 0.0]))]
            results.append(got)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


@pytest.mark.parametrize("src", [STRAIGHT, LOOP], ids=["straight", "loop"])
def test_threads_calling_at_once_get_the_same_bits_and_one_generation(src: str, printed: dict, monkeypatch) -> None:
    written: list[str] = []
    real = compiled._generate  # noqa: SLF001

    def counting(program: object, mode: str, *rest: object) -> str:
        written.append(mode)
        return real(program, mode, *rest)  # type: ignore[arg-type]

    ns = printed[src]
    x = SCALAR[src][0]
    want = [bits(ns["f"](*x))] * 10 + [bits(ns["f_jvp"](*x, 1.0, 0.0)), bits(ns["f_grad"](*x)),
                                       bits(adcalc.compile(src).hvp(list(x), [1.0, 0.0]))]  # hvp: the cached one's
    c = fresh(src, monkeypatch, sweeps=20)
    monkeypatch.setattr(compiled, "_generate", counting)
    results = at_once(c, x)
    assert results == [want] * 8
    assert sorted(written) == ["forward", "value"]  # each lazy piece written once, whatever the race


def test_the_compiled_module_has_no_comments_and_calls_helpers_once_per_call() -> None:
    """What Python compiles for ``compile`` (the shape, not the numbers: those are above)."""
    src = "def q(x1, x2):\n    s = (x2 - x1^2)^2 + sin(x1)\n    for i in range(2):\n        s = s + x2^2\n    return s"
    program = adcalc.load(src).program
    text = compiled._generate(program, "reverse", None)  # noqa: SLF001
    assert "#" not in text
    assert "_pow(x1, 2.0)" in text and "math.pow(x1, 2.0)" not in text  # outside the loop: the helper
    assert "math.pow(x2, 2.0) if" in text  # in the loop: the inline fast path, run each iteration
    printed_text = subprocess.run([sys.executable, "-m", "adcalc", "codegen", src, "--mode", "reverse"],
                                  capture_output=True, text=True, timeout=120).stdout
    assert "math.pow(x1, 2.0) if -1e60 < x1 < 1e60 else _pow(x1, 2.0)" in printed_text  # the printed module: as before
