"""The one IR interpreter: runs a ``Program`` under any mode (eval, forward, reverse).

Contract:
- ``compile_program(program)`` resolves names to register slots and labels to offsets once;
  ``run(compiled, mode, inputs, limits)`` executes it and returns the list of output values
  (mode values: floats, duals or tape nodes).
- An index with a subscript per axis (``x[i]``, ``A[i, j]``) runs as ``mode.element(prim, x,
  subscripts, site)``: the modes read one element on their scalar path (a float, no array rule
  node) and hand anything else (a row, a bad index) to their general step, as ``applyn``.
- Conditions read primal values (``mode.compare``), so the derivative is that of the path that
  actually executes.  ``for i in range(…)`` bounds are read as concrete values
  (``mode.concrete``: the float under any box) and must be whole.
- No Python recursion: user-function calls push frames on an explicit stack.
- Limits raise ``AdcalcError('limit')``: executed steps (every instruction counts, and array
  operations count their elements: ``adcalc.transform.budget``), memory (``adcalc.transform.budget``: checked before
  an array is allocated and as the tape grows), call depth, and ``range`` trip counts (checked
  before the loop starts).  Running out of memory anyway is a ``limit`` error, not a crash.
- An internal failure caused by an unbound variable is reported as ``AdcalcError('name')``
  with the span of the instruction that read it.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Sequence

from adcalc.errors import AdcalcError, Span
from adcalc.language import ir
from adcalc.rules.registry import COMPARISONS, REGISTRY
from adcalc.rules.shapes import describe_value
from adcalc.transform.budget import DEFAULT_MAX_DEPTH, DEFAULT_MAX_STEPS, SYNC, Budget

# Opcodes (ordered by how often they run)
EQN2, EQN1, CMP, BRANCH, JUMP, MOVE, FORNEXT, CALL, RET, FORINIT, LOOPHEAD, FALLOFF, EQNN, ELEM = range(14)


class Limits(namedtuple("Limits", "max_steps max_depth max_memory",
                        defaults=(DEFAULT_MAX_STEPS, DEFAULT_MAX_DEPTH, None))):
    """Executed-step, call-depth and memory limits of a run (``max_memory`` in bytes; None: the
    default budget of ``adcalc.transform.budget``)."""

    __slots__ = ()


class Code:
    """A function compiled to register form: ``template`` holds the initial registers
    (constants filled in, everything else None)."""

    __slots__ = ("fn", "template", "slot_names", "param_slots", "instrs")

    def __init__(self, fn: ir.Function, template: list, slot_names: list[str], param_slots: list[int],
                 instrs: list[tuple]):
        self.fn, self.template, self.slot_names, self.param_slots, self.instrs = (
            fn, template, slot_names, param_slots, instrs)


class Compiled:
    __slots__ = ("program", "codes")

    def __init__(self, program: ir.Program, codes: dict[str, Code]):
        self.program, self.codes = program, codes

    @property
    def main(self) -> Code:
        return self.codes[self.program.main.name]


def _compile_function(fn: ir.Function) -> Code:
    slots: dict[object, int] = {}
    template: list = []
    names: list[str] = []

    def slot(atom: ir.Atom | str) -> int:
        key: object = ("const", atom.value, atom.text) if isinstance(atom, ir.Const) else (
            atom.name if isinstance(atom, ir.Var) else atom)
        if key not in slots:
            slots[key] = len(template)
            if isinstance(atom, ir.Const):
                template.append(atom.value)
                names.append(atom.text)
            else:
                template.append(None)
                names.append(atom.name if isinstance(atom, ir.Var) else atom)
        return slots[key]

    param_slots = [slot(p) for p in fn.params]
    labels: dict[str, int] = {}
    pc = 0
    for ins in fn.code:
        if isinstance(ins, ir.Label):
            labels[ins.name] = pc
        else:
            pc += 1
    code: list[tuple] = []
    for ins in fn.code:
        if isinstance(ins, ir.Label):
            continue
        if isinstance(ins, ir.Eqn):
            prim = REGISTRY[ins.prim]
            if ins.prim == "index" and all(part == "i" for part in ins.params):  # x[i], A[i, j]: maybe one element
                idx = tuple(slot(a) for a in ins.args[1:])
                code.append((ELEM, slot(ins.out), prim, slot(ins.args[0]), idx, idx[0] if len(idx) == 1 else -1, ins))
                continue
            if not prim.elementwise or len(ins.args) > 2:  # array primitives, and max(a, b, c, …)
                code.append((EQNN, slot(ins.out), prim, tuple(slot(a) for a in ins.args), ins))
                continue
            if len(ins.args) == 2:
                code.append((EQN2, slot(ins.out), prim, slot(ins.args[0]), slot(ins.args[1]), ins))
            else:
                code.append((EQN1, slot(ins.out), prim, slot(ins.args[0]), ins))
        elif isinstance(ins, ir.Cmp):
            code.append((CMP, slot(ins.out), COMPARISONS[ins.op], slot(ins.a), slot(ins.b), ins))
        elif isinstance(ins, ir.Branch):
            code.append((BRANCH, slot(ins.cond), labels[ins.target], ins.when))
        elif isinstance(ins, ir.Jump):
            code.append((JUMP, labels[ins.target]))
        elif isinstance(ins, ir.Move):
            code.append((MOVE, slot(ins.name), slot(ins.value), ins))
        elif isinstance(ins, ir.CallFn):
            code.append((CALL, tuple(slot(o) for o in ins.outs), ins.func, tuple(slot(a) for a in ins.args), ins))
        elif isinstance(ins, ir.Return):
            code.append((RET, tuple(slot(v) for v in ins.values), ins))
        elif isinstance(ins, ir.ForInit):
            code.append((FORINIT, slot(ins.counter), slot(ins.stop_reg), slot(ins.step_reg), slot(ins.start),
                         slot(ins.stop), slot(ins.step), ins))
        elif isinstance(ins, ir.ForNext):
            code.append((FORNEXT, slot(ins.counter), slot(ins.stop_reg), slot(ins.step_reg), slot(ins.var),
                         labels[ins.exit], ins))
        elif isinstance(ins, ir.LoopHead):
            code.append((LOOPHEAD, ins.loop, ins.reset))
        elif isinstance(ins, ir.FallOff):
            code.append((FALLOFF, ins))
        else:  # pragma: no cover - the IR is closed
            raise TypeError(ins)
    return Code(fn, template, names, param_slots, code)


def compile_program(program: ir.Program) -> Compiled:
    """Resolve registers and labels for every function of ``program`` (done once per source)."""
    return Compiled(program, {name: _compile_function(fn) for name, fn in program.functions.items()})


class _Context:
    """Where execution is, for trace rows: the call path and the current loop iterations."""

    def __init__(self, main: str) -> None:
        self.frames: list[list[object]] = [[main, 0, {}]]  # [function, call number, {loop: label}]
        self.calls: dict[str, int] = {}

    def enter(self, fn: str) -> None:
        self.calls[fn] = self.calls.get(fn, 0) + 1
        self.frames.append([fn, self.calls[fn], {}])

    def leave(self) -> None:
        self.frames.pop()

    def describe(self, site: object) -> tuple:
        """Where ``site`` runs: the calls (``("call", name, n)``: the n-th call of name) and the
        iterations of the loops enclosing it (``("for", var, value)``, ``("while", n)``), outermost
        first."""
        parts: list[tuple] = [("call", f[0], f[1]) for f in self.frames[1:]]
        loops = self.frames[-1][2]
        for lid in getattr(site, "loops", ()):
            if lid in loops:
                parts.append(loops[lid])
        return tuple(parts)


def _whole(v: float, what: str, site: ir.ForInit) -> int:
    if type(v) is not float:
        raise AdcalcError("type", f"range() needs numbers, but its {what} is {describe_value(v)}", site.span)
    if v != v or v in (math.inf, -math.inf) or v != int(v):
        raise AdcalcError("type", f"range() needs whole numbers, but its {what} is {v:g}", site.span)
    return int(v)


DEFAULT_LIMITS = Limits()


def run(compiled: Compiled, mode: object, inputs: Sequence[object], limits: Limits = DEFAULT_LIMITS,
        trace_context: bool = False) -> list[object]:
    """Execute the main function with ``inputs`` (mode values, in ``program.inputs`` order)."""
    codes = compiled.codes
    code = compiled.main
    regs = list(code.template)
    for slot, value in zip(code.param_slots, inputs):
        regs[slot] = value
    instrs = code.instrs
    stack: list[tuple] = []
    max_steps, max_depth = limits.max_steps, limits.max_depth
    budget = mode.budget = Budget(max_steps, limits.max_memory)
    next_check = min(SYNC, max_steps)
    ctx = _Context(code.fn.name) if trace_context else None
    if ctx is not None:
        mode.where = ctx.describe
    apply1, apply2, applyn, compare, concrete = mode.apply1, mode.apply2, mode.applyn, mode.compare, mode.concrete
    element = mode.element
    steps = 0
    pc = 0
    ins: tuple = ()
    try:
        while True:
            ins = instrs[pc]
            pc += 1
            steps += 1
            if steps > next_check:
                next_check = budget.sync(steps, _span(ins), mode)
            op = ins[0]
            if op == EQN2:
                regs[ins[1]] = apply2(ins[2], regs[ins[3]], regs[ins[4]], ins[5])
            elif op == EQN1:
                regs[ins[1]] = apply1(ins[2], regs[ins[3]], ins[4])
            elif op == CMP:
                regs[ins[1]] = compare(ins[2], regs[ins[3]], regs[ins[4]], ins[5])
            elif op == ELEM:
                j = ins[5]
                regs[ins[1]] = element(ins[2], regs[ins[3]], (regs[j],) if j >= 0 else [regs[s] for s in ins[4]],
                                       ins[6])
            elif op == EQNN:
                regs[ins[1]] = applyn(ins[2], [regs[s] for s in ins[3]], ins[4])
            elif op == BRANCH:
                if regs[ins[1]] == ins[3]:
                    pc = ins[2]
            elif op == JUMP:
                pc = ins[1]
            elif op == MOVE:
                value = regs[ins[2]]
                if value is None:
                    raise _unbound(code, ins[2], ins[3].span)
                regs[ins[1]] = value
            elif op == FORNEXT:
                counter = regs[ins[1]]
                stop = regs[ins[2]]
                step = regs[ins[3]]
                if (counter >= stop) if step > 0 else (counter <= stop):
                    pc = ins[5]
                else:
                    regs[ins[4]] = counter
                    regs[ins[1]] = counter + step
                    if ctx is not None:
                        ctx.frames[-1][2][ins[6].loop] = ("for", ins[6].var, counter)
            elif op == CALL:
                if len(stack) >= max_depth:
                    raise AdcalcError("limit", f"calls are nested more than {max_depth:,} deep",
                                      ins[4].span, hint="raise it with --max-depth, or check the recursion's base case")
                callee = codes[ins[2]]
                new_regs = list(callee.template)
                for dst, src in zip(callee.param_slots, ins[3]):
                    value = regs[src]
                    if value is None:
                        raise _unbound(code, src, ins[4].span)
                    new_regs[dst] = value
                stack.append((code, regs, pc, ins[1]))
                code, regs, instrs, pc = callee, new_regs, callee.instrs, 0
                if ctx is not None:
                    ctx.enter(callee.fn.name)
            elif op == RET:
                values = [regs[s] for s in ins[1]]
                for s, value in zip(ins[1], values):
                    if value is None:
                        raise _unbound(code, s, ins[2].span)
                if not stack:
                    return values
                code, regs, pc, outs = stack.pop()
                instrs = code.instrs
                for dst, value in zip(outs, values):
                    regs[dst] = value
                if ctx is not None:
                    ctx.leave()
            elif op == FORINIT:
                site = ins[7]
                bounds = []
                for s, what in ((ins[4], "start"), (ins[5], "stop"), (ins[6], "step")):
                    if regs[s] is None:
                        raise _unbound(code, s, site.span)
                    bounds.append(_whole(concrete(regs[s]), what, site))
                start, stop, step = bounds
                if step == 0:
                    raise AdcalcError("type", "range() step must not be zero", site.span)
                trips = max(0, -((start - stop) // step)) if step > 0 else max(0, -((stop - start) // -step))
                if trips > max_steps - steps - budget.work:
                    raise AdcalcError("limit", f"this loop would run {trips:,} times, more than the step limit "
                                      f"({max_steps:,}) allows", site.span, hint="raise it with --max-steps")
                regs[ins[1]] = float(start)
                regs[ins[2]] = float(stop)
                regs[ins[3]] = float(step)
            elif op == LOOPHEAD:
                if ctx is not None:
                    loops = ctx.frames[-1][2]
                    n = 0 if ins[2] else int(loops.get(("n", ins[1]), 0)) + 1
                    loops[("n", ins[1])] = n
                    if n:
                        loops[ins[1]] = ("while", n)
            elif op == FALLOFF:
                what = "the program" if not stack else f"function {code.fn.name}"
                raise AdcalcError("type", f"{what} reached its end without a return", ins[1].span,
                                  hint="add a return on every path")
    except (TypeError, AttributeError):
        # A None register reached a primitive or a comparison: a variable read before it was set
        # (a TypeError from arithmetic, an AttributeError from a rule reading a dual's primal).
        for s in _arg_slots(ins):
            if regs[s] is None:
                raise _unbound(code, s, _span(ins)) from None
        raise
    except MemoryError:
        raise AdcalcError("limit", "the machine ran out of memory for this run", _span(ins),
                          hint="lower --max-memory below what the machine has, or use smaller arrays") from None


def _arg_slots(ins: tuple) -> tuple[int, ...]:
    op = ins[0] if ins else None
    if op == EQN2 or op == CMP:
        return (ins[3], ins[4])
    if op == EQN1:
        return (ins[3],)
    if op == EQNN:
        return ins[3]
    if op == ELEM:
        return (ins[3], *ins[4])
    return ()


def _span(ins: tuple) -> Span | None:
    site = ins[-1] if ins else None
    return getattr(site, "span", None)


def _unbound(code: Code, slot: int, span: Span | None) -> AdcalcError:
    name = code.slot_names[slot]
    return AdcalcError("name", f"'{name}' has no value here (it is assigned only on some paths, or later)",
                       span, hint=f"assign {name} before this line on every path")
