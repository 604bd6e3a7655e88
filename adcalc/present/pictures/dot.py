"""A picture as Graphviz source (``adcalc graph --format dot``, and the input of ``dot -Tsvg``).

Contract: ``render_dot(pic)`` is one ``digraph``: inputs at the top, each node a box labelled
as ``model.node_lines`` says (inputs and outputs filled, a kink or non-finite value red), each edge
labelled with ``model.edge_lines``, calls and loop iterations as nested ``subgraph cluster…``.
Every node, edge and cluster carries the ``id`` the SVG contract names (``node-v3``,
``edge-v1-v3-p0``, ``cluster1``), which Graphviz copies onto its ``<g>`` elements.  All text is
escaped for DOT (quotes, backslashes; control characters written as ``\\uXXXX``).
"""

from __future__ import annotations

from adcalc.present.pictures.model import Picture, PNode, edge_lines, node_lines


def quote(text: str) -> str:
    """A DOT string literal; lines joined with DOT's centred line break ``\\n``."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def node_style(n: PNode) -> str:
    classes = " ".join(([n.role] if n.role else []) + (["note"] if n.note is not None else []))
    return (f"class={quote(classes)}, " if classes else "") + _look(n)


def _look(n: PNode) -> str:
    if n.note is not None:
        return 'color="#c0392b", penwidth=2, fillcolor="#fdecea", style="rounded,filled"'
    if n.op == "collapsed":
        return 'style="rounded,dashed", color="#888888"'
    if n.role == "input":
        return 'fillcolor="#e8f1fb", style="rounded,filled"'
    if n.role == "output":
        return 'fillcolor="#eaf7ea", style="rounded,filled", penwidth=2'
    return 'style="rounded"'


def render_dot(pic: Picture) -> str:
    lines = ["digraph adcalc {", '  graph [rankdir=TB, fontname="Helvetica", fontsize=10];',
             '  node [shape=box, fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9, color="#555555"];']
    children: dict[str | None, list[str]] = {}
    for c in pic.clusters:
        children.setdefault(c.parent, []).append(c.id)
    members: dict[str | None, list[PNode]] = {}
    for n in pic.nodes:
        members.setdefault(n.cluster, []).append(n)
    by_cluster = {c.id: c for c in pic.clusters}

    def emit(cluster: str | None, indent: str) -> None:
        for n in members.get(cluster, ()):
            label = quote("\n".join(node_lines(pic, n)))
            lines.append(f"{indent}{n.id} [id={quote('node-' + n.id)}, label={label}, {node_style(n)}];")
        for cid in children.get(cluster, ()):
            c = by_cluster[cid]
            lines.append(f"{indent}subgraph {cid} {{")
            lines.append(f'{indent}  id={quote(cid)}; label={quote(c.label)}; style="rounded,dashed"; color="#999999";')
            emit(cid, indent + "  ")
            lines.append(f"{indent}}}")

    emit(None, "  ")
    for e in pic.edges:
        lines.append(f"  {e.source} -> {e.target} [id={quote(e.id)}, label={quote(chr(10).join(edge_lines(pic, e)))}];")
    lines.append("}")
    return "\n".join(lines)
