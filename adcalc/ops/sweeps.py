"""The recorded sweeps that ``adcalc explain`` steps through: a traced forward-mode gradient, a
traced reverse-mode gradient, or both, of one scalar source at one point.

Contract: ``record_sweeps(source, point, mode)`` runs ``grad`` with ``trace=True`` in forward mode
(``mode`` "forward" or "both": one tangent per input, the nodes' tangents recorded) and in reverse
mode ("reverse" or "both": the nodes' adjoints and the backward sweep's updates recorded) and
returns them as ``Sweeps``.  The two runs are the same program at the same point, so their nodes
are the same ``v1 … vN`` (checked).  A run of more than ``MAX_STEPS`` recorded nodes and updates
is a ``limit`` error (a page is stepped through by hand; ``grad --trace`` shows any size).  The
numbers are those of ``grad``: a traced run gives the floats of an untraced one.
"""

from __future__ import annotations

from collections.abc import Mapping

from adcalc.errors import AdcalcError
from adcalc.ops.derivatives import grad, load
from adcalc.ops.driver import Loaded, check_scalar
from adcalc.ops.results import GradResult

MAX_STEPS = 2000  # recorded nodes + backward updates that one page steps through
MODES = ("forward", "reverse", "both")


class Sweeps:
    """``loaded`` (the source), ``forward`` / ``reverse`` (the traced ``GradResult`` of each mode
    asked for, else None) and ``mode``; ``graph`` is the run whose nodes the page shows."""

    __slots__ = ("loaded", "forward", "reverse", "mode")

    def __init__(self, loaded: Loaded, forward: GradResult | None, reverse: GradResult | None, mode: str):
        self.loaded, self.forward, self.reverse, self.mode = loaded, forward, reverse, mode

    @property
    def graph(self) -> object:
        return (self.forward or self.reverse).trace  # type: ignore[union-attr]


def record_sweeps(source: str | Loaded, point: Mapping[str, object], mode: str = "both",
                  limits: Mapping[str, object] | None = None) -> Sweeps:
    """Run the traced sweeps of ``mode`` (forward, reverse or both) of a scalar source at ``point``;
    ``limits`` are ``grad``'s keyword arguments (strict, max_steps, max_depth, max_memory)."""
    if mode not in MODES:
        raise AdcalcError("usage", f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    loaded = load(source) if isinstance(source, str) else source
    check_scalar(loaded, "explain")  # the page explains a gradient
    kw = dict(limits or {})
    forward = _traced(loaded, point, "forward", kw) if mode != "reverse" else None
    reverse = _traced(loaded, point, "reverse", kw) if mode != "forward" else None
    if forward is not None and reverse is not None:
        a, b = forward.trace.nodes, reverse.trace.nodes  # type: ignore[attr-defined]
        if len(a) != len(b) or any(x.op != y.op for x, y in zip(a, b)):
            raise RuntimeError("the forward and reverse runs recorded different steps")  # a bug, never input
    return Sweeps(loaded, forward, reverse, mode)


HINT = "explain a smaller case (fewer loop iterations), or see every step with adcalc grad --trace"


def _traced(loaded: Loaded, point: Mapping[str, object], mode: str, kw: dict[str, object]) -> GradResult:
    """One traced ``grad``; a run too long for a page is a ``limit`` error saying so."""
    try:
        result = grad(loaded, point, mode=mode, trace=True, **kw)  # type: ignore[arg-type]
    except AdcalcError as e:
        if e.kind == "limit" and e.message.startswith("the trace would have"):  # the trace's own row limit
            raise AdcalcError("limit", f"this run records far more than the {MAX_STEPS:,} steps a page steps "
                              "through", e.span, hint=HINT) from None
        raise
    n = len(result.trace.nodes) + len(result.trace.updates)  # type: ignore[attr-defined]
    if n > MAX_STEPS:
        raise AdcalcError("limit", f"this run records {n:,} steps; a page steps through at most {MAX_STEPS:,}",
                          hint=HINT)
    return result
