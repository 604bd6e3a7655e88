"""Second-order terms of the array primitives' pullbacks, for forward-over-reverse Hessians.

Contract (the math).  Forward-over-reverse differentiates the backward sweep along a tangent
direction.  An array primitive y = p(x₁, …, xₙ) pulls a cotangent back as x̄ᵢ = vjpᵢ(x, ȳ)
(``adcalc.rules.arrays``), linear in ȳ.  Along the direction (ẋ, ȳ̇) its derivative is

    d x̄ᵢ = vjpᵢ(x, ȳ̇) + Sᵢ(x, ẋ, ȳ),     Sᵢ = ∂/∂ε vjpᵢ(x + ε·ẋ, ȳ) at ε = 0,

the first term the rule itself, the second — ``second(prim, primals, tangents, params, out, g)``
here — the part that depends on how the pullback changes with the primal values (ȳᵀ·D²p[ẋ, ·]).
``tangents[j]`` is one direction's tangent of argument j (None for a constant argument); the
result holds Sᵢ for each argument (None where it is zero).

- Linear primitives (array literals, x[key], x[key] = v, sum, mean, transpose) and the
  piecewise-linear max/min (their weights are constant between ties) have S = 0.
- A bilinear product (``A @ B``, ``dot``): S_A = ȳ·Ḃᵀ, S_B = Ȧᵀ·ȳ — the rule's own vjp with the
  other argument replaced by its tangent.
- ``norm``: S = ȳ·(ẋ/‖x‖ − x·⟨x, ẋ⟩/‖x‖³) (0 at x = 0, the kink's convention).
- ``prod``: Sᵢ = ȳ·Σ_{j≠i} ẋⱼ·Π_{l∉{i,j}} xₗ along the axis (exclusive products, no division,
  so exact where x has zeros; O(n²) per row).

``tests/test_second.py`` checks every differentiable array primitive's term against central
differences of its vjp.  A primitive with no entry here is refused by the Hessian mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adcalc.rules.registry import REGISTRY, Primitive, np
from adcalc.rules.shapes import expand

ZERO = frozenset({"array", "index", "setitem", "sum", "mean", "transpose", "amax", "amin"})


def _bilinear(primals: Sequence[object], tangents: Sequence[object], params: tuple, out: object,
              g: object, vjp: Callable[..., list[object]]) -> list[object]:
    a, b = primals
    ta, tb = tangents
    return [None if tb is None else vjp((a, tb), params, out, g)[0],
            None if ta is None else vjp((ta, b), params, out, g)[1]]


def _norm(primals: Sequence[object], tangents: Sequence[object], params: tuple, out: object,
          g: object, vjp: Callable[..., list[object]]) -> list[object]:
    x, t = primals[0], tangents[0]
    if t is None:
        return [None]
    if out == 0.0:
        return [np.zeros(np.shape(x))]
    return [np.multiply(g, t / out - x * (float(np.sum(x * t)) / out**3))]


def others_product(x: object) -> object:
    """Πⱼ≠ᵢ xⱼ along the last axis, by exclusive cumulative products (exact where x has zeros)."""
    ones = np.ones(x.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.flip(np.concatenate([x[..., 1:], ones], axis=-1), -1), axis=-1), -1)
    return left * right


def _prod(primals: Sequence[object], tangents: Sequence[object], params: tuple, out: object,
          g: object, vjp: Callable[..., list[object]]) -> list[object]:
    x, t = primals[0], tangents[0]
    if t is None:
        return [None]
    axis = params[0] if params else None
    full = np.asarray(expand(g, axis, x.shape))  # ȳ at every element it reduced
    if axis is None:
        xs, ts, gs = x.reshape(1, -1), t.reshape(1, -1), full.reshape(1, -1)
    else:
        xs, ts, gs = (np.moveaxis(v, axis, -1) for v in (x, t, full))
    n = xs.shape[-1]
    s = np.zeros(xs.shape)
    for i in range(n):
        y = xs.copy()
        y[..., i] = 1.0
        terms = ts * others_product(y)  # ẋⱼ·Π_{l≠j} yₗ = ẋⱼ·Π_{l∉{i,j}} xₗ for j ≠ i
        terms[..., i] = 0.0
        s[..., i] = np.sum(terms, axis=-1)
    s = s * gs
    return [s.reshape(x.shape) if axis is None else np.moveaxis(s, -1, axis)]


_TERMS = {"matmul": _bilinear, "dot": _bilinear, "norm": _norm, "prod": _prod}


def supported(prim: Primitive) -> bool:
    """Whether the Hessian mode can differentiate ``prim``'s pullback again."""
    return prim.name in ZERO or prim.name in _TERMS


def second(prim: Primitive, primals: Sequence[object], tangents: Sequence[object], params: tuple, out: object,
           g: object) -> list[object]:
    """Sᵢ for each argument along one direction (module docstring); None where it is zero."""
    term = _TERMS.get(prim.name)
    if term is None:
        return [None] * len(primals)
    with np.errstate(all="ignore"):
        return term(primals, tangents, params, out, g, REGISTRY[prim.name].vjp)


__all__ = ["ZERO", "others_product", "second", "supported"]
