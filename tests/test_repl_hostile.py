"""The REPL against hostile or unlucky input (issue #13's REPL items), through the real entry
point: ``python -m adcalc repl`` fed by a pipe, and a pseudo-terminal (pexpect) for the
interactive shell.

- Error positions are the user's own text: the entry's line and column (never the generated
  ``def`` block's, never counted across the session), a loaded file's line with its name, and
  for a run-time error inside an earlier definition, the entry or file it was written in.
- The words of the command syntax cannot name a variable, a function or a parameter.
- Standard input closed, a nonsense ``COLUMNS``, an ASCII or narrow output encoding and a
  closed pipe never cost a traceback or the session's later lines.
- A history file that is not a regular file of bounded size gives one warning, never a hang.
- User text echoed back has its control characters escaped.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import end_session

import adcalc.front.repl

LOG_NAN = "log(-1) = nan (log is defined for x > 0)"


# Every run keeps its state under tmp_path/state: an ``adcalc`` folder in the working directory
# would shadow the package for ``python -m adcalc``.

def repl(tmp_path: Path, script: str, args: tuple[str, ...] = ("repl",),
         **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m adcalc repl`` in ``tmp_path`` with ``script`` on standard input (in the
    encoding ``PYTHONIOENCODING`` names, UTF-8 by default)."""
    full_env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), **env}
    encoding = env.get("PYTHONIOENCODING", "utf-8")
    return subprocess.run([sys.executable, "-m", "adcalc", *args], input=script, capture_output=True, text=True,
                          encoding=encoding, errors="replace", timeout=120, cwd=tmp_path, env=full_env)


# ---- positions: the user's own text ---------------------------------------------------------------

def test_errors_point_into_the_typed_line(tmp_path: Path) -> None:
    p = repl(tmp_path, "x = 1 + sine(2)\nw = q^^2\nf(a) = a + bar(a)\n  1 + sine(3)\ngrad g at a=sine(1)\n"
                       "x = 1\ny = 2\ndef k(t):\n    return t +* 2\n\n")
    err = p.stderr
    assert p.returncode == 1 and "Traceback" not in err
    assert "error (name) at 1:9: unknown function 'sine'\n  x = 1 + sine(2)\n          ^^^^\n" in err
    assert "error (syntax) at 1:7: unexpected '^'" in err and "  w = q^^2\n        ^\n" in err
    assert "error (name) at 1:12: unknown function 'bar'\n  f(a) = a + bar(a)\n             ^^^\n" in err
    assert "error (name) at 1:7: unknown function 'sine'\n    1 + sine(3)\n        ^^^^\n" in err
    assert "error (name) at 1:13: unknown function 'sine'\n  grad g at a=sine(1)\n              ^^^^\n" in err
    # a block's lines count from its own first line, not across the session
    assert "error (syntax) at 2:15: unexpected '*'" in err and "      return t +* 2\n                ^\n" in err


def test_errors_in_a_loaded_file_point_into_the_file(tmp_path: Path) -> None:
    (tmp_path / "bad.ad").write_text("# lib\ndef sq(t):\n    return t * t\n\ndef h(t):\n    return sq(t) + zork(t)\n")
    (tmp_path / "latin1.ad").write_bytes(b"def f(x):\n    return x # caf\xe9\n")
    (tmp_path / "main.ad").write_text("def f(x):\n    return x\n\nf(2)\n")
    p = repl(tmp_path, ":load bad.ad\n:load latin1.ad\n:load main.ad\n:defs\n")
    err = p.stderr
    assert p.returncode == 1 and "Traceback" not in err
    assert "error (name) at bad.ad:6:20: unknown function 'zork'\n      return sq(t) + zork(t)\n" \
           "                     ^^^^\n" in err
    assert "error (file) at latin1.ad:2:19: latin1.ad is not valid UTF-8" in err
    assert "error (usage) at main.ad:4:1: main.ad has top-level statements" in err and "  f(2)\n  ^^^^\n" in err
    assert "\n  :load" not in err  # never an excerpt of the :load line itself
    assert "no functions yet" in p.stdout


def test_run_time_errors_name_the_definition_and_where_it_was_written(tmp_path: Path) -> None:
    (tmp_path / "lib.ad").write_text("# helpers\ndef sq(t):\n    return log(t)\n")
    script = ("g(a) = log(a)\n"  # entry 1
              "def h(t):\n    y = t + 1\n    return log(t)\n\n"  # entry 2
              ":load lib.ad\n:strict on\n"  # entries 3, 4
              "g(-1)\neval h at t=-1\nsq(-1)\n"
              "k(x) = abs(x)\n:strict off\ngrad k at x=0\n")
    p = repl(tmp_path, script)
    err = p.stderr
    assert f"error (domain) at entry 1:1:8: {LOG_NAN} (in g)\n  g(a) = log(a)\n         ^^^^^^\n" in err
    assert f"error (domain) at entry 2:3:12: {LOG_NAN} (in h)\n      return log(t)\n             ^^^^^^\n" in err
    assert f"error (domain) at lib.ad:3:12: {LOG_NAN} (in sq)\n      return log(t)\n" in err
    assert "(in one of your definitions)" not in err
    assert re.search(r"warning at entry 8:1:8: \|0\|: abs is not differentiable here.*?\(in k\)\n"
                     r"  k\(x\) = abs\(x\)\n         \^\^\^\^\^\^\n", err, re.S)
    assert "k(x=0) = 0" in p.stdout


# ---- the words of the command syntax are not names ----------------------------------------------

WORDS = ("at", "dir", "cot", "wrt", "order", "grad", "eval", "deriv", "ir")


@pytest.mark.parametrize("form,what", [
    ("{w} = 1", "variable"),
    ("{w}(x) = x", "function"),
    ("f(y, {w}) = y", "parameter"),
    ("def {w}(x):\n    return x\n", "function"),
    ("def f({w}):\n    return 1\n", "parameter"),
])
def test_command_words_cannot_be_names(tmp_path: Path, form: str, what: str) -> None:
    script = "\n".join(form.format(w=w) for w in WORDS) + "\n:defs\n:vars\nf(x) = x^2\ngrad f at x=3\n"
    p = repl(tmp_path, script)
    err = p.stderr
    for w in WORDS:
        assert "error (name) at 1:" in err and f"'{w}' cannot name a {what}: it is " in err, w
    assert err.count("of the REPL's commands") == len(WORDS)
    assert "no functions yet" in p.stdout and "no variables yet" in p.stdout
    assert "f(x=3) = 9" in p.stdout  # the clause syntax still works
    if form.startswith("f(y"):
        assert "  f(y, order) = y\n       ^^^^^\n" in err


def test_a_loaded_file_cannot_use_command_words_as_names(tmp_path: Path) -> None:
    (tmp_path / "one.ad").write_text("def sq(t):\n    return t * t\n\ndef at(x):\n    return x\n")
    (tmp_path / "two.ad").write_text("def f(y, wrt):\n    return y\n")
    p = repl(tmp_path, ":load one.ad\n:load two.ad\n:defs\n")
    assert "error (name) at one.ad:4:5: 'at' cannot name a function" in p.stderr and "  def at(x):\n      ^^\n" \
        in p.stderr
    assert "error (name) at two.ad:1:10: 'wrt' cannot name a parameter" in p.stderr
    assert "no functions yet" in p.stdout  # a file loads whole or not at all


# ---- streams ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [("repl",), ()])
def test_closed_standard_input_is_a_message(tmp_path: Path, args: tuple[str, ...]) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    p = subprocess.run(["sh", "-c", 'exec "$0" -m adcalc "$@" <&-', sys.executable, *args], capture_output=True,
                       text=True, timeout=120, cwd=tmp_path, env=env)
    assert p.returncode == 1
    assert "standard input is closed: nothing to read" in p.stderr
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr


@pytest.mark.parametrize("columns", ["abc", "-5", "0"])
def test_nonsense_columns(tmp_path: Path, columns: str) -> None:
    p = repl(tmp_path, "grad x*y at x=1, y=2\n1+1\n", COLUMNS=columns)
    assert p.returncode == 0, p.stderr
    assert "f(x=1, y=2) = 2" in p.stdout and "∂f/∂input" in p.stdout and "\n2\n" in p.stdout


def test_the_repl_never_reads_columns_itself() -> None:
    for path in Path(adcalc.front.repl.__file__).parent.glob("*.py"):
        assert "COLUMNS" not in path.read_text(encoding="utf-8"), path.name


def test_ascii_output(tmp_path: Path) -> None:
    p = repl(tmp_path, "grad x*y at x=1, y=2\n1+1\nx = 3\nsine(x)\n", PYTHONIOENCODING="ascii")
    assert p.returncode == 1 and "Traceback" not in p.stderr and "internal error" not in p.stderr
    assert "f(x=1, y=2) = 2" in p.stdout and "\n2\n" in p.stdout and "x = 3" in p.stdout
    assert "unknown function 'sine'" in p.stderr


def test_text_the_output_cannot_encode_loses_nothing_later(tmp_path: Path) -> None:
    # shift_jis_2004 writes adcalc's notation but not an emoji: :defs echoes one from a file
    (tmp_path / "emoji.ad").write_text("def sq(t):\n    return t * t  # \N{GRINNING FACE}\n", encoding="utf-8")
    p = repl(tmp_path, ":load emoji.ad\n:defs\n1+1\n:defs\n2+2\n", PYTHONIOENCODING="shift_jis_2004")
    assert p.returncode == 0, p.stderr
    assert "internal error" not in p.stderr and "Traceback" not in p.stderr
    assert p.stdout.count("U0001f600") == 2 and "\n2\n" in p.stdout and p.stdout.endswith("\n4\n")


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    script = "".join(f"grad sin(x)*{i} at x=1\n" for i in range(3000))  # far more than a pipe holds
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    proc = subprocess.Popen([sys.executable, "-m", "adcalc", "repl"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path, env=env)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(script.encode())
    proc.stdin.close()
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away (like `| head -1`)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert first == b"f(x=1) = 0\n"
    assert err == ""


# ---- echoed user text is escaped ---------------------------------------------------------------

def test_file_names_and_definitions_are_echoed_escaped(tmp_path: Path) -> None:
    name = "lib\x1b[31m.ad"
    (tmp_path / name).write_text("def sq(t):\n    return t * t  # \x1b]0;owned\x07\n")
    p = repl(tmp_path, f":load {name}\n:defs\n:load gone\x1b[2J.ad\n")
    assert "loaded sq from lib\\x1b[31m.ad" in p.stdout and "# \\x1b]0;owned\\x07" in p.stdout
    assert "gone\\x1b[2J.ad: no such file" in p.stderr
    assert "\x1b" not in p.stdout + p.stderr and "\x07" not in p.stdout


def test_a_syntax_error_typed_in_the_shell_is_escaped_and_at_its_column(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The shell runs every entry; a syntax error is printed like any error: escaped, at its column
    # (leading spaces included), and the session goes on.
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput
    from rich.console import Console

    from adcalc.front.repl.app import run_interactive
    from adcalc.front.repl.session import Session

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    buf = io.StringIO()
    with create_pipe_input() as inp:
        inp.send_text("x \u202e+ 1\r  1 +* 2\r40 + 2\r\x04")
        assert run_interactive(Session(Console(file=buf, width=120, color_system=None)), input=inp,
                               output=DummyOutput()) == 0
    out = buf.getvalue()
    assert "\u202e" not in out and "\\u202e" in out
    assert "error (syntax) at 1:6: unexpected '*'" in out and "\n  " + "  1 +* 2" + "\n" + " " * 7 + "^\n" in out
    assert out.endswith("\n42\n")


# ---- history files that are not regular files (a real terminal) ------------------------------------

def _fifo(p: Path) -> str:
    os.mkfifo(p)
    return "FIFO"


def _dev_zero(p: Path) -> str:
    p.symlink_to("/dev/zero")
    return "character device"


def _directory(p: Path) -> str:
    p.mkdir()
    return "directory"


def _unreadable(p: Path) -> str:
    if os.geteuid() == 0:  # root reads anything chmod forbids: a regular file whose read fails
        p.symlink_to("/proc/self/mem")
    else:
        p.write_text("+1+1\n")
        p.chmod(0)
    return "cannot use the history file"


def _huge(p: Path) -> str:
    with open(p, "wb") as f:
        f.truncate(10 * 1024 * 1024)
    return "larger than 4 MiB"


def _plain(screen: str) -> str:
    """What a terminal shows, roughly: escape sequences dropped, wrapped lines joined."""
    return " ".join(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen).split())


ANSWER_2 = r"\r\n(?:\x1b\[[0-9;?]*[A-Za-z])*2(?:\x1b\[[0-9;]*m)*\r\n"


@pytest.mark.parametrize("make", [_fifo, _dev_zero, _directory, _unreadable, _huge])
def test_unusable_history_file_one_warning_and_the_prompt(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    pexpect = pytest.importorskip("pexpect")
    history = tmp_path / "state" / "adcalc" / "history"
    history.parent.mkdir(parents=True)
    reason = make(history)
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm", "COLUMNS": "120", "LINES": "40",
           "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "adcalc"], env=env, cwd=str(tmp_path), encoding="utf-8",
                          timeout=30, dimensions=(40, 120))
    try:
        child.expect("adcalc> ")
        start = child.before
        child.send("1+1\r")
        child.expect(ANSWER_2)  # the first typed line is answered
        child.send("2+3\r")
        child.expect("5")
        end_session(child)
        rest = child.before
    finally:
        child.close()
    assert child.exitstatus == 0
    start = _plain(start)
    assert start.count("warning:") == 1 and reason in start and "in memory only" in start
    assert "warning" not in rest and "Traceback" not in start + rest
    if make is _huge:
        assert history.stat().st_size == 10 * 1024 * 1024  # never appended to


@pytest.mark.parametrize("columns", ["abc", "-5", "0"])
def test_interactive_shell_with_nonsense_columns(tmp_path: Path, columns: str) -> None:
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm", "COLUMNS": columns,
           "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "adcalc"], env=env, cwd=str(tmp_path), encoding="utf-8",
                          timeout=30, dimensions=(40, 120))
    try:
        child.expect("adcalc> ")
        child.send("1+1\r")
        child.expect(ANSWER_2)
        end_session(child)
    finally:
        child.close()
    assert child.exitstatus == 0


@pytest.mark.parametrize("encoding", ["utf-8", "ascii", None])
def test_invalid_utf8_on_standard_input_is_a_file_error_and_the_session_goes_on(encoding: str | None) -> None:
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("PYTHONIOENCODING", None)
    if encoding:
        env["PYTHONIOENCODING"] = encoding
    p = subprocess.run([sys.executable, "-m", "adcalc", "repl"], input=b"1+1\nx = \xff2\n2*21\n", capture_output=True,
                       timeout=60, env=env)
    out, err = p.stdout.decode(), p.stderr.decode()
    assert p.returncode == 1 and "Traceback" not in err and "internal error" not in err
    assert out.split() == ["2", "42"]
    assert "line 2 is not valid UTF-8 (byte 0xff at column 5)" in err
