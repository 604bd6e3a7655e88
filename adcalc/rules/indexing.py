"""Indexing and index assignment: ``x[i]``, ``A[i, j]``, ``x[a:b:c]`` and ``x[i] = v``.

Contract (the math, ȳ the result's cotangent, ẋ an argument's tangent): ``x[key]`` has
ẏ = ẋ[key] and x̄ += ȳ scattered into x's shape at key (a sparse ``Scatter`` the reverse sweep
adds in place: O(size of the part), not of x); ``x[key] = v`` makes a new array with
ẏ = ẋ except ẏ[key] = v̇, and x̄ += ȳ with ȳ[key] = 0, v̄ += unbroadcast(ȳ[key]).  Indices are
whole numbers, negative from the end; a bad one is ``AdcalcError('index')`` naming the axis.
``element_key``/``flat_position`` let the modes read one element on their scalar path (a float,
no array rule node): the same value as ``x[key]``, the same cotangent ``x̄[key] += ȳ``.
"""

from __future__ import annotations

from collections.abc import Sequence

from adcalc.errors import AdcalcError
from adcalc.rules.arrays import register_array
from adcalc.rules.registry import np
from adcalc.rules.shapes import (
    describe_value,
    is_array,
    lift,
    scalar_result,
    shape_text,
    show_key,
    unbroadcast,
    whole_index,
)

# params of index / setitem: one entry per subscript: "i" (an index: one argument) or
# ("s", has_start, has_stop, has_step) (a slice: one argument per bound present).

def build_key(x: object, pattern: tuple, values: Sequence[object]) -> tuple:
    """The NumPy key of ``x[...]`` from the subscript pattern and the index values."""
    if not is_array(x):
        raise AdcalcError("type", "only arrays can be indexed, but this is a number")
    if len(pattern) > x.ndim:
        raise AdcalcError("index", f"{len(pattern)} subscripts for an array of shape {shape_text(x.shape)}",
                          hint=f"it has {x.ndim} ax{'is' if x.ndim == 1 else 'es'}")
    key: list[object] = []
    it = iter(values)
    for axis, part in enumerate(pattern):
        n = x.shape[axis]
        if part == "i":
            i = whole_index(next(it), "an index")
            if not -n <= i < n:
                raise AdcalcError("index", f"index {i} is out of range for axis {axis} of length {n} "
                                  f"(shape {shape_text(x.shape)})", hint=f"valid indices are 0 … {n - 1} "
                                  f"(or -{n} … -1 from the end)" if n else "the axis is empty")
            key.append(i)
        else:
            bounds = [whole_index(next(it), "a slice bound") if present else None for present in part[1:]]
            if bounds[2] == 0:
                raise AdcalcError("index", "a slice step must not be zero")
            key.append(slice(*bounds))
    return tuple(key)


def element_key(x: object, values: Sequence[object]) -> tuple[int, ...] | None:
    """The key of a read of one element, ``x[i]`` or ``A[i, j]``: one subscript per axis of a
    float array, each a whole number (a float) within its axis, negative from the end.  None when
    the read is anything else (a slice or row, a bad index, a non-array), which the general rule
    ``index`` then computes or reports — this only decides whether the scalar path may take it."""
    if type(x) is not np.ndarray:
        return None
    shape = x.shape
    if len(values) != len(shape) or x.dtype != float:  # float64: its .item() is a Python float
        return None
    if len(shape) == 1:  # x[i], the common case, without the loop
        v = values[0]
        n = shape[0]
        if type(v) is not float or not -n <= v < n:
            return None
        i = int(v)
        return None if i != v else (i if i >= 0 else i + n,)
    key = []
    for v, n in zip(values, shape):
        if type(v) is not float or not -n <= v < n:  # nan and ±inf fail the comparison
            return None
        i = int(v)
        if i != v:
            return None
        key.append(i if i >= 0 else i + n)
    return tuple(key)


def flat_position(shape: tuple[int, ...], key: tuple[int, ...]) -> int:
    """The row-major position of the element at ``key`` (non-negative indices) in ``shape``."""
    flat = 0
    for i, n in zip(key, shape):
        flat = flat * n + i
    return flat


def _index_value(args: Sequence[object], params: tuple) -> object:
    x = args[0]
    r = x[build_key(x, params, args[1:])]
    return scalar_result(r)


def _index_jvp(args: Sequence[object], tangents: Sequence[object], params: tuple, out: object) -> object:
    return tangents[0][(slice(None),) + build_key(args[0], params, args[1:])]


class Scatter:
    """A sparse cotangent: ``value`` at ``key`` of an array of ``shape``, zero elsewhere.  The
    reverse sweep adds it into the parent's adjoint in place (O(size of the part), not of x)."""

    __slots__ = ("shape", "key", "value")

    def __init__(self, shape: tuple[int, ...], key: tuple, value: object):
        self.shape, self.key, self.value = shape, key, value

    def dense(self) -> object:
        out = np.zeros(self.shape)
        out[self.key] = self.value
        return out


def _index_vjp(args: Sequence[object], params: tuple, out: object, g: object) -> list[object]:
    x = args[0]
    return [Scatter(x.shape, build_key(x, params, args[1:]), g)]


register_array(
    "index", 2, 1_000_000, _index_value, _index_jvp, _index_vjp,
    lambda a, p: f"{a[0]}[{show_key(a[1:], p)}]",
    "x[i], A[i, j], x[a:b:c]: an element or a slice (indices whole, negative from the end)",
    pullback=("{g} scattered into [{key}]",), public=False)


def _setitem_value(args: Sequence[object], params: tuple) -> object:
    x, v = args[0], args[1]
    key = build_key(x, params, args[2:])
    r = x.copy()
    try:
        r[key] = v
    except ValueError:
        raise AdcalcError("shape", f"cannot assign {describe_value(v)} to a part of shape "
                          f"{shape_text(np.shape(x[key]))}") from None
    return r


def _setitem_jvp(args: Sequence[object], tangents: Sequence[object], params: tuple, out: object) -> object:
    x = args[0]
    key = (slice(None),) + build_key(x, params, args[2:])
    tx, tv = tangents[0], tangents[1]
    k = (tx if tx is not None else tv).shape[0]
    r = np.array(tx, dtype=float) if tx is not None else np.zeros((k,) + x.shape)
    part = r[key]
    r[key] = lift(tv, part.ndim - 1) if tv is not None else 0.0
    return r


def _setitem_vjp(args: Sequence[object], params: tuple, out: object, g: object) -> list[object]:
    x, v = args[0], args[1]
    key = build_key(x, params, args[2:])
    gx = np.array(g, dtype=float)
    gx[key] = 0.0
    return [gx, unbroadcast(g[key], np.shape(v))]


register_array(
    "setitem", 3, 1_000_000, _setitem_value, _setitem_jvp, _setitem_vjp,
    lambda a, p: f"{a[0]} with [{show_key(a[2:], p)}] = {a[1]}",
    "x[i] = v in a program: a new array equal to x except at [i] (copies x: O(size) per assignment)",
    differentiable=(0, 1), pullback=("{g} with [{key}] = 0", "{g}[{key}]"),
    size=lambda args, params: int(getattr(args[0], "size", 1)), public=False)
