"""A picture as text: the layered graph drawn with Unicode boxes, for a terminal 80 columns wide.

Contract: ``render_text(pic, width=80)`` draws the graph layer by layer, top to bottom: layer 0
holds the inputs, and every other node sits one layer below its deepest parent, so every edge
points down.  Each node is a box: its definition (``v3 = 2·v1``, inputs and outputs marked), its
value, its tangent or adjoint, where it ran (``f#2 › i = 3``), its note (a kink, the first
non-finite value), and one line per edge into it: ``← v1 · 2`` with the partial as the registry
writes it and its value, and in reverse mode ``v̄1 += 14.78``, what flowed back along it.  Boxes
of a layer sit side by side and wrap at ``width``; a left-out loop is a dashed box.  The first
lines say what the numbers are (the value, and the gradient read off the picture).  A graph of
more than ``MAX_TEXT_NODES`` nodes is summarised instead (its size, inputs, outputs, notes and
left-out loops), with the command that draws it as SVG.  Nothing here lays out anything but the
rows of boxes; user text is escaped (``adcalc.errors.shown``).
"""

from __future__ import annotations

import textwrap

from adcalc.errors import shown
from adcalc.present.pictures.model import Picture, PNode, node_lines, short
from adcalc.present.pictures.svg import width_of

MAX_TEXT_NODES = 60


def layers(pic: Picture) -> list[list[PNode]]:
    """The nodes by layer: inputs in layer 0, every other node one below its deepest parent."""
    depth: dict[str, int] = {}
    into: dict[str, list[str]] = {}
    for e in pic.edges:
        into.setdefault(e.target, []).append(e.source)
    for n in pic.nodes:  # the Wengert order: parents first, and a left-out loop before what reads it
        parents = [depth[p] for p in into.get(n.id, ()) if p in depth]
        depth[n.id] = 0 if n.role == "input" else (max(parents) + 1 if parents else 1)
    out: list[list[PNode]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for n in pic.nodes:
        out[depth[n.id]].append(n)
    return [layer for layer in out if layer]


def _lines(pic: Picture, n: PNode, inner: int) -> list[str]:
    lines = [shown(line) for line in node_lines(pic, n, note_width=None)]  # the note is wrapped below
    if n.context:
        lines.append("in " + shown(n.context))
    for e in pic.edges:
        if e.target == n.id:
            lines.append(f"← {e.source} · {shown(e.label)}")
            if pic.mode == "reverse" and e.contribution is not None:
                lines.append(f"   v\u0304{e.source[1:]} += {short(e.contribution)}" if e.source.startswith("v")
                             else f"   += {short(e.contribution)}")
    out: list[str] = []
    for line in lines:
        out.extend(textwrap.wrap(line, inner, break_on_hyphens=False, subsequent_indent="   ") or [""]
                   if width_of(line) > inner else [line])
    if n.note is not None:
        prefix = "⚠ kink: " if n.note_kind == "kink" else "⚠ "
        out.extend(textwrap.wrap(prefix + shown(n.note), inner, subsequent_indent="  "))
    return out


def _box(lines: list[str], dashed: bool) -> list[str]:
    w = max(width_of(line) for line in lines)
    h, v = ("┄", "┆") if dashed else ("─", "│")
    top = "╭" + h * (w + 2) + "╮"
    rows = [f"{v} {line}{' ' * (w - width_of(line))} {v}" for line in lines]
    return [top, *rows, "╰" + h * (w + 2) + "╯"]


def header(pic: Picture) -> list[str]:
    """What the numbers are: the output's value and the gradient read off the picture."""
    out = [pic.by_id[o] for o in pic.outputs]
    lines = []
    if len(out) == 1:
        lines.append(f"f = {short(out[0].value)} (node {out[0].id})")
    inputs = [pic.by_id[i] for i in pic.inputs]
    if pic.mode == "reverse" and inputs:
        lines.append("reverse mode: v\u0304 = ∂f/∂v (one sweep back from v\u0304 = 1 at the output); gradient "
                     + ", ".join(f"∂f/∂{shown(n.name or n.id)} = {short(n.adjoint)}" for n in inputs))
    elif pic.mode == "forward" and len(out) == 1 and out[0].tangent is not None:
        cols = pic.columns if len(pic.columns) == len(out[0].tangent) else [str(i + 1) for i in
                                                                              range(len(out[0].tangent))]
        lines.append("forward mode: v\u0307 = (" + ", ".join(f"∂v/∂{shown(c)}" for c in cols) + "); gradient "
                     + ", ".join(f"∂f/∂{shown(c)} = {short(t)}" for c, t in zip(cols, out[0].tangent)))
    lines.append("each box lists the edges into it: ← parent · ∂(this)/∂(parent)"
                 + ("; v̄parent += what flowed back" if pic.mode == "reverse" else ""))
    return lines


def render_text(pic: Picture, width: int = 80) -> str:
    """The drawing (or, past ``MAX_TEXT_NODES`` nodes, the summary); see the module docstring."""
    if len(pic.nodes) > MAX_TEXT_NODES:
        return summary(pic)
    inner = max(20, width - 4)
    out = [part for line in header(pic) for part in textwrap.wrap(line, width, subsequent_indent="  ")]
    for k, layer in enumerate(layers(pic)):
        out.append("")
        out.append(f"── layer {k}" + (" (inputs) " if k == 0 else " ") + "─" * max(0, min(width, 40) - 12 - k // 10))
        boxes = [_box(_lines(pic, n, inner), n.op == "collapsed") for n in layer]
        row: list[list[str]] = []
        used = 0
        for b in boxes + [None]:  # type: ignore[list-item]
            bw = width_of(b[0]) if b is not None else 0
            if row and (b is None or used + 2 + bw > width):
                height = max(len(x) for x in row)
                for i in range(height):
                    out.append("  ".join((x[i] if i < len(x) else " " * width_of(x[0])) for x in row).rstrip())
                row, used = [], 0
            if b is not None:
                row.append(b)
                used += bw + (2 if len(row) > 1 else 0)
    return "\n".join(out)


def summary(pic: Picture) -> str:
    """A big graph in a few lines, and how to draw it."""
    n_layers = len(layers(pic))
    lines = [f"The graph has {len(pic.nodes):,} nodes and {len(pic.edges):,} edges in {n_layers:,} layers: "
             "too many to draw as text.",
             "Draw it with --format svg -o graph.svg (or --format dot, --format json); --max-nodes N draws fewer."]
    lines.extend(header(pic)[:2])
    for n in pic.nodes:
        if n.op == "collapsed":
            where = f" (in {shown(n.context)})" if n.context else ""
            lines.append(f"{n.id}: {n.definition}{where}")
    for n in pic.nodes:
        if n.note is not None:
            lines.append(f"⚠ {n.id} = {shown(n.definition)}: {shown(n.note)}")
    return "\n".join(part for line in lines
                     for part in textwrap.wrap(line, 80, subsequent_indent="  ", break_on_hyphens=False))
