"""Traces for people and programs: the Wengert-list tables and their JSON.  No math here.

Contract: every function reads a recorded run (the graph of ``adcalc.transform.graph``) and
formats it; the symbolic forms — a node's definition ``v3 = 2·v1``, a partial ``cos(v2)``, an
array rule ``v̄3 @ v2ᵀ`` — come from the registry, applied to the node's arguments.  Traces read
like the seed documents' tables: forward mode shows one tangent column per seed; reverse mode
shows the forward sweep with the adjoints and then the backward sweep as ``v̄2 += v̄3 · cos(v2)``
updates; Taylor mode shows every node's coefficients.  ``trace_json`` gives the ``"trace"`` and
``"adjoint_updates"`` of ``--json --trace``.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from adcalc.present.console import table as _table
from adcalc.present.plain import num
from adcalc.rules.arrays import pullback_text
from adcalc.rules.registry import REGISTRY
from adcalc.rules.shapes import is_array
from adcalc.transform.graph import Graph, Node, Update
from adcalc.transform.notes import fmt_number


def bar(node: int) -> str:
    return f"v\u0304{node}"


def update_text(target: int, source: int, partial: str, rule: str | None = None) -> str:
    """``v̄2 += v̄3 · cos(v2)`` (with ``· 1`` left out and ``· -1`` written as ``-=``); an array
    rule gives its whole right-hand side (``v̄1 += v̄3 @ v2ᵀ``)."""
    if rule is not None:
        return f"{bar(target)} += {rule}"
    if partial == "1":
        return f"{bar(target)} += {bar(source)}"
    if partial == "-1":
        return f"{bar(target)} -= {bar(source)}"
    shown = f"({partial})" if (" " in partial or partial.startswith("-")) else partial
    return f"{bar(target)} += {bar(source)} · {shown}"


# ---- reading the graph ------------------------------------------------------------------------

def _short(v: object) -> str:
    if is_array(v):
        return "[" + "×".join(str(d) for d in v.shape) + "]"  # type: ignore[union-attr]
    return fmt_number(float(v))  # type: ignore[arg-type]


def shown_args(node: Node) -> list[str]:
    """A node's arguments as its definition shows them: ``v3``, a literal ``2``, or a value."""
    return [f"v{a.node}" if a.kind == "node" else (a.text if a.kind == "const" else _short(a.value))
            for a in node.args]


def definition(node: Node) -> str:
    """``2·v1``, ``sin(v3)``, ``v1 @ v2`` — or, for an input, its name."""
    if node.op == "input":
        return node.var or ""
    return REGISTRY[node.op].show(shown_args(node), pretty=True, params=node.params)


def context_text(parts: tuple) -> str:
    """Where a node ran: ``f#2 › i=3``, ``iter 2``."""
    out = []
    for p in parts:
        if p[0] == "call":
            out.append(f"{p[1]}#{p[2]}")
        elif p[0] == "for":
            out.append(f"{p[1]}={p[2]:g}")
        else:
            out.append(f"iter {p[1]}")
    return " › ".join(out)


def _rule_node(node: Node) -> bool:
    """Whether the tape kept this step as a rule (arrays, array primitives, more than two arguments)."""
    prim = REGISTRY[node.op]
    return (not prim.elementwise or is_array(node.value) or len(node.args) > 2
            or any(a.kind == "value" and is_array(a.value) for a in node.args))


def partial_of(graph: Graph, u: Update) -> tuple[str, object, str | None]:
    """How an update's partial reads: (the displayed partial, its value, an array rule's whole
    right-hand side or None).  Elementwise steps show ``cos(v2)`` and its number (on arrays the
    number is left out: ""); array primitives show their rule (``v̄3 @ v2ᵀ``)."""
    source = graph.node(u.source)
    prim = REGISTRY[source.op]
    shown = shown_args(source)
    if not prim.elementwise:
        return "", None, pullback_text(prim, u.position, shown, source.params, bar(source.id))
    text = prim.show_partial(u.position, shown)
    if _rule_node(source) and len(source.args) <= 2:
        return text, "", None
    return text, graph.partial(u.source, u.position), None


# ---- JSON ---------------------------------------------------------------------------------------

def trace_json(graph: Graph) -> dict[str, object]:
    rows = []
    for node in graph.nodes:
        item: dict[str, object] = {
            "node": f"v{node.id}",
            "op": node.op,
            "args": shown_args(node) if node.op != "input" else [],
            "definition": definition(node),
            "value": node.value,
            "line": node.span.line if node.span else None,
            "column": node.span.column if node.span else None,
            "variable": node.var,
            "context": context_text(node.context) or None,
        }
        if graph.mode == "forward":
            item["tangent"] = list(node.tangent or ())
        elif graph.mode == "taylor":
            item["coefficients"] = list(node.coefficients or ())
        else:
            item["adjoint"] = node.adjoint if node.adjoint is not None else 0.0
        rows.append(item)
    out: dict[str, object] = {"trace": rows}
    if graph.mode == "reverse":
        updates = []
        for u in graph.updates:
            partial, value, rule = partial_of(graph, u)
            updates.append({"update": update_text(u.target, u.source, partial, rule), "target": f"v{u.target}",
                            "source": f"v{u.source}", "partial": partial, "partial_value": value,
                            "contribution": u.contribution, "adjoint": u.running})
        out["adjoint_updates"] = updates
    return out


# ---- tables -------------------------------------------------------------------------------------

def trace_columns(graph: Graph) -> list[str]:
    """The leading columns of a trace table: node, definition, and var / where when used."""
    has_var = any(n.var and n.op != "input" for n in graph.nodes)
    has_where = any(n.context for n in graph.nodes)
    return ["node", "definition"] + (["var"] if has_var else []) + (["where"] if has_where else [])


def row_head(node: Node, columns: Sequence[str]) -> list[str]:
    cells = [f"v{node.id}", f"{definition(node)} (input)" if node.op == "input" else definition(node)]
    if "var" in columns:
        cells.append(node.var or "")
    if "where" in columns:
        cells.append(context_text(node.context))
    return cells


def render_forward_trace(console: Console, graph: Graph, column_names: Sequence[str], caption: str) -> None:
    head = trace_columns(graph)
    cols = head + ["value"] + [f"v\u0307 = {name}" for name in column_names]
    t = _table(*cols, title="Forward mode: each node's value and tangent", numeric_from=len(head))
    for n in graph.nodes:
        t.add_row(*row_head(n, head), num(n.value), *[num(x) for x in (n.tangent or ())])
    t.caption = caption
    t.print(console)


def render_reverse_trace(console: Console, graph: Graph, cotangent: bool = False) -> None:
    """The forward sweep with the adjoints, the backward sweep, and what the inputs' adjoints are:
    the gradient ∂f/∂x, or for a cotangent run (``cotangent``: ``vjp``) the entries of wᵀJ."""
    head = trace_columns(graph)
    t = _table(*head, "value", "adjoint v\u0304 = ∂f/∂v", numeric_from=len(head),
               title="Forward sweep: the Wengert list (adjoints as the backward sweep left them)")
    for n in graph.nodes:
        t.add_row(*row_head(n, head), num(n.value), num(n.adjoint if n.adjoint is not None else 0.0))
    t.print(console)
    console.print()
    b = _table("step", "update", "contribution", "adjoint after", title="Backward sweep, in the order it ran",
               caption="1 reverse sweep", numeric_from=2)
    for out, w in zip(graph.outputs, graph.output_seeds):
        if out is not None and w != 0.0:
            b.add_row("", f"{bar(out)} = y\u0304 = {num(w)}", "", num(w))
    for i, u in enumerate(graph.updates, 1):
        partial, _, rule = partial_of(graph, u)
        b.add_row(str(i), update_text(u.target, u.source, partial, rule), num(u.contribution), num(u.running))
    inputs = [n for n in graph.nodes if n.op == "input"]
    b.print(console)
    if inputs:
        what, part = ("wᵀJ", "wᵀ∂f/∂") if cotangent else ("gradient", "∂f/∂")
        console.print(Text(f"{what} read off the inputs' adjoints: " + ", ".join(
            f"{part}{n.var} = {bar(n.id)} = {num(n.adjoint)}" for n in inputs)))
    console.print()


def render_taylor_trace(console: Console, graph: Graph, order: int) -> None:
    head = trace_columns(graph)
    t = _table(*head, *[f"c{i}" for i in range(order + 1)], numeric_from=len(head),
               title="Taylor coefficients of every node (cₖ = k-th derivative along v ÷ k!)",
               caption="1 forward sweep of truncated Taylor series")
    for n in graph.nodes:
        t.add_row(*row_head(n, head), *[num(c, 6) for c in (n.coefficients or ())])
    t.print(console)
    console.print()
