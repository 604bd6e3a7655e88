"""Truncated Taylor series arithmetic: the standard recurrences (Griewank & Walther, ch. 13).

A series is a list ``a = [a₀, a₁, …, a_K]`` meaning ``a(t) = Σ aₖ tᵏ``; every function returns a
new list of the same length.  The k-th derivative along t is ``k! · aₖ``.  All divisions are
IEEE-safe (``x/0`` → ±inf or nan, never an exception) and coefficient 0 always comes from the
primitive's own value rule, so the series agrees with plain evaluation.

Recurrences (k ≥ 1):
- c = a·b:     cₖ = Σⱼ aⱼ bₖ₋ⱼ
- c = a/b:     cₖ = (aₖ − Σⱼ₌₁ᵏ bⱼ cₖ₋ⱼ) / b₀
- e = exp(a):  eₖ = (1/k) Σⱼ₌₁ᵏ j aⱼ eₖ₋ⱼ
- l = log(a):  lₖ = (aₖ − (1/k) Σⱼ₌₁ᵏ⁻¹ j lⱼ aₖ₋ⱼ) / a₀
- s = √a:      sₖ = (aₖ − Σⱼ₌₁ᵏ⁻¹ sⱼ sₖ₋ⱼ) / (2 s₀)
- p = a^r:     pₖ = (1/(k a₀)) Σⱼ₌₁ᵏ (r j − (k − j)) aⱼ pₖ₋ⱼ      (r constant)
- s, c = sin a, cos a:  sₖ = (1/k) Σ j aⱼ cₖ₋ⱼ,  cₖ = −(1/k) Σ j aⱼ sₖ₋ⱼ   (sinh/cosh: + sign)
- f with f' = g(a)·a' (atan, asin, erf, …):  fₖ = (1/k) Σⱼ₌₁ᵏ j aⱼ gₖ₋ⱼ
"""

from __future__ import annotations

import math
from collections.abc import Callable

Series = list[float]


def q(x: float, y: float) -> float:
    """IEEE division."""
    try:
        return x / y
    except ZeroDivisionError:
        if x != x or x == 0.0:
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)


def const(c: float, n: int) -> Series:
    return [c] + [0.0] * (n - 1)


def is_const(a: Series) -> bool:
    return all(x == 0.0 for x in a[1:])


def add(a: Series, b: Series) -> Series:
    return [x + y for x, y in zip(a, b)]


def sub(a: Series, b: Series) -> Series:
    return [x - y for x, y in zip(a, b)]


def neg(a: Series) -> Series:
    return [-x for x in a]


def scale(a: Series, c: float) -> Series:
    return [c * x for x in a]


def mul(a: Series, b: Series) -> Series:
    n = len(a)
    return [sum(a[j] * b[k - j] for j in range(k + 1)) for k in range(n)]


def div(a: Series, b: Series, c0: float | None = None) -> Series:
    n = len(a)
    c = [q(a[0], b[0]) if c0 is None else c0]
    for k in range(1, n):
        c.append(q(a[k] - sum(b[j] * c[k - j] for j in range(1, k + 1)), b[0]))
    return c


def integrate(a: Series, g: Series, f0: float) -> Series:
    """The series f with f(0) = f0 and f' = g·a' (g known to order K−1)."""
    f = [f0]
    for k in range(1, len(a)):
        f.append(sum(j * a[j] * g[k - j] for j in range(1, k + 1)) / k)
    return f


def exp(a: Series, e0: float) -> Series:
    e = [e0]
    for k in range(1, len(a)):
        e.append(sum(j * a[j] * e[k - j] for j in range(1, k + 1)) / k)
    return e


def log(a: Series, l0: float) -> Series:
    lg = [l0]
    for k in range(1, len(a)):
        lg.append(q(a[k] - sum(j * lg[j] * a[k - j] for j in range(1, k)) / k, a[0]))
    return lg


def sqrt(a: Series, s0: float) -> Series:
    s = [s0]
    for k in range(1, len(a)):
        s.append(q(a[k] - sum(s[j] * s[k - j] for j in range(1, k)), 2.0 * s0))
    return s


def pow_const(a: Series, r: float, p0: float) -> Series:
    """a^r for a constant exponent r.  At a₀ = 0 a whole exponent r ≥ 0 is exact (repeated
    products); otherwise the recurrence divides by a₀ and gives IEEE inf/nan."""
    n = len(a)
    if a[0] == 0.0 and r == int(r) and 0 <= r <= 64:
        out = const(1.0, n)
        for _ in range(int(r)):
            out = mul(out, a)
        return out
    p = [p0]
    for k in range(1, n):
        p.append(q(sum((r * j - (k - j)) * a[j] * p[k - j] for j in range(1, k + 1)), k * a[0]))
    return p


def sincos(a: Series, s0: float, c0: float, hyperbolic: bool = False) -> tuple[Series, Series]:
    s, c = [s0], [c0]
    sign = 1.0 if hyperbolic else -1.0
    for k in range(1, len(a)):
        s.append(sum(j * a[j] * c[k - j] for j in range(1, k + 1)) / k)
        c.append(sign * sum(j * a[j] * s[k - j] for j in range(1, k + 1)) / k)
    return s, c


def riccati(a: Series, f0: float, g_of: Callable[[Series, int], float]) -> Series:
    """f with f' = g·a' where gₘ depends on f₀…fₘ (tanh: g = 1 − f², sigmoid: g = f − f²)."""
    f = [f0]
    g = [g_of(f, 0)]
    for k in range(1, len(a)):
        f.append(sum(j * a[j] * g[k - j] for j in range(1, k + 1)) / k)
        g.append(g_of(f, k))
    return f


def square_coefficient(f: Series, k: int) -> float:
    """The k-th coefficient of f·f (f known to order k)."""
    return sum(f[i] * f[k - i] for i in range(k + 1))
