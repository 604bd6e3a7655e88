"""The page's data: the recorded run's nodes and edges and the steps of its sweeps, with their text.

Contract: ``page_data(sweeps)`` reads the graphs recorded by ``adcalc.ops.sweeps`` (nodes, edges
with their local partials, ``updates`` = the backward sweep in the order it ran) and returns a
JSON-ready dict: ``nodes`` (id ``v3``, definition, value, tangents, final adjoint, where it ran),
``edges`` (id ``edge-v1-v3-p0``: parent, child, argument position, the partial's text and
number), ``columns`` (the tangent directions) and ``steps``, in the order the page shows them:

- the forward sweep, one step per node: forward mode gives the value and the tangent rule with
  its numbers (``v̇3 = 2·v̇1 = 2·1 = 2``); reverse mode alone gives the value (the recording);
- the backward sweep (reverse): the output's seed ``v̄N = ȳ = 1``, then one step per update
  ``v̄2 += v̄3 · cos(v2)`` with its contribution and the running adjoint;
- the result: the gradient read off the output's tangents and/or the inputs' adjoints.

Every step has ``title`` and ``lines`` (its text), the node and edges to light, ``context`` (the
loop iteration and call it ran in), and, where the learner can be quizzed, ``question`` (the
lines with the answer left out) and ``answers`` (label, number).  Numbers are JSON numbers at
full precision (nan and ±inf as strings); texts show them as the tables do.  User text (names,
the source) is data here; the page never makes it markup.  No math: every number was recorded.
"""

from __future__ import annotations

from adcalc.errors import shown
from adcalc.ops.driver import labels
from adcalc.ops.sweeps import Sweeps
from adcalc.present.plain import num
from adcalc.present.traces import bar, context_text, definition, partial_of, shown_args, update_text
from adcalc.rules.registry import REGISTRY, atomic
from adcalc.rules.shapes import is_array
from adcalc.transform.graph import Graph, Node, Update

DOT = "\u0307"  # v̇: the tangent's dot


def dot(node: int) -> str:
    return f"v{DOT}{node}"


def jnum(v: object) -> object:
    """A number (or array) for JSON: floats as they are, nan and ±inf as strings, arrays as lists."""
    if v is None:
        return None
    if is_array(v):
        return [jnum(x) for x in v.tolist()] if getattr(v, "ndim", 0) else jnum(float(v))  # type: ignore[union-attr]
    if isinstance(v, list):
        return [jnum(x) for x in v]
    f = float(v)  # type: ignore[arg-type]
    if f != f:
        return "nan"
    if f in (float("inf"), float("-inf")):
        return "inf" if f > 0 else "-inf"
    return f


def full(v: object) -> str:
    """A float at full precision (the digits ``--json`` prints)."""
    j = jnum(v)
    return repr(j) if isinstance(j, float) else num(v)  # type: ignore[arg-type]


def _p(text: str) -> str:
    """A number as an operand: parenthesized when it is not an atom (``(-0.5)``)."""
    return text if atomic(text) else f"({text})"


def _wrap(partial: str) -> str:
    """A partial as a factor, parenthesized as ``update_text`` does (``(-sin(v2))``)."""
    return f"({partial})" if " " in partial or partial.startswith("-") else partial


def _literal(text: str) -> bool:
    """Whether a partial with its numbers is already a number (``(-1)``, ``2``)."""
    try:
        float(text.strip("()"))
    except ValueError:
        return False
    return True


def _numbers(graph: Graph, node: Node) -> list[str]:
    """A node's arguments with the numbers they had (``2``, ``1.5``): the definition with numbers."""
    out = shown_args(node)
    for i, a in enumerate(node.args):
        if a.kind == "node":
            out[i] = num(graph.node(a.node).value)  # type: ignore[arg-type]
    return out


def _is_num(v: object) -> bool:
    return type(v) is float


# ---- nodes and edges ------------------------------------------------------------------------------

def _nodes(graph: Graph, sweeps: Sweeps) -> list[dict[str, object]]:
    outputs = {o for o in graph.outputs if o is not None}
    reverse = sweeps.reverse.trace if sweeps.reverse is not None else None
    rows = []
    for n in graph.nodes:
        adj = reverse.node(n.id).adjoint if reverse is not None else None  # type: ignore[attr-defined]
        rows.append({
            "id": f"v{n.id}", "op": n.op, "definition": definition(n), "input": n.op == "input",
            "output": n.id in outputs, "value": jnum(n.value), "value_text": num(n.value),  # type: ignore[arg-type]
            "tangent": [jnum(t) for t in n.tangent] if n.tangent is not None else None,
            "adjoint": jnum(adj), "var": n.var, "context": context_text(n.context),
            "line": n.span.line if n.span else None, "column": n.span.column if n.span else None,
            "active": n.active,
        })
    return rows


def _edges(graph: Graph) -> list[dict[str, object]]:
    out = []
    for e in graph.edges:
        child = graph.node(e.child)
        prim = REGISTRY[child.op]
        text = prim.show_partial(e.position, shown_args(child)) if prim.elementwise else ""
        out.append({"id": edge_id(e.parent, e.child, e.position), "from": f"v{e.parent}", "to": f"v{e.child}",
                    "position": e.position, "partial": jnum(e.partial), "partial_text": text})
    return out


def edge_id(parent: int, child: int, position: int) -> str:
    """The SVG id of the edge parent → child through the child's argument ``position``."""
    return f"edge-v{parent}-v{child}-p{position}"


def columns(graph: Graph) -> list[str]:
    """The names of the tangent directions: an input's name for each unit seed (``x1``)."""
    names = []
    for j, seed in enumerate(graph.seeds):
        hot = [(k, v) for k, v in seed.items() if (v != 0.0 if _is_num(v) else bool(v.any()))]  # type: ignore
        if len(hot) == 1 and _is_num(hot[0][1]) and hot[0][1] == 1.0:
            names.append(hot[0][0])
        elif len(hot) == 1 and not _is_num(hot[0][1]) and hot[0][1].sum() == 1.0:  # type: ignore[union-attr]
            k, v = hot[0]
            names.append(labels(k, v)[int(v.argmax())])  # type: ignore[union-attr]
        else:
            names.append(f"d{j + 1}")
    return names


# ---- the forward sweep ------------------------------------------------------------------------------

def _value_line(graph: Graph, n: Node) -> tuple[str, str]:
    """(``v3 = 2·v1 = 2·1``, the value's text) — for an input ``v1 = x1``."""
    if n.op == "input":
        return f"v{n.id} = {shown(n.var or '')}", num(n.value)  # type: ignore[arg-type]
    prim = REGISTRY[n.op]
    head = f"v{n.id} = {definition(n)}"
    if any(a.kind == "node" for a in n.args) and prim.elementwise and not is_array(n.value):
        head += f" = {prim.show(_numbers(graph, n), pretty=True, params=n.params)}"
    return head, num(n.value)  # type: ignore[arg-type]


def _tangent_terms(graph: Graph, n: Node) -> tuple[str, list[tuple[str | None, int]]] | None:
    """The tangent rule ``2·v̇1 + v̇2`` and each term's (the partial as a number — None where the
    rule writes no factor —, parent) — None when a partial is not a number (an array rule)."""
    edges = graph.edges_into(n.id)
    if not edges or any(not _is_num(e.partial) for e in edges):
        return None
    prim = REGISTRY[n.op]
    sym, terms = [], []
    for e in edges:
        pt = prim.show_partial(e.position, shown_args(n))
        factor = "" if pt == "1" else ("-" if pt == "-1" else f"{_p(pt) if ' ' in pt else pt}·")
        sym.append(f"{factor}{dot(e.parent)}")
        terms.append((None if pt == "1" else num(e.partial), e.parent))  # type: ignore[arg-type]
    return " + ".join(sym).replace("+ -", "- "), terms


def _forward_step(graph: Graph, n: Node, cols: list[str], tangents: bool) -> dict[str, object]:
    head, value = _value_line(graph, n)
    step: dict[str, object] = {"sweep": "forward", "kind": "input" if n.op == "input" else "node",
                               "node": f"v{n.id}", "context": context_text(n.context),
                               "edges": [edge_id(e.parent, e.child, e.position) for e in graph.edges_into(n.id)]}
    if not tangents:  # reverse mode's forward sweep: the values, recorded on the tape
        lines = [f"{head} = {value}"]
        if n.op == "input":
            lines.append("an input: its value is given")
        else:
            step.update(question=[f"{head} = ?"],
                        answers=[{"label": f"v{n.id}", "value": jnum(n.value)}] if _is_num(n.value) else [])
        lines.append("(the forward sweep records this step on the tape; its adjoint comes in the backward sweep)")
        step["lines"] = lines
        return step
    tangent = list(n.tangent or ())
    lines = [f"{head} = {value}"]
    if n.op == "input":
        seeds = ", ".join(f"{num(t)} along {shown(c)}" for t, c in zip(tangent, cols))  # type: ignore[arg-type]
        lines.append(f"{dot(n.id)} = {seeds}: the seed (one direction per input)")
        step["lines"] = lines
        return step
    rule = _tangent_terms(graph, n)
    if not graph.edges_into(n.id):
        lines.append(f"{dot(n.id)} = 0: v{n.id} does not depend on the inputs")
        step["lines"] = lines
        return step
    if rule is None:
        lines.append(f"{dot(n.id)} = " + ", ".join(f"{num(t)} along {shown(c)}"  # type: ignore[arg-type]
                                                  for t, c in zip(tangent, cols)) + f" (the {n.op} rule's J·v̇)")
        step["lines"] = lines
        return step
    sym, terms = rule
    question = [lines[0]]
    for j, c in enumerate(cols):
        parents = [(pn, graph.node(p).tangent[j]) for pn, p in terms]  # type: ignore[index]
        nums = " + ".join(_p(tn) if pn is None else f"{_p(pn)}·{_p(tn)}"
                          for pn, tn in ((pn, num(t)) for pn, t in parents))  # type: ignore[arg-type]
        along = f" along {shown(c)}" if len(cols) > 1 else ""
        lhs, result = f"{dot(n.id)}{along} = {sym} = {nums}", num(tangent[j])  # type: ignore[arg-type]
        lines.append(lhs if nums == result else f"{lhs} = {result}")
        question.append(f"{lhs} = ?")
    if all(_is_num(t) for t in tangent):
        step["question"] = question
        step["answers"] = [{"label": f"{dot(n.id)}" + (f" along {c}" if len(cols) > 1 else ""), "value": jnum(t)}
                           for t, c in zip(tangent, cols)]
    step["lines"] = lines
    return step


# ---- the backward sweep -----------------------------------------------------------------------------

def _seed_step(graph: Graph, out: int, w: object) -> dict[str, object]:
    return {"sweep": "backward", "kind": "seed", "node": f"v{out}", "edges": [], "context": "",
            "lines": [f"{bar(out)} = ȳ = {num(w)}: the backward sweep starts at the output (∂f/∂f = 1); "  # type: ignore
                      "every other adjoint starts at 0"],
            "adjoint": {"node": f"v{out}", "value": jnum(w)}}


def _update_step(graph: Graph, u: Update, before: object) -> dict[str, object]:
    source = graph.node(u.source)
    partial, value, rule = partial_of(graph, u)
    text = update_text(u.target, u.source, partial, rule)
    step: dict[str, object] = {
        "sweep": "backward", "kind": "update", "node": f"v{u.target}", "source": f"v{u.source}",
        "edges": [edge_id(u.target, u.source, u.position)], "context": context_text(source.context),
        "update": text, "contribution": jnum(u.contribution), "adjoint": {"node": f"v{u.target}",
                                                                          "value": jnum(u.running)}}
    contribution, running = num(u.contribution), num(u.running)  # type: ignore[arg-type]
    src = num(source.adjoint)  # type: ignore[arg-type]
    if rule is None and _is_num(value) and _is_num(u.contribution):
        prim = REGISTRY[source.op]
        with_numbers = prim.show_partial(u.position, _numbers(graph, source))
        if partial in ("1", "-1"):
            sign = partial[:-1]
            how = f"{sign}{bar(u.source)}" + (f" = {sign}{_p(src)}" if sign else "")
            product = f"{sign}{_p(src)}"
        else:
            how = f"{bar(u.source)} · {_wrap(partial)} = {_p(src)} · {_wrap(with_numbers)}"
            if not _literal(with_numbers):
                how += f" = {_p(src)} · {_p(num(value))}"  # type: ignore[arg-type]
            product = f"{_p(src)} · {_wrap(with_numbers)}"
        contrib_line = f"contribution: {how} = {contribution}"
        step["question"] = [text, f"{bar(u.target)} = {num(before)} + {product} = ?"]  # type: ignore[arg-type]
        step["answers"] = [{"label": bar(u.target), "value": jnum(u.running)}] if _is_num(u.running) else []
    else:
        contrib_line = f"contribution: {contribution}"
    step["lines"] = [text, contrib_line,
                     f"{bar(u.target)} = {num(before)} + {_p(contribution)} = {running}"]  # type: ignore[arg-type]
    return step


def _backward(graph: Graph) -> list[dict[str, object]]:
    steps = []
    so_far: dict[int, object] = {}
    for out, w in zip(graph.outputs, graph.output_seeds):
        if out is not None and w != 0.0:
            steps.append(_seed_step(graph, out, w))
            so_far[out] = w
    for u in graph.updates:
        steps.append(_update_step(graph, u, so_far.get(u.target, 0.0)))
        so_far[u.target] = u.running
    return steps


# ---- the result ---------------------------------------------------------------------------------------

def _result_step(sweeps: Sweeps, graph: Graph, cols: list[str]) -> dict[str, object]:
    lines = []
    by_name = {n.var: n.id for n in graph.nodes if n.op == "input"}
    out = graph.outputs[0] if graph.outputs else None
    if sweeps.forward is not None:
        lines.append("forward mode: the gradient is the output's tangent, one entry per direction")
        for name, g in sweeps.forward.gradient.items():
            if out is None:
                lines.append(f"  ∂f/∂{shown(name)} = {full(g)} (the result does not depend on the inputs)")
            else:
                along = shown(name) if name in cols else f"each entry of {shown(name)}"
                lines.append(f"  ∂f/∂{shown(name)} = {dot(out)} along {along} = {full(g)}")
    if sweeps.reverse is not None:
        lines.append("reverse mode: the gradient is read off the inputs' adjoints")
        for name, g in sweeps.reverse.gradient.items():
            if name in by_name:
                lines.append(f"  ∂f/∂{shown(name)} = {bar(by_name[name])} = {full(g)}")
            else:
                lines.append(f"  ∂f/∂{shown(name)} = {full(g)} ({shown(name)} is not used)")
    first = sweeps.forward or sweeps.reverse
    return {"sweep": "result", "kind": "result", "node": f"v{out}" if out is not None else None, "edges": [],
            "context": "", "lines": lines, "value": jnum(first.value),  # type: ignore[union-attr]
            "gradient": {k: jnum(v) for k, v in first.gradient.items()}}  # type: ignore[union-attr]


def _warned(graph: Graph, warnings: list) -> dict[int, str]:
    """The node each warning (a kink, the first non-finite value) was raised at: the first node
    made at its source position by its operation."""
    out: dict[int, str] = {}
    for w in warnings:
        if w.span is None:
            continue
        for n in graph.nodes:
            if n.span == w.span and (w.operation is None or n.op == w.operation) and n.id not in out:
                out[n.id] = shown(w.message)
                break
    return out


def page_data(sweeps: Sweeps, title: str, source: str) -> dict[str, object]:
    """Everything the page shows, JSON-ready (see the module's contract)."""
    graph: Graph = sweeps.graph  # type: ignore[assignment]
    cols = columns(sweeps.forward.trace) if sweeps.forward is not None else []  # type: ignore[union-attr]
    steps = [_forward_step(graph, n, cols, sweeps.forward is not None) for n in graph.nodes]
    first = sweeps.forward or sweeps.reverse
    for node_id, message in _warned(graph, first.warnings).items():  # type: ignore[union-attr]
        steps[node_id - 1]["lines"].append(f"⚠ {message}")  # type: ignore[union-attr]
        steps[node_id - 1]["warning"] = message
    if sweeps.reverse is not None:
        steps += _backward(sweeps.reverse.trace)  # type: ignore[arg-type]
    steps.append(_result_step(sweeps, graph, cols))
    return {
        "title": title, "source": shown(source, newlines=True), "mode": sweeps.mode,
        "inputs": list(first.inputs), "columns": cols,  # type: ignore[union-attr]
        "nodes": _nodes(graph, sweeps), "edges": _edges(graph), "steps": steps,
        "warnings": [shown(w.message) for w in first.warnings],  # type: ignore[union-attr]
    }
