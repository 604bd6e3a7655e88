"""The REPL without a terminal (``adcalc repl < session.txt`` or a pipe): plain lines in,
results out, exit status 1 if any input failed.  Each line is its own input unless it opens a
block or a bracket (``entries``): a block ends at an empty line or at the next line that starts at
column 1 (other than ``elif``/``else``), and an incomplete line (``1 +``) is reported without
swallowing the line after it.  An error's position is in the
input's own lines (``1:9`` is the input's first line), never counted across the session."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TextIO

from adcalc.present import console, messages

from .entries import group
from .session import Session


def inputs(lines: Iterable[str], session: Session | None = None) -> Iterator[str]:
    """Group physical lines into inputs (``entries.group``): each line is its own input unless
    it opens a block or a bracket; a block still open at the end of the input is run as it is."""
    for text, _complete in group(lines):
        yield text


def run_script(stream: TextIO, session: Session | None = None) -> int:
    """Run every input of ``stream``; 0 if all succeeded, 1 if any failed, 130 on Ctrl-C.  A
    BrokenPipeError (the reader of the output went away) propagates: the entry point ends quietly
    with status 141."""
    if session is None:
        session = Session(console.make_console(), console.make_console(stderr=True))
    failed = False
    bad: list[int] = []

    def decoded() -> Iterator[str]:
        """The stream's lines; a line that is not valid UTF-8 is reported (``file`` error naming
        the byte and its position) and skipped, and the session goes on."""
        raw = getattr(stream, "buffer", None)
        if raw is None:
            yield from stream
            return
        for number, line in enumerate(raw, 1):
            try:
                yield line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as e:
                bad.append(number)
                from adcalc.errors import AdcalcError, Span

                column = len(line[:e.start].decode("utf-8")) + 1  # in characters, as positions count
                error = AdcalcError("file", f"standard input line {number} is not valid UTF-8 "
                                    f"(byte 0x{line[e.start]:02x} at column {column}); the line is skipped",
                                    Span(number, column, number, column + 1), hint="send UTF-8 text")
                messages.render_error(session.err, error, None, None)  # type: ignore[arg-type]

    for text in inputs(decoded(), session):
        try:
            ok = session.execute(text)
        except KeyboardInterrupt:
            session.err.print("interrupted")  # type: ignore[union-attr]
            return 130
        failed = failed or not ok
        if session.quit:
            break
    return 1 if failed or bad else 0
