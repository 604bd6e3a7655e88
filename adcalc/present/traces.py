"""Traces for people and programs: the Wengert-list tables and their JSON.  No math here.

Contract: every function reads a recorded run (``adcalc.transform.trace``) and formats it.
Traces read like the seed documents' tables: forward mode shows one tangent column per seed;
reverse mode shows the forward sweep with the adjoints and then the backward sweep as
``v̄2 += v̄3 · cos(v2)`` updates; Taylor mode shows every node's coefficients.  ``trace_json``
gives the ``"trace"`` and ``"adjoint_updates"`` of ``--json --trace``.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from adcalc.present.console import table as _table
from adcalc.present.plain import num
from adcalc.transform.trace import Trace, TraceRow


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


def trace_json(trace: Trace) -> dict[str, object]:
    rows = []
    for row in trace.rows:
        item: dict[str, object] = {
            "node": f"v{row.node}",
            "op": row.op,
            "args": list(row.args) if row.op != "input" else [],
            "definition": row.definition,
            "value": row.value,
            "line": row.span.line if row.span else None,
            "column": row.span.column if row.span else None,
            "variable": row.var,
            "context": row.context or None,
        }
        if trace.mode == "forward":
            item["tangent"] = list(row.tangent or ())
        elif trace.mode == "taylor":
            item["coefficients"] = list(row.coefficients or ())
        else:
            item["adjoint"] = row.adjoint if row.adjoint is not None else 0.0
        rows.append(item)
    out: dict[str, object] = {"trace": rows}
    if trace.mode == "reverse":
        out["adjoint_updates"] = [
            {"update": update_text(u.target, u.source, u.partial, u.rule), "target": f"v{u.target}",
             "source": f"v{u.source}", "partial": u.partial, "partial_value": u.partial_value,
             "contribution": u.contribution, "adjoint": u.running}
            for u in trace.updates]
    return out


def _trace_columns(trace: Trace) -> list[str]:
    """The leading columns of a trace table: node, definition, and var / where when used."""
    has_var = any(r.var and r.op != "input" for r in trace.rows)
    has_where = any(r.context for r in trace.rows)
    return ["node", "definition"] + (["var"] if has_var else []) + (["where"] if has_where else [])


def _row_head(r: TraceRow, columns: Sequence[str]) -> list[str]:
    cells = [f"v{r.node}", f"{r.definition} (input)" if r.op == "input" else r.definition]
    if "var" in columns:
        cells.append(r.var or "")
    if "where" in columns:
        cells.append(r.context)
    return cells


def render_forward_trace(console: Console, trace: Trace, column_names: Sequence[str], caption: str) -> None:
    head = _trace_columns(trace)
    cols = head + ["value"] + [f"v\u0307 = {name}" for name in column_names]
    t = _table(*cols, title="Forward mode: each node's value and tangent", numeric_from=len(head))
    for r in trace.rows:
        t.add_row(*_row_head(r, head), num(r.value), *[num(x) for x in (r.tangent or ())])
    t.caption = caption
    t.print(console)


def render_reverse_trace(console: Console, trace: Trace) -> None:
    head = _trace_columns(trace)
    t = _table(*head, "value", "adjoint v\u0304 = ∂f/∂v", numeric_from=len(head),
               title="Forward sweep: the Wengert list (adjoints as the backward sweep left them)")
    for r in trace.rows:
        t.add_row(*_row_head(r, head), num(r.value), num(r.adjoint if r.adjoint is not None else 0.0))
    t.print(console)
    console.print()
    b = _table("step", "update", "contribution", "adjoint after", title="Backward sweep, in the order it ran",
               caption="1 reverse sweep", numeric_from=2)
    for out, w in zip(trace.outputs, trace.output_seeds):
        if out is not None and w != 0.0:
            b.add_row("", f"{bar(out)} = y\u0304 = {num(w)}", "", num(w))
    for i, u in enumerate(trace.updates, 1):
        b.add_row(str(i), update_text(u.target, u.source, u.partial, u.rule), num(u.contribution), num(u.running))
    inputs = [r for r in trace.rows if r.op == "input"]
    b.print(console)
    if inputs:
        console.print(Text("gradient read off the inputs' adjoints: " + ", ".join(
            f"∂f/∂{r.definition} = {bar(r.node)} = {num(r.adjoint)}" for r in inputs)))
    console.print()
