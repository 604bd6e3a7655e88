"""The picture of a recorded run: what every drawing (text, dot, svg, json) shows, read once from the Graph.

Contract: ``picture(graph, warnings=(), ...)`` reads a recorded run (``adcalc.transform.graph``;
from ``adcalc.ops.pictures.record`` or any traced forward/reverse run) and returns a ``Picture``:

- ``nodes`` (``PNode``): one per Wengert node, ``id`` "v3"; its definition from the registry
  (``2·v1``; an input's is its name), value, tangent (forward: one entry per input entry) or
  adjoint (reverse), source position (an input's: the step that first read it), where it ran
  (``context``: "f#2 › i = 3"), ``role`` ("input", "output" or ""), and ``note``: the kink or
  first non-finite value met there, with its message.  A loop's left-out iterations are one
  node, ``id`` "c1" (op "collapsed", ``definition`` "… 9,996 more iterations of the loop at
  line 4"), with an edge from each recorded node they read.
- ``edges`` (``PEdge``): parent → child for every input-dependent argument, ``id``
  "edge-v1-v3-p0" (``p``: the child's argument position), the local partial as a number and as
  the registry writes it (``cos(v2)``), and in reverse mode the contribution that flowed along it.
- ``clusters``: one per function call (``f#2``) and loop iteration (``i = 3``), nested, with the
  ids of the nodes drawn directly inside.
- ``inputs``/``outputs`` (node ids), ``mode``, ``columns`` (forward: the tangent columns' names),
  ``notes`` (the messages of the kinks and the first non-finite value).

Numbers are the run's own floats; ``short(x)`` is how drawings print them (4 significant digits).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from adcalc.rules.arrays import pullback_text
from adcalc.rules.registry import REGISTRY, np
from adcalc.rules.shapes import is_array
from adcalc.transform.graph import Graph, Node
from adcalc.transform.notes import fmt_number


def short(v: object) -> str:
    """A number as drawings show it: 4 significant digits (``-0.9093``, ``18.78``, ``1e-43``); an
    array as its shape (``[2×3]``)."""
    if v is None:
        return ""
    if is_array(v):
        return "[" + "×".join(str(d) for d in v.shape) + "]"  # type: ignore[union-attr]
    x = float(v)  # type: ignore[arg-type]
    if x != x or math.isinf(x):
        return fmt_number(x)
    text = format(x, ".4g")
    return "0" if text == "-0" else text


class PNode:
    __slots__ = ("id", "op", "name", "definition", "value", "tangent", "adjoint", "line", "column", "context",
                 "cluster", "role", "note", "note_kind")

    def __init__(self, id: str, op: str, name: str | None, definition: str, value: object, line: int | None,
                 column: int | None, context: str, cluster: str | None):
        self.id, self.op, self.name, self.definition, self.value = id, op, name, definition, value
        self.line, self.column, self.context, self.cluster = line, column, context, cluster
        self.tangent: tuple | None = None
        self.adjoint: object = None
        self.role = ""
        self.note: str | None = None
        self.note_kind: str | None = None

    @property
    def title(self) -> str:
        """The node's first line: ``v3 = 2·v1``, ``v1 = x1`` (an input), or a collapsed loop's text."""
        return self.definition if self.op == "collapsed" else f"{self.id} = {self.definition}"


class PEdge:
    __slots__ = ("source", "target", "position", "partial", "partial_text", "contribution")

    def __init__(self, source: str, target: str, position: int, partial: object, partial_text: str):
        self.source, self.target, self.position = source, target, position
        self.partial, self.partial_text = partial, partial_text
        self.contribution: object = None

    @property
    def id(self) -> str:
        return f"edge-{self.source}-{self.target}-p{self.position}"

    @property
    def label(self) -> str:
        """``cos(v2) = -0.9093`` (the number alone when the text is that number; the text alone for an array rule)."""
        if self.partial is None:
            return self.partial_text
        number = short(self.partial)
        return number if self.partial_text in (number, fmt_number(float(self.partial))) else \
            f"{self.partial_text} = {number}"  # type: ignore[arg-type]


class Cluster:
    __slots__ = ("id", "label", "parent", "nodes", "kind")

    def __init__(self, id: str, label: str, parent: str | None, kind: str):
        self.id, self.label, self.parent, self.kind = id, label, parent, kind
        self.nodes: list[str] = []


class Picture:
    __slots__ = ("mode", "nodes", "edges", "clusters", "inputs", "outputs", "columns", "notes", "by_id", "numbers")

    def __init__(self, mode: str):
        self.mode = mode
        self.numbers = True  # False: definitions and symbolic partials only (explain reveals the numbers step by step)
        self.nodes: list[PNode] = []
        self.edges: list[PEdge] = []
        self.clusters: list[Cluster] = []
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self.columns: list[str] = []
        self.notes: list[str] = []  # the kinks' and the first non-finite value's messages
        self.by_id: dict[str, PNode] = {}

    def add(self, node: PNode) -> None:
        self.nodes.append(node)
        self.by_id[node.id] = node


def part_label(part: tuple) -> str:
    """A cluster's label: ``f#2``, ``i = 3``, ``iteration 4`` (of a while loop)."""
    if part[0] == "call":
        return f"{part[1]}#{part[2]}"
    if part[0] == "for":
        return f"{part[1]} = {fmt_number(float(part[2]))}"
    return f"iteration {part[1]}"


def _shown(node: Node) -> list[str]:
    return [f"v{a.node}" if a.kind == "node" else ("…" if a.kind == "collapsed" else
            (a.text if a.kind == "const" else short(a.value))) for a in node.args]


def _definition(node: Node) -> str:
    if node.op == "input":
        return node.var or ""
    return REGISTRY[node.op].show(_shown(node), pretty=True, params=node.params)


def _partial_text(node: Node, position: int) -> str:
    prim = REGISTRY[node.op]
    shown = _shown(node)
    if not prim.elementwise:
        return pullback_text(prim, position, shown, node.params, f"v\u0304{node.id}")
    return prim.show_partial(position, shown)


def collapsed_text(kind: str, units: int, line: int | None, function: str) -> str:
    """``… 9,996 more iterations of the loop at line 4`` (``… 41 more calls of f``)."""
    if kind == "loop":
        what = "iteration" if units == 1 else "iterations"
        return f"… {units:,} more {what} of the loop" + (f" at line {line}" if line else "")
    return f"… {units:,} more {'call' if units == 1 else 'calls'} of {function}"


def picture(graph: Graph, warnings: Sequence[object] = (), columns: Sequence[str] | None = None) -> Picture:
    """The picture of ``graph`` (see the module docstring); ``warnings`` (the run's) mark kinks and
    non-finite values; ``columns`` names forward mode's tangent columns (default: the inputs)."""
    pic = Picture(graph.mode)
    pic.columns = list(columns) if columns is not None else list(graph.inputs)
    clusters: dict[tuple, Cluster] = {}
    first_use: dict[int, PNode] = {}

    def cluster_of(context: tuple) -> str | None:
        parent = None
        for k in range(1, len(context) + 1):
            key = context[:k]
            c = clusters.get(key)
            if c is None:
                c = clusters[key] = Cluster(f"cluster{len(clusters) + 1}", part_label(key[-1]), parent,
                                            key[-1][0])
                pic.clusters.append(c)
            parent = c.id
        return parent

    for node in graph.nodes:
        where = " › ".join(part_label(p) for p in node.context)
        p = PNode(f"v{node.id}", node.op, node.var, _definition(node), node.value,
                  node.span.line if node.span else None, node.span.column if node.span else None, where,
                  cluster_of(node.context))
        p.tangent = node.tangent
        p.adjoint = node.adjoint
        if node.op == "input":
            p.role = "input"
            pic.inputs.append(p.id)
            first_use[node.id] = p
        pic.add(p)
        if p.cluster is not None:
            clusters[node.context].nodes.append(p.id)
    readers: dict[int, int] = {}  # left-out group → the first recorded node reading it
    for e in graph.edges:
        if e.parent < 0:
            readers.setdefault(-e.parent, e.child)
    placed: list[tuple[int, PNode]] = []
    for k, c in enumerate(graph.collapsed, 1):
        if c.units <= 0:  # every left-out iteration was put back
            continue
        p = PNode(f"c{k}", "collapsed", None, collapsed_text(c.kind, c.units, c.line, c.function), None, c.line,
                  c.column, " › ".join(part_label(x) for x in c.context), cluster_of(c.context))
        placed.append((readers.get(k, len(graph.nodes) + 1), p))
        if p.cluster is not None:
            clusters[c.context].nodes.append(p.id)
        for source in c.sources:
            pic.edges.append(PEdge(f"v{source}", p.id, 0, None, "…"))
    for before, p in sorted(placed, key=lambda x: x[0], reverse=True):  # in the Wengert order: before its reader
        pic.nodes.insert(before - 1, p)
        pic.by_id[p.id] = p
    for e in graph.edges:  # an input's position: where the run first used it
        p = first_use.pop(e.parent, None)
        if p is not None:
            span = graph.node(e.child).span
            p.line, p.column = (span.line, span.column) if span is not None else (None, None)
    contributions = {(u.target, u.source, u.position): u.contribution for u in graph.updates}
    for e in graph.edges:
        child = graph.node(e.child)
        source = f"v{e.parent}" if e.parent > 0 else f"c{-e.parent}"
        edge = PEdge(source, f"v{e.child}", e.position, e.partial, _partial_text(child, e.position))
        if graph.mode == "reverse" and e.parent > 0:
            edge.contribution = contributions.get((e.parent, e.child, e.position))
        pic.edges.append(edge)
    for out in graph.outputs:
        if out is not None:
            oid = f"v{out}" if out > 0 else f"c{-out}"
            pic.outputs.append(oid)
            if pic.by_id[oid].role != "input":
                pic.by_id[oid].role = "output"
    _mark(pic, graph, warnings)
    return pic


def _mark(pic: Picture, graph: Graph, warnings: Sequence[object]) -> None:
    """The first node of each kink (by its source position) and the first non-finite value."""
    for w in warnings:
        kind, span = getattr(w, "kind", None), getattr(w, "span", None)
        if kind not in ("kink", "nonfinite_derivative") or span is None:
            continue
        pic.notes.append(w.message)  # type: ignore[attr-defined]
        at = (span.line, span.column)
        ran = [n for n in graph.nodes if n.span is not None and n.op != "input"]
        # the node the rule ran at; for a tied comparison (not a node), the first node after it
        hit = next((n for n in ran if (n.span.line, n.span.column) == at), None) or \
            next((n for n in ran if (n.span.line, n.span.column) > at), None)  # type: ignore[union-attr]
        if hit is not None:
            target = pic.by_id[f"v{hit.id}"]
            if target.note is None:
                target.note, target.note_kind = w.message, "kink"  # type: ignore[attr-defined]
    message = next((w.message for w in warnings if getattr(w, "kind", None) == "nonfinite"), None)  # type: ignore
    for node in graph.nodes:
        v = node.value
        bad = (v != v or math.isinf(v)) if type(v) is float else (is_array(v) and not bool(np.isfinite(v).all()))
        if bad:
            target = pic.by_id[f"v{node.id}"]
            target.note = message or f"the first non-finite value: {short(v)}"
            if message is not None:
                pic.notes.append(message)
            target.note_kind = "nonfinite"
            break


def node_lines(pic: Picture, n: PNode, note_width: int | None = 48) -> list[str]:
    """A node's label, line by line: ``v3 = 2·v1`` (input/output marked), ``= 2``, the tangent
    ``v̇ = (2, 0)`` or adjoint ``v̄ = 7.389``, and its note wrapped at ``note_width`` columns
    (None: without the note)."""
    if n.op == "collapsed":
        return [n.definition]
    mark = " (input)" if n.role == "input" else (" (output)" if n.role == "output" else "")
    if not pic.numbers:
        return [n.title + mark]
    lines = [n.title + mark, f"= {short(n.value)}"]
    if pic.mode == "forward" and n.tangent is not None:
        t = [short(x) for x in n.tangent]
        lines.append("v\u0307 = " + (t[0] if len(t) == 1 else "(" + ", ".join(t) + ")"))
    elif pic.mode == "reverse":
        lines.append("v\u0304 = " + short(n.adjoint if n.adjoint is not None else 0.0))
    if n.note is not None and note_width is not None:
        import textwrap

        lines.extend(textwrap.wrap(("⚠ kink: " if n.note_kind == "kink" else "⚠ ") + n.note, note_width,
                                   break_on_hyphens=False, subsequent_indent="  "))
    return lines


def edge_lines(pic: Picture, e: PEdge) -> list[str]:
    """An edge's label: its partial ``cos(v2) = -0.9093``; in reverse mode also what flowed back
    along it (``v̄ += 7.389``)."""
    if not pic.numbers:
        return [e.partial_text]
    lines = [e.label]
    if pic.mode == "reverse" and e.contribution is not None:
        lines.append(f"v\u0304 += {short(e.contribution)}")
    return lines
