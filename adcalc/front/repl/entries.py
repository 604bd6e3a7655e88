"""Where one REPL entry ends and the next begins: the same rule for piped lines, for a paste and
for what is typed in a terminal.

Contract: ``group(lines)`` splits lines into entries.  Each line is its own entry unless it
opens a block or a bracket:
- a line that opens a block (``def``, ``if``, ``while``, ``for`` … or code ending in ``:``) takes
  the lines after it until an empty line (which ends the block and is dropped) or a line that
  starts at column 1 and is neither ``elif``/``else`` nor a comment (which starts the next entry);
- a line with an unclosed ``(`` or ``[`` takes the lines after it until the brackets close (a
  line that then ends in ``:`` opens a block, as a ``def`` header split over lines does).
A session command (``:load FILE``) is always one line.  An incomplete line such as ``1 +`` or
``x =`` is an entry of its own (its error is reported and the next line is the next entry).
Empty and comment-only lines between entries are skipped.
``group`` yields ``(text, complete)``: a block is complete once something ended it, a bracket
once it closed; the last entry may be incomplete (the terminal then waits for more lines).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

BLOCK_START = re.compile(r"^\s*(def|if|while|for|elif|else)\b")
_CONTINUATION = re.compile(r"(elif|else)\b|#")


def code(line: str) -> str:
    """A line without its comment (a ``#`` outside brackets or not: the language has no strings)."""
    return line.split("#", 1)[0]


def depth(text: str) -> int:
    """Open brackets minus closed ones in ``text`` (comments ignored)."""
    d = 0
    for ch in "\n".join(code(line) for line in text.split("\n")):
        if ch in "([":
            d += 1
        elif ch in ")]":
            d -= 1
    return d


def opens_block(text: str) -> bool:
    """Whether an entry that starts with ``text`` (its first line, or its lines so far with the
    brackets closed) opens an indented block."""
    first = text.split("\n", 1)[0]
    return bool(BLOCK_START.match(first)) or code(text).rstrip().endswith(":")


def _continues_block(line: str) -> bool:
    """Whether ``line``, after a block's lines, is still part of the block: indented, or
    ``elif``/``else``, or a comment.  (An empty line ends the block: see ``group``.)"""
    return line[:1] in (" ", "\t", "\f") or bool(_CONTINUATION.match(line))


def group(lines: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """The entries of ``lines`` (line endings dropped) and whether each is complete."""
    buf: list[str] = []
    block = False
    for raw in lines:
        line = raw.rstrip("\r\n")
        if buf and block:
            if not line.strip() and not line.startswith("\f"):
                yield "\n".join(buf) + "\n", True
                buf, block = [], False
                continue
            if _continues_block(line):
                buf.append(line)
                continue
            yield "\n".join(buf) + "\n", True
            buf, block = [], False
        elif buf:  # inside brackets
            buf.append(line)
            text = "\n".join(buf)
            if depth(text) <= 0:
                if opens_block(text):
                    block = True
                else:
                    yield text, True
                    buf = []
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        buf = [line]
        if line.lstrip().startswith(":"):  # a session command (:load FILE) is one line, brackets or not
            yield line, True
            buf = []
            continue
        if depth(line) > 0:
            continue
        if opens_block(line):
            block = True
            continue
        yield line, True
        buf = []
    if buf:
        yield "\n".join(buf) + ("\n" if block else ""), False
