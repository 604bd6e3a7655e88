"""Reading Lark parse trees: spans, tokens, and the parts of calls, subscripts and assignments.

Contract: plain functions over the trees of ``adcalc.language.parser`` (no recursion over user
data: ``tokens`` walks with an explicit stack); ``span_of`` gives a node's source range (a node
without positions spans its first to last token); numbers too large for a double are an
``AdcalcError('input')``.
"""

from __future__ import annotations

from lark import Token, Tree

from adcalc.errors import AdcalcError, Span
from adcalc.language.ir import Const


def span_of(node: Tree | Token) -> Span:
    if isinstance(node, Token):
        return Span(node.line or 1, node.column or 1, node.end_line or node.line or 1,
                    node.end_column or (node.column or 1) + len(node))
    m = node.meta
    if getattr(m, "empty", True):
        # Positions come from the first and last token inside.
        toks = list(tokens(node))
        if not toks:
            return Span(1, 1, 1, 2)
        return span_of(toks[0]).to(span_of(toks[-1]))
    return Span(m.line, m.column, m.end_line, m.end_column)


def tokens(node: Tree) -> list[Token]:
    """All tokens under ``node`` in source order, without recursion (``Tree.scan_values`` recurses)."""
    found: list[Token] = []
    stack: list[Tree | Token] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Token):
            found.append(n)
        else:
            stack.extend(reversed(n.children))
    return found


def name_tokens(node: Tree) -> list[Token]:
    """The names read as values under ``node`` (``name`` nodes: not called functions or keyword
    arguments), in source order, without recursion."""
    found: list[Token] = []
    stack: list[Tree | Token] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Tree):
            if n.data == "name":
                found.append(n.children[0])
            else:
                stack.extend(reversed(n.children))
    return found


def parse_number(tok: Token) -> Const:
    value = float(tok)
    if value == float("inf"):
        raise AdcalcError("input", f"the number {short_text(tok)} is too large for a double "
                          "(the largest is about 1.8e308)", span_of(tok))
    return Const(value, str(tok))


def short_text(text: str) -> str:
    return text if len(text) <= 24 else text[:12] + "…" + text[-6:]


def positional(call: Tree) -> list[Tree]:
    """The positional argument trees of a call (keyword arguments left out)."""
    if len(call.children) < 2:
        return []
    return [c for c in call.children[1].children if not (isinstance(c, Tree) and c.data == "kwarg")]


def keywords(call: Tree) -> list[Tree]:
    if len(call.children) < 2:
        return []
    return [c for c in call.children[1].children if isinstance(c, Tree) and c.data == "kwarg"]


def literal_axis(node: Tree | Token) -> int:
    """An axis: a whole-number literal, maybe negative (static, as the result's shape depends on it)."""
    sign = 1
    while isinstance(node, Tree) and node.data == "unary":
        sign = -sign if str(node.children[0]) == "-" else sign
        node = node.children[1]
    if isinstance(node, Tree) and node.data == "number":
        value = float(node.children[0])
        if value - value == 0.0 and value == int(value):  # finite (1e999 is inf: no axis) and whole
            return sign * int(value)
    raise AdcalcError("type", "an axis must be a whole-number literal such as 0, 1 or -1", span_of(node),
                      hint="the shape of the result depends on it, so it cannot be computed")


def static_params(p: object, call: Tree) -> tuple:
    """The static parameters of an array function call (its ``axis``), checked."""
    allowed = getattr(p, "keywords", ())
    if not allowed:
        return ()
    axis = None
    for kw in keywords(call):
        key = str(kw.children[0])
        if key not in allowed:
            raise AdcalcError("arity", f"unknown keyword '{key}'", span_of(kw.children[0]),
                              hint=f"{str(call.children[0])}() accepts {', '.join(allowed)}=")
        axis = literal_axis(kw.children[1])
    return (axis,)


def subscript_operands(subscripts: Tree) -> list[Tree]:
    """The expressions inside ``[...]`` in order: indices and the slice bounds present."""
    out: list[Tree] = []
    for part in subscripts.children:
        if isinstance(part, Tree) and part.data == "slice":
            out.extend(bound.children[0] for bound in part.children if bound.children)
        else:
            out.append(part)
    return out


def subscript_pattern(subscripts: Tree) -> tuple:
    pattern: list[object] = []
    for part in subscripts.children:
        if isinstance(part, Tree) and part.data == "slice":
            present = [bool(b.children) for b in part.children] + [False] * (3 - len(part.children))
            pattern.append(("s", *present))
        else:
            pattern.append("i")
    return tuple(pattern)


def assignment_target(node: Tree | Token) -> tuple[Token, Tree | None]:
    """The left side of ``=``: a name, or a subscripted name (``x[i]``)."""
    if isinstance(node, Tree) and node.data == "name":
        return node.children[0], None
    if isinstance(node, Tree) and node.data == "subscript":
        base = node.children[0]
        if isinstance(base, Tree) and base.data == "name":
            return base.children[0], node.children[1]
    raise AdcalcError("syntax", "cannot assign to this: the left side of '=' must be a name or x[i]",
                      span_of(node), hint="write name = value, or x[i] = value for an array element")


def assigned_names(nodes: list[Tree]) -> set[str]:
    names: set[str] = set()
    for node in nodes:
        for sub in node.iter_subtrees():
            if sub.data in ("assign", "augassign"):
                target = sub.children[0]  # a name, or x[...] (its base name is assigned too)
                if isinstance(target, Tree) and target.data == "subscript":
                    target = target.children[0]
                if isinstance(target, Tree) and target.data == "name":
                    names.add(str(target.children[0]))
            elif sub.data == "multi_assign":
                names.update(str(t) for t in sub.children[:-1])
            elif sub.data == "for_stmt":
                names.add(str(sub.children[0]))
    return names


def return_count(body: list[Tree]) -> int:
    for node in body:
        for sub in node.iter_subtrees_topdown():
            if sub.data == "return_stmt":
                items = sub.children[0].children
                if len(items) == 1 and isinstance(items[0], Tree) and items[0].data == "vector":
                    return len(items[0].children[0].children) if items[0].children else 0
                return len(items)
    return 1
