"""Reading a SOURCE argument: an expression, a program file, or standard input.

Contract: ``read_source(arg)`` returns ``(text, label, is_file)``; ``read_file(path)`` the text.
``arg`` is a file when it ends in ``.ad``, or contains a path separator and names an existing
path; ``-`` reads standard input; anything else is the source text itself.  Every way a file can be unusable (missing, a
directory, unreadable, empty, binary or NUL bytes, invalid UTF-8, larger than the input limit,
endless like ``/dev/zero``) is one clear ``AdcalcError('file')``.  A UTF-8 BOM is dropped; CR LF
and lone CR line endings read as LF.
"""

from __future__ import annotations

import codecs
import os
import sys

from adcalc.errors import AdcalcError, Span

TYPE_CHECKING = False  # typing itself is not imported: the one-shot command reads looks_like_file
if TYPE_CHECKING:
    from typing import BinaryIO

MAX_INPUT_BYTES = 8 * 1024 * 1024  # a source larger than this is refused (files, standard input, text)


def looks_like_file(arg: str) -> bool:
    if arg.endswith(".ad"):
        return True
    return (os.sep in arg or "/" in arg) and os.path.exists(arg)


def _decode(data: bytes, label: str) -> str:
    if len(data) > MAX_INPUT_BYTES:
        raise AdcalcError("limit", f"{label} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB",
                          hint="split it into smaller files")
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if b"\x00" in data:
        line, column = _place(data, data.index(b"\x00"), bom)
        raise AdcalcError("file", f"{label} contains a NUL byte: it looks like a binary file, not adcalc source",
                          Span(line, column, line, column + 1))
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start  # in the file (the decoder's offsets start after the BOM)
        line, column = _place(data, offset, bom)
        raise AdcalcError("file", f"{label} is not valid UTF-8 (byte 0x{data[offset]:02x} at offset {offset})",
                          Span(line, column, line, column + 1), hint="save the file as UTF-8") from None
    if not text.strip():
        raise AdcalcError("file", f"{label} is empty", hint="write an expression or a program in it")
    return newlines(text)


def _place(data: bytes, offset: int, bom: int) -> tuple[int, int]:
    """The line and column of byte ``offset`` as positions count in the text: lines end at LF (or
    CR LF, or a lone CR: see ``newlines``), columns count characters, and the BOM is not one."""
    head = data[bom:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    start = head.rfind(b"\n") + 1
    return head.count(b"\n") + 1, len(head[start:].decode("utf-8", "replace")) + 1


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
