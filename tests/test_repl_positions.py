"""Reviewers' findings on the REPL's and the parser's positions and number checks, through the
real entry points (``python -m adcalc repl`` fed by a pipe, ``python -m adcalc eval``):

- a bad ``:digits`` or ``order`` value is a clear error (never an internal error), and ``order``
  takes a whole number from 1 to 100 as the command line and the API do (``2.7`` is an error);
- lines are counted at ``\\n`` only, as the grammar counts them: a form feed, vertical tab, U+2028
  … in a comment neither splits a definition block nor moves an error's line;
- ``unexpected indentation`` points at the indented line, not at the line before;
- carets fall under the offending text itself (the right parameter, no leading space);
- a file that cannot be decoded is reported at the character (not byte) column.
Every error is ``line:column`` in the user's own text, and the session goes on after it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

OK_LINE = "40 + 2\n"  # a later input that must still work: prints 42


def repl(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    """``python -m adcalc repl`` in ``tmp_path`` with ``script`` on standard input."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "adcalc", "repl"], input=script, capture_output=True, text=True,
                          encoding="utf-8", timeout=120, cwd=tmp_path, env=env)


def adcalc(tmp_path: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """``python -m adcalc ARGS`` in ``tmp_path`` (bytes in and out)."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "adcalc", *args], input=stdin, capture_output=True, timeout=120,
                          cwd=tmp_path, env=env)


def clean(p: subprocess.CompletedProcess) -> str:
    err = p.stderr if isinstance(p.stderr, str) else p.stderr.decode()
    assert "Traceback" not in err and "internal error" not in err, err
    return err


# ---- 1. values that crashed or were silently truncated ----------------------------------------------

def test_digits_that_are_not_ascii_digits_are_a_usage_error(tmp_path: Path) -> None:
    p = repl(tmp_path, ":digits ²\n:digits ٣\n:digits 99999999999999999999999999\n:digits 0\n:digits 05\n:digits\n"
             + OK_LINE)
    err = clean(p)
    assert p.returncode == 1
    assert err.count("error (usage): :digits takes a whole number from 1 to 17\n") == 4
    assert p.stdout.split("\n")[:3] == ["digits = 5", "digits = 5", "42"]


def test_a_deriv_order_that_is_not_a_whole_number_from_1_to_100_is_an_error_at_its_text(tmp_path: Path) -> None:
    lines = ["deriv f at x=1 wrt x order inf", "deriv f at x=1 wrt x order nan", "deriv f at x=1 wrt x order 2.7",
             "deriv f at x=1 wrt x order 1e300", "deriv f at x=1 wrt x order two", "deriv f at x=1 wrt x order 0"]
    p = repl(tmp_path, "f(x) = x^3\n" + "\n".join(lines) + "\nderiv f at x=1 wrt x order 2\n")
    err = clean(p)
    assert p.returncode == 1
    for line in lines:
        value = line.rsplit(" ", 1)[1]
        caret = " " * 29 + "^" * len(value)
        assert (f"error (input) at 1:28: order must be a whole number from 1 to 100, not {value}\n"
                f"  {line}\n{caret}\nhint: e.g. order 3\n") in err
    rows = [r.split() for r in p.stdout.splitlines()]
    assert ["1", "3"] in rows and ["2", "6"] in rows  # the last line still ran: f' = 3, f'' = 6 at x = 1


def test_a_deriv_order_clause_without_a_value_points_at_the_word(tmp_path: Path) -> None:
    p = repl(tmp_path, "f(x) = x^2\nderiv f at x=1 wrt x order\n" + OK_LINE)
    err = clean(p)
    assert p.returncode == 1 and p.stdout.endswith("42\n")
    assert "error (input) at 1:22: `order` needs a whole number from 1 to 100\n" \
           "  deriv f at x=1 wrt x order\n                       ^^^^^\n" in err


# ---- 2. lines end at "\n" only -------------------------------------------------------------------------

SEPARATORS = "\f\v\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines() also splits at


def test_load_a_file_with_line_separators_in_comments(tmp_path: Path) -> None:
    source = f"def g(x):\n    return x * 2  # a{SEPARATORS}b\n\ndef h(t):\n    return g(t) + 1\n"
    (tmp_path / "ff.ad").write_text(source, encoding="utf-8")
    p = repl(tmp_path, ":load ff.ad\n1+1\ng(3)\nh(3)\n")
    assert clean(p) == "" and p.returncode == 0
    assert p.stdout.split("\n")[:4] == ["loaded g, h from ff.ad", "2", "6", "7"]


def test_a_def_block_with_a_form_feed_in_a_comment_is_one_block(tmp_path: Path) -> None:
    block = "def g(x):\n    # page\fbreak\n    return x + 1\n"
    p = repl(tmp_path, block + "\ng(2)\n")
    assert clean(p) == "" and p.returncode == 0
    assert p.stdout.split("\n")[:2] == ["defined g(x)", "3"]
    (tmp_path / "g.ad").write_text(block + "\ng(2)\n", encoding="utf-8")
    e = adcalc(tmp_path, "eval", "g.ad")
    assert e.returncode == 0 and e.stdout.decode().startswith("f() = 3")  # as the command line takes it


def test_a_form_feed_in_a_comment_does_not_move_the_error_to_the_next_line(tmp_path: Path) -> None:
    p = adcalc(tmp_path, "eval", "1 # \f\n2 *")
    err = clean(p)
    assert p.returncode == 1
    assert err.startswith("error (syntax) at 2:4: the line ended too early;") and "\n  2 *\n     ^\n" in err


# ---- 3. unexpected indentation -------------------------------------------------------------------------

def test_unexpected_indentation_points_at_the_indented_line(tmp_path: Path) -> None:
    (tmp_path / "i.ad").write_text("x = 1 # c\n\n\n    y = 2\n", encoding="utf-8")
    p = adcalc(tmp_path, "eval", "i.ad")
    err = clean(p)
    assert p.returncode == 1
    assert err.startswith("error (syntax) at i.ad:4:1: unexpected indentation;") and "\n      y = 2\n  ^^^^\n" in err


def test_unexpected_indentation_in_a_loaded_file_points_into_the_file(tmp_path: Path) -> None:
    (tmp_path / "lib.ad").write_text("def g(x):\n    return x  # done\n\n\n        y = 2\n", encoding="utf-8")
    p = repl(tmp_path, ":load lib.ad\n" + OK_LINE)
    err = clean(p)
    assert p.returncode == 1 and p.stdout == "42\n"
    assert err.startswith("error (syntax) at lib.ad:5:1: unexpected indentation;")
    assert "\n          y = 2\n  ^^^^^^^^\n" in err


# ---- 4. carets under the offending text ----------------------------------------------------------------

def test_a_bad_parameter_is_pointed_at_where_it_is(tmp_path: Path) -> None:
    p = repl(tmp_path, "f(a1, 1) = 2\nf(b, c d, 2) = 1\n" + OK_LINE)
    err = clean(p)
    assert p.returncode == 1 and p.stdout == "42\n"
    assert "error (syntax) at 1:7: '1' is not a parameter name\n  f(a1, 1) = 2\n        ^\n" in err
    assert "error (syntax) at 1:6: 'c d' is not a parameter name\n  f(b, c d, 2) = 1\n       ^^^\n" in err


def test_bindings_errors_point_at_the_item_not_the_space_before_it(tmp_path: Path) -> None:
    p = repl(tmp_path, "f(x) = x^2\ngrad f at x=1, zz\njvp f at x=1 dir   q\ngrad f at x=1,   x=2\ngrad f at x=3\n")
    err = clean(p)
    assert p.returncode == 1
    assert "error (input) at 1:16: at: 'zz' is not NAME=VALUE\n  grad f at x=1, zz\n                 ^^\n" in err
    assert "error (input) at 1:20: dir: 'q' is not NAME=VALUE\n  jvp f at x=1 dir   q\n                     ^\n" in err
    assert "error (input) at 1:18: at: 'x' is given twice\n  grad f at x=1,   x=2\n                   ^^^\n" in err
    assert "f(x=3) = 9\n" in p.stdout and ["x", "3", "6"] in [r.split() for r in p.stdout.split("\n")]  # it goes on


# ---- files that cannot be decoded: the character column -----------------------------------------------

def test_undecodable_bytes_are_reported_at_the_character_column(tmp_path: Path) -> None:
    (tmp_path / "u.ad").write_bytes(b"x = 1 # caf\xc3\xa9 \xff\n")  # é is 2 bytes, 1 character
    (tmp_path / "bom.ad").write_bytes(b"\xef\xbb\xbfx = 1 # \xff\n")
    (tmp_path / "nul.ad").write_bytes("x = 1 # π\x00\n".encode())
    u, bom, nul = (adcalc(tmp_path, "eval", name) for name in ("u.ad", "bom.ad", "nul.ad"))
    assert (u.returncode, bom.returncode, nul.returncode) == (1, 1, 1)
    assert "1:14: u.ad is not valid UTF-8 (byte 0xff at offset 14)\n" in clean(u)
    assert "1:9: bom.ad is not valid UTF-8 (byte 0xff at offset 11)\n" in clean(bom)  # the BOM is no character
    assert "1:10: nul.ad contains a NUL byte" in clean(nul)
    p = repl(tmp_path, ":load u.ad\n" + OK_LINE)
    assert "error (file) at u.ad:1:14: u.ad is not valid UTF-8" in clean(p) and p.stdout == "42\n"


def test_a_line_of_only_a_form_feed_inside_a_block_keeps_the_block(tmp_path: Path) -> None:
    # A form feed is white space (a page break in a source file); a line holding only one, or one
    # before the indentation, must neither end the block nor count as indentation (as in CPython).
    (tmp_path / "pages.ad").write_text("def g(a):\n    b = 2 * a\n\f\n    # page two\n\f    return b + 1\n"
                                       "return g(x)\n")
    p = adcalc(tmp_path, "grad", "pages.ad", "--at", "x=3")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().startswith("f(x=3) = 7\n") and ["x", "3", "2"] in [
        r.split() for r in p.stdout.decode().split("\n")]
    (tmp_path / "lib.ad").write_text("def g(a):\n    b = 2 * a\n\f\n    # page two\n\f    return b + 1\n")
    r = repl(tmp_path, ":load lib.ad\ng(5)\n")
    assert clean(r) == "" and r.stdout.split("\n")[:2] == ["loaded g from lib.ad", "11"]


def test_a_piped_repl_line_that_is_not_utf8_is_reported_at_its_character_column(tmp_path: Path) -> None:
    p = adcalc(tmp_path, "repl", stdin=b"1+1\ncaf\xc3\xa9 \xff\n2+2\n")  # caf\u00e9, then a stray byte
    err = clean(p)
    assert p.stdout == b"2\n4\n" and p.returncode == 1
    assert "error (file) at 2:6: standard input line 2 is not valid UTF-8 (byte 0xff at column 6)" in err


def test_a_non_ascii_character_is_named_by_its_code_point(tmp_path: Path) -> None:
    # on an ASCII-only output the notation degrades ('π' reads 'pi'): the code point stays exact
    for env_encoding, quoted in (("utf-8", "'π'"), ("ascii", "'pi'")):
        p = subprocess.run([sys.executable, "-m", "adcalc", "eval", "x + π", "--at", "x=1"], capture_output=True,
                           cwd=tmp_path, timeout=60, env={**os.environ, "PYTHONIOENCODING": env_encoding})
        err = p.stderr.decode(env_encoding)
        assert p.returncode == 1 and err.startswith(f"error (syntax) at 1:5: unexpected character {quoted} (U+03C0)")
        assert ("  x + π\n      ^\n" if env_encoding == "utf-8" else "  x + \\u03c0\n      ^^^^^^\n") in err
