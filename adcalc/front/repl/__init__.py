"""The interactive calculator: ``session`` (state and commands, testable without a terminal)
and ``app`` (the thin prompt_toolkit shell); ``main`` picks the terminal or the script mode."""

from __future__ import annotations

import sys
from typing import TextIO

CLOSED_STDIN = "standard input is closed: nothing to read"


def main(stdin: TextIO | None = None) -> int:
    """Start the REPL on a terminal, or run standard input as a script when it is not one.
    With standard input closed (``adcalc <&-``) there is nothing to read: say so, exit 1."""
    stream = stdin if stdin is not None else sys.stdin
    if stream is None or stream.closed:
        from adcalc.errors import AdcalcError
        from adcalc.present import console, messages

        error = AdcalcError("file", CLOSED_STDIN, hint="run adcalc in a terminal, or pipe a session in: "
                                                       "adcalc repl < session.txt")
        messages.render_error(console.make_console(stderr=True), error, None, None)
        return 1
    if _isatty(stream) and _isatty(sys.stdout):
        from .app import run_interactive

        return run_interactive()
    from .script import run_script

    return run_script(stream)


def _isatty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):
        return False
