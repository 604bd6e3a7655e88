"""A picture as JSON (``adcalc graph --format json``).

Contract (issue #17): ``{"nodes": [{"id": "v1", "op": "input", "name": "x1", "definition": "x1",
"value": 1.0, "tangent": [1.0, 0.0] | "adjoint": 18.78, "line": 1, "column": 5, "context": ""}, …],
"edges": [{"from": "v1", "to": "v3", "partial": 2.0, "partial_text": "2"}, …], "inputs": ["v1",
"v2"], "outputs": ["v9"]}`` — numbers are the run's floats (arrays as nested lists; a non-finite
number as the string "nan"/"inf"/"-inf", as everywhere in adcalc's JSON).  Beyond the contract,
kept small: an edge's argument ``position`` (two edges between the same nodes, ``x*x``, differ by
it) and in reverse mode its ``contribution``; a node's ``note`` (a kink or the first non-finite
value) when it has one; a left-out loop is a node of op "collapsed"; and ``clusters`` (id, label,
parent, nodes), ``mode``.
"""

from __future__ import annotations

from adcalc.present.pictures.model import Picture


def picture_json(pic: Picture) -> dict[str, object]:
    nodes = []
    for n in pic.nodes:
        item: dict[str, object] = {"id": n.id, "op": n.op, "name": n.name, "definition": n.definition,
                                   "value": n.value}
        if n.op != "collapsed":
            if pic.mode == "forward":
                item["tangent"] = list(n.tangent or ())
            else:
                item["adjoint"] = n.adjoint if n.adjoint is not None else 0.0
        item.update({"line": n.line, "column": n.column, "context": n.context})
        if n.note is not None:
            item["note"] = {"kind": n.note_kind, "message": n.note}
        nodes.append(item)
    edges = []
    for e in pic.edges:
        item = {"from": e.source, "to": e.target, "partial": e.partial, "partial_text": e.partial_text,
                "position": e.position}
        if pic.mode == "reverse":
            item["contribution"] = e.contribution
        edges.append(item)
    clusters = [{"id": c.id, "label": c.label, "parent": c.parent, "nodes": c.nodes} for c in pic.clusters]
    return {"mode": pic.mode, "nodes": nodes, "edges": edges, "inputs": pic.inputs, "outputs": pic.outputs,
            "clusters": clusters}
