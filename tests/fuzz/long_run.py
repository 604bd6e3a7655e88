"""The long fuzz run, outside CI:  python tests/fuzz/long_run.py [--count 100000] [--seed 1] [--jobs 2]

Every seed picks one of these kinds of case and runs it in-process through the real entry points
(a step, depth and memory limit on each):

- ``cli``: token soups, random characters, mutated samples and random valid programs (scalar and
  array) through ``adcalc`` eval, grad, jacobian, hessian, check, ir (table and ``--json``);
- ``env``: the same through the command line in a hostile environment — odd ``COLUMNS``/``LINES``,
  an output encoding that is not UTF-8, standard input closed, standard output a broken pipe;
- ``directives``: random ``# @at`` / ``# @expect`` / ``# @tol`` lines in a file beside a valid one,
  through ``adcalc run`` (table or JSON Lines): the valid file must still pass;
- ``repl``: random REPL lines through a session (piped-script semantics);
- ``threads``: random programs run by the API on 4 threads and compared with a serial run.

Every input must end in exit status 0 or 1 (141 for a broken pipe), with no traceback, no
"internal error" and valid JSON where JSON was asked for; thread results must equal the serial
ones exactly.  Prints the counts per kind and outcome, and every finding with its seed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz_inputs import POINT, hostile, random_array_program, random_program  # noqa: E402

COMMANDS = ["eval", "grad", "jacobian", "hessian", "check", "ir"]
LIMITS = ["--max-steps", "20000", "--max-depth", "50", "--max-memory", "64M"]
COLUMNS = ["abc", "-5", "0", "", "3", "80", "99999999999999999999", "٣٠", " 40 "]
ENCODINGS = ["ascii", "latin-1", "cp437", "shift_jis_2004", "utf-8", "utf-16"]
KINDS = ["cli", "cli", "cli", "env", "env", "directives", "repl", "threads", "round", "round"]


class _BrokenPipe(io.TextIOBase):
    """A standard output whose reader went away after ``after`` characters."""

    def __init__(self, after: int):
        super().__init__()
        self.left = after

    def write(self, text: str) -> int:
        self.left -= len(text)
        if self.left < 0:
            raise BrokenPipeError(32, "Broken pipe")
        return len(text)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


@contextlib.contextmanager
def _environment(env: dict[str, str | None], stdin: object, stdout: object, stderr: object):  # type: ignore[no-untyped-def]
    saved_env = {k: os.environ.get(k) for k in env}
    saved = sys.stdin, sys.stdout, sys.stderr
    try:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr  # type: ignore[assignment]
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _cli(argv: list[str], *, env: dict[str, str | None] | None = None, stdin: object = None,
         stdout: object = None, encoding: str = "utf-8") -> tuple[int, str, str]:
    """``adcalc ARGV`` in-process through the real entry point; (exit status, stdout, stderr)."""
    from adcalc.front.fast.quickcli import main

    raw = io.BytesIO()
    out = stdout if stdout is not None else io.TextIOWrapper(raw, encoding=encoding, errors="strict")
    err = io.StringIO()
    inp = stdin if stdin is not None else io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")
    with _environment(env or {"COLUMNS": "120"}, inp, out, err):
        code = main(argv)
        with contextlib.suppress(Exception):
            sys.stdout.flush()
    text = raw.getvalue().decode(encoding if encoding != "utf-16" else "utf-16", "replace") if stdout is None else ""
    return code, text, err.getvalue()


def _verdict(kind: str, seed: int, what: str, code: int, out: str, err: str, want_json: bool,
             elapsed: float, slow: float, allowed: tuple[int, ...] = (0, 1)) -> tuple[str, int, str, str, float]:
    if "Traceback" in err + out:
        return (f"{kind}:traceback", seed, what, err[-300:], elapsed)
    if "internal error" in err:
        return (f"{kind}:internal", seed, what, err[-300:], elapsed)
    if code not in allowed:
        return (f"{kind}:bad-exit", seed, what, f"exit {code}: {err[-300:]}", elapsed)
    if want_json and code != 141:
        for line in out.splitlines():
            try:
                json.loads(line)
            except ValueError:
                return (f"{kind}:bad-json", seed, what, line[-300:], elapsed)
    if elapsed > slow:
        return (f"{kind}:slow", seed, what, what[:80], elapsed)
    return (f"{kind}:{'ok' if code == 0 else 'error'}", seed, what, "", elapsed)


def case_cli(rng: random.Random, seed: int, slow: float) -> tuple[str, int, str, str, float]:
    text = hostile(rng)
    command = rng.choice(COMMANDS)
    want_json = command != "ir" and rng.random() < 0.5
    argv = [command, "--", text] if command == "ir" else [
        command, *(["--json"] if want_json else []), *LIMITS, "--at", POINT, "--", text]
    start = time.perf_counter()
    code, out, err = _cli(argv)
    return _verdict("cli", seed, command, code, out, err, want_json, time.perf_counter() - start, slow)


def case_env(rng: random.Random, seed: int, slow: float) -> tuple[str, int, str, str, float]:
    text = rng.choice([hostile(rng), random_program(rng), "exp(2*x) + x*y^2 + cos(y)", "[x*y, sin(x)]"])
    command = rng.choice(["eval", "grad", "jacobian", "ir"])
    want_json = command != "ir" and rng.random() < 0.4
    env = {"COLUMNS": rng.choice(COLUMNS), "LINES": rng.choice(COLUMNS)}
    closed_stdin = rng.random() < 0.3
    source = "-" if closed_stdin or rng.random() < 0.2 else text
    stdin = io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8") if not closed_stdin else None
    broken = rng.random() < 0.25
    argv = [command, "--", source] if command == "ir" else [command, *(["--json"] if want_json else []), *LIMITS,
                                                            "--at", POINT, *(["--trace"] if rng.random() < 0.3 and
                                                                             command == "grad" else []), "--", source]
    start = time.perf_counter()
    if closed_stdin:
        from adcalc.front.fast.quickcli import main

        err = io.StringIO()
        raw = io.BytesIO()
        stream = io.TextIOWrapper(raw, encoding="utf-8")  # kept referenced: collecting it would close raw
        with _environment(env, None, stream, err):
            code = main(argv)
            stream.flush()
        out = raw.getvalue().decode("utf-8", "replace")
        err_text = err.getvalue()
    elif broken:
        code, out, err_text = _cli(argv, env=env, stdin=stdin, stdout=_BrokenPipe(rng.randrange(0, 200)))
    else:
        code, out, err_text = _cli(argv, env=env, stdin=stdin, encoding=rng.choice(ENCODINGS))
    what = f"{command} {'closed-stdin ' if closed_stdin else ''}{'broken-pipe' if broken else ''}"
    return _verdict("env", seed, what, code, out, err_text, want_json and not broken, time.perf_counter() - start,
                    slow, allowed=(0, 1, 141))


_DIRECTIVE_PARTS = ["@at", "@expect", "@tol", "@at x=", "@expect value =", "@expect d/dx =", "@expect d/dz =",
                    "@tol inf", "@tol -1", "@tol nan", "@tol 0", "@tol 1e-12", "@nonsense", "@", "@at x=[1,2",
                    "@expect value = [1, 2]", "@expect d/dx = 2*x", "@at x=1e400", "@at x=é", "@expect value = x^",
                    "@at x=1, x=2", "@expect", "@at y=2", "@expect f = 1", "\x1b[2J", "@at x=1\x00"]


def case_directives(rng: random.Random, seed: int, slow: float) -> tuple[str, int, str, str, float]:
    lines = []
    for _ in range(rng.randint(1, 6)):
        part = rng.choice(_DIRECTIVE_PARTS)
        if rng.random() < 0.5:
            part += " " + rng.choice(["1", "x", "2*x", "[1, 2]", "sqrt(x)", "1e-9", "((", "f", "x=3"])
        lines.append("# " + part)
    body = rng.choice(["x^2", "[x, 2*x]", random_program(rng), "def f(x):\n    return x * x\n"])
    with tempfile.TemporaryDirectory() as d:
        Path(d, "fuzzed.ad").write_text("\n".join(lines) + "\n" + body + "\n", encoding="utf-8", errors="replace")
        Path(d, "valid.ad").write_text("# @at x=3\n# @expect value = 9\n# @expect d/dx = 6\nx^2\n")
        want_json = rng.random() < 0.5
        argv = ["run", d, *(["--json"] if want_json else []), "--max-steps", "20000"]
        start = time.perf_counter()
        code, out, err = _cli(argv)
    elapsed = time.perf_counter() - start
    verdict = _verdict("directives", seed, "run", code, out, err, want_json, elapsed, slow)
    if verdict[0].endswith((":ok", ":error")):
        valid_passed = ('"file": "' in out and any('valid.ad' in ln and '"status": "pass"' in ln
                                                   for ln in out.splitlines())) if want_json else \
            any("valid.ad" in ln and "pass" in ln for ln in out.splitlines())
        if not valid_passed:
            return ("directives:lost-valid-file", seed, "run", out[-400:] + err[-200:], elapsed)
    return verdict


def case_repl(rng: random.Random, seed: int, slow: float) -> tuple[str, int, str, str, float]:
    lines = [rng.choice(["x = 2", "y = 0.5", "f(a, b) = a*b + sin(a)", hostile(rng).replace("\n", " "),
                         "grad f at a=1, b=2", "deriv f wrt a order 3 at a=1, b=2", ":trace on", "x^2 + y",
                         "def g(t):\n    if t > 0:\n        return t * t\n    return -t\n", "jacobian [x*y, x]",
                         ":load /dev/null", ":digits 5", "hessian f at a=1, b=2"]) for _ in range(rng.randint(1, 6))]
    script = "\n".join(lines) + "\n"
    start = time.perf_counter()
    code, out, err = _cli(["repl"], stdin=io.TextIOWrapper(io.BytesIO(script.encode()), encoding="utf-8"))
    return _verdict("repl", seed, "repl", code, out, err, False, time.perf_counter() - start, slow)


def _outcome(op: str, source: str) -> object:
    import adcalc
    from adcalc.ops import higher

    point = {"x": 0.7, "y": 1.3}
    limits = {"max_steps": 5000, "max_depth": 40}
    try:
        if op == "grad":
            r = adcalc.grad(source, point, **limits)
            return ("ok", repr(r.value), repr(r.gradient))
        if op == "jacobian":
            r = adcalc.jacobian(source, point, **limits)
            return ("ok", repr(r.value), repr(r.jacobian))
        if op == "hessian":
            r = higher.hessian(source, point, **limits)
            return ("ok", repr(r.hessian))
        r = adcalc.evaluate(source, point, **limits)
        return ("ok", repr(r.value))
    except adcalc.AdcalcError as e:
        return ("error", e.kind, e.message, str(e.span))


def case_threads(rng: random.Random, seed: int, slow: float) -> tuple[str, int, str, str, float]:
    from concurrent.futures import ThreadPoolExecutor

    calls = [(rng.choice(["eval", "grad", "jacobian", "hessian"]),
              rng.choice([hostile(rng), random_program(rng), random_array_program(rng)])) for _ in range(16)]
    start = time.perf_counter()
    serial = [_outcome(op, src) for op, src in calls]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda c: _outcome(*c), calls))
    elapsed = time.perf_counter() - start
    for (op, src), a, b in zip(calls, serial, threaded):
        if a != b:
            return ("threads:mismatch", seed, op, f"{src[:80]!r}: serial {a} vs threaded {b}", elapsed)
    return ("threads:ok", seed, "16 calls", "", elapsed)


NAMES = ["x", "y", "z", "q", "", "x,x", "y,x", "x\x1b[2J", "nan", "x,,y", "A"]
RANGES = ["x=-2:2", "x=0:1", "y=-3:3", "x=2:2", "x=3:1", "x=0:inf", "x=a:b", "x=-1e308:1e308", "x=0:2*pi",
          "x=nan:1", "q=0:1", "x=-1:1", "x=1e-300:2e-300"]


def case_round(rng: random.Random, seed: int, slow: float) -> tuple[str, int, str, str, float]:
    """This round's commands and options (issues #16–#19) on hostile and random sources: graph,
    plot, codegen --check, jacobian/hessian --sparse, --wrt on the derivative commands."""
    text = rng.choice([hostile(rng), random_program(rng), random_array_program(rng), "exp(2*x) + x*y^2 + cos(y)",
                       "[x*y, sin(x)]", "abs(x - 1) + 1/x"])
    want_json = rng.random() < 0.5
    json_flag = ["--json"] if want_json else []
    kind = rng.choice(["graph", "plot", "codegen", "sparse", "wrt"])
    if kind == "graph":
        argv = ["graph", *LIMITS, "--at", POINT, "--mode", rng.choice(["forward", "reverse"]),
                "--format", rng.choice(["text", "json", "dot"]), "--max-nodes", rng.choice(["1", "5", "200"]),
                "--", text]
        want_json = "json" in argv
    elif kind == "plot":
        argv = ["plot", *json_flag, *LIMITS, "--x", rng.choice(RANGES), "--points", rng.choice(["2", "9", "41"]),
                "--order", rng.choice(["1", "2", "3"]), "--at", "y=1.5,z=-2,t=3,a=0.25,b=4,n=3,s=1",
                *(["--y", rng.choice(RANGES).replace("x=", "y=")] if rng.random() < 0.3 else []), "--", text]
    elif kind == "codegen":
        argv = ["codegen", "--mode", rng.choice(["forward", "reverse", "both"]),
                *(["--check", "--at", POINT] if rng.random() < 0.7 else []), "--", text]
        want_json = False
    elif kind == "sparse":
        argv = [rng.choice(["jacobian", "hessian"]), "--sparse", *(["--dense"] if rng.random() < 0.3 else []),
                *json_flag, *LIMITS, "--at", POINT, "--", text]
    else:
        command = rng.choice(["grad", "jacobian", "hessian", "check", "vjp"])
        extra = ["--cot", "1"] if command == "vjp" else []
        argv = [command, *json_flag, *LIMITS, "--at", POINT, "--wrt", rng.choice(NAMES), *extra, "--", text]
    start = time.perf_counter()
    code, out, err = _cli(argv)
    return _verdict("round", seed, f"{kind} {argv[0]}", code, out, err, want_json, time.perf_counter() - start,
                    slow, allowed=(0, 1, 2))


CASES = {"cli": case_cli, "env": case_env, "directives": case_directives, "repl": case_repl,
         "threads": case_threads, "round": case_round}


def one(seed: int, slow: float) -> tuple[str, int, str, str, float]:
    rng = random.Random(seed)
    kind = rng.choice(KINDS)
    start = time.perf_counter()
    try:
        return CASES[kind](rng, seed, slow)
    except BaseException as e:  # noqa: BLE001 - anything escaping is the finding
        return (f"{kind}:escaped", seed, kind, f"{type(e).__name__}: {e}", time.perf_counter() - start)


def _work(args: tuple[int, int, float]) -> list[tuple[str, int, str, str, float]]:
    start, count, slow = args
    return [one(s, slow) for s in range(start, start + count)]


BAD = ("escaped", "traceback", "internal", "bad-exit", "bad-json", "mismatch", "lost-valid-file")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--slow", type=float, default=5.0)
    a = ap.parse_args()
    chunk = 500
    tasks = [(a.seed * 10**9 + i, min(chunk, a.count - i), a.slow) for i in range(0, a.count, chunk)]
    counts: dict[str, int] = {}
    findings = []
    t0 = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(a.jobs) as pool:
        for results in pool.imap_unordered(_work, tasks):
            for kind, seed, command, detail, elapsed in results:
                counts[kind] = counts.get(kind, 0) + 1
                if not kind.endswith((":ok", ":error")):
                    findings.append((kind, seed, command, detail, elapsed))
    total = sum(counts.values())
    outcome = {b: sum(v for k, v in counts.items() if k.endswith(":" + b)) for b in BAD + ("slow",)}
    print(f"{total:,} inputs in {time.perf_counter() - t0:.0f} s")
    for k in sorted(counts):
        print(f"  {k:32} {counts[k]:>8,}")
    print("totals: " + ", ".join(f"{b} {n:,}" for b, n in outcome.items()))
    for f in findings[:50]:
        print("FINDING", f)
    return 1 if any(outcome[b] for b in BAD) else 0


if __name__ == "__main__":
    sys.exit(main())
