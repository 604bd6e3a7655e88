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
from adcalc.ops.codegen.forward import Writer, active_names, atom, bare, compare_text, for_header, unpack, where
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
            self.fw.line(f"S.append({self.names[name]})")

    def take(self, out: str) -> str | None:
        """Backward: read the adjoint of ``out``'s new value into ``_g`` and clear it for the old one."""
        if out not in self.active:
            return None
        b = self.names.adjoint(out)
        if out in self.single:
            return b
        self.bw.line(f"_g = {b}")
        self.bw.line(f"{b} = 0.0")
        return "_g"

    def restore_old(self, name: str) -> None:
        if name in self.restore:
            self.bw.line(f"{self.names[name]} = S.pop()")

    # ---- steps -------------------------------------------------------------------------------
    def eqn(self, ins: ir.Eqn) -> None:
        names = self.names
        args = [atom(names, a) for a in ins.args]
        self.push_old(ins.out)
        self.fw.line(f"{names[ins.out]} = {bare(T.value(ins.prim, args))}", where(ins, self.src))
        bw = self.bw
        lines: list[str] = []
        mark = len(bw.lines)
        g = self.take(ins.out)
        self.restore_old(ins.out)
        if g is not None:
            guard = False
            for i, a in enumerate(ins.args):
                b = self.bar(a)
                if b is None:
                    continue
                p = T.partial(ins.prim, i, args)
                c = T.constant_partial(p)
                if c == 0.0:
                    continue
                if c == 1.0:
                    lines.append(f"{b} += {g}")
                elif c == -1.0:
                    lines.append(f"{b} -= {g}")
                elif c is not None:
                    lines.append(f"{b} += {g} * {T.lit(c)}")
                    guard = True
                else:
                    guard = True
                    if p.isidentifier():
                        lines.append(f"if {p}:")
                        lines.append(f"    {b} += {g} * {p}")
                    else:
                        lines.append(f"_p = {bare(p)}")
                        lines.append("if _p:")
                        lines.append(f"    {b} += {g} * _p")
            if lines:
                bw.line(f"# {names[ins.out]} = {bare(T.value(ins.prim, args))}" +
                        (f"  ({where(ins, self.src)})" if where(ins, self.src) else ""))
                if guard:
                    bw.line(f"if {g}:")
                    bw.depth += 1
                for text in lines:
                    bw.line(text)
                if guard:
                    bw.depth -= 1
        self._reverse_here(mark)

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
        self.fw.line("S.append(_it)")
        mark = len(self.bw.lines)
        self.bw.line("_it = S.pop()")
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
            then = self.nested(item.then + [_Push(1)])
            fw.line("else:")
            orelse = self.nested(item.orelse + [_Push(0)])
            self.pending.append(["if S.pop():", *then, "else:", *orelse])
        elif isinstance(item, ex.Loop):
            counter = item.counter
            fw.line(f"{counter} = 0")
            if item.kind == "for":
                var = item.item.next.var
                header = for_header(self.names, item.item, "_k" if var in self.restore else None)
                fw.line(header, where(item.item.init, self.src))
                pre = [_Count(counter)]
                if var in self.restore:
                    pre += [_Assign(var)]
            else:
                fw.line("while True:")
                pre = [_Count(counter)]
            body = self.nested(pre + list(item.body))
            fw.line(f"S.append({counter})")
            self.pending.append(["for _ in range(S.pop()):", *body])
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
            fw.line(f"S.append({item.value})")
        elif isinstance(item, _Count):
            fw.line(f"{item.counter} += 1")
        elif isinstance(item, _Assign):
            fw.line(f"S.append({self.names[item.var]})")
            fw.line(f"{self.names[item.var]} = _k")
            self.pending.append([f"{self.names[item.var]} = S.pop()"])

    def write(self, pyname: str) -> tuple[str, set[str]]:
        names, fn = self.names, self.fn
        fw = self.fw
        fw.line("S = []")
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
        if not any("S." in t for t in lines):
            lines = [t for t in lines if t.strip() != "S = []"]
        fw.lines = lines
        helpers = fw.helpers | self.bw.helpers | {"_resume"} if self.calls else fw.helpers | self.bw.helpers
        return f"def _{pyname}_rev({', '.join(params)}):\n{fw.text()}", helpers


_Push = type("_Push", (tuple,), {"value": property(lambda s: s[0]), "__new__": lambda c, v: tuple.__new__(c, (v,))})
_Count = type("_Count", (tuple,), {"counter": property(lambda s: s[0]), "__new__": lambda c, v: tuple.__new__(c, (v,))})
_Assign = type("_Assign", (tuple,), {"var": property(lambda s: s[0]), "__new__": lambda c, v: tuple.__new__(c, (v,))})


def adjoint_function(fn: ir.Function, pyname: str, funcs: dict, src: list[str]) -> tuple[str, set[str]]:
    """``def _pyname_rev(params)``: the generator described in the module docstring."""
    return _Adjoint(fn, funcs, src).write(pyname)
