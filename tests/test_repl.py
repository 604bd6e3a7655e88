"""The REPL: session logic directly, the prompt_toolkit shell through pipe input, script mode
through a subprocess, and one real pseudo-terminal session (pexpect)."""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import end_session
from rich.console import Console

from adcalc.front.repl.script import inputs, run_script
from adcalc.front.repl.session import Session, split_clauses


def new_session() -> tuple[Session, io.StringIO]:
    buf = io.StringIO()
    console = Console(file=buf, width=140, color_system=None)
    return Session(console), buf


def run(session: Session, buf: io.StringIO, text: str) -> tuple[bool, str]:
    buf.seek(0)
    buf.truncate()
    ok = session.execute(text)
    return ok, buf.getvalue()


# ---- session logic --------------------------------------------------------------------------

def test_values_bindings_and_one_line_functions() -> None:
    s, buf = new_session()
    assert run(s, buf, "1 + 2^3") == (True, "9\n")
    assert run(s, buf, "x = 2") == (True, "x = 2\n")
    assert run(s, buf, "y = x / 4") == (True, "y = 0.5\n")
    assert run(s, buf, "x^2 + y")[1] == "4.5\n"
    ok, out = run(s, buf, "f(x, y) = exp(2*x) + x*y^2 + cos(y)")
    assert ok and "defined f(x, y)" in out
    ok, out = run(s, buf, "grad f at x=1, y=2")
    assert ok and "f(x=1, y=2) = 10.9729092624" in out and "18.7781121979" in out and "3.09070257317" in out


def test_point_defaults_to_the_session_variables() -> None:
    s, buf = new_session()
    run(s, buf, "a = 3")
    run(s, buf, "sq(t) = t^2")
    ok, out = run(s, buf, "grad sq(a) + a")
    assert ok and "f(a=3) = 12" in out and "7" in out


def test_multi_line_definitions_with_control_flow() -> None:
    s, buf = new_session()
    ok, out = run(s, buf, "def g(t):\n    if t > 0:\n        return t * t\n    return -t\n")
    assert ok and "defined g(t)" in out
    assert "g(t=3) = 9" in run(s, buf, "grad g at t=3")[1]
    ok, out = run(s, buf, "eval g at t=-2")
    assert ok and "g(t=-2) = 2" in out
    run(s, buf, "sq(t) = t*t")
    ok, out = run(s, buf, "def cube(t):\n    return t * sq(t)\n")  # a block may call earlier definitions
    assert ok and "cube(t=2) = 8" in run(s, buf, "grad cube at t=2")[1]
    ok, out = run(s, buf, "def two(a):\n    return a\nb = 3\n")
    assert not ok and "one function per block" in out and "two" not in s.definitions


def test_every_derivative_command() -> None:
    s, buf = new_session()
    run(s, buf, "f(x, y) = x^2*y")
    run(s, buf, "h(x, y) = [x*y, x + y]")
    assert "J·v = 6" in run(s, buf, "jvp f at x=1, y=2 dir x=1, y=2")[1]  # 2xy·1 + x²·2 = 4 + 2
    assert "wᵀJ" in run(s, buf, "vjp h at x=1, y=2 cot 1, 0.5")[1]
    out = run(s, buf, "jacobian h at x=1, y=2")[1]
    assert "∂/∂x" in out and "forward mode" in out
    out = run(s, buf, "hessian f at x=1, y=2")[1]
    assert "Hessian" in out and "4" in out
    assert "(H·v)" in run(s, buf, "hvp f at x=1, y=2 dir x=1, y=0")[1]
    out = run(s, buf, "deriv f at x=1, y=2 wrt x order 3")[1]
    lines = [line.split() for line in out.splitlines()]
    assert ["1", "4"] in lines and ["2", "4"] in lines and ["3", "0"] in lines
    assert "PASS" in run(s, buf, "check f at x=1, y=2")[1]
    assert "return v" in run(s, buf, "ir f")[1]


def test_settings_change_what_is_shown() -> None:
    s, buf = new_session()
    run(s, buf, "f(x) = sin(x^2 + 1)")
    run(s, buf, ":mode forward")
    run(s, buf, ":trace on")
    out = run(s, buf, "grad f at x=1.5")[1]
    assert "Forward mode: each node's value and tangent" in out and "forward mode" in out
    run(s, buf, ":trace off")
    run(s, buf, ":digits 4")
    assert "-0.1082" in run(s, buf, "eval f at x=1.5")[1]
    run(s, buf, ":strict on")
    ok, out = run(s, buf, "log(-1)")
    assert not ok and "error (domain)" in out


def test_no_error_loses_anything() -> None:
    s, buf = new_session()
    run(s, buf, "x = 2")
    run(s, buf, "f(t) = t^2")
    for bad in ["x +* 2", "sine(x)", "y = 1/", "f(a) = sin(a, a)", "grad f at t=", "q = undefined_name + 1",
                ":nonsense", "def f(t):\n    return t +\n", "pi = 3", "grad [x, x] at x=1"]:
        ok, out = run(s, buf, bad)
        assert not ok, bad
        assert "error" in out and "Traceback" not in out, bad
    assert s.variables == {"x": 2.0}
    assert list(s.definitions) == ["f"] and "t^2" in s.definitions["f"].source


def test_syntax_error_position_and_suggestion() -> None:
    s, buf = new_session()
    ok, out = run(s, buf, "1 + sine(2)")
    assert "error (name) at 1:5" in out and "did you mean 'sin'?" in out and "1 + sine(2)\n      ^^^^" in out


def test_session_commands(tmp_path: Path) -> None:
    s, buf = new_session()
    lib = tmp_path / "lib.ad"
    lib.write_text("# two helpers\ndef sq(t):\n    return t * t\n\ndef cube(t):\n    return t * sq(t)\n")
    ok, out = run(s, buf, f":load {lib}")
    assert ok and "loaded sq, cube" in out
    assert "cube(t=2) = 8" in run(s, buf, "grad cube at t=2")[1]
    run(s, buf, "z = 5")
    assert "z = 5" in run(s, buf, ":vars")[1]
    assert "def cube(t):" in run(s, buf, ":defs")[1]
    assert "Derivatives" in run(s, buf, ":help")[1]
    ok, out = run(s, buf, ":lod x")
    assert not ok and "did you mean :load?" in out
    run(s, buf, ":reset")
    assert s.variables == {} and s.definitions == {}
    run(s, buf, ":quit")
    assert s.quit


def test_positions_are_the_users_own(tmp_path: Path) -> None:
    s, buf = new_session()
    assert "error (name) at 1:9" in run(s, buf, "x = 1 + sine(2)")[1]
    assert "error (name) at 1:12" in run(s, buf, "f(a) = a + bar(a)")[1]  # not 2:16 of the generated def
    run(s, buf, "g(a) = log(a)")  # entry 3
    run(s, buf, "def h(t):\n    y = t\n    return log(y)\n")  # entry 4
    run(s, buf, ":strict on")
    out = run(s, buf, "g(-1) + 1")[1]
    assert "error (domain) at entry 3:1:8:" in out and "(in g)" in out and "g(a) = log(a)\n         ^^^^^^" in out
    out = run(s, buf, "eval h at t=-2")[1]
    assert "error (domain) at entry 4:3:12:" in out and "(in h)" in out and "return log(y)" in out
    lib = tmp_path / "lib.ad"
    lib.write_text("def sq(t):\n    return t * t\n\ndef bad(t):\n    return sq(t) + zork(t)\n")
    out = run(s, buf, f":load {lib}")[1]
    assert f"error (name) at {lib}:5:20: unknown function 'zork'" in out and "sq(t) + zork(t)" in out


@pytest.mark.parametrize(
    "text,state",
    [
        ("x + 1", "complete"),
        ("sin(x", "incomplete"),
        ("[x,\n y", "incomplete"),
        ("def f(x):", "incomplete"),
        ("def f(x):\n    return x", "incomplete"),
        ("def f(x):\n    return x\n    ", "complete"),
        ("x +* 2", "error"),
        ("grad f at x=1", "complete"),
        (":vars", "complete"),
    ],
)
def test_input_status(text: str, state: str) -> None:
    s, _ = new_session()
    assert s.status(text)[0] == state


def test_clauses_inside_brackets_belong_to_the_target() -> None:
    assert split_clauses("max(x, order_) at x=1") == ("max(x, order_)", {"at": "x=1"})
    assert split_clauses("[x * y, x] cot 1, 2") == ("[x * y, x]", {"cot": "1, 2"})
    assert split_clauses("f at x=1 dir x=2") == ("f", {"at": "x=1", "dir": "x=2"})


# ---- script mode (standard input not a terminal) ----------------------------------------------

SCRIPT = """x = 2
f(t) = t^3
def g(t):
    if t > 0:
        return t * t
    return -t
grad g at t=3
grad f at t=x
"""


def test_script_groups_blocks_and_reports_failures() -> None:
    s, _ = new_session()
    assert list(inputs(io.StringIO(SCRIPT), s))[2].startswith("def g(t):")
    s, buf = new_session()
    assert run_script(io.StringIO(SCRIPT), s) == 0
    assert "g(t=3) = 9" in buf.getvalue() and "f(t=2) = 8" in buf.getvalue()
    s, buf = new_session()
    assert run_script(io.StringIO("x = 1\nx +* 2\nx + 1\n"), s) == 1
    assert "2\n" in buf.getvalue()  # the line after the error still ran


def test_repl_subprocess_with_piped_input(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path)}
    p = subprocess.run([sys.executable, "-m", "adcalc", "repl"], input=SCRIPT, capture_output=True, text=True,
                       timeout=120, cwd=tempfile.gettempdir(), env=env)
    assert p.returncode == 0 and "g(t=3) = 9" in p.stdout, p.stderr
    p = subprocess.run([sys.executable, "-m", "adcalc"], input="sine(1)\n1+1\n", capture_output=True, text=True,
                       timeout=120, cwd=tempfile.gettempdir(), env=env)
    assert p.returncode == 1 and "did you mean 'sin'" in p.stderr and "2" in p.stdout


# ---- the prompt_toolkit shell, driven through pipe input ----------------------------------------

def test_prompt_toolkit_shell_with_pipe_input(tmp_path: Path, monkeypatch) -> None:
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from adcalc.front.repl.app import run_interactive

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    s, buf = new_session()
    with create_pipe_input() as inp:
        inp.send_text("x = 2\r")
        inp.send_text("def g(t):\r")  # Enter inside a block: newline + auto-indent
        inp.send_text("if t > 0:\r")
        inp.send_text("return t * t\r")
        inp.send_text("\x7f" + "return -t\r")  # one Backspace: back one level, to the function's
        inp.send_text("\r")  # an empty line ends the block
        inp.send_text("grad g at t=x\r")
        inp.send_text("x +* 2\r")  # a syntax error: reported at its place, the next line is a new entry
        inp.send_text("1 + 1")
        inp.send_text("\x03")  # Ctrl-C clears the line
        inp.send_text("g(-5)\r")
        inp.send_text("\x04")  # Ctrl-D on an empty line: exit 0
        assert run_interactive(s, input=inp, output=DummyOutput()) == 0
    out = buf.getvalue()
    assert "defined g(t)" in out and "g(t=2) = 4" in out and out.endswith("\n5\n")  # 1 + 1 was cleared
    assert "error (syntax) at 1:4: unexpected '*'" in out and out.count("error") == 1
    history = (tmp_path / "adcalc" / "history").read_text()
    assert "grad g at t=x" in history and "+x +* 2\n" in history  # ↑ brings a failed entry back


def test_unusable_history_file_warns_once_and_keeps_history_in_memory(tmp_path: Path) -> None:
    from prompt_toolkit.history import InMemoryHistory

    from adcalc.front.repl.app import make_history

    warnings: list[str] = []
    blocker = tmp_path / "state"
    blocker.write_text("a file where a directory should be")
    h = make_history(blocker / "adcalc" / "history", warnings.append)
    assert isinstance(h, InMemoryHistory) and len(warnings) == 1
    warnings.clear()
    corrupt = tmp_path / "ok" / "history"
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"\xff\xfe garbage \x00\n+x = 1\n")
    h = make_history(corrupt, warnings.append)
    list(h.load_history_strings())
    h.store_string("y = 2")
    assert warnings == []  # undecodable bytes are replaced, not fatal


# ---- a real pseudo-terminal ----------------------------------------------------------------

def test_real_terminal_session(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    # PROMPT_TOOLKIT_NO_CPR: pexpect does not answer cursor-position requests (a real terminal does)
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "TERM": "xterm", "COLUMNS": "120", "LINES": "40",
           "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "adcalc"], env=env, cwd=tempfile.gettempdir(),
                          encoding="utf-8", timeout=30, dimensions=(40, 120))
    try:
        child.expect("adcalc> ")
        child.send("def g(t):\r")
        child.send("return t * t\r")
        child.send("\r")
        child.expect("defined g")
        child.send("grad g at t=3\r")
        child.expect("g\\(t=3\\) = 9")
        child.expect("adcalc> ")
        child.send("x +* 2\r")
        child.expect("unexpected")  # reported at its place; the session goes on
        child.expect("adcalc> ")
        child.send("def spin(x):\r")
        child.send("while x > 0:\r")
        child.send("x = x + 1\r")
        child.send("\x7f" + "return x\r")
        child.send("\r")
        child.expect("defined spin")
        child.send("eval spin(1)\r")
        time.sleep(1.5)
        child.sendcontrol("c")  # stop the long run
        child.expect("interrupted")
        child.send("grad g at t=4\r")
        child.expect("g\\(t=4\\) = 16")
        end_session(child)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert math.isfinite(16.0)
