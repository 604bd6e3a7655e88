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

Where a recurrence would divide by a₀ = 0 (√, log and powers at zero) or its p₀ underflows or
overflows (x^2.5 at x = 1e-300: p₀ = 0 although the third derivative is 1.875e150), the series is
composed instead from the outer function's own derivatives at a₀ (``compose``, Faà di Bruno):
f(a(t)) = Σₖ f⁽ᵏ⁾(a₀)/k! · (a(t) − a₀)ᵏ.  Every recurrence follows the chain rule's convention
that a product with an exact zero factor contributes nothing (0·inf = 0), as forward and reverse
mode do — so the
first coefficients agree with grad and hessian there, and higher ones are the exact one-sided
values (±inf where the derivative blows up), never nan from 0/0.  A zero's sign never changes
a derivative (−0 is 0: √ and log are differentiated at +0).
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


def _mul0(x: float, y: float) -> float:
    """x·y where an exact zero factor gives 0 (the chain rule's convention: no 0·inf = nan)."""
    return 0.0 if x == 0.0 or y == 0.0 else x * y


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
    return [sum(_mul0(a[j], b[k - j]) for j in range(k + 1)) for k in range(n)]


def div(a: Series, b: Series, c0: float | None = None) -> Series:
    n = len(a)
    c = [q(a[0], b[0]) if c0 is None else c0]
    for k in range(1, n):
        c.append(q(a[k] - sum(_mul0(b[j], c[k - j]) for j in range(1, k + 1)), b[0]))
    return c


def integrate(a: Series, g: Series, f0: float) -> Series:
    """The series f with f(0) = f0 and f' = g·a' (g known to order K−1)."""
    f = [f0]
    for k in range(1, len(a)):
        f.append(sum(_mul0(j * a[j], g[k - j]) for j in range(1, k + 1)) / k)
    return f


def exp(a: Series, e0: float) -> Series:
    e = [e0]
    for k in range(1, len(a)):
        e.append(sum(_mul0(j * a[j], e[k - j]) for j in range(1, k + 1)) / k)
    return e


def compose(a: Series, derivatives: list[float]) -> Series:
    """f(a(t)) from f's derivatives f⁽ᵏ⁾(a₀), k = 0 … K: cₘ = Σₖ f⁽ᵏ⁾(a₀)/k! · [tᵐ](a − a₀)ᵏ."""
    n = len(a)
    out = [derivatives[0]] + [0.0] * (n - 1)
    shifted = [0.0] + a[1:]
    power = const(1.0, n)
    factorial = 1.0
    for k in range(1, n):
        power = [sum(_mul0(power[j], shifted[m - j]) for j in range(m + 1)) for m in range(n)]
        factorial *= k
        g = derivatives[k]
        if g == 0.0:
            continue
        for m in range(k, n):
            if power[m] != 0.0:
                out[m] += (g / factorial) * power[m]
    return out


def ipow(x: float, y: float) -> float:
    """IEEE x^y without exceptions: the value rule of the language's ``^``.  Overflow is ±inf (a
    negative base to an odd whole power keeps its sign), 0^-y a pole (±inf by the zero's sign
    for an odd whole y), and a negative base to a fractional power nan — never a complex number."""
    try:
        return math.pow(x, y)
    except OverflowError:
        if x < 0 and y == int(y) and int(y) % 2 == 1:
            return -math.inf
        return math.inf
    except ValueError:
        if x == 0.0 and y < 0:  # pole: 0^-n
            if y == int(y) and int(y) % 2 == 1:
                return math.copysign(math.inf, x)
            return math.inf
        return math.nan


def _normal(v: float) -> bool:
    return 2.2250738585072014e-308 <= abs(v) < math.inf


def log(a: Series, l0: float) -> Series:
    a = [a[0] + 0.0] + a[1:]  # log'(-0) = log'(+0) = +inf
    if a[0] == 0.0:  # log⁽ᵏ⁾(0) = (−1)ᵏ⁻¹ (k−1)! · inf
        return compose(a, [l0] + [(-1.0) ** (k - 1) * math.inf for k in range(1, len(a))])
    lg = [l0]
    for k in range(1, len(a)):
        lg.append(q(a[k] - sum(_mul0(j * lg[j], a[k - j]) for j in range(1, k)) / k, a[0]))
    return lg


def sqrt(a: Series, s0: float) -> Series:
    if a[0] == 0.0:  # √ at ±0: the power rule's exact composition (no 0/0)
        return pow_const([0.0] + a[1:], 0.5, 0.0)
    s = [s0]
    for k in range(1, len(a)):
        s.append(q(a[k] - sum(_mul0(s[j], s[k - j]) for j in range(1, k)), 2.0 * s0))
    return s


def pow_const(a: Series, r: float, p0: float) -> Series:
    """a^r for a constant exponent r.  At a₀ = 0 a whole exponent r ≥ 0 is exact (repeated
    products); any other exponent at a₀ = 0, or a p₀ that underflowed or overflowed, is composed
    from the exact derivatives r(r−1)…(r−k+1)·a₀^(r−k); otherwise the recurrence."""
    n = len(a)
    if r - r != 0.0:  # an exponent of inf or nan: no derivative (as forward mode's y·x^(y−1))
        return [p0] + [math.nan] * (n - 1)
    if a[0] == 0.0 and r == int(r) and 0 <= r <= 64:
        out = const(1.0, n)
        for _ in range(int(r)):
            out = mul(out, a)
        return out
    if a[0] == 0.0 or (not _normal(p0) and a[0] - a[0] == 0.0 and p0 == p0):
        a = [a[0] + 0.0] + a[1:]
        derivatives, falling = [p0], 1.0
        for k in range(1, n):
            falling *= r - (k - 1)  # r (r − 1) … (r − k + 1)
            derivatives.append(_mul0(falling, ipow(a[0], r - k)))
        return compose(a, derivatives)
    p = [p0]
    for k in range(1, n):
        p.append(q(sum(_mul0((r * j - (k - j)) * a[j], p[k - j]) for j in range(1, k + 1)), k * a[0]))
    return p


def pow_at_zero(a: Series, b: Series, p0: float) -> Series:
    """a^b where a₀ = 0 and the exponent b moves.  With a = a_p·tᵖ + … (p the first order where
    a is non-zero) and b = b₀ + b_m·tᵐ + …, a^b = a^b₀ · exp((b − b₀)·log a) = a^b₀ ·
    (1 + b_m·tᵐ·(p·log t + …) + …): the derivatives of order below s = p·b₀ + m are those of a^b₀
    (the constant-exponent series); from order s on they do not exist (a t^s·log t term), so
    those coefficients are nan (Taylor mode then warns).  A base that stays at 0 gives 0^b(t):
    constant 0 when b₀ > 0; otherwise not differentiable — order 1 is the first-order rule's
    0^b₀·log 0·b₁ (−inf·b₁ at b₀ = 0, as forward and reverse mode give), higher orders nan."""
    n = len(a)
    m = next(k for k in range(1, n) if b[k] != 0.0)
    p = next((k for k in range(1, n) if a[k] != 0.0), None)
    if p is None:
        if b[0] > 0.0:
            return [p0] + [0.0] * (n - 1)
        return [p0, 0.0 if b[1] == 0.0 else p0 * -math.inf * b[1]] + [math.nan] * (n - 2)
    s = p * b[0] + m
    return [c if k < s else math.nan for k, c in enumerate(pow_const(a, b[0], p0))]


def sincos(a: Series, s0: float, c0: float, hyperbolic: bool = False) -> tuple[Series, Series]:
    s, c = [s0], [c0]
    sign = 1.0 if hyperbolic else -1.0
    for k in range(1, len(a)):
        s.append(sum(_mul0(j * a[j], c[k - j]) for j in range(1, k + 1)) / k)
        c.append(sign * sum(_mul0(j * a[j], s[k - j]) for j in range(1, k + 1)) / k)
    return s, c


def riccati(a: Series, f0: float, g_of: Callable[[Series, int], float]) -> Series:
    """f with f' = g·a' where gₘ depends on f₀…fₘ (tanh: g = 1 − f², sigmoid: g = f − f²)."""
    f = [f0]
    g = [g_of(f, 0)]
    for k in range(1, len(a)):
        f.append(sum(_mul0(j * a[j], g[k - j]) for j in range(1, k + 1)) / k)
        g.append(g_of(f, k))
    return f


def square_coefficient(f: Series, k: int) -> float:
    """The k-th coefficient of f·f (f known to order k)."""
    return sum(_mul0(f[i], f[k - i]) for i in range(k + 1))
