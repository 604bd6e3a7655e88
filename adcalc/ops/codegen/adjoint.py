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
from adcalc.ops.codegen import analysis as A
from adcalc.ops.codegen import calls, stack
from adcalc.ops.codegen import exits as ex
from adcalc.ops.codegen import structure as st
from adcalc.ops.codegen import templates as T
from adcalc.ops.codegen.forward import (
    GUARD_CALL,
    Writer,
    atom,
    bare,
    compare_text,
    drop_unread,
    for_header,
    helper_form,
    notation,
    range_args,
    where,
)
from adcalc.ops.codegen.names import Names, module_names


class _Adjoint(stack.Keeping, calls.Calls):
    def __init__(self, fn: ir.Function, funcs: dict, src: list[str], guard: bool = False, called: bool = True,
                 notes: bool = True):
        self.fn, self.funcs, self.src = fn, funcs, src
        self.notes = notes
        # adcalc.compile's module (no notes): a step that runs once per call (outside loops, in a
        # function no other calls) calls a helper where the printed module inlines its fast path
        self.short = not notes and not called
        self._partials: dict[tuple, str] = {}  # (primitive, i, argument texts) → the partial's text
        self.guard = guard
        self.names = Names(fn, module_names(funcs))
        self.names.whole = {self.names[n] for n in A.index_whole(fn)}
        self.ints = A.int_counters(fn)  # counters held as ints: no float per iteration, no int() per read
        self.names.ints = {self.names[n] for n in self.ints}
        self.names.fn_label = "the program" if fn.name == "<main>" else f"function {fn.name}"
        self.active = A.active_names(fn) & A.useful(fn)
        count, in_loop = A.assignments(fn)
        self.single = {n for n, c in count.items() if c == 1 and n not in in_loop}
        self.restore = {n for n in self.needed() if n not in self.single}
        self.once = A.used_once(fn) - set(fn.params)
        self.read = {a.name for ins in fn.code for a in A.touches(ins)[1] if isinstance(a, ir.Var)}
        # Copies (y = x) make two names denote one node, whose adjoint is one sum in the
        # interpreter: such names keep their adjoint in a shared cell (a one-element list),
        # created where a node is made, shared by a copy, and restored on the way back.
        kept = A.live(fn)
        self.celled = {n for ins in fn.code if isinstance(ins, ir.Move) and isinstance(ins.value, ir.Var)
                       and ins.name in kept and ins.value.name in self.active for n in (ins.name, ins.value.name)}
        # a call's arguments and results too: the callee's adjoints come back into the cells
        self.celled |= {n for ins in fn.code if isinstance(ins, ir.CallFn)
                        for n in (*ins.outs, *(a.name for a in ins.args if isinstance(a, ir.Var)))
                        if n in self.active}
        # a function the program calls shares its callers' cells (``_cells``): its parameters are
        # the argument nodes themselves, as in the interpreter, whose calls add no node
        self.called = called
        if called:
            self.celled |= {p for p in fn.params if p in self.active}
        self.once -= self.celled
        self.body, self.flags = ex.complete(A.prune(st.structure(fn), kept))
        self.fw, self.bw = Writer(notes), Writer(notes)
        self.bw.depth = 0
        self.calls = 0
        self.pending: list[list[str]] = []

    # ---- helpers -----------------------------------------------------------------------------
    def needed(self) -> set[str]:  # the values the backward sweep reads (arrayflow: its array steps')
        return A.needed(self.fn, self.active, self.partial)

    def partial(self, prim: str, i: int, args: list[str]) -> str:
        """``templates.partial``, remembered: ``needed`` and ``eqn`` ask for the same texts."""
        key = (prim, i, *args)
        text = self._partials.get(key)
        if text is None:
            text = self._partials[key] = T.partial(prim, i, args)
        return text
    def cell(self, name: str) -> str:
        return self.names.adjoint(name).removesuffix("_bar") + "_cell"

    def adjoint_of(self, name: str) -> str:
        """Where the adjoint of ``name``'s current node is kept: a local, or its cell."""
        return f"{self.cell(name)}[0]" if name in self.celled else self.names.adjoint(name)

    def bar(self, a: ir.Atom) -> str | None:
        if isinstance(a, ir.Var) and (a.name in self.active or a.name in self.celled):
            return self.adjoint_of(a.name)
        return None

    def new_cell(self, name: str, shared: str | None = None) -> None:
        """Forward, after ``name`` is assigned: a new node's cell (or the copied node's)."""
        if name in self.celled:
            self.fw.line(f"{self.cell(name)} = {shared or '[0.0]'}")

    def take(self, out: str, k: int = 0) -> str | None:
        """Backward: read the adjoint of ``out``'s new node (into ``_g``) and clear it for the old one."""
        if out in self.celled:
            self.bw.line(f"_g{k or ''} = {self.cell(out)}[0]")
            return f"_g{k or ''}"
        if out not in self.active:
            return None
        b = self.names.adjoint(out)
        if out in self.single or out in self.once:
            return b
        self.bw.line(f"_g{k or ''} = {b}")
        self.bw.line(f"{b} = 0.0")
        return f"_g{k or ''}"

    # ---- steps -------------------------------------------------------------------------------
    def eqn(self, ins: ir.Eqn) -> None:
        names = self.names
        args = [atom(names, a) for a in ins.args]
        self.push_old(ins.out)
        code = bare(T.value(ins.prim, args, names.whole, names.ints))
        short = self.short and not ins.loops
        if short:
            code = helper_form(code)
        self.fw.line(f"{names[ins.out]} = {code}", where(ins, self.src),
                     notation(ins, args, code) if self.notes else "")
        self.new_cell(ins.out)
        mark = len(self.bw.lines)
        if ins.out not in self.active and ins.out not in self.celled:
            self.restore_old(ins.out)
        else:
            active, celled = self.active, self.celled  # the partials ``contributions`` reads: where ``bar`` is one
            partials = [self.partial(ins.prim, i, args)
                        if isinstance(a, ir.Var) and (a.name in active or a.name in celled) else ""
                        for i, a in enumerate(ins.args)]
            if short:
                partials = [helper_form(p) for p in partials]
            through = [i for i, a in enumerate(ins.args) if isinstance(a, ir.Var) and a.name == ins.out]
            passthrough = (len(through) == 1 and T.constant_partial(partials[through[0]]) == 1.0
                           and ins.out not in self.once and ins.out not in self.celled)
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
            if ins.prim == "index" and i == 0:  # x̄[i] += ȳ: into the element of the input's adjoint
                b += T.element_key(args, self.names.whole, self.names.ints)
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
                elif not self.notes:  # adcalc.compile's module: the same tests in one line
                    direct.append(f"{b} = {g} * _p if {g} and (_p := {bare(p)}) else 0.0")
                else:
                    direct.append(f"_p = {p} if {g} else 0.0")
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
        if self.notes:
            bw.line(f"# {self.names[ins.out]} = {T.describe(ins.prim, args, ins.params)}")
        # ±1 partials need no test: adding ȳ = 0 changes nothing (an adjoint is never -0)
        needs_guard = any(not (t.endswith(f"+= {g}") or t.endswith(f"-= {g}")) for t in guarded)
        if needs_guard and not self.notes and len(guarded) == 3 and guarded[1] == "if _p:":
            guarded = [f"if {g} and ({guarded[0].replace(' = ', ' := ', 1)}):", guarded[2]]  # one test, one line
            needs_guard = False
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
        source = ins.value.name if isinstance(ins.value, ir.Var) else None
        shares = source in self.celled and source in self.active
        self.new_cell(ins.name, self.cell(source) if shares else None)  # type: ignore[arg-type]
        mark = len(self.bw.lines)
        if ins.name in self.celled:  # the copy shares the node's cell: nothing to add on the way back
            self.restore_old(ins.name)
        else:
            g = self.take(ins.name)
            self.restore_old(ins.name)
            b = self.bar(ins.value)
            if g is not None and b is not None:
                self.bw.line(f"{b} += {g}")
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
        k = 0
        while k < len(items):
            k = stack.write_run(self, items, k)
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
                pre = [_Assign(var)] if var in self.restore or var in self.celled or var in self.active else []
                if leaves:
                    fw.line(f"{counter} = 0")
                    pre.insert(0, _Count(counter))
                    header = for_header(self.names, item.item, "_k" if var in self.restore else None,
                                        ints=var in self.ints)
                else:  # it runs to the end of its range: the trip count is the range's length
                    fw.line(f"{counter} = range({range_args(self.names, item.item.init)})",
                            where(item.item.init, self.src))
                    if self.guard:  # it runs its whole range: charge the budget once, up front
                        fw.line(f"_guard(len({counter}))")
                    if var not in self.read or var in self.ints:  # unread, or read as an int: no floats made
                        header = f"for {'_k' if var in self.restore else self.names[var]} in {counter}:"
                    else:
                        header = f"for {'_k' if var in self.restore else self.names[var]} in map(float, {counter}):"
                fw.line(header, where(item.item.init, self.src))
                count = counter if leaves else f"len({counter})"
            else:
                fw.line(f"{counter} = 0")
                fw.line("while True:")
                pre = [_Count(counter)]
                count = counter
            if self.guard and (item.kind != "for" or leaves):
                pre.insert(0, _Guard())
            body = self.nested(pre + list(item.body))
            fw.line(f"_push({count})")
            self.pending.append(["for _ in range(_pop()):", *body])
        elif isinstance(item, ex.SetOut):
            for k, v in enumerate(item.ins.values):
                fw.line(f"_out{k} = {atom(self.names, v)}", where(item.ins, self.src))
                if self.called:  # the result's node, for a caller that shares cells
                    fw.line(f"_oc{k} = {self.cell_of(v)}")
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
        elif isinstance(item, _Guard):
            fw.line(GUARD_CALL)
        elif isinstance(item, _Count):
            fw.line(f"{item.counter} += 1")
        elif isinstance(item, _Assign):
            name = self.names[item.var]
            undo = []
            if item.var in self.restore:
                fw.line(f"_push({name})")
                fw.line(f"{name} = _k")
                undo.append(f"{name} = _pop()")
            if item.var in self.celled:
                fw.line(f"_push({self.cell(item.var)})")
                fw.line(f"{self.cell(item.var)} = [0.0]")
                undo.insert(0, f"{self.cell(item.var)} = _pop()")
            elif item.var in self.active:  # the counter is a new node no cotangent reaches: drop what came
                undo.insert(0, f"{self.names.adjoint(item.var)} = 0.0")
            self.pending.append(undo)

    def write(self, pyname: str) -> tuple[str, set[str]]:
        names, fn = self.names, self.fn
        fw = self.fw
        fw.line("S = []")
        fw.line("_push, _pop, _extend = S.append, S.pop, S.extend")
        for f in self.flags:
            fw.line(f"{f} = False")
        in_params = set(fn.params)
        for n in names.primal:  # in the order of first appearance
            if n in self.restore and n not in in_params:
                fw.line(f"{names[n]} = 0.0")
        for n in (n for n in names.primal if n in self.celled):
            if n in in_params and self.called:
                j = fn.params.index(n)
                fw.line(f"{self.cell(n)} = [0.0] if _cells is None else _cells[{j}]")
            else:
                fw.line(f"{self.cell(n)} = [0.0]")
            if n in in_params:
                fw.line(f"_input_{self.cell(n)} = {self.cell(n)}")
        self.pending = []
        back = self.seq(self.body)
        n_out = fn.n_outputs
        outs = [f"_out{k}" for k in range(n_out)]
        value = outs[0] if n_out == 1 and not fn.vector else "[" + ", ".join(outs) + "]"
        params = [names[p] for p in fn.params]
        if self.called:
            value = f"{value} if _cells is None else ({value}, {calls.as_tuple([f'_oc{k}' for k in range(n_out)])})"
        fw.line(f"_seed, _start = yield {value}")
        for k in range(n_out):
            fw.line(f"_out{k}_bar = _seed[{k}]")
        for n in names.primal:
            if n in self.active and n not in in_params and n not in self.celled and n not in self.once:
                fw.line(f"{names.adjoint(n)} = 0.0")
        finals = [f"_input_{self.cell(p)}[0]" if p in self.celled else names.adjoint(p) for p in fn.params]
        if params:
            start = "_start"
            if self.called:  # a caller's cells already hold where the parameters' adjoints start
                now = [f if p in self.celled else "0.0" for f, p in zip(finals, fn.params)]
                start = f"_start if _cells is None else {calls.as_tuple(now)}"
            fw.line(f"{', '.join(finals)}{',' if len(params) == 1 else ''} = {start}")
        for text in back:
            fw.line(text)
        fw.line(f"return ({', '.join(finals)}{',' if len(params) == 1 else ''})")
        lines = fw.lines
        for f in self.flags:  # a flag nothing tests is left out
            if not any(f in t and not t.strip().startswith(f"{f} = ") for t in lines):
                lines = [t for t in lines if not t.strip().startswith(f"{f} = ")]
        lines = drop_unread(lines)  # `v_bar = …` nothing reads (`v1 = y * 0`: no partial passes it on)
        pushes = "_push" if any("_push(" in t for t in lines) else ""
        if not any("_extend(" in t for t in lines):
            lines = [t if t.strip() != "_push, _pop, _extend = S.append, S.pop, S.extend" else
                     t.replace(", _extend", "").replace(", S.extend", "") for t in lines]
        if not pushes and not any("_extend(" in t for t in lines):
            lines = [t for t in lines if t.strip() not in ("S = []", "_push, _pop = S.append, S.pop")]
        fw.lines = lines
        helpers = fw.helpers | self.bw.helpers
        if self.calls:
            helpers |= {"_resume"}
        signature = ", ".join([*params, "_cells=None"] if self.called else params)
        return f"def _{pyname}_rev({signature}):\n{fw.text()}", helpers


_Push = type("_Push", (tuple,), {"value": property(lambda s: s[0]), "__new__": lambda c, v: tuple.__new__(c, (v,))})
_Count = type("_Count", (tuple,), {"counter": property(lambda s: s[0]), "__new__": lambda c, v: tuple.__new__(c, (v,))})
_Guard = type("_Guard", (tuple,), {})
_Assign = type("_Assign", (tuple,), {"var": property(lambda s: s[0]), "__new__": lambda c, v: tuple.__new__(c, (v,))})


Adjoint = _Adjoint  # arrayflow's whole-array adjoint builds on it
def adjoint_function(fn: ir.Function, pyname: str, funcs: dict, src: list[str],
                     guard: bool = False, called: bool = True, notes: bool = True) -> tuple[str, set[str]]:
    """``def _pyname_rev(params)``: the generator described in the module docstring (``guard``:
    every loop iteration of its forward sweep counts against the budget, see ``module``;
    ``called``: a function of the program calls it, so its sweep may start from non-zero adjoints;
    ``notes`` False: no comments, see ``forward.Writer``)."""
    return _Adjoint(fn, funcs, src, guard, called, notes).write(pyname)
