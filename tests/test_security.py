"""No user text and no user-writable file is ever executed; nothing shown can drive the terminal.

Issue #13 items 1 and 2: the grammar's parser tables ship inside the package as JSON (never a
cache, never a pickle); a malicious pickle planted in every place a parser cache used to live, and
in the working directory, runs nothing; control characters in anything echoed are escaped.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import lark
import pytest

from adcalc.errors import Span, excerpt, shown
from adcalc.language import parser

REPO = Path(__file__).resolve().parent.parent
PACKAGE = Path(parser.__file__).resolve().parent


def test_shipped_tables_match_the_grammar() -> None:
    stored = json.loads(parser.grammar_path().with_name(parser.TABLES_FILE).read_text(encoding="utf-8"))
    assert stored["stamp"]["grammar_sha256"] == parser._grammar_digest(parser.grammar_text()), (
        "the grammar changed: run `python -m adcalc.language.parser` to rewrite adcalc/grammar/adcalc.tables.json")


def test_parser_from_tables_equals_parser_built_from_the_grammar() -> None:
    loaded = parser._load_tables()
    if json.loads(parser.grammar_path().with_name(parser.TABLES_FILE).read_text())["stamp"]["lark"] != lark.__version__:
        assert loaded is None  # another Lark: the tables are not trusted, the grammar is built in memory
        return
    assert loaded is not None
    built = parser._build()
    sources = [p.read_text(encoding="utf-8") for p in sorted((REPO / "samples").glob("*.ad"))]
    sources += ["x^2 + 1\n", "[x*y, sin(x)]\n", "A[1, :] @ x\n", "def f(a):\n    return a\n"]
    for text in sources:
        assert loaded.parse(text) == built.parse(text)
    for bad in ["x + (\n", "def f(x):\nreturn 1\n", "x +* 2\n", "if x:\n  y = 1\n    z = 2\n"]:
        errors = []
        for p in (loaded, built):
            try:
                p.parse(bad)
                errors.append(None)
            except Exception as e:  # noqa: BLE001 - both must fail the same way
                errors.append((type(e).__name__, getattr(e, "line", None), getattr(e, "column", None)))
        assert errors[0] == errors[1] and errors[0] is not None, (bad, errors)


def test_package_reads_no_code_carrying_format() -> None:
    """No pickle, marshal or shelve, and no Lark ``cache=``, anywhere in the package."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(import|from)\s+(pickle|marshal|shelve|dill|cloudpickle)\b", text, re.M) or \
                re.search(r"\bcache\s*=", text):
            offenders.append(path.name)
    assert not offenders


class _Boom:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def _plant(folder: Path, marker: Path) -> None:
    """A malicious pickle under every name a Lark cache of adcalc's has had (and some more)."""
    boom = _Boom()
    boom.marker = marker  # type: ignore[attr-defined]
    data = pickle.dumps(boom)
    for sub in ("adcalc", "."):
        d = folder / sub
        d.mkdir(parents=True, exist_ok=True)
        for name in (f"grammar-lark{lark.__version__}.cache", "grammar-lark.cache", "adcalc.cache",
                     "lark.cache", "history", "parser.pickle"):
            (d / name).write_bytes(data)


def test_planted_pickles_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    work = tmp_path / "untrusted"
    home = tmp_path / "home"
    for folder in (work, work / "cache", home / ".cache", tmp_path / "xdg-cache", tmp_path / "xdg-state",
                   home / ".local" / "state"):
        _plant(folder, marker)
    (work / "p.ad").write_text("def f(x):\n    return x * x\n")
    # A cache file that is a symlink must never have its target overwritten either.
    target = tmp_path / "precious"
    target.write_text("keep me")
    (tmp_path / "xdg-cache" / "adcalc" / "grammar-lark-link.cache").symlink_to(target)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and not p.is_symlink()}
    runs = [
        (["eval", "p.ad", "--at", "x=1"], None),
        (["grad", "def g(x):\n    return x^3\n", "--at", "x=2"], None),
        (["run", "."], None),
        (["ir", "p.ad"], None),
        (["repl"], "def h(t):\n    return t\n\ngrad h at t=1\n"),
    ]
    for env_cache in (str(tmp_path / "xdg-cache"), "cache", ""):
        env = {**os.environ, "HOME": str(home), "XDG_STATE_HOME": str(tmp_path / "xdg-state")}
        env["XDG_CACHE_HOME"] = env_cache
        for args, stdin in runs:
            p = subprocess.run([sys.executable, "-m", "adcalc", *args], cwd=work, env=env, input=stdin,
                               capture_output=True, text=True, timeout=120)
            assert p.returncode in (0, 1), (args, p.stderr)
            assert not marker.exists(), (args, env_cache)
    assert target.read_text() == "keep me"
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and not p.is_symlink()}
    changed = [str(p) for p in set(before) | set(after)
               if before.get(p) != after.get(p) and p.name != "history"]
    assert not changed  # nothing written anywhere but the REPL's (text) history


def test_escapes_are_escaped() -> None:
    assert shown("a\x1b]0;T\x07b") == "a\\x1b]0;T\\x07b"
    assert shown("\u202eevil") == "\\u202eevil"
    for c in ("\u061c", "\u200e", "\u200f", "\u2066", "\u2069", "\u2028", "\u2029"):  # bidi marks, separators
        assert shown(f"a{c}b") == f"a\\u{ord(c):04x}b"
    assert shown("caf\udcc3\udca9.ad") == "caf\\xc3\\xa9.ad"  # undecodable bytes of a file name
    assert shown("plain ∂f/∂x — ok") == "plain ∂f/∂x — ok"
    assert shown("two\nlines", newlines=True) == "two\nlines" and shown("two\nlines") == "two\\x0alines"
    # The caret stays under the offending characters when escapes widen the line.
    ex = excerpt("y = \x1b[2J oops\n", Span(1, 10, 1, 14))
    line, carets = ex.split("\n")
    assert line == "y = \\x1b[2J oops"
    assert line[carets.index("^"):][:4] == "oops" and carets.count("^") == 4
    # On an output that cannot encode it, the user's text is escaped, not transliterated, and the
    # caret moves with it (also past a cut long line's "..." mark).
    line, carets = excerpt("x + π + y ^^", Span(1, 11, 1, 12), ascii=True).split("\n")
    assert line == "x + \\u03c0 + y ^^" and line[carets.index("^"):] == "^^" and carets.count("^") == 1
    long = "x + " * 60 + "…+* 2"
    line, carets = excerpt(long, Span(1, 243, 1, 244), ascii=True).split("\n")
    assert line.startswith("...") and line.isascii() and line[carets.index("^")] == "*"
    line, carets = excerpt(long, Span(1, 243, 1, 244)).split("\n")
    assert line.startswith("…") and line[carets.index("^")] == "*"


def _adcalc(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adcalc", *args], cwd=cwd, input=stdin and stdin.encode(),
                          capture_output=True,
                          env={**os.environ, "COLUMNS": "200"}, timeout=120)


@pytest.mark.parametrize("json_output", [False, True])
def test_terminal_escape_injection_is_shown_escaped(tmp_path: Path, json_output: bool) -> None:
    evil = "x + 1\ny = \x1b]0;HACKED\x1b\\\x1b[2J oops\n"
    (tmp_path / "evil.ad").write_text(evil)
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "evil\x1b[2J.ad").write_text(evil)
    extra = ["--json"] if json_output else []
    runs = [
        _adcalc(["eval", "evil.ad", "--at", "x=1", *extra], tmp_path),
        _adcalc(["eval", "missing\x1b[2J\x9b31m.ad", *extra], tmp_path),
        _adcalc(["run", "dir", *extra], tmp_path),
        _adcalc(["eval", "1 +\x1b[2J 2", *extra], tmp_path),
        _adcalc(["eval", "x", "--at", "x=\x1b]0;T\x07", *extra], tmp_path),
        _adcalc(["repl"], tmp_path, stdin="1 +\x1b[2J 2\n:load evil\x1b[2J.ad\n"),
        _adcalc(["eval", "x", "\x1b[2J"], tmp_path),
    ]
    for p in runs:
        assert p.returncode in (1, 2), p
        out = p.stdout + p.stderr
        for raw in (b"\x1b", b"\x07", b"\xc2\x9b", b"\x9b"):
            assert raw not in out, (raw, out)
    echoed = runs[0].stdout + runs[0].stderr if not json_output else runs[1].stdout
    assert b"\\x1b" in echoed, echoed  # the offending text is shown, escaped
    for p in runs:
        if json_output and p.stdout:
            for line in p.stdout.decode("utf-8").splitlines():
                json.loads(line)


def test_json_is_valid_utf8_for_an_undecodable_file_name(tmp_path: Path) -> None:
    name = os.fsdecode(b"\xff.ad")
    (tmp_path / name).write_text("x^2\n# @at x=3\n# @expect value = 9\n")
    p = subprocess.run([sys.executable, "-m", "adcalc", "run", name, "--json"], cwd=tmp_path, capture_output=True,
                       timeout=120)
    p.stdout.decode("utf-8")  # strict: raises on a raw 0xFF
    record = json.loads(p.stdout)
    assert record["status"] == "pass" and record["file"] == "\\xff.ad"
