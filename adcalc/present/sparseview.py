"""Sparse Jacobians and Hessians for people and programs: a spy plot of the pattern, the nonzeros,
and how many sweeps the colouring saved; the JSON shape with ``"sparsity"``.

Contract: ``VIEWS`` and ``SHAPES`` map ``SparseJacobianResult``/``SparseHessianResult`` to their
table view and JSON shape (``adcalc.present.render``/``jsonout`` look them up here on first use).
JSON: ``{"value", "inputs", "shape": [m, n], "rows", "columns", "sparsity": {"nonzeros": [[i, j], …],
"colors": K, "sweeps": K}, "nonzeros": [values, one per pattern entry]}``, plus ``"jacobian"`` /
``"hessian"`` (the full matrix) when the result carries it, and ``"gradient"`` for a Hessian.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.text import Text

from adcalc.ops.sparse import SparseHessianResult, SparseJacobianResult
from adcalc.present.console import table
from adcalc.present.plain import num
from adcalc.present.plain import value_text as _value

MAX_LISTED = 20  # nonzeros listed in the table view when the full matrix is not shown
MAX_SPY_CELLS = 120  # a larger pattern is drawn in blocks, at most this many blocks (dots) across and down


def spy(nonzeros: list, m: int, n: int) -> list[str]:
    """The pattern as text: one character per entry (● nonzero, · zero) when it fits in 60×60,
    else Braille cells (2 × 4 dots each; a dot is set when its block of entries has a nonzero)."""
    if m <= 60 and n <= 60:
        grid = [["·"] * n for _ in range(m)]
        for i, j in nonzeros:
            grid[i][j] = "●"
        return ["".join(row) for row in grid]
    block = max(1, -(-max(m, n) // MAX_SPY_CELLS))
    lines, cols = -(-m // (4 * block)), -(-n // (2 * block))
    cells = [[0] * cols for _ in range(lines)]
    dots = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
    for i, j in nonzeros:
        r, c = i // block, j // block
        cells[r // 4][c // 2] |= dots[r % 4][c % 2]
    return ["".join(chr(0x2800 + bits) for bits in row) for row in cells]


def _how(r: Any, what: str) -> str:
    n = r.shape[1]
    how = "compressed forward mode, one sweep per column colour (distance-1 colouring)" if what == "Jacobian" \
        else "one Hessian-vector product per colour (star colouring)"
    return f"{r.colors:,} sweep{'s' if r.colors != 1 else ''} instead of {n:,} · {how}"


def _view(what: str) -> Callable[[Console, Any, dict, str], None]:
    def view(console: Console, r: Any, point: dict, head: str) -> None:
        m, n = r.shape
        console.print(Text(f"{head} = {_value(r.value) if what == 'Jacobian' else num(r.value)}", style="bold"))
        density = 100.0 * len(r.nonzeros) / (m * n) if m * n else 0.0
        console.print(Text(f"{what} sparsity pattern: {len(r.nonzeros):,} nonzeros of {m:,} × {n:,} "
                           f"({density:.3g}%), {r.colors:,} colour{'s' if r.colors != 1 else ''}"))
        for line in spy(r.nonzeros, m, n):
            console.print(Text(line), soft_wrap=True)
        caption = _how(r, what)
        if r.dense is not None and n <= 200:
            t = table("", *[f"∂/∂{c}" for c in r.columns], caption=caption)
            for label, row in zip(r.rows, r.dense):
                t.add_row(label, *[num(x) for x in row])
            t.print(console)
            return
        t = table("row", "column", "value", caption=caption, numeric_from=2)
        for (i, j), v in list(zip(r.nonzeros, r.values))[:MAX_LISTED]:
            t.add_row(r.rows[i], r.columns[j], num(v))
        t.print(console)
        if len(r.nonzeros) > MAX_LISTED:
            console.print(Text(f"… and {len(r.nonzeros) - MAX_LISTED:,} more nonzeros (--json gives them all)",
                               style="dim"))

    return view


def _shape(what: str) -> Callable[[Any], dict[str, object]]:
    def shape(r: Any) -> dict[str, object]:
        value = r.value if what == "hessian" or isinstance(r.value, list) or hasattr(r.value, "shape") else [r.value]
        out: dict[str, object] = {"value": value, "inputs": r.inputs, "shape": list(r.shape), "rows": r.rows,
                                  "columns": r.columns,
                                  "sparsity": {"nonzeros": r.nonzeros, "colors": r.colors, "sweeps": r.sweeps},
                                  "nonzeros": r.values}
        if what == "hessian":
            out["gradient"] = r.gradient
        if r.dense is not None:
            out[what] = r.dense
        return out

    return shape


VIEWS = {SparseJacobianResult: _view("Jacobian"), SparseHessianResult: _view("Hessian")}
SHAPES = {SparseJacobianResult: _shape("jacobian"), SparseHessianResult: _shape("hessian")}
