"""Python's discrete operations as elementwise primitives: comparisons as values, ``where``,
``%``, ``//``, ``int`` and ``round`` (entries of the registry, ``adcalc.rules.registry``).

Contract (the math, Python's semantics as the truth):

  ==============  =====================================  ==================  ==========================
  primitive       value                                  derivative          kink (value jumps there)
  ==============  =====================================  ==================  ==========================
  lt le gt ge     ``x > y`` … as 1.0 / 0.0                0 (both)            a tie x = y
  eq ne
  where(c, a, b)  ``a if c else b`` (c ≠ 0; nan is true)  0 · [c ≠ 0] · [c=0]  none (c's own jump is its
                                                                              comparison's)
  mod  ``x % y``  Python's: the sign of y; nan at y = ±0  1, −(x // y)        x % y = 0 (x a multiple of y)
  floordiv        Python's ``x // y``; x / y at y = ±0     0, 0                x % y = 0
  int             truncation toward 0 (``int(x)``)        0                   whole x ≠ 0
  round           half to even (``round(x)``)             0                   x + ½ whole
  ==============  =====================================  ==================  ==========================

Python raises where the divisor is 0; adcalc gives NumPy's IEEE results there (``x % 0`` is nan,
``x // 0`` is ``x / 0``), and ``int``/``round`` of ±inf or nan are themselves (Python raises).
Values are whole numbers as floats.  The unchosen branch of ``where`` gets the partial 0, and a
zero factor contributes nothing in every mode, so its cotangent is exactly 0 even where that
branch is nan or inf (no "double where" is ever needed).  ``side`` gives the value on the side a
direction goes at a jump (a tied comparison decides by the tangents, as a tied ``if`` does);
``directional`` the derivative of the piece there.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence

from adcalc.rules import ieee as V
from adcalc.rules import series as S
from adcalc.rules.registry import G, Primitive, np, primal, register

NAN = math.nan


def _prim(name: str, arity: int, value: Callable[..., float], partials: tuple, display: str,
          partial_display: tuple, **kw: object) -> Primitive:
    return register(Primitive(name, "elementwise", arity, arity, value, partials, display,  # type: ignore[arg-type]
                              partial_display, **kw))


def _zero(*_: object) -> float:
    return 0.0


def _one(*_: object) -> float:
    return 1.0


def _flat(*args: object) -> float:
    return 0.0  # a piece of a piecewise-constant function: its derivative is 0 (the value itself jumps)


def _constant_series(*series: object) -> list[float]:
    return S.const(series[-1], len(series[0]))  # type: ignore[arg-type]


# ---- comparisons as values -------------------------------------------------------------------

def _comparison(name: str, symbol: str, op: Callable[[object, object], bool], ufunc: str) -> None:
    def value(x: float, y: float) -> float:
        return 1.0 if op(x, y) else 0.0

    def array(x: object, y: object) -> object:
        return getattr(np, ufunc)(x, y).astype(float)

    def side(x: float, y: float, t: Sequence[float]) -> float:
        return 1.0 if op((x, t[0]), (y, t[1])) else 0.0  # (value, tangent) pairs compare lexicographically

    _prim(name, 2, value, (_zero, _zero), f"{{0}} {symbol} {{1}}", ("0", "0"), symbol=symbol, public=False,
          kink=lambda x, y: x == y,
          convention="a comparison's value (1 or 0) has derivative 0; it jumps at a tie",
          directional=_flat, side=side, taylor=_constant_series, array=array)


for _name, _symbol, _op, _ufunc in (("lt", "<", operator.lt, "less"), ("le", "<=", operator.le, "less_equal"),
                                    ("gt", ">", operator.gt, "greater"),
                                    ("ge", ">=", operator.ge, "greater_equal"),
                                    ("eq", "==", operator.eq, "equal"), ("ne", "!=", operator.ne, "not_equal")):
    _comparison(_name, _symbol, _op, _ufunc)


# ---- where(c, a, b) ------------------------------------------------------------------------

def _where(c: float, a: float, b: float) -> float:
    return a if c != 0.0 else b  # nan is true, as in Python


def _where_array(c: object, a: object, b: object) -> object:
    return np.where(np.not_equal(c, 0.0), a, b).astype(float)


def _chosen(c: object, a: object, b: object) -> object:
    """∂where/∂a: 1 where c is true, else 0 (elementwise when c is a box of an array)."""
    p = primal(c)
    if hasattr(p, "shape"):
        return np.not_equal(p, 0.0).astype(float)
    return 1.0 if p != 0.0 else 0.0


def _unchosen(c: object, a: object, b: object) -> object:
    """∂where/∂b: 0 where c is true, else 1 (elementwise when c is a box of an array)."""
    p = primal(c)
    if hasattr(p, "shape"):
        return np.equal(p, 0.0).astype(float)
    return 0.0 if p != 0.0 else 1.0


_prim("where", 3, _where, (_zero, _chosen, _unchosen), "where({0}, {1}, {2})", ("0", "({0} != 0)", "({0} == 0)"),
      taylor=lambda c, a, b, v: list(a) if c[0] != 0.0 else list(b),
      array=_where_array,
      array_partials=(_zero, lambda c, a, b: np.not_equal(c, 0.0).astype(float),
                      lambda c, a, b: np.equal(c, 0.0).astype(float)),
      doc="where(c, a, b): a where c is true (not 0), else b, elementwise")


# ---- % and // --------------------------------------------------------------------------------

def _floordiv(x: float, y: float) -> float:
    return V.div(x, y) if y == 0.0 else x // y


def _mod(x: float, y: float) -> float:
    return NAN if y == 0.0 else x % y


def _at_multiple(x: object, y: object) -> object:
    """Where x // y and x % y jump: x is a whole multiple of y (elementwise on arrays)."""
    return G.mod(x, y) == 0.0


def _side_quotient(x: float, y: float, t: Sequence[float]) -> float:
    """x // y beside a jump: (x + h·ẋ)/(y + h·ẏ) = q + h·(ẋ − q·ẏ)/y + O(h²), so the floor drops
    to q − 1 when that moves down."""
    q = _floordiv(x, y)
    return q - 1.0 if (t[0] - q * t[1]) * math.copysign(1.0, y) < 0.0 else q


def _mod_side(x: float, y: float, t: Sequence[float]) -> float:
    q = _floordiv(x, y)
    return _mod(x, y) if _side_quotient(x, y, t) == q else y  # x − y·(q − 1) = y at x = q·y


_prim("floordiv", 2, _floordiv, (_zero, _zero), "{0} // {1}", ("0", "0"), symbol="//", public=False,
      domain="y ≠ 0", kink=_at_multiple, convention="x // y has derivative 0, also at its jumps",
      directional=_flat, side=_side_quotient, taylor=_constant_series,
      array="floor_divide")
_prim("mod", 2, _mod, (_one, lambda x, y: G.neg(G.floordiv(x, y))), "{0} % {1}", ("1", "-({0} // {1})"),
      symbol="%", public=False, domain="y ≠ 0", kink=_at_multiple,
      convention="∂(x % y)/∂x = 1 and ∂(x % y)/∂y = -(x // y) of the piece at the point (x % y = 0)",
      directional=lambda x, y, t: t[0] - _side_quotient(x, y, t) * t[1], side=_mod_side,
      taylor=lambda a, b, v: S.sub(a, S.scale(b, _floordiv(a[0], b[0]))),
      array="remainder")


# ---- int and round ---------------------------------------------------------------------------

def _truncate(x: object) -> object:
    return np.add(np.trunc(x), 0.0)  # int(-0.5) is 0, not -0


def _round_half_even(x: object) -> object:
    return np.add(np.rint(x), 0.0)


_prim("int", 1, V.rounding(math.trunc), (_zero,), "int({0})", ("0",),
      kink=lambda x: (x % 1.0 == 0.0) & (x != 0.0), convention="int' = 0, also at whole numbers",
      directional=_flat, side=V.beside(V.rounding(math.trunc)), taylor=_constant_series,
      array=_truncate, doc="int(x): x truncated toward 0, as Python's int")
_prim("round", 1, V.rounding(round), (_zero,), "round({0})", ("0",),
      kink=lambda x: x % 1.0 == 0.5, convention="round' = 0, also at the halves where it jumps",
      directional=_flat, side=V.beside(V.rounding(round)), taylor=_constant_series,
      array=_round_half_even, doc="round(x): the nearest whole number, halves to even, as Python's round")
