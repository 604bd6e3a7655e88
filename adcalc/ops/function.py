"""``adcalc.function``: a source as a plain function of a vector, for optimisers (SciPy)."""

from __future__ import annotations

from collections.abc import Sequence

from adcalc.errors import AdcalcError
from adcalc.ops import validate
from adcalc.ops.derivatives import evaluate, grad
from adcalc.ops.driver import Loaded, resolve


class DiffFunction:
    """A source as a plain function of a vector, for optimisers::

        f = adcalc.function("100*(y - x^2)^2 + (1 - x)^2", inputs=["x", "y"])
        scipy.optimize.minimize(f, [-1.2, 1.0], jac=f.grad)
    """

    def __init__(self, source: str | Loaded, inputs: Sequence[str] | None = None):
        validate.arguments("function", {"source": source, "inputs": inputs})
        self.loaded = resolve(source)
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
