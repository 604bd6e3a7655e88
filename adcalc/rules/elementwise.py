"""The elementwise primitives: their entries in the registry (``adcalc.rules.registry``).

Contract (the math): for each primitive, ``value(*x)`` is the IEEE-754 double result
(``adcalc.rules.ieee``: nan outside the domain, ±inf at poles and on overflow, never complex);
``partials[i](*x)`` is ∂value/∂xᵢ at the primal point, written with the generic functions
``G`` so that one rule serves floats, arrays and duals (so it differentiates again); forward
mode uses ``tangent = Σᵢ partials[i](x) · ẋᵢ``, reverse mode ``x̄ᵢ += ȳ · partials[i](x)``.
``kink(*x)`` is true where the primitive is not differentiable; ``convention`` says which
derivative the rule gives there (one convention in every mode):

  =========  ==============================  ===========================================
  primitive  kink                            convention
  =========  ==============================  ===========================================
  abs        x = 0                           abs'(0) = 0
  max, min   a tie                           the derivative splits evenly among the tied
  sqrt       x = 0                           sqrt'(0) = +inf
  cbrt       x = 0                           cbrt'(0) = +inf
  pow        x = 0 and y < 1                 d(x^0)/dx = 0; d(0^y)/dy = 0 for y > 0
  hypot      x = y = 0                       both partials 0
  sign, floor, ceil, step  at their jumps    derivative 0
  =========  ==============================  ===========================================

Python's discrete operations (comparisons as values, ``where``, ``%``, ``//``, ``int``, ``round``)
are registered by ``adcalc.rules.discrete``.

A derivative at a signed zero is taken at +0 (``_unsigned``).  Arrays: every primitive here is
elementwise; ``array`` is its value rule on NumPy arrays (with NumPy broadcasting: the same IEEE
results as ``value`` for the exact operations, within a few ulps for the transcendental ones,
whose NumPy kernels differ by CPU), and its partials are the same generic rules evaluated on
arrays, except where a rule branches on a value (``array_partials``).  ``kink`` predicates are
written with ``&`` so they hold elementwise.

Adding a function to the language is one ``_prim(...)`` entry here plus its test row in
``tests/test_primitives.py``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence

from adcalc.rules import ieee as V
from adcalc.rules import series as S
from adcalc.rules.registry import G, Primitive, np, primal, register, where_not
from adcalc.rules.ties import (
    Extreme,
    ExtremeDisplay,
    extreme_directional,
    extreme_taylor,
    reduce_array,
    show_extreme,
    tie,
)

INF = math.inf
NAN = math.nan
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _prim(name: str, arity: int, value: Callable[..., float], partials: tuple, display: str,
          partial_display: tuple, variadic: bool = False, **kw: object) -> Primitive:
    """Register an elementwise primitive of ``arity`` arguments (``variadic``: or more)."""
    return register(Primitive(name, "elementwise", arity, None if variadic else arity, value, partials, display,
                              partial_display, **kw))  # type: ignore[arg-type]


# ---- partial-derivative rules (generic, so they can be differentiated again) ------------

def _zero(*_: object) -> float:
    return 0.0


def _one(*_: object) -> float:
    return 1.0


def _minus_one(*_: object) -> float:
    return -1.0


def _pow_dx(x: object, y: object) -> object:
    if type(x) is float and type(y) is float:  # the hot first-order case, same formula on floats
        if y == 2.0:
            return 2.0 * (x + 0.0)  # the square's: x^1 is x exactly (IEEE pow), so no pow call
        return 0.0 if y == 0.0 else y * V.pow_(x + 0.0, y - 1.0)
    if type(y) is float and y == 0.0:
        return 0.0  # a constant exponent 0: d(x^0)/dx = 0 wherever x is (no y tangent to keep; no test of x)
    if type(y) is float and y == 2.0:
        return G.mul(2.0, _unsigned(x))  # the square's 2·(x + 0): x^1 is x exactly, so no pow node
    py, px = primal(y), primal(x)
    if type(py) is float and type(px) is float and py == 0.0 and px == 0.0:
        return 0.0  # d(x^0)/dx = 0 at x = 0 too (elsewhere the formula gives 0 and keeps y's tangent)
    formula = G.mul(y, G.pow(_unsigned(x), G.sub(y, 1.0)))
    if type(py) is float and type(px) is float:
        return formula
    return where_not((np.equal(py, 0.0) & np.equal(px, 0.0)), formula)  # boxes of arrays: elementwise


def _pow_dy(x: object, y: object) -> object:
    px, py = primal(x), primal(y)
    if type(px) is float and type(py) is float:
        if px == 0.0 and py > 0.0:
            return 0.0  # d(0^y)/dy = 0 for y > 0
        return G.mul(G.pow(x, y), G.log(x))
    return where_not(np.equal(px, 0.0) & np.greater(py, 0.0), G.mul(G.pow(x, y), G.log(x)))


def _pow_kink(x: object, y: object) -> object:
    """x = 0 with y < 1 (elementwise on arrays; a constant exponent ≥ 1 decides it at once)."""
    if type(y) is float and y >= 1.0:
        return False
    return (x == 0.0) & (y < 1.0)


def _pow_dx_array(x: object, y: object) -> object:
    if not hasattr(y, "shape"):
        if y == 2.0:
            return np.multiply(x, 2.0)  # the common square, without a power
        return 0.0 if y == 0.0 else G.mul(y, G.pow(np.add(x, 0.0), y - 1.0))
    return np.where(y == 0.0, 0.0, np.multiply(y, np.power(np.add(x, 0.0), np.subtract(y, 1.0))))


def _pow_dy_array(x: object, y: object) -> object:
    return np.where(np.logical_and(np.equal(x, 0.0), np.greater(y, 0.0)), 0.0,
                    np.multiply(np.power(x, y), np.log(x)))


def _show_pow_dx(args: Sequence[str]) -> str:
    x, y = args
    try:
        c = float(y[1:-1] if y.startswith("(") and y.endswith(")") else y)  # a parenthesized (-2) too
    except ValueError:
        return f"{y}·{x}^({y} - 1)"
    n = _fmt_const(c - 1.0)
    return f"{y}·{x}" if c - 1.0 == 1.0 else f"{y}·{x}^{n}"


def _fmt_const(c: float) -> str:
    return str(int(c)) if c == int(c) and abs(c) < 1e15 else repr(c)


def _hypot_d(i: int) -> Callable[..., object]:
    def d(x: object, y: object) -> object:
        px, py = primal(x), primal(y)
        if type(px) is float and type(py) is float:
            return 0.0 if px == 0.0 and py == 0.0 else G.div((x, y)[i], G.hypot(x, y))
        return where_not(np.equal(px, 0.0) & np.equal(py, 0.0), G.div((x, y)[i], G.hypot(x, y)))

    return d


def _hypot_d_array(i: int) -> Callable[..., object]:
    def d(x: object, y: object) -> object:
        both_zero = np.logical_and(np.equal(x, 0.0), np.equal(y, 0.0))
        return np.where(both_zero, 0.0, np.divide((x, y)[i], np.hypot(x, y)))

    return d


def _sigmoid_array(x: object) -> object:
    e = np.exp(-np.abs(x))  # the scalar rule's two branches, without overflow
    return np.where(np.greater_equal(x, 0.0), 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus_array(x: object) -> object:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _elementwise(f: Callable[[float], float]) -> Callable[[object], object]:
    """A math function with no NumPy ufunc, applied element by element (erf, erfc)."""

    def g(x: object) -> object:
        return np.vectorize(f, otypes=[float])(x)

    return g


def _sq(x: object) -> object:
    return G.mul(x, x)


def _unsigned(x: object) -> object:
    """x with a zero made +0 (IEEE: -0 + 0 = +0): a derivative at 0 never depends on the zero's
    sign, so sqrt'(-0) = sqrt'(+0) = +inf and log'(-0) = +inf, in every mode (floats, duals,
    arrays alike)."""
    return G.add(x, 0.0)


# ---- Taylor and one-sided helpers ---------------------------------------------------------

def _inv(a: list[float]) -> list[float]:
    return S.div(S.const(1.0, len(a)), a)


def _one_minus_sq(a: list[float]) -> list[float]:
    return S.sub(S.const(1.0, len(a)), S.mul(a, a))


def _gauss(a: list[float]) -> list[float]:
    m = S.neg(S.mul(a, a))
    return S.exp(m, V.guard(math.exp)(m[0]))


def _pow_taylor(a: list[float], b: list[float], v: float) -> list[float]:
    if S.is_const(b):
        return S.pow_const(a, b[0], v)
    if not a[0] >= 0.0:  # a negative base to a moving exponent: not differentiable (d/dy = x^y·log x = nan)
        return [v] + [NAN] * (len(a) - 1)
    if a[0] == 0.0:  # log a has a log t term: exact up to the first order it reaches
        return S.pow_at_zero(a, b, v)
    lg = S.log(a, V.log_base(math.log)(a[0]))  # x^y = exp(y·log x) when the exponent varies
    return S.exp(S.mul(b, lg), v)


def _cbrt_taylor(a: list[float], v: float) -> list[float]:
    if a[0] < 0:
        return S.neg(S.pow_const(S.neg(a), 1.0 / 3.0, -v))
    return S.pow_const(a, 1.0 / 3.0, v)


def _acosh_taylor(a: list[float], v: float) -> list[float]:
    one = S.const(1.0, len(a))
    g = S.mul(S.sqrt(S.sub(a, one), V.guard(math.sqrt)(a[0] - 1)), S.sqrt(S.add(a, one), V.guard(math.sqrt)(a[0] + 1)))
    return S.integrate(a, _inv(g), v)


def _atan2_taylor(y: list[float], x: list[float], v: float) -> list[float]:
    # f' = (x·y' − y·x') / (x² + y²), then integrate term by term
    n = len(x)
    dy = [(m + 1) * y[m + 1] for m in range(n - 1)] + [0.0]
    dx = [(m + 1) * x[m + 1] for m in range(n - 1)] + [0.0]
    d = S.div(S.sub(S.mul(x, dy), S.mul(y, dx)), S.add(S.mul(x, x), S.mul(y, y)))
    return [v] + [d[k - 1] / k for k in range(1, n)]


def _asinh_taylor(a: list[float], v: float) -> list[float]:
    root = S.sqrt(S.add(S.mul(a, a), S.const(1.0, len(a))), math.sqrt(a[0] * a[0] + 1.0))
    return S.integrate(a, _inv(root), v)


def _sigmoid_series(a: list[float]) -> list[float]:
    """σ(a) with σ' = σ − σ²."""
    return S.riccati(a, V.sigmoid(a[0]), lambda f, k: f[k] - S.square_coefficient(f, k))


def _pow_directional(x: float, y: float, t: Sequence[float]) -> float:
    """x^y at x = 0 along (ẋ, ẏ) with ẏ = 0: (h·ẋ)^y / h."""
    if t[1] != 0.0:
        return NAN  # 0^(y + h·ẏ) with a moving exponent: not a one-sided limit we can state
    if y == 0.0 or t[0] == 0.0:
        return 0.0
    if y >= 1.0:
        return t[0] if y == 1.0 else 0.0
    if t[0] < 0.0 and not (y - y == 0.0 and y == int(y)):
        return NAN  # a negative base to a fractional (or infinite) power
    return INF if y > 0 else NAN


def _jump_directional(x: float, t: Sequence[float]) -> float:
    return 0.0  # piecewise constant: each piece has derivative 0 (the value itself jumps)


# ---- the table ------------------------------------------------------------------------

# Arithmetic operators
_prim("add", 2, operator.add, (_one, _one), "{0} + {1}", ("1", "1"), symbol="+", public=False,
      taylor=lambda a, b, v: S.add(a, b),
      array="add")
_prim("sub", 2, operator.sub, (_one, _minus_one), "{0} - {1}", ("1", "-1"), symbol="-", public=False,
      taylor=lambda a, b, v: S.sub(a, b),
      array="subtract")
_prim("mul", 2, operator.mul, (lambda x, y: y, lambda x, y: x), "{0}·{1}", ("{1}", "{0}"),
      symbol="*", public=False,
      taylor=lambda a, b, v: S.mul(a, b),
      array="multiply")
_prim("div", 2, V.div, (lambda x, y: G.div(1.0, _unsigned(y)), lambda x, y: G.neg(G.div(G.div(x, y), y))),
      "{0}/{1}", ("1/{1}", "-{0}/{1}^2"), domain="y ≠ 0", symbol="/", public=False,
      taylor=lambda a, b, v: S.div(a, b, v),
      array="divide")
_prim("neg", 1, operator.neg, (_minus_one,), "-{0}", ("-1",), symbol="-", public=False,
      taylor=lambda a, v: S.neg(a),
      array="negative")
_prim("pow", 2, V.pow_, (_pow_dx, _pow_dy), "{0}^{1}", (_show_pow_dx, "{0}^{1}·log({0})"),
      domain="x > 0, or x = 0 with y ≥ 0, or x < 0 with whole y",
      kink=_pow_kink,
      convention="d(x^0)/dx = 0 and d(0^y)/dy = 0 for y > 0; d(x^y)/dx = +inf at x = 0 for 0 < y < 1",
      symbol="^",
      taylor=_pow_taylor, directional=_pow_directional,
      array="power", array_partials=(_pow_dx_array, _pow_dy_array))

# Exponentials and logarithms
_prim("exp", 1, V.guard(math.exp), (lambda x: G.exp(x),), "exp({0})", ("exp({0})",),
      taylor=lambda a, v: S.exp(a, v),
      array="exp")
_prim("expm1", 1, V.guard(math.expm1), (lambda x: G.exp(x),), "expm1({0})", ("exp({0})",),
      taylor=lambda a, v: S.exp(a, V.guard(math.exp)(a[0])),
      array="expm1")
_prim("log", 1, V.log_base(math.log), (lambda x: G.div(1.0, _unsigned(x)),), "log({0})", ("1/{0}",), domain="x > 0",
      taylor=lambda a, v: S.log(a, v),
      array="log")
_prim("log2", 1, V.log_base(math.log2), (lambda x: G.div(1.0, G.mul(_unsigned(x), _LN2)),), "log2({0})",
      ("1/({0}·ln 2)",), domain="x > 0",
      taylor=lambda a, v: S.scale(S.log(a, v * _LN2), 1 / _LN2),
      array="log2")
_prim("log10", 1, V.log_base(math.log10), (lambda x: G.div(1.0, G.mul(_unsigned(x), _LN10)),), "log10({0})",
      ("1/({0}·ln 10)",), domain="x > 0",
      taylor=lambda a, v: S.scale(S.log(a, v * _LN10), 1 / _LN10),
      array="log10")
_prim("log1p", 1, V.log1p, (lambda x: G.div(1.0, G.add(1.0, x)),), "log1p({0})", ("1/(1 + {0})",),
      domain="x > -1",
      taylor=lambda a, v: S.log(S.add(a, S.const(1.0, len(a))), v),
      array="log1p")
_prim("sqrt", 1, V.guard(math.sqrt), (lambda x: G.div(0.5, _unsigned(G.sqrt(x))),), "sqrt({0})", ("1/(2·sqrt({0}))",),
      domain="x ≥ 0", kink=lambda x: x == 0.0, convention="sqrt'(0) = +inf",
      taylor=lambda a, v: S.sqrt(a, v),
      directional=lambda x, t: INF if t[0] > 0 else (0.0 if t[0] == 0 else NAN),
      array="sqrt")
_prim("cbrt", 1, math.cbrt, (lambda x: G.div(1.0, G.mul(3.0, _sq(G.cbrt(x)))),), "cbrt({0})",
      ("1/(3·cbrt({0})^2)",), kink=lambda x: x == 0.0, convention="cbrt'(0) = +inf",
      taylor=_cbrt_taylor,
      directional=lambda x, t: math.copysign(INF, t[0]) if t[0] != 0 else 0.0,
      array="cbrt")

# Trigonometric
_prim("sin", 1, V.guard(math.sin), (lambda x: G.cos(x),), "sin({0})", ("cos({0})",),
      taylor=lambda a, v: S.sincos(a, v, V.guard(math.cos)(a[0]))[0],
      array="sin")
_prim("cos", 1, V.guard(math.cos), (lambda x: G.neg(G.sin(x)),), "cos({0})", ("-sin({0})",),
      taylor=lambda a, v: S.sincos(a, V.guard(math.sin)(a[0]), v)[1],
      array="cos")
_prim("tan", 1, V.guard(math.tan), (lambda x: G.add(1.0, _sq(G.tan(x))),), "tan({0})", ("1 + tan({0})^2",),
      taylor=lambda a, v: S.div(*S.sincos(a, V.guard(math.sin)(a[0]), V.guard(math.cos)(a[0])), v),
      array="tan")
_prim("asin", 1, V.guard(math.asin), (lambda x: G.div(1.0, G.sqrt(G.sub(1.0, _sq(x)))),), "asin({0})",
      ("1/sqrt(1 - {0}^2)",), domain="-1 ≤ x ≤ 1",
      taylor=lambda a, v: S.integrate(a, _inv(S.sqrt(_one_minus_sq(a), V.guard(math.sqrt)(1 - a[0] * a[0]))), v),
      array="arcsin")
_prim("acos", 1, V.guard(math.acos), (lambda x: G.neg(G.div(1.0, G.sqrt(G.sub(1.0, _sq(x))))),), "acos({0})",
      ("-1/sqrt(1 - {0}^2)",), domain="-1 ≤ x ≤ 1",
      taylor=lambda a, v: S.integrate(a, S.neg(_inv(S.sqrt(_one_minus_sq(a), V.guard(math.sqrt)(1 - a[0] * a[0])))), v),
      array="arccos")
_prim("atan", 1, math.atan, (lambda x: G.div(1.0, G.add(1.0, _sq(x))),), "atan({0})", ("1/(1 + {0}^2)",),
      taylor=lambda a, v: S.integrate(a, _inv(S.add(S.const(1.0, len(a)), S.mul(a, a))), v),
      array="arctan")
_prim("atan2", 2, math.atan2,
      (lambda y, x: G.div(x, G.add(_sq(x), _sq(y))), lambda y, x: G.neg(G.div(y, G.add(_sq(x), _sq(y))))),
      "atan2({0}, {1})", ("{1}/({0}^2 + {1}^2)", "-{0}/({0}^2 + {1}^2)"), domain="(y, x) ≠ (0, 0)",
      taylor=_atan2_taylor,
      array="arctan2")

# Hyperbolic
_prim("sinh", 1, V.guard(math.sinh, overflow=None), (lambda x: G.cosh(x),), "sinh({0})", ("cosh({0})",),
      taylor=lambda a, v: S.sincos(a, v, V.guard(math.cosh)(a[0]), hyperbolic=True)[0],
      array="sinh")
_prim("cosh", 1, V.guard(math.cosh), (lambda x: G.sinh(x),), "cosh({0})", ("sinh({0})",),
      taylor=lambda a, v: S.sincos(a, V.guard(math.sinh, overflow=None)(a[0]), v, hyperbolic=True)[1],
      array="cosh")
_prim("tanh", 1, math.tanh, (lambda x: G.sub(1.0, _sq(G.tanh(x))),), "tanh({0})", ("1 - tanh({0})^2",),
      taylor=lambda a, v: S.riccati(a, v, lambda f, k: (1.0 if k == 0 else 0.0) - S.square_coefficient(f, k)),
      array="tanh")
_prim("asinh", 1, math.asinh, (lambda x: G.div(1.0, G.sqrt(G.add(_sq(x), 1.0))),), "asinh({0})",
      ("1/sqrt({0}^2 + 1)",),
      taylor=_asinh_taylor,
      array="arcsinh")
_prim("acosh", 1, V.guard(math.acosh),
      (lambda x: G.div(1.0, G.mul(G.sqrt(G.sub(x, 1.0)), G.sqrt(G.add(x, 1.0)))),), "acosh({0})",
      ("1/sqrt({0}^2 - 1)",), domain="x ≥ 1",
      taylor=_acosh_taylor,
      array="arccosh")
_prim("atanh", 1, V.atanh, (lambda x: G.div(1.0, G.sub(1.0, _sq(x))),), "atanh({0})", ("1/(1 - {0}^2)",),
      domain="-1 < x < 1",
      taylor=lambda a, v: S.integrate(a, _inv(_one_minus_sq(a)), v),
      array="arctanh")

# Smooth activations and special functions
_prim("sigmoid", 1, V.sigmoid, (lambda x: G.mul(G.sigmoid(x), G.sub(1.0, G.sigmoid(x))),), "sigmoid({0})",
      ("sigmoid({0})·(1 - sigmoid({0}))",),
      taylor=lambda a, v: _sigmoid_series(a),
      array=_sigmoid_array)
_prim("softplus", 1, V.softplus, (lambda x: G.sigmoid(x),), "softplus({0})", ("sigmoid({0})",),
      taylor=lambda a, v: S.integrate(a, _sigmoid_series(a), v),
      array=_softplus_array)
_prim("erf", 1, math.erf, (lambda x: G.mul(_TWO_OVER_SQRT_PI, G.exp(G.neg(_sq(x)))),), "erf({0})",
      ("2/sqrt(pi)·exp(-{0}^2)",),
      taylor=lambda a, v: S.integrate(a, S.scale(_gauss(a), _TWO_OVER_SQRT_PI), v),
      array=_elementwise(math.erf))
_prim("erfc", 1, math.erfc, (lambda x: G.mul(-_TWO_OVER_SQRT_PI, G.exp(G.neg(_sq(x)))),), "erfc({0})",
      ("-2/sqrt(pi)·exp(-{0}^2)",),
      taylor=lambda a, v: S.integrate(a, S.scale(_gauss(a), -_TWO_OVER_SQRT_PI), v),
      array=_elementwise(math.erfc))

# Piecewise: kinks and jumps, with the documented conventions
_prim("abs", 1, math.fabs, (lambda x: G.sign(x),), "|{0}|", ("sign({0})",),
      kink=lambda x: x == 0.0, convention="abs'(0) = 0",
      taylor=lambda a, v: a if a[0] > 0 else S.neg(a) if a[0] < 0 else S.const(v, len(a)),
      directional=lambda x, t: abs(t[0]),
      array="abs")
_prim("max", 2, V.max_, Extreme(max), show_extreme("max"), ExtremeDisplay(">"),
      kink=tie(max), convention="a tie splits the derivative evenly among the tied arguments", variadic=True,
      taylor=extreme_taylor(max), directional=extreme_directional(max),
      array=reduce_array("maximum"), array_partials=Extreme(max, arrays=True))
_prim("min", 2, V.min_, Extreme(min), show_extreme("min"), ExtremeDisplay("<"),
      kink=tie(min), convention="a tie splits the derivative evenly among the tied arguments", variadic=True,
      taylor=extreme_taylor(min), directional=extreme_directional(min),
      array=reduce_array("minimum"), array_partials=Extreme(min, arrays=True))
_prim("hypot", 2, V.hypot, (_hypot_d(0), _hypot_d(1)), "hypot({0}, {1})",
      ("{0}/hypot({0}, {1})", "{1}/hypot({0}, {1})"), kink=lambda x, y: (x == 0.0) & (y == 0.0),
      convention="both partials are 0 at (0, 0)",
      taylor=lambda a, b, v: S.const(v, len(a)) if a[0] == b[0] == 0.0 else S.sqrt(S.add(S.mul(a, a), S.mul(b, b)), v),
      directional=lambda x, y, t: math.hypot(t[0], t[1]),
      array="hypot", array_partials=(_hypot_d_array(0), _hypot_d_array(1)))
_prim("sign", 1, V.sign, (_zero,), "sign({0})", ("0",), kink=lambda x: x == 0.0,
      convention="sign'(x) = 0, also at the jump x = 0",
      taylor=lambda a, v: S.const(v, len(a)), directional=_jump_directional, side=V.beside(V.sign),
      array="sign")
_prim("floor", 1, V.rounding(math.floor), (_zero,), "floor({0})", ("0",),
      kink=lambda x: x % 1.0 == 0.0, convention="floor' = 0, also at whole numbers",
      taylor=lambda a, v: S.const(v, len(a)), directional=_jump_directional, side=V.beside(V.rounding(math.floor)),
      array="floor")
_prim("ceil", 1, V.rounding(math.ceil), (_zero,), "ceil({0})", ("0",),
      kink=lambda x: x % 1.0 == 0.0, convention="ceil' = 0, also at whole numbers",
      taylor=lambda a, v: S.const(v, len(a)), directional=_jump_directional, side=V.beside(V.rounding(math.ceil)),
      array="ceil")
_prim("step", 1, V.step, (_zero,), "[{0} > 0]", ("0",), public=False,
      taylor=lambda a, v: S.const(v, len(a)),
      array=lambda x: np.heaviside(x, 0.5))


# Comparisons (conditions only; no derivative: the executed branch is differentiated)
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
