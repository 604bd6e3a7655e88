"""Lowering loops: ``while``, ``for i in range(…)`` and ``for v in x`` (a list or an array's first
axis), the part of ``adcalc.language.lower`` that makes loop heads, counters and exits.

Contract: ``LoopLowerer`` is mixed into the function lowerer of ``lower.py``, which owns the state
it reads and writes (``loops``, ``assigned``, the loop stack) and the ``emit``/``eqn``/``temp``/
``label``/``suite``/``branch_if``/``check_target`` it calls.  ``for v in x:`` is
``for #v in range(len(x)): v = x[#v]`` with ``x`` evaluated once; ``#v`` (not a name anyone can
write) is the loop's position, shown in traces as ``#v=2``.
"""

from __future__ import annotations

from lark import Token, Tree

from adcalc.errors import AdcalcError, Span
from adcalc.language.ir import Const, Eqn, ForInit, ForNext, Jump, Label, LoopHead, LoopInfo, Move, Var
from adcalc.language.trees import span_of


class LoopLowerer:
    """Loops (see the module docstring)."""

    def _new_loop(self, kind: str, var: str | None, span: Span) -> int:
        lid = len(self.loops) + 1
        self.loops.append(LoopInfo(lid, kind, var, span))
        return lid

    def _while(self, node: Tree, span: Span) -> None:
        cond, body = node.children
        lid = self._new_loop("while", None, span_of(cond))
        head, end = self.label(), self.label()
        self.emit(LoopHead(lid, reset=True))
        self.emit(Label(head))
        self.push_loop(lid, head, end)
        self.emit(LoopHead(lid))
        self.branch_if(cond, end, False)
        self.suite(body)
        self.emit(Jump(head))
        self.pop_loop()
        self.emit(Label(end))

    def _for(self, node: Tree, span: Span) -> None:
        tok, iterable, body = node.children
        var = self.check_target(tok)
        if not (isinstance(iterable, Tree) and iterable.data == "call" and str(iterable.children[0]) == "range"):
            self._for_each(var, tok, iterable, body)
            return
        arg_nodes = list(iterable.children[1].children) if len(iterable.children) > 1 else []
        if not 1 <= len(arg_nodes) <= 3:
            raise AdcalcError("arity", f"range() takes 1 to 3 arguments, got {len(arg_nodes)}", span_of(iterable))
        bounds = [self.expr(a) for a in arg_nodes]
        if len(bounds) == 1:
            start, stop, step = Const(0.0, "0"), bounds[0], Const(1.0, "1")
        elif len(bounds) == 2:
            start, stop, step = bounds[0], bounds[1], Const(1.0, "1")
        else:
            start, stop, step = bounds
        lid = self._new_loop("for", var, span_of(iterable))
        counter, stop_reg, step_reg = self.temp(), self.temp(), self.temp()
        head, end = self.label(), self.label()
        self.emit(ForInit(counter, stop_reg, step_reg, start, stop, step, lid, span_of(iterable)))
        self.emit(Label(head))
        self.push_loop(lid, head, end)
        self.emit(ForNext(counter, stop_reg, step_reg, var, end, lid, span_of(tok)))
        self.assigned.add(var)
        self.suite(body)
        self.emit(Jump(head))
        self.pop_loop()
        self.emit(Label(end))

    def _for_each(self, var: str, tok: Token, iterable: Tree, body: Tree) -> None:
        """``for v in x:`` over a list or an array's first axis: a hidden counter ``#v`` runs over
        ``range(len(x))`` and ``v = x[#v]`` starts each iteration (x is evaluated once)."""
        where = span_of(iterable)
        if isinstance(iterable, Tree) and iterable.data in ("number", "unary", "arith", "term", "power") \
                and not any(isinstance(t, Tree) and t.data in ("name", "call", "subscript", "vector")
                            for t in iterable.iter_subtrees()):
            raise AdcalcError("type", "a for loop runs over range(…), a list or an array, not a number", where,
                              hint="for i in range(n), for v in [a, b, c] or for v in x (an array)")
        seq = self.expr(iterable)
        if isinstance(seq, Var) and seq.name == var:  # for x in x: keep the sequence apart from the variable
            t = self.temp()
            self.emit(Move(t, seq, where, self.loop_ids))
            seq = Var(t)
        length = self.eqn("len", (seq,), where, ("for",))
        lid = self._new_loop("for", f"#{var}", where)
        counter, stop_reg, step_reg, index = self.temp(), self.temp(), self.temp(), f"#{var}"
        head, end = self.label(), self.label()
        self.emit(ForInit(counter, stop_reg, step_reg, Const(0.0, "0"), length, Const(1.0, "1"), lid, where))
        self.emit(Label(head))
        self.push_loop(lid, head, end)
        self.emit(ForNext(counter, stop_reg, step_reg, index, end, lid, span_of(tok)))
        self.emit(Eqn(var, "index", (seq, Var(index)), span_of(tok), self.loop_ids, user_var=True, params=("i",)))
        self.assigned.add(var)
        self.suite(body)
        self.emit(Jump(head))
        self.pop_loop()
        self.emit(Label(end))
