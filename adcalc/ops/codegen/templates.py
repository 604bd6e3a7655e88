"""How each elementwise primitive reads as Python: its value and its partials, as expressions.

Contract: ``value(name, args)`` and ``partial(name, i, args)`` return Python expression text over
the argument expressions ``args`` (names or float literals) that computes, operation for
operation, the registry's ``value`` and ``partials[i]`` on floats (``adcalc.rules``), using only
``math`` and the helpers of ``adcalc.ops.codegen.prelude``.  They are a second writing of the
rules, so ``tests/test_codegen_rules.py`` checks every registered elementwise primitive's
templates against its rule, bit for bit, on special and random points.  ``helpers(text)`` names
the prelude helpers an expression uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from adcalc.errors import AdcalcError

Args = Sequence[str]


_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_SPECIAL = {"math.nan": float("nan"), "math.inf": float("inf"), "-math.inf": float("-inf")}


def _num(a: str) -> float | None:
    """The value of a literal argument (None for a name or an expression)."""
    if a in _SPECIAL:
        return _SPECIAL[a]
    if not _NUMBER.fullmatch(a):  # a name (even one float() reads: inf, nan) or an expression
        return None
    return float(a)


def lit(v: float) -> str:
    """A float as Python source (exact: repr round-trips)."""
    if v != v:
        return "math.nan"
    if v in (float("inf"), float("-inf")):
        return "math.inf" if v > 0 else "-math.inf"
    return repr(float(v))


def _atom(a: str) -> bool:
    return a.isidentifier() or _num(a) is not None


def _div(a: str, b: str) -> str:
    c = _num(b)
    if c is not None and c != 0.0 and c == c:
        return f"({a} / {b})"  # a non-zero literal divisor cannot raise: the same IEEE quotient
    if _atom(a) and _atom(b):
        return f"({a} / {b} if {b} else _div({a}, {b}))"  # a non-zero (or nan) divisor cannot raise
    return f"_div({a}, {b})"


def _fast(helper: str, fast: str, safe: str) -> Callable[[Args], str]:
    """``helper(a)``, or inline ``fast(a)`` where the condition ``safe(a)`` says the math function
    cannot raise (the same call the helper makes, without a Python call around it)."""
    def text(args: Args) -> str:
        a = args[0]
        if not _atom(a):
            return f"{helper}({a})"
        return f"({fast.format(a)} if {safe.format(a)} else {helper}({a}))"

    return text


def _pow_value(a: Args) -> str:
    x, y = a
    c = _num(y)
    if c is not None and _atom(x) and 0.0 < c <= 4.0 and c == int(c):
        return f"(math.pow({x}, {y}) if -1e60 < {x} < 1e60 else _pow({x}, {y}))"  # no overflow, no domain error
    return f"_pow({x}, {y})"


def _sq(a: str) -> str:
    return f"({a} * {a})"


def _unsigned(a: str) -> str:
    return f"({a} + 0.0)"


def _call(fn: str) -> Callable[[Args], str]:
    return lambda a: f"{fn}({', '.join(a)})"


def _pow_dx(a: Args) -> str:
    x, y = a
    c = _num(y)
    if c is not None:
        if c == 2.0:
            return f"(2.0 * {_unsigned(x)})"  # the rule's square: x^1 is x exactly, no pow call
        return "0.0" if c == 0.0 else f"({y} * _pow({_unsigned(x)}, {lit(c - 1.0)}))"
    return f"(0.0 if {y} == 0.0 else {y} * _pow({_unsigned(x)}, {y} - 1.0))"


def _pow_dy(a: Args) -> str:
    x, y = a
    c = _num(x)
    if c is not None and c != 0.0:
        return f"(_pow({x}, {y}) * _log({x}))"
    if c is not None:
        return f"(0.0 if {y} > 0.0 else _pow({x}, {y}) * _log({x}))"
    return f"(0.0 if {x} == 0.0 and {y} > 0.0 else _pow({x}, {y}) * _log({x}))"


def _hypot_d(i: int) -> Callable[[Args], str]:
    def text(a: Args) -> str:
        tests = [f"{v} == 0.0" for v in a if _num(v) is None]
        literal_zero = all(_num(v) in (None, 0.0) for v in a)  # every literal argument is 0
        rest = _div(a[i], f"_hypot({a[0]}, {a[1]})")
        if not literal_zero:
            return rest
        return f"(0.0 if {' and '.join(tests)} else {rest})" if tests else "0.0"

    return text


def _extreme(largest: bool) -> Callable[[int, Args], str]:
    return lambda i, a: f"_extreme_weight({i}, {largest}, {', '.join(a)})"


# name → (value, (partial₀, partial₁, …)); a partial is a function of the argument texts
_ONE, _MINUS_ONE, _ZERO = (lambda a: "1.0"), (lambda a: "-1.0"), (lambda a: "0.0")
TABLE: dict[str, tuple[Callable[[Args], str], tuple[Callable[[Args], str], ...]]] = {
    "add": (lambda a: f"({a[0]} + {a[1]})", (_ONE, _ONE)),
    "sub": (lambda a: f"({a[0]} - {a[1]})", (_ONE, _MINUS_ONE)),
    "mul": (lambda a: f"({a[0]} * {a[1]})", (lambda a: a[1], lambda a: a[0])),
    "div": (lambda a: _div(a[0], a[1]),
            (lambda a: _div("1.0", _unsigned(a[1])), lambda a: f"(-{_div(_div(a[0], a[1]), a[1])})")),
    "neg": (lambda a: f"(-{a[0]})", (_MINUS_ONE,)),
    "pow": (_pow_value, (_pow_dx, _pow_dy)),
    "exp": (_fast("_exp", "math.exp({0})", "{0} < 709.0"), (_fast("_exp", "math.exp({0})", "{0} < 709.0"),)),
    "expm1": (_call("_expm1"), (_call("_exp"),)),
    "log": (_fast("_log", "math.log({0})", "{0} > 0.0"), (lambda a: _div("1.0", _unsigned(a[0])),)),
    "log2": (_call("_log2"), (lambda a: _div("1.0", f"({_unsigned(a[0])} * {lit(0.6931471805599453)})"),)),
    "log10": (_call("_log10"), (lambda a: _div("1.0", f"({_unsigned(a[0])} * {lit(2.302585092994046)})"),)),
    "log1p": (_call("_log1p"), (lambda a: _div("1.0", f"(1.0 + {a[0]})"),)),
    "sqrt": (_fast("_sqrt", "math.sqrt({0})", "{0} >= 0.0"), (lambda a: _div("0.5", _unsigned(f"_sqrt({a[0]})")),)),
    "cbrt": (_call("math.cbrt"), (lambda a: _div("1.0", f"(3.0 * {_sq(f'math.cbrt({a[0]})')})"),)),
    "sin": (_fast("_sin", "math.sin({0})", "{0} - {0} == 0.0"), (_fast("_cos", "math.cos({0})", "{0} - {0} == 0.0"),)),
    "cos": (_fast("_cos", "math.cos({0})", "{0} - {0} == 0.0"),
            (lambda a: f"(-{_fast('_sin', 'math.sin({0})', '{0} - {0} == 0.0')(a)})",)),
    "tan": (_call("_tan"), (lambda a: f"(1.0 + {_sq(f'_tan({a[0]})')})",)),
    "asin": (_call("_asin"), (lambda a: _div("1.0", f"_sqrt(1.0 - {_sq(a[0])})"),)),
    "acos": (_call("_acos"), (lambda a: f"(-{_div('1.0', f'_sqrt(1.0 - {_sq(a[0])})')})",)),
    "atan": (_call("math.atan"), (lambda a: _div("1.0", f"(1.0 + {_sq(a[0])})"),)),
    "atan2": (_call("math.atan2"), (lambda a: _div(a[1], f"({_sq(a[1])} + {_sq(a[0])})"),
                                    lambda a: f"(-{_div(a[0], f'({_sq(a[1])} + {_sq(a[0])})')})")),
    "sinh": (_call("_sinh"), (_call("_cosh"),)),
    "cosh": (_call("_cosh"), (_call("_sinh"),)),
    "tanh": (_call("math.tanh"), (lambda a: f"(1.0 - {_sq(f'math.tanh({a[0]})')})",)),
    "asinh": (_call("math.asinh"), (lambda a: _div("1.0", f"_sqrt({_sq(a[0])} + 1.0)"),)),
    "acosh": (_call("_acosh"), (lambda a: _div("1.0", f"(_sqrt({a[0]} - 1.0) * _sqrt({a[0]} + 1.0))"),)),
    "atanh": (_call("_atanh"), (lambda a: _div("1.0", f"(1.0 - {_sq(a[0])})"),)),
    "sigmoid": (_call("_sigmoid"), (lambda a: f"(_sigmoid({a[0]}) * (1.0 - _sigmoid({a[0]})))",)),
    "softplus": (_call("_softplus"), (_call("_sigmoid"),)),
    "erf": (_call("math.erf"), (lambda a: f"({lit(1.1283791670955126)} * _exp(-{_sq(a[0])}))",)),
    "erfc": (_call("math.erfc"), (lambda a: f"({lit(-1.1283791670955126)} * _exp(-{_sq(a[0])}))",)),
    "abs": (_call("math.fabs"), (_call("_sign"),)),
    "hypot": (_call("_hypot"), (_hypot_d(0), _hypot_d(1))),
    "sign": (_call("_sign"), (_ZERO,)),
    "floor": (_call("_floor"), (_ZERO,)),
    "ceil": (_call("_ceil"), (_ZERO,)),
    "step": (_call("_step"), (_ZERO,)),
}
_COMPARISONS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
for _name, _op in _COMPARISONS.items():
    TABLE[_name] = ((lambda op: lambda a: f"(1.0 if {a[0]} {op} {a[1]} else 0.0)")(_op), (_ZERO, _ZERO))


def _floordiv(a: Args) -> str:
    c = _num(a[1])
    if c is not None:  # a literal divisor decides the rule's branch now
        return f"_div({a[0]}, {a[1]})" if c == 0.0 else f"({a[0]} // {a[1]})"
    return f"(_div({a[0]}, {a[1]}) if {a[1]} == 0.0 else {a[0]} // {a[1]})"


def _mod(a: Args) -> str:
    c = _num(a[1])
    if c is not None:
        return "math.nan" if c == 0.0 else f"({a[0]} % {a[1]})"
    return f"(math.nan if {a[1]} == 0.0 else {a[0]} % {a[1]})"


def _where(a: Args) -> str:
    c = _num(a[0])
    if c is not None:
        return a[1] if c != 0.0 else a[2]
    return f"({a[1]} if {a[0]} != 0.0 else {a[2]})"


def _rounding(fn: str) -> Callable[[Args], str]:
    return lambda a: (f"(float({fn}({a[0]})) if {a[0]} - {a[0]} == 0.0 else {a[0]})" if _atom(a[0])
                      else f"_rounded({fn}, {a[0]})")


TABLE.update({
    "where": (_where,
              (_ZERO, lambda a: f"(1.0 if {a[0]} != 0.0 else 0.0)", lambda a: f"(0.0 if {a[0]} != 0.0 else 1.0)")),
    "floordiv": (_floordiv, (_ZERO, _ZERO)),
    "mod": (_mod, (_ONE, lambda a: f"(-{_floordiv(a)})")),
    "int": (_rounding("math.trunc"), (_ZERO,)),
    "round": (_rounding("round"), (_ZERO,)),
})
EXTREMES = {"max": ("_max", _extreme(True)), "min": ("_min", _extreme(False))}


def _missing(name: str) -> AdcalcError:
    from adcalc.rules.registry import REGISTRY

    if name in REGISTRY and not REGISTRY[name].elementwise:
        return AdcalcError("type", f"code generation handles programs of numbers only so far, and {name} "
                           "works on arrays", hint="run it with the interpreter (eval, grad, jvp, vjp, jacobian)")
    return AdcalcError("type", f"code generation does not know the primitive {name!r} yet",
                       hint="run it with the interpreter (eval, grad, jvp, …)")


# Steps only generated code has (``tangents``: the forward transformation written as IR):
# ``tmul`` is forward mode's zero-rule product ∂·ṫ (0 where either factor is exactly 0, as the
# interpreter's forward mode and the f_jvp code do), and ``partial:NAME:I`` is ∂ᵢNAME as one
# step, for partials that are locally constant (max/min weights, where's choice): derivative 0.
CODEGEN_ONLY = "tmul"
_OPAQUE = "partial:"


# Array inputs read element by element: inside generated functions an array input is a nested
# list of floats (the entry points convert it once), so ``x[i]`` is a list read — a Python float,
# the interpreter's scalar path — and x̄[i] += ȳ an in-place add into a nested list of zeros.
ELEMENT_READS = frozenset({"index", "len"})


def element_key(args: Args, whole: frozenset[str] | set[str] = frozenset(),
                ints: frozenset[str] | set[str] = frozenset()) -> str:
    """``[i][j]`` for ``x[i, j]``: a whole literal as it is, a name held as a Python int (``ints``:
    ``analysis.int_counters``) as it is, a name known to hold a whole number (``whole``: a loop
    counter, sums of counters and whole literals) as ``int(i)``, anything else checked by ``_ix``
    (a whole number; the list's own bounds are the interpreter's: −n ≤ i < n)."""
    parts = []
    for a in args[1:]:
        c = _num(a)
        if c is not None:
            if c != c or c - c != 0.0 or c != int(c):
                raise AdcalcError("index", f"an index must be a whole number, got {a}")
            parts.append(f"[{int(c)}]")
        elif a in ints:
            parts.append(f"[{a}]")
        elif a in whole:
            parts.append(f"[int({a})]")
        else:
            parts.append(f"[_ix({a})]")
    return "".join(parts)


def value(name: str, args: Args, whole: frozenset[str] | set[str] = frozenset(),
          ints: frozenset[str] | set[str] = frozenset()) -> str:
    """Python text computing ``name(args)`` as the registry's value rule does (``whole``, ``ints``:
    see ``element_key``)."""
    if name == "index":
        return f"{args[0]}{element_key(args, whole, ints)}"
    if name == "len":
        return f"float(len({args[0]}))"
    if name == CODEGEN_ONLY:
        return f"({args[0]} * {args[1]} if {args[0]} and {args[1]} else 0.0)"
    if name.startswith(_OPAQUE):
        _, prim, i = name.split(":")
        return partial(prim, int(i), args)
    if name in EXTREMES:
        return f"{EXTREMES[name][0]}({', '.join(args)})"
    if name not in TABLE:
        raise _missing(name)
    return TABLE[name][0](args)


def partial(name: str, i: int, args: Args) -> str:
    """Python text computing ∂name/∂(argument i) at ``args`` as the registry's rule does; a
    partial that reads only literal arguments is that number (``x / 2``: ∂/∂x is ``0.5``)."""
    if name == CODEGEN_ONLY:  # a·b where neither is 0; where one is, both partials' terms are 0·… = 0 anyway
        return args[1 - i]
    if name.startswith(_OPAQUE) or name == "len" or (name == "index" and i > 0):
        return "0.0"
    if name == "index":  # ∂x[i]/∂x[i] = 1: the writers address the element (element_key)
        return "1.0"
    if name in EXTREMES:
        text = EXTREMES[name][1](i, args)
    elif name not in TABLE:
        raise _missing(name)
    else:
        text = TABLE[name][1][i](args)
    if _num(text) is None and not (_WORD.findall(text) and set(_WORD.findall(text)) & {a for a in args if
                                                                                       a.isidentifier()}):
        from adcalc.rules.registry import REGISTRY

        # The template reads no variable argument, and it equals the rule everywhere
        # (tests/test_codegen_rules.py), so the rule at these literals is its value.
        value = REGISTRY[name].partials[i](*[_num(a) if _num(a) is not None else 1.0 for a in args])
        if type(value) is float:
            return lit(value)
    return text


def describe(name: str, args: Args, params: tuple = ()) -> str:
    """How a step reads in a comment: the registry's notation, or a codegen-only step's."""
    if name == CODEGEN_ONLY:
        return f"{args[0]}·{args[1]} (0 if either is 0)"
    if name.startswith(_OPAQUE):
        _, prim, i = name.split(":")
        return f"∂{prim}/∂arg{i}({', '.join(args)})"
    from adcalc.rules.registry import describe as registry_describe

    return registry_describe(name, args, params)


def constant_partial(text: str) -> float | None:
    """The value of a partial that does not depend on the point (``"1.0"``), else None."""
    return _num(text)


_HELPER = re.compile(r"\b(_[a-z0-9_]+)\(")
_WORD = re.compile(r"(?<![.\w])[A-Za-z_][A-Za-z0-9_]*")


def helpers(text: str) -> set[str]:
    """The prelude helpers ``text`` calls."""
    return set(_HELPER.findall(text))
