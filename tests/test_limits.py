"""Bounded resources: every run that would exhaust memory or take forever ends in a clear
``limit`` error naming the line and the flag to raise (issue #13 items 7 and 23), through the real
command (a subprocess) and through the API.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

import adcalc
from adcalc import AdcalcError
from adcalc.transform.budget import parse_size


def adcalc_cli(*args: str) -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True, text=True, timeout=300,
                       cwd=tempfile.gettempdir(), env={**os.environ, "COLUMNS": "200"})
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr
    return p


def limit_error(p: subprocess.CompletedProcess, *words: str) -> None:
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "error (limit)" in p.stderr, p.stderr
    for w in words:
        assert w in p.stderr, (w, p.stderr)


def test_an_80_gb_broadcast_is_refused_before_allocating() -> None:
    p = adcalc_cli("eval", "sum(transpose(ones(1,100000)) * ones(1,100000))")
    limit_error(p, "at 1:5", "74.5 GiB", "memory budget of 2 GiB", "--max-memory")


def test_reverse_mode_tape_over_a_long_array_loop() -> None:
    loop = "x = zeros(1000000) + 0.5\nfor i in range(2000):\n    x = sin(x) * t\nreturn sum(x)"
    limit_error(adcalc_cli("grad", loop, "--at", "t=1.1", "--max-memory", "100M"), "at 3:", "memory budget of 100 MiB",
                "already kept by the run")


def test_scalar_tape_counts_against_memory() -> None:
    loop = "s = 0\nfor i in range(300000):\n    s = s + sin(x)\nreturn s"
    limit_error(adcalc_cli("grad", loop, "--at", "x=1", "--max-memory", "2M"), "memory budget of 2 MiB")
    p = adcalc_cli("grad", loop, "--at", "x=1")  # the default budget holds it: ∂f/∂x = 300000·cos(1)
    assert p.returncode == 0 and "162090.691" in p.stdout


def test_trace_of_a_million_steps_is_refused() -> None:
    loop = "s = 0\nfor i in range(1000000):\n    s = s + sin(x) * i\nreturn s"
    limit_error(adcalc_cli("grad", loop, "--at", "x=0.5", "--trace"), "the trace would have more than", "--trace")


def test_doubling_array_literal() -> None:
    program = "x = 1\nfor i in range(40):\n    x = [x, x]\nreturn sum(x)"
    limit_error(adcalc_cli("eval", program), "at 3:9", "--max-memory")


def test_a_65_deep_array_literal_is_a_shape_error() -> None:
    p = adcalc_cli("eval", "[" * 65 + "x" + "]" * 65, "--at", "x=1")
    assert p.returncode == 1 and "error (shape)" in p.stderr and "at most 32 axes" in p.stderr


def test_array_work_counts_against_the_step_budget() -> None:
    loop = "x = zeros(10^6)\nfor i in range(100000):\n    x = x + t\nreturn sum(x)"
    limit_error(adcalc_cli("eval", loop, "--at", "t=1", "--max-steps", "200000"), "at 3:9",
                "more than 200,000 steps", "one step per 1,000 elements")


def test_big_zeros_has_a_hint_and_budget_can_be_raised() -> None:
    limit_error(adcalc_cli("eval", "zeros(10^9)"), "zeros", "7.45 GiB", "--max-memory")
    p = adcalc_cli("eval", "sum(ones(3000, 3000))", "--max-memory", "1G")
    assert p.returncode == 0 and "9000000" in p.stdout


def test_an_impossible_allocation_is_a_limit_error() -> None:
    p = adcalc_cli("eval", "sum(ones(10^7, 10^7))", "--max-memory", "1000T", "--max-steps", "1000000000000")
    limit_error(p, "out of memory")


def test_forward_mode_jacobian_seeds_are_budgeted() -> None:
    x = "[" + ",".join(["1"] * 20000) + "]"
    limit_error(adcalc_cli("jacobian", "x", "--at", f"x={x}"), "20,000 tangent directions")


def test_huge_jacobian_table_is_summarised() -> None:
    x = "[" + ",".join(["1"] * 300) + "]"
    p = adcalc_cli("jacobian", "x * 2", "--at", f"x={x}")
    assert p.returncode == 0 and "300 × 300 entries: too many to show as a table" in p.stdout


def test_api_takes_max_memory() -> None:
    with pytest.raises(AdcalcError) as e:
        adcalc.evaluate("sum(ones(1000, 1000))", {}, max_memory=1_000_000)
    assert e.value.kind == "limit" and "--max-memory" in (e.value.hint or "")
    assert adcalc.evaluate("sum(ones(100, 100))", {}, max_memory=1_000_000).value == 10_000.0


@pytest.mark.parametrize("text,value", [("2G", 2 * 1024**3), ("512M", 512 * 1024**2), ("1.5GiB", 1536 * 1024**2),
                                        ("1000000", 1_000_000), ("64k", 65536)])
def test_parse_size(text: str, value: int) -> None:
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["abc", "-1G", "0", "nanG", "infM", "1Q", ""])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


@pytest.mark.parametrize("ending", ["\r", "\r\n"])
def test_old_line_endings_read_as_newlines(ending: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".ad", delete=False, newline="") as f:
        f.write(ending.join(["def f(x):", "    y = x * x", "    return y + bad(x)", ""]))
    try:
        p = adcalc_cli("eval", f.name, "--at", "x=2")
        assert p.returncode == 1 and ":3:16: unknown function 'bad'" in p.stderr
        assert "U+000D" not in p.stderr
    finally:
        os.unlink(f.name)
    assert adcalc.grad(ending.join(["def f(x):", "    return x * x", ""]), {"x": 3.0}).gradient == {"x": 6.0}
