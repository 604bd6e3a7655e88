"""The REPL's editing keys in a terminal: Enter, indentation, Backspace, Esc, Ctrl-D.

Contract (``key_bindings(session)``):
- Enter runs what was typed when every entry in it is complete (``entries.group``: each line is
  its own entry unless it opens a block or a bracket); while a block or bracket is open it starts a
  new line with auto-indent (the line's indentation, one level more after a line ending in ``:``).
  An empty line ends a block.  Nothing is ever held back: an entry with a syntax error is run like
  any other, so its error is printed where it is and the next line typed is a new entry.
- Indentation you type yourself replaces the auto-indent instead of adding to it: the first space
  or Tab typed right after an auto-indent starts the line's indentation afresh.
- Backspace in a line's leading spaces removes one level: back to the indentation of the nearest
  enclosing line above (or to the previous multiple of four), not one space.
- Esc (or Ctrl-C) clears the input being edited, for instance a block you want to abandon.
- Ctrl-D on an empty input ends the session.
"""

from __future__ import annotations

import re

from prompt_toolkit.buffer import Buffer
from prompt_toolkit.filters import Condition, has_completions, is_searching
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from .entries import group

LEVEL = 4  # spaces per indentation level (auto-indent and the Backspace fallback)


def pending(text: str) -> bool:
    """Whether ``text`` still has an open block or bracket (Enter goes on to a new line)."""
    entries = list(group(text.split("\n")))
    return bool(entries) and not entries[-1][1]


def new_line_indent(line: str) -> str:
    """The auto-indent of the line after ``line``: its indentation, one level more after ``:``."""
    indent = re.match(r"[ \t]*", line).group(0)  # type: ignore[union-attr]
    if line.split("#", 1)[0].rstrip().endswith(":"):
        indent += " " * LEVEL
    return indent


def level_below(lines_above: list[str], column: int) -> int:
    """Where Backspace at ``column`` (0-based, inside the leading spaces) goes: the nearest
    indentation of a line above that is less than ``column``, or the previous multiple of four."""
    levels = {len(line) - len(line.lstrip(" ")) for line in lines_above if line.strip()}
    return max({c for c in levels if c < column} | {(column - 1) // LEVEL * LEVEL})


class AutoIndent:
    """The auto-indent just inserted (the buffer's text and cursor right after it), so that the
    indentation typed next replaces it rather than doubling it."""

    def __init__(self) -> None:
        self.state: tuple[str, int, int] | None = None  # text, cursor, length of the indent

    def inserted(self, buf: Buffer, indent: str) -> None:
        self.state = (buf.text, buf.cursor_position, len(indent))

    def take(self, buf: Buffer) -> int:
        """The length of the auto-indent still in place right before the cursor (0 if the user
        has done anything since), forgetting it."""
        state, self.state = self.state, None
        if state is not None and state[0] == buf.text and state[1] == buf.cursor_position:
            return state[2]
        return 0


def key_bindings() -> KeyBindings:
    """The bindings above (what Enter does depends on the text alone, not on the session)."""
    kb = KeyBindings()
    auto = AutoIndent()
    editing = ~is_searching & ~has_completions

    @kb.add("enter", filter=editing)
    def _(event: KeyPressEvent) -> None:
        buf = event.current_buffer
        auto.state = None
        if pending(buf.text):
            indent = new_line_indent(buf.document.current_line)
            buf.insert_text("\n" + indent)
            auto.inserted(buf, indent)
        else:
            buf.validate_and_handle()

    @kb.add(" ", filter=editing)
    def _(event: KeyPressEvent) -> None:
        buf = event.current_buffer
        typed = auto.take(buf)
        if typed:
            buf.delete_before_cursor(typed)  # the user's own indentation replaces the auto-indent
        buf.insert_text(" " * event.arg)

    @kb.add("tab", filter=editing & Condition(lambda: _in_indentation(_buffer())))
    def _(event: KeyPressEvent) -> None:
        buf = event.current_buffer
        typed = auto.take(buf)
        if typed:
            buf.delete_before_cursor(typed)
        column = buf.document.cursor_position_col
        buf.insert_text(" " * (LEVEL - column % LEVEL))

    @kb.add("backspace", filter=editing & Condition(lambda: _in_leading_spaces(_buffer())))
    def _(event: KeyPressEvent) -> None:
        buf = event.current_buffer
        auto.state = None
        doc = buf.document
        column = doc.cursor_position_col
        buf.delete_before_cursor(column - level_below(doc.lines[:doc.cursor_position_row], column))

    @kb.add("escape", filter=editing & Condition(lambda: bool(_buffer().text)))
    def _(event: KeyPressEvent) -> None:
        auto.state = None
        event.current_buffer.reset()

    @kb.add("c-d", filter=~is_searching)
    def _(event: KeyPressEvent) -> None:
        if not event.current_buffer.text:
            event.app.exit(exception=EOFError)
        else:
            event.current_buffer.delete()

    return kb


def _in_indentation(buf: Buffer) -> bool:
    """The cursor is in a line's leading spaces (or at its start), nothing selected."""
    return buf.selection_state is None and not buf.document.current_line_before_cursor.strip(" ")


def _in_leading_spaces(buf: Buffer) -> bool:
    """As ``_in_indentation``, with at least one space before the cursor."""
    return _in_indentation(buf) and buf.document.cursor_position_col > 0


def _buffer() -> Buffer:
    from prompt_toolkit.application.current import get_app

    return get_app().current_buffer
