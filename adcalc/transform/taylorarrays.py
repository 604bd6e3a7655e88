"""Taylor mode with arrays: a value's series coefficients are numbers or arrays of its shape.

The math (coefficient k of a result, from the arguments' coefficients; cₖ means the coefficient
of tᵏ, the k-th derivative along t being k!·cₖ):

- numbers only: ``TaylorMode`` itself (the registry's series rules, unchanged);
- an elementwise primitive with arrays: its series rule element by element (broadcast first),
  so every element's series is exactly the one a scalar run would give;
- a linear or piecewise-linear array primitive (``rules.second.ZERO``: literals, x[key],
  x[key] = v, sum, mean, transpose, max/min with their tie convention): cₖ = jvp(x₀; aₖ) — the
  rule's own forward derivative at the value, applied to the coefficients;
- ``A @ B`` and ``dot``: cₖ = Σⱼ Aⱼ·Bₖ₋ⱼ (the Cauchy product of a bilinear map);
- ``norm(x)`` = √(Σ x²): the series of Σᵢ xᵢ² by Cauchy products, then the square root's series rule;
- ``prod``: the series of the product by the series rule of ``mul``, element after element.
"""

from __future__ import annotations

from collections.abc import Sequence

from adcalc.language.ir import Eqn
from adcalc.rules import series as S
from adcalc.rules.registry import Primitive, np
from adcalc.rules.second import ZERO
from adcalc.rules.shapes import scalar_result
from adcalc.transform.taylor import Jet, TaylorMode


class ArrayTaylorMode(TaylorMode):
    """Taylor mode where values, directions and coefficients may be arrays (module docstring)."""

    def __init__(self, directions: Sequence[object], order: int, strict: bool = False):
        super().__init__([0.0] * len(directions), order, strict)
        self.directions = [d if hasattr(d, "shape") else float(d) for d in directions]  # type: ignore[misc,arg-type]

    def input(self, index: int, name: str, value: object) -> Jet:
        zero = np.zeros(np.shape(value)) if hasattr(value, "shape") else 0.0
        return Jet([value, self.directions[index]] + [zero] * (self.n - 2))  # type: ignore[list-item]

    def coefficients(self, v: object) -> list:
        if type(v) is Jet:
            return list(v.coeffs)  # type: ignore[union-attr]
        zero = np.zeros(np.shape(v)) if hasattr(v, "shape") else 0.0
        return [v] + [zero] * (self.n - 1)

    def apply(self, prim: Primitive, args: Sequence[object], site: Eqn) -> object:
        primals = [self.primal(a) for a in args]
        if prim.elementwise and all(type(p) is float for p in primals):
            return TaylorMode.apply(self, prim, args, site)
        active = [type(a) is Jet for a in args]
        if prim.elementwise:
            r = self.value(prim, primals, site)
            if not any(active):
                return r
            self.partials(prim, primals, active, site)  # the kink and non-finite-partial notes, element by element
            return Jet(self._elementwise(prim, [self.coefficients(a) for a in args], r, site))
        out = self.array_op(prim, primals, site)
        if prim.jvp is None or not any(active[i] for i in range(len(args)) if i in prim.differentiable):
            return out
        self.array_kink(prim, primals, site, out)
        series = [self.coefficients(a) if i in prim.differentiable else None for i, a in enumerate(args)]
        with np.errstate(all="ignore"):
            if prim.name in ZERO:
                coeffs = [prim.jvp(primals, [None if s is None or not active[i] else np.asarray(s[k], dtype=float)[None]
                                             for i, s in enumerate(series)], site.params, out)[0]
                          for k in range(1, self.n)]
            elif prim.name in ("matmul", "dot"):
                a, b = series
                coeffs = [sum(prim.value([a[j], b[k - j]], site.params) for j in range(k + 1))
                          for k in range(1, self.n)]
            elif prim.name == "norm":
                x = series[0]
                squares = [float(sum(np.sum(x[j] * x[k - j]) for j in range(k + 1))) for k in range(self.n)]
                coeffs = S.sqrt(squares, out)[1:]  # type: ignore[arg-type]
            elif prim.name == "prod":
                coeffs = self._prod(series[0], site.params[0] if site.params else None, out)  # type: ignore[index]
            else:
                raise self.unsupported(site)
        return Jet([out] + [scalar_result(np.asarray(c, dtype=float)) if hasattr(c, "shape") else float(c)
                            for c in coeffs])

    def _elementwise(self, prim: Primitive, series: list[list], r: object, site: Eqn) -> list:
        """The series rule element by element, the arguments broadcast to the result's shape."""
        shape = np.shape(r)
        flat = [[np.broadcast_to(c, shape).reshape(-1) if hasattr(c, "shape") else c for c in s] for s in series]
        out = [np.array(r, dtype=float)] + [np.zeros(shape) for _ in range(self.n - 1)]
        values = out[0].reshape(-1)
        for e in range(values.size):
            args = [[float(c[e]) if hasattr(c, "shape") else c for c in s] for s in flat]
            v = float(values[e])
            coeffs = list(prim.taylor(*args, v))
            coeffs[0] = v
            if not self.notes.bad_partial_seen and v - v == 0.0:
                self._note_series(prim, args, coeffs, site)
            for k in range(1, self.n):
                out[k].reshape(-1)[e] = coeffs[k]
        return [r] + out[1:]

    def _prod(self, x: list, axis: int | None, out: object) -> list:
        """The series of prod(x) along ``axis``: the product rule of series, element after element."""
        moved = [c.reshape(1, -1) if axis is None else np.moveaxis(c, axis, -1) for c in x]
        lead = moved[0].shape[:-1]
        rows = [m.reshape(-1, m.shape[-1]) for m in moved]
        result = [np.zeros(rows[0].shape[0]) for _ in range(self.n)]
        for r in range(rows[0].shape[0]):
            acc = S.const(1.0, self.n)
            for j in range(rows[0].shape[1]):
                acc = S.mul(acc, [float(c[r, j]) for c in rows])
            for k in range(self.n):
                result[k][r] = acc[k]
        shaped = [c.reshape(lead) if axis is not None else float(c[0]) for c in result]
        return shaped[1:]


__all__ = ["ArrayTaylorMode"]
