"""Issue #14 item 10: an expression that starts with '-' is a SOURCE wherever it stands among the
options; ``--`` works before or after the options; 10,000 leading minus signs work the same; the
help shows an example.  The full command line (``adcalc.front.cli``) and the one-shot fast path
(``adcalc.front.fast.quickcli``) find SOURCE by the same rule and give the same bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

from adcalc.front import cli
from adcalc.front.commands import REGISTRY
from adcalc.front.fast import quickcli


def adcalc(*args: str) -> subprocess.CompletedProcess:
    """The installed command, as a user runs it (the entry point: fast path, then the full path)."""
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=tempfile.gettempdir())


MINUSES = "-" * 10_000


@pytest.mark.parametrize(("argv", "value"), [
    (["eval", "-x^2", "--at", "x=3"], -(3.0**2)),
    (["eval", "--at", "x=3", "-x^2"], -(3.0**2)),
    (["eval", "--", "-x^2", "--at", "x=3"], -(3.0**2)),
    (["eval", "--at", "x=3", "--", "-x^2"], -(3.0**2)),
    (["eval", "--at=x=3", "-x^2"], -(3.0**2)),
    (["eval", "-x^2", "--strict", "--at", "x=3"], -(3.0**2)),
    (["eval", "-2*x+1", "--at", "x=3"], -2.0 * 3.0 + 1.0),
    (["eval", MINUSES + "x", "--at", "x=3"], 3.0),  # an even number of minus signs
    (["eval", "--at", "x=3", "-" + MINUSES + "x"], -3.0),
    (["eval", "--", MINUSES + "x", "--at", "x=3"], 3.0),
])
def test_a_source_starting_with_minus_is_the_source(argv: list[str], value: float) -> None:
    for extra in ([], ["--trace"] if argv[0] == "grad" else ["--max-steps", "1000000"]):  # fast and full path
        p = adcalc(*argv, *extra, "--json")
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout) == {"value": value}
    table = adcalc(*argv)
    assert table.returncode == 0 and table.stdout == f"f(x=3) = {value:g}\n", table.stderr


def test_grad_of_a_source_starting_with_minus() -> None:
    for argv in (["grad", "-2*x", "--at", "x=3"], ["grad", "--at", "x=3", "-2*x"],
                 ["grad", "--", "-2*x", "--at", "x=3"],
                 ["grad", "-2*x", "--at", "x=3", "--mode", "forward", "--trace"]):
        p = adcalc(*argv, "--json")
        out = json.loads(p.stdout)
        assert p.returncode == 0 and out["value"] == -6.0 and out["gradient"] == {"x": -2.0}, (argv, p.stderr)


def test_an_option_value_may_start_with_minus() -> None:
    """--cot -1,2: the value of an option that takes one, not an option of its own."""
    p = adcalc("vjp", "[x*y, -x]", "--at", "x=1,y=2", "--cot", "-1,2", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["cotangent_result"] == {"x": -1.0 * 2.0 + 2.0 * -1.0, "y": -1.0 * 1.0}


@pytest.mark.parametrize(("argv", "message"), [
    (["eval", "--at", "x=3"], "the following arguments are required: SOURCE"),
    (["eval", "--at", "x=3", "--"], "the following arguments are required: SOURCE"),
    (["eval", "x", "y", "--at", "x=1"], "unrecognized arguments: y"),
    (["eval", "-x", "-y", "--at", "x=1"], "unrecognized arguments: -y"),
    (["eval", "--att", "x=3", "sin(x)"], "unrecognized arguments: --att sin(x)"),
    (["eval", "x", "--max", "3", "--at", "x=1"], "ambiguous option: --max could match"),
    (["eval", "x", "--at"], "argument --at: expected one argument"),
])
def test_usage_errors_stay_usage_errors(argv: list[str], message: str) -> None:
    p = adcalc(*argv)
    assert p.returncode == 2 and message in p.stderr and "Traceback" not in p.stderr, p.stderr


@pytest.mark.parametrize("argv", [
    ["eval", "-x^2", "--at", "x=3"], ["eval", "--", "-x^2", "--at", "x=3", "--json"],
    ["grad", "--at", "x=3", "--", "-2*x"], ["grad", "-2*x", "--json", "--at", "x=3", "--mode", "forward"],
    ["eval", "--js", "-x", "--at", "x=2"], ["eval", "-x", "-y", "--at", "x=1"], ["eval", "--at", "x=3", "--"],
    ["grad", "-x", "--at", "x=1", "--mode=reverse"], ["eval", MINUSES + "x", "--at", "x=2"],
])
def test_fast_path_and_full_path_agree(argv: list[str], capsys) -> None:
    outs = []
    for main in (quickcli.main, cli.main):
        code = main(list(argv))
        outs.append((code, *capsys.readouterr()))
    assert outs[0] == outs[1]


@pytest.mark.parametrize("name", ["eval", "grad"])
def test_the_fast_paths_option_table_is_the_registrys(name: str) -> None:
    assert quickcli.OPTIONS[name] == cli.option_table(REGISTRY[name])


def test_help_shows_an_example() -> None:
    for args in (["--help"], ["eval", "--help"], ["grad", "--help"]):
        p = adcalc(*args)
        assert p.returncode == 0 and ('"-x^2" --at x=3' in p.stdout or '"-2*x" --at x=3' in p.stdout), args
    assert "may start with '-'" in adcalc("eval", "--help").stdout.replace("\n                       ", " ")
