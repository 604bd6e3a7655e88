"""Finding the files of ``adcalc run``: the paths given, and every ``*.ad`` below a directory.

Contract: ``find_targets(paths)`` returns one ``Target`` per file to run, in sorted order, and one
per problem found while looking — never skipping anything silently and never opening anything a
scan finds unless it is a regular file: a FIFO or other special file, a broken or looping
symbolic link, an unreadable directory and a directory with no ``.ad`` files are each a target
carrying its ``file`` error.  Directories are walked without following links to directories.  A
file named on the command line is read as given (a FIFO like ``cat`` would); a missing one is an
error target.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass

from adcalc.errors import AdcalcError


@dataclass
class Target:
    """One thing to report on: a file to run, or (``error`` set) a problem found while looking
    for files.  ``scanned``: found by a directory scan, so only opened if it is a regular file."""

    path: str
    error: AdcalcError | None = None
    scanned: bool = False


def find_targets(paths: Sequence[str]) -> list[Target]:
    """Every target of ``adcalc run PATHS``, in order (see the module contract)."""
    found: list[Target] = []
    for p in paths:
        found.extend(_targets_of(p))
    return found


def _targets_of(path: str) -> list[Target]:
    """A named path: a broken link is reported, a directory scanned, anything else read as given."""
    problem = _link_problem(path)
    if problem is not None:
        return [Target(path, problem)]
    if os.path.isdir(path):
        return _scan(path) or [Target(path, AdcalcError(
            "file", f"no .ad files under {path}", hint="adcalc run looks for files whose names end in .ad"))]
    return [Target(path)]  # a file, a FIFO (read like cat), or a missing path (reading it says so)


def _scan(root: str) -> list[Target]:
    """The ``*.ad`` entries below ``root`` sorted by path (symbolic links to directories are not
    followed, so a link cannot loop the scan), each checked without being opened."""
    found: list[tuple[tuple[str, ...], Target]] = []
    folders: list[tuple[str, tuple[str, ...]]] = [(root, ())]
    while folders:
        folder, parts = folders.pop()
        try:
            with os.scandir(folder) as it:
                listing = list(it)
        except OSError as e:
            found.append((parts, Target(folder, AdcalcError(
                "file", f"{folder}: cannot read this directory ({e.strerror or e})"), scanned=True)))
            continue
        for entry in listing:
            key = (*parts, entry.name)
            if _is_real_dir(entry):
                folders.append((entry.path, key))
            elif entry.name.endswith(".ad"):
                target = _scanned(entry.path)
                if target is not None:
                    found.append((key, target))
    return [t for _, t in sorted(found, key=lambda kt: kt[0])]


def _is_real_dir(entry: os.DirEntry) -> bool:  # type: ignore[type-arg]
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _scanned(path: str) -> Target | None:
    """A file found by a scan, with the reason it must not be opened if there is one; None for a
    symbolic link to a directory (not followed)."""
    if os.path.isdir(path):
        return None
    return Target(path, scan_problem(path), scanned=True)


def scan_problem(path: str) -> AdcalcError | None:
    """Why a file found by a directory scan must not be opened; None for a regular file (or a
    symbolic link to one).  Only ``lstat``/``stat``: nothing is opened."""
    problem = _link_problem(path)
    if problem is not None:
        return problem
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        return AdcalcError("file", f"{path}: cannot read it ({e.strerror or e})")
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return AdcalcError("file", f"{path} is a directory")
    return AdcalcError("file", f"{path} is not a regular file ({_kind_of(mode)}), so the scan did not open it",
                       hint="name it on the command line to read it anyway")


def _kind_of(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def _link_problem(path: str) -> AdcalcError | None:
    """A symbolic link that leads nowhere — broken (no target) or a loop — else None."""
    if not os.path.islink(path):
        return None
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return AdcalcError("file", f"{path} is a symbolic link loop (following it never reaches a file)",
                               hint="fix or remove the link")
        if e.errno in (errno.ENOENT, errno.ENOTDIR):
            return AdcalcError("file", f"{path} is a broken symbolic link (it points to {_link_text(path)}, "
                               "which does not exist)", hint="fix or remove the link")
    return None


def _link_text(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "nothing readable"
