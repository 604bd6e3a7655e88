"""What a generated module may contain: checked before ``load_module`` runs it.

Contract: ``check_module(text)`` parses the text and raises ``AdcalcError('internal'…)``-free
``ValueError`` unless every node is one the generator writes: a docstring, ``import math``,
function definitions, aliases and constants at the top level; inside functions only arithmetic,
comparisons, assignments, ``if``/``while``/``for``, ``return``/``yield``/``raise``/``try`` and calls
of the module's own functions, of ``math``, of a short list of builtins (``float``, ``range``,
``map``, ``len``, ``next``, …) or of a function's own callable parameter.  No other import, no
dunder name or attribute, no ``lambda``, ``class``, ``global``, ``with``, ``del`` or ``exec``.
The generator never writes anything else, so this only fails if the generator has a bug or
someone found a way to smuggle text into a module — then nothing runs (defence in depth: user
text reaches a module only as identifiers the grammar allows, numbers, and printable-ASCII
comments).
"""

from __future__ import annotations

import ast

BUILTINS = frozenset({"float", "int", "range", "map", "len", "next", "abs", "max", "min", "any", "sum", "round",
                      "id", "set", "tuple", "zip", "ValueError", "RuntimeError", "OverflowError", "ZeroDivisionError",
                      "StopIteration"})
MODULES = frozenset({"math"})
METHODS = frozenset({"append", "pop", "send", "value", "add"})  # S.append, S.pop, it.send, done.value, seen.add

_STATEMENTS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.If, ast.While, ast.For, ast.Break, ast.Continue,
               ast.Return, ast.Expr, ast.Pass, ast.Raise, ast.Try, ast.ExceptHandler)
_EXPRESSIONS = (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.Name, ast.Constant,
                ast.Attribute, ast.Subscript, ast.Tuple, ast.List, ast.Yield, ast.GeneratorExp, ast.comprehension,
                ast.JoinedStr, ast.FormattedValue, ast.Starred, ast.keyword, ast.arguments, ast.arg,
                ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)


def check_module(text: str) -> None:
    """Raise ``ValueError`` naming the first node a generated module may not contain."""
    tree = ast.parse(text)
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue
        if isinstance(node, ast.Import) and all(a.name in MODULES and a.asname is None for a in node.names):
            continue
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets) and \
                isinstance(node.value, (ast.Name, ast.Constant, ast.Tuple)) and \
                all(isinstance(e, (ast.Constant, ast.Name)) for e in ast.walk(node.value) if e is not node.value
                    and not isinstance(e, ast.expr_context)):
            continue
        if isinstance(node, ast.FunctionDef) and not node.decorator_list:
            _check_function(node, functions)
            continue
        raise ValueError(f"line {node.lineno}: a {type(node).__name__} at the top level")


def _check_function(fn: ast.FunctionDef, functions: set[str]) -> None:
    params = {a.arg for a in fn.args.args}
    if fn.args.vararg is not None:
        params.add(fn.args.vararg.arg)
    callable_names = functions | BUILTINS | params | {"_push", "_pop"}  # S.append, S.pop
    for node in ast.walk(fn):
        if node is fn or isinstance(node, ast.arguments):
            continue
        if not isinstance(node, (*_STATEMENTS, *_EXPRESSIONS)):
            raise ValueError(f"line {getattr(node, 'lineno', fn.lineno)}: {type(node).__name__} in {fn.name}")
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise ValueError(f"line {node.lineno}: the name {node.id}")
        if isinstance(node, ast.Attribute):
            base = node.value
            if node.attr.startswith("_") or not (
                    (isinstance(base, ast.Name) and base.id in MODULES) or node.attr in METHODS):
                raise ValueError(f"line {node.lineno}: the attribute .{node.attr}")
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id not in callable_names:
                raise ValueError(f"line {node.lineno}: a call of {f.id}")
            if not isinstance(f, (ast.Name, ast.Attribute)):
                raise ValueError(f"line {node.lineno}: a call of an expression")
