"""The language's reserved words, written once: the keywords of the grammar
(``adcalc/grammar/adcalc.lark``; ``tests/test_commands.py`` checks the two agree) and ``range``,
the one built-in that is syntax (``for i in range(…)``) rather than a function.

Read by the one-shot fast path (a keyword means a program: leave it to the grammar), and by the
REPL's highlighting and completion.
"""

from __future__ import annotations

KEYWORDS = frozenset({"def", "return", "if", "elif", "else", "while", "for", "in", "and", "or", "not", "pass",
                      "break", "continue"})
RESERVED = frozenset({"range"})

__all__ = ["KEYWORDS", "RESERVED"]
