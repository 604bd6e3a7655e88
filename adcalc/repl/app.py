"""The prompt_toolkit shell around ``Session``: lexer, completer, validator, key bindings, history.

Thin by design: everything that decides what an input means lives in ``session``.
- Enter runs the input when it is complete; inside an open block or bracket it inserts a newline
  with auto-indent (one level more after a line ending in ``:``); an empty line ends a block.
- A syntax error is shown at its position before the input is accepted (the validator).
- Ctrl-C clears the line; during a long run it stops it and returns to the prompt, the session
  intact.  Ctrl-D on an empty line exits with status 0.  Ctrl-R searches the history.
- History persists in ``$XDG_STATE_HOME/adcalc/history`` (``~/.local/state/adcalc/history``);
  a file that cannot be read or written gives one warning and in-memory history.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.filters import has_completions, is_searching
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.layout.processors import HighlightMatchingBracketProcessor
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.styles import Style
from prompt_toolkit.validation import ValidationError, Validator

from .. import render
from ..arrays import BUILTIN_NAMES as FUNCTIONS
from ..primitives import CONSTANTS
from .session import COMMANDS, SESSION_COMMANDS, Session

KEYWORDS = {"def", "return", "if", "elif", "else", "while", "for", "in", "and", "or", "not", "break", "continue",
            "pass", "at", "dir", "cot", "wrt", "order"}
_TOKEN = re.compile(r"(?P<comment>#.*)|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|"
                    r"(?P<session>^\s*:\w+)|(?P<name>[A-Za-z_]\w*)|(?P<op>\*\*|[-+*/^=<>!]=?|[(),\[\]:])|(?P<other>.)")

STYLE = Style.from_dict({
    "number": "ansicyan", "function": "ansiblue", "keyword": "ansimagenta bold", "command": "ansigreen bold",
    "comment": "ansibrightblack italic", "op": "", "name": "", "userfn": "ansiblue bold",
    "matching-bracket.cursor": "bg:ansiyellow ansiblack", "matching-bracket.other": "bg:ansiyellow ansiblack",
})


class AdcalcLexer(Lexer):
    """Syntax highlighting of the language and the REPL's commands."""

    def __init__(self, session: Session):
        self.session = session

    def lex_document(self, document: Document):  # type: ignore[no-untyped-def]
        lines = document.lines

        def get_line(i: int) -> list[tuple[str, str]]:
            out = []
            for m in _TOKEN.finditer(lines[i]):
                kind, text = m.lastgroup, m.group(0)
                style = {"comment": "class:comment", "number": "class:number", "session": "class:command",
                         "op": "class:op"}.get(kind or "", "")
                if kind == "name":
                    if text in COMMANDS:
                        style = "class:command"
                    elif text in KEYWORDS:
                        style = "class:keyword"
                    elif text in FUNCTIONS or text in CONSTANTS:
                        style = "class:function"
                    elif text in self.session.definitions:
                        style = "class:userfn"
                out.append((style, text))
            return out

        return get_line


class AdcalcCompleter(Completer):
    """Functions, constants, your variables and functions, keywords and commands."""

    def __init__(self, session: Session):
        self.session = session

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        before = document.text_before_cursor
        m = re.search(r"(:?[A-Za-z_]\w*|:)$", before)
        if not m:
            return
        word = m.group(0)
        for candidate in self.session.words():
            if candidate.startswith(word) and candidate != word:
                s = self.session
                meta = ("function" if candidate in FUNCTIONS else "your function" if candidate in s.definitions
                        else "variable" if candidate in s.variables else "command"
                        if candidate in COMMANDS or candidate in SESSION_COMMANDS else "")
                yield Completion(candidate, start_position=-len(word), display_meta=meta)


class AdcalcValidator(Validator):
    """Shows a syntax error at its position before the input is accepted."""

    def __init__(self, session: Session):
        self.session = session

    def validate(self, document: Document) -> None:
        state, err = self.session.status(document.text)
        if state == "error" and err is not None:
            pos = len(document.text)
            if err.span is not None:
                pos = document.translate_row_col_to_index(err.span.line - 1, max(err.span.column - 1, 0))
            hint = f" ({err.hint})" if err.hint else ""
            raise ValidationError(cursor_position=pos, message=f"{err.message}{hint}")


def history_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "adcalc" / "history"


class _SafeFileHistory(FileHistory):
    """File history that falls back to memory (with one warning) if writing ever fails."""

    def __init__(self, filename: str, warn):  # type: ignore[no-untyped-def]
        super().__init__(filename)
        self._warn = warn
        self._broken = False

    def store_string(self, string: str) -> None:
        if self._broken:
            return
        try:
            super().store_string(string)
        except OSError as e:
            self._broken = True
            self._warn(f"cannot write the history file ({e.strerror or e}); history is kept in memory only")

    def load_history_strings(self):  # type: ignore[no-untyped-def]
        try:
            yield from super().load_history_strings()
        except (OSError, UnicodeError, ValueError) as e:
            self._warn(f"cannot read the history file ({e}); starting with an empty history")


def make_history(path: Path, warn) -> History:  # type: ignore[no-untyped-def]
    """A file history if the file can be read and appended to; else memory and one warning."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab"):
            pass
        with open(path, "rb") as f:
            f.read(1)
        if path.is_dir():
            raise IsADirectoryError(str(path))
    except OSError as e:
        warn(f"cannot use the history file {path} ({e.strerror or e}); history is kept in memory only")
        return InMemoryHistory()
    return _SafeFileHistory(str(path), warn)


def key_bindings(session: Session) -> KeyBindings:
    kb = KeyBindings()

    @kb.add("enter", filter=~is_searching & ~has_completions)
    def _(event: KeyPressEvent) -> None:
        buf = event.current_buffer
        state, _err = session.status(buf.document.text)
        if state == "incomplete":
            line = buf.document.current_line
            indent = re.match(r"\s*", line).group(0)  # type: ignore[union-attr]
            if line.rstrip().endswith(":"):
                indent += "    "
            buf.insert_text("\n" + indent)
        else:
            buf.validate_and_handle()

    @kb.add("c-d", filter=~is_searching)
    def _(event: KeyPressEvent) -> None:
        if not event.current_buffer.text:
            event.app.exit(exception=EOFError)
        else:
            event.current_buffer.delete()

    return kb


def build_prompt(session: Session, history: History, **kw) -> PromptSession:  # type: ignore[no-untyped-def]
    return PromptSession(
        message=[("class:command", "adcalc> ")],
        multiline=True,
        prompt_continuation=lambda width, line_number, is_soft_wrap: "   ...  ",
        key_bindings=key_bindings(session),
        lexer=AdcalcLexer(session),
        completer=AdcalcCompleter(session),
        complete_while_typing=False,
        validator=AdcalcValidator(session),
        validate_while_typing=False,
        history=history,
        auto_suggest=AutoSuggestFromHistory(),
        input_processors=[HighlightMatchingBracketProcessor()],
        style=STYLE,
        **kw,
    )


def run_interactive(session: Session | None = None, **prompt_kw) -> int:  # type: ignore[no-untyped-def]
    """The read-eval-print loop.  Only a request to quit (Ctrl-D, :quit) ends it."""
    if session is None:
        session = Session(render.make_console(), render.make_console(stderr=True))
    # Ctrl-C must stop a long run even if the process was started with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    warned: list[str] = []

    def warn(message: str) -> None:
        if not warned:
            warned.append(message)
            session.err.print(f"warning: {message}", style="yellow", markup=False)  # type: ignore[union-attr]

    history = make_history(history_path(), warn)
    prompt = build_prompt(session, history, **prompt_kw)
    session.out.print("adcalc — automatic differentiation calculator.  :help for help, Ctrl-D to quit.",
                      style="dim", markup=False)
    while not session.quit:
        try:
            text = prompt.prompt()
        except KeyboardInterrupt:
            continue  # Ctrl-C at the prompt clears the line
        except EOFError:
            break
        try:
            session.execute(text)
        except KeyboardInterrupt:
            session.err.print("interrupted — the session is unchanged", style="yellow")  # type: ignore[union-attr]
    return 0
