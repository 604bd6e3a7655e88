"""The REPL without a terminal (``adcalc repl < session.txt`` or a pipe): plain lines in,
results out, exit status 1 if any input failed.  Blocks end at an empty line or at the next
line that starts at column 1 (other than ``elif``/``else``).  An error's position is in the
input's own lines (``1:9`` is the input's first line), never counted across the session."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TextIO

from adcalc.present import console, messages

from .session import BLOCK_START, Session


def inputs(lines: Iterable[str], session: Session) -> Iterator[str]:
    """Group physical lines into complete inputs."""
    buf: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if buf:
            in_block = bool(BLOCK_START.match(buf[0])) or buf[0].rstrip().endswith(":")
            starts_fresh = line[:1] not in ("", " ", "\t") and not line.lstrip().startswith(("elif", "else", "#"))
            if in_block and (not line.strip() or starts_fresh):
                yield "\n".join(buf) + "\n"
                buf = []
                if not line.strip():
                    continue
            else:
                buf.append(line)
                if not in_block and session.status("\n".join(buf))[0] != "incomplete":
                    yield "\n".join(buf)
                    buf = []
                continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        buf = [line]
        state, _ = session.status(line)
        if state != "incomplete":
            yield line
            buf = []
    if buf:
        yield "\n".join(buf) + "\n"


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
