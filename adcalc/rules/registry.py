"""The registry: every operation of the language is one ``Primitive`` record, registered here once.

Contract.  A primitive carries its whole meaning as data that every other part reads:

- **Value.**  ``value``: the IEEE double rule (elementwise primitives: ``value(*floats)``, never
  raising, nan outside the domain, ±inf at poles and on overflow); ``array``: the same rule on
  NumPy arrays with broadcasting.  Array (shape-changing) primitives: ``value(args, params)``.
- **Derivative, written once.**  Elementwise primitives: ``partials[i](*xs)`` = ∂value/∂xᵢ,
  written with the generic functions ``G`` (``G.cos(x)``), so one rule serves floats, NumPy
  arrays and dual numbers — forward mode (ẏ = Σ ∂ᵢ·ẋᵢ), reverse mode (x̄ᵢ += ȳ·∂ᵢ) and
  forward-over-reverse Hessians (the rule evaluated on duals differentiates itself) all use it;
  ``array_partials`` overrides a rule on arrays only where the scalar rule branches on a value.
  Array primitives: ``jvp`` (tangents, batched) and ``vjp`` (cotangents), checked against each
  other by the dot-product test ⟨jvp(ẋ), ȳ⟩ = ⟨ẋ, vjp(ȳ)⟩ for every array primitive.
- **What depends on the rule, checked against it by tests/test_rules.py for every primitive:**
  ``partial_display`` (how each ∂ᵢ reads in a trace: evaluated as an adcalc expression and
  compared with ``partials``), ``directional`` (the one-sided rule at kinks: equal to Σ ∂ᵢ·ṫᵢ
  where the primitive is smooth), and ``taylor`` (the series recurrence, its own math: its
  first and second coefficients equal the derivative rules).
- **Conventions.**  ``kink`` (where it is not differentiable) with the ``convention`` its rule
  follows there, ``domain`` (for messages); ``side`` for a primitive whose *value* jumps at its
  kinks (a comparison, ``floor``, ``%``): ``side(*x, ṫ)`` = lim_{h→0+} value(x + h·ṫ), the value
  on the side a direction goes, which one-sided sweeps use there (None: continuous at its kinks,
  where the value is that limit).
- **Display and shape.**  ``display`` (``"{0} + {1}"``, or a function of the shown arguments and
  static params), ``symbol`` (the ASCII operator of the IR printer), ``pullback`` (how an array
  primitive's adjoint update reads), ``size`` (result elements, for the memory budget).
- **Calls.**  ``public`` (callable by name), ``min_args``/``max_args`` (``max_args`` None:
  any number, as ``max(a, b, c)``), ``keywords`` (static ``axis=``), ``differentiable``
  (argument positions with a derivative).

``REGISTRY`` holds every primitive; ``G`` the generic functions; the views below
(``PRIMITIVES``, ``FUNCTIONS``, ``ARRAY_PRIMITIVES``, ``ARRAY_FUNCTIONS``, ``BUILTIN_NAMES``) are
read-only selections of it.  Adding a primitive is one ``register(...)`` entry in
``rules/elementwise.py`` or ``rules/arrays.py`` plus its test row.
"""

from __future__ import annotations

import re
import unicodedata
from collections import namedtuple
from collections.abc import Callable, Sequence
from types import SimpleNamespace

_FIELDS = ("name kind min_args max_args value partials display partial_display array array_partials jvp vjp "
           "pullback size domain kink convention directional taylor symbol public keywords differentiable doc side")
_DEFAULTS = (None, None, None, None, None, None, None, "all real numbers", None, "", None, None, None, True, (),
             None, "", None)


class Primitive(namedtuple("Primitive", _FIELDS, defaults=_DEFAULTS)):
    """One primitive (see the module docstring).  A named tuple: immutable, and cheap to import
    (``dataclasses`` costs more than this whole package on the start-up path)."""

    __slots__ = ()

    @property
    def arity(self) -> int:
        """The number of arguments of an elementwise primitive (the least, for a variadic one)."""
        return self.min_args

    @property
    def variadic(self) -> bool:
        return self.max_args is None

    @property
    def elementwise(self) -> bool:
        return self.kind == "elementwise"

    def show(self, args: Sequence[str], pretty: bool = True, params: tuple = ()) -> str:
        """The right-hand side ``v3 = …`` of this primitive applied to displayed args; an argument
        that is not an atom (``-1``, ``a + b``) is parenthesized wherever it stands as an operand
        (``(-1)^0.5``), so the text means, by the language's precedence, this operation."""
        if not self.elementwise:
            return _fill(lambda a: self.display(a, params), args)
        if not pretty and self.symbol is not None:
            if self.arity == 1:
                return _fill(lambda a: f"{self.symbol}{a[0]}", args)
            return _fill(lambda a: f"{a[0]} {self.symbol} {a[1]}", args)
        display = self.display
        return _fill(display if callable(display) else lambda a: display.format(*a), args)

    def show_partial(self, i: int, args: Sequence[str]) -> str:
        """How ∂/∂(argument i) reads in a trace (``cos(v2)``), its arguments parenthesized as ``show`` does."""
        display = self.partial_display
        rule = display[i] if i < len(display) or not isinstance(display, tuple) else display[-1]
        return _fill(rule if callable(rule) else lambda a: rule.format(*a), args)


_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_CLOSE = {"(": ")", "[": "]"}


def atomic(text: str) -> bool:
    """Whether a displayed operand needs no parentheses anywhere: a name (``v3``, ``v̄3``, ``x``),
    an unsigned number (``2``, ``1e-08``, ``inf``), or a name or nothing followed only by whole
    bracket groups (``sin(v2)``, ``v2[1:]``, ``[2×3]``, ``(a + b)``).  A sign, an operator or a
    space at the top level makes it compound (``-1``, ``a + b``, ``2·v1``, ``|v1|``)."""
    if _NUMBER.fullmatch(text):
        return True
    i = 0
    while i < len(text) and (text[i].isalnum() or text[i] == "_" or unicodedata.category(text[i]) == "Mn"):
        i += 1
    while i < len(text):
        if text[i] not in _CLOSE:
            return False
        depth, j = 0, i
        while j < len(text):
            if text[j] in _CLOSE:
                depth += 1
            elif text[j] in ")]":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j == len(text):
            return False
        i = j + 1
    return bool(text)


def _fill(display: Callable[[Sequence[str]], str], args: Sequence[str]) -> str:
    """``display(args)`` with each compound argument parenthesized unless every place the display
    puts it is already delimited (a function's argument: ``sin(·)``, ``max(·, ·)``; an index ``x[·:·]``).  Where the
    places are is read off the display itself, applied to marker arguments."""
    if all(atomic(a) for a in args):
        return display(args)
    markers = [f"\x00{k}\x00" for k in range(len(args))]
    try:
        shape = display(markers)
    except (ValueError, TypeError, IndexError):
        shape = None
    shown = list(args)
    for k, a in enumerate(args):
        if atomic(a):
            continue
        if shape is None or not _delimited(shape, markers[k]):
            shown[k] = f"({a})"
    return display(shown)


def _delimited(shape: str, marker: str) -> bool:
    """Whether every occurrence of ``marker`` in ``shape`` stands alone as a call's argument or
    an index or slice bound (``x[:-1]`` needs no parentheses)."""
    start = shape.find(marker)
    if start < 0:
        return True
    while start >= 0:
        before = shape[:start].rstrip(" ")
        after = shape[start + len(marker):].lstrip(" ")
        if not (before.endswith(("(", ",", "[", ":")) and after.startswith((")", ",", "]", ":"))):
            return False
        start = shape.find(marker, start + 1)
    return True


REGISTRY: dict[str, Primitive] = {}

# Generic functions over floats, arrays and boxed values (duals): G.sin(x), G.mul(x, y), ...
G = SimpleNamespace()


class _Numpy:
    """NumPy, imported on first use: scalar-only runs never pay its import.  Each name looked up
    is kept on the instance, so later look-ups are plain attribute reads (array loops do millions)."""

    def __getattr__(self, name: str) -> object:
        import numpy

        value = getattr(numpy, name)
        setattr(self, name, value)
        return value


np = _Numpy()


def array_rule(p: Primitive) -> Callable[..., object]:
    """An elementwise primitive's value rule on arrays (a NumPy function)."""
    return getattr(np, p.array) if isinstance(p.array, str) else p.array


def primal(v: object) -> float:
    """The float underneath any number of boxes (duals of duals …); for boxes of arrays (the
    Hessian mode over arrays), the array underneath."""
    while type(v) is not float:
        if isinstance(v, (int, bool)):
            return float(v)
        if not hasattr(v, "primal") and hasattr(v, "shape"):
            return v  # type: ignore[return-value]
        v = v.primal  # type: ignore[attr-defined]
    return v


def where_not(condition: object, value: object) -> object:
    """``value`` with 0 where ``condition`` holds: a rule's special case (``d(x^0)/dx = 0`` at 0)
    on floats (a bool) or, for boxes of arrays, elementwise (an array of bools)."""
    if hasattr(condition, "shape"):
        mask = np.asarray(condition)
        return value if not mask.any() else G.where(mask.astype(float), 0.0, value)
    return 0.0 if condition else value


def _generic(p: Primitive) -> Callable[..., object]:
    """``G.name``: the value rule on floats; a boxed argument (a dual) dispatches to its
    ``apply_primitive``, an array to the NumPy rule.  Specialised by arity because rules call
    these in the hot path."""
    value = p.value

    def boxed(args: tuple) -> object:
        for a in args:
            if type(a) is not float and hasattr(a, "apply_primitive"):
                return a.apply_primitive(p, args)  # type: ignore[union-attr]
        for a in args:
            if hasattr(a, "shape"):  # a NumPy array: the elementwise rule
                return array_rule(p)(*args)
        return value(*args)

    if p.max_args == 1:
        def apply(x: object) -> object:
            return value(x) if type(x) is float else boxed((x,))
    elif p.max_args == 2:
        def apply(x: object, y: object) -> object:  # type: ignore[misc]
            return value(x, y) if type(x) is float and type(y) is float else boxed((x, y))
    else:
        def apply(*xs: object) -> object:  # type: ignore[misc]
            return value(*xs) if all(type(x) is float for x in xs) else boxed(xs)

    apply.__name__ = p.name
    return apply


def register(p: Primitive) -> Primitive:
    """Add a primitive to the registry (and its generic function to ``G``, if elementwise)."""
    if p.name in REGISTRY:
        raise ValueError(f"primitive {p.name!r} is registered twice")
    REGISTRY[p.name] = p
    if p.elementwise:
        setattr(G, p.name, _generic(p))
    return p


def describe(name: str, args: Sequence[str], params: tuple = (), pretty: bool = False) -> str:
    """The right-hand side of ``out = name(args)`` for any primitive."""
    return REGISTRY[name].show(args, pretty=pretty, params=params)


# Named constants of the language
CONSTANTS: dict[str, float] = {"pi": 3.141592653589793, "e": 2.718281828459045, "True": 1.0, "False": 0.0}

# Operator tokens of the grammar → primitive names
BINARY_OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow", "**": "pow", "@": "matmul",
                    "%": "mod", "//": "floordiv"}

# A comparison used as a value ((x > 0) * x: 1.0 or 0.0, elementwise on arrays) → its primitive
VALUE_COMPARISONS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}

# max/min with one argument (or axis=) are the array reductions
REDUCTIONS = {"max": "amax", "min": "amin"}


_VIEWS = ("PRIMITIVES", "FUNCTIONS", "ARRAY_PRIMITIVES", "ARRAY_FUNCTIONS", "BUILTIN_NAMES", "COMPARISONS")


def __getattr__(name: str) -> object:
    """Read-only views of the registry, made on first use (``adcalc.rules`` registers every entry
    before any module outside it can ask): ``PRIMITIVES`` (elementwise), ``FUNCTIONS`` (elementwise,
    callable by name), ``ARRAY_PRIMITIVES``, ``ARRAY_FUNCTIONS`` (array, callable by name),
    ``BUILTIN_NAMES`` (every function called by name), ``COMPARISONS``."""
    if name not in _VIEWS:
        raise AttributeError(f"module 'adcalc.rules.registry' has no attribute {name!r}")
    from adcalc.rules.elementwise import COMPARISONS

    views = {
        "PRIMITIVES": {n: p for n, p in REGISTRY.items() if p.elementwise},
        "ARRAY_PRIMITIVES": {n: p for n, p in REGISTRY.items() if not p.elementwise},
        "COMPARISONS": COMPARISONS,
    }
    views["FUNCTIONS"] = {n: p for n, p in views["PRIMITIVES"].items() if p.public}
    views["ARRAY_FUNCTIONS"] = {n: p for n, p in views["ARRAY_PRIMITIVES"].items() if p.public}
    views["BUILTIN_NAMES"] = frozenset(views["FUNCTIONS"]) | frozenset(views["ARRAY_FUNCTIONS"])
    globals().update(views)
    return views[name]
