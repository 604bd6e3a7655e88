"""Reading a SOURCE argument: an expression, a program file, or standard input.

Contract: ``read_source(arg)`` returns ``(text, label, is_file)``; ``read_file(path)`` the text.
``arg`` is a file when it ends in ``.ad``, or contains a path separator and names an existing
path; ``-`` reads standard input; anything else is the source text itself.  Every way a file can be unusable (missing, a
directory, unreadable, empty, binary or NUL bytes, invalid UTF-8, larger than the input limit,
endless like ``/dev/zero``) is one clear ``AdcalcError('file')``.  A UTF-8 BOM is dropped; CR LF
and lone CR line endings read as LF.
"""

from __future__ import annotations

import os
import sys
from typing import BinaryIO

from adcalc.errors import AdcalcError, Span
from adcalc.language.parser import MAX_INPUT_BYTES


def looks_like_file(arg: str) -> bool:
    if arg.endswith(".ad"):
        return True
    return (os.sep in arg or "/" in arg) and os.path.exists(arg)


def _decode(data: bytes, label: str) -> str:
    if len(data) > MAX_INPUT_BYTES:
        raise AdcalcError("limit", f"{label} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB",
                          hint="split it into smaller files")
    if b"\x00" in data:
        offset = data.index(b"\x00")
        line = data.count(b"\n", 0, offset) + 1
        raise AdcalcError("file", f"{label} contains a NUL byte: it looks like a binary file, not adcalc source",
                          Span(line, 1, line, 2))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise AdcalcError("file", f"{label} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                          Span(line, column, line, column + 1), hint="save the file as UTF-8") from None
    if not text.strip():
        raise AdcalcError("file", f"{label} is empty", hint="write an expression or a program in it")
    return newlines(text)


def newlines(text: str) -> str:
    """Windows (CR LF) and old Mac (CR) line endings read as LF, as Python reads source files."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _read_limited(stream: BinaryIO) -> bytes:
    return stream.read(MAX_INPUT_BYTES + 1)


def read_source(arg: str, stdin: BinaryIO | None = None) -> tuple[str, str, bool]:
    """The source text for a command-line SOURCE argument, its label, and whether it is a file."""
    if arg == "-":
        if stdin is None and sys.stdin is None:
            raise AdcalcError("file", "standard input is closed, so there is nothing to read",
                              hint="pipe the source in (… | adcalc eval -) or give it as an argument")
        stream = stdin if stdin is not None else sys.stdin.buffer
        try:
            data = _read_limited(stream)
        except OSError as exc:
            raise AdcalcError("file", f"cannot read standard input: {exc.strerror or exc}") from None
        return _decode(data, "standard input"), "<stdin>", False
    if not looks_like_file(arg):
        if not arg.strip():
            raise AdcalcError("syntax", "nothing to evaluate: the expression is empty",
                              hint='give an expression such as "x^2 + 1", a .ad file, or - for standard input')
        return newlines(arg), "<expression>", False
    return read_file(arg), arg, True


def read_file(arg: str) -> str:
    """The text of a program file, or one clear ``AdcalcError('file')``."""
    try:
        if os.path.isdir(arg):
            raise AdcalcError("file", f"{arg} is a directory, not a program file",
                              hint="adcalc run DIR evaluates every .ad file in a directory")
        with open(arg, "rb") as f:
            data = _read_limited(f)
    except FileNotFoundError:
        raise AdcalcError("file", f"{arg}: no such file", hint="check the path") from None
    except PermissionError:
        raise AdcalcError("file", f"{arg}: permission denied") from None
    except OSError as exc:
        raise AdcalcError("file", f"{arg}: cannot read it ({exc.strerror or exc})") from None
    return _decode(data, arg)
