"""Array primitives: literals, indexing, index assignment, reductions, matmul, norm — on NumPy.

Contract (the math).  Array values are float64 ``ndarray``s with at least one axis; scalars stay
Python floats (so scalar programs never touch NumPy).  Elementwise primitives come from
``adcalc.rules.elementwise`` and broadcast as NumPy does; this module holds the operations that change
shapes, each as one registry ``Primitive`` (kind ``array``) with

- ``value(args, params)``: the result (a float when it has no axes left);
- ``jvp(args, tangents, params, out)``: the tangent of the result.  Tangents are *batched*: a
  tangent of an array of shape ``s`` holds ``k`` directions as one array of shape ``(k, *s)``,
  a scalar's as shape ``(k,)``; ``tangents[i]`` is None when argument ``i`` is a constant;
- ``vjp(args, params, out, g)``: the cotangent of each argument (its shape; None when the
  argument is not differentiable), given the result's cotangent ``g``;
- ``display``: how the documents would write it (``v2[1:]``, ``sum(v3)``, ``v1 @ v2``).

Rules (ȳ is the result's cotangent, ẋ an argument's tangent):

==============  =====================================  ==========================================
operation       forward                                reverse
==============  =====================================  ==========================================
[a, b, …]       stack the tangents                     āᵢ += ȳ[i]
x[key]          ẏ = ẋ[key]                              x̄ += ȳ scattered into x's shape at key
x[key] = v      ẏ = ẋ with ẏ[key] = v̇                  x̄ += ȳ with ȳ[key] = 0; v̄ += unbroadcast(ȳ[key])
sum/mean        sum/mean of ẋ                          x̄ += ȳ broadcast back (÷ count for mean)
prod            Σ ẋᵢ·Πⱼ≠ᵢ xⱼ                           x̄ᵢ += ȳ·Πⱼ≠ᵢ xⱼ (no division: exact at zeros)
max/min         ẋ at the extreme (a tie splits evenly)  ȳ to the extreme (a tie splits evenly)
A @ B, dot      Ȧ·B + A·Ḃ                              Ā += ȳ·Bᵀ, B̄ += Aᵀ·ȳ
transpose       ẋᵀ                                     x̄ += ȳᵀ
norm            Σ x·ẋ / ‖x‖                            x̄ += ȳ·x/‖x‖ (0 at x = 0: a kink)
zeros, ones,    constants: no derivative
len
==============  =====================================  ==========================================

Reverse mode sums a cotangent over the axes an argument was broadcast along
(``unbroadcast``): in ``sum(x + b)`` with ``b`` broadcast across rows, ``b̄`` sums over rows.
Bad shapes and indices raise ``AdcalcError`` (kind ``shape`` or ``index``) naming the shapes.
NumPy itself is imported on first use (``adcalc.rules.registry.np``); the helpers are ``rules/shapes.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adcalc.errors import AdcalcError
from adcalc.rules.registry import Primitive, np, register
from adcalc.rules.shapes import (
    axis_text,
    batch_axis,
    check_axis,
    expand,
    is_array,
    mul0,
    need_array,
    scalar_result,
    shape_text,
    show_key,
    whole_index,
)

MAX_AXES = 32  # NumPy allows 64; deeper literals are a shape error, not a crash


def register_array(name: str, min_args: int, max_args: int, value: Callable[..., object], jvp: object, vjp: object,
           display: Callable[..., str], doc: str, public: bool = True, **kw: object) -> Primitive:
    """Register an array primitive (``jvp`` None: its result is a constant — zeros, ones, len;
    ``differentiable``: the argument positions with a derivative, the first by default)."""
    kw.setdefault("differentiable", (0,))
    return register(Primitive(name, "array", min_args, max_args, value, None, display, None, jvp=jvp, vjp=vjp,
                              doc=doc, public=public, **kw))  # type: ignore[arg-type]


# ---- literals -------------------------------------------------------------------------------

def _array_size(args: Sequence[object], params: tuple) -> int:
    return len(args) * int(getattr(args[0], "size", 1)) if args else 0


def _array_value(args: Sequence[object], params: tuple) -> object:
    shapes = {getattr(a, "shape", ()) for a in args}
    if shapes and len(next(iter(shapes))) >= MAX_AXES:
        raise AdcalcError("shape", f"an array literal nested more than {MAX_AXES} deep", hint="arrays have at most "
                          f"{MAX_AXES} axes")
    if len(shapes) > 1:
        listed = ", ".join(sorted(shape_text(s) if s else "a number" for s in shapes))
        raise AdcalcError("shape", f"the elements of an array literal must all have the same shape, got {listed}",
                          hint="write a matrix as rows of equal length: [[1, 2], [3, 4]]")
    return np.array(args, dtype=float)


def _array_jvp(args: Sequence[object], tangents: Sequence[object], params: tuple, out: object) -> object:
    k = next(t.shape[0] for t in tangents if t is not None)
    item = out.shape[1:]
    parts = [np.broadcast_to(t, (k,) + item) if t is not None else np.zeros((k,) + item) for t in tangents]
    return np.stack(parts, axis=1)


def _array_vjp(args: Sequence[object], params: tuple, out: object, g: object) -> list[object]:
    return [scalar_result(g[i]) for i in range(len(args))]


register_array(
    "array", 1, 1_000_000, _array_value, _array_jvp, _array_vjp,
    lambda a, p: "[" + ", ".join(a) + "]", "an array literal [a, b, …] (rows of a matrix: [[1, 2], [3, 4]])",
    differentiable=range(1_000_000), pullback=("{g}[{i}]",), size=_array_size, public=False)


# ---- reductions -------------------------------------------------------------------------------

def _reduce_value(f: str) -> Callable[..., object]:
    def value(args: Sequence[object], params: tuple) -> object:
        x = args[0]
        name = {"amax": "max", "amin": "min"}.get(f, f)
        need_array(name, x)
        axis = params[0] if params else None
        check_axis(name, axis, x)
        if f in ("amax", "amin") and (x.size == 0 or (axis is not None and x.shape[axis] == 0)):
            raise AdcalcError("shape", f"{name}() of an empty array has no value")
        return scalar_result(getattr(np, f)(x, axis=axis))

    return value


def _sum_jvp(args: Sequence[object], tangents: Sequence[object], params: tuple, out: object) -> object:
    return np.sum(tangents[0], axis=batch_axis(params[0], args[0].ndim))


def _sum_vjp(args: Sequence[object], params: tuple, out: object, g: object) -> list[object]:
    return [expand(g, params[0], args[0].shape)]


def _count(x: object, axis: int | None) -> int:
    return x.size if axis is None else x.shape[axis]


def _mean_jvp(args: Sequence[object], tangents: Sequence[object], params: tuple, out: object) -> object:
    return np.mean(tangents[0], axis=batch_axis(params[0], args[0].ndim))


def _mean_vjp(args: Sequence[object], params: tuple, out: object, g: object) -> list[object]:
    return [expand(np.divide(g, _count(args[0], params[0])), params[0], args[0].shape)]


def _others_product(x: object, axis: int | None) -> object:
    """Πⱼ≠ᵢ xⱼ along the axis, by exclusive cumulative products (exact where x has zeros)."""
    if axis is None:
        return _others_product(x.reshape(-1), 0).reshape(x.shape)
    x = np.moveaxis(x, axis, -1)
    ones = np.ones(x.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.flip(np.concatenate([x[..., 1:], ones], axis=-1), -1), axis=-1), -1)
    return np.moveaxis(left * right, -1, axis)


def _prod_jvp(args: Sequence[object], tangents: Sequence[object], params: tuple, out: object) -> object:
    x = args[0]
    return np.sum(mul0(_others_product(x, params[0]), tangents[0]), axis=batch_axis(params[0], x.ndim))


def _prod_vjp(args: Sequence[object], params: tuple, out: object, g: object) -> list[object]:
    x = args[0]
    return [mul0(expand(g, params[0], x.shape), _others_product(x, params[0]))]


def _extreme_weights(x: object, axis: int | None, out: object) -> object:
    """1/(number of ties) at the positions of the extreme along the axis, 0 elsewhere."""
    hit = np.equal(x, expand(out, axis, x.shape))
    count = np.sum(hit, axis=axis, keepdims=axis is not None)
    return hit / count


def _extreme_jvp(args: Sequence[object], tangents: Sequence[object], params: tuple, out: object) -> object:
    x = args[0]
    return np.sum(mul0(_extreme_weights(x, params[0], out), tangents[0]), axis=batch_axis(params[0], x.ndim))


def _extreme_vjp(args: Sequence[object], params: tuple, out: object, g: object) -> list[object]:
    x = args[0]
    return [mul0(expand(g, params[0], x.shape), _extreme_weights(x, params[0], out))]


def _extreme_tie(args: Sequence[object], params: tuple, out: object) -> bool:
    x = args[0]
    return bool(np.any(np.sum(np.equal(x, expand(out, params[0], x.shape)), axis=params[0]) > 1))


_pullbacks = {"sum": "{g} broadcast to {0}'s shape", "mean": "{g}/n broadcast to {0}'s shape",
              "prod": "{g}·(product of the others)", "amax": "{g} at the largest (ties share)",
              "amin": "{g} at the smallest (ties share)"}
for _name, _f, _jvp, _vjp, _doc in (
        ("sum", "sum", _sum_jvp, _sum_vjp, "sum(x), sum(A, axis=0): the sum of the elements (along an axis)"),
        ("mean", "mean", _mean_jvp, _mean_vjp, "mean(x), mean(A, axis=1): the mean (along an axis)"),
        ("prod", "prod", _prod_jvp, _prod_vjp, "prod(x), prod(A, axis=0): the product (along an axis)"),
        ("amax", "amax", _extreme_jvp, _extreme_vjp, "max(x), max(A, axis=0): the largest element (along an axis)"),
        ("amin", "amin", _extreme_jvp, _extreme_vjp, "min(x), min(A, axis=0): the smallest element (along an axis)")):
    _shown = {"amax": "max", "amin": "min"}.get(_name, _name)
    register_array(
        _name, 1, 1, _reduce_value(_f), _jvp, _vjp,
        (lambda s: lambda a, p: f"{s}({a[0]}{axis_text(p)})")(_shown), _doc, keywords=("axis",),
        kink=_extreme_tie if _name in ("amax", "amin") else None,
        pullback=(_pullbacks[_name],),
        convention="a tie splits the derivative evenly among the tied elements" if _name in ("amax", "amin") else "",
        public=_name not in ("amax", "amin"))


# ---- linear algebra ----------------------------------------------------------------------------

def _matmul_value(name: str) -> Callable[..., object]:
    def value(args: Sequence[object], params: tuple) -> object:
        a, b = args
        for v, which in ((a, "its first argument"), (b, "its second argument")):
            need_array(name, v, which)
            if v.ndim > 2:
                raise AdcalcError("shape", f"{name}: {which} has shape {shape_text(v.shape)}; vectors and "
                                  "matrices only")
        inner_a = a.shape[-1]
        inner_b = b.shape[0]
        if inner_a != inner_b:
            raise AdcalcError("shape", f"{name}: shapes {shape_text(a.shape)} and {shape_text(b.shape)} do not "
                              f"match ({inner_a} columns against {inner_b} rows)",
                              hint="the last axis of the left must equal the first axis of the right")
        return scalar_result(np.matmul(a, b))

    return value


def _matmul_size(args: Sequence[object], params: tuple) -> int:
    a, b = (np.shape(v) for v in args)
    rows = a[0] if len(a) == 2 else 1
    cols = b[-1] if len(b) == 2 else 1
    return rows * cols


def _matmul_jvp(args: Sequence[object], tangents: Sequence[object], params: tuple, out: object) -> object:
    a, b = args
    ta, tb = tangents
    r = None
    if ta is not None:
        r = np.matmul(ta, b)
    if tb is not None:
        term = np.matmul(tb, a.T) if b.ndim == 1 else np.matmul(a, tb)
        r = term if r is None else r + term
    return r


def _matmul_vjp(args: Sequence[object], params: tuple, out: object, g: object) -> list[object]:
    a, b = args
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    g2 = np.reshape(g, (a2.shape[0], b2.shape[1]))
    return [np.matmul(g2, b2.T).reshape(a.shape), np.matmul(a2.T, g2).reshape(b.shape)]


register_array(
    "matmul", 2, 2, _matmul_value("matmul"), _matmul_jvp, _matmul_vjp,
    lambda a, p: f"{a[0]} @ {a[1]}", "A @ B: matrix-matrix, matrix-vector or vector-vector product",
    differentiable=(0, 1), pullback=("{g} @ {1}ᵀ", "{0}ᵀ @ {g}"), size=_matmul_size, public=False)
register_array(
    "dot", 2, 2, _matmul_value("dot"), _matmul_jvp, _matmul_vjp,
    lambda a, p: f"dot({a[0]}, {a[1]})", "dot(x, y): the inner product of vectors (the matrix product for matrices)",
    differentiable=(0, 1), pullback=("{g} @ {1}ᵀ", "{0}ᵀ @ {g}"), size=_matmul_size)


def _transpose_value(args: Sequence[object], params: tuple) -> object:
    need_array("transpose", args[0])
    return args[0].T


def _transpose_jvp(args: Sequence[object], tangents: Sequence[object], params: tuple, out: object) -> object:
    t = tangents[0]
    return np.transpose(t, (0,) + tuple(range(t.ndim - 1, 0, -1)))


register_array(
    "transpose", 1, 1, _transpose_value, _transpose_jvp, lambda args, params, out, g: [np.transpose(g)],
    lambda a, p: f"{a[0]}ᵀ", "transpose(A): rows become columns (a vector is unchanged)", pullback=("{g}ᵀ",))


def _norm_value(args: Sequence[object], params: tuple) -> object:
    need_array("norm", args[0])
    return float(np.linalg.norm(args[0].reshape(-1)))


def _norm_jvp(args: Sequence[object], tangents: Sequence[object], params: tuple, out: object) -> object:
    x = args[0]
    if out == 0.0:
        return np.zeros(tangents[0].shape[0])
    return np.sum(mul0(x / out, tangents[0]), axis=batch_axis(None, x.ndim))


def _norm_vjp(args: Sequence[object], params: tuple, out: object, g: object) -> list[object]:
    x = args[0]
    if out == 0.0:
        return [np.zeros(x.shape)]
    return [mul0(g, x / out)]


register_array(
    "norm", 1, 1, _norm_value, _norm_jvp, _norm_vjp, lambda a, p: f"‖{a[0]}‖",
    "norm(x): the Euclidean norm (Frobenius for a matrix)",
    kink=lambda args, params, out: out == 0.0, convention="the derivative of norm at 0 is taken as 0",
    pullback=("{g}·{0}/‖{0}‖",))


# ---- constructors and shape queries ------------------------------------------------------------

def _dims(name: str, args: Sequence[object]) -> tuple[int, ...]:
    dims = []
    for v in args:
        d = whole_index(v, f"a size in {name}()")
        if d < 0:
            raise AdcalcError("shape", f"{name}(): a size must not be negative, got {d}")
        dims.append(d)
    return tuple(dims)


def _filled(name: str, fill: float) -> Callable[..., object]:
    def value(args: Sequence[object], params: tuple) -> object:
        return np.full(_dims(name, args), fill)

    return value


def _filled_size(name: str) -> Callable[..., int]:
    def size(args: Sequence[object], params: tuple) -> int:
        total = 1
        for d in _dims(name, args):
            total *= d
        return total

    return size


register_array("zeros", 1, 2, _filled("zeros", 0.0), None, None,
                      lambda a, p: f"zeros({', '.join(a)})", "zeros(n), zeros(m, n): an array of zeros",
                      differentiable=(), size=_filled_size("zeros"))
register_array("ones", 1, 2, _filled("ones", 1.0), None, None,
                      lambda a, p: f"ones({', '.join(a)})", "ones(n), ones(m, n): an array of ones",
                      differentiable=(), size=_filled_size("ones"))


def _len_value(args: Sequence[object], params: tuple) -> object:
    if params == ("for",) and not is_array(args[0]):  # the length a `for v in x` loop runs over
        raise AdcalcError("type", "a for loop runs over range(…), a list or an array, but this is a number",
                          hint="for i in range(n), for v in [a, b, c] or for v in x (an array)")
    need_array("len", args[0])
    return float(args[0].shape[0])


register_array("len", 1, 1, _len_value, None, None, lambda a, p: f"len({a[0]})",
                      "len(x): the length of the first axis (a constant: no derivative)", differentiable=())


# Functions callable by name (max/min with one argument or axis= are the reductions amax/amin)
def pullback_text(prim: Primitive, i: int, shown: Sequence[str], params: tuple, g: str) -> str:
    """How argument ``i``'s adjoint update reads in a reverse trace (``v̄1 += v̄3 @ v2ᵀ``)."""
    if not prim.pullback:
        return f"∂({prim.show(shown, params=params)})/∂{shown[i]} applied to {g}"
    rule = prim.pullback[min(i, len(prim.pullback) - 1)]
    key = show_key(shown[(2 if prim.name == "setitem" else 1):], params) if prim.name in ("index", "setitem") else ""
    return rule.format(*shown, g=g, i=i, key=key)
