"""The drawing of the recorded run that the page lights up — a seam.

Contract: ``graph_svg(graph)`` returns one ``<svg>`` element in which every node is a
``<g id="node-v3">`` and every edge a ``<g id="edge-v1-v3-p0">`` (parent, child, the child's
argument position): the page finds what to light by these ids and nothing else.

This is a placeholder until ``adcalc graph``'s SVG (``adcalc.present.pictures.svg.render_svg``,
laid out by Graphviz or a layout library, with the same ids) is merged; then this function
becomes a call to it.  Until then it draws no layout of its own: the nodes stand in their
Wengert-list order, one per row (the order the forward sweep runs), and each edge is an arc on
the left from the parent's row to the child's.  All text is escaped.
"""

from __future__ import annotations

from html import escape

from adcalc.present.plain import num
from adcalc.present.traces import context_text, definition
from adcalc.transform.graph import Graph

ROW, BOX_H, X0, BOX_W, TOP = 34, 24, 0, 330, 12


def graph_svg(graph: Graph) -> str:
    """The graph as an SVG element with ``node-vK`` and ``edge-vA-vB-pK`` groups (see the contract)."""
    n = len(graph.nodes)
    reach = max((abs(e.child - e.parent) for e in graph.edges), default=1)
    left = 24 + min(12 * reach, 240)  # room for the widest arc
    x = left + X0
    outputs = {o for o in graph.outputs if o is not None}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{x + BOX_W + 8}" '
             f'height="{TOP * 2 + n * ROW}" viewBox="0 0 {x + BOX_W + 8} {TOP * 2 + n * ROW}" role="img" '
             'aria-label="the computational graph">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
             'markerUnits="userSpaceOnUse" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead"/></marker></defs>']
    for e in graph.edges:
        y1 = TOP + (e.parent - 1) * ROW + BOX_H // 2 - 4 + 2 * (e.position % 3)
        y2 = TOP + (e.child - 1) * ROW + BOX_H // 2 + 2 * (e.position % 3)
        bend = x - 14 - min(12 * (e.child - e.parent), left - 16)
        parts.append(f'<g id="edge-v{e.parent}-v{e.child}-p{e.position}" class="edge">'
                     f'<title>v{e.parent} → v{e.child} (argument {e.position + 1})</title>'
                     f'<path d="M {x} {y1} C {bend} {y1}, {bend} {y2}, {x} {y2}" fill="none" '
                     'marker-end="url(#arrow)"/></g>')
    for node in graph.nodes:
        y = TOP + (node.id - 1) * ROW
        kind = "input" if node.op == "input" else ("output" if node.id in outputs else "step")
        label = f"v{node.id} = {definition(node)}"
        where = context_text(node.context)
        value = num(node.value)  # type: ignore[arg-type]
        parts.append(f'<g id="node-v{node.id}" class="node {kind}">'
                     f'<title>{escape(label)} = {escape(value)}{escape(" · " + where) if where else ""}</title>'
                     f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="5"/>'
                     f'<text x="{x + 8}" y="{y + 16}">{escape(_cut(label, 30))}</text>'
                     f'<text x="{x + BOX_W - 8}" y="{y + 16}" text-anchor="end" class="value">'
                     f'{escape(_cut(value, 14))}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
