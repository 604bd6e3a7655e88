"""The run-time helpers of generated code for whole-array programs (NumPy float64 arrays).

Contract: each helper here computes what its counterpart in ``adcalc.rules.shapes`` (or the
interpreter's sweep, ``adcalc.transform.tape``) computes, with the same NumPy operations in the
same order, written only with ``np`` and the builtins a generated module may call
(``safety``): ``_a_mul0`` is ``shapes.mul0`` (an exact-zero factor contributes 0, so 0·inf is
never a nan), ``_a_finite`` is ``shapes.all_finite``, ``_a_unbroadcast`` is
``shapes.unbroadcast``, ``_a_sc`` is ``shapes.scalar_result``; ``_a_in`` converts an argument
of an entry point (a number, or anything ``np.asarray`` reads as float64), ``_a_out`` a result;
``_a_like`` broadcasts a tangent to its value's shape (forward mode's ``_box``); ``_a_jv`` runs
an array rule's batched ``jvp`` on one direction.  NumPy's floating-point warnings are off
inside the entry points (``np.errstate``), as in the interpreter.  ``tests/test_codegen_whole.py``
checks them against the rules; ``arrays.helper_text`` copies their source into each module.
"""

from __future__ import annotations

import inspect

from adcalc.rules.registry import np  # NumPy on first use; generated modules import numpy as np


def _a_in(v, name, like=None):
    """An entry point's argument: a float, or a float64 array with at least one axis; a
    direction (``like``: its input) must have its input's shape."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        a = float(v)
    else:
        try:
            a = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number or an array of numbers") from None
        if a.ndim == 0:
            a = float(a)
    if like is not None and np.shape(a) != np.shape(like):
        if np.shape(a) == () and a == 0.0:
            return _a_zt(like)
        raise ValueError(f"{name} must have its input's shape {np.shape(like)}, but its shape is {np.shape(a)}")
    return a


def _a_shape(v):
    """``np.shape`` of a float or an array, without NumPy's dispatch (generated code calls it often)."""
    return () if isinstance(v, float) else v.shape


def _a_dst(a, b=0.0):
    """``a`` where the elementwise result of ``a`` and ``b`` may be written into it — a float64
    array whose shape is the result's (``b`` a number or an array of ``a``'s shape) — else None.
    Generated code passes as ``a`` only an array the function made itself and reads no more."""
    if isinstance(a, np.ndarray) and a.dtype == np.float64 and (
            isinstance(b, (int, float)) or b.shape == a.shape or not b.shape):
        return a
    return None


_POOL: list = []  # the module's buffers that calls gave back (each in the pool or in one call's hands)


def _a_pop(src, shape):
    """A buffer of ``shape`` taken out of the list ``src`` (None: none there); the others popped
    on the way go back.  Each ``pop`` and ``extend`` is one step for other threads, so a buffer
    is never in two calls' hands."""
    aside = []
    found = None
    for _ in range(len(src)):
        try:
            buf = src.pop()
        except IndexError:
            break
        if buf.shape == shape:
            found = buf
            break
        aside.append(buf)
    src.extend(aside)
    return found


def _a_take(ws, a, b=0.0):
    """A float64 buffer for the elementwise result of ``a`` and ``b`` (``b`` a number or an array
    of ``a``'s shape, or the other way round) of at least 2**15 elements, which the step writes
    whole with ``out=``: one this call freed (``ws[1]``), else one from the module's pool, else a
    new one (recorded in ``ws[0]`` for ``_a_give``); None for a smaller or other result."""
    if not isinstance(a, np.ndarray):
        a, b = b, a
    if not isinstance(a, np.ndarray) or a.size < 32768 or a.dtype != np.float64 or not (
            isinstance(b, float) or (isinstance(b, np.ndarray) and b.shape == a.shape and b.dtype == np.float64)):
        return None
    buf = _a_pop(ws[1], a.shape)
    if buf is None:
        buf = _a_pop(_POOL, a.shape)
        if buf is None:
            buf = np.empty(a.shape)
        ws[0].append(buf)
    return buf


def _a_free(ws, *arrays):
    """Arrays this call took (``_a_take``) and reads no more: free for its next step's buffer."""
    for v in arrays:
        for buf in ws[0]:
            if v is buf:
                ws[1].append(v)
                break


def _a_give(ws, r):
    """``r``, what the entry point returns, after giving the buffers this call took back to the
    module's pool — except any that ``r`` holds or views (the caller's arrays are never a pool's).
    The pool keeps the latest: past 8 buffers or 2**23 elements (64 MiB), the oldest go."""
    if ws[0]:
        held = []
        todo = [r]
        while todo:
            v = todo.pop()
            if isinstance(v, (list, tuple)):
                todo.extend(v)
            elif isinstance(v, np.ndarray):
                held.append(v)
        for buf in ws[0]:
            if buf.size <= 8388608 and not any(np.may_share_memory(buf, h) for h in held):
                _POOL.append(buf)
        while len(_POOL) > 8 or sum(p.size for p in _POOL) > 8388608:
            try:
                _POOL.pop(0)
            except IndexError:
                break
    return r


def _a_zt(v):
    """A zero tangent shaped like ``v`` (0.0 for a number)."""
    return 0.0 if isinstance(v, float) else np.zeros(v.shape)


def _a_live(g):
    """Whether a cotangent reached the step (the sweep's adjoints start as the number 0)."""
    return not isinstance(g, float) or g != 0.0


def _a_scatter_o(prev, x, key, g, own):
    """x̄[key] += ȳ: in place into an adjoint this sweep's scatters made (``own``: id → array,
    which keeps each alive so its id is never reused), else into a fresh copy that it then owns."""
    if own.get(id(prev)) is not prev:
        prev = prev + np.zeros(np.shape(x))
        own[id(prev)] = prev
    prev[key] += g
    return prev


def _a_array(v, name):
    """An input the program uses as an array (sums, slices, indexes or multiplies it)."""
    if not _a_shape(v):
        raise ValueError(f"{name} must be an array (the program uses it as one), but it is a number")
    return v


def _a_out(v):
    """A result as the interpreter gives it: a float for a number, the array itself otherwise."""
    if isinstance(v, list):
        return list(map(_a_out, v))
    return float(v) if isinstance(v, float) or np.ndim(v) == 0 else v


def _a_grad(b, x, owned):
    """An input's adjoint: a float for a number; for an array, an array of its own (a copy
    where the sweep's adjoint may be a view of another array or of the caller's ``ybar``)."""
    shape = () if isinstance(x, float) else np.shape(x)
    if shape == ():
        return float(np.sum(b)) if np.ndim(b) else float(b)
    if _a_shape(b) != shape:
        return np.zeros(shape) + b
    return b if owned else np.array(b, dtype=float)


def _a_sc(r):
    """NumPy's 0-d results become floats (``shapes.scalar_result``)."""
    return float(r) if np.ndim(r) == 0 else r


def _a_finite(a):
    """Whether every element is finite: one reduction (``shapes.all_finite``)."""
    s = float(np.add.reduce(a, axis=None))
    if s - s == 0.0:
        return True
    return bool(np.all(np.isfinite(a)))


def _a_ok(*values):
    """Whether every value is finite (the fast sweep's result stands: see ``arraymodule``)."""
    for v in values:
        if not _a_finite(v):
            return False
    return True


def _a_mul0(p, t):
    """p·t where an exact-zero factor contributes 0, elementwise (``shapes.mul0``)."""
    r = np.multiply(p, t)
    if _a_finite(r):
        return r
    return np.where(np.logical_or(np.equal(p, 0.0), np.equal(t, 0.0)), 0.0, r)


def _a_unbroadcast(g, shape):
    """Sum ``g`` over the axes along which an argument of ``shape`` was broadcast."""
    gshape = _a_shape(g)
    if gshape == shape:
        return g
    if not shape:
        return float(np.sum(g))
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(shape) if d == 1 and gshape[i + lead] != 1)
    r = np.sum(g, axis=axes, keepdims=True) if axes else g
    return r.reshape(shape) if lead else r


def _a_like(t, v):
    """A tangent with its value's shape (a number's tangent broadcast along an array's)."""
    shape = _a_shape(v)
    return t if _a_shape(t) == shape else np.broadcast_to(t, shape)


def _a_bc(g, shape):
    """A cotangent as an array of ``shape``: ``g`` broadcast where it is a number standing for its
    broadcast (the fast sweep keeps ``sum``'s cotangent ȳ as the number, as ``expand`` broadcasts it)."""
    return np.broadcast_to(g, shape) if shape and _a_shape(g) == () else g  # a float, or mul0's 0-d array


def _a_uni(g, shape, out, neg=False):
    """The cotangent of an argument of ``shape`` added whole (∂ = ±1) to a result of shape ``out``
    whose cotangent is ``g``: ``g`` itself where the shapes agree, else summed over the broadcast
    axes (``neg``: ``g`` holds -ȳ, negated around the sum as the fast sweep does)."""
    if _a_shape(g) == ():  # a number (a float, or the 0-d array mul0 gives where a factor is not finite)
        if shape == out:
            return g
        g = np.broadcast_to(g, out)
    if neg:
        return g if g.shape == shape else -_a_unbroadcast(-g, shape)
    return _a_unbroadcast(g, shape)


def _a_one(v):
    """Whether ``v`` is the number 1.0 (a product by it is its other factor, bit for bit)."""
    return isinstance(v, float) and v == 1.0


def _a_jv(rule, args, tangents, params, out):
    """An array rule's ``jvp`` (batched: k directions) on one direction; None tangents are constants."""
    batched = []
    for t in tangents:
        batched.append(None if t is None else np.asarray(t, dtype=float)[None])
    return _a_sc(rule(args, batched, params, out)[0])


def _a_scatter(prev, x, key, g, sub=False):
    """x̄ with ȳ added at ``key`` (the sweep's sparse cotangent of ``x[key]``), into a fresh array
    (``sub``: ȳ is -g, subtracted: the same IEEE operation).  Into zeros through a basic key (a
    view), 0 ± ȳ is written without reading the zeros back."""
    if prev is None:
        out = np.zeros(np.shape(x))
        view = out[key]
        if isinstance(view, np.ndarray) and np.may_share_memory(view, out):
            if sub:
                np.subtract(0.0, g, out=view)
            else:
                np.add(0.0, g, out=view)
            return out
    else:
        out = prev + np.zeros(np.shape(x))
    if sub:
        out[key] -= g
    else:
        out[key] += g
    return out


def _a_setitem(x, v, key):
    """``x[key] = v`` as a new array (the rule copies x)."""
    r = x.copy()
    r[key] = v
    return r


def _a_setitem_t(x, dx, dv, key):
    """The tangent of ``x[key] = v``: ẋ with ẏ[key] = v̇ (0 where a tangent is None)."""
    r = np.array(dx, dtype=float) if dx is not None else np.zeros(np.shape(x))
    r[key] = dv if dv is not None else 0.0
    return r


def _a_stack_t(out, tangents):
    """The tangent of an array literal: its elements' tangents stacked (zeros for constants)."""
    item = np.shape(out)[1:]
    parts = []
    for t in tangents:
        parts.append(np.broadcast_to(t, item) if t is not None else np.zeros(item))
    return np.stack(parts)


def _a_full(dims, fill):
    """zeros(n)/ones(m, n): each size a whole number, not negative."""
    for d in dims:
        if d != d or d - d != 0.0 or d != int(d) or d < 0:
            raise ValueError(f"a size must be a whole number, not negative, got {d!r}")
    return np.full(tuple(map(int, dims)), fill)


_NEEDS = {"_a_take": ("_a_pop", "_a_free", "_a_give"), "_a_in": ("_a_zt",), "_a_grad": ("_a_shape",),
          "_a_array": ("_a_shape",), "_a_mul0": ("_a_finite",),
          "_a_ok": ("_a_finite",), "_a_uni": ("_a_unbroadcast", "_a_shape"), "_a_bc": ("_a_shape",),
          "_a_unbroadcast": ("_a_shape",),
          "_a_like": ("_a_shape",), "_a_jv": ("_a_sc",)}


def helper_text(names: set[str]) -> str:
    """The source of the named helpers (and those they call), in this module's order."""
    wanted = set(names)
    for n in list(wanted):
        wanted.update(_NEEDS.get(n, ()))
    pool = ["_POOL = []  # buffers calls gave back (_a_give), taken again by _a_take"] if "_a_take" in wanted else []
    return "\n\n\n".join([inspect.getsource(fn).rstrip() for name, fn in globals().items()
                            if name in wanted and name.startswith("_a_") and inspect.isfunction(fn)] + pool)
