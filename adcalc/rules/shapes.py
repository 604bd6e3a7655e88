"""Array helpers shared by the array rules and the modes: shapes, broadcasting, flattening.

Contract: values are floats or float64 NumPy arrays (at least one axis); ``unbroadcast`` sums a
cotangent over the axes an argument was broadcast along; ``mul0`` multiplies where an exact
zero factor contributes 0 (no 0·inf = nan); ``lift`` shapes a batched tangent ``(k, *s)`` to
broadcast against a result; ``entries`` flattens a value row-major (the order of a Jacobian's
rows and of ``--cot`` weights).  NumPy is imported on first use (``adcalc.rules.registry.np``).
"""

from __future__ import annotations

from collections.abc import Sequence

from adcalc.errors import AdcalcError
from adcalc.rules.registry import np


def is_array(v: object) -> bool:
    return type(v) is not float and hasattr(v, "shape")


def shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def describe_value(v: object) -> str:
    """``a number`` or ``an array of shape (3,)``."""
    return f"an array of shape {shape_text(v.shape)}" if is_array(v) else "a number"  # type: ignore[union-attr]


def scalar_result(r: object) -> object:
    """NumPy's 0-d results become Python floats (scalars are floats everywhere)."""
    return float(r) if not hasattr(r, "ndim") or r.ndim == 0 else r


def unbroadcast(g: object, shape: tuple[int, ...]) -> object:
    """Sum ``g`` over the axes along which an argument of ``shape`` was broadcast."""
    gshape = getattr(g, "shape", ())
    if gshape == shape:
        return g
    if not shape:
        return float(np.sum(g))
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(shape) if d == 1 and gshape[i + lead] != 1)
    r = np.sum(g, axis=axes, keepdims=True) if axes else g
    return r.reshape(shape) if lead else r


def entries(v: object) -> list[float]:
    """A value (a number, an array, or a list of outputs) as a flat list of numbers, arrays in
    row-major order: the order of a Jacobian's rows and of ``--cot`` weights."""
    if isinstance(v, list):
        return [x for item in v for x in entries(item)]
    if hasattr(v, "shape"):
        return [float(x) for x in v.reshape(-1)]  # type: ignore[attr-defined]
    return [v]  # type: ignore[list-item]


def all_finite(a: object) -> bool:
    """Whether every element is finite: one reduction (a finite sum means every element is
    finite; a sum that overflows says nothing, and NumPy's overflow warning is silenced)."""
    with np.errstate(all="ignore"):
        s = float(np.sum(a))
    if s - s == 0.0:
        return True
    return bool(np.all(np.isfinite(a)))


def mul0(p: object, t: object) -> object:
    """p·t where an exact-zero factor contributes 0 (no 0·inf = nan), elementwise."""
    for c, other in ((t, p), (p, t)):
        if type(c) is float and c - c == 0.0 and c != 0.0:  # a finite non-zero constant: no 0·inf possible
            if c == 1.0:
                return other  # add/sub pass the cotangent through without a copy
            return np.negative(other) if c == -1.0 else np.multiply(other, c)
    r = np.multiply(p, t)
    if all_finite(r):
        return r
    return np.where(np.logical_or(np.equal(p, 0.0), np.equal(t, 0.0)), 0.0, r)


def lift(t: object, ndim: int) -> object:
    """A batched tangent ``(k, *s)`` reshaped to broadcast against a result with ``ndim`` axes."""
    t = np.asarray(t, dtype=float)
    missing = ndim - (t.ndim - 1)
    if missing <= 0:
        return t
    return t.reshape((t.shape[0],) + (1,) * missing + t.shape[1:])


def batch_axis(axis: int | None, ndim: int) -> int | tuple[int, ...]:
    """The axis of a batched tangent that corresponds to ``axis`` of the value."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    return (axis % ndim) + 1


def expand(g: object, axis: int | None, shape: tuple[int, ...]) -> object:
    """A reduction's cotangent broadcast back to the argument's shape."""
    if axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


def need_array(name: str, v: object, what: str = "its argument") -> None:
    if not is_array(v):
        raise AdcalcError("type", f"{name}() needs an array, but {what} is a number",
                          hint=f"e.g. {name}([1, 2, 3])")


def check_axis(name: str, axis: int | None, x: object) -> None:
    if axis is not None and not -x.ndim <= axis < x.ndim:
        raise AdcalcError("shape", f"{name}(): axis {axis} is out of range for an array of shape "
                          f"{shape_text(x.shape)}", hint=f"axes are 0 … {x.ndim - 1} (or negative from the end)")


def axis_text(params: tuple) -> str:
    return "" if not params or params[0] is None else f", axis={params[0]}"


def whole_index(v: object, what: str) -> int:
    if is_array(v):
        raise AdcalcError("type", f"{what} must be a number, not {describe_value(v)}")
    if v != v or v - v != 0.0 or v != int(v):
        raise AdcalcError("type", f"{what} must be a whole number, got {v:g}")
    return int(v)


def show_key(args: Sequence[str], params: tuple) -> str:
    parts = []
    it = iter(args)
    for part in params:
        if part == "i":
            parts.append(next(it))
        else:
            bounds = [next(it) if present else "" for present in part[1:]]
            parts.append(f"{bounds[0]}:{bounds[1]}" + (f":{bounds[2]}" if part[3] else ""))
    return ", ".join(parts)
