"""The interactive calculator: ``session`` (state and commands, testable without a terminal)
and ``app`` (the thin prompt_toolkit shell); ``main`` picks the terminal or the script mode."""

from __future__ import annotations

import sys


def main(stdin=None) -> int:  # type: ignore[no-untyped-def]
    """Start the REPL on a terminal, or run standard input as a script when it is not one."""
    stream = stdin if stdin is not None else sys.stdin
    if stream.isatty() and sys.stdout.isatty():
        from .app import run_interactive

        return run_interactive()
    from .script import run_script

    return run_script(stream)
