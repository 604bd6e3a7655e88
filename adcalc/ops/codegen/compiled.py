"""``adcalc.compile``: a source's generated value, forward and reverse code, ready to call.

Contract: ``compile(source, inputs=None)`` returns a ``CompiledFunction`` whose methods run the
code ``adcalc.ops.codegen.module.generate`` writes for the source — no interpreter in the loop.
Only what a call needs is generated, and only when it is first needed (Python's ``compile`` of
the text costs more than writing it): ``compile`` writes the reverse code (``grad``, ``vjp``;
it also checks that code generation handles the source), without comments; ``value`` runs, for
a program without loops, calls or array inputs, that code's forward sweep (the same operations
as the value code, and its stack stays small), else the value code, written on the first
``value``; the forward code on the first ``jvp``, the Hessian code on the first ``hvp``.  Each is
generated once, under a lock, so threads calling at once all get the one compiled function:

- ``value(*x)`` → the value (a float, or a list for a vector result);
- ``grad(*x)`` → the gradient as a tuple (scalar outputs); ``value_and_grad(*x)`` → both;
- ``jvp(x, dx)`` → ``(value, tangent)``; ``vjp(x, ybar)`` → ``(value, adjoints)``;
- ``hvp(x, v)`` → ∇²f(x)·v and ``hessian(*x)`` → the rows of ∇²f(x) (scalar outputs): the
  reverse code of the program's forward transformation (reverse-over-forward, generated on the
  first call; ``tangents``, ``arraytangents``), equal to the interpreter's forward-over-reverse
  within rounding.  For a whole-array program ``v`` holds one direction per input, of its shape,
  and ``hessian`` flattens the inputs' entries row-major, as ``adcalc hessian`` does.

Each input may be a number or, for a program that uses arrays (or reads their elements), an
array; a program of numbers given an array switches to its NumPy module (``arraymodule``),
generated on first use.  ``x`` are the inputs in the order ``inputs`` (default: a ``def``'s parameters, else their order
of first appearance, as ``adcalc ir`` prints).  Results equal the interpreter's (README: Code
generation).  The compiled module is cached per (source, inputs, max_steps), so compiling the same source
again is free; a ``CompiledFunction`` keeps no state between calls, so threads may share it.
Bad arguments raise ``AdcalcError`` (never a raw ``TypeError``).

Loops cannot hang a caller: the module is generated with ``guard`` on, so every pass through a
``while`` loop's test and every iteration of a ``for`` loop that may leave early calls ``_guard()``
(a ``for`` loop that runs its whole range is charged its length once, before it), which counts down
this thread's budget of ``max_steps`` per call (default 10,000,000, the interpreter's step
limit) and stops the call with a ``limit`` error past it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from adcalc.errors import AdcalcError
from adcalc.ops.codegen.run import run_generated
from adcalc.ops.driver import scalar_output
from adcalc.transform.budget import DEFAULT_MAX_STEPS

_CACHE: OrderedDict[tuple, CompiledFunction] = OrderedDict()
_LOCK = threading.Lock()
_KEEP = 64
_ONE_PER_ENTRY = "reduce it, e.g. sum(…), or use adcalc hessian for one Hessian per entry"  # an array output's hvp
# A value call through the reverse code's forward sweep costs ~1.3 × the value code's (a generator,
# and helper calls where the value code inlines fast paths); writing and compiling the value code
# costs about as much as 300 such differences (bench/generation.py, stop 24).
VALUE_SWEEPS = 256
_BUDGET = threading.local()  # .left: the loop iterations this thread's current call may still run


class _OutOfSteps(Exception):  # noqa: N818 - internal: becomes an AdcalcError in CompiledFunction._run
    """Raised by ``_guard`` when a call has used its budget (not an ArithmeticError or ValueError,
    which generated code and its helpers handle)."""


def _guard(n: int = 1) -> None:
    """Called by generated code at every pass through a loop's test (a ``for`` loop that runs its
    whole range: once, before it, with its length): count ``n`` down."""
    budget = _BUDGET
    budget.left -= n
    if budget.left < 0:
        raise _OutOfSteps


class CompiledFunction:
    """The generated entry points of one source (see the module docstring)."""

    def __init__(self, program: object, order: list[str] | None, namespace: dict, scalar: bool,
                 max_steps: int = DEFAULT_MAX_STEPS, arrays: bool = False):
        self.inputs: tuple[str, ...] = tuple(namespace["INPUTS"])  # type: ignore[arg-type]
        self.max_steps = max_steps
        self._program, self._order = program, order
        self._ns = namespace  # the reverse code; the value code (if not in it) and the forward code: on first use
        self._f: object = namespace.get("f")
        self._jvp: object = None
        self._hvp: object = None
        self._vjp = namespace["f_vjp"]
        self._grad = namespace.get("f_grad")
        self._scalar = scalar
        from adcalc.ops.codegen.arrays import whole_arrays
        from adcalc.ops.codegen.elements import array_inputs

        # inputs passed on as they are (the generated code converts and checks them): every input of
        # a whole-array program (numbers or arrays), the element-read array inputs of the others
        self.whole = arrays or whole_arrays(program)  # type: ignore[arg-type]
        self._twin: CompiledFunction | None = None  # the NumPy module, for arrays passed to a program of numbers
        self._arrays = frozenset(self.inputs if self.whole else array_inputs(program))  # type: ignore[arg-type]
        # value calls run the reverse code's forward sweep (when it defines f) this many times, then the value code
        self._sweeps = 0 if self._f is None or self.whole else VALUE_SWEEPS
        self._text: str | None = None
        self._lock = threading.Lock()

    @property
    def code(self) -> str:
        """The text of the whole module (value, forward and reverse code, with ``guard`` on as
        ``adcalc.compile`` runs them, and the comments of ``adcalc codegen``)."""
        if self._text is None:
            from adcalc.ops.codegen.module import generate

            self._text = generate(self._program, "both", self._order, label="adcalc.compile",  # type: ignore[arg-type]
                                  guard=True, arrays=self.whole)
        return self._text

    def _forward(self) -> object:
        """``f_jvp``, generated and compiled on the first call that needs it (most callers want
        only gradients: ``adcalc.compile`` writes the reverse code alone first)."""
        if self._jvp is None:
            with self._lock:
                if self._jvp is None:
                    self._jvp = _load(_generate(self._program, "forward", self._order, self.whole))["f_jvp"]
        return self._jvp

    def _value(self) -> object:
        """``f``: the reverse code's forward sweep for the first ``VALUE_SWEEPS`` calls (see the
        module docstring), else the value code, generated and compiled once, when first needed."""
        if self._sweeps > 0:
            self._sweeps -= 1  # not atomic: threads may run a few more sweeps, never a wrong value
            return self._f
        if self._f is None or (self._ns.get("f") is self._f and not self.whole):
            with self._lock:
                if self._f is None or self._ns.get("f") is self._f:
                    self._f = _load(_generate(self._program, "value", self._order))["f"]
        return self._f

    def __repr__(self) -> str:
        return f"<adcalc compiled function of ({', '.join(self.inputs)})>"

    def _run(self, fn: object, *args: object) -> object:
        """One call of a generated entry point, with this thread's loop budget set to ``max_steps``."""
        _BUDGET.left = self.max_steps
        try:
            return run_generated(fn, *args)
        except _OutOfSteps:
            raise AdcalcError("limit", f"the compiled code ran more than {self.max_steps:,} loop iterations "
                              "in one call",
                              hint="check the loop's condition, or compile with a larger max_steps=") from None

    def _second(self) -> object:
        """The Hessian code's ``f_vjp``, generated and compiled on the first call that needs it."""
        if self._hvp is None:
            from adcalc.ops.codegen.module import generate_hvp

            if not self._scalar:
                raise AdcalcError("type", "hvp and hessian need a scalar output, and this source has several",
                                  hint="compile one output at a time")
            with self._lock:
                if self._hvp is None:
                    text = generate_hvp(self._program, self._order, label="adcalc.compile",  # type: ignore
                                        guard=True, notes=False, arrays=self.whole)
                    self._hvp = _load(text)["f_vjp"]
        return self._hvp

    def has_hessian(self) -> bool:
        """Whether the Hessian code can be generated for this source (generating it if not yet):
        False for a vector output or a primitive whose partial the forward transformation cannot
        write yet — ``hvp``/``hessian`` would raise the reason."""
        if self._hvp is None:
            try:
                self._second()
            except AdcalcError:
                return False
        return True

    def hvp(self, x: Sequence[object], v: Sequence[object]) -> tuple[object, ...]:
        """∇²f(x)·v, one forward and one backward sweep of generated code; for a whole-array
        program each input and each direction may be an array (v of its input's shape), and the
        result has one entry per input: a float, or an array of the input's shape."""
        if (twin := self._numpy(_sequence(x, "hvp's x"))) is not None:
            return twin.hvp(x, v)
        xs = self._args(_sequence(x, "hvp's x"), "hvp")
        vs = self._args(_sequence(v, "hvp's direction"), "hvp's direction")
        fn = self._second()
        if self._arrays:  # the Hessian code takes directions as inputs: it would broadcast a wrong shape
            _same_shapes(self.inputs, xs, vs)
        value, bars = self._run(fn, *xs, *vs, [0.0, 1.0])  # type: ignore[misc]
        scalar_output(value[0], "hvp", hint=_ONE_PER_ENTRY)
        return tuple(bars[: len(xs)])

    def hessian(self, *x: object) -> list[list[float]]:
        """∇²f(x) as rows, one hvp per input entry.  Array inputs (a whole-array program's, an
        element-read array, or arrays given to a program of numbers) count as their entries in
        order, each array flattened row-major (the CLI's ``adcalc hessian``)."""
        if (twin := self._numpy(x)) is not None:
            return twin.hessian(*x)
        xs = self._args(x, "hessian")
        fn = self._second()
        if self._arrays:  # a whole-array program's inputs, or a program's element-read arrays
            return _hessian_rows(self, fn, xs)
        n = len(xs)
        rows = []
        for j in range(n):
            unit = [1.0 if k == j else 0.0 for k in range(n)]
            _, bars = self._run(fn, *xs, *unit, [0.0, 1.0])  # type: ignore[misc]
            rows.append(list(bars[:n]))
        return rows

    def _args(self, x: Sequence[object], what: str) -> list[float]:
        if len(x) == len(self.inputs) and all(type(v) is float for v in x):
            return list(x)  # the common call: floats (each a valid number, and not an array)
        if len(x) != len(self.inputs):
            raise AdcalcError("usage", f"{what} takes {len(self.inputs)} input value"
                              f"{'s' if len(self.inputs) != 1 else ''} ({', '.join(self.inputs)}), got {len(x)}")
        return [v if name in self._arrays else _number(v, f"{what}: the value of '{name}'")  # type: ignore
                for name, v in zip(self.inputs, x)]  # an array input is checked by the generated code

    def _numpy(self, x: Sequence[object]) -> CompiledFunction | None:
        """The NumPy module's functions when an array is passed for an input this program (of
        numbers, or of element reads) does not read element by element; else None."""
        if self.whole:
            return None
        for name, v in zip(self.inputs, x):
            if type(v) is float or name in self._arrays:
                continue
            if isinstance(v, (list, tuple)) or (hasattr(v, "shape") and getattr(v, "ndim", 0)):
                break
        else:
            return None
        with self._lock:
            if self._twin is None:
                namespace = _load(_generate(self._program, "reverse", self._order, True))
                self._twin = CompiledFunction(self._program, self._order, namespace, self._scalar, self.max_steps, True)
        return self._twin

    def value(self, *x: float) -> float | list[float]:
        if (twin := self._numpy(x)) is not None:
            return twin.value(*x)
        return self._run(self._value(), *self._args(x, "value"))  # type: ignore[return-value]

    def grad(self, *x: float) -> tuple[float, ...]:
        return self.value_and_grad(*x)[1]

    def value_and_grad(self, *x: float) -> tuple[float, tuple[float, ...]]:
        if (twin := self._numpy(x)) is not None:
            return twin.value_and_grad(*x)
        if self._grad is None:
            raise AdcalcError("type", "grad needs a scalar output, and this source has several",
                              hint="use vjp with one weight per output")
        return self._run(self._grad, *self._args(x, "grad"))  # type: ignore[return-value]

    def jvp(self, x: Sequence[float], dx: Sequence[float]) -> tuple[object, object]:
        if (twin := self._numpy(_sequence(x, "jvp's x"))) is not None:
            return twin.jvp(x, dx)
        return self._run(self._forward(), *self._args(_sequence(x, "jvp's x"), "jvp"),  # type: ignore[return-value]
                             *self._args(_sequence(dx, "jvp's direction"), "jvp's direction"))

    def vjp(self, x: Sequence[float], ybar: float | Sequence[float]) -> tuple[object, tuple[float, ...]]:
        if (twin := self._numpy(_sequence(x, "vjp's x"))) is not None:
            return twin.vjp(x, ybar)
        xs = self._args(_sequence(x, "vjp's x"), "vjp")
        n = self._ns["N_OUTPUTS"]
        one_listed = isinstance(ybar, (list, tuple)) and len(ybar) == 1  # [w]: one weight per output
        if self.whole and self._scalar and _arraylike(ybar) and not one_listed:
            weights = [ybar]  # the one output's cotangent as an array of its shape
        else:
            weights = list(ybar) if isinstance(ybar, (list, tuple)) else [ybar]
        if len(weights) != n or (not self._scalar and not isinstance(ybar, (list, tuple))):
            raise AdcalcError("usage", f"vjp's cotangent needs {n} weight{'s' if n != 1 else ''}, one per output",
                              hint="an array output's weight is a number or an array of the output's shape"
                              if self.whole else None)
        ws = [_cotangent(w) if self.whole and _arraylike(w) else _number(w, "vjp's cotangent") for w in weights]
        shaped = [k for k, w in enumerate(ws) if not isinstance(w, float)]
        try:
            value, bars = self._run(self._vjp, *xs, ws[0] if self._scalar else ws)  # type: ignore[misc]
        except AdcalcError:
            if not shaped:
                raise
            value = self._run(self._vjp, *xs, 0.0 if self._scalar else [0.0] * n)[0]  # type: ignore[index]
            bars = None  # the shape check below says why the weighted run failed
        outs = [value] if self._scalar else list(value)  # type: ignore[call-overload]
        for k in shaped:
            want, got = _shape(outs[k]), _shape(ws[k])
            if want != got:
                which = "" if n == 1 else f" {k + 1}"
                raise AdcalcError("shape", f"vjp's cotangent of output{which} has shape {got}, but the output's "
                                  f"shape is {want}", hint="give a number (it weights every entry) or an array of "
                                  "the output's shape")
        return value, bars  # type: ignore[return-value]


def _same_shapes(names: Sequence[str], xs: Sequence[object], vs: Sequence[object]) -> None:
    """Each direction has its input's shape, or an ``AdcalcError`` saying which does not."""
    from adcalc.rules.registry import np

    for name, x, v in zip(names, xs, vs):
        try:
            want, got = np.shape(x), np.shape(v)
        except ValueError:  # a ragged list
            raise AdcalcError("shape", f"hvp: the value or direction of '{name}' is not a rectangular array") from None
        if want != got:
            raise AdcalcError("shape", f"hvp's direction for '{name}' must have its input's shape {want}, "
                              f"but its shape is {got}", hint="give one direction entry per input entry")


def _hessian_rows(c: CompiledFunction, fn: object, xs: list[object]) -> list[list[float]]:
    """The Hessian of a whole-array program at ``xs``: row j is H·eⱼ over the flattened entries."""
    from adcalc.rules.registry import np

    values = [np.asarray(v, dtype=float) for v in xs]
    shapes = [v.shape for v in values]
    sizes = [v.size for v in values]
    n = sum(sizes)
    rows = []
    for j in range(n):
        flat = np.zeros(n)
        flat[j] = 1.0
        parts, at = [], 0
        for shape, k in zip(shapes, sizes):
            parts.append(float(flat[at]) if shape == () else flat[at:at + k].reshape(shape))
            at += k
        value, bars = c._run(fn, *xs, *parts, [0.0, 1.0])  # type: ignore[misc]  # noqa: SLF001 - this module's class
        scalar_output(value[0], "hessian", hint=_ONE_PER_ENTRY)
        rows.append([float(e) for b in bars[:len(xs)] for e in np.asarray(b, dtype=float).reshape(-1)])
    return rows


def _sequence(v: object, what: str) -> Sequence[object]:
    if isinstance(v, (list, tuple)) or (hasattr(v, "shape") and hasattr(v, "tolist")):
        return list(v)  # type: ignore[call-overload]
    raise AdcalcError("type", f"{what} must be a list of numbers, one per input, got {type(v).__name__}")


def _arraylike(v: object) -> bool:
    return isinstance(v, (list, tuple)) or (hasattr(v, "shape") and getattr(v, "ndim", 0) > 0)


def _shape(v: object) -> tuple[int, ...]:
    from adcalc.rules.registry import np

    return tuple(np.shape(v))


def _cotangent(w: object) -> object:
    """An array output's cotangent as a float array (an ``AdcalcError`` if it is not numbers)."""
    from adcalc.rules.registry import np

    try:
        arr = np.asarray(w)
    except (TypeError, ValueError, OverflowError):
        arr = None  # a ragged list
    if arr is None or arr.dtype.kind not in "iuf":  # not bools, complex numbers, strings or None
        raise AdcalcError("type", "vjp's cotangent must be a number or a rectangular array of real numbers")
    return arr.astype(float)


def _number(v: object, what: str) -> float:
    if isinstance(v, bool) or isinstance(v, complex) or not (isinstance(v, (int, float)) or hasattr(v, "__float__")):
        raise AdcalcError("type", f"{what} must be a real number, got {type(v).__name__}")
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise AdcalcError("type", f"{what} must be a real number") from None


def compile(source: str, inputs: Sequence[str] | None = None,  # noqa: A001 - the API's name
            max_steps: int = DEFAULT_MAX_STEPS) -> CompiledFunction:
    """The generated code of ``source``, compiled once per (source, inputs, max_steps); a call runs at most
    ``max_steps`` loop iterations."""
    from adcalc.ops import derivatives

    if not isinstance(source, str):
        raise AdcalcError("type", f"source must be a string of adcalc text, got {type(source).__name__}")
    if inputs is not None and (not isinstance(inputs, (list, tuple)) or not all(isinstance(n, str) for n in inputs)):
        raise AdcalcError("type", "inputs must be a list of names, like ['x', 'y'] (a list or tuple: its order is "
                          "the order of the positional arguments)")
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise AdcalcError("type", f"max_steps must be a positive whole number, got {max_steps!r}")
    key = (source, tuple(inputs) if inputs is not None else None, max_steps)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    program = derivatives.load(source).program
    order = list(inputs) if inputs is not None else None
    namespace = _load(_generate(program, "reverse", order))  # the value and forward code: on first use
    fn = CompiledFunction(program, order, namespace, not program.vector_output and program.n_outputs == 1, max_steps)
    with _LOCK:
        _CACHE[key] = fn
        while len(_CACHE) > _KEEP:
            _CACHE.popitem(last=False)
    return fn


def _generate(program: object, mode: str, order: list[str] | None, arrays: bool = False) -> str:
    """The module ``adcalc.compile`` runs: only ``mode``'s functions (``"value"``: the value code
    alone), no comments (``module.generate``'s ``value`` and ``notes``).  The cyclic collector
    waits: the generator's many short-lived lists make no cycles (``driver.gc_paused``)."""
    from adcalc.ops.codegen.module import generate
    from adcalc.ops.driver import gc_paused

    with gc_paused():
        return generate(program, mode, order, label="adcalc.compile", guard=True, arrays=arrays,  # type: ignore[arg-type]
                        value=mode == "value", notes=False)


_SHARED_POOL: list = []  # the NumPy modules' scratch buffers, one pool for every compiled module


def _load(text: str) -> dict:
    """A generated module's namespace, with this process's loop budget (``_guard``) and, for NumPy
    code that keeps scratch buffers between calls, the one pool every compiled module shares — so
    the pool's bound (8 buffers, 64 MiB: ``arrayhelpers._a_give``) holds for the process, not once per
    cached source.  (The pool holds buffers by shape; a module takes one of its result's shape.)"""
    from adcalc.ops.codegen.run import load_module

    namespace = load_module(text)
    namespace["_guard"] = _guard
    if "_POOL" in namespace:
        namespace["_POOL"] = _SHARED_POOL
    return namespace
