"""What a run records for the front ends: trace rows, adjoint updates, warnings.

Contract: plain data, no math and no printing.  A ``Trace`` lists every executed primitive
step in order (the Wengert list): inputs first as nodes ``v1 … vn``, then one row per step
with its node number, operation, definition in the documents' notation (``v3 = 2·v1``), value,
source span, the program variable it was assigned to and the loop iteration / call it ran in.
Forward-mode rows carry one tangent per seed; reverse-mode rows carry the final adjoint, and
``updates`` lists the backward sweep in the order it ran (``v̄2 += v̄3 · cos(v2)``).
"""

from __future__ import annotations

from adcalc.errors import Span


class _Record:
    """Mutable plain records with ``__slots__`` (not dataclasses: this module is on every
    command's start-up path, and ``dataclasses`` costs more to import than adcalc itself)."""

    __slots__ = ()

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__ if k != "site")
        return f"{type(self).__name__}({shown})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__ if k != "site")

    __hash__ = None  # type: ignore[assignment]


class TraceRow(_Record):
    """One executed step: node ``v{node}`` (1-based), its operation (or "input"), its definition
    ("2·v1"; for inputs the input's name), value, span, program variable, loop/call context,
    tangents (forward), adjoint (reverse), whether it depends on an input, the displayed
    arguments ("v3" or a constant "2") and Taylor coefficients c₀ … c_K (Taylor mode)."""

    __slots__ = ("node", "op", "definition", "value", "span", "var", "context", "tangent", "adjoint", "active",
                 "args", "coefficients")

    def __init__(self, node: int, op: str, definition: str, value: float, span: Span | None = None,
                 var: str | None = None, context: str = "", tangent: tuple | None = None,
                 adjoint: float | None = None, active: bool = True, args: tuple[str, ...] = (),
                 coefficients: tuple[float, ...] | None = None):
        self.node, self.op, self.definition, self.value, self.span, self.var = node, op, definition, value, span, var
        self.context, self.tangent, self.adjoint, self.active = context, tangent, adjoint, active
        self.args, self.coefficients = args, coefficients


class AdjointUpdate(_Record):
    """``v̄target += v̄source · partial`` in the backward sweep: the displayed partial and its
    value, the contribution, the target's adjoint after it (``running``), which output's sweep,
    and for an array rule its whole right-hand side (``rule``: "v̄3 @ v2ᵀ")."""

    __slots__ = ("target", "source", "partial", "partial_value", "contribution", "running", "output", "rule")

    def __init__(self, target: int, source: int, partial: str, partial_value: float, contribution: float,
                 running: float, output: int = 0, rule: str | None = None):
        self.target, self.source, self.partial, self.partial_value = target, source, partial, partial_value
        self.contribution, self.running, self.output, self.rule = contribution, running, output, rule


class Trace(_Record):
    """mode "eval" | "forward" | "reverse" | "taylor"; forward ``seeds``: one direction per tangent
    column; ``outputs``: the node of each output (None: a constant); reverse ``output_seeds``: ȳ."""

    __slots__ = ("mode", "inputs", "rows", "updates", "seeds", "outputs", "output_seeds")

    def __init__(self, mode: str, inputs: list[str]):
        self.mode, self.inputs = mode, inputs
        self.rows: list[TraceRow] = []
        self.updates: list[AdjointUpdate] = []
        self.seeds: list[dict[str, float]] = []
        self.outputs: list[int | None] = []
        self.output_seeds: list[float] = []


class Warning(_Record):
    """kind "kink" | "nonfinite" | "nonfinite_derivative" | "unused"; ``site`` is the IR
    instruction (not in JSON, not compared)."""

    __slots__ = ("kind", "message", "span", "operation", "convention", "count", "details", "site")

    def __init__(self, kind: str, message: str, span: Span | None = None, operation: str | None = None,
                 convention: str | None = None, count: int = 1, details: dict | None = None, site: object = None):
        self.kind, self.message, self.span, self.operation, self.convention = kind, message, span, operation, convention
        self.count, self.details, self.site = count, details if details is not None else {}, site

    def to_json(self) -> dict:
        from adcalc.errors import shown

        out: dict = {"kind": self.kind, "message": shown(self.message)}
        if self.operation:
            out["operation"] = self.operation
        if self.convention:
            out["convention"] = self.convention
        if self.span:
            out["line"], out["column"] = self.span.line, self.span.column
        if self.count > 1:
            out["count"] = self.count
        out.update(self.details)
        return out
