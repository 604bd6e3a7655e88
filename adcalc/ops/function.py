"""``adcalc.function``: a source as a plain function of one flat vector, the way SciPy calls it.

Contract (``f = adcalc.function(source, inputs=None, shapes=None)``):

- ``x`` is one flat 1-D array of numbers (a list or tuple works too): the inputs concatenated in
  the order ``inputs``, each array input flattened row-major.  The order is ``inputs`` when given,
  else a ``def``'s parameters, else the source's single input; a source with several free inputs
  and no ``def`` needs ``inputs=`` (an ``AdcalcError`` says so) — the order is never guessed.
- Shapes: ``shapes={"A": (2, 2), "x": (3,)}`` fixes array inputs' shapes (inputs not named are
  numbers).  Without ``shapes`` the first call fixes them: ``len(x)`` equal to the number of inputs
  makes every input a number; a single input with any other length is a 1-D array of that length
  (a single input that is a 1-element array needs ``shapes={"x": (1,)}``); anything else is an
  error asking for ``shapes``.  Later calls must have the same length.
- ``f(x)`` → a float for a scalar source, else a 1-D array of every output entry (row-major);
  ``f.grad(x)``, ``f.value_and_grad(x)`` → the gradient as a 1-D array (x's layout);
  ``f.hess(x)`` → the (n, n) Hessian; ``f.hessp(x, p)`` → H·p (1-D); ``f.jac(x)`` → the (m, n)
  Jacobian (rows: output entries, columns: x's entries).  Every result is a new NumPy array.
- Backend: the compiled code of ``adcalc.compile`` when the source compiles (numbers and arrays
  alike: each input is passed as its own number or array); the interpreter otherwise (a source
  codegen refuses; ``hess``/``hessp``/``jvp`` with array inputs) and for the first
  call (generating a large program's code takes longer than one interpreted call: an optimiser's
  second call pays for it once).  The choice is made once, in ``DiffFunction._compiled``; the
  numbers are the same either way (README: Code generation).  ``hess``/``hessp`` run the
  compiled Hessian code (reverse over forward) when it can be generated: equal to the
  interpreter's forward-over-reverse Hessian to rounding, not bit for bit.
- Bad ``x`` or ``p`` raises ``AdcalcError``; an ``f`` may be shared by threads.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from adcalc.errors import AdcalcError
from adcalc.ops import validate
from adcalc.ops.derivatives import evaluate, grad, jacobian, jvp
from adcalc.ops.driver import Loaded, resolve

_UNSET = object()


class DiffFunction:
    """A source as a plain function of one flat vector, for optimisers (see the module docstring)::

        f = adcalc.function("100*(y - x^2)^2 + (1 - x)^2", inputs=["x", "y"])
        scipy.optimize.minimize(f, [-1.2, 1.0], jac=f.grad, hess=f.hess)
    """

    def __init__(self, source: str | Loaded, inputs: Sequence[str] | None = None,
                 shapes: Mapping[str, Sequence[int]] | None = None):
        validate.arguments("function", {"source": source, "inputs": inputs})
        self.loaded = resolve(source)
        self.inputs = _order(self.loaded, inputs)
        self._lock = threading.Lock()
        self._shapes: list[tuple[int, ...]] | None = None  # per input, () for a number
        self._backend: object = _UNSET
        self._calls = 0  # calls before the backend was chosen
        if shapes is not None:
            self._shapes = _given_shapes(self.inputs, shapes)

    def __repr__(self) -> str:
        return f"<adcalc function of x = ({', '.join(self.inputs)})>"

    # ---- layout -------------------------------------------------------------------------------
    @property
    def size(self) -> int | None:
        """len(x), once the shapes are known (None before the first call without ``shapes``)."""
        return None if self._shapes is None else sum(_count(s) for s in self._shapes)

    def _layout(self, n: int) -> list[tuple[int, ...]]:
        shapes = self._shapes
        if shapes is None:
            if n == len(self.inputs):
                shapes = [()] * n
            elif len(self.inputs) == 1:
                shapes = [(n,)]
            else:
                raise AdcalcError("input", f"x has {n} values but the source has {len(self.inputs)} inputs "
                                  f"({', '.join(self.inputs)}): which are arrays?",
                                  hint="give their shapes: adcalc.function(src, inputs=[…], shapes={'x': (3,)})")
            with self._lock:
                if self._shapes is None:
                    self._shapes = shapes
                shapes = self._shapes
        size = sum(_count(s) for s in shapes)
        if n != size:
            raise AdcalcError("input", f"expected {size} values ({_described(self.inputs, shapes)}), got {n}")
        return shapes

    def _flat(self, x: object, what: str = "x") -> object:
        from adcalc.rules.registry import np

        validate.arguments("function", {"x": x})
        a = np.array(x, dtype=float).reshape(-1)
        if what == "x":
            self._layout(a.size)
        elif a.size != self.size:
            raise AdcalcError("input", f"{what} has {a.size} values but x has {self.size}")
        return a

    def _point(self, a: object) -> dict[str, object]:
        shapes = self._layout(a.size)  # type: ignore[attr-defined]
        point: dict[str, object] = {}
        offset = 0
        for name, shape in zip(self.inputs, shapes):
            k = _count(shape)
            point[name] = float(a[offset]) if shape == () else a[offset:offset + k].reshape(shape)  # type: ignore
            offset += k
        return point

    def _args(self, a: object) -> list[object]:
        """x split into the inputs' own values (a float, or an array of the input's shape)."""
        return list(self._point(a).values())

    def _compiled(self) -> object | None:
        """The one place the backend is chosen: ``adcalc.compile``'s functions when the source
        compiles, else None (the interpreter)."""
        if self._backend is _UNSET:
            with self._lock:
                self._calls += 1
                calls = self._calls
            if self._shapes is None or calls < 2:
                return None  # the first call runs the interpreter: a one-off call never pays for generating code
            from adcalc.ops.codegen.compiled import compile as compile_source

            try:
                backend = compile_source(self.loaded.text, self.inputs)
            except AdcalcError:
                backend = None  # codegen refuses this source: the interpreter computes the same numbers
            self._backend = backend
        return self._backend  # type: ignore[return-value]

    # ---- the functions ------------------------------------------------------------------------
    def __call__(self, x: Sequence[float]) -> object:
        a = self._flat(x)
        c = self._compiled()
        value = c.value(*self._args(a)) if c is not None else evaluate(self.loaded, self._point(a)).value  # type: ignore
        return _output(value)

    def value_and_grad(self, x: Sequence[float]) -> tuple[float, object]:

        a = self._flat(x)
        c = self._compiled()
        if c is not None:
            value, g = c.value_and_grad(*self._args(a))  # type: ignore[attr-defined]
            return value, _joined(dict(zip(self.inputs, g)), self.inputs)
        r = grad(self.loaded, self._point(a))
        return r.value, _joined(r.gradient, self.inputs)  # type: ignore[arg-type]

    def grad(self, x: Sequence[float]) -> object:
        return self.value_and_grad(x)[1]

    def _second(self) -> object | None:
        """The compiled functions when they also have Hessian code (reverse over forward), else None."""
        c = self._compiled()
        if c is not None and not c.whole and not all(s == () for s in self._shapes or ()):  # type: ignore
            return None  # element-read arrays: the interpreter's Hessian (all n tangents in one run) scales
            # better than n compiled hvp sweeps: looped Rosenbrock n = 300, 40 ms against 226 ms
        return c if c is not None and c.has_hessian() else None  # type: ignore[attr-defined]

    def hess(self, x: Sequence[float]) -> object:
        from adcalc.ops.higher import hessian
        from adcalc.rules.registry import np

        a = self._flat(x)
        c = self._second()
        if c is not None:
            return np.array(c.hessian(*self._args(a)), dtype=float).reshape(a.size, a.size)  # type: ignore[attr-defined]
        return np.array(hessian(self.loaded, self._point(a)).hessian, dtype=float).reshape(a.size, a.size)

    def hessp(self, x: Sequence[float], p: Sequence[float]) -> object:
        from adcalc.ops.higher import hvp

        a = self._flat(x)
        d = self._flat(p, "p")
        c = self._second()
        if c is not None:
            hv = c.hvp(self._args(a), self._args(d))  # type: ignore[attr-defined]
            return _joined(dict(zip(self.inputs, hv)), self.inputs)
        r = hvp(self.loaded, self._point(a), self._point(d))
        return _joined(r.hvp, self.inputs)

    def jac(self, x: Sequence[float]) -> object:
        from adcalc.rules.registry import np

        a = self._flat(x)
        c = self._compiled()
        if c is not None and all(s == () for s in self._shapes or ()):
            n = a.size
            cols = []
            for j in range(n):
                e = [0.0] * n
                e[j] = 1.0
                cols.append(np.atleast_1d(np.array(c.jvp(a.tolist(), e)[1], dtype=float)))  # type: ignore
            return np.stack(cols, axis=1) if cols else np.zeros((_output_size(c.value(*a.tolist())), 0))  # type: ignore
        return np.array(jacobian(self.loaded, self._point(a)).jacobian, dtype=float).reshape(-1, a.size)

    def jvp(self, x: Sequence[float], v: Sequence[float]) -> object:
        """J·v (a float for a scalar source, else a 1-D array)."""
        a = self._flat(x)
        d = self._flat(v, "v")
        return _output(jvp(self.loaded, self._point(a), self._point(d)).tangent)


def _order(loaded: Loaded, inputs: Sequence[str] | None) -> list[str]:
    if inputs is not None:
        return list(inputs)
    found = list(loaded.inputs)
    if len(found) > 1 and loaded.program.main.name == "<main>":
        raise AdcalcError("input", f"the source has {len(found)} inputs ({', '.join(sorted(found))}) and no def, "
                          "so the order of x's entries is not defined",
                          hint=f"say it: adcalc.function(src, inputs={sorted(found)!r}), or write a def")
    return found


def _given_shapes(inputs: list[str], shapes: Mapping[str, Sequence[int]]) -> list[tuple[int, ...]]:
    if not isinstance(shapes, Mapping):
        raise AdcalcError("type", f"shapes must be a dict of input name → shape, not {type(shapes).__name__}",
                          hint="e.g. shapes={'x': (3,), 'A': (2, 2)}")
    for name in shapes:
        if name not in inputs:
            raise AdcalcError("input", f"shapes names {name!r}, which is not an input ({', '.join(inputs)})")
    out = []
    for name in inputs:
        s = shapes.get(name, ())
        if isinstance(s, int) and not isinstance(s, bool):
            s = (s,)
        if not isinstance(s, tuple | list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                                      for d in s):
            raise AdcalcError("type", f"shapes[{name!r}] must be a tuple of sizes, like (3,) or (2, 2), not {s!r}")
        out.append(tuple(s))
    return out


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _described(inputs: list[str], shapes: list[tuple[int, ...]]) -> str:
    return ", ".join(n if s == () else f"{n}: {'×'.join(map(str, s))}" for n, s in zip(inputs, shapes))


def _joined(per_input: Mapping[str, object], inputs: list[str]) -> object:
    from adcalc.rules.registry import np

    parts = [np.asarray(per_input[n], dtype=float).reshape(-1) for n in inputs]
    return np.concatenate(parts) if parts else np.zeros(0)


def _output(value: object) -> object:
    """A scalar output as a float; anything else as a flat float array of every entry."""
    from adcalc.rules.registry import np

    if isinstance(value, float):
        return value
    if isinstance(value, list | tuple):
        return np.concatenate([np.asarray(v, dtype=float).reshape(-1) for v in value]) if value else np.zeros(0)
    return np.array(value, dtype=float).reshape(-1)


def _output_size(value: object) -> int:
    return int(_output(value).size) if not isinstance(value, float) else 1  # type: ignore[attr-defined]


def function(source: str | Loaded, inputs: Sequence[str] | None = None,
             shapes: Mapping[str, Sequence[int]] | None = None) -> DiffFunction:
    """Wrap a source as ``f(x)`` with ``grad``, ``value_and_grad``, ``hess``, ``hessp`` and ``jac``
    of one flat NumPy vector x (see the module docstring for the layout)."""
    return DiffFunction(source, inputs, shapes)
