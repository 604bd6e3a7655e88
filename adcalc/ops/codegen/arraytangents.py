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
zeros/ones      zeros(dims) (the value's shape)              constants (no jvp)
len             0                                            constants (no jvp)
==============  ===========================================  ===============================

``prod`` (Σ ẋᵢ·Πⱼ≠ᵢ xⱼ by exclusive cumulative products, exact at zeros) and the reductions
``max``/``min`` (weights of the tied extremes) have no IR form that keeps the registry's
conventions, so they are refused with an ``AdcalcError`` naming the primitive.
"""

from __future__ import annotations

from collections.abc import Callable

from adcalc.errors import AdcalcError
from adcalc.language import ir

REFUSED = {"prod": "prod", "amax": "max", "amin": "min"}  # no IR tangent keeps their rule (see above)


def refusal(name: str, span: object) -> AdcalcError:
    """The error for a primitive whose Hessian code is not generated."""
    return AdcalcError("type", f"the compiled Hessian code (hvp, hessian) does not handle {name}() of an array yet",
                       span,  # type: ignore[arg-type]
                       hint="use the interpreter: adcalc hessian / hvp, or adcalc.hessian and adcalc.hvp")


def array_tangent(ins: ir.Eqn, dot: Callable[[ir.Atom], ir.Atom], out: str, fresh: Callable[[str], str],
                  code: list) -> None:
    """Append the steps computing ``out``, the tangent of the array step ``ins`` (see the module docstring)."""
    prim, args, span, loops = ins.prim, ins.args, ins.span, ins.loops

    def eqn(name: str, p: str, xs: tuple, params: tuple = ()) -> ir.Var:
        code.append(ir.Eqn(name, p, xs, span, loops, False, params))
        return ir.Var(name)

    if prim in REFUSED:
        raise refusal(REFUSED[prim], span)
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
        live = [t for t, x in zip(terms, (a, b)) if isinstance(x, ir.Var)] or terms[:1]
        if len(live) == 1:
            eqn(out, prim, live[0], ins.params)
        else:
            first = eqn(fresh("t"), prim, live[0], ins.params)
            second = eqn(fresh("t"), prim, live[1], ins.params)
            eqn(out, "add", (first, second))
    elif prim == "norm":  # _norm_jvp: Σ x·ẋ / ‖x‖, and 0 where ‖x‖ = 0 (the kink's convention)
        x = args[0]
        n = eqn(fresh("n"), "norm", (x,))
        s = eqn(fresh("t"), "sum", (eqn(fresh("t"), "mul", (x, dot(x))),), (None,))
        zero = eqn(fresh("t"), "eq", (n, ir.Const(0.0, "0.0")))
        safe = eqn(fresh("t"), "add", (n, zero))  # ‖x‖, or 1 where it is 0: no 0/0 in the unchosen branch
        eqn(out, "where", (zero, ir.Const(0.0, "0.0"), eqn(fresh("t"), "div", (s, safe))))
    else:
        raise refusal(prim, span)
