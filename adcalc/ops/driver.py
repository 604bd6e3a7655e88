"""The driver layer: what every operation does around a run of the interpreter.

Contract (public inside the package; the operations — derivatives, higher, checks, batch —
and presentation use these, never each other's private helpers):
- ``load(text)`` parses, lowers and compiles once (cached) into a ``Loaded``; ``resolve``
  accepts text or a ``Loaded``.
- ``bind(loaded, point)`` checks a point against the source's inputs: (names in point order,
  values — floats or float64 arrays —, "unused" warnings).  ``check_direction`` checks a direction.
- ``run_mode(loaded, mode, names, values, limits, traced)`` creates the inputs in point order (so
  they are nodes v1 … vn) and runs the interpreter under ``mode`` with the garbage collector paused;
  ``run_forward``/``run_reverse`` do it for the derivative modes (with the trace when asked).
- ``read_adjoints``, ``tangent_matrix``, ``tangent_of``, ``split``, ``unflatten``: read results
  back in the inputs' and outputs' shapes; ``labels``/``row_labels`` name every scalar entry.
- ``attach_one_sided`` (in ``adcalc.ops.kinks``) gives every kink warning its left and right derivatives.
- ``limits_of``/``need``: the run's limits, and budget checks of what an operation allocates itself.
"""

from __future__ import annotations

import gc
from _thread import RLock
from collections import namedtuple
from collections.abc import Mapping, Sequence
from functools import lru_cache

from adcalc.errors import AdcalcError
from adcalc.language.keywords import PYTHON_KEYWORDS
from adcalc.ops import validate
from adcalc.rules.registry import BUILTIN_NAMES, CONSTANTS
from adcalc.transform.forward import Dual, ForwardMode
from adcalc.transform.graph import Graph
from adcalc.transform.interpreter import Limits, compile_program, run
from adcalc.transform.notes import Warning
from adcalc.transform.record import Rec, Recorder
from adcalc.transform.reverse import ReverseMode


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
    ``adcalc.language.quick`` (the same Program, without importing Lark); everything else, and every
    error, through the Lark grammar."""
    validate.arguments("load", locals())
    return _load(text)


@lru_cache(maxsize=64)
def _load(text: str) -> Loaded:
    from adcalc.language.quick import quick_program

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


def resolve(source: str | Loaded) -> Loaded:
    if isinstance(source, Loaded):
        return source
    if not isinstance(source, str):
        raise AdcalcError("usage", f"source must be adcalc text, not {type(source).__name__}")
    return load(source)


def as_array(name: str, value: object) -> object:
    from adcalc.rules.registry import np

    try:
        a = np.asarray(value, dtype=float)  # no copy of a float array: adcalc never writes into inputs
    except (TypeError, ValueError):
        raise AdcalcError("input", f"the value of '{name}' must be a number or a rectangular array of numbers",
                          hint="e.g. x=[1,2,3] or A=[[1,2],[3,4]]") from None
    if a.ndim == 0:
        return float(a)
    return a


def bind(loaded: Loaded, point: Mapping[str, float],
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
        if name in PYTHON_KEYWORDS:
            raise AdcalcError("input", f"'{name}' is a keyword, never a name, and cannot be bound")
        value = point[name]
        if isinstance(value, list | tuple) or hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
            if not allow_arrays:
                raise AdcalcError("input", f"'{name}' is an array; this operation supports numbers only",
                                  hint="use grad, jvp, vjp or jacobian for array inputs")
            values[name] = as_array(name, value)
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
    known = frozenset(inputs)  # a set: one look-up per name keeps binding linear
    warnings = [Warning(kind, message, span) for kind, message, span in loaded.program.warnings]
    warnings += [Warning("unused", f"'{n}' is bound but the source never uses it (its derivative is 0); "
                         "is it a typo?", details={"name": n}) for n in names if n not in known]
    return names, values, warnings


def used_inputs(loaded: Loaded, names: Sequence[str]) -> list[str]:
    """The names (in the point's order) that the source reads: its nodes v1 … vk, in that order.
    A set look-up keeps binding n inputs linear in n (``in`` on the inputs tuple is O(n))."""
    inputs = frozenset(loaded.program.inputs)
    return [n for n in names if n in inputs]


def check_direction(names: list[str], values: Mapping[str, float], direction: Mapping[str, float]) -> None:
    """A direction must give exactly the differentiated inputs ``names`` (those ``wrt`` chose)."""
    missing = [n for n in names if n not in direction]
    extra = [n for n in direction if n not in values]
    held = [n for n in direction if n in values and n not in names]
    if missing or extra or held:
        parts = []
        if missing:
            parts.append(f"no direction for {', '.join(missing)}")
        if extra:
            parts.append(f"{', '.join(extra)} in the direction but not in the point")
        if held:
            parts.append(f"{', '.join(held)} in the direction but held constant (not in wrt)")
        hint = ("the direction must give every input of the point" if len(names) == len(values)
                else f"the direction must give exactly the inputs of wrt: {', '.join(names)}")
        raise AdcalcError("input", "; ".join(parts), hint=hint)


def check_scalar(loaded: Loaded, what: str) -> None:
    if loaded.program.vector_output:
        raise AdcalcError("type", f"{what} needs a scalar function, but this one returns "
                          f"{loaded.program.n_outputs} values", hint="use jacobian (or vjp) for vector outputs")


def run_mode(loaded: Loaded, mode: object, names: list[str], values: dict[str, float], limits: Limits,
         traced: bool) -> list[object]:
    """Create the inputs ``names`` in their order (so they are nodes v1 … vn in that order) and run;
    an input of the source not in ``names`` (one ``wrt`` leaves out) enters as its plain value."""
    used = used_inputs(loaded, names)
    made = {n: mode.input(i, n, values[n]) for i, n in enumerate(used)}
    args = [made[n] if n in made else values[n] for n in loaded.program.inputs]  # not in names: a constant
    with gc_paused():
        return run(loaded.compiled, mode, args, limits, trace_context=traced)


def shaped(loaded: Loaded, outputs: list[float]) -> float | list[float]:
    return outputs if loaded.program.vector_output else outputs[0]


def limits_of(max_steps: int | None, max_depth: int | None, max_memory: int | None = None) -> Limits:
    base = Limits()
    return Limits(max_steps if max_steps is not None else base.max_steps,
                  max_depth if max_depth is not None else base.max_depth, max_memory)


def need(limits: Limits, nbytes: int, what: str) -> None:
    """Check an allocation the operation itself makes (seeds, a Jacobian) against the budget."""
    from adcalc.transform.budget import Budget

    Budget(limits.max_steps, limits.max_memory).need(nbytes, None, what)


def size(v: object) -> int:
    return 1 if type(v) is float else int(v.size)


def labels(name: str, v: object) -> list[str]:
    """The names of a value's scalar entries in row-major order: ``x`` or ``x[0]``, ``A[0, 1]``."""
    if type(v) is float:
        return [name]
    from adcalc.rules.registry import np

    if v.ndim == 1:  # type: ignore[attr-defined]
        return [f"{name}[{i}]" for i in range(v.shape[0])]  # type: ignore[attr-defined]
    return [f"{name}[{', '.join(str(i) for i in idx)}]" for idx in np.ndindex(*v.shape)]  # type: ignore[attr-defined]


def scalar_output(value: object, what: str, hint: str = "use jacobian (or vjp), or reduce it, e.g. sum(…)") -> float:
    """The value of a scalar source (an array output is a type error naming ``what``)."""
    if type(value) is not float:
        raise AdcalcError("type", f"{what} needs a scalar function, but this one returns an array of shape "
                          f"{tuple(value.shape)}", hint=hint)  # type: ignore[attr-defined]
    return value


def unit_seeds(names: list[str], values: dict[str, object], limits: Limits) -> list[object]:
    """Seeds for one forward sweep per scalar entry of the inputs (identity over the flattening);
    their memory (width × entries) is checked against the budget first."""
    from adcalc.rules.registry import np

    width = sum(size(values[n]) for n in names)
    need(limits, 8 * width * width, f"forward mode with {width:,} tangent directions (one per input entry)")
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
        offset += size(v)
    return seeds


def tangent_matrix(out: object, width: int) -> list[list[float]]:
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


def split(names: list[str], values: dict[str, object], flat: Sequence[float]) -> dict[str, object]:
    """A flat vector over the inputs, back in each input's shape."""
    return dict(zip(names, unflatten([values[n] for n in names], flat)))


def has_arrays(loaded: Loaded, values: dict[str, object]) -> bool:
    from adcalc.language.ir import Eqn
    from adcalc.rules.registry import ARRAY_PRIMITIVES

    if any(type(v) is not float for v in values.values()):
        return True
    return any(isinstance(ins, Eqn) and ins.prim in ARRAY_PRIMITIVES
               for fn in loaded.program.functions.values() for ins in fn.code)


class ForwardRun:
    """A forward sweep's outcome: the mode's output values, their primals and tangents (one tuple
    per output, ``width`` directions), the warnings, and the recorded graph when traced."""

    __slots__ = ("outputs", "primals", "tangents", "width", "warnings", "graph")

    def __init__(self, outputs: list[object], primals: list[object], tangents: list[tuple], width: int,
                 warnings: list[Warning], graph: Graph | None):
        self.outputs, self.primals, self.tangents, self.width = outputs, primals, tangents, width
        self.warnings, self.graph = warnings, graph


def run_forward(loaded: Loaded, names: list[str], values: dict[str, float], seeds: list[object],
                strict: bool, trace: bool, limits: Limits) -> ForwardRun:
    """One forward sweep with ``seeds`` (one per input in point order, ``width`` directions each)."""
    used = used_inputs(loaded, names)
    seed_of = dict(zip(names, seeds))
    mode = ForwardMode([seed_of[n] for n in used], strict)
    graph = Graph("forward", names) if trace else None
    outs = run_mode(loaded, Recorder(mode, graph) if graph is not None else mode, names, values, limits, trace)
    inner = [o.inner if type(o) is Rec else o for o in outs]
    width = len(seeds[0]) if seeds else 0  # every direction, even if no used input moves
    primals = [mode.primal(o) for o in inner]
    tangents = [o.tangent if type(o) is Dual and o.tangent is not None else (0.0,) * width for o in inner]
    if graph is not None:
        graph.seeds = [{n: seed_of[n][j] for n in names} for j in range(width)]
        graph.outputs = [o.node if type(o) is Rec else None for o in outs]
    return ForwardRun(inner, primals, tangents, width, mode.warnings, graph)


class ReverseRun:
    """A recorded reverse-mode run: the mode, its output values, and the recorded graph when
    traced.  ``pull(cotangent)`` runs the backward sweep (recording it when traced)."""

    __slots__ = ("mode", "outputs", "graph", "recorder")

    def __init__(self, mode: ReverseMode, outputs: list[object], graph: Graph | None, recorder: Recorder | None):
        self.mode, self.outputs, self.graph, self.recorder = mode, outputs, graph, recorder

    @property
    def warnings(self) -> list[Warning]:
        return self.mode.warnings

    def primal(self, v: object) -> object:
        return self.mode.primal(v)

    def pull(self, cotangent: Sequence[object]) -> list[object]:
        """The adjoints of every tape node for the cotangent on the outputs (one sweep)."""
        if self.recorder is None:
            return self.mode.gradient(self.outputs, cotangent)
        adj = self.mode.gradient(self.outputs, cotangent, self.recorder.sweep_observer())
        self.recorder.read_adjoints(adj)
        return adj


def run_reverse(loaded: Loaded, names: list[str], values: dict[str, float], strict: bool, trace: bool,
                limits: Limits) -> ReverseRun:
    """Record the program on a tape (and as a graph when traced)."""
    mode = ReverseMode(strict)
    graph = Graph("reverse", names) if trace else None
    recorder = Recorder(mode, graph) if graph is not None else None
    outs = run_mode(loaded, recorder if recorder is not None else mode, names, values, limits, trace)
    if graph is not None:
        graph.outputs = [o.node if type(o) is Rec else None for o in outs]
    return ReverseRun(mode, [o.inner if type(o) is Rec else o for o in outs], graph, recorder)


def read_adjoints(names: list[str], used: Sequence[str], adj: list[object],
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
            from adcalc.rules.registry import np

            out[n] = np.zeros(v.shape) if a is None else np.array(np.broadcast_to(a, v.shape), dtype=float)
    return out


def tangent_of(out: object, value: object) -> object:
    """The tangent along the single direction of a jvp, in the output's shape."""
    from adcalc.transform.forward import ArrayDual

    if type(out) is ArrayDual:
        return out.tangent[0].copy()
    if type(out) is Dual:
        return out.tangent[0] if out.tangent is not None else 0.0
    if type(value) is float:
        return 0.0
    from adcalc.rules.registry import np

    return np.zeros(value.shape)


def unflatten(shapes_of: list[object], flat: Sequence[float]) -> list[object]:
    """A flat vector back in the shapes of the values ``shapes_of`` (numbers or arrays)."""
    out: list[object] = []
    offset = 0
    for p in shapes_of:
        if type(p) is float:
            out.append(flat[offset])
        else:
            from adcalc.rules.registry import np

            out.append(np.array(flat[offset:offset + p.size], dtype=float).reshape(p.shape))
        offset += size(p)
    return out


def need_jacobian(limits: Limits, m: int, n: int) -> None:
    """A Jacobian is m × n Python floats in lists (about 32 bytes each): check before forming it."""
    need(limits, 32 * m * n, f"a Jacobian of {m:,} × {n:,} entries")


def row_labels(loaded: Loaded, primals: list[object]) -> list[str]:
    if len(primals) == 1 and not loaded.program.vector_output:
        return labels("f", primals[0])
    return [label for i, p in enumerate(primals) for label in labels(f"f{i + 1}", p)]
