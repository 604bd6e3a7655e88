"""Which inputs of a program are arrays read element by element — the arrays generated code takes.

Contract: ``array_inputs(program)`` returns ``{name: axes}`` for the main function's parameters
that the program reads as ``x[i]`` / ``A[i, j]`` (``axes``: the number of subscripts, the same in
every read) or measures with ``len(x)`` (``axes`` 0 when only ``len`` reads it: any array).  Such
an input may appear nowhere else — not in arithmetic, a copy, a call, a comparison, a return, a
slice or an index assignment, and it is never assigned — and only the main function reads
elements; anything else is an ``AdcalcError`` naming the input and the line, saying to use the
interpreter.  Inside generated functions these inputs are nested lists of floats (the entry
points convert them), so an element read is a list read: the interpreter's scalar path for
``x[i]`` (``rules.indexing.element_key``), the same float, the same cotangent ``x̄[i] += ȳ``.
"""

from __future__ import annotations

from adcalc.errors import AdcalcError, Span
from adcalc.language import ir
from adcalc.ops.codegen.analysis import touches

READS = ("index", "len")


def _refuse(what: str, span: Span | None) -> AdcalcError:
    return AdcalcError("type", f"code generation reads array inputs element by element only so far "
                       f"(x[i], A[i, j], len(x)), and {what}", span,
                       hint="run it with the interpreter (eval, grad, jvp, vjp, jacobian, hessian)")


def array_inputs(program: ir.Program) -> dict[str, int]:
    """The main function's array inputs and their axes (see the module docstring)."""
    main = program.main
    arrays: dict[str, int] = {}
    for fn in (main, *(f for f in program.functions.values() if f is not main)):
        for ins in fn.code:
            if not (isinstance(ins, ir.Eqn) and ins.prim in READS):
                continue
            x = ins.args[0]
            if not isinstance(x, ir.Var) or fn is not main or x.name not in main.params:
                shown = x.name if isinstance(x, ir.Var) else "a value"
                raise _refuse(f"{shown} is not one of the program's inputs"
                              + ("" if fn is main else f" (it is read in function {fn.name})"), ins.span)
            if ins.prim == "len":
                arrays.setdefault(x.name, 0)
                continue
            if any(part != "i" for part in ins.params):
                raise _refuse(f"{x.name} is sliced here", ins.span)
            axes = len(ins.args) - 1
            if arrays.get(x.name, 0) not in (0, axes):
                raise _refuse(f"{x.name} is read with {arrays[x.name]} and with {axes} subscripts", ins.span)
            arrays[x.name] = axes
    if arrays:
        _only_read(main, arrays)
    return arrays


def _only_read(fn: ir.Function, arrays: dict[str, int]) -> None:
    """An array input appears only as what ``index``/``len`` read, and is never assigned."""
    for ins in fn.code:
        writes, reads = touches(ins)
        if isinstance(ins, ir.Eqn) and ins.prim in READS:
            reads = ins.args[1:]  # the array itself is what index/len read
        for a in reads:
            if isinstance(a, ir.Var) and a.name in arrays:
                raise _refuse(f"{a.name} is used here as a whole array", getattr(ins, "span", None))
        for w in writes:
            if w in arrays:
                raise _refuse(f"{w} is assigned here", getattr(ins, "span", None))
