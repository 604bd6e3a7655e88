"""The public API: evaluate, grad, jvp, vjp, jacobian (and ``function`` for optimisers).

Contract:
- ``source`` is adcalc text (an expression or a program) or a ``Loaded`` from ``load``.
- ``point`` maps input names to floats.  Its order is the order of inputs in every result
  (gradient keys, Jacobian columns, trace input nodes ``v1 … vn``).  Every input of the source
  must be bound; binding a name the source never uses is allowed: its derivative is exactly 0
  and a warning ("unused") names it.
- Results carry ``value`` (a float, or a list for vector-valued sources), the derivative,
  ``warnings`` (first non-finite value, kinks hit, unused bindings), ``mode``, ``sweeps``, and
  the ``trace`` when ``trace=True``.  Traced and untraced runs give identical numbers.
- Every user mistake raises ``AdcalcError``; nothing else escapes for bad input.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .errors import AdcalcError
from .forward import Dual, ForwardMode, TracedForwardMode
from .interpreter import Compiled, Limits, compile_program, run
from .ir import Program
from .lower import lower
from .modes import EvalMode, fmt_number
from .parser import parse
from .primitives import CONSTANTS, FUNCTIONS
from .reverse import ReverseMode, TracedReverseMode
from .trace import Trace, Warning


@dataclass(frozen=True)
class Loaded:
    """A parsed, lowered and compiled source, reusable across calls."""

    text: str
    program: Program
    compiled: Compiled

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.program.inputs


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: parse trees and tapes allocate many objects but
    create no cycles, and a collector walking them as they grow makes the work quadratic."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@lru_cache(maxsize=64)
def load(text: str) -> Loaded:
    """Parse, lower and compile ``text`` (cached)."""
    try:
        with gc_paused():
            program = lower(parse(text), text)
            return Loaded(text, program, compile_program(program))
    except RecursionError:
        raise AdcalcError("limit", "the input is nested too deeply to process") from None


@dataclass
class Result:
    value: float | list[float]
    inputs: list[str]
    mode: str
    sweeps: int = 0
    warnings: list[Warning] = field(default_factory=list)
    trace: Trace | None = None


@dataclass
class EvalResult(Result):
    pass


@dataclass
class GradResult(Result):
    gradient: dict[str, float] = field(default_factory=dict)


@dataclass
class JvpResult(Result):
    tangent: float | list[float] = 0.0
    direction: dict[str, float] = field(default_factory=dict)


@dataclass
class VjpResult(Result):
    cotangent: list[float] = field(default_factory=list)
    cotangent_result: dict[str, float] = field(default_factory=dict)


@dataclass
class JacobianResult(Result):
    jacobian: list[list[float]] = field(default_factory=list)


# ---- binding ------------------------------------------------------------------------------

def _resolve(source: str | Loaded) -> Loaded:
    if isinstance(source, Loaded):
        return source
    if not isinstance(source, str):
        raise AdcalcError("usage", f"source must be adcalc text, not {type(source).__name__}")
    return load(source)


def _bind(loaded: Loaded, point: Mapping[str, float]) -> tuple[list[str], dict[str, float], list[Warning]]:
    """Check ``point`` against the source's inputs; returns (names in point order, values, warnings)."""
    if point is None:
        point = {}
    names = list(point)
    values: dict[str, float] = {}
    for name in names:
        if name in CONSTANTS:
            raise AdcalcError("input", f"'{name}' is a constant ({CONSTANTS[name]!r}) and cannot be bound",
                              hint=f"remove {name}=… from the point")
        if name in FUNCTIONS or name in loaded.program.functions:
            raise AdcalcError("input", f"'{name}' is a function name and cannot be bound")
        value = point[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(value)  # numpy scalars and the like
            except (TypeError, ValueError):
                raise AdcalcError("input", f"the value of '{name}' must be a number, not {value!r}") from None
        values[name] = float(value)
    inputs = loaded.program.inputs
    missing = [n for n in inputs if n not in values]
    if missing:
        raise AdcalcError("input", f"no value for {', '.join(missing)}",
                          hint="give every input a value: --at " + ",".join(f"{n}=…" for n in inputs))
    warnings = [Warning("unused", f"'{n}' is bound but the source never uses it (its derivative is 0); "
                        "is it a typo?", details={"name": n}) for n in names if n not in inputs]
    return names, values, warnings


def check_direction(names: list[str], values: Mapping[str, float], direction: Mapping[str, float]) -> None:
    """A direction must give exactly the point's inputs."""
    missing = [n for n in names if n not in direction]
    extra = [n for n in direction if n not in values]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"no direction for {', '.join(missing)}")
        if extra:
            parts.append(f"{', '.join(extra)} in the direction but not in the point")
        raise AdcalcError("input", "; ".join(parts), hint="the direction must give every input of the point")


def _check_scalar(loaded: Loaded, what: str) -> None:
    if loaded.program.vector_output:
        raise AdcalcError("type", f"{what} needs a scalar function, but this one returns "
                          f"{loaded.program.n_outputs} values", hint="use jacobian (or vjp) for vector outputs")


def _run(loaded: Loaded, mode: Any, names: list[str], values: dict[str, float], limits: Limits,
         traced: bool) -> list[Any]:
    """Create the inputs in point order (so they are nodes v1 … vn in that order) and run."""
    used = [n for n in names if n in loaded.program.inputs]
    made = {n: mode.input(i, n, values[n]) for i, n in enumerate(used)}
    args = [made[n] for n in loaded.program.inputs]
    with gc_paused():
        return run(loaded.compiled, mode, args, limits, trace_context=traced)


def _shape(loaded: Loaded, outputs: list[float]) -> float | list[float]:
    return outputs if loaded.program.vector_output else outputs[0]


def _limits(max_steps: int | None, max_depth: int | None) -> Limits:
    base = Limits()
    return Limits(max_steps if max_steps is not None else base.max_steps,
                  max_depth if max_depth is not None else base.max_depth)


# ---- the operations ---------------------------------------------------------------------

def evaluate(source: str | Loaded, point: Mapping[str, float] | None = None, *, strict: bool = False,
             max_steps: int | None = None, max_depth: int | None = None) -> EvalResult:
    """The value of the source at ``point``."""
    loaded = _resolve(source)
    names, values, warnings = _bind(loaded, point or {})
    mode = EvalMode(strict)
    outs = _run(loaded, mode, names, values, _limits(max_steps, max_depth), False)
    return EvalResult(_shape(loaded, outs), names, "eval", 0, warnings + mode.warnings)


def _forward(loaded: Loaded, names: list[str], values: dict[str, float], seeds: list[tuple[float, ...]],
             strict: bool, trace: bool, limits: Limits
             ) -> tuple[list[float], list[tuple[float, ...]], Any, Trace | None]:
    used = [n for n in names if n in loaded.program.inputs]
    seed_of = dict(zip(names, seeds))
    used_seeds = [seed_of[n] for n in used]
    tr = Trace("forward", names) if trace else None
    mode = TracedForwardMode(used_seeds, tr, strict) if tr is not None else ForwardMode(used_seeds, strict)
    outs = _run(loaded, mode, names, values, limits, trace)
    width = len(seeds[0]) if seeds else 0
    primals = [mode.primal(o) for o in outs]
    tangents = [o.tangent if type(o) is Dual and o.tangent is not None else (0.0,) * width for o in outs]
    if tr is not None:
        tr.seeds = [{n: seed_of[n][j] for n in names} for j in range(width)]
        tr.outputs = [o.node if type(o) is Dual else None for o in outs]
    return primals, tangents, mode, tr


def _reverse(loaded: Loaded, names: list[str], values: dict[str, float], strict: bool, trace: bool,
             limits: Limits) -> tuple[list[Any], Any, Trace | None]:
    tr = Trace("reverse", names) if trace else None
    mode = TracedReverseMode(tr, strict) if tr is not None else ReverseMode(strict)
    outs = _run(loaded, mode, names, values, limits, trace)
    if tr is not None:
        tr.outputs = [o + 1 if type(o) is int else None for o in outs]
    return outs, mode, tr


def _attach_one_sided(loaded: Loaded, names: list[str], values: dict[str, float], warnings: list[Warning],
                      limits: Limits, vector: bool) -> None:
    """Give every kink warning the left and right derivatives along each input that moves it."""
    kinks = [w for w in warnings if w.kind == "kink" and w.site is not None]
    if not kinks:
        return
    from .onesided import one_sided

    used = [n for n in names if n in loaded.program.inputs]
    sides, affected = one_sided(lambda mode: _run(loaded, mode, names, values, limits, False), used, used)
    for w in kinks:
        movers = [n for n in used if n in affected.get(id(w.site), set())]
        table = {}
        for n in movers:
            left, right = sides[n]
            table[n] = {"left": left if vector else left[0], "right": right if vector else right[0]}
        w.details["one_sided"] = table
        if table and not vector:
            w.message += "; one-sided derivatives: " + ", ".join(
                f"∂f/∂{n} from the left {fmt_number(t['left'])}, from the right {fmt_number(t['right'])}"
                for n, t in table.items())


def _read_adjoints(names: list[str], used: Sequence[str], adj: list[float]) -> dict[str, float]:
    node_of = {n: i for i, n in enumerate(used)}  # inputs are the first nodes, in point order
    return {n: (adj[node_of[n]] if n in node_of else 0.0) for n in names}


def grad(source: str | Loaded, point: Mapping[str, float], *, mode: str = "reverse", strict: bool = False,
         trace: bool = False, max_steps: int | None = None, max_depth: int | None = None) -> GradResult:
    """The gradient of a scalar source at ``point`` (reverse mode: one sweep; forward: one per input)."""
    loaded = _resolve(source)
    _check_scalar(loaded, "grad")
    names, values, warnings = _bind(loaded, point)
    limits = _limits(max_steps, max_depth)
    if mode == "forward":
        seeds = [tuple(1.0 if j == i else 0.0 for j in range(len(names))) for i in range(len(names))]
        primals, tangents, m, tr = _forward(loaded, names, values, seeds, strict, trace, limits)
        gradient = dict(zip(names, tangents[0])) if names else {}
        _attach_one_sided(loaded, names, values, m.warnings, limits, False)
        return GradResult(primals[0], names, "forward", len(names), warnings + m.warnings, tr, gradient)
    if mode != "reverse":
        raise AdcalcError("usage", f"mode must be 'forward' or 'reverse', not {mode!r}")
    outs, m, tr = _reverse(loaded, names, values, strict, trace, limits)
    if tr is not None:
        tr.output_seeds = [1.0]
    adj = m.gradient(outs, [1.0])
    used = [n for n in names if n in loaded.program.inputs]
    gradient = _read_adjoints(names, used, adj)
    _attach_one_sided(loaded, names, values, m.warnings, limits, False)
    return GradResult(m.primal(outs[0]), names, "reverse", 1, warnings + m.warnings, tr, gradient)


def jvp(source: str | Loaded, point: Mapping[str, float], direction: Mapping[str, float], *,
        strict: bool = False, trace: bool = False, max_steps: int | None = None,
        max_depth: int | None = None) -> JvpResult:
    """J·v: the directional derivative along ``direction`` (one forward sweep)."""
    loaded = _resolve(source)
    names, values, warnings = _bind(loaded, point)
    check_direction(names, values, direction)
    dvec = {n: float(direction[n]) for n in names}
    seeds = [(dvec[n],) for n in names]
    primals, tangents, m, tr = _forward(loaded, names, values, seeds, strict, trace, _limits(max_steps, max_depth))
    t = [tan[0] for tan in tangents]
    return JvpResult(_shape(loaded, primals), names, "forward", 1, warnings + m.warnings, tr,
                     _shape(loaded, t), dvec)


def vjp(source: str | Loaded, point: Mapping[str, float], cotangent: Sequence[float], *, strict: bool = False,
        trace: bool = False, max_steps: int | None = None, max_depth: int | None = None) -> VjpResult:
    """wᵀJ: the cotangent ``w`` (one weight per output) pulled back to the inputs (one reverse sweep)."""
    loaded = _resolve(source)
    names, values, warnings = _bind(loaded, point)
    n_out = loaded.program.n_outputs
    w = [float(c) for c in cotangent]
    if len(w) != n_out:
        raise AdcalcError("input", f"the cotangent has {len(w)} entr{'y' if len(w) == 1 else 'ies'} but the "
                          f"source has {n_out} output{'s' if n_out != 1 else ''}",
                          hint="give one weight per output: --cot " + ",".join(["1"] * n_out))
    outs, m, tr = _reverse(loaded, names, values, strict, trace, _limits(max_steps, max_depth))
    if tr is not None:
        tr.output_seeds = w
    adj = m.gradient(outs, w)
    used = [n for n in names if n in loaded.program.inputs]
    return VjpResult([m.primal(o) for o in outs], names, "reverse", 1, warnings + m.warnings, tr, w,
                     _read_adjoints(names, used, adj))


def jacobian(source: str | Loaded, point: Mapping[str, float], *, mode: str | None = None,
             strict: bool = False, max_steps: int | None = None, max_depth: int | None = None) -> JacobianResult:
    """The m×n Jacobian (rows: outputs, columns: inputs in point order).

    ``mode=None`` picks whichever needs fewer sweeps: forward takes one per input, reverse one
    per output (a tie goes to forward, which needs no tape)."""
    loaded = _resolve(source)
    names, values, warnings = _bind(loaded, point)
    n, m_out = len(names), loaded.program.n_outputs
    if mode is None:
        mode = "forward" if n <= m_out else "reverse"
    limits = _limits(max_steps, max_depth)
    if mode == "forward":
        seeds = [tuple(1.0 if j == i else 0.0 for j in range(n)) for i in range(n)]
        primals, tangents, md, _ = _forward(loaded, names, values, seeds, strict, False, limits)
        jac = [list(t) for t in tangents]
        _attach_one_sided(loaded, names, values, md.warnings, limits, True)
        return JacobianResult(primals, names, "forward", n, warnings + md.warnings, None, jac)
    if mode != "reverse":
        raise AdcalcError("usage", f"mode must be 'forward' or 'reverse', not {mode!r}")
    outs, md, _ = _reverse(loaded, names, values, strict, False, limits)
    used = [nm for nm in names if nm in loaded.program.inputs]
    jac = []
    for i in range(m_out):
        adj = md.gradient(outs, [1.0 if k == i else 0.0 for k in range(m_out)])
        row = _read_adjoints(names, used, adj)
        jac.append([row[nm] for nm in names])
    _attach_one_sided(loaded, names, values, md.warnings, limits, True)
    return JacobianResult([md.primal(o) for o in outs], names, "reverse", m_out, warnings + md.warnings, None, jac)


class DiffFunction:
    """A source as a plain function of a vector, for optimisers::

        f = adcalc.function("100*(y - x^2)^2 + (1 - x)^2", inputs=["x", "y"])
        scipy.optimize.minimize(f, [-1.2, 1.0], jac=f.grad)
    """

    def __init__(self, source: str | Loaded, inputs: Sequence[str] | None = None):
        self.loaded = _resolve(source)
        self.inputs = list(inputs) if inputs is not None else list(self.loaded.inputs)

    def _point(self, x: Sequence[float]) -> dict[str, float]:
        xs = [float(v) for v in x]
        if len(xs) != len(self.inputs):
            raise AdcalcError("input", f"expected {len(self.inputs)} values ({', '.join(self.inputs)}), got {len(xs)}")
        return dict(zip(self.inputs, xs))

    def __call__(self, x: Sequence[float]) -> float | list[float]:
        return evaluate(self.loaded, self._point(x)).value

    def grad(self, x: Sequence[float]) -> list[float]:
        g = grad(self.loaded, self._point(x)).gradient
        return [g[n] for n in self.inputs]


def function(source: str | Loaded, inputs: Sequence[str] | None = None) -> DiffFunction:
    """Wrap a source as ``f(x)`` with ``f.grad(x)`` (x a sequence in ``inputs`` order)."""
    return DiffFunction(source, inputs)

