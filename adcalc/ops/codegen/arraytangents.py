"""The tangent of each array primitive as IR steps of the language (for ``tangents``).

Contract: ``array_tangent(ins, dot, out, fresh, code)`` appends to ``code`` the steps that set
``out`` to the tangent of the array step ``ins`` (``dot(atom)``: an argument's tangent, the
constant 0 for a literal), written with the language's own primitives, so that the reverse code
generator for whole arrays (``arrays``/``arraymodule``) differentiates them once more — the
Hessian code of whole-array programs.  Each form mirrors the registry's ``jvp`` function in
``adcalc.rules.arrays`` (the table in its docstring):

==============  ===========================================  ===============================
step            tangent (IR)                                 registry rule
==============  ===========================================  ===============================
[a, b, …]       [ȧ, ḃ, …]                                    ``_array_jvp`` (stack)
x[key]          ẋ[key]                                       ``index``'s jvp
x[key] = v      ẋ[key] = v̇ on the tangent                    ``setitem``'s jvp
sum/mean        sum/mean(ẋ, axis)                             ``_sum_jvp``/``_mean_jvp``
A @ B, dot      Ȧ @ B + A @ Ḃ (a literal's term left out)    ``_matmul_jvp``
transpose       transpose(ẋ)                                 ``_transpose_jvp``
norm            where(‖x‖ = 0, 0, sum(x·ẋ)/‖x‖)              ``_norm_jvp`` (0 at x = 0)
max/min         sum(w·ẋ, axis), w = hit/sum(hit, axis),      ``_extreme_jvp`` (ties split)
(axis None, 0)  hit = (x == max(x, axis))
zeros/ones      zeros(dims) (the value's shape)              constants (no jvp)
len             0                                            constants (no jvp)
==============  ===========================================  ===============================

A term whose argument is a literal or never depends on an input (``live`` is False: a matrix
literal in ``A @ x``) is left out of ``Ȧ @ B + A @ Ḃ``: its tangent is exactly zero.  ``prod``
(Σ ẋᵢ·Πⱼ≠ᵢ xⱼ by exclusive cumulative products, exact at zeros) has no IR form that keeps the
registry's rule, nor ``max``/``min`` along an axis other than 0 (the extreme cannot be broadcast
back without knowing the number of axes), so they are refused with an ``AdcalcError`` naming
the primitive.
"""

from __future__ import annotations

from collections.abc import Callable

from adcalc.errors import AdcalcError
from adcalc.language import ir

SHOWN = {"prod": "prod", "amax": "max", "amin": "min"}  # how the refusals name them


def refusal(name: str, span: object) -> AdcalcError:
    """The error for a primitive whose Hessian code is not generated."""
    shown = name if "(" in name else name + "()"
    return AdcalcError("type", f"the compiled Hessian code (hvp, hessian) does not handle {shown} of an array yet",
                       span,  # type: ignore[arg-type]
                       hint="use the interpreter: adcalc hessian / hvp, or adcalc.hessian and adcalc.hvp")


def zero_rule_product(p: ir.Atom, t: ir.Atom, out: str, fresh: Callable[[str], str], code: list, span: object,
                      loops: tuple) -> None:
    """``out = p·t`` whose value keeps the zero rule of ``rules/shapes.mul0`` — a non-finite factor
    times an exact zero is 0, not nan (the scalar code's ``tmul``, which the NumPy generator has
    no step for) — and whose derivatives stay those of ``p·t``: ``out = p̃·t̃`` with
    ``p̃ = where(nonfinite(p)·(t == 0), 0, p)``, ``t̃`` the same with the roles swapped and
    ``nonfinite(a) = (a − a != 0)``.  (A ``where`` around the product would also zero the
    derivative where p = 0 and p' ≠ 0.)  A finite literal ``p`` is a plain product."""
    def eqn(name: str, prim: str, xs: tuple) -> ir.Var:
        code.append(ir.Eqn(name, prim, xs, span, loops))
        return ir.Var(name)

    if isinstance(p, ir.Const) and p.value - p.value == 0.0:
        eqn(out, "mul", (p, t))
        return
    zero = ir.Const(0.0, "0.0")

    def guarded(a: ir.Atom, other: ir.Atom) -> ir.Atom:  # 0 where a is not finite and other is 0
        nonfinite = eqn(fresh("t"), "ne", (eqn(fresh("t"), "sub", (a, a)), zero))
        guard = eqn(fresh("t"), "mul", (nonfinite, eqn(fresh("t"), "eq", (other, zero))))
        return eqn(fresh("t"), "where", (guard, zero, a))

    eqn(out, "mul", (guarded(p, t), guarded(t, p)))


def array_tangent(ins: ir.Eqn, dot: Callable[[ir.Atom], ir.Atom], out: str, fresh: Callable[[str], str],
                  code: list, live: Callable[[ir.Atom], bool] = lambda a: isinstance(a, ir.Var)) -> None:
    """Append the steps computing ``out``, the tangent of the array step ``ins`` (see the module
    docstring; ``live(a)``: False when ``a``'s tangent is exactly zero everywhere)."""
    prim, args, span, loops = ins.prim, ins.args, ins.span, ins.loops

    def eqn(name: str, p: str, xs: tuple, params: tuple = ()) -> ir.Var:
        code.append(ir.Eqn(name, p, xs, span, loops, False, params))
        return ir.Var(name)

    if prim == "prod":
        raise refusal("prod", span)
    if prim == "len":
        code.append(ir.Move(out, ir.Const(0.0, "0.0"), span, loops))
    elif prim in ("zeros", "ones"):  # a constant of the value's shape (index assignment may follow)
        eqn(out, "zeros", args)
    elif prim in ("index", "sum", "mean", "transpose"):
        eqn(out, prim, (dot(args[0]), *args[1:]), ins.params)
    elif prim == "setitem":  # x[key] = v: the tangent's own index assignment ẋ[key] = v̇
        eqn(out, prim, (dot(args[0]), dot(args[1]), *args[2:]), ins.params)
    elif prim == "array":
        eqn(out, prim, tuple(dot(a) for a in args), ins.params)
    elif prim in ("matmul", "dot"):
        a, b = args
        terms = [(dot(a), b), (a, dot(b))]
        kept = [t for t, x in zip(terms, (a, b)) if live(x)] or terms[:1]
        if len(kept) == 1:
            eqn(out, prim, kept[0], ins.params)
        else:
            first = eqn(fresh("t"), prim, kept[0], ins.params)
            second = eqn(fresh("t"), prim, kept[1], ins.params)
            eqn(out, "add", (first, second))
    elif prim == "norm":  # _norm_jvp: Σ x·ẋ / ‖x‖, and 0 where ‖x‖ = 0 (the kink's convention)
        x = args[0]
        n = eqn(fresh("n"), "norm", (x,))
        s = eqn(fresh("t"), "sum", (eqn(fresh("t"), "mul", (x, dot(x))),), (None,))
        zero = eqn(fresh("t"), "eq", (n, ir.Const(0.0, "0.0")))
        safe = eqn(fresh("t"), "add", (n, zero))  # ‖x‖, or 1 where it is 0: no 0/0 in the unchosen branch
        eqn(out, "where", (zero, ir.Const(0.0, "0.0"), eqn(fresh("t"), "div", (s, safe))))
    elif prim in ("amax", "amin"):  # _extreme_jvp: Σ mul0(hit/count, ẋ) along the axis
        axis = ins.params[0] if ins.params else None
        if axis not in (None, 0):
            raise refusal(f"{SHOWN[prim]}(…, axis={axis})", span)
        x = args[0]
        hit = eqn(fresh("t"), "eq", (x, eqn(fresh("m"), prim, (x,), ins.params)))
        weight = eqn(fresh("t"), "div", (hit, eqn(fresh("t"), "sum", (hit,), (axis,))))
        eqn(out, "sum", (eqn(fresh("t"), "mul", (weight, dot(x))),), (axis,))
    else:
        raise refusal(prim, span)
