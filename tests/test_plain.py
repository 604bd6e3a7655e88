"""The fast path of the one-shot command gives exactly what the full path gives.

- ``adcalc.present.plain.write_result`` writes the eval/grad view byte for byte as ``adcalc.present.render``
  draws it with Rich (plain and on a terminal, with its bold/dim styles), or declines;
- ``adcalc.front.fast.quickcli.main`` prints the same bytes and returns the same status as
  ``adcalc.front.cli.main`` for every command line, whether it takes the fast path or not;
- the Quickstart command imports neither Lark, Rich, argparse nor dataclasses;
- the ``--at`` number syntax read from the grammar file equals Lark's NUMBER terminal.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

import adcalc
from adcalc.front.cli import main as full_main
from adcalc.front.fast.quickcli import main as quick_main
from adcalc.present import plain, render

CASES = [
    ("grad", "exp(2*x1)+x1*x2^2+cos(x2)", {"x1": 1.0, "x2": 2.0}, "reverse"),
    ("grad", "exp(2*x1)+x1*x2^2+cos(x2)", {"x1": 1.0, "x2": 2.0}, "forward"),
    ("grad", "sin(x)", {"x": -0.5}, "reverse"),
    ("grad", "a*b*c + long_variable_name", {"a": 1.5, "b": -2.0, "c": 1e-300, "long_variable_name": 3.0}, "forward"),
    ("grad", "x^2", {"x": 123456789.0}, "reverse"),
    ("eval", "sqrt(2)*x", {"x": 3.0}, None),
    ("grad", "max(x, y)", {"x": 1.0, "y": 1.0}, "reverse"),  # a kink warning: declined
    ("grad", "log(x)", {"x": -1.0}, "reverse"),  # a non-finite warning: declined
]


@pytest.mark.parametrize("command,source,point,mode", CASES)
@pytest.mark.parametrize("tty", [False, True])
def test_plain_writer_matches_rich(command: str, source: str, point: dict, mode: str | None, tty: bool) -> None:
    r = adcalc.grad(source, point, mode=mode) if command == "grad" else adcalc.evaluate(source, point)
    rich_out = io.StringIO()
    console = Console(file=rich_out, width=120, highlight=False, soft_wrap=False, force_terminal=tty,
                      color_system="standard" if tty else None)
    render.render_result(console, r, point)
    fast = io.StringIO()
    if plain.write_result(fast, r, point, tty, 120):
        assert fast.getvalue() == rich_out.getvalue()
    else:
        assert fast.getvalue() == "" and r.warnings  # declined only for what it does not draw


def test_plain_writer_declines_what_rich_would_wrap() -> None:
    point = {f"x{i}": 1.0 + i for i in range(30)}
    r = adcalc.grad("+".join(point), point)
    assert not plain.write_result(io.StringIO(), r, point, False, 120)


COMMAND_LINES = [
    ["grad", "exp(2*x1)+x1*x2^2+cos(x2)", "--at", "x1=1,x2=2"],
    ["grad", "exp(2*x1)+x1*x2^2+cos(x2)", "--at", "x1=1,x2=2", "--json"],
    ["grad", "--json", "sin(x^2+1)", "--at", "x=1.5", "--mode", "forward"],
    ["grad", "sin(x^2+1)", "--mode", "reverse", "--at", "x=1.5"],
    ["eval", "sin(x^2 + 1)", "--at", "x=1.5"],
    ["eval", "sin(x^2 + 1)", "--at", "x=1.5", "--json"],
    ["grad", "x*y", "--at", "x=1,y=2,z=3"],  # an unused binding: a warning
    ["grad", "x*y", "--at", "x=1,y=2,z=3", "--json"],
    ["grad", "log(x)", "--at", "x=-1"],
    ["grad", "x +", "--at", "x=1"],  # a syntax error
    ["grad", "x + 1", "--at", "x=1,,"],  # a bad point
    ["grad", "x + q", "--at", "x=1"],  # a missing input
    ["grad", "x + 1", "--at", "x=abc", "--json"],
    ["grad", "sum(x)", "--at", "x=[1,2]"],  # arrays: the full path
    ["grad", "x^2", "--at", "x=2", "--trace"],  # another option: the full path
    ["eval", "x^2", "--at", "x=2", "--mode", "forward"],  # not an eval option: usage error
    ["grad", "x^2", "--at", "x=2", "--at", "x=3"],
    ["jvp", "x^2", "--at", "x=2", "--dir", "x=1"],
    ["grad", "x/y", "--at", "x=1,y=0"],  # a division (the fast path once sent every '/' to the full one)
    ["grad", "x/y - 1/x", "--at", "x=2,y=4", "--json"],
    ["eval", "0/x", "--at", "x=0"],
    ["grad", "samples/newton_sqrt.ad", "--at", "a=2"],  # a file: the full path reads it
]


@pytest.mark.parametrize("argv", COMMAND_LINES, ids=[" ".join(a) for a in COMMAND_LINES])
def test_quick_command_line_equals_the_full_one(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    try:
        full_code = full_main(argv)
    except SystemExit as e:  # argparse's usage errors
        full_code = e.code
    full = capsys.readouterr()
    try:
        quick_code = quick_main(argv)
    except SystemExit as e:
        quick_code = e.code
    quick = capsys.readouterr()
    assert (quick_code, quick.out, quick.err) == (full_code, full.out, full.err)


def test_the_quickstart_imports_no_heavy_library(tmp_path) -> None:
    code = ("import sys; from adcalc.front.fast.quickcli import main; "
            "main(['grad', 'exp(2*x1)+x1*x2^2+cos(x2)', '--at', 'x1=1,x2=2']); "
            "main(['grad', 'exp(2*x1)+x1*x2^2+cos(x2)', '--at', 'x1=1,x2=2', '--json']); "
            "print(sorted(m for m in ('lark', 'rich', 'argparse', 'dataclasses', 'numpy') if m in sys.modules), "
            "file=sys.stderr)")
    # from another directory, so the installed package is imported (not the source tree)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0 and done.stderr.strip() == "[]", done.stderr
    assert "18.7781121979" in done.stdout and '"x1": 18.7781121978613' in done.stdout


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="0123456789.eE+-_x ", max_size=12))
def test_point_numbers_follow_the_grammar(text: str) -> None:
    from adcalc.language.bindings import _number_pattern
    from adcalc.language.parser import get_parser

    lark_re = re.compile(rf"[+-]?(?:{get_parser().get_terminal('NUMBER').pattern.to_regexp()})\Z")
    assert bool(_number_pattern().match(text)) == bool(lark_re.match(text))
