"""Whole-array programs with loops, ifs and calls: the scalar generator's control flow, NumPy steps.

Contract: ``flow_functions(program, mode, funcs, src)`` writes, for every function the program
runs, its value function, its tangent function (``name_jvp``) and its adjoint generator
(``_name_rev``) over numbers and float64 arrays — the control flow, PUSH/POP and calls of the
scalar generator (``forward.statements``, ``adjoint.Adjoint``), each step the interpreter's array
rule (``arrays``' value and tangent texts, ``arrayrules``' traced partials and copied ``vjp``
rules).  Arrays are never written into in the forward sweep (``x[i] = v`` makes a new array, as
the interpreter does), so PUSH keeps references.  The backward sweep never adds into an array in
place except into an adjoint that a read ``x[key]``'s scatter made itself (kept in ``_own`` for
the sweep, so its identity cannot be reused): every other accumulation ``x̄ = x̄ + c`` makes a new
array, so no adjoint is ever a view another one writes through.  A step whose cotangent is still
the number 0 (nothing reached it) adds nothing, as in the interpreter's sweep.
"""

from __future__ import annotations

import re

from adcalc.language import ir
from adcalc.ops.codegen import analysis as A
from adcalc.ops.codegen import arrayrules as R
from adcalc.ops.codegen import structure as st
from adcalc.ops.codegen.adjoint import Adjoint
from adcalc.ops.codegen.arrays import Step, cotangent, key_text, partial_of, step_value, tangent_text
from adcalc.ops.codegen.forward import (
    Writer,
    atom,
    bare,
    printable,
    returned,
    statements,
    unpack,
    value_function,
    where,
)
from adcalc.ops.codegen.names import Names, module_names
from adcalc.rules.registry import REGISTRY

_REDUCTIONS = ("sum", "mean", "prod", "amax", "amin")


def scalar_names(fn: ir.Function) -> set[str]:
    """Names that hold a number at every assignment (flow-insensitive): loop counters, full
    reductions, ``len``, ``norm``, and elementwise steps on such names and literals."""
    assigned: dict[str, list[object]] = {}
    for ins in fn.code:
        if isinstance(ins, ir.ForNext):
            assigned.setdefault(ins.var, []).append("counter")
        elif isinstance(ins, (ir.Eqn, ir.Move, ir.CallFn)):
            for o in A.flow(ins)[0]:
                assigned.setdefault(o, []).append(ins)
    scalar = {n for n in assigned if n not in fn.params}

    def known(a: object) -> bool:
        return isinstance(a, ir.Const) or (isinstance(a, ir.Var) and a.name in scalar)

    changed = True
    while changed:
        changed = False
        for name in list(scalar):
            for ins in assigned[name]:
                ok = ins == "counter" or (isinstance(ins, ir.Move) and known(ins.value)) or (
                    isinstance(ins, ir.Eqn) and (
                        (REGISTRY[ins.prim].elementwise and all(known(a) for a in ins.args))
                        or ins.prim in ("len", "norm")
                        or (ins.prim in _REDUCTIONS and ins.params[0] is None)))
                if not ok:
                    scalar.discard(name)
                    changed = True
                    break
    return scalar


class _Context:
    """What a step's texts need: Python names, which values are numbers, which may vary."""

    def __init__(self, fn: ir.Function, funcs: dict, guard: bool, names: Names | None = None):
        self.fn = fn
        self.names = names or Names(fn, module_names(funcs))
        self.names.guard = guard
        self.names.fn_label = "the program" if fn.name == "<main>" else f"function {fn.name}"
        self.scalar_ir = scalar_names(fn)
        self.scalar = {self.names[n] for n in self.scalar_ir}

    def step(self, ins: ir.Eqn, active: set[str]) -> Step:
        args = [atom(self.names, a) for a in ins.args]
        known = [isinstance(a, ir.Const) or a.name in self.scalar_ir for a in ins.args]
        prim = REGISTRY[ins.prim]
        differentiable = range(len(args)) if prim.elementwise else prim.differentiable
        flags = [isinstance(a, ir.Var) and a.name in active and i in differentiable for i, a in enumerate(ins.args)]
        self.scalar.update(a for a, k in zip(args, known) if k)
        return Step(ins, self.names[ins.out], args, prim.elementwise and all(known), flags)


def _value_line(ctx: _Context, s: Step) -> str:
    code = step_value(s)
    if s.ins.prim in _REDUCTIONS and s.ins.params[0] is None:
        code = f"float({code})"
    return code


def primal(fn: ir.Function, pyname: str, funcs: dict, src: list[str], guard: bool) -> tuple[str, set[str]]:
    """``def pyname(params)``: the value (``guard``: loops call ``_guard()``, see ``module``)."""
    ctx = _Context(fn, funcs, guard)
    return value_function(fn, pyname, ctx.names, funcs, src,
                          lambda ins: (bare(_value_line(ctx, ctx.step(ins, set()))), ""))


def tangent(fn: ir.Function, pyname: str, funcs: dict, src: list[str], guard: bool) -> tuple[str, set[str]]:
    """``def pyname_jvp(params, tangents)`` → ``(value, tangent)``; a value without a tangent
    gets zeros of its shape (``_a_zt``), so every tangent has its value's shape."""
    ctx = _Context(fn, funcs, guard)
    names = ctx.names
    active = A.active_names(fn) & A.useful(fn)
    names.with_tangent = active
    w = Writer()

    def dt(a: ir.Atom) -> str | None:
        return names.tangent(a.name) if isinstance(a, ir.Var) and a.name in active else None

    def stmt(ins: object) -> None:
        if isinstance(ins, ir.Eqn):
            s = ctx.step(ins, active)
            in_place = any(isinstance(a, ir.Var) and a.name == ins.out for a in ins.args)
            out = names[ins.out]
            w.line(f"{'_v' if in_place and ins.out in active else out} = {bare(_value_line(ctx, s))}", where(ins, src))
            if ins.out in active:
                ts = [dt(a) if flag else None for a, flag in zip(ins.args, s.active)]
                value = "_v" if in_place else out
                text = tangent_text(Step(ins, value, s.args, s.scalar, s.active), ts, ctx.scalar)
                w.line(f"{names.tangent(ins.out)} = {text or f'_a_zt({value})'}")
                if in_place:
                    w.line(f"{out} = _v")
        elif isinstance(ins, ir.Move):
            w.line(f"{names[ins.name]} = {atom(names, ins.value)}", where(ins, src))
            if ins.name in active:
                w.line(f"{names.tangent(ins.name)} = {dt(ins.value) or f'_a_zt({names[ins.name]})'}")
        elif isinstance(ins, ir.CallFn):
            callee, cfn = funcs[ins.func]
            args = [atom(names, a) for a in ins.args] + [dt(a) or f"_a_zt({atom(names, a)})" for a in ins.args]
            w.line(f"({unpack([names[o] for o in ins.outs], cfn.vector)}), "
                   f"({unpack([names.tangent(o) for o in ins.outs], cfn.vector)}) = "
                   f"{callee}_jvp({', '.join(args)})", where(ins, src))

    def ret(item: st.Return) -> None:
        values = item.ins.values
        w.line(f"return {returned([atom(names, v) for v in values], fn.vector)}, "
               f"{returned([dt(v) or f'_a_zt({atom(names, v)})' for v in values], fn.vector)}", where(item.ins, src))

    statements(w, A.prune(st.structure(fn), A.live(fn)), names, stmt, ret, src)
    params = [names[p] for p in fn.params] + [names.tangent(p) for p in fn.params]
    return f"def {pyname}_jvp({', '.join(params)}):\n{w.text()}", w.helpers


class _ArrayAdjoint(Adjoint):
    """``adjoint.Adjoint`` with array steps (see the module docstring)."""

    def __init__(self, fn: ir.Function, funcs: dict, src: list[str], guard: bool, called: bool):
        super().__init__(fn, funcs, src, guard, called)
        self.ctx = _Context(fn, funcs, guard, self.names)
        self.once = set()  # every adjoint accumulates (x̄ = x̄ + c): no assignment shortcut

    def needed(self) -> set[str]:
        """Every value an input-dependent step reads, and its result where an array rule reads it."""
        need: set[str] = set()
        for ins in self.fn.code:
            if isinstance(ins, ir.Eqn) and ins.out in self.active:
                need.update(a.name for a in ins.args if isinstance(a, ir.Var))
                if not REGISTRY[ins.prim].elementwise:
                    need.add(ins.out)
        return need

    def eqn(self, ins: ir.Eqn) -> None:
        names, ctx = self.names, self.ctx
        s = ctx.step(ins, self.active | self.celled)
        self.push_old(ins.out)
        self.fw.line(f"{names[ins.out]} = {bare(_value_line(ctx, s))}", where(ins, self.src))
        self.new_cell(ins.out)
        mark = len(self.bw.lines)
        if ins.out not in self.active and ins.out not in self.celled:
            self.restore_old(ins.out)
        else:
            g = self.take(ins.out)
            if g is not None and any(s.active) and not REGISTRY[ins.prim].elementwise:
                self.bw.line(f"_y = {names[ins.out]}")  # the result, for its rule, before the old value returns
            self.restore_old(ins.out)
            if g is not None and any(s.active):
                self.contributions_of(s, g)
        self._reverse_here(mark)

    def contributions_of(self, s: Step, g: str) -> None:
        bw = self.bw
        name, args, params = s.ins.prim, s.args, s.ins.params
        bars = [self.bar(a) if flag else None for a, flag in zip(s.ins.args, s.active)]
        shown = printable(REGISTRY[name].show(args, pretty=False, params=params))
        bw.line(f"if _a_live({g}):  # {s.out} = {shown}")
        bw.depth += 1
        if REGISTRY[name].elementwise:
            for i, b in enumerate(bars):
                if b is None:
                    continue
                part = partial_of(s, i)
                if s.scalar:
                    if isinstance(part, float) and part == 0.0:
                        continue
                    c = g if part == 1.0 else f"({g} * {part if isinstance(part, str) else R.lit(part)} " \
                                             f"if {g} and {part if isinstance(part, str) else R.lit(part)} else 0.0)"
                else:
                    c = cotangent(part, g)
                    if c is None:
                        continue
                    c = f"_a_unbroadcast({c}, _a_shape({args[i]}))"
                bw.line(f"{b} = {b} + {c}")
        elif name == "index":
            bw.line(f"{bars[0]} = _a_scatter_o({bars[0]}, {args[0]}, {key_text(params, args[1:], True)}, {g}, _own)")
        elif name == "setitem":
            key = key_text(params, args[2:], False)
            if bars[0] is not None:
                bw.line(f"_gx = np.array({g}, dtype=float)")
                bw.line(f"_gx[{key}] = 0.0")
                bw.line(f"{bars[0]} = {bars[0]} + _gx")
            if bars[1] is not None:
                bw.line(f"{bars[1]} = {bars[1]} + _a_unbroadcast({g}[{key}], _a_shape({args[1]}))")
        elif name == "array":
            for i, b in enumerate(bars):
                if b is not None:
                    bw.line(f"{b} = {b} + _a_sc({g}[{i}])")
        elif name == "transpose":
            bw.line(f"{bars[0]} = {bars[0]} + np.transpose({g})")
        else:
            rule = R.rule_name(name, 1)
            bw.line(f"_ct = {rule}(({', '.join(args)}{',' if len(args) == 1 else ''}), {params!r}, _y, {g})")
            for i, b in enumerate(bars):
                if b is not None:
                    bw.line(f"{b} = {b} + _ct[{i}]")
        bw.depth -= 1

    def write(self, pyname: str) -> tuple[str, set[str]]:
        text, helpers = super().write(pyname)
        lines = text.split("\n")
        lines.insert(1, "    _own = {}")  # the adjoints this sweep's scatters made (safe to add into)
        out = [_ACCUMULATE.sub(lambda m: f"{m.group(1)}{m.group(2)} = {m.group(2)} {m.group(3)} {m.group(4)}", line)
               for line in lines]
        return "\n".join(out), helpers | {"_a_live", "_a_scatter_o", "_a_shape"}


_ACCUMULATE = re.compile(r"^(\s*)(\S+) ([+-])= (.+)$")  # x̄ += c in the scalar code: never in place on arrays


def reverse(fn: ir.Function, pyname: str, funcs: dict, src: list[str], guard: bool,
            called: bool) -> tuple[str, set[str]]:
    """``def _pyname_rev(params)``: the adjoint generator of ``adjoint.Adjoint`` with array steps."""
    return _ArrayAdjoint(fn, funcs, src, guard, called).write(pyname)
