"""Results as HTML tables, for Jupyter (``_repr_html_`` of every API result).

Contract: ``result_html(result)`` is one ``<table>`` read from the result's JSON shape
(``adcalc.present.jsonout``): a row per scalar field (``value``), a row per input for a mapping
(``gradient``: input → ∂f/∂input), a nested table for a matrix (``jacobian``, ``hessian``), and the
warnings' messages below.  Every text is HTML-escaped.  No math here.
"""

from __future__ import annotations

from html import escape


def _cell(v: object) -> str:
    if isinstance(v, list):
        if v and all(isinstance(row, list) for row in v):
            rows = "".join("<tr>" + "".join(f"<td>{_cell(x)}</td>" for x in row) + "</tr>" for row in v)
            return f"<table>{rows}</table>"
        return "[" + ", ".join(_cell(x) for x in v) + "]"
    if isinstance(v, float):
        return escape(repr(v))
    return escape(str(v))


def result_html(result: object) -> str:
    """The result as an HTML table (see the module docstring)."""
    import json

    from adcalc.present.jsonout import dumps, result_json

    data = json.loads(dumps(result_json("", result)))  # type: ignore[arg-type]  # plain lists and numbers
    rows = []
    for key, v in data.items():
        if key in ("warnings", "trace", "adjoint_updates"):
            continue
        if isinstance(v, dict):
            rows.append(f'<tr><th colspan="2" style="text-align:left">{escape(key)}</th></tr>')
            rows.extend(f"<tr><td>{escape(str(k))}</td><td>{_cell(x)}</td></tr>" for k, x in v.items())
        else:
            rows.append(f"<tr><th style=\"text-align:left\">{escape(key)}</th><td>{_cell(v)}</td></tr>")
    notes = "".join(f"<p>⚠ {escape(w['message'])}</p>" for w in data.get("warnings", ()))  # type: ignore
    return f'<table class="adcalc-result">{"".join(rows)}</table>{notes}'
