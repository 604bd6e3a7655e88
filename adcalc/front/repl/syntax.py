"""The REPL's input syntax, without a session: what kind of input a text is, where its clauses
are, and which words it reserves.

Contract:
- ``input_status(text, commands)`` says whether an input is ``complete``, ``incomplete`` (a block
  or bracket is open) or has a syntax ``error`` (with its position in ``text``).
- ``clause_ranges`` / ``split_clauses`` split ``grad f at x=1, y=2 dir x=1`` into the target and
  its clauses; the clause words are the registry's (``Registry.clause_words``), and a clause word
  inside brackets belongs to the target.
- ``name_problem`` says why a word cannot name a variable, function or parameter: the registry's
  REPL commands and clause words are reserved, and a variable cannot be a constant or a built-in.
Positions are offsets into the text given (``span`` turns them into line:column).
"""

from __future__ import annotations

import re
from functools import lru_cache

from adcalc.errors import AdcalcError, Span
from adcalc.front.commands import REGISTRY, Registry
from adcalc.language.parser import parse
from adcalc.rules.registry import BUILTIN_NAMES as FUNCTIONS
from adcalc.rules.registry import CONSTANTS

from .entries import code, depth, opens_block
from .layout import line_column

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
ONE_LINE_DEF = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(([^()]*)\)\s*=(?!=)(.*)$", re.S)
ASSIGN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)(.*)$", re.S)
DEF_HEADER = re.compile(r"\s*def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)")


def input_status(text: str, commands: Registry = REGISTRY) -> tuple[str, AdcalcError | None]:
    """``complete``, ``incomplete`` (an open block or bracket) or ``error``.  Only an open block or
    bracket is incomplete: ``1 +`` and ``x =`` are errors (each line is its own entry)."""
    stripped = text.strip()
    if not stripped or stripped.startswith(":"):
        return "complete", None
    if depth(text) > 0:
        return "incomplete", None
    lines = text.split("\n")
    if opens_block(text):
        if not (len(lines) > 1 and lines[-1].strip() == ""):
            return "incomplete", None  # a block ends with an empty line
    word = stripped.split(None, 1)[0]
    if (m := ASSIGN.match(text)) and not code(m.group(2)).strip() and word not in commands.repl_names:
        return "error", empty_assignment(text, m)
    if word in commands.repl_names or ONE_LINE_DEF.match(text) or ASSIGN.match(text):
        return "complete", None  # checked when run
    try:
        parse(stripped)  # syntax only: names are resolved (with the session's definitions) when run
    except AdcalcError as e:
        return "error", _shifted(e, text[:len(text) - len(text.lstrip())])
    return "complete", None


def empty_assignment(text: str, m: re.Match[str]) -> AdcalcError:
    """``x =`` with nothing on the right: an incomplete assignment, at the ``=``."""
    name, equals = m.group(1), m.start(2) - 1
    return AdcalcError("syntax", f"incomplete assignment: nothing after '=' to give {name}",
                       span(text, equals, equals + 1), hint=f"give it a value, e.g. {name} = 2")


def entry_text(text: str) -> str:
    """An input as positions count in it: leading empty lines and trailing white space dropped."""
    lines = text.rstrip().split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def _shifted(e: AdcalcError, lead: str) -> AdcalcError:
    """``e``, found in a text without its leading white space ``lead``, with its span in the
    whole text."""
    if e.span is None or not lead:
        return e
    lines, column = lead.count("\n"), len(lead) - (lead.rfind("\n") + 1)
    line, col, end_line, end_col = e.span
    span = Span(line + lines, col + (column if line == 1 else 0), end_line + lines,
                end_col + (column if end_line == 1 else 0))
    return AdcalcError(e.kind, e.message, span, e.hint)


def span(text: str, start: int, end: int) -> Span:
    """The span of ``text[start:end]`` (at least one character)."""
    line, column = line_column(text, start)
    end_line, end_column = line_column(text, max(end, start + 1))
    return Span(line, column, end_line, end_column)


def name_problem(name: str, what: str, commands: Registry = REGISTRY) -> tuple[str, str | None] | None:
    """Why ``name`` cannot name a new variable / function / parameter (message, hint), or None."""
    names, clauses = commands.repl_names, commands.clause_words
    if name in names or name in clauses:
        why = (f"one of the REPL's commands ({', '.join(names)})" if name in names
               else f"a clause word of the REPL's commands ({', '.join(clauses)}: grad f at x=1)")
        return f"'{name}' cannot name a {what}: it is {why}", f"choose another name, such as {name}_ or {name}1"
    if what != "variable":
        return None
    if name in CONSTANTS:
        return f"'{name}' is a constant and cannot be assigned", None
    if name in FUNCTIONS:
        return f"'{name}' is a built-in function; choose another variable name", None
    return None


def top_level_ranges(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The ranges of ``text[start:end]`` between commas that are not inside brackets."""
    items, depth, item = [], 0, start
    for i in range(start, end):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append((item, i))
            item = i + 1
    items.append((item, end))
    return [r for r in items if text[r[0]:r[1]].strip()] or [(start, end)]


@lru_cache(maxsize=8)
def _clause_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """Brackets and the clause words: a word (``at``) as a whole word, an option-like clause
    (``-o``, graph's output file) only between blanks."""
    dashed = [re.escape(w) for w in words if w.startswith("-")]
    plain = r"\b(" + "|".join(re.escape(w) for w in words if not w.startswith("-")) + r")\b"
    return re.compile(r"[()\[\]]|" + plain + (r"|(?<!\S)(" + "|".join(dashed) + r")(?!\S)" if dashed else ""))


def clause_ranges(text: str, start: int = 0, words: tuple[str, ...] = REGISTRY.clause_words
                  ) -> tuple[tuple[int, int], dict[str, tuple[int, int]]]:
    """The target and clauses of ``text[start:]`` as ranges of ``text``: in ``grad f at x=1, y=2
    dir x=1`` (start after ``grad``), the range of ``f`` and {"at": range of ``x=1, y=2``, "dir":
    …}.  Clause words (``words``) inside brackets are part of the target."""
    parts: list[tuple[str, int, int]] = []
    depth = 0
    for m in _clause_pattern(words).finditer(text[start:]):
        tok = m.group(0)
        if tok in "([":
            depth += 1
        elif tok in ")]":
            depth -= 1
        elif depth == 0:
            parts.append((tok, start + m.start(), start + m.end()))
    if not parts:
        return (start, len(text)), {}
    clauses: dict[str, tuple[int, int]] = {}
    for i, (word, _, end) in enumerate(parts):
        stop = parts[i + 1][1] if i + 1 < len(parts) else len(text)
        if word in clauses:
            raise AdcalcError("usage", f"`{word}` is given twice")
        clauses[word] = (end, stop)
    return (start, parts[0][1]), clauses


def split_clauses(rest: str, words: tuple[str, ...] = REGISTRY.clause_words) -> tuple[str, dict[str, str]]:
    """``f at x=1, y=2 dir x=1`` → (``f``, {"at": "x=1, y=2", "dir": "x=1"}); clause words
    inside brackets are part of the target."""
    (start, end), ranges = clause_ranges(rest, 0, words)
    return rest[start:end].strip(), {word: rest[s:e].strip() for word, (s, e) in ranges.items()}
