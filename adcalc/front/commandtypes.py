"""The record types of the command registry (``adcalc.front.commands``): what a command, its
options, the REPL's view of it and a parsed call are, and the ``Registry`` that checks them.

Contract: ``Option``, ``ReplHelp``, ``Call`` and ``Command`` are immutable records (their fields
documented on each); ``Registry`` holds commands in order, looks them up by name or REPL word,
and refuses a record the front ends could not offer.  ``KINDS`` are the option kinds the front
ends know, ``CLAUSE_KINDS`` those the REPL reads from a clause, ``SHOWS`` how a result is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

KINDS = ("source", "paths", "point", "bindings", "numbers", "name", "count", "number", "choice", "flag", "cli", "range")
CLAUSE_KINDS = ("point", "bindings", "numbers", "name", "count")  # the kinds the REPL reads from a clause
SHOWS = ("result", "text", "itself")


class Option(NamedTuple):
    """One option of a command.  ``flag`` is its command-line spelling (``--dir``; a positional's
    destination, ``source``, has no dashes); ``argparse`` the keyword arguments of
    ``add_argument``; ``field`` the ``Call`` field its value fills.  In the REPL the value comes
    from the clause ``clause`` (``dir x=1, y=0``) or from the session setting ``setting``
    (``:trace on``); with neither, the REPL does not offer it.  ``repl_default`` is the REPL's
    value when the clause is absent (the clause is then optional even where the command line
    requires the option); ``example`` is the clause as the REPL's hint writes it.  Options with
    the same ``group`` are mutually exclusive; a ``hidden`` option is left out of ``--help``."""

    flag: str
    kind: str
    argparse: Mapping[str, Any]
    field: str | None = None
    clause: str | None = None
    setting: str | None = None
    group: str | None = None
    repl_default: object = None
    example: str = ""
    hidden: bool = False

    @property
    def dest(self) -> str:
        """The attribute argparse stores the value in (``--max-steps`` → ``max_steps``)."""
        return self.argparse.get("dest") or self.flag.lstrip("-").replace("-", "_")

    @property
    def required(self) -> bool:
        return bool(self.argparse.get("required", False))


class ReplHelp(NamedTuple):
    """How the REPL's ``:help`` shows a command: an example of its use, a gloss, and its slot in
    the two-column table (filled row by row, lowest slot first)."""

    usage: str
    gloss: str
    slot: int


class Call(NamedTuple):
    """The parsed values a runner works on (the same from the command line and from the REPL)."""

    source: object  # adcalc text, or a Loaded (the REPL loads the session's program once)
    point: Mapping[str, object] = {}
    direction: Mapping[str, object] | None = None
    cotangent: list[float] | None = None
    wrt: str | None = None  # the inputs to differentiate, "x,y" (None: every input)
    order: int | None = None
    mode: str | None = None
    trace: bool = False
    limits: Mapping[str, object] = {}
    delta: float | None = None
    inputs: str | None = None  # codegen: the inputs' order, "x,y"
    output: str | None = None  # codegen: the file to write
    check: bool = False  # codegen: compare the generated code with the interpreter
    path: str | None = None  # the program file SOURCE named, if it named one
    sparse: bool = False  # jacobian/hessian --sparse: pattern, colouring, compressed sweeps (issue #19)
    dense: bool = False  # jacobian/hessian --dense: the full matrix as well (with --sparse)
    json: bool = False  # --json: a text command answers in JSON (explain)
    x_range: tuple | None = None  # plot: (NAME, LO, HI) along which f is drawn
    y_range: tuple | None = None  # plot: the second input's (NAME, LO, HI), for a surface
    points: int | None = None  # plot: grid points (per axis)
    tangent: list[float] | None = None  # plot: [X0], where the tangent line is drawn
    component: int | None = None  # plot: which output of a vector-valued source (1-based)
    format: str | None = None  # graph: text, dot, svg or json
    max_nodes: int | None = None  # graph: draw about this many nodes at most


class Command(NamedTuple):
    """One command.  ``summary`` is its line in ``adcalc --help`` (and, with a full stop, the
    description of ``adcalc NAME --help`` unless ``description`` is given); ``options`` come in
    the order ``--help`` lists them; ``examples`` are the epilog of ``adcalc NAME --help``, and
    those at the indices ``featured`` are also shown by ``adcalc --help``.  ``common``: it takes
    the shared options (``--json``, ``--strict``, the limits, ``--debug``).  ``repl``: how the
    REPL's ``:help`` shows it (None: a command of the command line only)."""

    name: str
    summary: str
    options: tuple[Option, ...]
    examples: tuple[str, ...]
    runner: Callable[[Any], Any]
    shows: str = "result"
    common: bool = True
    featured: tuple[int, ...] = ()
    repl: ReplHelp | None = None
    description: str | None = None
    repl_name: str | None = None  # the REPL's word for it, when not its name (codegen → code)
    highlight: str | None = None  # a text command's language, for the REPL's syntax colours

    def clauses(self) -> tuple[Option, ...]:
        """The options the REPL takes as clauses, in order."""
        return tuple(o for o in self.options if o.clause)


class Registry:
    """The commands, in order; looked up by name.  ``plus`` gives a copy with one more command."""

    def __init__(self, commands: tuple[Command, ...]):
        names = [c.name for c in commands]
        if len(set(names)) != len(names):
            raise ValueError(f"a command is defined twice: {names}")
        for c in commands:
            bad = [o.flag for o in c.options if o.kind not in KINDS
                   or ((o.clause or o.setting) and o.field is None) or (o.clause and o.kind not in CLAUSE_KINDS)]
            if bad or c.shows not in SHOWS or (c.repl is not None and c.shows == "itself"):
                raise ValueError(f"{c.name}: an option's kind, field or clause ({bad}), or its output ({c.shows}), "
                                 "is not one the front ends know")
        self.commands = tuple(commands)
        self._by_name = {c.name: c for c in commands}
        self._by_name.update({c.repl_name: c for c in commands if c.repl_name})

    def __iter__(self) -> Iterator[Command]:
        return iter(self.commands)

    def __getitem__(self, name: str) -> Command:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def plus(self, command: Command) -> Registry:
        return Registry((*self.commands, command))

    @property
    def repl_names(self) -> tuple[str, ...]:
        """The REPL's derivative commands (the words an input may start with), in order."""
        return tuple(c.repl_name or c.name for c in self.commands if c.repl is not None)

    @property
    def clause_words(self) -> tuple[str, ...]:
        """Every clause word of the REPL's commands, in order of first appearance."""
        words = (o.clause for c in self.commands if c.repl is not None for o in c.clauses())
        return tuple(dict.fromkeys(words))  # type: ignore[arg-type]
