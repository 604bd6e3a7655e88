"""What the adjoint program needs to know about a function's names (static analysis of the IR).

Contract: ``assignments(fn)`` counts the places that assign each name (a parameter counts once)
and lists the names assigned inside a loop; ``needed(fn)`` are the names some partial reads, so
the backward sweep needs their values; ``used_once(fn)`` are the temporaries one step defines
and one argument of one later step reads (their adjoint is assigned, never accumulated).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from adcalc.language import ir
from adcalc.ops.codegen import templates as T


def assignments(fn: ir.Function) -> tuple[dict[str, int], set[str]]:
    """How many places assign each name (parameters count once), and the names assigned in a loop."""
    count: dict[str, int] = dict.fromkeys(fn.params, 1)
    in_loop: set[str] = set()
    for ins in fn.code:
        outs = flow(ins)[0]
        if isinstance(ins, ir.ForNext):
            outs = (ins.var,)
            in_loop.add(ins.var)
        for o in outs:
            count[o] = count.get(o, 0) + 1
            if getattr(ins, "loops", ()):
                in_loop.add(o)
    return count, in_loop


def useful(fn: ir.Function) -> set[str]:
    """Names whose value can reach what the function returns (a condition's temporaries cannot:
    their tangents and adjoints are always zero, so no code is written for them)."""
    out = {v.name for ins in fn.code if isinstance(ins, ir.Return) for v in ins.values if isinstance(v, ir.Var)}
    return _backwards(fn, out)


def live(fn: ir.Function) -> set[str]:
    """Names whose value the function's result or its control flow reads (returns, conditions,
    range bounds, calls' arguments), directly or through other steps: a step that writes only
    other names is dead code, and generated code leaves it out (the same result)."""
    out: set[str] = set()
    for ins in fn.code:
        reads: tuple = ()
        if isinstance(ins, ir.Return):
            reads = ins.values
        elif isinstance(ins, ir.Cmp):
            reads = (ins.a, ins.b)
        elif isinstance(ins, ir.ForInit):
            reads = (ins.start, ins.stop, ins.step)
        elif isinstance(ins, ir.CallFn):
            reads = ins.args
        out.update(a.name for a in reads if isinstance(a, ir.Var))
    return _backwards(fn, out)


def flow(ins: object) -> tuple[tuple, tuple]:
    """(names a step writes, atoms it reads) for the steps that carry values: Eqn, Move, CallFn."""
    if isinstance(ins, ir.Eqn):
        return (ins.out,), ins.args
    if isinstance(ins, ir.Move):
        return (ins.name,), (ins.value,)
    if isinstance(ins, ir.CallFn):
        return ins.outs, ins.args
    return (), ()


def touches(ins: object) -> tuple[tuple, tuple]:
    """(names a step writes, atoms it reads) for every kind of step: ``flow``'s, and what a
    comparison, a return and a range read, and the name a loop's next step writes."""
    if isinstance(ins, ir.Cmp):
        return (), (ins.a, ins.b)
    if isinstance(ins, ir.Return):
        return (), ins.values
    if isinstance(ins, ir.ForInit):
        return (), (ins.start, ins.stop, ins.step)
    if isinstance(ins, ir.ForNext):
        return (ins.var,), ()
    return flow(ins)


_FLOWS: list[tuple[ir.Function, list[tuple[tuple, tuple]]]] = []  # the last few functions' flows


def flows(fn: ir.Function) -> list[tuple[tuple, tuple]]:
    """``(names written, names read)`` of each step that carries values, in code order (``flow``,
    with only the variables it reads): computed once per function for the analyses below."""
    global _FLOWS
    for known, table in _FLOWS:
        if known is fn:
            return table
    table = []
    for ins in fn.code:
        outs, args = flow(ins)
        if outs:
            table.append((outs, tuple(a.name for a in args if isinstance(a, ir.Var))))
    _FLOWS = [(fn, table), *_FLOWS[:3]]  # a new list: threads iterating the old one see it whole
    return table


def active_names(fn: ir.Function) -> set[str]:
    """Names that may depend on an input (flow-insensitive: active anywhere, active everywhere)."""
    active = set(fn.params)
    table = flows(fn)
    changed = True
    while changed:
        changed = False
        for outs, reads in table:
            if any(r in active for r in reads):
                for o in outs:
                    if o not in active:
                        active.add(o)
                        changed = True
    return active


def _backwards(fn: ir.Function, out: set[str]) -> set[str]:
    table = flows(fn)
    changed = True
    while changed:  # backwards: one pass settles straight-line code, loops take a few more
        changed = False
        for outs, reads in reversed(table):
            if any(o in out for o in outs):
                for r in reads:
                    if r not in out:
                        out.add(r)
                        changed = True
    return out


def prune(seq: list, keep: set[str]) -> list:
    """``seq`` (``structure``'s statements) without the steps that write only names not in ``keep``."""
    from adcalc.ops.codegen import structure as st

    out = []
    for item in seq:
        if isinstance(item, st.Stmt) and isinstance(item.ins, (ir.Eqn, ir.Move)):
            name = item.ins.out if isinstance(item.ins, ir.Eqn) else item.ins.name
            if name not in keep:
                continue
        elif isinstance(item, st.If):
            item = st.If(item.test, item.when, prune(item.then, keep), prune(item.orelse, keep))
        elif isinstance(item, st.For):
            item = st.For(item.init, item.next, prune(item.body, keep))
        elif isinstance(item, st.While):
            item = st.While(item.head, prune(item.body, keep))
        out.append(item)
    return out


def needed(fn: ir.Function, active: set[str], partial: Callable[[str, int, list[str]], str] = T.partial) -> set[str]:
    """Names whose value a partial the adjoint program computes reads (the backward sweep needs
    them): the partials of input-dependent steps with respect to input-dependent arguments
    (``partial``: ``templates.partial``, or a caller's remembered copy of it)."""
    need: set[str] = set()
    for ins in fn.code:
        if isinstance(ins, ir.Eqn) and ins.out in active:
            args = [a.name if isinstance(a, ir.Var) else T.lit(a.value) for a in ins.args]
            if ins.prim == "index":  # x̄[i] += ȳ needs the index i where the sweep adds it
                need.update(a.name for a in ins.args[1:] if isinstance(a, ir.Var))
            for i, arg in enumerate(ins.args):
                if not (isinstance(arg, ir.Var) and arg.name in active):
                    continue
                text = partial(ins.prim, i, args)
                if T.constant_partial(text) is not None:
                    continue
                words = _words(text)
                need.update(a.name for a in ins.args if isinstance(a, ir.Var) and a.name in words)
    return need


def used_once(fn: ir.Function) -> set[str]:
    """Temporaries defined by one step and read by one argument of one later step: their adjoint
    has exactly one contribution, so it is assigned, never accumulated or cleared."""
    defs: dict[str, int] = {}
    uses: dict[str, int] = {}
    eqn_uses: dict[str, int] = {}
    for ins in fn.code:
        reads: tuple = ()
        if isinstance(ins, ir.Eqn):
            if not ins.user_var:
                defs[ins.out] = defs.get(ins.out, 0) + 1
            else:
                defs[ins.out] = defs.get(ins.out, 0) + 2
            reads = ins.args
            for a in ins.args:
                if isinstance(a, ir.Var):
                    eqn_uses[a.name] = eqn_uses.get(a.name, 0) + 1
        elif isinstance(ins, ir.Move):
            defs[ins.name] = defs.get(ins.name, 0) + 2
            reads = (ins.value,)
        elif isinstance(ins, ir.CallFn):
            for o in ins.outs:
                defs[o] = defs.get(o, 0) + 2
            reads = ins.args
        elif isinstance(ins, ir.Cmp):
            reads = (ins.a, ins.b)
        elif isinstance(ins, ir.Return):
            reads = ins.values
        elif isinstance(ins, ir.ForInit):
            reads = (ins.start, ins.stop, ins.step)
        elif isinstance(ins, ir.ForNext):
            defs[ins.var] = defs.get(ins.var, 0) + 2
        for a in reads:
            if isinstance(a, ir.Var):
                uses[a.name] = uses.get(a.name, 0) + 1
    return {n for n, d in defs.items() if d == 1 and uses.get(n) == 1 and eqn_uses.get(n) == 1}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))


def index_whole(fn: ir.Function) -> set[str]:
    """``whole_names(fn)`` where it is read — the indices of element reads (``templates.element_key``,
    the only reader) — so empty for a function without element reads, at the cost of one scan."""
    if not any(isinstance(ins, ir.Eqn) and ins.prim == "index" for ins in fn.code):
        return set()
    return whole_names(fn)


_FLOAT_WITH_CONST = frozenset({"add", "sub", "mul"})  # an int and a float literal give a float


def int_counters(fn: ir.Function) -> set[str]:
    """The ``for`` counters the reverse code may hold as Python ints (``for i in range(n)`` with
    no ``map(float, …)``, and ``x[i]`` with no ``int(i)`` at each read): those assigned only by
    their loop and read only as an index, in a comparison, or with a float literal in ``+ − ·``.
    Each of these reads gives the same result for the int as for the whole float it stands for
    (|i| < 2⁵³: a range's bounds; int ○ float converts the int exactly; the step's result is a
    float, so no int flows further), and no other read — a return, a call, a negation (−0), a
    product of two counters — sees one."""
    counters = {ins.var for ins in fn.code if isinstance(ins, ir.ForNext)}
    if not counters:
        return set()
    count, _ = assignments(fn)
    ok = {c for c in counters if count.get(c) == 1 and c not in fn.params}
    for ins in fn.code:
        reads = touches(ins)[1]
        for k, a in enumerate(reads):
            if not isinstance(a, ir.Var) or a.name not in ok:
                continue
            if isinstance(ins, ir.Cmp) or (isinstance(ins, ir.Eqn) and ins.prim == "index" and k >= 1):
                continue
            if (isinstance(ins, ir.Eqn) and ins.prim in _FLOAT_WITH_CONST and len(reads) == 2
                    and isinstance(reads[1 - k], ir.Const)):
                continue
            ok.discard(a.name)
    return ok


_WHOLE_STEPS = frozenset({"add", "sub", "mul", "neg"})  # whole numbers in, a whole number out (or ±inf, nan)


def whole_names(fn: ir.Function) -> set[str]:
    """Names every assignment of which gives a whole number: loop counters, ``len``, and sums,
    differences and products of whole literals and such names (an index read from one needs no
    check that it is whole: ``int(i)`` is exact; a non-finite one still fails in ``int``)."""
    assigned: dict[str, list[object]] = {}
    for ins in fn.code:
        if isinstance(ins, ir.ForNext):
            assigned.setdefault(ins.var, []).append("counter")
        elif isinstance(ins, (ir.Eqn, ir.Move, ir.CallFn)):
            for o in flow(ins)[0]:
                assigned.setdefault(o, []).append(ins)
    params = set(fn.params)
    whole = {n for n in assigned if n not in params}

    def is_whole(a: object) -> bool:
        if isinstance(a, ir.Const):
            return a.value - a.value == 0.0 and a.value == int(a.value)
        return isinstance(a, ir.Var) and a.name in whole

    changed = True
    while changed:  # in the order of the code: straight-line code settles in one pass
        changed = False
        for name in [n for n in assigned if n in whole]:
            for ins in assigned[name]:
                ok = (ins == "counter"
                      or (isinstance(ins, ir.Eqn) and ins.prim == "len")
                      or (isinstance(ins, ir.Eqn) and ins.prim in _WHOLE_STEPS and all(is_whole(a) for a in ins.args))
                      or (isinstance(ins, ir.Move) and is_whole(ins.value)))
                if not ok:
                    whole.discard(name)
                    changed = True
                    break
    return whole
