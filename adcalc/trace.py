"""What a run records for the front ends: trace rows, adjoint updates, warnings.

Contract: plain data, no math and no printing.  A ``Trace`` lists every executed primitive
step in order (the Wengert list): inputs first as nodes ``v1 … vn``, then one row per step
with its node number, operation, definition in the documents' notation (``v3 = 2·v1``), value,
source span, the program variable it was assigned to and the loop iteration / call it ran in.
Forward-mode rows carry one tangent per seed; reverse-mode rows carry the final adjoint, and
``updates`` lists the backward sweep in the order it ran (``v̄2 += v̄3 · cos(v2)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Span


@dataclass(slots=True, eq=False)
class TraceRow:
    node: int  # 1-based: the row is v{node}
    op: str  # primitive name, or "input"
    definition: str  # "2·v1", "exp(v3)"; for inputs the input's name
    value: float
    span: Span | None = None
    var: str | None = None
    context: str = ""
    tangent: tuple[float, ...] | None = None
    adjoint: float | None = None
    active: bool = True  # depends on an input
    args: tuple[str, ...] = ()  # displayed arguments: nodes "v3" or constants "2"
    coefficients: tuple[float, ...] | None = None  # Taylor mode: c₀ … c_K


@dataclass(slots=True, eq=False)
class AdjointUpdate:
    target: int  # node whose adjoint grows
    source: int  # node whose adjoint flows back
    partial: str  # the local partial ∂v_source/∂v_target, displayed
    partial_value: float
    contribution: float
    running: float  # the target's adjoint after this update
    output: int = 0  # which output's sweep (vjp/jacobian)
    rule: str | None = None  # an array rule's whole right-hand side ("v̄3 @ v2ᵀ"), instead of "v̄k · partial"


@dataclass
class Trace:
    mode: str  # "eval" | "forward" | "reverse"
    inputs: list[str]
    rows: list[TraceRow] = field(default_factory=list)
    updates: list[AdjointUpdate] = field(default_factory=list)
    seeds: list[dict[str, float]] = field(default_factory=list)  # forward: one direction per column
    outputs: list[int | None] = field(default_factory=list)  # node of each output (None: a constant)
    output_seeds: list[float] = field(default_factory=list)  # reverse: ȳ per output


@dataclass
class Warning:
    kind: str  # "kink" | "nonfinite" | "unused"
    message: str
    span: Span | None = None
    operation: str | None = None
    convention: str | None = None
    count: int = 1
    details: dict = field(default_factory=dict)
    site: object = field(default=None, repr=False, compare=False)  # the IR instruction (not in JSON)

    def to_json(self) -> dict:
        out: dict = {"kind": self.kind, "message": self.message}
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
