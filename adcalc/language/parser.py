"""Text → Lark parse tree, with every failure turned into an ``AdcalcError``.

Contract:
- ``parse(text)`` returns the Lark tree of the whole source (start rule ``start``), with
  positions on every node (``propagate_positions``).  It raises ``AdcalcError('syntax', ...)``
  with the span of the offending token and what was expected there, or
  ``AdcalcError('limit', ...)`` for input larger than ``MAX_INPUT_BYTES``.
- The grammar is read from the installed package data ``adcalc.grammar/adcalc.lark``; its LALR
  tables from ``adcalc.grammar/adcalc.tables.json`` (plain JSON, stamped with the grammar's hash;
  built in memory instead when stale).  Nothing is kept on disk between runs, and nothing that
  can carry code is ever read.
- ``parse`` is safe to call from many threads at once and re-entrantly (a signal handler).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.indenter import Indenter as _LarkIndenter

from adcalc.errors import AdcalcError, Span
from adcalc.language.keywords import KEYWORDS, PYTHON_KEYWORDS
from adcalc.language.sources import MAX_INPUT_BYTES

MAX_INDENT_LEVELS = 100

# What a person calls each terminal, for "expected ..." messages.
_TOKEN_NAMES = {
    "NUMBER": "a number",
    "NAME": "a name",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "COLON": "':'",
    "EQUAL": "'='",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*', '/', '//', '%' or '@'",
    "POW_OP": "'^'",
    "COMP_OP": "a comparison",
    "AUGOP": "'+=', '-=', '*=', '/=', '//=' or '%='",
    "STRING": "a docstring",
    "_NL": "the end of the line",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the block",
    "$END": "the end of the input",
}


def grammar_path() -> Path:
    """Where the installed package keeps the grammar (the package data ``adcalc.grammar``)."""
    from adcalc import grammar

    return Path(grammar.__file__).with_name("adcalc.lark")


def grammar_text() -> str:
    """The grammar, as shipped inside the installed package."""
    return grammar_path().read_text(encoding="utf-8")


class Indenter(_LarkIndenter):
    """Python-style INDENT/DEDENT tokens; bad indentation is a syntax error, not an assert."""

    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB"]
    CLOSE_PAREN_types = ["RPAR", "RSQB"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        """INDENT/DEDENT tokens for one parse.  The state (bracket depth, open indentation
        levels) lives in this generator, never on the shared object: parses in several threads,
        or one started by a signal handler in the middle of another, cannot disturb each other."""
        paren_level = 0
        levels = [0]
        token = None
        for token in stream:
            if token.type == self.NL_type:
                if paren_level == 0:
                    yield token
                    yield from self._indentation(token, levels)
            else:
                yield token
            if token.type in self.OPEN_PAREN_types:
                paren_level += 1
            elif token.type in self.CLOSE_PAREN_types and paren_level > 0:
                paren_level -= 1  # an unmatched ')' is left for the parser to report
        while len(levels) > 1:
            levels.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, "", token) if token else Token(
                self.DEDENT_type, "", 0, 1, 1, 1, 1, 0
            )

    def _indentation(self, token: Token, levels: list[int]) -> Iterator[Token]:
        indent_str = token.rsplit("\n", 1)[1].rsplit("\f", 1)[-1]  # a form feed resets the column, as in CPython
        indent = indent_str.count(" ") + indent_str.count("\t") * self.tab_len
        line = token.end_line or token.line
        if indent > levels[-1]:
            if len(levels) > MAX_INDENT_LEVELS:
                raise AdcalcError(
                    "limit",
                    f"blocks are nested more than {MAX_INDENT_LEVELS} levels deep",
                    Span(line, 1, line, indent + 1),
                )
            levels.append(indent)
            yield Token.new_borrow_pos(self.INDENT_type, indent_str, token)
            return
        while indent < levels[-1]:
            levels.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, indent_str, token)
        if indent != levels[-1]:
            raise AdcalcError(
                "syntax",
                "this line's indentation matches no enclosing block",
                Span(line, 1, line, indent + 1),
                hint=f"indent it to column {levels[-1] + 1} or match an outer block",
            )


TABLES_FILE = "adcalc.tables.json"


def _encode(o: object) -> object:
    """Lark's serialized parser as plain JSON: dicts with non-string keys and tuples are tagged."""
    if isinstance(o, dict):
        if all(type(k) is str for k in o):
            return {k: _encode(v) for k, v in o.items()}
        return {"~d": [[_encode(k), _encode(v)] for k, v in o.items()]}
    if isinstance(o, tuple):
        return {"~t": [_encode(x) for x in o]}
    if isinstance(o, list):
        return [_encode(x) for x in o]
    if o is None or type(o) in (str, int, float, bool):
        return o
    raise TypeError(f"cannot store {type(o).__name__} in the parser tables")


def _decode(o: object) -> object:
    if isinstance(o, dict):
        if "~d" in o:
            return {_decode(k): _decode(v) for k, v in o["~d"]}
        if "~t" in o:
            return tuple(_decode(x) for x in o["~t"])
        return {k: _decode(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_decode(x) for x in o]
    return o


def _grammar_digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _build() -> Lark:
    return Lark(grammar_text(), parser="lalr", postlex=Indenter(), propagate_positions=True,
                maybe_placeholders=False)


def serialize_tables() -> str:
    """The LALR tables of the shipped grammar as JSON (plain data that cannot carry code), stamped
    with the grammar's SHA-256 and Lark's version.  ``python -m adcalc.language.parser`` rewrites the
    shipped file after a grammar change (a test fails until it is current)."""
    import json

    import lark
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = _build().memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k != "postlex"}
    stamp = {"grammar_sha256": _grammar_digest(grammar_text()), "lark": lark.__version__}
    return json.dumps({"stamp": stamp, "tables": _encode({"data": data, "memo": memo})},
                      separators=(",", ":"), sort_keys=True) + "\n"


def _load_tables() -> Lark | None:
    """The parser from the shipped tables, or None when they do not match this grammar and this
    Lark (then the caller builds the tables in memory).  Only the installed package's own file is
    read — never a file in a cache folder or anything else a user, another user or a downloaded folder can write —
    and it is JSON: reading it cannot run code."""
    import json

    import lark

    try:
        stored = json.loads(grammar_path().with_name(TABLES_FILE).read_text(encoding="utf-8"))
        stamp = stored["stamp"]
        if stamp != {"grammar_sha256": _grammar_digest(grammar_text()), "lark": lark.__version__}:
            return None
        tables = _decode(stored["tables"])
        return Lark._load_from_dict(tables["data"], tables["memo"], postlex=Indenter())  # type: ignore
    except (OSError, ValueError, KeyError, TypeError):
        return None


_PARSER: list[Lark] = []


def get_parser() -> Lark:
    """The process-wide LALR parser, from the shipped tables (or built in memory when they are
    stale).  Safe to share between threads and re-entrant: the post-lexer keeps its indentation
    state in each call's own generator, and Lark's parser keeps its state per call."""
    if not _PARSER:
        _PARSER.append(_load_tables() or _build())
    return _PARSER[0]


def _describe(expected: set[str] | frozenset[str], parser: Lark) -> str:
    names = []
    for name in sorted(expected):
        if name in _TOKEN_NAMES:
            names.append(_TOKEN_NAMES[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
            names.append(f"'{pattern.value}'" if pattern.type == "str" else name.lower())
        except KeyError:
            names.append(name.lower())
    names = sorted(set(names))
    if len(names) > 6:
        names = names[:6] + ["…"]
    return ", ".join(names)


def _token_text(token: Token) -> str:
    if token.type == "$END":
        return "the end of the input"
    if token.type == "_NL":
        return "the end of the line"
    if token.type == "_INDENT":
        return "an indented line"
    if token.type == "_DEDENT":
        return "the end of the block"
    text = str(token)
    if len(text) > 20:
        text = text[:20] + "…"
    return f"'{text}'"


def _token_span(token: Token, text: str) -> Span:
    line = token.line or 1
    column = token.column or 1
    if token.type == "_INDENT":
        # The indentation itself: the end of the newline token (which starts on an earlier line,
        # at the end of the line before, or at a comment, and spans any blank lines between).
        line = token.end_line or line
        return Span(line, 1, line, max(token.end_column or 1, 2))
    if token.type in ("_NL", "_DEDENT", "$END"):
        # Point just past the last character of the line the statement was on.  Lines end at
        # "\n" only, as the grammar counts them (a form feed is white space, not a line break).
        lines = text.split("\n")
        if token.type == "$END" or line > len(lines):
            line = len(lines)
            while line > 1 and not lines[line - 1].strip():
                line -= 1
        column = len(lines[line - 1].rstrip()) + 1 if token.type in ("_NL", "$END") else column
        return Span(line, column, line, column + 1)
    end_line = token.end_line or line
    end_column = token.end_column or column + max(len(token), 1)
    return Span(line, column, end_line, end_column)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STATEMENT_TOKENS = ("AUGOP", "EQUAL")  # only after a name or x[…] at the start of a statement
# what may stand before '=': a target (x, x[i]), a keyword argument's name (f(a, axis), or a, b
_TARGET_SO_FAR = re.compile(r"[A-Za-z_]\w*(\[.*\])?|.*[(,]\s*[A-Za-z_]\w*")


def _keyword_at(text: str, pos: int) -> str | None:
    """The Python keyword starting at ``pos`` (as a whole word), if any."""
    if pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_"):
        return None
    m = _WORD.match(text, pos)
    return m.group() if m and m.group() in PYTHON_KEYWORDS else None


def _in_expression(token: Token, text: str) -> bool:
    """Whether the statement before ``token`` can no longer be an assignment's target: then '='
    and '+=' are not offered (``2x`` expects an operator, not '+=')."""
    pos = token.start_pos if token.start_pos is not None else len(text)
    before = text[text.rfind("\n", 0, pos) + 1:pos].strip()
    return not _TARGET_SO_FAR.fullmatch(before)


def _syntax_error(exc: UnexpectedInput, text: str, parser: Lark) -> AdcalcError:
    if isinstance(exc, UnexpectedCharacters) and _keyword_at(text, exc.pos_in_stream):
        word = _keyword_at(text, exc.pos_in_stream)
        return AdcalcError(
            "syntax",
            f"'{word}' is a Python keyword that adcalc does not have; a keyword is never a name",
            Span(exc.line, exc.column, exc.line, exc.column + len(word)),
            hint="adcalc has no None: use a number" if word == "None" else "choose another name")
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if 0 <= exc.pos_in_stream < len(text) else "?"
        shown = repr(char) if char.isprintable() and char != " " else f"U+{ord(char):04X}"
        if char.isprintable() and not char.isascii():  # named too: an ASCII-only output shows 'π' as 'pi'
            shown += f" (U+{ord(char):04X})"
        hint = None
        if char in "\"'":
            hint = "adcalc has no strings"
        elif char == ".":
            hint = "adcalc has no attribute access"
        elif text.startswith("__", exc.pos_in_stream):
            hint = "names cannot start with two underscores"
        elif not char.isascii():
            hint = "only ASCII letters, digits and operators are allowed"
        return AdcalcError(
            "syntax",
            f"unexpected character {shown}",
            Span(exc.line, exc.column, exc.line, exc.column + 1),
            hint=hint,
        )
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        expected = set(exc.accepts or exc.expected)
        if _in_expression(token, text) and expected - set(_STATEMENT_TOKENS):
            expected -= set(_STATEMENT_TOKENS)
        at_end = token.type in ("$END",) or (token.type in ("_DEDENT", "_NL") and _only_blank_after(token, text))
        what = {"$END": "the input ended too early", "_NL": "the line ended too early",
                "_DEDENT": "the block ended too early", "_INDENT": "unexpected indentation"}.get(
            token.type, f"unexpected {_token_text(token)}")
        hint = None
        if token.type == "STRING":
            return AdcalcError("syntax", "adcalc has no strings: a string can only be a docstring",
                               _token_span(token, text),
                               hint="a docstring is the first statement of a def or of a file; use # for comments")
        if str(token) in KEYWORDS and "NAME" in expected:  # where a name could stand
            hint = f"'{token}' is a keyword, never a name"
        err = AdcalcError("syntax", f"{what}; expected {_describe(expected, parser)}", _token_span(token, text),
                          hint=hint)
        err.at_end = at_end  # type: ignore[attr-defined]
        return err
    if isinstance(exc, UnexpectedEOF):
        err = AdcalcError(
            "syntax",
            f"the input ended early; expected {_describe(set(exc.expected), parser)}",
            _token_span(Token("$END", ""), text),
        )
        err.at_end = True  # type: ignore[attr-defined]
        return err
    return AdcalcError("syntax", str(exc).split("\n", 1)[0])


def _only_blank_after(token: Token, text: str) -> bool:
    pos = token.start_pos if token.start_pos is not None else len(text)
    rest = text[pos:]
    return all(not line.strip() or line.strip().startswith("#") for line in rest.split("\n"))


def parse(text: str) -> Tree:
    """Parse a whole source (expression or program) into a positioned Lark tree."""
    if len(text) > MAX_INPUT_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
        raise AdcalcError(
            "limit",
            f"the input is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB",
            hint="split it into smaller files",
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:  # CR LF and old Mac CR line endings, as Python reads them
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        at = text.index("\x00")
        line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        raise AdcalcError("syntax", "the input contains a NUL byte (is it a binary file?)",
                          Span(line, column, line, column + 1))
    if not text.endswith("\n"):
        text += "\n"
    parser = get_parser()
    try:
        return parser.parse(text)
    except AdcalcError:
        raise
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, parser) from None


if __name__ == "__main__":  # pragma: no cover - a developer's tool
    path = grammar_path().with_name(TABLES_FILE)
    path.write_text(serialize_tables(), encoding="utf-8")
    print(f"wrote {path}")
