"""How the tests compare floating-point results: the suite's numeric policy, and its helpers.

Policy
======
A comparison is exact only where exactness follows from the arithmetic; elsewhere the bound is
the one the arithmetic gives, never a tolerance picked to make a test pass.

1. **Same operations, same order: exact.**  Two results computed by the same operations on the same
   floats in the same order are the same float (traced vs untraced runs, the same path run twice,
   the primal values of forward and reverse mode, one partial times a unit seed in either mode).
   A result made only of IEEE-754 basic operations (+ - * / sqrt, negation, abs, min, max, floor,
   ceil: correctly rounded or exact) is the same float on every conforming CPU (CPython performs
   each operation on its own: no fused multiply-add), so it may be compared exactly with the
   literal it equals: small integers and dyadic fractions, or a Taylor coefficient scaled back
   to 2**k.  So may a value IEEE 754 or C99 Annex F fixes (inf from 1/0 or overflow, ``exp(0) = 1``,
   ``cos(0) = 1``, ``sin(0) = 0``, ``log(1) = 0``, ``pow(1, y) = pow(x, 0) = 1``), and a power whose
   value is a double (``2^2``, ``(-2)^3``): glibc's pow errs by at most 0.54 ulp (e_pow.c), i.e.
   0.04 ulp before its final rounding, with or without FMA, so it returns that double.
   Use ``==`` or ``ulp_close(a, b, 0)`` (which also lets nan equal nan).

2. **NumPy vs ``math``: within ``NUMPY_VS_MATH_ULPS`` = 8 ulps**, element by element.  The array
   rule of a transcendental primitive calls a NumPy ufunc; the scalar rule calls ``math``, i.e. the C
   library.  Neither is correctly rounded, and NumPy picks its kernel at run time from the CPU
   (``numpy.show_runtime()``), so the two may differ in the last bits, differently on different
   CPUs.  The bound is the sum of the two documented worst cases:

   - NumPy's AVX-512 kernels (Intel SVML, used on CPUs with AVX512_SKX / X86_V4, for exp2 log2
     log10 expm1 log1p cbrt sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh
     arctanh, power and arctan2): "the maximum ULP error across all the implementations is 4 ULP"
     (numpy/numpy#19478, release note "Vectorize umath module using AVX-512", NumPy 1.22).  NumPy's
     own float64 exp/log kernels are under 1 ulp (numpy/numpy#15648); on CPUs without AVX-512 the
     other functions call the C library itself.
   - glibc's libm, round-to-nearest, double (``sysdeps/x86_64/fpu/libm-test-ulps``): at most 4 ulps
     for every function adcalc hands to NumPy (cbrt 4; acosh asinh atanh cosh sinh tanh log2 log10
     2; exp expm1 log log1p pow sin cos tan asin acos atan atan2 hypot 1).

   4 + 4 = 8.  ``sigmoid`` and ``softplus`` compose ``exp``/``log1p`` (each at most 1 + 4 ulps
   apart) with correctly rounded operations of condition at most 1, so they stay inside 8 as well.
   Primitives whose array rule is exact by IEEE 754 (+ - * / sqrt neg abs max min sign floor ceil
   step) or calls ``math`` itself (erf, erfc) are still compared exactly.  A distance is counted
   in representable doubles (``ulp_distance``), like ``numpy.testing.assert_array_max_ulp``.

3. **Forward vs reverse mode: within ``2·γ(M)·S``.**  Both modes multiply the same local partials
   (one rule serves both) but associate the sum over paths differently: forward mode adds at the
   nodes with two arguments, reverse mode at the nodes used twice.  Each computed mode equals
   ``Σ_paths Π partials · (1 + θ_path)`` with ``|θ_path| ≤ γ(M)``, ``γ(M) = M·u / (1 - M·u)``,
   ``u = 2**-53``, where ``M`` bounds the roundings on any path: one product per edge of the path;
   forward mode adds at most once per node of the path, reverse mode at most (uses - 1) times per
   node, no more than the number of edges in all.  So ``M ≤ 2·(nodes)`` for an expression tree and
   ``M ≤ 3·(operations)`` for a program.  Each computed mode is within ``γ(M)·S`` of the exact sum of the
   computed partials, and the two modes within ``2·γ(M)·S`` of each other, where
   ``S = Σ_paths |Π partials|`` is the gradient recomputed with the absolute values of all local
   partials.  The bound is relative to ``S``, not to the result: when the terms cancel (an exact
   derivative of 0 made of terms of size 90) the difference is of the size of the terms' rounding,
   ``~ eps·90``, and no relative tolerance on the result can hold.  ``close_to_scale`` checks it;
   ``Scaled`` computes ``S`` with a tiny scalar evaluator, independently of adcalc.

   Underflow: the model ``fl(a∘b) = (a∘b)(1 + δ)`` holds for results in the normal range.  A product
   or quotient that underflows errs by up to ``η = 2**-1075`` (half the smallest subnormal) absolute
   instead (sums are exact there), amplified by ``|∂output/∂node|`` in forward mode and by
   ``|∂node/∂input|`` in reverse mode; ``Scaled`` counts both and the bound adds them
   (``Scaled.modes_close``).

4. **Against an independent truth** (mpmath, finite differences, hand-derived formulas evaluated
   in a different order): a tolerance stated at the comparison, with the reason; where the
   expression is ill-conditioned, no tighter than the forward-error bound the arithmetic gives
   (``Scaled.derivative_close``): a double evaluation cannot be closer to the exact derivative.
   A C library function compared with its exact value is allowed the library's documented error
   (glibc's cbrt: 4 ulps), except where C99 Annex F fixes the value.
"""

from __future__ import annotations

import math
import struct

import numpy as np

U = 2.0**-53  # unit roundoff of binary64 (round to nearest)
EPS = 2.0**-52  # machine epsilon: the spacing of doubles just above 1.0, = 2u
SMALLEST_NORMAL = 2.0**-1022  # ulp(v) ≤ EPS·max(|v|, SMALLEST_NORMAL) for every finite double v
SMALLEST_SUBNORMAL = 2.0**-1074  # = 2η, η = 2**-1075 the absolute error of a product that underflows
NUMPY_VS_MATH_ULPS = 8  # NumPy's SVML kernels (≤ 4 ulps) + glibc's libm (≤ 4 ulps); see above


def gamma(m: int) -> float:
    """``γ(m) = m·u / (1 - m·u)``: the relative error bound of ``m`` rounded operations (Higham)."""
    if m * U >= 1.0:
        raise ValueError(f"gamma({m}) is undefined: m·u ≥ 1")
    return m * U / (1.0 - m * U)


def _ordinal(x: float) -> int:
    """The position of the double ``x`` in the ordered list of doubles (+0 and -0 are both 0)."""
    (bits,) = struct.unpack("<q", struct.pack("<d", x))
    return bits if bits >= 0 else -(bits & 0x7FFF_FFFF_FFFF_FFFF)


def _ulp_distance1(a: float, b: float) -> float:
    if a != a or b != b:
        return 0.0 if (a != a and b != b) else math.inf
    if math.isinf(a) or math.isinf(b):
        return 0.0 if a == b else math.inf
    return float(abs(_ordinal(a) - _ordinal(b)))


def ulp_distance(a: object, b: object) -> float | np.ndarray:
    """How many representable doubles lie between ``a`` and ``b`` (0 when equal), elementwise.

    nan is at distance 0 from nan and infinitely far from everything else; ±inf is at distance 0
    only from itself (not 1 from the largest finite double); +0 and -0 are at distance 0.  Scalars
    give a float, arrays (broadcast together) an array of floats."""
    x, y = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    if x.ndim == 0:
        return _ulp_distance1(float(x), float(y))
    return np.array([_ulp_distance1(p, q) for p, q in zip(x.ravel().tolist(), y.ravel().tolist())],
                    dtype=float).reshape(x.shape)


def ulp_close(a: object, b: object, ulps: float) -> bool:
    """True when every element of ``a`` is within ``ulps`` representable doubles of ``b`` (see
    ``ulp_distance``); ``ulps=0`` is exact equality with nan equal to nan and +0 equal to -0."""
    return bool(np.all(np.asarray(ulp_distance(a, b)) <= ulps))


def close_to_scale(a: object, b: object, scale: object, eps_multiple: float, tiny: float = 0.0) -> bool:
    """True when ``|a - b| ≤ eps_multiple · EPS · scale + tiny`` element by element: the comparison
    for a sum with cancellation, where the caller computes ``scale`` (e.g. the sum of the absolute
    values of the terms) and, if results may underflow, the absolute allowance ``tiny``.  nan
    equals nan; ±inf equals only itself.  A scale of inf makes the bound vacuous for finite pairs
    (the terms overflowed: the arithmetic bounds nothing)."""
    x, y, s = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                  np.asarray(scale, dtype=float))
    if np.any(np.isnan(s) | (s < 0)) or not tiny >= 0:
        raise ValueError(f"scale and tiny must be non-negative numbers, got {scale!r}, {tiny!r}")
    both_nan = np.isnan(x) & np.isnan(y)
    finite = np.isfinite(x) & np.isfinite(y)
    with np.errstate(invalid="ignore", over="ignore"):
        within = np.abs(x - y) <= eps_multiple * EPS * s + tiny
    same_inf = np.isinf(x) & (x == y)
    return bool(np.all(both_nan | same_inf | (finite & within)))


def _finite_or_inf(x: float) -> float:
    """A scale that overflowed or met 0·inf bounds nothing: inf (the comparison is vacuous)."""
    x = float(x)
    return x if math.isfinite(x) else math.inf


class Scaled:
    """A float of a tiny scalar evaluator (independent of adcalc) that carries the scales of the
    policy's bounds, built node by node with ``Scaled.input``, ``Scaled(value)`` (a constant) and
    ``Scaled.apply``:

    - ``drift``, in units of EPS, bounds to first order how far two evaluations of the expression
      (adcalc with ``math``, an evaluator with NumPy) drift apart when at each node their results
      on equal arguments may differ by ``ulps`` ulps (1 for a correctly rounded operation,
      NUMPY_VS_MATH_ULPS for a library kernel, 0 for an exact one):
      ``drift = Σ |∂|·drift_arg + ulps·max(|v|, SMALLEST_NORMAL)``;
    - per input, ``grad`` is S, the gradient with absolute local partials (Σ over paths of
      |Π partials|), ``under_fwd`` = Σ over edges of |∂output/∂consumer| and ``under_rev`` = Σ over
      edges of |∂argument/∂input|: how much an underflowing product on an edge is amplified in
      forward and in reverse mode (on a DAG ``under_rev`` counts a shared edge once per path: an
      overestimate);
    - per input, ``deriv_drift`` bounds, in units of EPS and to first order, how far a computed
      derivative is from the exact one: each tangent ``t = Σ ∂ᵢ·tᵢ`` inherits its arguments' errors
      (``|∂ᵢ|·deriv_driftᵢ``), the error of each partial evaluated at drifted values
      (``Σⱼ |∂ⱼ∂ᵢ|·driftⱼ``, the second partials ``second``), the partial rule's own evaluation
      (NUMPY_VS_MATH_ULPS ulps of ``partial_scales``: a kernel and a few roundings) and the
      product and sum (2 roundings), each of the last three times ``|tᵢ| ≤ Sᵢ``.  It is what a
      comparison with the exact derivative (mpmath) may allow where the expression is
      ill-conditioned (cos of a large argument whose last bit is rounding).

    An argument with drift 0 is the same float on both sides; an edge whose partial or tangent is 0
    is skipped by both modes (the zero-factor rule): neither adds anything, even next to an
    infinite partial.  Values are NumPy float64 scalars, so overflow gives inf, not an exception."""

    __slots__ = ("value", "drift", "grad", "under_fwd", "under_rev", "deriv_drift")

    def __init__(self, value: float, drift: float = 0.0, grad: dict | None = None, under_fwd: dict | None = None,
                 under_rev: dict | None = None, deriv_drift: dict | None = None):
        self.value = np.float64(value)
        self.drift = drift
        self.grad = grad or {}
        self.under_fwd = under_fwd or {}
        self.under_rev = under_rev or {}
        self.deriv_drift = deriv_drift or {}

    @classmethod
    def input(cls, name: str, value: float) -> Scaled:
        return cls(value, 0.0, {name: 1.0}, {name: 0.0}, {name: 0.0}, {name: 0.0})

    @classmethod
    def apply(cls, value: float, args: list[Scaled], abs_partials: list[float], ulps: float,
              second: list[list[float]] | None = None, partial_scales: list[float] | None = None) -> Scaled:
        """The node ``value = f(args)`` whose partials have the absolute values ``abs_partials``;
        ``second[i][j]`` = |∂(partial i)/∂(argument j)| (default 0: constant partials) and
        ``partial_scales[i]`` the magnitude the rule of partial i rounds at (default: the partial;
        0 for a partial that is an argument itself or a constant)."""
        n = len(args)
        second = second or [[0.0] * n for _ in range(n)]
        partial_scales = abs_partials if partial_scales is None else partial_scales
        with np.errstate(all="ignore"):
            drift = ulps * max(abs(float(value)), SMALLEST_NORMAL)
            grad: dict = {}
            under_fwd: dict = {}
            under_rev: dict = {}
            deriv_drift: dict = {}
            for i, (arg, p) in enumerate(zip(args, abs_partials)):
                if arg.drift:
                    drift += p * arg.drift
                if p == 0.0:
                    continue
                partial_error = sum(second[i][j] * args[j].drift for j in range(n) if args[j].drift)
                partial_error += NUMPY_VS_MATH_ULPS * partial_scales[i] + 2 * p
                for name, t in arg.grad.items():
                    if t == 0.0:
                        continue
                    grad[name] = grad.get(name, 0.0) + p * t
                    under_fwd[name] = under_fwd.get(name, 0.0) + p * arg.under_fwd[name] + 1.0
                    under_rev[name] = under_rev.get(name, 0.0) + arg.under_rev[name] + t
                    deriv_drift[name] = deriv_drift.get(name, 0.0) + p * arg.deriv_drift[name] + t * partial_error
        return cls(value, drift, grad, under_fwd, under_rev, deriv_drift)

    def values_close(self, a: float, b: float) -> bool:
        """``a`` and ``b``, two evaluations of this expression, within the drift bound."""
        return close_to_scale(a, b, _finite_or_inf(self.drift), 1)

    def modes_close(self, forward: float, reverse: float, name: str, roundings: int) -> bool:
        """Forward and reverse mode's derivative with respect to ``name`` within
        ``2·γ(M)·S + η·(under_fwd + under_rev)``, ``M = roundings`` on any path.  This evaluator's
        own S may be short by a factor 1 + γ(M) and by η·under_fwd (its own rounding and underflow):
        so ``2·γ(M)·(1 + γ(M))·S + 2η·(under_fwd + under_rev)``, and 2η is the smallest subnormal."""
        g = gamma(roundings)
        scale = _finite_or_inf(self.grad.get(name, 0.0))
        under = _finite_or_inf(self.under_fwd.get(name, 0.0) + self.under_rev.get(name, 0.0))
        return close_to_scale(forward, reverse, scale, 2 * g * (1 + g) / EPS, tiny=SMALLEST_SUBNORMAL * under)

    def derivative_close(self, reverse: float, exact: float, name: str, roundings: int) -> bool:
        """Reverse mode's derivative with respect to ``name`` within ``EPS·deriv_drift`` (forward mode
        from the exact derivative) plus the modes' bound (reverse from forward): the comparison
        with an independent exact derivative that the arithmetic allows."""
        g = gamma(roundings)
        scale = _finite_or_inf(self.deriv_drift.get(name, 0.0) + 2 * g * (1 + g) / EPS * self.grad.get(name, 0.0))
        under = _finite_or_inf(self.under_fwd.get(name, 0.0) + self.under_rev.get(name, 0.0))
        return close_to_scale(reverse, exact, scale, 1, tiny=SMALLEST_SUBNORMAL * under)
