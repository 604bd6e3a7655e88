"""Time to the REPL's first prompt in a pseudo-terminal, beside the floor: a bare prompt_toolkit
``PromptSession`` prompting (issue #14 item 19: the target is at most 1.3× the floor).

Run by hand:  python bench/repl_startup.py [--runs 21]
Each run spawns the process in a pty (pexpect), waits until ``adcalc>`` is on the screen, then
sends Ctrl-D and waits for the end.  The two commands alternate, so load on the machine falls on
both alike; the figure is the median.  ``python -m adcalc`` runs the adcalc this Python imports
(set PYTHONPATH to time a checkout).  History goes to a fresh temporary directory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import pexpect

FLOOR = "from prompt_toolkit import PromptSession; PromptSession().prompt('adcalc> ')"
COMMANDS = {
    "bare PromptSession (floor)": [sys.executable, "-c", FLOOR],
    "adcalc (python -m adcalc)": [sys.executable, "-m", "adcalc"],
}


def time_to_prompt(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    child = pexpect.spawn(cmd[0], cmd[1:], env=env, encoding="utf-8", timeout=30, dimensions=(40, 120))
    try:
        child.expect("adcalc>")
        elapsed = time.perf_counter() - start
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "XDG_STATE_HOME": state, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for cmd in COMMANDS.values():  # warm the disk cache
            time_to_prompt(cmd, env)
        for _ in range(args.runs):
            for name, cmd in COMMANDS.items():
                times[name].append(time_to_prompt(cmd, env))
    floor = statistics.median(times["bare PromptSession (floor)"])
    print(f"median of {args.runs} runs, time from spawn to the prompt on the pty\n")
    print("| command | ms | × floor |")
    print("|---|---:|---:|")
    for name, ts in times.items():
        t = statistics.median(ts)
        print(f"| {name} | {t * 1000:.0f} | {t / floor:.2f} |")


if __name__ == "__main__":
    main()
