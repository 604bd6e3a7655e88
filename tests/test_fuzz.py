"""Fuzzing (bounded, for CI): every input ends in a result or a clean AdcalcError — never a
traceback, never the internal-error exit, never a hang (a step limit bounds every run)."""

from __future__ import annotations

import io
import json
import random

from fuzz_inputs import POINT, hostile, mutate, random_chars, random_program, random_tokens, sample_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from adcalc.front.cli import main
from adcalc.front.repl.session import Session

COMMANDS = ["eval", "grad", "jacobian", "hessian", "check", "ir"]


def run_cli(capsys, command: str, text: str) -> int:
    args = [command, "--", text] if command == "ir" else [
        command, "--json", "--max-steps", "20000", "--max-depth", "50", "--at", POINT, "--", text]
    code = main(args)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in err, (command, text, err)
    assert code in (0, 1), (command, text, code, out, err)
    if command != "ir":
        record = json.loads(out)
        assert ("error" in record) == (code == 1) or command == "check", (text, record)
    return code


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 2**32), st.sampled_from(COMMANDS))
def test_random_token_soup(capsys, seed: int, command: str) -> None:
    rng = random.Random(seed)
    run_cli(capsys, command, random_tokens(rng, rng.randint(1, 25)))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60), st.sampled_from(["eval", "grad", "ir"]))
def test_random_unicode_text(capsys, text: str, command: str) -> None:
    run_cli(capsys, command, text)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 2**32))
def test_mutated_samples(capsys, seed: int) -> None:
    rng = random.Random(seed)
    run_cli(capsys, rng.choice(["eval", "grad"]), mutate(sample_text(rng), rng, rng.randint(1, 4)))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 2**32))
def test_random_valid_programs_succeed(capsys, seed: int) -> None:
    rng = random.Random(seed)
    assert run_cli(capsys, "grad", random_program(rng)) == 0


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.integers(0, 2**32), min_size=1, max_size=6))
def test_repl_lines_never_escape(seeds: list[int]) -> None:
    out = io.StringIO()
    session = Session(Console(file=out, width=120, color_system=None))
    session.variables["x"] = 0.5
    for seed in seeds:
        rng = random.Random(seed)
        line = rng.choice([hostile(rng), ":" + random_chars(rng, 5), "grad " + random_tokens(rng, 6),
                           "f(x) = " + random_tokens(rng, 5), "q = " + random_tokens(rng, 4)])
        status, _ = session.status(line)
        assert status in ("complete", "incomplete", "error")
        assert isinstance(session.execute(line), bool)
        assert session.variables["x"] == 0.5 or "x" in session.variables
    assert "Traceback" not in out.getvalue()
