"""Generated reverse-mode (adjoint) code for one function.

Contract: ``adjoint_function(fn, ...)`` writes a generator ``_name_rev(x1, …, xn)``: its forward
sweep computes the value with the interpreter's operations, pushing on the stack ``S`` the
branch taken by every ``if`` (1/0), the number of iterations of every loop, and the old value
of every variable the backward sweep reads that is about to be overwritten (Tapenade's PUSH);
it yields the value, receives ``(output cotangents, initial input adjoints)``, and its backward
sweep replays the program in reverse (POP), with ``x̄ += ȳ·∂`` for each step — the partials of
``templates``, the interpreter's zero rule (nothing flows when ȳ = 0 or ∂ = 0), and the same
accumulation order as the interpreter's tape sweep — returning the inputs' adjoints.  Calls of
the program's functions run their own generators, so recursion needs nothing more.
"""

from __future__ import annotations

from adcalc.language import ir
from adcalc.ops.codegen import exits as ex
from adcalc.ops.codegen import structure as st
from adcalc.ops.codegen import templates as T
from adcalc.ops.codegen.forward import (
    Writer,
    active_names,
    atom,
    bare,
    compare_text,
    for_header,
    range_args,
    unpack,
    where,
)
from adcalc.ops.codegen.names import Names


def _assignments(fn: ir.Function) -> tuple[dict[str, int], set[str]]:
    """How many places assign each name (parameters count once), and the names assigned in a loop."""
    count: dict[str, int] = dict.fromkeys(fn.params, 1)
    in_loop: set[str] = set()
    for ins in fn.code:
        outs: tuple = ()
        if isinstance(ins, ir.Eqn):
            outs = (ins.out,)
        elif isinstance(ins, ir.Move):
            outs = (ins.name,)
        elif isinstance(ins, ir.CallFn):
            outs = ins.outs
        elif isinstance(ins, ir.ForNext):
            outs = (ins.var,)
            in_loop.add(ins.var)
        for o in outs:
            count[o] = count.get(o, 0) + 1
            if getattr(ins, "loops", ()):
                in_loop.add(o)
    return count, in_loop


def _needed(fn: ir.Function) -> set[str]:
    """Names whose value a partial reads (the backward sweep needs them)."""
    need: set[str] = set()
    for ins in fn.code:
        if isinstance(ins, ir.Eqn):
            args = [a.name if isinstance(a, ir.Var) else T.lit(a.value) for a in ins.args]
            for i in range(len(args)):
                text = T.partial(ins.prim, i, args)
                for a in ins.args:
                    if isinstance(a, ir.Var) and T.constant_partial(text) is None and a.name in _words(text):
                        need.add(a.name)
    return need


def _used_once(fn: ir.Function) -> set[str]:
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
    import re

    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))


class _Adjoint:
    def __init__(self, fn: ir.Function, funcs: dict, src: list[str]):
        self.fn, self.funcs, self.src = fn, funcs, src
        self.names = Names(fn, {"S"})
        self.names.fn_label = "the program" if fn.name == "<main>" else f"function {fn.name}"
        self.active = active_names(fn)
        count, in_loop = _assignments(fn)
        self.single = {n for n, c in count.items() if c == 1 and n not in in_loop}
        self.restore = {n for n in _needed(fn) if n not in self.single}
        self.once = _used_once(fn) - set(fn.params)
        self.body, self.flags = ex.complete(st.structure(fn))
        self.fw, self.bw = Writer(), Writer()
        self.bw.depth = 0
        self.calls = 0
        self.pending: list[list[str]] = []

    # ---- helpers -----------------------------------------------------------------------------
    def bar(self, a: ir.Atom) -> str | None:
        if isinstance(a, ir.Var) and a.name in self.active:
            return self.names.adjoint(a.name)
        return None

    def push_old(self, name: str) -> None:
        if name in self.restore:
            self.fw.line(f"_push({self.names[name]})")

    def take(self, out: str) -> str | None:
        """Backward: read the adjoint of ``out``'s new value into ``_g`` and clear it for the old one."""
        if out not in self.active:
            return None
        b = self.names.adjoint(out)
        if out in self.single or out in self.once:
            return b
        self.bw.line(f"_g = {b}")
        self.bw.line(f"{b} = 0.0")
        return "_g"

    def restore_old(self, name: str) -> None:
        if name in self.restore:
            self.bw.line(f"{self.names[name]} = _pop()")

    # ---- steps -------------------------------------------------------------------------------
    def eqn(self, ins: ir.Eqn) -> None:
        names = self.names
        args = [atom(names, a) for a in ins.args]
        self.push_old(ins.out)
        self.fw.line(f"{names[ins.out]} = {bare(T.value(ins.prim, args))}", where(ins, self.src))
        mark = len(self.bw.lines)
        partials = [T.partial(ins.prim, i, args) for i in range(len(args))]
        through = [i for i, a in enumerate(ins.args) if isinstance(a, ir.Var) and a.name == ins.out]
        passthrough = (len(through) == 1 and T.constant_partial(partials[through[0]]) == 1.0
                       and ins.out not in self.once)
        if ins.out not in self.active:
            self.restore_old(ins.out)
        else:
            g = self.names.adjoint(ins.out) if passthrough else self.take(ins.out)
            self.restore_old(ins.out)
            self.contributions(ins, args, partials, g, through[0] if passthrough else None)
        self._reverse_here(mark)

    def contributions(self, ins: ir.Eqn, args: list[str], partials: list[str], g: str, skip: int | None) -> None:
        """x̄ᵢ += ȳ·∂ᵢ for each input-dependent argument, as the interpreter's sweep adds them (nothing
        when ȳ or ∂ᵢ is exactly 0); a temporary used only here gets its adjoint by assignment."""
        bw = self.bw
        guarded: list[str] = []
        direct: list[str] = []
        for i, a in enumerate(ins.args):
            b = self.bar(a)
            if b is None or i == skip:
                continue
            p = partials[i]
            c = T.constant_partial(p)
            if isinstance(a, ir.Var) and a.name in self.once:  # its only contribution, never skipped
                if c == 0.0:
                    direct.append(f"{b} = 0.0")
                elif c == 1.0:
                    direct.append(f"{b} = {g}")
                elif c == -1.0:
                    direct.append(f"{b} = -{g}")
                elif c is not None:
                    direct.append(f"{b} = {g} * {T.lit(c)} if {g} else 0.0")
                elif p.isidentifier():
                    direct.append(f"{b} = {g} * {p} if {g} and {p} else 0.0")
                else:
                    direct.append(f"_p = {bare(p)} if {g} else 0.0")
                    direct.append(f"{b} = {g} * _p if _p else 0.0")
                continue
            if c == 0.0:
                continue
            if c == 1.0:
                guarded.append(f"{b} += {g}")
            elif c == -1.0:
                guarded.append(f"{b} -= {g}")
            elif c is not None:
                guarded.append(f"{b} += {g} * {T.lit(c)}")
            elif p.isidentifier():
                guarded.append(f"if {p}:")
                guarded.append(f"    {b} += {g} * {p}")
            else:
                guarded.append(f"_p = {bare(p)}")
                guarded.append("if _p:")
                guarded.append(f"    {b} += {g} * _p")
        if not (guarded or direct):
            return
        shown = where(ins, self.src)
        bw.line(f"# {self.names[ins.out]} = {bare(T.value(ins.prim, args))}" + (f"  ({shown})" if shown else ""))
        # ±1 partials need no test: adding ȳ = 0 changes nothing (an adjoint is never -0)
        needs_guard = any(not (t.endswith(f"+= {g}") or t.endswith(f"-= {g}")) for t in guarded)
        if needs_guard:
            bw.line(f"if {g}:")
            bw.depth += 1
        for text in guarded:
            bw.line(text)
        if needs_guard:
            bw.depth -= 1
        for text in direct:
            bw.line(text)

    def move(self, ins: ir.Move) -> None:
        names = self.names
        self.push_old(ins.name)
        self.fw.line(f"{names[ins.name]} = {atom(names, ins.value)}", where(ins, self.src))
        mark = len(self.bw.lines)
        g = self.take(ins.name)
        self.restore_old(ins.name)
        b = self.bar(ins.value)
        if g is not None and b is not None:
            self.bw.line(f"{b} += {g}")
        self._reverse_here(mark)

    def call(self, ins: ir.CallFn) -> None:
        names = self.names
        callee, cfn = self.funcs[ins.func]
        self.calls += 1
        for o in ins.outs:
            self.push_old(o)
        outs = [names[o] for o in ins.outs]
        args = [atom(names, a) for a in ins.args]
        self.fw.line(f"_it = _{callee}_rev({', '.join(args)})", where(ins, self.src))
        self.fw.line(f"{unpack(outs, cfn.vector)} = next(_it)")
        self.fw.line("_push(_it)")
        mark = len(self.bw.lines)
        self.bw.line("_it = _pop()")
        gs = []
        for o in ins.outs:
            g = self.take(o)
            if g == "_g":  # several outputs: keep each one's cotangent
                self.bw.line(f"_g{len(gs)} = _g")
                g = f"_g{len(gs)}"
            gs.append(g or "0.0")
        for o in reversed(ins.outs):
            self.restore_old(o)
        bars = [self.bar(a) or "0.0" for a in ins.args]
        targets = [b if b != "0.0" else "_" for b in bars]
        self.bw.line(f"{', '.join(targets)}{',' if len(targets) == 1 else ''} = "
                     f"_resume(_it, ({', '.join(gs)}{',' if len(gs) == 1 else ''}), "
                     f"({', '.join(bars)}{',' if len(bars) == 1 else ''}))" if targets else
                     f"_resume(_it, ({', '.join(gs)},), ())")
        self._reverse_here(mark)

    def _reverse_here(self, mark: int) -> None:
        """The backward lines of one step go before those of the steps after it: collect each
        step's lines and prepend them (the backward sweep is built back to front)."""
        new = self.bw.lines[mark:]
        del self.bw.lines[mark:]
        self.pending.append(new)

    # ---- control flow ------------------------------------------------------------------------
    def seq(self, items: list) -> list[str]:
        """Write the forward sweep of ``items``; return the backward sweep's lines (relative indent)."""
        saved = getattr(self, "pending", None)
        self.pending: list[list[str]] = []
        for item in items:
            self.item(item)
        out: list[str] = []
        for chunk in reversed(self.pending):
            out.extend(chunk)
        self.pending = saved  # type: ignore[assignment]
        return out

    def nested(self, items: list) -> list[str]:
        """The backward lines of a nested block, indented one level relative to the current one."""
        self.fw.depth += 1
        depth = self.bw.depth
        self.bw.depth = 0
        lines = self.seq(items)
        self.bw.depth = depth
        self.fw.depth -= 1
        return ["    " + line for line in lines] or ["    pass"]

    def item(self, item: object) -> None:
        fw = self.fw
        if isinstance(item, st.Stmt):
            ins = item.ins
            if isinstance(ins, ir.Eqn):
                self.eqn(ins)
            elif isinstance(ins, ir.Move):
                self.move(ins)
            else:
                self.call(ins)
        elif isinstance(item, st.If):
            if isinstance(item.test, ex.FlagTest):
                fw.line(f"if not ({' or '.join(item.test.flags)}):")
            else:
                fw.line(f"if {compare_text(self.names, item.test, item.when)}:", where(item.test, self.src))
            head = len(fw.lines) - 1
            then = self.nested(item.then + [_Push(1)])
            first = len(fw.lines) - 1
            fw.line("else:")
            orelse = self.nested(item.orelse + [_Push(0)])
            if then == orelse == ["    pass"]:  # nothing to undo in either arm: no need to know which ran
                pad = "    " * (fw.depth + 1)
                then_lines = fw.lines[head + 1:first]
                else_lines = fw.lines[first + 2:-1]
                if not then_lines and not else_lines:  # a test with no effect: leave it out
                    del fw.lines[head:]
                else:
                    fw.lines[head + 1:] = (then_lines or [pad + "pass"]) + (
                        [fw.lines[first + 1]] + else_lines if else_lines else [])
            else:
                self.pending.append(["if _pop():", *then, "else:", *orelse])
        elif isinstance(item, ex.Loop):
            counter = item.counter
            leaves = any(isinstance(x, ex.LoopExit) for x in item.body)
            if item.kind == "for":
                var = item.item.next.var
                pre = [_Assign(var)] if var in self.restore else []
                if leaves:
                    fw.line(f"{counter} = 0")
                    pre.insert(0, _Count(counter))
                    header = for_header(self.names, item.item, "_k" if var in self.restore else None)
                else:  # it runs to the end of its range: the trip count is the range's length
                    fw.line(f"{counter} = range({range_args(self.names, item.item.init)})",
                            where(item.item.init, self.src))
                    header = f"for {'_k' if var in self.restore else self.names[var]} in map(float, {counter}):"
                fw.line(header, where(item.item.init, self.src))
                count = counter if leaves else f"len({counter})"
            else:
                fw.line(f"{counter} = 0")
                fw.line("while True:")
                pre = [_Count(counter)]
                count = counter
            body = self.nested(pre + list(item.body))
            fw.line(f"_push({count})")
            self.pending.append(["for _ in range(_pop()):", *body])
        elif isinstance(item, ex.SetOut):
            for k, v in enumerate(item.ins.values):
                fw.line(f"_out{k} = {atom(self.names, v)}", where(item.ins, self.src))
            chunk = []
            for k, v in enumerate(item.ins.values):
                b = self.bar(v)
                if b is not None:
                    chunk.append(f"{b} += _out{k}_bar")
            self.pending.append(chunk)
        elif isinstance(item, ex.SetFlag):
            if isinstance(item.flag, tuple):
                fw.line(f"{item.flag[0]} = False")
            else:
                fw.line(f"{item.flag} = True")
        elif isinstance(item, ex.LoopExit):
            fw.line(f"if {' or '.join(item.flags)}:")
            fw.line("    break")
        elif isinstance(item, st.Raise):
            fw.line(f"raise ValueError({'reached the end of ' + self.names.fn_label + ' without a return'!r})")
        elif isinstance(item, _Push):
            fw.line(f"_push({item.value})")
        elif isinstance(item, _Count):
            fw.line(f"{item.counter} += 1")
        elif isinstance(item, _Assign):
            fw.line(f"_push({self.names[item.var]})")
            fw.line(f"{self.names[item.var]} = _k")
            self.pending.append([f"{self.names[item.var]} = _pop()"])

    def write(self, pyname: str) -> tuple[str, set[str]]:
        names, fn = self.names, self.fn
        fw = self.fw
        fw.line("S = []")
        fw.line("_push, _pop = S.append, S.pop")
        for f in self.flags:
            fw.line(f"{f} = False")
        for n in sorted(self.restore - set(fn.params), key=list(names.primal).index):
            fw.line(f"{names[n]} = 0.0")
        self.pending = []
        back = self.seq(self.body)
        n_out = fn.n_outputs
        outs = [f"_out{k}" for k in range(n_out)]
        value = outs[0] if n_out == 1 and not fn.vector else "[" + ", ".join(outs) + "]"
        params = [names[p] for p in fn.params]
        fw.line(f"_seed, _start = yield {value}")
        for k in range(n_out):
            fw.line(f"_out{k}_bar = _seed[{k}]")
        for n in names.primal:
            if n in self.active and n not in fn.params:
                fw.line(f"{names.adjoint(n)} = 0.0")
        if params:
            fw.line(f"{', '.join(names.adjoint(p) for p in fn.params)}{',' if len(params) == 1 else ''} = _start")
        for text in back:
            fw.line(text)
        fw.line(f"return ({', '.join(names.adjoint(p) for p in fn.params)}{',' if len(params) == 1 else ''})")
        lines = fw.lines
        for f in self.flags:  # a flag nothing tests is left out
            if not any(f in t and not t.strip().startswith(f"{f} = ") for t in lines):
                lines = [t for t in lines if not t.strip().startswith(f"{f} = ")]
        if not any("_push(" in t for t in lines):
            lines = [t for t in lines if t.strip() not in ("S = []", "_push, _pop = S.append, S.pop")]
        fw.lines = lines
        helpers = fw.helpers | self.bw.helpers | {"_resume"} if self.calls else fw.helpers | self.bw.helpers
        return f"def _{pyname}_rev({', '.join(params)}):\n{fw.text()}", helpers


_Push = type("_Push", (tuple,), {"value": property(lambda s: s[0]), "__new__": lambda c, v: tuple.__new__(c, (v,))})
_Count = type("_Count", (tuple,), {"counter": property(lambda s: s[0]), "__new__": lambda c, v: tuple.__new__(c, (v,))})
_Assign = type("_Assign", (tuple,), {"var": property(lambda s: s[0]), "__new__": lambda c, v: tuple.__new__(c, (v,))})


def adjoint_function(fn: ir.Function, pyname: str, funcs: dict, src: list[str]) -> tuple[str, set[str]]:
    """``def _pyname_rev(params)``: the generator described in the module docstring."""
    return _Adjoint(fn, funcs, src).write(pyname)
