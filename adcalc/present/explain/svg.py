"""The drawing of the recorded run that the explain page lights up.

Contract: ``graph_svg(graph)`` returns one ``<svg class="graph">`` element in which every node is
a ``<g id="node-v3">`` and every edge a ``<g id="edge-v1-v3-p0">`` (parent, child, the child's
argument position): the page finds what to light by these ids and nothing else.  It is
``adcalc graph``'s own picture (``present.pictures``: the layered layout of grandalf, the same
bytes on every machine, Graphviz or not), drawn with definitions and symbolic partials only —
the page reveals each value, tangent and adjoint at its step, and a quiz must not show them
beforehand.  All text is escaped by the picture's writer.
"""

from __future__ import annotations

from adcalc.present.pictures.model import picture
from adcalc.present.pictures.svg import render_svg
from adcalc.transform.graph import Graph


def graph_svg(graph: Graph) -> str:
    """The graph as an SVG element with ``node-vK`` and ``edge-vA-vB-pK`` groups (see the contract)."""
    pic = picture(graph)
    pic.numbers = False
    svg = render_svg(pic, layout="grandalf")
    return svg.replace("<svg ", '<svg class="graph" role="img" aria-label="the computational graph" ', 1)
