"""Adjoint code of a call of one of the program's functions: the callee shares the caller's cells.

Contract: ``Calls.call(ins)`` (a part of ``adjoint._Adjoint``) writes a call's forward step —
run the callee's generator ``_g_rev(args…, _cells=(cells…))`` to its value, keep it on the stack
— and its backward step — resume it with the results' cotangents.  The interpreter's calls add
no node: a callee's parameters are its argument nodes and a result that is a parameter (or a
copy of one) is that node.  The generated code keeps that identity with adjoint cells (one-element
lists): the callee's parameters use the arguments' cells (a fresh one for a constant), and it
sends back, with its value, the cell of each result that has one (``None`` otherwise).  A result
that comes back with a cell *is* that node: the caller adds to its adjoint in place and seeds it
with 0; any other result gets a new cell whose sum is the seed.  So every adjoint gets its
contributions in the interpreter's order — the same floats, bit for bit.  (Before: the result
had its own cell, added into the argument's when the call was reversed — the same sum in another
order, an ulp apart when a function returned its argument.)
"""

from __future__ import annotations

from adcalc.language import ir
from adcalc.ops.codegen.forward import atom, unpack, where


def as_tuple(items: list[str]) -> str:
    """Python text of a tuple of ``items``."""
    return f"({', '.join(items)}{',' if len(items) == 1 else ''})"


class Calls:
    """The call step of the adjoint writer (it has ``names``, ``funcs``, ``celled``, ``cell``,
    ``push_old``, ``take``, ``restore_old``, ``fw``, ``bw``, ``src`` and ``_reverse_here``)."""

    def cell_of(self, v: ir.Atom) -> str:
        """The cell of ``v``'s node as Python text (``None`` when it has none)."""
        return self.cell(v.name) if isinstance(v, ir.Var) and v.name in self.celled else "None"

    def call(self, ins: ir.CallFn) -> None:
        names = self.names
        callee, cfn = self.funcs[ins.func]
        self.calls += 1
        for o in ins.outs:
            self.push_old(o)
        outs = [names[o] for o in ins.outs]
        args = [atom(names, a) for a in ins.args]
        cells = [c if c != "None" else "[0.0]" for c in map(self.cell_of, ins.args)]
        self.fw.line(f"_it = _{callee}_rev({', '.join([*args, '_cells=' + as_tuple(cells)])})", where(ins, self.src))
        self.fw.line("_v, _c = next(_it)")
        self.fw.line(f"{unpack(outs, cfn.vector)} = _v")
        self.fw.line("_push((_it, _c))")
        for k, o in enumerate(ins.outs):
            if o in self.celled:
                self.fw.line(f"{self.cell(o)} = [0.0] if _c[{k}] is None else _c[{k}]")
        mark = len(self.bw.lines)
        self.bw.line("_it, _c = _pop()")
        gs = []
        for k, o in enumerate(ins.outs):
            if o in self.celled:
                self.bw.line(f"_g{k + 1} = {self.cell(o)}[0] if _c[{k}] is None else 0.0")
                gs.append(f"_g{k + 1}")
            else:
                gs.append(self.take(o, k + 1) or "0.0")
        for o in reversed(ins.outs):
            self.restore_old(o)
        self.bw.line(f"_resume(_it, {as_tuple(gs)}, None)")
        self._reverse_here(mark)

