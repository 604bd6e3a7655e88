"""Files the commands write (``codegen -o``, ``graph -o``, ``explain -o``, ``plot -o``).

Contract: ``check_target(path, source_path, what, example)`` refuses, as an ``AdcalcError``, a
path that is not a regular file (a folder, a FIFO — opening it would hang —, a device) and the
program file the output was made from (writing there would replace the user's program);
``write_text`` checks and then writes ``text`` as UTF-8 with ``\\n`` line ends.  ``what`` names
the output in messages ("module", "page", "picture", "plot"), ``example`` is the hint's file
name, ``kind`` the error's kind.
"""

from __future__ import annotations

import os
import stat

from adcalc.errors import AdcalcError, shown


def check_target(path: str, source_path: str | None, what: str, example: str, kind: str = "input") -> None:
    """Refuse a path that is not a regular file, or that is the program file itself."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise AdcalcError(kind, f"cannot write {shown(path)}: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise AdcalcError(kind, f"cannot write {shown(path)}: it is not a regular file",
                          hint=f"give the path of a new or existing file, e.g. -o {example}")
    if source_path is not None and os.path.exists(source_path) and os.path.samefile(path, source_path):
        raise AdcalcError(kind, f"{shown(path)} is the program file itself; writing the {what} there would "
                          "replace your program", hint=f"give another name, e.g. -o {example}")


def write_text(path: str, text: str, source_path: str | None, what: str, example: str) -> None:
    """Write ``text`` to ``path`` after ``check_target``."""
    check_target(path, source_path, what, example)
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except OSError as e:
        raise AdcalcError("input", f"cannot write {shown(path)}: {e.strerror or e}",
                          hint="give a path in a folder you can write to") from None
