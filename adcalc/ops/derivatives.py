"""The public API: evaluate, grad, jvp, vjp, jacobian (and ``function`` for optimisers).

Contract:
- ``source`` is adcalc text (an expression or a program) or a ``Loaded`` from ``load``.
- ``point`` maps input names to floats or arrays (nested lists or NumPy arrays of numbers).
  Its order is the order of inputs in every result (gradient keys, Jacobian columns, trace
  input nodes ``v1 … vn``).  A derivative with respect to an array input has the input's shape
  (a NumPy array); a Jacobian flattens outputs (rows) and inputs (columns) in row-major order,
  inputs in point order (``JacobianResult.rows`` / ``columns`` label each entry).  Every input of the source
  must be bound; binding a name the source never uses is allowed: its derivative is exactly 0
  and a warning ("unused") names it.
- Results carry ``value`` (a float, or a list for vector-valued sources), the derivative,
  ``warnings`` (first non-finite value, kinks hit, unused bindings), ``mode``, ``sweeps``, and
  the ``trace`` when ``trace=True``.  Traced and untraced runs give identical numbers.
- Every user mistake raises ``AdcalcError``; nothing else escapes for bad input.
"""

from __future__ import annotations

import gc
from _thread import RLock
from collections import namedtuple
from collections.abc import Mapping, Sequence
from functools import lru_cache

from adcalc.language.errors import AdcalcError
from adcalc.ops import validate
from adcalc.rules.arrays import BUILTIN_NAMES, entries
from adcalc.rules.elementwise import CONSTANTS
from adcalc.transform.forward import Dual, ForwardMode, TracedForwardMode
from adcalc.transform.interpreter import Limits, compile_program, run
from adcalc.transform.modes import EvalMode, fmt_number
from adcalc.transform.reverse import ReverseMode, TracedReverseMode
from adcalc.transform.trace import Trace, Warning


class Loaded(namedtuple("Loaded", "text program compiled")):
    """A parsed, lowered and compiled source, reusable across calls."""

    __slots__ = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.program.inputs


class gc_paused:  # noqa: N801 - used like a function: ``with gc_paused():``
    """Pause the cyclic garbage collector: parse trees and tapes allocate many objects but
    create no cycles, and a collector walking them as they grow makes the work quadratic.
    (A class, not ``contextlib.contextmanager``: contextlib is not otherwise on the start-up path.)

    Re-entrant and thread-safe: a lock-protected count of the runs inside a pause; the first to
    enter records whether the collector was enabled and disables it, the last to leave restores
    it.  Runs in several threads, nested runs, and a run in a signal handler that interrupts
    another (an ``RLock``, so the handler on the same thread cannot deadlock) all leave the
    collector as they found it.  The count is claimed before the state is recorded, so a
    handler interrupting ``__enter__`` between the two sees a pause in progress."""

    def __enter__(self) -> None:
        with _GC_LOCK:
            depth = _GC_PAUSE[0]
            _GC_PAUSE[0] = depth + 1
            if depth == 0:
                enabled = None
                try:
                    enabled = _GC_PAUSE[1] = gc.isenabled()
                    gc.disable()
                except BaseException:  # Ctrl-C just here: undo it all, as __exit__ will not run
                    _GC_PAUSE[0] = depth
                    if enabled:
                        gc.enable()
                    raise

    def __exit__(self, *exc: object) -> None:
        with _GC_LOCK:
            depth = _GC_PAUSE[0] - 1
            if depth == 0 and _GC_PAUSE[1]:
                gc.enable()
            _GC_PAUSE[0] = depth


_GC_LOCK = RLock()  # _thread's RLock is threading.RLock, without importing threading at start-up
_GC_PAUSE: list = [0, False]  # [runs inside a pause, whether the collector was enabled before the first]


def load(text: str) -> Loaded:
    """Parse, lower and compile ``text`` (cached).  A one-line scalar expression goes through
    ``adcalc.front.fast.quick`` (the same Program, without importing Lark); everything else, and every
    error, through the Lark grammar."""
    validate.arguments("load", locals())
    return _load(text)


@lru_cache(maxsize=64)
def _load(text: str) -> Loaded:
    from adcalc.front.fast.quick import quick_program

    program = quick_program(text)
    if program is not None:
        return Loaded(text, program, compile_program(program))
    from adcalc.language.lower import lower
    from adcalc.language.parser import parse

    try:
        with gc_paused():
            program = lower(parse(text), text)
            return Loaded(text, program, compile_program(program))
    except RecursionError:
        raise AdcalcError("limit", "the input is nested too deeply to process") from None


class Result:
    """What an operation returns: ``value`` (a number, an array, or a list for vector-valued
    sources), ``inputs`` (point order), ``mode``, ``sweeps``, ``warnings``, ``trace``, and each
    subclass's derivative fields.  Plain classes declaring ``_fields``/``_defaults`` rather than
    dataclasses, whose import costs more start-up time than the rest of the package."""

    _fields: tuple[str, ...] = ("value", "inputs", "mode", "sweeps", "warnings", "trace")
    _defaults: dict[str, object] = {"sweeps": lambda: 0, "warnings": list, "trace": lambda: None}

    def __init__(self, *args: object, **kw: object):
        if len(args) > len(self._fields):
            raise TypeError(f"{type(self).__name__} takes at most {len(self._fields)} arguments")
        values = dict(zip(self._fields, args))
        for k, v in kw.items():
            if k not in self._fields or k in values:
                raise TypeError(f"{type(self).__name__}: unexpected or repeated argument {k!r}")
            values[k] = v
        for k in self._fields:
            if k not in values:
                if k not in self._defaults:
                    raise TypeError(f"{type(self).__name__}: missing argument {k!r}")
                values[k] = self._defaults[k]()  # type: ignore[operator]
            setattr(self, k, values[k])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self._fields) + ")"


def _result(name: str, extra: dict[str, object], doc: str) -> type:
    """A Result subclass with ``extra`` fields (name → default factory)."""
    return type(name, (Result,), {"_fields": Result._fields + tuple(extra),
                                  "_defaults": {**Result._defaults, **extra}, "__doc__": doc})


EvalResult = _result("EvalResult", {}, "The value of the source at a point.")
GradResult = _result("GradResult", {"gradient": dict}, "``gradient``: input name → ∂f/∂input (its shape).")
JvpResult = _result("JvpResult", {"tangent": lambda: 0.0, "direction": dict}, "``tangent`` = J·v along ``direction``.")
VjpResult = _result("VjpResult", {"cotangent": list, "cotangent_result": dict},
                    "``cotangent_result``: input name → (wᵀJ) for the weights ``cotangent``.")
JacobianResult = _result("JacobianResult", {"jacobian": list, "rows": list, "columns": list, "arrays": lambda: False},
                         "``jacobian`` (rows: outputs, columns: inputs); ``rows``/``columns`` label each entry "
                         "(\"f[0, 1]\", \"x[2]\"); ``arrays``: an input or an output is an array.")


# ---- binding ------------------------------------------------------------------------------

def _resolve(source: str | Loaded) -> Loaded:
    if isinstance(source, Loaded):
        return source
    if not isinstance(source, str):
        raise AdcalcError("usage", f"source must be adcalc text, not {type(source).__name__}")
    return load(source)


def _as_array(name: str, value: object) -> object:
    from adcalc.rules.elementwise import np

    try:
        a = np.asarray(value, dtype=float)  # no copy of a float array: adcalc never writes into inputs
    except (TypeError, ValueError):
        raise AdcalcError("input", f"the value of '{name}' must be a number or a rectangular array of numbers",
                          hint="e.g. x=[1,2,3] or A=[[1,2],[3,4]]") from None
    if a.ndim == 0:
        return float(a)
    return a


def _bind(loaded: Loaded, point: Mapping[str, float],
          allow_arrays: bool = True) -> tuple[list[str], dict[str, float], list[Warning]]:
    """Check ``point`` against the source's inputs; returns (names in point order, values, warnings)."""
    if point is None:
        point = {}
    names = list(point)
    values: dict[str, float] = {}
    for name in names:
        if name in CONSTANTS:
            raise AdcalcError("input", f"'{name}' is a constant ({CONSTANTS[name]!r}) and cannot be bound",
                              hint=f"remove {name}=… from the point")
        if name in BUILTIN_NAMES or name in loaded.program.functions:
            raise AdcalcError("input", f"'{name}' is a function name and cannot be bound")
        value = point[name]
        if isinstance(value, list | tuple) or hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
            if not allow_arrays:
                raise AdcalcError("input", f"'{name}' is an array; this operation supports numbers only",
                                  hint="use grad, jvp, vjp or jacobian for array inputs")
            values[name] = _as_array(name, value)
            continue
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


def _run(loaded: Loaded, mode: object, names: list[str], values: dict[str, float], limits: Limits,
         traced: bool) -> list[object]:
    """Create the inputs in point order (so they are nodes v1 … vn in that order) and run."""
    used = [n for n in names if n in loaded.program.inputs]
    made = {n: mode.input(i, n, values[n]) for i, n in enumerate(used)}
    args = [made[n] for n in loaded.program.inputs]
    with gc_paused():
        return run(loaded.compiled, mode, args, limits, trace_context=traced)


def _shape(loaded: Loaded, outputs: list[float]) -> float | list[float]:
    return outputs if loaded.program.vector_output else outputs[0]


def _limits(max_steps: int | None, max_depth: int | None, max_memory: int | None = None) -> Limits:
    base = Limits()
    return Limits(max_steps if max_steps is not None else base.max_steps,
                  max_depth if max_depth is not None else base.max_depth, max_memory)


def _need(limits: Limits, nbytes: int, what: str) -> None:
    """Check an allocation the operation itself makes (seeds, a Jacobian) against the budget."""
    from adcalc.transform.budget import Budget

    Budget(limits.max_steps, limits.max_memory).need(nbytes, None, what)


def _size(v: object) -> int:
    return 1 if type(v) is float else int(v.size)


def _labels(name: str, v: object) -> list[str]:
    """The names of a value's scalar entries in row-major order: ``x`` or ``x[0]``, ``A[0, 1]``."""
    if type(v) is float:
        return [name]
    from adcalc.rules.elementwise import np

    return [f"{name}[{', '.join(str(i) for i in idx)}]" for idx in np.ndindex(*v.shape)]


def _scalar_output(m: object, out: object, what: str) -> float:
    value = m.primal(out)
    if type(value) is not float:
        raise AdcalcError("type", f"{what} needs a scalar function, but this one returns an array of shape "
                          f"{tuple(value.shape)}", hint="use jacobian (or vjp), or reduce it, e.g. sum(…)")
    return value


def _unit_seeds(names: list[str], values: dict[str, object], limits: Limits) -> list[object]:
    """Seeds for one forward sweep per scalar entry of the inputs (identity over the flattening);
    their memory (width × entries) is checked against the budget first."""
    from adcalc.rules.elementwise import np

    width = sum(_size(values[n]) for n in names)
    _need(limits, 8 * width * width, f"forward mode with {width:,} tangent directions (one per input entry)")
    seeds: list[object] = []
    offset = 0
    for n in names:
        v = values[n]
        if type(v) is float:
            seeds.append(tuple(1.0 if j == offset else 0.0 for j in range(width)))
        else:  # (width, *shape): direction offset + j moves entry j of v (row-major)
            seed = np.zeros((width,) + v.shape)
            seed.reshape(width, -1)[offset:offset + v.size] = np.eye(v.size)
            seeds.append(seed)
        offset += _size(v)
    return seeds


def _tangent_matrix(out: object, width: int) -> list[list[float]]:
    """The rows (one per scalar entry of an output) of its tangents over ``width`` directions."""
    from adcalc.transform.forward import ArrayDual

    if type(out) is ArrayDual:
        t = out.tangent.reshape(width, -1)
        return [[float(x) for x in t[:, j]] for j in range(t.shape[1])]
    if type(out) is Dual and out.tangent is not None:
        return [list(out.tangent)]
    if type(out) is float:
        return [[0.0] * width]
    return [[0.0] * width for _ in range(out.size)]  # a constant array


def _split(names: list[str], values: dict[str, object], flat: Sequence[float]) -> dict[str, object]:
    """A flat vector over the inputs, back in each input's shape."""
    return dict(zip(names, _unflatten([values[n] for n in names], flat)))


def _has_arrays(loaded: Loaded, values: dict[str, object]) -> bool:
    from adcalc.language.ir import Eqn
    from adcalc.rules.arrays import ARRAY_PRIMITIVES

    if any(type(v) is not float for v in values.values()):
        return True
    return any(isinstance(ins, Eqn) and ins.prim in ARRAY_PRIMITIVES
               for fn in loaded.program.functions.values() for ins in fn.code)


# ---- the operations ---------------------------------------------------------------------

def evaluate(source: str | Loaded, point: Mapping[str, float] | None = None, *, strict: bool = False,
             max_steps: int | None = None, max_depth: int | None = None,
        max_memory: int | None = None) -> EvalResult:
    """The value of the source at ``point``."""
    validate.arguments("evaluate", locals())
    loaded = _resolve(source)
    names, values, warnings = _bind(loaded, point or {})
    mode = EvalMode(strict)
    outs = _run(loaded, mode, names, values, _limits(max_steps, max_depth, max_memory), False)
    return EvalResult(_shape(loaded, outs), names, "eval", 0, warnings + mode.warnings)


def _forward(loaded: Loaded, names: list[str], values: dict[str, float], seeds: list[tuple[float, ...]],
             strict: bool, trace: bool, limits: Limits
             ) -> tuple[list[float], list[tuple[float, ...]], object, Trace | None]:
    used = [n for n in names if n in loaded.program.inputs]
    seed_of = dict(zip(names, seeds))
    used_seeds = [seed_of[n] for n in used]
    tr = Trace("forward", names) if trace else None
    mode = TracedForwardMode(used_seeds, tr, strict) if tr is not None else ForwardMode(used_seeds, strict)
    outs = _run(loaded, mode, names, values, limits, trace)
    mode.outputs = outs
    width = mode.width = len(seeds[0]) if seeds else 0  # every direction, even if no used input moves
    primals = [mode.primal(o) for o in outs]
    tangents = [o.tangent if type(o) is Dual and o.tangent is not None else (0.0,) * width for o in outs]
    if tr is not None:
        tr.seeds = [{n: seed_of[n][j] for n in names} for j in range(width)]
        tr.outputs = [o.node if type(o) is Dual else None for o in outs]
    return primals, tangents, mode, tr


def _reverse(loaded: Loaded, names: list[str], values: dict[str, float], strict: bool, trace: bool,
             limits: Limits) -> tuple[list[object], object, Trace | None]:
    tr = Trace("reverse", names) if trace else None
    mode = TracedReverseMode(tr, strict) if tr is not None else ReverseMode(strict)
    outs = _run(loaded, mode, names, values, limits, trace)
    if tr is not None:
        tr.outputs = [o + 1 if type(o) is int else (o.index + 1 if hasattr(o, "index") else None) for o in outs]
    return outs, mode, tr


def _attach_one_sided(loaded: Loaded, names: list[str], values: dict[str, float], warnings: list[Warning],
                      limits: Limits, vector: bool) -> None:
    """Give every kink warning the left and right derivatives along each input that moves it."""
    kinks = [w for w in warnings if w.kind == "kink" and w.site is not None]
    if not kinks or _has_arrays(loaded, values):  # one-sided sweeps are for scalar programs
        return
    from adcalc.transform.onesided import one_sided

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


def _read_adjoints(names: list[str], used: Sequence[str], adj: list[object],
                   values: dict[str, object] | None = None) -> dict[str, object]:
    """Each input's adjoint (inputs are the first nodes, in point order); an array input's is an
    array of its shape (zeros when no cotangent reached it)."""
    node_of = {n: i for i, n in enumerate(used)}
    out: dict[str, object] = {}
    for n in names:
        v = values[n] if values is not None else 0.0
        a = adj[node_of[n]] if n in node_of else None
        if type(v) is float:
            out[n] = a if a is not None else 0.0
        else:
            from adcalc.rules.elementwise import np

            out[n] = np.zeros(v.shape) if a is None else np.array(np.broadcast_to(a, v.shape), dtype=float)
    return out


def grad(source: str | Loaded, point: Mapping[str, float], *, mode: str = "reverse", strict: bool = False,
         trace: bool = False, max_steps: int | None = None, max_depth: int | None = None,
        max_memory: int | None = None) -> GradResult:
    """The gradient of a scalar source at ``point`` (reverse mode: one sweep; forward: one per input)."""
    validate.arguments("grad", locals())
    loaded = _resolve(source)
    _check_scalar(loaded, "grad")
    names, values, warnings = _bind(loaded, point)
    limits = _limits(max_steps, max_depth, max_memory)
    if mode == "forward":
        seeds = _unit_seeds(names, values, limits)
        primals, tangents, m, tr = _forward(loaded, names, values, seeds, strict, trace, limits)
        value = _scalar_output(m, primals[0], "grad")
        gradient = _split(names, values, tangents[0]) if names else {}
        _attach_one_sided(loaded, names, values, m.warnings, limits, False)
        return GradResult(value, names, "forward", m.width, warnings + m.warnings, tr, gradient)
    if mode != "reverse":
        raise AdcalcError("usage", f"mode must be 'forward' or 'reverse', not {mode!r}")
    outs, m, tr = _reverse(loaded, names, values, strict, trace, limits)
    value = _scalar_output(m, outs[0], "grad")
    if tr is not None:
        tr.output_seeds = [1.0]
    adj = m.gradient(outs, [1.0])
    used = [n for n in names if n in loaded.program.inputs]
    gradient = _read_adjoints(names, used, adj, values)
    _attach_one_sided(loaded, names, values, m.warnings, limits, False)
    return GradResult(value, names, "reverse", 1, warnings + m.warnings, tr, gradient)


def jvp(source: str | Loaded, point: Mapping[str, float], direction: Mapping[str, float], *,
        strict: bool = False, trace: bool = False, max_steps: int | None = None,
        max_depth: int | None = None, max_memory: int | None = None) -> JvpResult:
    """J·v: the directional derivative along ``direction`` (one forward sweep)."""
    validate.arguments("jvp", locals())
    loaded = _resolve(source)
    names, values, warnings = _bind(loaded, point)
    check_direction(names, values, direction)
    dvec: dict[str, object] = {}
    seeds: list[object] = []
    for n in names:
        d = _as_array(n, direction[n]) if type(values[n]) is not float else direction[n]
        if type(values[n]) is float:
            if isinstance(d, list | tuple) or hasattr(d, "shape") and getattr(d, "ndim", 0) > 0:
                raise AdcalcError("input", f"the direction for '{n}' must be a number, like '{n}' itself")
            dvec[n] = float(d)  # type: ignore[arg-type]
            seeds.append((dvec[n],))
        else:
            if type(d) is float or d.shape != values[n].shape:
                raise AdcalcError("input", f"the direction for '{n}' must have its shape "
                                  f"{tuple(values[n].shape)}, got {tuple(getattr(d, 'shape', ()))}")
            dvec[n] = d
            seeds.append(d[None, ...])
    limits = _limits(max_steps, max_depth, max_memory)
    primals, tangents, m, tr = _forward(loaded, names, values, seeds, strict, trace, limits)
    t = [_tangent_of(o, p) for o, p in zip(m.outputs, primals)]
    return JvpResult(_shape(loaded, primals), names, "forward", 1, warnings + m.warnings, tr,
                     _shape(loaded, t), dvec)


def _tangent_of(out: object, value: object) -> object:
    """The tangent along the single direction of a jvp, in the output's shape."""
    from adcalc.transform.forward import ArrayDual

    if type(out) is ArrayDual:
        return out.tangent[0].copy()
    if type(out) is Dual:
        return out.tangent[0] if out.tangent is not None else 0.0
    if type(value) is float:
        return 0.0
    from adcalc.rules.elementwise import np

    return np.zeros(value.shape)


def vjp(source: str | Loaded, point: Mapping[str, float], cotangent: Sequence[float], *, strict: bool = False,
        trace: bool = False, max_steps: int | None = None, max_depth: int | None = None,
        max_memory: int | None = None) -> VjpResult:
    """wᵀJ: the cotangent ``w`` (one weight per output) pulled back to the inputs (one reverse sweep)."""
    validate.arguments("vjp", locals())
    loaded = _resolve(source)
    names, values, warnings = _bind(loaded, point)
    w = [float(c) for c in cotangent]
    limits = _limits(max_steps, max_depth, max_memory)
    outs, m, tr = _reverse(loaded, names, values, strict, trace, limits)
    primals = [m.primal(o) for o in outs]
    n_out = sum(_size(p) for p in primals)
    if len(w) != n_out:
        what = "output" if all(type(p) is float for p in primals) else "output entry (arrays flattened row-major)"
        raise AdcalcError("input", f"the cotangent has {len(w)} entr{'y' if len(w) == 1 else 'ies'} but the "
                          f"source has {n_out} {what}{'s' if n_out != 1 else ''}",
                          hint="give one weight per output: --cot " + ",".join(["1"] * min(n_out, 20)))
    if tr is not None:
        tr.output_seeds = w
    adj = m.gradient(outs, _unflatten(primals, w))
    used = [n for n in names if n in loaded.program.inputs]
    return VjpResult(primals, names, "reverse", 1, warnings + m.warnings, tr, w,
                     _read_adjoints(names, used, adj, values))


def _unflatten(shapes_of: list[object], flat: Sequence[float]) -> list[object]:
    """A flat vector back in the shapes of the values ``shapes_of`` (numbers or arrays)."""
    out: list[object] = []
    offset = 0
    for p in shapes_of:
        if type(p) is float:
            out.append(flat[offset])
        else:
            from adcalc.rules.elementwise import np

            out.append(np.array(flat[offset:offset + p.size], dtype=float).reshape(p.shape))
        offset += _size(p)
    return out


def jacobian(source: str | Loaded, point: Mapping[str, float], *, mode: str | None = None,
             strict: bool = False, max_steps: int | None = None, max_depth: int | None = None,
        max_memory: int | None = None) -> JacobianResult:
    """The m×n Jacobian (rows: outputs, columns: inputs in point order).

    ``mode=None`` picks whichever needs fewer sweeps: forward takes one per input, reverse one
    per output (a tie goes to forward, which needs no tape)."""
    validate.arguments("jacobian", locals())
    loaded = _resolve(source)
    names, values, warnings = _bind(loaded, point)
    n = sum(_size(values[nm]) for nm in names)
    limits = _limits(max_steps, max_depth, max_memory)
    arrays = _has_arrays(loaded, values)
    if mode is None:
        if arrays:  # how many output entries there are is known only by running
            probe = EvalMode(strict)
            m_out = sum(_size(v) for v in _run(loaded, probe, names, values, limits, False))
        else:
            m_out = loaded.program.n_outputs
        mode = "forward" if n <= m_out else "reverse"
    columns = [label for nm in names for label in _labels(nm, values[nm])]
    if mode == "forward":
        seeds = _unit_seeds(names, values, limits)
        primals, _, md, _ = _forward(loaded, names, values, seeds, strict, False, limits)
        _need_jacobian(limits, sum(_size(p) for p in primals), n)
        jac = [row for o in md.outputs for row in _tangent_matrix(o, md.width)]
        _attach_one_sided(loaded, names, values, md.warnings, limits, True)
        return JacobianResult(primals, names, "forward", n, warnings + md.warnings, None, jac,
                              _row_labels(loaded, primals), columns, arrays)
    if mode != "reverse":
        raise AdcalcError("usage", f"mode must be 'forward' or 'reverse', not {mode!r}")
    outs, md, _ = _reverse(loaded, names, values, strict, False, limits)
    primals = [md.primal(o) for o in outs]
    m_out = sum(_size(p) for p in primals)
    _need_jacobian(limits, m_out, n)
    used = [nm for nm in names if nm in loaded.program.inputs]
    jac = []
    for i in range(m_out):
        adj = md.gradient(outs, _unflatten(primals, [1.0 if k == i else 0.0 for k in range(m_out)]))
        row = _read_adjoints(names, used, adj, values)
        jac.append(entries([row[nm] for nm in names]))
    _attach_one_sided(loaded, names, values, md.warnings, limits, True)
    return JacobianResult(primals, names, "reverse", m_out, warnings + md.warnings, None, jac,
                          _row_labels(loaded, primals), columns, arrays)


def _need_jacobian(limits: Limits, m: int, n: int) -> None:
    """A Jacobian is m × n Python floats in lists (about 32 bytes each): check before forming it."""
    _need(limits, 32 * m * n, f"a Jacobian of {m:,} × {n:,} entries")


def _row_labels(loaded: Loaded, primals: list[object]) -> list[str]:
    if len(primals) == 1 and not loaded.program.vector_output:
        return _labels("f", primals[0])
    return [label for i, p in enumerate(primals) for label in _labels(f"f{i + 1}", p)]


class DiffFunction:
    """A source as a plain function of a vector, for optimisers::

        f = adcalc.function("100*(y - x^2)^2 + (1 - x)^2", inputs=["x", "y"])
        scipy.optimize.minimize(f, [-1.2, 1.0], jac=f.grad)
    """

    def __init__(self, source: str | Loaded, inputs: Sequence[str] | None = None):
        validate.arguments("function", {"source": source, "inputs": inputs})
        self.loaded = _resolve(source)
        self.inputs = list(inputs) if inputs is not None else list(self.loaded.inputs)

    def _point(self, x: Sequence[float]) -> dict[str, float]:
        xs = [float(v) for v in x]
        if len(xs) != len(self.inputs):
            raise AdcalcError("input", f"expected {len(self.inputs)} values ({', '.join(self.inputs)}), got {len(xs)}")
        return dict(zip(self.inputs, xs))

    def __call__(self, x: Sequence[float]) -> float | list[float]:
        validate.arguments("function", {"x": x})
        return evaluate(self.loaded, self._point(x)).value

    def grad(self, x: Sequence[float]) -> list[float]:
        validate.arguments("function", {"x": x})
        g = grad(self.loaded, self._point(x)).gradient
        return [g[n] for n in self.inputs]


def function(source: str | Loaded, inputs: Sequence[str] | None = None) -> DiffFunction:
    """Wrap a source as ``f(x)`` with ``f.grad(x)`` (x a sequence in ``inputs`` order)."""
    return DiffFunction(source, inputs)

