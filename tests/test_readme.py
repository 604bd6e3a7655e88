"""Issue #14 item 26: every example output in README is what the program prints.

README marks each example block with an HTML comment on the line before it (invisible on the
rendered page):

- ``<!-- example -->``: a code block of ``$ adcalc …`` commands, each followed by its output
  exactly (standard output, then standard error; trailing spaces aside).  A command whose quotes
  span lines continues until the quotes close, as in a shell.
- ``<!-- example: elided -->``: the same, except that a line ``…`` stands for any number of
  output lines, and a line ending in `` …`` for a line that starts with the text before it; times
  (``1.6 ms``) are compared as ``T ms``.
- ``<!-- example: repl -->``: a REPL transcript (``adcalc> `` and ``   ...  `` lines are what was
  typed; the rest is the output), checked by piping what was typed into ``adcalc repl``.

Every code block that starts with ``$ adcalc`` must carry a mark, so a new example cannot go
unchecked.  The commands run from the repository's root (they name ``samples/``).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARK = re.compile(r"<!-- example(?:: (elided|repl))? -->")
TIME = re.compile(r"\b\d+(?:\.\d+)? ms\b")
PROMPT, MORE = "adcalc> ", "   ...  "


class Example(NamedTuple):
    line: int  # README's line of the command
    kind: str  # "exact" | "elided" | "repl"
    argv: list[str]
    expected: list[str]
    stdin: str | None = None


def _blocks() -> list[tuple[int, str | None, list[str]]]:
    """(line of the opening fence, mark or None, the block's lines) for every fenced block."""
    lines = README.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        if lines[i].startswith("```"):
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            m = MARK.fullmatch(lines[i - 1].strip()) if i > 0 else None
            out.append((i + 1, (m.group(1) or "exact") if m else None, lines[i + 1:j]))
            i = j
        i += 1
    return out


def _commands(start: int, kind: str, body: list[str]) -> list[Example]:
    out: list[Example] = []
    k = 0
    while k < len(body):
        assert body[k].startswith("$ adcalc"), f"README.md:{start + k + 1}: an example block starts with a command"
        text, first = body[k][2:], k
        while True:
            try:
                argv = shlex.split(text)
                break
            except ValueError:  # the quotes go on to the next line
                k += 1
                text += "\n" + body[k]
        k += 1
        expected = []
        while k < len(body) and not body[k].startswith("$ adcalc"):
            expected.append(body[k])
            k += 1
        while expected and not expected[-1].strip():
            expected.pop()
        out.append(Example(start + first + 1, kind, argv[1:], expected))
    return out


def _repl(start: int, body: list[str]) -> Example:
    assert body[0] == "$ adcalc", f"README.md:{start + 1}: a REPL transcript starts with '$ adcalc'"
    typed, expected = [], []
    for line in body[1:]:
        if line.startswith(PROMPT):
            typed.append(line[len(PROMPT):])
        elif line.startswith(MORE.rstrip()):
            typed.append(line[len(MORE):])
        else:
            expected.append(line)
    return Example(start + 1, "repl", ["repl"], expected, "\n".join(typed) + "\n")


def examples() -> list[Example]:
    out: list[Example] = []
    for start, kind, body in _blocks():
        if kind == "repl":
            out.append(_repl(start, body))
        elif kind is not None:
            out.extend(_commands(start, kind, body))
    return out


def _run(example: Example) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS", "LINES", "NO_COLOR")}
    p = subprocess.run([sys.executable, "-m", "adcalc", *example.argv], input=example.stdin, capture_output=True,
                       text=True, env=env, timeout=300, cwd=ROOT)
    assert "Traceback" not in p.stderr
    return [line.rstrip() for line in (p.stdout + p.stderr).splitlines()]


def _matches(expected: list[str], got: list[str]) -> bool:
    """Whether ``got`` is ``expected`` with each ``…`` line standing for any lines (elided form)."""
    expected = [TIME.sub("T ms", e.rstrip()) for e in expected]
    got = [TIME.sub("T ms", g) for g in got]
    pos = 0
    for k, e in enumerate(expected):
        if e.strip() == "…":
            rest = expected[k + 1:]
            return any(_matches(rest, got[j:]) for j in range(pos, len(got) + 1))
        if pos >= len(got):
            return False
        if e.endswith(" …") and got[pos].startswith(e[:-2]) or got[pos] == e:
            pos += 1
            continue
        return False
    return pos == len(got)


EXAMPLES = examples()


def test_every_example_block_is_marked_and_there_are_many() -> None:
    for start, kind, body in _blocks():
        if body and body[0].startswith("$ adcalc"):
            assert kind is not None, f"README.md:{start}: an example block without <!-- example --> before it"
    assert len(EXAMPLES) >= 15


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"README.md:{e.line}")
def test_readme_example_is_what_the_program_prints(example: Example) -> None:
    got = _run(example)
    expected = [e.rstrip() for e in example.expected]
    if example.kind == "elided":
        assert _matches(expected, got), "\n".join(got)
    else:
        assert got == expected


def test_the_matcher_is_strict() -> None:
    """The elided form still fails on a changed, missing or extra line."""
    got = ["a", "b 1.5 ms", "c", "d"]
    assert _matches(["a", "…", "d"], got) and _matches(["a", "b 9 ms", "…"], got)
    assert _matches(["a", "b …", "c", "d"], got)
    assert not _matches(["a", "…", "e"], got) and not _matches(["a", "c", "…"], got)
    assert not _matches(["a", "b 1.5 ms", "c"], got) and not _matches(["x", "…"], got)
