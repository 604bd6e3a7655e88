"""The registry's array rules as generated code: traced (elementwise) or copied (array primitives).

Contract.  Each rule is written once, in ``adcalc.rules``; this module turns it into text:

- ``elementwise_value(name, args)`` and ``elementwise_partial(name, i, args)`` run the
  registry's own array rule (``Primitive.array``) and partial rule (``array_partials`` or
  ``partials``, the ones the interpreter evaluates on arrays) on *symbols*: objects NumPy hands
  every ufunc call and ``np.where`` to (``__array_ufunc__``, ``__array_function__``), and the
  generic functions ``G`` hand ``apply_primitive``.  What the rule does to its arguments comes
  back as NumPy text over the argument texts (``(v2 * 2.0)`` for the square's partial
  ∂(x^2) = x·2); a literal argument stays a float, so the rule's branches on constants are
  taken now, as the interpreter takes them.  A partial that does not depend on a variable
  argument comes back as its float.  A rule that branches on a value it cannot see (the truth
  of an array) or calls something else is ``Untraceable``: that primitive is refused on arrays.
- ``copied(names)`` is the source of the array primitives' ``jvp``/``vjp`` functions of
  ``rules/arrays.py`` (and the helpers of ``rules/shapes.py`` they call), renamed ``_r_…``,
  with annotations and docstrings removed: generated code calls the interpreter's own rules.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Sequence

from adcalc.errors import AdcalcError
from adcalc.ops.codegen.templates import lit

_OPERATORS = {"add": "+", "subtract": "-", "multiply": "*"}


def ufunc_text(name: str, args: Sequence[str]) -> str:
    """``np.name(args)``; add, subtract, multiply and negative as Python's operators, which call
    the same ufuncs on arrays (and let NumPy reuse a temporary's memory) and never raise on floats."""
    if name in _OPERATORS and len(args) == 2:
        return f"({args[0]} {_OPERATORS[name]} {args[1]})"
    if name == "negative" and len(args) == 1:
        return f"(-{args[0]})"
    return f"np.{name}({', '.join(args)})"


class Untraceable(Exception):  # noqa: N818 - internal: becomes an AdcalcError naming the primitive
    """The rule does something a symbol cannot stand for."""


class Sym:
    """An argument of a rule as text; it looks like an array (``shape``), so rules take their
    array branch."""

    __slots__ = ("text",)
    shape = (1,)
    ndim = 1

    def __init__(self, text: str):
        self.text = text

    def apply_primitive(self, p: object, args: Sequence[object]) -> Sym:
        rule = getattr(p, "array", None)
        if isinstance(rule, str):
            return Sym(ufunc_text(rule, [_text(a) for a in args]))
        if callable(rule):  # a rule written with NumPy (sigmoid's): traced in turn
            r = _each(rule, args)
            r = rule(*args) if r is None else r
            return r if isinstance(r, Sym) else Sym(_text(r))
        raise Untraceable(f"the array rule of {getattr(p, 'name', p)}")

    def __array_ufunc__(self, ufunc: object, method: str, *inputs: object, **kw: object) -> Sym:
        if method != "__call__" or kw:
            raise Untraceable(f"np.{getattr(ufunc, '__name__', '?')}.{method}")
        return Sym(ufunc_text(ufunc.__name__, [_text(a) for a in inputs]))  # type: ignore[attr-defined]

    def __array_function__(self, func: object, types: object, args: Sequence[object], kwargs: dict) -> Sym:
        name = getattr(func, "__name__", "?")
        if name not in ("where", "heaviside") or kwargs:
            raise Untraceable(f"np.{name}")
        return Sym(f"np.{name}({', '.join(_text(a) for a in args)})")

    def astype(self, kind: type) -> Sym:
        if kind is not float:
            raise Untraceable("astype")
        return Sym(f"{self.text}.astype(float)")

    def __bool__(self) -> bool:
        raise Untraceable("the truth of an array")

    __hash__ = None  # type: ignore[assignment]


def _binary(ufunc: str, reflected: bool = False):  # noqa: ANN202 - the operators of Sym
    def op(self: Sym, other: object) -> Sym:
        a, b = (other, self) if reflected else (self, other)
        return Sym(ufunc_text(ufunc, [_text(a), _text(b)]))

    return op


for _op, _uf in (("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "divide"),
                 ("pow", "power"), ("and", "bitwise_and"), ("or", "bitwise_or")):
    setattr(Sym, f"__{_op}__", _binary(_uf))
    setattr(Sym, f"__r{_op}__", _binary(_uf, True))
for _op, _uf in (("eq", "equal"), ("ne", "not_equal"), ("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
                 ("ge", "greater_equal")):
    setattr(Sym, f"__{_op}__", _binary(_uf))
Sym.__neg__ = lambda self: Sym(ufunc_text("negative", [self.text]))  # type: ignore[attr-defined]
Sym.__invert__ = lambda self: Sym(f"np.invert({self.text})")  # type: ignore[attr-defined]


def _each(rule: object, args: Sequence[object]) -> Sym | None:
    """``rules.elementwise._elementwise(f)``'s rule — a math function NumPy has no ufunc for, applied
    element by element as ``np.vectorize(f, otypes=[float])`` — written out; None for another rule."""
    import math

    cells = getattr(rule, "__closure__", None) or ()
    f = cells[0].cell_contents if len(cells) == 1 else None
    if getattr(rule, "__qualname__", "") != "_elementwise.<locals>.g" or getattr(math, getattr(f, "__name__", ""),
                                                                              None) is not f:
        return None
    return Sym(f"np.vectorize(math.{f.__name__}, otypes=[float])({', '.join(_text(a) for a in args)})")


def _text(a: object) -> str:
    from adcalc.rules.registry import np

    if isinstance(a, Sym):
        return a.text
    if isinstance(a, (bool, np.bool_)):
        return repr(bool(a))
    if isinstance(a, (int, float, np.floating)):
        return lit(float(a))
    raise Untraceable(type(a).__name__)


def _refused(name: str, why: object) -> AdcalcError:
    return AdcalcError("type", f"code generation does not handle {name} on arrays yet ({why})",
                       hint="run it with the interpreter (eval, grad, jvp, vjp, jacobian)")


def _symbols(args: Sequence[str]) -> list[object]:
    from adcalc.ops.codegen.templates import constant_partial

    out: list[object] = []
    for a in args:
        c = constant_partial(a)
        out.append(c if c is not None else Sym(a))
    return out


def elementwise_value(name: str, args: Sequence[str]) -> str:
    """NumPy text of the registry's array rule of ``name`` applied to ``args`` (texts)."""
    from adcalc.rules.registry import REGISTRY, np

    p = REGISTRY[name]
    syms = _symbols(args)
    try:
        if isinstance(p.array, str):
            return ufunc_text(p.array, [_text(a) for a in syms])
        with np.errstate(all="ignore"):
            r = _each(p.array, syms)
            r = p.array(*syms) if r is None else r
        return _text(r)
    except (Untraceable, TypeError) as e:
        raise _refused(name, e) from None


def elementwise_partial(name: str, i: int, args: Sequence[str]) -> str | float:
    """∂name/∂(argument i) on arrays, as the interpreter's rule computes it: NumPy text, or a
    float where it does not depend on a variable argument."""
    from adcalc.rules.registry import REGISTRY, np

    p = REGISTRY[name]
    rules = p.array_partials or p.partials
    try:
        with np.errstate(all="ignore"):
            r = rules[i](*_symbols(args))
        if isinstance(r, Sym):
            return r.text
        if type(r) is float:
            return r
        return _text(r)
    except (Untraceable, TypeError) as e:
        raise _refused(name, e) from None


# ---- the array primitives' own rules, copied ------------------------------------------------------

_RULES = {  # primitive → (jvp function name, vjp function name) in rules/arrays.py
    "sum": ("_sum_jvp", "_sum_vjp"), "mean": ("_mean_jvp", "_mean_vjp"), "prod": ("_prod_jvp", "_prod_vjp"),
    "amax": ("_extreme_jvp", "_extreme_vjp"), "amin": ("_extreme_jvp", "_extreme_vjp"),
    "matmul": ("_matmul_jvp", "_matmul_vjp"), "dot": ("_matmul_jvp", "_matmul_vjp"),
    "transpose": ("_transpose_jvp", None), "norm": ("_norm_jvp", "_norm_vjp"),
}


def rule_name(prim: str, which: int) -> str | None:
    """The generated name of ``prim``'s jvp (0) or vjp (1) rule (None: written inline)."""
    pair = _RULES.get(prim)
    name = pair[which] if pair else None
    return None if name is None else "_r" + name


def _strip(fn_source: str, rename: dict[str, str]) -> str:
    tree = ast.parse(inspect.cleandoc("\n" + fn_source) if fn_source.startswith(" ") else fn_source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.Lambda)):
            args = node.args
            for a in args.args + args.kwonlyargs + args.posonlyargs:
                a.annotation = None
            if isinstance(node, ast.FunctionDef):
                node.returns = None
                node.name = rename.get(node.name, node.name)
                body = node.body
                if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                    node.body = body[1:] or [ast.Pass()]
        elif isinstance(node, ast.Name) and node.id in rename:
            node.id = rename[node.id]
    return ast.unparse(_NoType().visit(tree))


class _NoType(ast.NodeTransformer):
    """``type(c) is float`` → ``isinstance(c, float) and not isinstance(c, np.generic)``, the same
    test without ``type``, which a generated module may not call (it can build a class)."""

    def visit_Compare(self, node: ast.Compare) -> ast.AST:  # noqa: N802 - ast's visitor name
        self.generic_visit(node)
        left = node.left
        if (len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot)) and isinstance(left, ast.Call)
                and isinstance(left.func, ast.Name) and left.func.id == "type" and len(left.args) == 1
                and isinstance(node.comparators[0], ast.Name) and node.comparators[0].id == "float"):
            arg = ast.unparse(left.args[0])
            test = ast.parse(f"(isinstance({arg}, float) and not isinstance({arg}, np.generic))", mode="eval").body
            return ast.UnaryOp(ast.Not(), test) if isinstance(node.ops[0], ast.IsNot) else test
        return node


def copied(names: set[str]) -> str:
    """The source of the rule functions ``names`` (``_r_sum_vjp``…) and of the functions of
    ``adcalc.rules`` they call, each once, in a fixed order."""
    import adcalc.rules.arrays as arrays_module

    todo = [(n, getattr(arrays_module, n)) for n in (m.removeprefix("_r") for m in names)]
    found: dict[str, object] = {}
    while todo:
        n, fn = todo.pop()
        if n in found:
            continue
        found[n] = fn
        for dep in fn.__code__.co_names:  # type: ignore[attr-defined]
            target = fn.__globals__.get(dep)  # type: ignore[attr-defined]
            if inspect.isfunction(target) and target.__module__.startswith("adcalc.rules"):
                todo.append((dep, target))
    rename = {n: "_r" + n if n.startswith("_") else "_r_" + n for n in found}
    return "\n\n\n".join(_strip(inspect.getsource(found[n]), rename) for n in sorted(found))

