"""A corpus of hand-written hostile inputs, run through the real command (a subprocess):
exit status, message, and never a Python traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

CWD = tempfile.gettempdir()


def adcalc(*args: str, stdin: str | bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    p = subprocess.run([sys.executable, "-m", "adcalc", *args], input=data, capture_output=True, timeout=timeout,
                       cwd=CWD, env={**os.environ, "COLUMNS": "200"})
    p.stdout, p.stderr = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    assert "Traceback" not in p.stdout + p.stderr, p.stderr
    return p


HUGE = "1" * 5000
CASES = [
    # (args, stdin, exit status, words expected in the output)
    (["eval", "x", "--at", "x=1e400"], None, 1, "too large for a double"),
    (["eval", "x", "--at", "x=nan"], None, 0, "nan"),
    (["eval", "x", "--at", "x=inf"], None, 0, "inf"),
    (["eval", "x", "--at", "x="], None, 1, "the value is missing"),
    (["eval", "x", "--at", "x=abc"], None, 1, "'abc' is not a number"),
    (["eval", "x", "--at", "x=1,,y=2"], None, 1, "item 2 is empty"),
    (["eval", "x", "--at", "x=１"], None, 1, "only ASCII digits are numbers"),
    (["eval", "x", "--at", "x=1_000"], None, 1, "is not a number"),
    (["eval", "x", "--at", "x"], None, 1, "is not NAME=VALUE"),
    (["eval", HUGE + " * x", "--at", "x=1"], None, 1, "too large for a double"),
    (["eval", "0." + HUGE], None, 0, "0.111111111111"),
    (["eval", "9^9^9"], None, 0, "inf"),
    (["eval", "(-8)^(1/3)"], None, 0, "nan"),
    (["eval", "x.real", "--at", "x=1"], None, 1, "no attribute access"),
    (["eval", "__import__"], None, 1, "two underscores"),
    (["eval", "import os"], None, 1, "error (syntax)"),
    (["eval", "lambda x: x"], None, 1, "error (syntax)"),
    (["eval", "'rm -rf /'"], None, 1, "adcalc has no strings"),
    (["eval", 'f"{x}"'], None, 1, "adcalc has no strings"),
    (["eval", "exec(x)", "--at", "x=1"], None, 1, "unknown function 'exec'"),
    (["eval", "while x > 0:\n    x = x + 1\nreturn x", "--at", "x=1", "--max-steps", "100000"], None, 1,
     "more than 100,000 steps"),
    (["eval", "def f(x):\n    return f(x)\n", "--at", "x=1"], None, 1, "nested more than 1,000 deep"),
    (["eval", "def f(x):\n    return f(x)\n", "--at", "x=1", "--max-depth", "10"], None, 1, "more than 10 deep"),
    (["eval", "s = 0\nfor i in range(1e15):\n    s += 1\nreturn s"], None, 1, "would run"),
    (["eval", "-"], "(" * 10_000 + "x" + ")" * 10_000 + "\n", 1, "no value for x"),
    (["grad", "-", "--at", "x=2"], "(" * 10_000 + "x" + ")" * 10_000 + "\n", 0, "1"),
    (["grad", "-", "--at", "x=2"], "-" * 10_001 + "x\n", 0, "= -2"),
    (["grad", "-", "--at", "x=1"], "^".join(["x"] * 5000), 0, "1"),
    (["grad", "-", "--at", "x=1"], "+".join(["x"] * 100_000), 0, "100000"),
    (["eval", "-"], b"\xff\xfe\x00x", 1, "NUL byte"),
    (["eval", "-"], b"x +\xff 1", 1, "not valid UTF-8"),
    (["eval", "-"], b"\xef\xbb\xbf1 + 1\n", 0, "2"),
    (["eval", "-"], "", 1, "is empty"),
    (["eval", "-"], "x" * (8 * 1024 * 1024 + 1), 1, "larger than 8 MiB"),
    (["eval", "/dev/zero"], None, 1, "larger than 8 MiB"),
    (["eval", "/"], None, 1, "is a directory"),
    (["eval", "/no/such/file.ad"], None, 1, "no such file"),
    (["grad", "x", "--at", "x=1", "--max-steps", "0"], None, 2, "must be at least 1"),
    (["grad", "x", "--nonsense"], None, 2, "unrecognized arguments"),
]


@pytest.mark.parametrize("args,stdin,code,words", CASES, ids=[str(i) for i in range(len(CASES))])
def test_hostile_case(args: list[str], stdin, code: int, words: str) -> None:
    p = adcalc(*args, stdin=stdin)
    assert p.returncode == code, (p.stdout, p.stderr)
    assert words in p.stdout + p.stderr


def test_binary_and_odd_files(tmp_path: Path) -> None:
    cases = {"bin.ad": (b"\x7fELF\x02\x01\x01\x00\x00", "NUL byte"), "empty.ad": (b"   \n\n", "is empty"),
             "latin1.ad": ("x + é".encode("latin-1"), "not valid UTF-8")}
    for name, (data, words) in cases.items():
        f = tmp_path / name
        f.write_bytes(data)
        p = adcalc("eval", str(f))
        assert p.returncode == 1 and words in p.stderr, (name, p.stderr)
    unreadable = tmp_path / "secret.ad"
    unreadable.write_text("x")
    unreadable.chmod(0)
    if os.geteuid() != 0:  # root reads anything
        p = adcalc("eval", str(unreadable))
        assert p.returncode == 1 and "permission denied" in p.stderr


def test_ctrl_c_stops_a_long_run_cleanly() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "adcalc", "eval", "while x > 0:\n    x = x + 1\nreturn x",
                             "--at", "x=1", "--max-steps", "1000000000"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=CWD,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err


def test_a_bad_line_in_the_repl_loses_nothing() -> None:
    p = adcalc("repl", stdin="x = 3\n)(\nsine(x)\ny = 1/\nx^2\n:vars\n")
    assert p.returncode == 1
    assert "9" in p.stdout and "x = 3" in p.stdout.split("9", 1)[1]


def test_a_bad_file_in_a_run_leaves_the_others(tmp_path: Path) -> None:
    (tmp_path / "a.ad").write_text("# @at x=2\n# @expect d/dx = 4\nx^2\n")
    (tmp_path / "b.ad").write_bytes(b"\x00\x00")
    (tmp_path / "c.ad").write_text("# @at x=3\n# @expect d/dx = 6\nx^2\n")
    p = adcalc("run", str(tmp_path))
    rows = [line for line in p.stdout.splitlines() if line.startswith(("a.ad", "b.ad", "c.ad"))]
    assert p.returncode == 1 and [r.split()[0] for r in rows] == ["a.ad", "b.ad", "c.ad"]
    assert "pass" in rows[0] and "NUL byte" in rows[1] and "pass" in rows[2]
