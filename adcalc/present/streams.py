"""The process's standard streams, made safe for the command line: closed, ASCII-only or broken.

Contract (what the command-line entry point guarantees, issue #13 items 11–14):
- ``prepare()`` runs first.  A closed standard error (``2>&-``) becomes a sink (warnings are lost,
  results are not); a closed standard input is ``sys.stdin = None`` (``adcalc eval -`` and the REPL say so); a
  closed standard output is reported by ``stdout_closed()`` (the caller says so on stderr and
  exits ``EXIT_NO_OUTPUT``).  The file descriptors 0–2 of closed streams are pointed at
  ``/dev/null`` so a file opened later can never receive output meant for them.
- An output stream whose encoding cannot write adcalc's notation (``PYTHONIOENCODING=ascii``,
  a C locale) is wrapped so the notation degrades to ASCII (``∂f/∂x`` → ``df/dx``, ``v̄3`` →
  ``v-bar3``, ``·`` → ``*``); anything else unencodable is written as a backslash escape.
  ``ascii_only(stream)`` tells JSON writers to escape non-ASCII instead (lossless).
- ``quiet_broken_pipe()`` is called when a reader closed the pipe (``| head -1``): later writes
  and the interpreter's final flush go to ``/dev/null``; the caller exits ``EXIT_BROKEN_PIPE``.

A descriptor open in the wrong direction (``0>file``, ``1<file``) counts as closed.

Exit statuses: 74 (``EXIT_NO_OUTPUT``, sysexits' EX_IOERR) when standard output is closed;
141 (``EXIT_BROKEN_PIPE``, 128 + SIGPIPE, what a shell reports for a process killed by a
broken pipe) when the reader went away.
"""

from __future__ import annotations

import io
import os
import sys

TYPE_CHECKING = False  # typing itself is not imported: this module is on the start-up path
if TYPE_CHECKING:
    from typing import TextIO

EXIT_NO_OUTPUT = 74
EXIT_BROKEN_PIPE = 141

# The notation adcalc prints, in ASCII.  Combining marks: a macron is "-bar" (v̄ = v-bar), a dot
# above is "-dot" (v̇ = v-dot); superscripts become "^…", subscripts plain characters.
_ASCII = {
    "∂": "d", "·": "*", "…": "...", "—": "--", "–": "-", "−": "-", "→": "->", "Σ": "sum", "Π": "prod",
    "δ": "delta", "ε": "eps", "σ": "sigma", "π": "pi", "‖": "||", "≥": ">=", "≤": "<=", "≠": "!=", "≈": "~",
    "±": "+/-", "×": "x", "÷": "/", "√": "sqrt", "⟨": "<", "⟩": ">", "›": ">", "─": "-", "━": "-", "│": "|",
    "\u0304": "-bar", "\u0307": "-dot", "ᵀ": "^T", "ᵏ": "^k", "²": "^2", "³": "^3", "¹": "^1", "⁻": "^-",
    "⁽": "^(", "⁾": ")", "“": '"', "”": '"', "‘": "'", "’": "'",
}
_SAMPLE = "∂v̄─·"


def can_encode(stream: TextIO | None, text: str = _SAMPLE) -> bool:
    """True when ``stream`` writes UTF-8 (or UTF-16/32): every character can be written.  Any
    other encoding (ASCII, Latin-1, Shift JIS, …) gets the ASCII notation and escapes, even if it
    happens to hold ``text``: a file name or a message may hold characters it cannot."""
    import codecs

    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        name = codecs.lookup(encoding).name
        text.encode(encoding)
    except (UnicodeError, LookupError):  # UnicodeError: a codec such as idna or 'undefined'
        return False
    return name.startswith("utf")


def to_ascii(text: str) -> str:
    """adcalc's notation in ASCII (see the module docstring); other characters are decomposed
    (``x₁`` → ``x1``) or, failing that, written as backslash escapes (``\\U0001f600``)."""
    if text.isascii():
        return text
    import unicodedata

    out = []
    for ch in unicodedata.normalize("NFD", text):
        if ch.isascii():
            out.append(ch)
        elif ch in _ASCII:
            out.append(_ASCII[ch])
        else:
            plain = unicodedata.normalize("NFKD", ch)
            out.append(plain if plain.isascii() else ch.encode("ascii", "backslashreplace").decode("ascii"))
    return "".join(out)


class AsciiWriter(io.TextIOBase):
    """A text stream that writes through ``to_ascii`` and backslash-escapes whatever its target's
    encoding still cannot take (so printing never raises UnicodeEncodeError)."""

    def __init__(self, target: TextIO):
        super().__init__()
        self.target = target

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", None) or "ascii"

    def write(self, text: str) -> int:
        safe = to_ascii(text)
        try:
            self.target.write(safe.encode(self.encoding, "backslashreplace").decode(self.encoding, "replace"))
        except (UnicodeError, LookupError):  # a codec that takes no error handler (idna) or nothing at all
            self.target.flush()
            self.target.buffer.write(safe.encode("ascii", "backslashreplace"))  # type: ignore[attr-defined]
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    def writable(self) -> bool:
        return True


def _fd_usable(fd: int, write: bool) -> bool:
    """``fd`` is open, and open for writing (``write``) or reading: ``0>file`` (standard input
    open only for writing) or ``1<file`` is as unusable as a closed descriptor."""
    try:
        os.fstat(fd)
    except OSError:
        return False
    try:
        import fcntl
    except ImportError:  # not POSIX: an open descriptor is taken as usable
        return True
    try:
        mode = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
    except OSError:
        return False
    return mode == os.O_RDWR or mode == (os.O_WRONLY if write else os.O_RDONLY)


def _point_at_devnull(fd: int) -> None:
    """Occupy an unusable standard descriptor with /dev/null (so no later open() reuses it, and
    reading gives end of input, writing goes nowhere)."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    except OSError:
        pass


_closed: set[str] = set()


def _sane_size_environment() -> None:
    """``COLUMNS``/``LINES`` that are not positive whole numbers are dropped (so Rich and
    prompt_toolkit measure the terminal instead); sizes are clamped to 20 … 10,000 columns and
    5 … 10,000 lines.  ``COLUMNS=-5`` or ``0`` once made Rich print nothing at all."""
    for name, low in (("COLUMNS", 20), ("LINES", 5)):
        text = os.environ.get(name)
        if text is None:
            continue
        text = text.strip()
        if not (text.isascii() and text.isdigit()) or int(text) <= 0:
            del os.environ[name]
        else:
            os.environ[name] = str(min(max(int(text), low), 10_000))


def prepare() -> None:
    """Make the standard streams and the terminal-size environment safe to use (see the module
    docstring).  Idempotent."""
    _sane_size_environment()
    for name, fd in (("stdin", 0), ("stdout", 1), ("stderr", 2)):
        if getattr(sys, name) is None or not _fd_usable(fd, write=fd > 0):
            _closed.add(name)
            _point_at_devnull(fd)
    if "stdin" in _closed:
        sys.stdin = None  # type: ignore[assignment]  # read as closed by every reader (eval -, the REPL)
    if "stderr" in _closed:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and name not in _closed and not isinstance(stream, AsciiWriter) \
                and not can_encode(stream):
            setattr(sys, name, AsciiWriter(stream))


def stdout_closed() -> bool:
    return "stdout" in _closed


def ascii_only(stream: TextIO | None) -> bool:
    """True when JSON written to ``stream`` must escape non-ASCII characters."""
    return isinstance(stream, AsciiWriter) or not can_encode(stream)


def quiet_broken_pipe() -> None:
    """The reader of standard output went away: send everything still to come to /dev/null, so
    neither later writes nor the interpreter's last flush complain."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def terminal_width(stream: TextIO | None, default: int = 120) -> int | None:
    """The width to lay tables out in: None on a terminal (Rich measures it, or reads a sane
    ``COLUMNS``), else ``COLUMNS`` when it is a sane whole number, else ``default``.
    ``COLUMNS=abc``, ``-5`` or ``0`` never lose output."""
    if stream is not None and _isatty(stream):
        return None
    return columns() or default


def columns() -> int | None:
    """``COLUMNS`` when it is a positive whole number, clamped to 20 … 10,000; else None."""
    text = os.environ.get("COLUMNS", "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) <= 0:
        return None
    return min(max(int(text), 20), 10_000)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (ValueError, OSError, AttributeError):
        return False
