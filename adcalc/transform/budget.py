"""A run's budgets: work (steps) and memory, checked *before* the work is done or the memory taken.

Contract (issue #13 item 7):
- **Steps.**  Every executed instruction is one step; an array operation also costs one step per
  ``ELEMENTS_PER_STEP`` elements it reads and writes (times the tangent directions it carries in
  forward mode), so ``x = x + t`` on 10⁷ elements costs 10⁴ steps, not 1.  The interpreter
  counts instructions in a local variable and meets the array work every ``SYNC`` instructions,
  so the limit holds to within ``SYNC`` instructions.  Over the limit: ``AdcalcError('limit')``
  at the instruction, naming ``--max-steps``.
- **Memory.**  ``max_bytes`` (default ``DEFAULT_MAX_MEMORY``, 2 GiB: fits a laptop) bounds the
  arrays of a run: each new array's bytes (shape × 8, and its tangents in forward mode) are
  checked against what is left *before* NumPy allocates it, and everything the reverse-mode tape
  keeps (its 40 bytes per scalar operation, the arrays and local partials of its array nodes,
  trace rows) is held against the budget as it grows.  Over it: ``AdcalcError('limit')`` at the
  instruction, naming ``--max-memory``.
- ``parse_size("2G")`` reads a size as the command line writes it.
"""

from __future__ import annotations

from adcalc.errors import AdcalcError, Span

DEFAULT_MAX_STEPS = 10_000_000
DEFAULT_MAX_DEPTH = 1_000
DEFAULT_MAX_MEMORY = 2 * 1024**3
ELEMENTS_PER_STEP = 1000
SYNC = 1 << 16
MAX_TRACE_ROWS = 200_000
TRACE_ROW_BYTES = 600  # a trace row with its strings, measured (bench/, tracemalloc)

_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "KIB": 1024, "M": 1024**2, "MB": 1024**2, "MIB": 1024**2,
          "G": 1024**3, "GB": 1024**3, "GIB": 1024**3, "T": 1024**4, "TB": 1024**4, "TIB": 1024**4}


def size_text(nbytes: float) -> str:
    """``2 GiB``, ``80 GB`` → a short human size (binary units)."""
    for unit, scale in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if nbytes >= scale:
            value = nbytes / scale
            return f"{value:.3g} {unit}"
    return f"{int(nbytes)} bytes"


def parse_size(text: str) -> int:
    """``2G``, ``512M``, ``1.5GiB``, ``1000000`` → bytes (K, M, G, T are powers of 1024)."""
    s = text.strip().upper().replace(" ", "")
    number = s.rstrip("KMGTIB")
    unit = s[len(number):]
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"'{text}' is not a size such as 2G, 512M or 1000000") from None
    if unit not in _UNITS or not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"'{text}' is not a size such as 2G, 512M or 1000000")
    return max(1, int(value * _UNITS[unit]))


class Budget:
    """The steps and bytes one run may still use (see the module docstring)."""

    __slots__ = ("max_steps", "max_bytes", "work", "steps", "held", "seen")

    def __init__(self, max_steps: int, max_bytes: int | None = None):
        self.max_steps = max_steps
        self.max_bytes = DEFAULT_MAX_MEMORY if max_bytes is None else max_bytes
        self.work = 0  # steps charged for array elements
        self.steps = 0  # instructions counted so far (synced from the interpreter)
        self.held = 0  # bytes kept for the rest of the run (the tape, its arrays, trace rows)
        self.seen: set[int] = set()  # ids of the arrays counted in ``held``

    # ---- steps --------------------------------------------------------------------------------
    def charge(self, elements: int, span: Span | None) -> None:
        """Array work of ``elements`` element reads and writes."""
        self.work += elements // ELEMENTS_PER_STEP
        if self.work + self.steps > self.max_steps:
            raise self.steps_error(span)

    def sync(self, steps: int, span: Span | None, mode: object = None) -> int:
        """The interpreter's instruction count, and the bytes the mode keeps outside ``hold``
        (``mode.kept()``: the scalar tape's bytes, trace rows); returns the count at which to
        call again."""
        self.steps = steps
        if steps + self.work > self.max_steps:
            raise self.steps_error(span)
        kept, rows = mode.kept() if mode is not None else (0, 0)  # type: ignore[attr-defined]
        if rows > MAX_TRACE_ROWS:
            raise AdcalcError("limit", f"the trace would have more than {MAX_TRACE_ROWS:,} rows", span,
                              hint="run without --trace (the result does not need it), or trace a smaller input")
        if kept + self.held > self.max_bytes:
            raise self.memory_error(kept, span, "the tape and trace of this run")
        return max(steps, min(steps + SYNC, self.max_steps - self.work))

    def hold_arrays(self, arrays: object, span: Span | None, what: str) -> None:
        """Keep the arrays among ``arrays`` (a tape node's value and partials) for the rest of the
        run.  Each array is counted once (the tape keeps them alive, so their ids stay unique);
        views cost nothing of their own."""
        total = 0
        for a in arrays:  # type: ignore[attr-defined]
            if getattr(a, "base", 0) is None and id(a) not in self.seen:
                self.seen.add(id(a))
                total += a.nbytes
        if total:
            self.hold(total, span, what)

    def steps_error(self, span: Span | None) -> AdcalcError:
        array = f" (array work counts one step per {ELEMENTS_PER_STEP:,} elements)" if self.work else ""
        return AdcalcError("limit", f"the run took more than {self.max_steps:,} steps{array}", span,
                           hint="raise it with --max-steps, or check the loop's exit condition")

    # ---- memory -------------------------------------------------------------------------------
    def need(self, nbytes: int, span: Span | None, what: str) -> None:
        """Check, before allocating, that ``nbytes`` more fit in the budget."""
        if nbytes + self.held > self.max_bytes:
            raise self.memory_error(nbytes, span, what)

    def hold(self, nbytes: int, span: Span | None, what: str) -> None:
        """Keep ``nbytes`` for the rest of the run (the tape grew)."""
        self.held += nbytes
        if self.held > self.max_bytes:
            self.held -= nbytes
            raise self.memory_error(nbytes, span, what)

    def memory_error(self, nbytes: int, span: Span | None, what: str) -> AdcalcError:
        kept = f", with {size_text(self.held)} already kept by the run" if self.held else ""
        return AdcalcError("limit", f"{what} would need {size_text(nbytes)}{kept}: more than the memory budget "
                           f"of {size_text(self.max_bytes)}", span,
                           hint="raise it with --max-memory (e.g. --max-memory 8G), or use smaller arrays")
