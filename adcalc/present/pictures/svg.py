"""A picture as SVG: laid out by Graphviz's ``dot`` when it is installed, otherwise by grandalf.

Contract: ``render_svg(pic, layout=None) -> str`` is one ``<svg>`` element (no XML prolog, so it
can be inlined in HTML) showing what ``model.node_lines``/``edge_lines`` say.  Whichever layout
drew it, every node is a ``<g id="node-v3">`` (a left-out loop ``node-c1``), every edge a
``<g id="edge-v1-v3-p0">`` (``p``: the child's argument position), every cluster a ``<g
id="cluster1">``; nodes also carry the classes ``node`` and ``input``/``output``/``note``, edges
``edge``.  ``layout``: "graphviz" (``dot -Tsvg``; an error if it is not on PATH, fails or takes over 2
minutes), "grandalf" (grandalf's Sugiyama layered layout; this module only writes the SVG
elements at the positions it gives), or None: Graphviz when ``dot`` is on PATH and draws the
picture within ``AUTO_SECONDS``, else grandalf.  The grandalf drawing is the
same bytes for the same picture on every machine (no fonts are measured: text is monospace,
sized by its number of characters).  All text is XML-escaped, control characters shown as
``\\uXXXX``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata

from adcalc.errors import AdcalcError
from adcalc.present.pictures.dot import render_dot
from adcalc.present.pictures.model import Picture, PNode, edge_lines, node_lines

FONT = 11  # px; monospace: a character is about 0.6 of the size wide
CHAR = 6.7
LINE = 14
PAD = 8
GAP = 40  # between the graph's separate parts
AUTO_SECONDS = 20  # Graphviz's dot can take minutes (or fail: "trouble in init_rank") on a few hundred
# labelled nodes in clusters; then grandalf draws the picture instead


def esc(text: str) -> str:
    """Text for SVG: XML's five characters escaped, control characters made visible."""
    out = []
    for ch in text:
        o = ord(ch)
        if o < 32 or o == 127 or 0x80 <= o < 0xA0:
            out.append(f"\\u{o:04x}")
        else:
            out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}.get(ch, ch))
    return "".join(out)


def width_of(text: str) -> int:
    """Columns a line takes (combining marks, as in v̄, take none)."""
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def _num(x: float) -> str:
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def render_svg(pic: Picture, layout: str | None = None) -> str:
    """The picture as SVG (see the module docstring)."""
    if layout is None:  # Graphviz when it is installed and draws the picture in good time, else grandalf
        if shutil.which("dot"):
            try:
                return _graphviz(pic, AUTO_SECONDS)
            except AdcalcError:
                pass
        layout = "grandalf"
    if layout == "graphviz":
        return _graphviz(pic, 120)
    if layout != "grandalf":
        raise AdcalcError("usage", f"unknown layout {layout!r}", hint="use graphviz or grandalf")
    return _grandalf(pic)


def _graphviz(pic: Picture, seconds: float) -> str:
    exe = shutil.which("dot")
    if exe is None:
        raise AdcalcError("input", "Graphviz's dot is not on PATH", hint="install Graphviz, or use the grandalf layout")
    try:
        done = subprocess.run([exe, "-Tsvg"], input=render_dot(pic).encode("utf-8"), capture_output=True,
                              timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        raise AdcalcError("limit", f"Graphviz took more than {seconds:g} seconds to lay the picture out",
                          hint="lower --max-nodes, or use the grandalf layout") from None
    if done.returncode != 0:
        raise AdcalcError("input", "Graphviz could not draw the picture: "
                          + esc(done.stderr.decode("utf-8", "replace").strip()[:300]))
    text = done.stdout.decode("utf-8")
    text = re.sub(r'id="([^"]*)"', lambda m: 'id="' + m.group(1).replace("&#45;", "-") + '"', text)
    return text[text.index("<svg"):].rstrip() + "\n"


class _View:
    __slots__ = ("w", "h", "xy", "points")

    def __init__(self, w: float = 0.0, h: float = 0.0):
        self.w, self.h = w, h
        self.xy = (0.0, 0.0)
        self.points: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.points = list(points)


def _size(lines: list[str]) -> tuple[float, float]:
    return max(width_of(line) for line in lines) * CHAR + 2 * PAD, len(lines) * LINE + PAD


def _grandalf(pic: Picture) -> str:
    from grandalf.graphs import Edge, Vertex
    from grandalf.layouts import SugiyamaLayout

    if not pic.nodes:  # a constant source with no input read: nothing to lay out
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * PAD}" height="{2 * PAD}" '
                f'viewBox="0 0 {2 * PAD} {2 * PAD}" font-family="monospace" font-size="{FONT}"></svg>')
    labels = {n.id: node_lines(pic, n) for n in pic.nodes}
    vertices = {}
    for n in pic.nodes:
        v = Vertex(n.id)
        v.view = _View(*_size(labels[n.id]))
        vertices[n.id] = v
    edges = []
    for e in pic.edges:
        g_edge = Edge(vertices[e.source], vertices[e.target], data=e.id)
        g_edge.view = _View()
        edges.append(g_edge)
    offset = 0.0
    for part in _parts(list(vertices.values()), edges):
        sug = SugiyamaLayout(part)
        sug.xspace, sug.yspace = 30, 60
        sug.init_all()
        sug.draw()
        xs = [v.view.xy[0] - v.view.w / 2 for v in part.sV]
        shift = offset - min(xs)
        for v in part.sV:
            v.view.xy = (v.view.xy[0] + shift, v.view.xy[1])
        for e in part.sE:
            e.view.points = [(x + shift, y) for x, y in e.view.points]
        offset = max(v.view.xy[0] + v.view.w / 2 for v in part.sV) + GAP
    boxes = {nid: (v.view.xy[0] - v.view.w / 2, v.view.xy[1] - v.view.h / 2,
                   v.view.xy[0] + v.view.w / 2, v.view.xy[1] + v.view.h / 2) for nid, v in vertices.items()}
    cluster_boxes = _cluster_boxes(pic, boxes)
    everything = list(boxes.values()) + list(cluster_boxes.values())
    x0 = min(b[0] for b in everything) - PAD
    y0 = min(b[1] for b in everything) - PAD
    x1 = max(b[2] for b in everything) + PAD
    y1 = max(b[3] for b in everything) + PAD
    edge_of = {e.id: e for e in pic.edges}
    for e in edges:  # edge labels may reach past the boxes
        for line in edge_lines(pic, edge_of[e.data]):
            x1 = max(x1, _mid(e.view.points)[0] + 4 + width_of(line) * CHAR + PAD)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(x1 - x0)}" height="{_num(y1 - y0)}" '
           f'viewBox="{_num(x0)} {_num(y0)} {_num(x1 - x0)} {_num(y1 - y0)}" font-family="monospace" '
           f'font-size="{FONT}">',
           '<defs><marker id="adcalc-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555555"/></marker></defs>']
    for c in pic.clusters:
        b = cluster_boxes[c.id]
        out.append(f'<g id="{esc(c.id)}" class="cluster"><rect x="{_num(b[0])}" y="{_num(b[1])}" '
                   f'width="{_num(b[2] - b[0])}" height="{_num(b[3] - b[1])}" rx="6" fill="none" stroke="#999999" '
                   f'stroke-dasharray="4 3"/><text x="{_num(b[0] + 6)}" y="{_num(b[1] + 12)}" fill="#666666">'
                   f'{esc(c.label)}</text></g>')
    seen: dict[tuple[str, str], int] = {}
    for e in edges:
        edge = edge_of[e.data]
        k = seen[(edge.source, edge.target)] = seen.get((edge.source, edge.target), -1) + 1
        out.append(_edge_svg(pic, edge, e.view.points, boxes, k))
    for n in pic.nodes:
        out.append(_node_svg(n, labels[n.id], boxes[n.id]))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _parts(vertices: list, edges: list) -> list:
    """The graph's connected parts as grandalf graphs, vertices and edges in the picture's order
    (``grandalf.graphs.Graph`` collects a part's edges in a ``set``, whose order — by memory
    address — would change the layout from run to run)."""
    from grandalf.graphs import graph_core

    part_of = {id(v): i for i, v in enumerate(vertices)}

    def find(i: int) -> int:
        while part_of[id(vertices[i])] != i:
            i = part_of[id(vertices[i])]
        return i

    for e in edges:
        a, b = find(part_of[id(e.v[0])]), find(part_of[id(e.v[1])])
        if a != b:
            part_of[id(vertices[max(a, b)])] = min(a, b)
    groups: dict[int, tuple[list, list]] = {}
    for i, v in enumerate(vertices):
        groups.setdefault(find(i), ([], []))[0].append(v)
    for e in edges:
        groups[find(part_of[id(e.v[0])])][1].append(e)
    return [graph_core(vs, es) for vs, es in groups.values()]


def _mid(points: list[tuple[float, float]], at: float = 0.6) -> tuple[float, float]:
    """The point ``at`` of the way along a polyline (labels sit nearer the child, where a node's
    edges have spread apart)."""
    lengths = [((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5 for a, b in zip(points, points[1:])]
    goal = sum(lengths) * at
    for (a, b), length in zip(zip(points, points[1:]), lengths):
        if goal <= length and length > 0:
            f = goal / length
            return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
        goal -= length
    return points[-1]


def _cluster_boxes(pic: Picture, boxes: dict[str, tuple]) -> dict[str, tuple]:
    """Each cluster's rectangle: around its nodes and its clusters, with room for its label."""
    out: dict[str, tuple] = {}
    for c in reversed(pic.clusters):  # children come after their parents: innermost first
        inside = [boxes[n] for n in c.nodes] + [out[d.id] for d in pic.clusters if d.parent == c.id]
        if not inside:
            continue
        out[c.id] = (min(b[0] for b in inside) - PAD, min(b[1] for b in inside) - PAD - LINE,
                     max(b[2] for b in inside) + PAD, max(b[3] for b in inside) + PAD)
    return out


def _edge_svg(pic: Picture, edge, points: list[tuple[float, float]], boxes: dict[str, tuple], k: int) -> str:  # noqa: ANN001
    s, t = boxes[edge.source], boxes[edge.target]
    pts = list(points)
    bend = 10.0 * k  # a second edge between the same two nodes (x*x) bows out beside the first
    pts[0] = (pts[0][0] + bend, s[3])
    pts[-1] = (pts[-1][0] + bend, t[1])
    if bend and len(pts) == 2:
        pts.insert(1, ((pts[0][0] + pts[1][0]) / 2 + 3 * bend, (pts[0][1] + pts[1][1]) / 2))
    d = "M" + " L".join(f"{_num(x)},{_num(y)}" for x, y in pts)
    mx, my = _mid(pts)
    lines = edge_lines(pic, edge)
    texts = "".join(f'<tspan x="{_num(mx + 4)}" dy="{0 if i == 0 else LINE}">{esc(line)}</tspan>'
                    for i, line in enumerate(lines))
    return (f'<g id="{esc(edge.id)}" class="edge"><title>{esc(edge.source)} → {esc(edge.target)}: '
            f'{esc(" ; ".join(lines))}</title><path d="{d}" fill="none" stroke="#555555" '
            f'marker-end="url(#adcalc-arrow)"/><text y="{_num(my - (len(lines) - 1) * LINE / 2 + 4)}" '
            f'fill="#1f4e8c">{texts}</text></g>')


def _node_svg(n: PNode, lines: list[str], box: tuple) -> str:
    classes = ["node"] + ([n.role] if n.role else []) + (["note"] if n.note is not None else []) + \
        (["collapsed"] if n.op == "collapsed" else [])
    fill, stroke, extra = "#ffffff", "#333333", ""
    if n.role == "input":
        fill = "#e8f1fb"
    elif n.role == "output":
        fill, extra = "#eaf7ea", ' stroke-width="2"'
    if n.op == "collapsed":
        stroke, extra = "#888888", ' stroke-dasharray="5 3"'
    if n.note is not None:
        fill, stroke, extra = "#fdecea", "#c0392b", ' stroke-width="2"'
    x0, y0, x1, y1 = box
    texts = "".join(f'<tspan x="{_num(x0 + PAD)}" dy="{LINE if i else 0}">{esc(line)}</tspan>'
                    for i, line in enumerate(lines))
    title = f"{n.id}: {n.title}" + (f" (line {n.line}, column {n.column})" if n.line else "") + \
        (f" in {n.context}" if n.context else "")
    return (f'<g id="node-{esc(n.id)}" class="{" ".join(classes)}"><title>{esc(title)}</title>'
            f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(x1 - x0)}" height="{_num(y1 - y0)}" rx="5" '
            f'fill="{fill}" stroke="{stroke}"{extra}/><text y="{_num(y0 + PAD + FONT - 2)}">{texts}</text></g>')
