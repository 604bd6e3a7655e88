"""adcalc run: samples/ passes; the runner survives broken files and reports them precisely."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from adcalc.front.cli import main
from adcalc.ops import batch

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"

GOOD = "# a cubic\n# @at x=2\n# @expect value = 8\n# @expect d/dx = 3*x^2\nx^3\n"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adcalc", "run", *args], capture_output=True, text=True,
                          timeout=300, cwd=tempfile.gettempdir(), env={**os.environ, "COLUMNS": "200"})


def test_every_sample_passes_its_expectations() -> None:
    files = sorted(SAMPLES.glob("*.ad"))
    assert len(files) >= 20
    for f in files:
        text = f.read_text()
        assert text.startswith("#"), f"{f.name} should open with a comment saying what it is"
        assert "@expect" in text, f"{f.name} declares no expectation"
    p = run_cli(str(SAMPLES))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "0 failed, 0 errors" in p.stdout


def test_sample_expectations_are_not_vacuous(tmp_path: Path) -> None:
    """Breaking a sample's formula makes its expectations fail (they are really checked)."""
    src = (SAMPLES / "running_example.ad").read_text().replace("x1*x2^2", "x1*x2^3")
    f = tmp_path / "broken.ad"
    f.write_text(src)
    outcomes = batch.run_file(str(f))
    assert [o.status for o in outcomes] == ["fail", "fail"]


def test_a_failing_expectation(tmp_path: Path, capsys) -> None:
    f = tmp_path / "wrong.ad"
    f.write_text("# @at x=2\n# @expect d/dx = 2*x + 1\nx^2\n")
    assert main(["run", str(f)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "d/dx: expected 5, got 4" in out


def test_one_broken_file_does_not_stop_the_others(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.ad").write_text(GOOD)
    (tmp_path / "b.ad").write_text("# @at x=1\nreturn x +* 2\n")
    (tmp_path / "c.ad").write_text(GOOD.replace("cubic", "cube"))
    assert main(["run", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.count("pass") >= 2
    assert "ERROR 2:11" in out and "error (syntax) at" in out and "b.ad:2:11" in out
    assert "return x +* 2\n" in out  # the caret excerpt of the broken line


@pytest.mark.parametrize(
    "setup,words",
    [
        (lambda d: (d / "empty.ad").write_text(""), "is empty"),
        (lambda d: None, "no such file"),
        (lambda d: (d / "bin.ad").write_bytes(b"\x00\x01\x02"), "NUL byte"),
        (lambda d: (d / "noat.ad").write_text("x^2\n"), "no @at point"),
        (lambda d: (d / "baddir.ad").write_text("# @at x=\nx\n"), "value is missing"),
        (lambda d: (d / "unknown.ad").write_text("# @where x=1\nx\n"), "unknown directive"),
    ],
)
def test_unusable_files_each_give_one_clear_error(tmp_path: Path, setup, words: str) -> None:
    setup(tmp_path)
    target = next(iter(tmp_path.iterdir()), tmp_path / "missing.ad")
    outcomes = batch.run_file(str(target))
    assert [o.status for o in outcomes] == ["error"]
    assert words in outcomes[0].error.message


def test_a_directory_argument_is_searched_and_a_missing_path_reported(tmp_path: Path) -> None:
    sub = tmp_path / "deep" / "er"
    sub.mkdir(parents=True)
    (sub / "x.ad").write_text(GOOD)
    (tmp_path / "notes.txt").write_text("not a program")
    assert batch.find_targets([str(tmp_path)]) == [batch.Target(str(sub / "x.ad"), None, scanned=True)]
    p = run_cli(str(tmp_path), str(tmp_path / "nope.ad"))
    assert p.returncode == 1 and "no such file" in p.stdout and "pass" in p.stdout


def test_json_lines(tmp_path: Path) -> None:
    (tmp_path / "a.ad").write_text(GOOD)
    (tmp_path / "b.ad").write_text("# @at r=2, t=0\n[r*cos(t), r*sin(t)]\n")
    (tmp_path / "c.ad").write_text("return (\n")
    p = run_cli(str(tmp_path), "--json")
    assert p.returncode == 1
    records = [json.loads(line) for line in p.stdout.splitlines()]
    assert [r["status"] for r in records] == ["pass", "ok", "error"]
    a, b, c = records
    assert a["value"] == 8.0 and a["gradient"] == {"x": 12.0} and a["point"] == {"x": 2.0}
    assert a["expectations"] == [{"what": "value", "expected": 8.0, "got": 8.0, "ok": True},
                                 {"what": "d/dx", "expected": 12.0, "got": 12.0, "ok": True}]
    assert b["inputs"] == ["r", "t"] and b["jacobian"] == [[1.0, 0.0], [0.0, 2.0]]
    assert c["error"]["kind"] == "syntax" and c["error"]["line"] == 1 and c["point"] is None
    assert c["error"]["message"].startswith("the input ended too early")


def test_at_overrides_the_declared_points(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.ad").write_text(GOOD)
    assert main(["run", str(tmp_path / "a.ad"), "--at", "x=3", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["status"] == "ok" and rec["gradient"] == {"x": 27.0}


def test_forward_mode_and_trace(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.ad").write_text(GOOD)
    assert main(["run", str(tmp_path), "--mode", "forward", "--trace"]) == 0
    out = capsys.readouterr().out
    assert "Forward mode: each node's value and tangent" in out and "pass" in out


def test_expectations_can_use_the_computed_value(tmp_path: Path) -> None:
    f = tmp_path / "k.ad"
    f.write_text((SAMPLES / "kepler.ad").read_text())
    (o,) = batch.run_file(str(f))
    assert o.status == "pass" and [c.what for c in o.checks] == ["value", "d/dM", "d/decc"]
