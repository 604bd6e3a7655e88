"""The API is thread-safe and re-entrant (issue #13 item 6): calls on many threads at once, and a
call from a signal handler in the middle of another, give exactly the results of the same calls
made one at a time — values, derivatives, traces, warnings, and every error's kind, message,
span and hint — and leave the garbage collector as they found it.

(The bug this guards against: Lark's indentation post-lexer kept its state on the one shared
parser object, so 8 threads running ``grad`` on small ``for``/``if`` programs got hundreds of
false syntax errors.)
"""

from __future__ import annotations

import gc
import math
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from fuzz_inputs import mutate, random_array_program, random_program

import adcalc
from adcalc import AdcalcError
from adcalc.ops import checks, higher
from adcalc.ops.driver import _load, gc_paused

POINT = {"x": 0.7, "y": 1.3}
LIMITS = {"max_steps": 2_000, "max_depth": 40}


# ---- programs: valid, with syntax errors, with run-time errors ----------------------------------------

def expression(rng: random.Random) -> str:
    """A one-line expression (the quick parser's path)."""
    a, b, c = (round(rng.uniform(-3, 3), 3) for _ in range(3))
    return rng.choice([f"{a}*x^2 + sin({b}*y) - exp(x*{c})/(1 + y^2)", f"log(1 + x^2) * {a} + atan2(y, {b})",
                       f"sqrt(x^2 + y^2) + {a}*tanh({b}*x*y) - {c}", f"[x*{a}, y^2 + {b}, sin(x*y)]"])


def while_def_program(rng: random.Random) -> str:
    """A function definition, a while loop, nested blocks and an early return."""
    n, k = rng.randint(0, 6), round(rng.uniform(-1, 1), 3)
    return (f"def f(a, b):\n    if a > b:\n        return a * b + {k}\n    elif a < 0:\n        return -a\n"
            f"    return a + sin(b)\n\ns = 0\nj = 0\nwhile j < {n}:\n    s = s + f(x * j, y)\n    j = j + 1\n"
            f"    if s > 100:\n        break\nreturn s + x * y\n")


def bad_indentation(rng: random.Random) -> str:
    """A syntax error that the indentation post-lexer itself must report."""
    lines = random_program(rng).split("\n")
    i = rng.randrange(1, len(lines) - 2)
    lines[i] = " " * rng.choice([1, 3, 6]) + lines[i].lstrip()
    return "\n".join(lines)


RUNTIME_ERRORS = [
    "s = 0\nfor i in range(x):\n    s = s + i\nreturn s",  # range needs whole numbers
    "if x > 5:\n    t = 1\nreturn t + x",  # t is never set on this path
    "s = x\nwhile s > 0:\n    s = s + 1\nreturn s",  # the step limit
    "def f(a):\n    return f(a + 1)\nreturn f(x)",  # the depth limit
    "def g(a):\n    if a > 0:\n        return a\nreturn g(-x)",  # g falls off its end
    "v = [x, y]\nreturn v[2]",  # an index out of range
]


def programs(rng: random.Random, n: int) -> list[str]:
    makers: list[Callable[[random.Random], str]] = [
        expression, random_program, while_def_program, random_array_program, bad_indentation,
        lambda r: mutate(random_program(r), r, r.randint(1, 3)),
        lambda r: mutate(while_def_program(r), r, 1),
        lambda r: r.choice(RUNTIME_ERRORS) + "\n" * r.randint(0, 2) + f"# {r.random()}",
    ]
    return [rng.choice(makers)(rng) for _ in range(n)]


# ---- calls and what they give --------------------------------------------------------------------------

OPERATIONS: list[tuple[str, Callable[[str], object]]] = [
    ("evaluate", lambda s: adcalc.evaluate(s, POINT, **LIMITS)),
    ("grad reverse", lambda s: adcalc.grad(s, POINT, mode="reverse", **LIMITS)),
    ("grad forward", lambda s: adcalc.grad(s, POINT, mode="forward", **LIMITS)),
    ("grad traced", lambda s: adcalc.grad(s, POINT, trace=True, **LIMITS)),
    ("jvp", lambda s: adcalc.jvp(s, POINT, {"x": 1.0, "y": -0.5}, trace=True, **LIMITS)),
    ("vjp", lambda s: adcalc.vjp(s, POINT, [1.0], **LIMITS)),
    ("jacobian", lambda s: adcalc.jacobian(s, POINT, **LIMITS)),
    ("hessian", lambda s: higher.hessian(s, POINT, **LIMITS)),
    ("deriv", lambda s: higher.deriv(s, POINT, wrt="x", order=3, **LIMITS)),
    ("check", lambda s: checks.check(s, POINT, **LIMITS)),
]
WEIGHTS = [3, 3, 2, 1, 1, 1, 2, 1, 1, 1]  # check is the slowest: fewer of it


def plain(v: object) -> object:
    """A result as plain, exactly comparable data (floats by their bits, NaN included)."""
    if isinstance(v, float):
        return "nan" if math.isnan(v) else v.hex()
    if v is None or isinstance(v, str | int | bool):
        return v
    if isinstance(v, np.ndarray):
        return ("array", v.shape, plain(v.tolist()))
    if isinstance(v, np.generic):
        return plain(v.item())
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    if hasattr(v, "_fields"):  # results, spans, limits
        return (type(v).__name__, {k: plain(getattr(v, k)) for k in v._fields})
    if hasattr(v, "__dataclass_fields__"):  # check's entries
        return (type(v).__name__, {k: plain(getattr(v, k)) for k in v.__dataclass_fields__})
    if hasattr(type(v), "__slots__"):  # trace rows, adjoint updates, warnings (site: an IR node, by identity)
        return (type(v).__name__, {k: plain(getattr(v, k)) for k in type(v).__slots__ if k != "site"})
    raise TypeError(f"cannot compare a {type(v).__name__}")


def outcome(op: int, source: str) -> object:
    """What the call gives: its result, or its error's kind, message, span and hint."""
    try:
        return plain(OPERATIONS[op][1](source))
    except AdcalcError as e:
        return ("error", e.kind, e.message, plain(e.span), e.hint)


def calls(seed: int, n_programs: int, per_program: int = 2) -> list[tuple[int, str]]:
    """``per_program`` different operations on each of ``n_programs`` programs, shuffled."""
    rng = random.Random(seed)
    work = [(op, src) for src in programs(rng, n_programs)
            for op in rng.choices(range(len(OPERATIONS)), weights=WEIGHTS, k=per_program)]
    rng.shuffle(work)
    return work


# ---- many threads at once ------------------------------------------------------------------------------

def test_eight_threads_give_exactly_the_serial_results() -> None:
    work = calls(20261129, 1000)
    serial = [outcome(op, src) for op, src in work]
    errors = sum(1 for o in serial if isinstance(o, tuple) and o[0] == "error")
    syntax = sum(1 for o in serial if isinstance(o, tuple) and o[:2] == ("error", "syntax"))
    assert 0.15 * len(work) < errors < 0.6 * len(work) and syntax > 100  # a real mix of results and errors
    _load.cache_clear()  # every source is parsed again, now concurrently
    gc_before = gc.isenabled()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads far more often than usual: more interleavings
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            threaded = list(pool.map(lambda call: outcome(*call), work, chunksize=1))
    finally:
        sys.setswitchinterval(interval)
    wrong = [(OPERATIONS[op][0], src, s, t) for (op, src), s, t in zip(work, serial, threaded) if s != t]
    assert wrong == [], f"{len(wrong)} of {len(work)} calls differ; the first: {wrong[0]}"
    assert gc.isenabled() == gc_before


COLD = """
import sys, threading
sys.setswitchinterval(1e-6)
sources = [f"s = 0\\nfor i in range({k % 4}):\\n    if s > {k % 3}:\\n        s = s + x * [1, 2][{k % 2}]\\n"
           f"    else:\\n        s = s + y\\nreturn s" for k in range(8)]
got = [None] * 8
start = threading.Barrier(8)

def work(k):
    start.wait()
    import adcalc  # the first imports of adcalc, Lark and NumPy happen on eight threads at once
    got[k] = adcalc.grad(sources[k], {"x": 1.0, "y": 2.0}, mode=("forward", "reverse")[k % 2]).gradient

threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
import adcalc
print(got == [adcalc.grad(s, {"x": 1.0, "y": 2.0}).gradient for s in sources], got)
"""


def test_eight_threads_on_a_cold_interpreter(tmp_path) -> None:
    # from another directory, so the installed package is imported (not the source tree)
    done = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("True "), done.stdout + done.stderr


# ---- a call from a signal handler in the middle of another -------------------------------------------------

@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer (Unix)")
@pytest.mark.timeout(300, method="thread")  # the default timeout method uses SIGALRM itself
def test_a_signal_handler_calling_adcalc_mid_parse_gets_exact_results() -> None:
    """Every 1 ms an alarm; every 4th one's handler runs ``grad`` on an indented program (150 of
    them in turn, more than the load cache holds, so each is parsed), while the main thread parses
    and differentiates other indented programs, some with indentation errors."""
    rng = random.Random(7)
    handler_sources = [while_def_program(rng) for _ in range(150)]
    main_sources = [rng.choice([random_program, while_def_program, bad_indentation])(rng) for _ in range(150)]
    expected_handler = [outcome(1, s) for s in handler_sources]
    expected_main = [outcome(1, s) for s in main_sources]
    _load.cache_clear()
    gc_before = gc.isenabled()
    got: list[tuple[int, object]] = []
    state = {"alarms": 0, "busy": False, "mid_parse": 0}

    def on_alarm(signum: int, frame: object) -> None:
        state["alarms"] += 1
        if state["busy"] or state["alarms"] % 4:  # one handler at a time, and time for the main thread
            return
        state["busy"] = True
        try:
            state["mid_parse"] += _inside_the_parser(frame)
            i = len(got) % len(handler_sources)
            got.append((i, outcome(1, handler_sources[i])))
        except BaseException as e:  # anything else: recorded, never raised into the main thread
            got.append((-1, repr(e)))
        finally:
            state["busy"] = False

    previous = signal.signal(signal.SIGALRM, on_alarm)
    old_timer = signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
    try:
        rounds = [[outcome(1, s) for s in main_sources]]
        while len(got) < 100 and len(rounds) < 10:
            rounds.append([outcome(1, s) for s in main_sources])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        signal.signal(signal.SIGALRM, previous)
        signal.setitimer(signal.ITIMER_REAL, *old_timer)
    assert len(got) >= 100 and state["mid_parse"] >= 10, (len(got), state)
    assert all(r == expected_main for r in rounds)
    wrong = [(i, o) for i, o in got if i < 0 or o != expected_handler[i]]
    assert wrong == [], f"{len(wrong)} of {len(got)} handler calls differ; the first: {wrong[0]}"
    assert gc.isenabled() == gc_before


def _inside_the_parser(frame: object) -> bool:
    """Whether the interrupted frame is inside Lark or adcalc's parser."""
    while frame is not None:
        name = frame.f_code.co_filename  # type: ignore[attr-defined]
        if "lark" in name or name.endswith("parser.py"):
            return True
        frame = frame.f_back  # type: ignore[attr-defined]
    return False


# ---- the garbage collector's pause ---------------------------------------------------------------------------

@pytest.mark.parametrize("enabled", [True, False])
def test_overlapping_and_nested_runs_leave_the_collector_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda i: adcalc.grad(f"s = 0\nfor i in range(3):\n    s = s + x^{i % 5}\n"
                                                          "return s", {"x": 2.0}).gradient["x"], range(400)))
        assert len(set(results)) == 5
        with gc_paused():
            with gc_paused():
                adcalc.grad("x^2", {"x": 1.0})
            assert not gc.isenabled()
        assert gc.isenabled() == enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_a_pause_ends_only_when_the_last_overlapping_run_ends() -> None:
    """Thread 1 enters, thread 2 enters, thread 1 leaves: the collector stays paused until thread 2
    leaves too.  (A per-run 'was it enabled' flag would re-enable it under thread 2, and thread 2
    would then leave it disabled for good.)"""
    assert gc.isenabled()
    steps = [threading.Event() for _ in range(3)]
    seen: dict[str, bool] = {}

    def first() -> None:
        with gc_paused():
            steps[0].set()
            steps[1].wait()
        steps[2].set()

    def second() -> None:
        steps[0].wait()
        with gc_paused():
            steps[1].set()
            steps[2].wait()
            seen["after the first left"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert seen == {"after the first left": False}
    assert gc.isenabled()
