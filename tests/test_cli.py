"""The command line: JSON shapes, exit codes, error positions, traces, stdin, files, NO_COLOR."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import close

from adcalc.front.cli import main

RUNNING = "exp(2*x1)+x1*x2^2+cos(x2)"


def cli(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the installed command as a user would (a real process)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("FORCE_COLOR", None)
    # From a neutral directory, so `-m adcalc` finds the installed package, not the source tree.
    return subprocess.run([sys.executable, "-m", "adcalc", *args], input=stdin, capture_output=True, text=True,
                          env=full_env, timeout=120, cwd=tempfile.gettempdir())


def run_json(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, dict]:
    code = main([*args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


# ---- JSON shapes ------------------------------------------------------------------------------

def test_eval_json(capsys) -> None:
    code, out = run_json(capsys, "eval", RUNNING, "--at", "x1=1,x2=2")
    assert code == 0 and out == {"value": math.exp(2) + 4 + math.cos(2)}


def test_grad_json_exact_shape_and_full_precision(capsys) -> None:
    code, out = run_json(capsys, "grad", RUNNING, "--at", "x1=1, x2=2")
    assert code == 0 and set(out) == {"value", "gradient"}
    assert list(out["gradient"]) == ["x1", "x2"]
    assert close(out["gradient"]["x1"], 2 * math.e**2 + 4) and out["gradient"]["x2"] == 4 - math.sin(2)


def test_inputs_are_ordered_as_given(capsys) -> None:
    _, out = run_json(capsys, "grad", RUNNING, "--at", "x2=2,x1=1")
    assert list(out["gradient"]) == ["x2", "x1"]
    _, out = run_json(capsys, "jacobian", "[x1*x2, x1]", "--at", "x2=2", "--at", "x1=3")
    assert out["inputs"] == ["x2", "x1"] and out["jacobian"] == [[3.0, 2.0], [0.0, 1.0]]


def test_jvp_vjp_jacobian_json(capsys) -> None:
    _, out = run_json(capsys, "jvp", "[x*y, sin(x)]", "--at", "x=1,y=2", "--dir", "x=1,y=0")
    assert out == {"value": [2.0, math.sin(1.0)], "tangent": [2.0, math.cos(1.0)]}
    _, out = run_json(capsys, "jvp", "x*y", "--at", "x=1,y=2", "--dir", "x=1,y=1")
    assert out == {"value": 2.0, "tangent": 3.0}
    _, out = run_json(capsys, "vjp", "[x*y, sin(x)]", "--at", "x=1,y=2", "--cot", "1,0.5")
    assert out == {"value": [2.0, math.sin(1.0)], "cotangent_result": {"x": 2 + 0.5 * math.cos(1.0), "y": 1.0}}
    _, out = run_json(capsys, "jacobian", "[x*y, sin(x)]", "--at", "x=1,y=2")
    assert out == {"value": [2.0, math.sin(1.0)], "inputs": ["x", "y"], "jacobian": [[2.0, 1.0], [math.cos(1.0), 0.0]]}


def test_non_finite_numbers_are_strings_never_bare_nan(capsys) -> None:
    code = main(["eval", "[x/0, -x/0, 0/x, log(-x)]", "--at", "x=1", "--json"])
    text = capsys.readouterr().out
    assert code == 0 and "NaN" not in text and "Infinity" not in text
    out = json.loads(text)
    assert out["value"] == ["inf", "-inf", 0.0, "nan"]
    (w,) = out["warnings"]
    assert w["kind"] == "nonfinite" and (w["line"], w["column"]) == (1, 2)


def test_warnings_in_json(capsys) -> None:
    _, out = run_json(capsys, "grad", "abs(x) + y", "--at", "x=0,y=1,typo=3")
    kinds = [w["kind"] for w in out["warnings"]]
    assert kinds == ["unused", "kink"]
    assert out["gradient"] == {"x": 0.0, "y": 1.0, "typo": 0.0}
    kink = out["warnings"][1]
    assert kink["operation"] == "abs" and kink["convention"] == "abs'(0) = 0" and kink["column"] == 1


def test_trace_json_forward_and_reverse(capsys) -> None:
    _, out = run_json(capsys, "grad", "sin(x^2+1)", "--at", "x=1.5", "--trace", "--mode", "forward")
    rows = out["trace"]
    assert [r["node"] for r in rows] == ["v1", "v2", "v3", "v4"]
    assert rows[1]["op"] == "pow" and rows[1]["args"] == ["v1", "2"] and rows[1]["tangent"] == [3.0]
    assert (rows[3]["line"], rows[3]["column"]) == (1, 1) and "adjoint_updates" not in out
    _, out = run_json(capsys, "grad", "sin(x^2+1)", "--at", "x=1.5", "--trace")
    ups = out["adjoint_updates"]
    assert [u["update"] for u in ups] == ["v̄3 += v̄4 · cos(v3)", "v̄2 += v̄3", "v̄1 += v̄2 · 2·v1"]
    assert close(out["trace"][0]["adjoint"], math.cos(1.5**2 + 1) * 3.0)


def test_program_variable_and_context_in_trace(capsys) -> None:
    src = "s = 0\nfor i in range(2):\n    s = s + x * i\nreturn s\n"
    code = main(["grad", src, "--at", "x=2", "--trace", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    adds = [r for r in out["trace"] if r["op"] == "add"]
    assert [r["variable"] for r in adds] == ["s", "s"] and [r["context"] for r in adds] == ["i=0", "i=1"]


# ---- exit codes and errors ------------------------------------------------------------------

@pytest.mark.parametrize(
    "args,code,kind",
    [
        (["grad", "x +* 2", "--at", "x=1"], 1, "syntax"),
        (["grad", "sine(x)", "--at", "x=1"], 1, "name"),
        (["grad", "sin(x, x)", "--at", "x=1"], 1, "arity"),
        (["grad", "log(x)", "--at", "x=-1", "--strict"], 1, "domain"),
        (["eval", "while x > 0:\n    x = x + 1\nreturn x", "--at", "x=1", "--max-steps", "1000"], 1, "limit"),
        (["grad", "x*y", "--at", "x=1"], 1, "input"),
        (["grad", "[x, x]", "--at", "x=1"], 1, "type"),
        (["grad", "x", "--at", "x=1_000"], 1, "input"),
        (["grad", "x", "--at", "x=0x10"], 1, "input"),
        (["grad", "x", "--at", "x=1,x=2"], 1, "input"),
        (["grad", "pi*x", "--at", "x=1,pi=3"], 1, "input"),
        (["grad", "sin(x)", "--at", "x=1,sin=3"], 1, "input"),
        (["grad", "x", "--at", "x=1,,y=2"], 1, "input"),
        (["grad", "x", "--at", "x="], 1, "input"),
        (["grad", "x", "--at", "x=abc"], 1, "input"),
        (["jvp", "x*y", "--at", "x=1,y=2", "--dir", "x=1"], 1, "input"),
        (["vjp", "[x, y]", "--at", "x=1,y=2", "--cot", "1"], 1, "input"),
        (["eval", "missing/file.ad"], 1, "file"),
    ],
)
def test_error_exit_codes_and_kinds(capsys, args: list[str], code: int, kind: str) -> None:
    assert main([*args, "--json"]) == code
    out = json.loads(capsys.readouterr().out)
    assert out["error"]["kind"] == kind and out["error"]["message"]


def test_missing_names_are_all_listed(capsys) -> None:
    main(["grad", "x*y*z", "--at", "y=1", "--json"])
    assert "no value for x, z" in json.loads(capsys.readouterr().out)["error"]["message"]


def test_syntax_error_shows_line_column_and_caret() -> None:
    p = cli("grad", "def f(x):\n    return x +* 2\n", "--at", "x=1")
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "error (syntax) at 2:15" in p.stderr
    assert "      return x +* 2\n" + " " * (2 + 14) + "^\n" in p.stderr


def test_unknown_function_suggests_the_nearest_name() -> None:
    p = cli("eval", "1 + sine(x)", "--at", "x=1")
    assert p.returncode == 1 and "did you mean 'sin'?" in p.stderr and "1 + sine(x)\n      ^^^^" in p.stderr


def test_usage_errors_exit_2() -> None:
    assert cli("grad").returncode == 2
    assert cli("frobnicate", "x").returncode == 2
    assert cli("grad", "x", "--at", "x=1", "--mode", "sideways").returncode == 2
    assert cli("eval", "x", "--at", "x=1", "--max-steps", "-5").returncode == 2
    p = cli(stdin="")  # no command: the REPL, here reading an empty script
    assert p.returncode == 0 and "Traceback" not in p.stderr


def test_internal_error_exit_70_without_traceback(monkeypatch, capsys) -> None:
    from adcalc.ops import derivatives as api

    def broken(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "evaluate", broken)
    assert main(["eval", "x", "--at", "x=1"]) == 70
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" not in err
    with pytest.raises(RuntimeError):
        main(["eval", "x", "--at", "x=1", "--debug"])


def test_grad_of_vector_points_to_jacobian() -> None:
    p = cli("grad", "[x, x^2]", "--at", "x=1")
    assert p.returncode == 1 and "jacobian" in p.stderr


def test_unused_binding_warns_but_succeeds() -> None:
    p = cli("grad", "x^2", "--at", "x=3,y=1")
    assert p.returncode == 0 and "'y' is bound but the source never uses it" in p.stderr
    assert "6" in p.stdout


# ---- sources --------------------------------------------------------------------------------

def test_standard_input_and_program_files(tmp_path: Path) -> None:
    p = cli("grad", "-", "--at", "x=2", "--json", stdin="x^3\n")
    assert json.loads(p.stdout) == {"value": 8.0, "gradient": {"x": 12.0}}
    prog = tmp_path / "poly.ad"
    prog.write_text("# a cubic\ndef f(x):\n    return x^3 - 2*x\n")
    p = cli("grad", str(prog), "--at", "x=2", "--json")
    assert json.loads(p.stdout) == {"value": 4.0, "gradient": {"x": 10.0}}
    other = tmp_path / "sub" / "prog.txt"
    other.parent.mkdir()
    other.write_text("x*x")
    assert json.loads(cli("eval", str(other), "--at", "x=3", "--json").stdout) == {"value": 9.0}


def test_division_is_not_mistaken_for_a_path() -> None:
    assert json.loads(cli("eval", "x/y", "--at", "x=1,y=4", "--json").stdout) == {"value": 0.25}


@pytest.mark.parametrize(
    "content,words",
    [(b"", "empty"), (b"\x00\x01binary", "NUL byte"), (b"x +\xff 1", "not valid UTF-8")],
)
def test_unusable_files(tmp_path: Path, content: bytes, words: str) -> None:
    f = tmp_path / "bad.ad"
    f.write_bytes(content)
    p = cli("eval", str(f))
    assert p.returncode == 1 and words in p.stderr and "Traceback" not in p.stderr


def test_a_bom_is_ignored_and_a_directory_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "bom.ad"
    f.write_bytes("\ufeffreturn x + 1\n".encode())
    assert json.loads(cli("eval", str(f), "--at", "x=1", "--json").stdout) == {"value": 2.0}
    d = tmp_path / "dir.ad"
    d.mkdir()
    p = cli("eval", str(d))
    assert p.returncode == 1 and "is a directory" in p.stderr


# ---- what a person sees ---------------------------------------------------------------------

def test_default_output_names_inputs_and_mode() -> None:
    p = cli("grad", RUNNING, "--at", "x1=1,x2=2")
    assert p.returncode == 0
    assert "f(x1=1, x2=2) = 10.9729092624" in p.stdout
    assert "18.7781121979" in p.stdout and "3.09070257317" in p.stdout
    assert "reverse mode · 1 reverse sweep" in p.stdout


def test_forward_trace_table_reads_like_the_documents() -> None:
    p = cli("grad", "sin(x^2+1)", "--at", "x=1.5", "--mode", "forward", "--trace")
    lines = [line.split() for line in p.stdout.splitlines()]
    assert ["v1", "x", "(input)", "1.5", "1"] in lines
    assert ["v2", "v1^2", "2.25", "3"] in lines
    assert ["v3", "v2", "+", "1", "3.25", "3"] in lines
    assert "1 forward sweep, one per input" in p.stdout


def test_reverse_trace_shows_the_backward_sweep() -> None:
    p = cli("grad", RUNNING, "--at", "x1=1,x2=2", "--trace")
    out = p.stdout
    assert "v\u03049 = y\u0304 = 1" in out
    for update in ["v̄2 += v̄7 · (-sin(v2))", "v̄3 += v̄4 · exp(v3)", "v̄1 += v̄3 · 2"]:
        assert update in out
    assert "∂f/∂x1 = v̄1 = 18.7781121979" in out and "1 reverse sweep" in out


def test_no_color_and_no_escape_codes_when_piped() -> None:
    p = cli("grad", "log(x)", "--at", "x=-1", env={"NO_COLOR": "1"})
    assert "\x1b[" not in p.stdout and "\x1b[" not in p.stderr
    p = cli("grad", "x", "--at", "x=1", env={"TERM": "xterm-256color"})
    assert "\x1b[" not in p.stdout


def test_jacobian_says_which_mode_and_why() -> None:
    p = cli("jacobian", "[x+y+z, x*y*z]", "--at", "x=1,y=2,z=3")
    assert "reverse mode: 2 reverse sweeps, one per output (forward would need 3, one per input)" in p.stdout


def test_ir_command_prints_the_wengert_list() -> None:
    p = cli("ir", "sin(x^2 + 1)")
    assert p.returncode == 0 and "v1 = x ^ 2\n    v2 = v1 + 1\n    v3 = sin(v2)" in p.stdout


def test_version_and_help_show_examples() -> None:
    assert cli("--version").stdout.startswith("adcalc ")
    assert 'adcalc grad "exp(2*x1) + x1*x2^2 + cos(x2)" --at x1=1,x2=2' in cli("--help").stdout
    assert "--dir" in cli("jvp", "--help").stdout and "examples:" in cli("vjp", "--help").stdout


def _examples() -> list[list[str]]:
    import shlex

    from adcalc.front.commands import REGISTRY

    out = []
    for command in REGISTRY:
        if command.name == "repl":
            continue
        for line in command.examples:
            if "|" in line or ">" in line:
                continue  # shell pipes and redirections
            out.append(shlex.split(line)[1:])
    return out


@pytest.mark.parametrize("argv", _examples(), ids=lambda a: " ".join(a)[:60])
def test_every_help_example_runs(argv: list[str], capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)  # examples name samples/...
    written = None
    if "-o" in argv:  # an example that writes a file writes it here, not into the checkout
        k = argv.index("-o") + 1
        written = tmp_path / Path(argv[k]).name
        argv = [*argv[:k], str(written), *argv[k + 1:]]
    assert main(argv) == 0
    assert "error" not in capsys.readouterr().err
    if written is not None and argv[0] == "plot":  # a picture (issue #18): an SVG that parses
        import xml.etree.ElementTree as ET

        assert ET.parse(written).getroot().tag.endswith("svg")
    elif written is not None:
        start = {".html": "<!DOCTYPE html>", ".svg": "<svg"}.get(written.suffix,
                                                                '"""Derivative code generated by adcalc')
        assert written.read_text(encoding="utf-8").startswith(start), argv
