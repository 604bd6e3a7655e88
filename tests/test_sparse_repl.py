"""The REPL's ``:sparse on|off`` (issue #19): jacobian and hessian by colouring, as ``--sparse`` on the
command line.  The REPL spells flags as session settings (``:trace on``; a clause takes a value,
and the registry refuses flag clauses), so ``--sparse`` is ``:sparse on``.

Through the real entry point: ``python -m adcalc repl`` fed by a pipe, and a pseudo-terminal
(pexpect).  Truths: the command line's ``--sparse`` output for the same command (the same runner
and view), Rosenbrock's hand-derived tridiagonal Hessian, and the dense result after ``:sparse off``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import end_session

ROSEN = "sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)"
X = [1.0, 2.0, 3.0, 0.5, 1.5]
AT = "x=[1, 2, 3, 0.5, 1.5]"


def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "COLUMNS": "200"}


def repl(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    p = subprocess.run([sys.executable, "-m", "adcalc", "repl"], input=script, capture_output=True, text=True,
                       encoding="utf-8", timeout=120, cwd=tmp_path, env=env(tmp_path))
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr
    return p


def cli(tmp_path: Path, *args: str) -> str:
    p = subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, encoding="utf-8",
                       timeout=120, cwd=tmp_path, env=env(tmp_path))
    assert p.returncode == 0, p.stderr
    return p.stdout


def rosen_hess(x: np.ndarray) -> np.ndarray:
    """Rosenbrock's Hessian, derived by hand (tridiagonal)."""
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] -= 400 * x[i]
        h[i + 1, i] -= 400 * x[i]
    return h


def test_sparse_on_gives_the_command_lines_sparse_output(tmp_path: Path) -> None:
    p = repl(tmp_path, f":sparse on\nhessian {ROSEN} at {AT}\njacobian x[1:]*x[:-1] at {AT}\n")
    assert p.returncode == 0 and p.stderr == ""
    hessian = cli(tmp_path, "hessian", ROSEN, "--at", AT.replace(" ", ""), "--sparse")
    jacobian = cli(tmp_path, "jacobian", "x[1:]*x[:-1]", "--at", AT.replace(" ", ""), "--sparse")
    assert p.stdout == "sparse = on\n" + hessian + jacobian
    assert "3 sweeps instead of 5" in hessian and "2 sweeps instead of 5" in jacobian
    # the command line's values are Rosenbrock's Hessian, derived by hand, on its tridiagonal pattern
    out = json.loads(cli(tmp_path, "hessian", ROSEN, "--at", AT.replace(" ", ""), "--sparse", "--json"))
    want = rosen_hess(np.array(X))
    assert out["hessian"] == want.tolist()  # exactly: every entry is an exact small number here
    assert out["sparsity"]["nonzeros"] == [[i, j] for i in range(5) for j in range(5) if abs(i - j) <= 1]


def test_sparse_with_wrt_and_back_to_dense(tmp_path: Path) -> None:
    script = (f"f(x, y) = y*{ROSEN}\n:sparse on\nhessian f at {AT}, y=2 wrt y, x\n:sparse off\n"
              f"hessian f at {AT}, y=2 wrt y, x\n:sparse\n")
    p = repl(tmp_path, script)
    assert p.returncode == 0 and p.stderr == ""
    sparse = cli(tmp_path, "hessian", f"y*{ROSEN}", "--at", AT.replace(" ", "") + ",y=2", "--wrt", "y,x", "--sparse")
    dense = cli(tmp_path, "hessian", f"y*{ROSEN}", "--at", AT.replace(" ", "") + ",y=2", "--wrt", "y,x")
    assert p.stdout == "defined f(x, y)\nsparse = on\n" + sparse + "sparse = off\n" + dense + "sparse = False\n"
    # by hand: y·rosen — H_xx tridiagonal (13), y meets every x[i] (2 × 5), ∂²/∂y² = 0: 23 nonzeros
    assert "Hessian sparsity pattern: 23 nonzeros of 6 × 6" in sparse
    assert "sparsity" not in dense


def test_a_bad_sparse_value_is_an_error_and_changes_nothing(tmp_path: Path) -> None:
    p = repl(tmp_path, f":sparse on\n:sparse yes\nhessian {ROSEN} at {AT}\n:sparse \x1b[2J\n")
    assert p.returncode == 1  # a piped session that met an error says so in its exit status
    assert p.stderr.count("error (usage): :sparse takes on or off") == 2 and "\x1b" not in p.stderr
    assert "Hessian sparsity pattern: 13 nonzeros of 5 × 5" in p.stdout  # still on


def test_sparse_in_a_terminal(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(sys.executable, ["-m", "adcalc"], env={**env(tmp_path), "TERM": "xterm", "LINES": "50",
                                                                  "PROMPT_TOOLKIT_NO_CPR": "1"},
                          cwd=str(tmp_path), encoding="utf-8", timeout=60, dimensions=(50, 200))
    child.expect("adcalc> ")
    child.sendline(":sparse on")
    child.expect("sparse = on")
    child.sendline("jacobian u[1:-1] + 0.1*(u[2:] - 2*u[1:-1] + u[:-2]) at u=[0, 1, 4, 9, 16, 25]")
    child.expect("Jacobian sparsity pattern: 12 nonzeros of 4 × 6")
    child.expect("3 sweeps instead of 6")
    end_session(child)
