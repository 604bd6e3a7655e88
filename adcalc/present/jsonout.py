"""The JSON contract of the command line (``--json``): exact shapes, no math, no printing.

Shapes (other programs rely on them)::

    eval:     {"value": V}
    grad:     {"value": V, "gradient": {NAME: G, ...}}
    jvp:      {"value": V, "tangent": T}
    vjp:      {"value": [...], "cotangent_result": {NAME: G, ...}}
    jacobian: {"value": [...], "inputs": [NAMES], "jacobian": [[d out_i / d in_j, ...], ...]}
              with arrays also "rows": ["f[0]", …], "columns": ["x[0]", …, "y"] and "layout"
    hessian:  {"value": V, "inputs": [NAMES], "gradient": {NAME: G, ...}, "hessian": [[...], ...]}, with arrays
              also "rows"/"columns" (the input entries) and "layout"; a vector-valued source gives
              "outputs": ["f[0]", …], "gradients": [{...}, …] and "hessians": [[[...]], …] (one per output entry)
    errors:   {"error": {"kind": K, "message": M, "line": L, "column": C}}

Numbers are JSON numbers at full precision (shortest repr that round-trips); nan and ±inf are
the strings "nan", "inf", "-inf".  An array (a value, a gradient with respect to an array
input) is a nested list in row-major order.  ``"warnings"`` (a list of objects) is added when a run has
any; ``--trace`` adds ``"trace"`` (the rows) and, in reverse mode, ``"adjoint_updates"``.
``result_json`` finds a result's shape by its class in ``SHAPES`` (a new result class needs one
entry there).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from adcalc.errors import AdcalcError, shown
from adcalc.ops import results as R

TYPE_CHECKING = False  # typing itself is not imported: the one-shot --json path imports this module
if TYPE_CHECKING:
    from typing import Any


def number(v: float) -> float | str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def _numbers(v: object) -> object:
    if isinstance(v, float):
        return number(v)
    if hasattr(v, "tolist"):  # a NumPy array (or scalar)
        return _numbers(v.tolist())
    if isinstance(v, list | tuple):
        return [_numbers(x) for x in v]
    if isinstance(v, dict):
        return {k: _numbers(x) for k, x in v.items()}
    return v


def _as_list(v: float | list[float]) -> object:
    """A value that is a list of outputs, or a NumPy array (the output's own shape), as it is; a number in a list."""
    return v if isinstance(v, list) or hasattr(v, "shape") else [v]


def result_json(command: str, r: R.Result) -> dict[str, object]:
    """The JSON object of any result: the shape registered for its class (``SHAPES``), then its
    warnings and trace.  ``command`` is the command that made it (the shape does not depend on it)."""
    out = shape_of(type(r))(r)
    if r.warnings:
        out["warnings"] = [w.to_json() for w in r.warnings]
    if r.trace is not None:
        from adcalc.present.traces import trace_json  # Rich is imported only when a trace is shown

        out.update(trace_json(r.trace))
    return out


def _jacobian_json(r: Any) -> dict[str, object]:
    out = {"value": _as_list(r.value), "inputs": r.inputs, "jacobian": r.jacobian}
    if r.arrays:
        out["rows"], out["columns"] = r.rows, r.columns
        out["layout"] = ("rows are the output entries and columns the input entries, arrays flattened in "
                         "row-major (C) order, inputs in --wrt (else --at) order")
    return out


def _check_json(r: Any) -> dict[str, object]:
    return {"value": r.value, "ok": r.ok, "tolerances": r.tolerances,
            "entries": [{"output": e.output, "input": e.input, "forward": e.forward, "reverse": e.reverse,
                         "central": e.central, "one_sided": e.one_sided,
                         "errors": {"forward_vs_reverse": e.forward_reverse_error, "central": e.central_error,
                                    "one_sided": e.one_sided_error, "best_central": e.best_central_error},
                         "sweep": [{"delta": s.delta, "central": s.central, "central_error": s.central_error,
                                    "one_sided": s.one_sided, "one_sided_error": s.one_sided_error}
                                   for s in e.sweep],
                         "ok": e.ok, "deltas": {"central": e.central_delta, "one_sided": e.one_sided_delta}}
                        for e in r.entries],
            "dot_test": r.dot_test}


def _hessian_json(r: Any) -> dict[str, object]:
    if r.hessians is None:
        out = {"value": r.value, "inputs": r.inputs, "gradient": r.gradient, "hessian": r.hessian}
    else:  # a vector-valued source: one Hessian per output entry
        out = {"value": _as_list(r.value), "inputs": r.inputs, "outputs": r.outputs, "gradients": r.gradients,
               "hessians": r.hessians}
    if r.arrays:
        out["rows"], out["columns"] = r.rows, r.columns
        out["layout"] = ("rows and columns are the input entries, arrays flattened in row-major (C) order, inputs "
                         "in --wrt (else --at) order")
    return out


# The JSON shape of every result class.  CheckResult's joins on first use (``shape_of``): its module,
# adcalc.ops.checks, imports dataclasses, which the one-shot --json path must not pay for.
SHAPES: dict[type, Callable[[Any], dict[str, object]]] = {
    R.EvalResult: lambda r: {"value": r.value},
    R.GradResult: lambda r: {"value": r.value, "gradient": r.gradient},
    R.JvpResult: lambda r: {"value": r.value, "tangent": r.tangent},
    R.VjpResult: lambda r: {"value": _as_list(r.value), "cotangent_result": r.cotangent_result},
    R.JacobianResult: _jacobian_json,
    R.HessianResult: _hessian_json,
    R.HvpResult: lambda r: {"value": r.value, "gradient": r.gradient, "hvp": r.hvp},
    R.DerivResult: lambda r: {"value": r.value, "derivatives": r.derivatives},
}


def shape_of(cls: type) -> Callable[[Any], dict[str, object]]:
    """The JSON shape of the result class ``cls`` (KeyError if it has none)."""
    if cls not in SHAPES:
        from adcalc.ops.checks import CheckResult
        from adcalc.present.sparseview import SHAPES as SPARSE_SHAPES  # sparse Jacobians and Hessians (#19)

        SHAPES.setdefault(CheckResult, _check_json)
        SHAPES.update(SPARSE_SHAPES)
    return SHAPES[cls]


def outcome_json(o: object) -> dict[str, object]:
    """One JSON Lines record of ``adcalc run``: the command's shape plus file, point, status."""
    out: dict[str, object] = {"file": shown(o.file), "point": o.point, "status": o.status}
    if o.result is not None:
        out.update(result_json("run", o.result))
    if o.checks:
        out["expectations"] = [{"what": c.what, "expected": c.expected, "got": c.got, "ok": c.ok} for c in o.checks]
    if o.error is not None:
        out.update(error_json(o.error))
    out["seconds"] = round(o.seconds, 6)
    return out


def error_json(e: AdcalcError) -> dict[str, object]:
    err: dict[str, object] = {"kind": e.kind, "message": shown(e.message, newlines=True)}
    if e.hint:
        err["hint"] = shown(e.hint, newlines=True)
    if e.span is not None:
        err["line"], err["column"] = e.span.line, e.span.column
    return {"error": err}


def dumps(obj: dict[str, object], ascii_only: bool = False) -> str:
    """One JSON document.  Always valid UTF-8: a lone surrogate (an undecodable byte that slipped
    into a string) is written as a \\u escape, never as a raw byte; ``ascii_only`` escapes every
    non-ASCII character (for an output stream that cannot encode them)."""
    text = json.dumps(_numbers(obj), ensure_ascii=ascii_only, allow_nan=False)
    if not ascii_only:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(_numbers(obj), ensure_ascii=True, allow_nan=False)
    return text
