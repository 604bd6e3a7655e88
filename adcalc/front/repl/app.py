"""The prompt_toolkit shell around ``Session``: lexer, completer, key bindings, history.

Thin by design: everything that decides what an input means lives in ``session``.
- Enter runs the input when it is complete; inside an open block or bracket it inserts a newline
  with auto-indent (one level more after a line ending in ``:``); an empty line ends a block.
- Every entry is run when Enter completes it (``keys``): a syntax error is reported like any
  other error, at its line:column in the entry, and a multi-line entry that failed says it was not
  accepted and that ↑ brings it back; the next line typed is always a new entry.
- Ctrl-C clears the line; during a long run it stops it and returns to the prompt, the session
  intact.  Ctrl-D on an empty line exits with status 0.  Ctrl-R searches the history.
- History persists in ``$XDG_STATE_HOME/adcalc/history`` (``~/.local/state/adcalc/history``):
  a regular file of at most 4 MiB, read once at start; anything else (a FIFO, a device, a
  directory, a larger file, one that cannot be read or appended to) gives one warning that says
  why and in-memory history.  Nothing but a regular file is ever opened, and never blocking.
"""

from __future__ import annotations

import datetime
import os
import re
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import History, InMemoryHistory
from prompt_toolkit.layout.processors import HighlightMatchingBracketProcessor
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.styles import Style

from adcalc.errors import shown

from .keys import key_bindings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .session import Session

BANNER = "adcalc — automatic differentiation calculator.  :help for help, Ctrl-D to quit."
NOT_ACCEPTED = ("the {what} was not accepted: nothing was defined or changed.  ↑ brings it back to fix it "
                "(Esc or Ctrl-C clears an input you are editing)")

# the language's keywords (adcalc.language.keywords); the REPL's clause words (``at dir cot wrt
# order``) are highlighted with them, and its commands as commands: both read off the registry
_TOKEN = re.compile(r"(?P<comment>#.*)|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|"
                    r"(?P<session>^\s*:\w+)|(?P<name>[A-Za-z_]\w*)|(?P<op>\*\*|[-+*/^=<>!]=?|[(),\[\]:])|(?P<other>.)")

STYLE = Style.from_dict({
    "number": "ansicyan", "function": "ansiblue", "keyword": "ansimagenta bold", "command": "ansigreen bold",
    "comment": "ansibrightblack italic", "op": "", "name": "", "userfn": "ansiblue bold",
    "matching-bracket.cursor": "bg:ansiyellow ansiblack", "matching-bracket.other": "bg:ansiyellow ansiblack",
})


class LazySession:
    """The session, built on first use: the first prompt needs none of adcalc's language, Rich or
    NumPy, so they are imported after it is shown (``warm`` does it in the background while you
    type) or when first needed, whichever comes first."""

    def __init__(self, session: Session | None = None):
        self._session = session
        self._lock = threading.Lock()

    def get(self) -> Session:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    from adcalc.present import console

                    from .session import Session

                    self._session = Session(console.make_console(), console.make_console(stderr=True))
        return self._session

    def warm(self) -> None:
        """Build the session and load the parser in a background thread."""
        def work() -> None:
            try:
                self.get().status("1 + 1")
            except Exception:  # noqa: BLE001 - warming up is an optimisation: the first use reports any error
                pass

        threading.Thread(target=work, name="adcalc-warm-up", daemon=True).start()


class AdcalcLexer(Lexer):
    """Syntax highlighting of the language and the REPL's commands."""

    def __init__(self, session: LazySession | Session):
        self.session = session if isinstance(session, LazySession) else LazySession(session)

    def lex_document(self, document: Document):  # type: ignore[no-untyped-def]
        lines = document.lines
        if not document.text:
            return lambda i: []  # the first prompt: nothing to highlight, nothing to import
        from adcalc.language.keywords import KEYWORDS, RESERVED
        from adcalc.rules.registry import BUILTIN_NAMES as FUNCTIONS
        from adcalc.rules.registry import CONSTANTS

        session = self.session.get()
        commands = session.commands.repl_names
        keywords = KEYWORDS | RESERVED | set(session.commands.clause_words)

        def get_line(i: int) -> list[tuple[str, str]]:
            out = []
            for m in _TOKEN.finditer(lines[i]):
                kind, text = m.lastgroup, m.group(0)
                style = {"comment": "class:comment", "number": "class:number", "session": "class:command",
                         "op": "class:op"}.get(kind or "", "")
                if kind == "name":
                    if text in commands:
                        style = "class:command"
                    elif text in keywords:
                        style = "class:keyword"
                    elif text in FUNCTIONS or text in CONSTANTS:
                        style = "class:function"
                    elif text in session.definitions:
                        style = "class:userfn"
                out.append((style, text))
            return out

        return get_line


class AdcalcCompleter(Completer):
    """Functions, constants, your variables and functions, keywords and commands."""

    def __init__(self, session: LazySession | Session):
        self.session = session if isinstance(session, LazySession) else LazySession(session)

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        before = document.text_before_cursor
        m = re.search(r"(:?[A-Za-z_]\w*|:)$", before)
        if not m:
            return
        from adcalc.rules.registry import BUILTIN_NAMES as FUNCTIONS

        from .settings import SESSION_COMMANDS

        word = m.group(0)
        s = self.session.get()
        for candidate in s.words():
            if candidate.startswith(word) and candidate != word:
                meta = ("function" if candidate in FUNCTIONS else "your function" if candidate in s.definitions
                        else "variable" if candidate in s.variables else "command"
                        if candidate in s.commands.repl_names or candidate in SESSION_COMMANDS else "")
                yield Completion(candidate, start_position=-len(word), display_meta=meta)


def history_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "adcalc" / "history"


MAX_HISTORY_BYTES = 4 * 1024 * 1024
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class UnusableHistory(Exception):
    """Why the history file cannot be used (the warning's text)."""


class BoundedFileHistory(History):
    """History in a regular file of at most ``MAX_HISTORY_BYTES``, in prompt_toolkit's
    ``FileHistory`` format, read once at start (``make_history`` checks it); every entry is
    appended without ever opening anything but a regular file.  If appending fails, one warning
    and the rest of the session's history is kept in memory only."""

    def __init__(self, path: Path, data: bytes, warn: Callable[[str], None]):
        super().__init__()
        self.path, self._data, self._warn, self._broken = path, data, warn, False

    def load_history_strings(self) -> Iterable[str]:
        return history_entries(self._data)

    def store_string(self, string: str) -> None:
        if self._broken:
            return
        record = f"\n# {datetime.datetime.now()}\n" + "".join(f"+{line}\n" for line in string.split("\n"))
        try:
            _append(self.path, record.encode("utf-8", "replace"))
        except (OSError, UnusableHistory) as e:
            self._broken = True
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            self._warn(f"cannot write the history file {shown(str(self.path))} ({reason}); "
                       "history is kept in memory only")


def history_entries(data: bytes) -> list[str]:
    """The entries of a ``FileHistory`` file (``+``-prefixed lines), newest first; bytes that are
    not UTF-8 are replaced, never fatal."""
    entries: list[str] = []
    lines: list[str] = []
    for raw in data.splitlines(keepends=True):
        line = raw.decode("utf-8", "replace")
        if line.startswith("+"):
            lines.append(line[1:])
        elif lines:
            entries.append("".join(lines)[:-1])
            lines = []
    if lines:
        entries.append("".join(lines)[:-1])
    return entries[::-1]


def _open_regular(path: Path, flags: int) -> int:
    """A descriptor of ``path`` opened without blocking (a FIFO never hangs), checked with fstat
    to be a regular file of at most ``MAX_HISTORY_BYTES``; else ``UnusableHistory``."""
    fd = os.open(path, flags | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        _check_regular(path, os.fstat(fd))
    except BaseException:
        os.close(fd)
        raise
    return fd


def _check_regular(path: Path, st: os.stat_result) -> None:
    for test, kind in _KINDS:
        if test(st.st_mode):
            target = os.path.realpath(path)
            via = f" (a link to {shown(target)})" if target != os.path.abspath(path) else ""
            raise UnusableHistory(f"the history file {shown(str(path))}{via} is {kind}, not a regular file")
    if not stat.S_ISREG(st.st_mode):
        raise UnusableHistory(f"the history file {shown(str(path))} is not a regular file")
    if st.st_size > MAX_HISTORY_BYTES:
        raise UnusableHistory(f"the history file {shown(str(path))} is larger than "
                              f"{MAX_HISTORY_BYTES // (1024 * 1024)} MiB ({st.st_size / 1024 ** 2:.1f} MiB); "
                              "move it away or trim it")


def _append(path: Path, data: bytes) -> None:
    fd = _open_regular(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def read_history(path: Path) -> bytes:
    """The bytes of the history file (created empty if missing), after checking that it is a
    regular file of bounded size that can be read and appended to; ``UnusableHistory`` or
    ``OSError`` otherwise.  Nothing else is ever opened: not a FIFO, a device or a directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _check_regular(path, os.stat(path))
    except FileNotFoundError:
        if os.path.lexists(path):
            raise UnusableHistory(f"the history file {shown(str(path))} is a link to nothing") from None
        os.close(_open_regular(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
        return b""
    fd = _open_regular(path, os.O_RDONLY)
    try:
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_HISTORY_BYTES:
                raise UnusableHistory(f"the history file {shown(str(path))} is larger than "
                                      f"{MAX_HISTORY_BYTES // (1024 * 1024)} MiB; move it away or trim it")
    finally:
        os.close(fd)
    os.close(_open_regular(path, os.O_WRONLY | os.O_APPEND))  # it can be appended to
    return b"".join(chunks)


def make_history(path: Path, warn: Callable[[str], None]) -> History:
    """A file history if the file is usable (see ``read_history``); else memory and one warning
    that says why."""
    try:
        data = read_history(path)
    except UnusableHistory as e:
        warn(f"{e}; history is kept in memory only")
        return InMemoryHistory()
    except OSError as e:
        warn(f"cannot use the history file {shown(str(path))} ({e.strerror or e}); history is kept in memory only")
        return InMemoryHistory()
    return BoundedFileHistory(path, data, warn)


def build_prompt(session: LazySession, history: History, **kw) -> PromptSession:  # type: ignore[no-untyped-def]
    return PromptSession(
        message=[("class:command", "adcalc> ")],
        multiline=True,
        prompt_continuation=lambda width, line_number, is_soft_wrap: "   ...  ",
        key_bindings=key_bindings(),
        lexer=AdcalcLexer(session),
        completer=AdcalcCompleter(session),
        complete_while_typing=False,
        history=history,
        auto_suggest=AutoSuggestFromHistory(),
        input_processors=[HighlightMatchingBracketProcessor()],
        style=STYLE,
        **kw,
    )


def _say(stream: object, text: str, sgr: str) -> None:
    """One line on a terminal stream, in the style ``sgr`` (an ANSI code) unless colour is off;
    what the stream's encoding cannot take is escaped.  Rich is not needed for it."""
    colour = sgr and not os.environ.get("NO_COLOR") and os.environ.get("TERM", "dumb") not in ("dumb", "unknown")
    try:
        colour = colour and stream.isatty()  # type: ignore[attr-defined]
    except (ValueError, OSError):
        colour = False
    line = f"\x1b[{sgr}m{text}\x1b[0m\n" if colour else text + "\n"
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(line.encode(encoding, "backslashreplace").decode(encoding, "replace"))  # type: ignore[attr-defined]
    stream.flush()  # type: ignore[attr-defined]


def run_interactive(session: Session | None = None, **prompt_kw) -> int:  # type: ignore[no-untyped-def]
    """The read-eval-print loop.  Only a request to quit (Ctrl-D, :quit) ends it.  What is typed
    is split into entries (``entries.group``) and each is run in turn; a multi-line entry that
    fails is followed by ``NOT_ACCEPTED`` (what happened and how to get it back)."""
    from .entries import group, opens_block

    lazy = LazySession(session)
    # Ctrl-C must stop a long run even if the process was started with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    warned: list[str] = []

    def warn(message: str) -> None:
        if not warned:
            warned.append(message)
            _say(sys.stderr, f"warning: {message}", "33")

    history = make_history(history_path(), warn)
    prompt = build_prompt(lazy, history, **prompt_kw)
    if session is None:
        _say(sys.stdout, BANNER, "2")
        started: list[bool] = []

        def warm_once(_app: object) -> None:
            if not started:
                started.append(True)
                lazy.warm()

        prompt.app.after_render += warm_once
    else:
        session.out.print(BANNER, style="dim", markup=False)
    while True:
        try:
            text = prompt.prompt()
        except KeyboardInterrupt:
            continue  # Ctrl-C at the prompt clears the line
        except EOFError:
            break
        s = lazy.get()
        for entry, _complete in group(text.split("\n")):
            try:
                ok = s.execute(entry)
            except KeyboardInterrupt:
                s.err.print("interrupted — the session is unchanged", style="yellow")  # type: ignore[union-attr]
                break
            if not ok and "\n" in entry.strip():
                what = "block" if opens_block(entry.strip()) else "input"
                s.err.print(NOT_ACCEPTED.format(what=what), style="yellow", markup=False)  # type: ignore[union-attr]
            if s.quit:
                break
        if s.quit:
            break
    return 0
