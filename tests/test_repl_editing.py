"""Issue #14 items 12-18: the REPL's entries, editing in a terminal, definition-time warnings and
hints, through the real entry point (``python -m adcalc repl`` fed by a pipe, and a pexpect pty)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import end_session


def repl(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "COLUMNS": "200"}
    p = subprocess.run([sys.executable, "-m", "adcalc", "repl"], input=script, capture_output=True, text=True,
                       encoding="utf-8", timeout=120, cwd=tmp_path, env=env)
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr
    return p


def spawn(tmp_path: Path):  # type: ignore[no-untyped-def]
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm", "COLUMNS": "160",
           "LINES": "50", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "adcalc"], env=env, cwd=str(tmp_path), encoding="utf-8",
                          timeout=30, dimensions=(50, 160))
    child.expect("adcalc> ")
    return child


def value(v: str) -> str:
    """A value printed on its own line (bold on a terminal)."""
    return r"\r\n(?:\x1b\[[0-9;?]*[A-Za-z])*" + v + r"(?:\x1b\[[0-9;]*m)*\r\n"


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "")


# ---- 12. piped input: each line is its own entry unless it opens a block or a bracket -----------------

def test_a_bad_line_never_swallows_the_next(tmp_path: Path) -> None:
    p = repl(tmp_path, "1+\n2*21\nx =\n7 * 6\n(1 +\n 2) * 14\nv = [1,\n 2]\nsum(v) * 14\n")
    assert p.returncode == 1  # inputs failed
    assert p.stdout.split("\n") == ["42", "42", "42", "v = [1, 2]", "42", ""]  # 2*21, 7*6, (1+2)*14, 3*14
    assert p.stderr.startswith("error (syntax) at 1:3: the line ended too early")
    assert p.stderr.count("error") == 2


# ---- 15. pasting two assignments binds both --------------------------------------------------------

def test_two_assignment_lines_bind_both(tmp_path: Path) -> None:
    p = repl(tmp_path, "x = 3\ny = 4\nx * 10 + y\n")
    assert p.returncode == 0 and p.stdout == "x = 3\ny = 4\n34\n"


def test_a_bracketed_paste_in_a_terminal_binds_both(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    try:
        child.send("\x1b[200~x = 3\ny = 4\x1b[201~")  # what a terminal sends for a paste
        child.send("\r")
        child.expect("y = 4")
        child.expect("adcalc> ")
        child.send("x * 10 + y\r")
        child.expect("34")
        end_session(child)
    finally:
        child.close()
    assert child.exitstatus == 0


# ---- 16. `x =` is an incomplete assignment -----------------------------------------------------------

def test_an_empty_right_side_is_an_incomplete_assignment(tmp_path: Path) -> None:
    p = repl(tmp_path, "x = 5\ndef f(a):\n    return a\n\nx =\nx\n")
    assert p.returncode == 1 and p.stdout == "x = 5\ndefined f(a)\n5\n"  # x kept its value
    assert p.stderr == ("error (syntax) at 1:3: incomplete assignment: nothing after '=' to give x\n"
                        "  x =\n    ^\nhint: give it a value, e.g. x = 2\n")


# ---- 13. typing a def in a terminal -----------------------------------------------------------------

def test_typed_indentation_is_not_doubled_and_backspace_removes_a_level(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    try:
        child.send("def g(t):\r")
        child.send("    if t > 0:\r")  # typed with its own spaces, after the auto-indent
        child.send("        return t * t\r")
        child.send("\x7f" + "return -t\r")  # one Backspace: from column 9 back to column 5
        child.send("\r")
        child.expect("defined g")
        child.send(":defs\r")
        child.expect(r"def g\(t\):\r\n(.*)\r\n(.*)\r\n(.*)\r\n")  # as it was stored
        shown = [plain(line) for line in child.match.groups()]
        child.send("g(-3) + g(2)\r")
        child.expect(value("7"))  # 3 + 4
        end_session(child)
    finally:
        child.close()
    assert shown == ["    if t > 0:", "        return t * t", "    return -t"]


def test_a_rejected_block_says_so_and_never_traps_the_next_line(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    try:
        child.send("def g(t):\r")
        child.send("return t * t)\r")  # a syntax error on the block's second line
        child.send("\r")
        child.expect("error \\(syntax\\) at 2:17: unexpected '\\)'")
        child.expect("the block was not accepted: nothing was defined")
        child.expect("↑ brings it back to fix it \\(Esc or Ctrl-C clears an input you are editing\\)")
        child.expect("adcalc> ")
        child.send("eval 6 * 7\r")  # the next line is its own entry
        child.expect("f\\(\\) = 42")
        child.expect("adcalc> ")
        child.send("\x1b[A")  # ↑ brings back "eval 6 * 7"
        child.expect("7")
        child.send("\x1b[A")  # ↑ again: the rejected block, to be fixed
        child.expect("return")
        child.send("\x1b")  # Esc abandons it
        time.sleep(1)  # a lone Esc is known as one after a pause (else Esc g would be Alt-g)
        child.send("g(2)\r")
        child.expect("unknown function 'g'")  # nothing was defined, and g(2) was not appended to the block
        child.expect("adcalc> ")
        child.send("1 +\r")
        child.expect("the line ended too early")
        child.send("2 * 21\r")
        child.expect(value("42"))
        end_session(child)
    finally:
        child.close()
    assert child.exitstatus == 0


# ---- 14. unreachable code and a missing return, at definition time and when it happens -------------

def test_unreachable_code_and_a_missing_return_are_warned_when_defined(tmp_path: Path) -> None:
    p = repl(tmp_path, "a = 1\ndef g(t):\n    if t > 0:\n        return t * t\n    return -t\n    t = 3\n\n"
                       "def h(t):\n    if t > 0:\n        return t\n\nh(2)\neval h at t=-3\n")
    out, err = p.stdout, p.stderr
    assert out == "a = 1\ndefined g(t)\ndefined h(t)\n2\n" and p.returncode == 1
    assert ("warning at 5:5: line 5 of g never runs: it comes after the return on line 4\n      t = 3\n"
            "      ^^^^^\n") in err
    assert "warning at 2:8: h can reach the end of its body without a return (after line 2)" in err
    assert ("error (type) at entry 3:2:8: h reached the end of its body without a return: nothing returns "
            "after this line (in h)\n      if t > 0:\n") in err


def test_loops_with_literal_conditions_and_breaks(tmp_path: Path) -> None:
    p = repl(tmp_path, "def w(t):\n    while 1:\n        t = t - 1\n        if t < 3:\n            return t\n\n"
                       "def b(t):\n    while t > 0:\n        t = t - 1\n        break\n        t = 5\n    return t\n\n"
                       "w(10)\nb(4)\n")
    assert p.stdout == "defined w(t)\ndefined b(t)\n2\n3\n"  # as Python computes them
    assert p.stderr == ("warning at 5:9: line 5 of b never runs: a break, continue or return before it always "
                        "leaves first\n          t = 5\n          ^^^^^\n")


def test_a_loaded_file_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "lib.ad").write_text("# helpers\ndef k(t):\n    while t > 0:\n        t = t - 1\n"
                                     "        if t < 3:\n            return t\n")
    p = repl(tmp_path, ":load lib.ad\nk(5)\nk(-1)\n")
    assert p.stdout == "loaded k from lib.ad\n2\n"
    assert "warning at lib.ad:3:11: k can reach the end of its body without a return (after line 3)" in p.stderr
    assert "error (type) at lib.ad:3:11: k reached the end of its body without a return" in p.stderr


# ---- 17. every hint leads to a command that works ---------------------------------------------------

def test_the_load_hint_for_a_program_file_works(tmp_path: Path) -> None:
    (tmp_path / "batch").mkdir()
    (tmp_path / "batch" / "wrong.ad").write_text("def sq(a):\n    return a * a\ny = sq(x) + 1\nreturn y\n")
    p = repl(tmp_path, ":load batch/wrong.ad\n")
    hint = p.stderr.split("hint: run it as a program instead: ")[1].split("\n")[0]
    assert hint == "eval batch/wrong.ad"
    p = repl(tmp_path, f"{hint} at x=3\ngrad batch/wrong.ad at x=3\n")
    assert p.returncode == 0 and p.stderr == ""
    assert p.stdout.startswith("f(x=3) = 10\n") and re.search(r"\nx +3 +6\n", p.stdout)  # x²+1, 2x
    cli = subprocess.run([sys.executable, "-m", "adcalc", "grad", "batch/wrong.ad", "--at", "x=3"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert cli.stdout == p.stdout[p.stdout.index("f(x=3) = 10\ninput"):]  # the same as the command line


def test_unknown_function_hint_points_at_help_which_lists_them(tmp_path: Path) -> None:
    p = repl(tmp_path, "qqqq(2)\n:help\n")
    assert "hint: :help lists the functions" in p.stderr
    from adcalc.rules.registry import BUILTIN_NAMES

    listed = p.stdout.split("Functions:\n")[1].split("\n\n")[0].split()
    assert set(BUILTIN_NAMES) <= set(listed)


# ---- 18. line numbers count from the entry's own first line --------------------------------------

def test_line_numbers_are_the_entrys_own_in_a_terminal(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    try:
        for i in range(5):
            child.send(f"a{i} = {i}\r")
            child.expect(f"a{i} = {i}")
        child.send("def f(x):\r")
        child.send("y = x\r")
        child.send("return sine(y)\r")
        child.send("\r")
        child.expect("error \\(name\\) at 3:12: unknown function 'sine'")
        child.expect("adcalc> ")
        child.send("\x1b[200~b = 1\nc = 2\nd = sine(3)\x1b[201~\r")  # pasted: three entries, each its own lines
        child.expect("c = 2")
        child.expect("error \\(name\\) at 1:5: unknown function 'sine'")
        end_session(child)
    finally:
        child.close()


def test_limit_and_clause_hints_are_repl_commands_that_work(tmp_path: Path) -> None:
    # the interpreter's hints name the command line's options; in the REPL each names a setting
    # or a clause, and doing what it says works
    loop = "def count(n):\n    s = 0\n    for i in range(n):\n        s = s + i\n    return s\n\n"
    p = repl(tmp_path, loop + ":max-steps 100\ncount(200)\nh(x, y) = [x * y, x + y]\nvjp h at x=1, y=2 cot 1\n")
    hints = re.findall(r"hint: (.*)", p.stderr)
    assert hints == ["raise it with :max-steps N",
                     "give one weight per output: cot 1, 1"]
    p = repl(tmp_path, loop + ":max-steps 100\n:max-steps 100000\ncount(200)\nh(x, y) = [x * y, x + y]\n"
                              "vjp h at x=1, y=2 cot 1, 1\n")
    assert p.returncode == 0 and p.stderr == ""
    assert "\n19900\n" in p.stdout  # sum(range(200)), as Python gives it
    assert re.search(r"\nx +3\ny +2\n", p.stdout)  # wᵀJ = (y + 1, x + 1) for w = (1, 1)
    p = repl(tmp_path, ":max-memory 1M\nsum(zeros(10^6))\n:max-memory 64M\nsum(zeros(10^6))\n:max-memory\n")
    assert "hint: raise it with :max-memory SIZE (e.g. :max-memory 8G)" in p.stderr
    assert p.stdout.endswith("max-memory = 67,108,864 bytes (0.0625 GiB)\n0\nmax-memory = 67,108,864 bytes "
                             "(0.0625 GiB)\n")


def test_a_command_on_a_function_that_was_not_accepted_says_so(tmp_path: Path) -> None:
    # the newcomer's next line after a rejected block: not "no value for g", which suggests g = …
    p = repl(tmp_path, "def g(t):\n    return t * t)\n\neval g at t=-3\nx = 2\ngrad x\n")
    assert p.stderr.count("error") == 2 and ("error (name) at 1:6: 'g' is not one of your functions or variables\n"
                                              "  eval g at t=-3\n       ^\nhint: define it first") in p.stderr
    assert p.stdout.startswith("x = 2\nf(x=2) = 2\n")  # a variable is still a target: d/dx x = 1
    assert re.search(r"\nx +2 +1\n", p.stdout)


# ---- 19. the first prompt imports only what it needs (the time is measured in bench/repl_startup.py) --

FIRST_PROMPT = """
import sys
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
import adcalc.front.fast.quickcli
import adcalc.front.repl
from adcalc.front.repl.app import LazySession, build_prompt
with create_pipe_input() as inp:
    prompt = build_prompt(LazySession(), InMemoryHistory(), input=inp, output=DummyOutput())
    inp.send_text("\\x04")
    try:
        prompt.prompt()
    except EOFError:
        pass
heavy = ("rich", "lark", "numpy", "adcalc.ops", "adcalc.language.parser", "adcalc.rules", "adcalc.front.commands",
         "argparse")
print(sorted(m for m in sys.modules if m.startswith(heavy)))
"""


def test_the_first_prompt_needs_neither_the_language_nor_rich() -> None:
    p = subprocess.run([sys.executable, "-c", FIRST_PROMPT], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "[]\n"  # the session (parser, rules, operations, Rich) is built after the prompt
