"""The language's reserved words, written once: the keywords of the grammar
(``adcalc/grammar/adcalc.lark``; ``tests/test_commands.py`` checks the two agree), ``range``,
the one built-in that is syntax (``for i in range(…)``) rather than a function, and
``PYTHON_KEYWORDS``: every keyword of Python, none of which is ever a name (the grammar's NAME
excludes them, ``--at`` refuses them; ``True`` and ``False`` are the language's constants 1 and 0).

Read by the one-shot fast path (a keyword means a program: leave it to the grammar), by the
bindings of ``--at``, and by the REPL's highlighting and completion.
"""

from __future__ import annotations

KEYWORDS = frozenset({"def", "return", "if", "elif", "else", "while", "for", "in", "and", "or", "not", "pass",
                      "break", "continue"})
RESERVED = frozenset({"range"})
PYTHON_KEYWORDS = frozenset({
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield"})

__all__ = ["KEYWORDS", "PYTHON_KEYWORDS", "RESERVED"]
