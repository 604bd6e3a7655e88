"""The long fuzz run, outside CI:  python tests/fuzz/long_run.py [--count 100000] [--seed 1] [--jobs 2]

Feeds random token soups, random characters, mutated samples and random valid programs to
the command-line entry point in-process (eval, grad, jacobian, hessian, check, ir; a step and
depth limit on each), and to the REPL session.  Every input must end in exit status 0 or 1
with no traceback and no internal error; a run that takes longer than --slow seconds is
reported too.  Prints the counts and every failing input (with its seed, to reproduce).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz_inputs import POINT, hostile  # noqa: E402

COMMANDS = ["eval", "grad", "jacobian", "hessian", "check", "ir"]


def one(seed: int, slow: float) -> tuple[str, int, str, str, float]:
    from adcalc.cli import main

    rng = random.Random(seed)
    text = hostile(rng)
    command = rng.choice(COMMANDS)
    args = [command, "--", text] if command == "ir" else [
        command, "--json", "--max-steps", "20000", "--max-depth", "50", "--at", POINT, "--", text]
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    except BaseException as e:  # noqa: BLE001 - anything escaping is the finding
        return ("escaped", seed, command, f"{type(e).__name__}: {e}", time.perf_counter() - start)
    elapsed = time.perf_counter() - start
    if code not in (0, 1) or "Traceback" in err.getvalue() or "internal error" in err.getvalue():
        return ("bad-exit", seed, command, f"exit {code}: {err.getvalue()[-300:]}", elapsed)
    if command != "ir":
        try:
            json.loads(out.getvalue())
        except ValueError:
            return ("bad-json", seed, command, out.getvalue()[-300:], elapsed)
    if elapsed > slow:
        return ("slow", seed, command, text[:80], elapsed)
    return ("ok" if code == 0 else "error", seed, command, "", elapsed)


def _work(args: tuple[int, int, float]) -> list[tuple[str, int, str, str, float]]:
    start, count, slow = args
    return [one(s, slow) for s in range(start, start + count)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--slow", type=float, default=5.0)
    a = ap.parse_args()
    chunk = 2_000
    tasks = [(a.seed * 10**9 + i, min(chunk, a.count - i), a.slow) for i in range(0, a.count, chunk)]
    counts: dict[str, int] = {}
    findings = []
    t0 = time.perf_counter()
    with multiprocessing.Pool(a.jobs) as pool:
        for results in pool.imap_unordered(_work, tasks):
            for kind, seed, command, detail, elapsed in results:
                counts[kind] = counts.get(kind, 0) + 1
                if kind not in ("ok", "error"):
                    findings.append((kind, seed, command, detail, elapsed))
    total = sum(counts.values())
    print(f"{total:,} inputs in {time.perf_counter() - t0:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in
                                                                               sorted(counts.items())))
    for f in findings[:50]:
        print("FINDING", f)
    return 1 if any(f[0] != "slow" for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
