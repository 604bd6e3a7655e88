"""Control flow recovered from the IR: the flat code of a function as nested statements.

Contract: ``structure(fn)`` returns the function body as a ``Seq`` of ``Stmt`` (an ``Eqn``,
``Move`` or ``CallFn``), ``If`` (a comparison, the statements run when it holds, those run when
not), ``For`` (``for var in range``), ``While`` (``while True`` whose body leaves by ``Break``),
``Break``, ``Continue``, ``Return`` and ``Raise`` (the end of a function without a return) — the
same execution, step for step, as the interpreter's jumps.

How: loops are found from their markers (``ForInit``/``ForNext``, ``LoopHead``), so inside a
loop body (and a function body) the remaining jumps only go forward: the blocks form a DAG in
layout order.  A conditional branch becomes an ``If`` whose two arms run up to the branch's
immediate post-dominator (where they meet again); a block reached from both arms before they
meet (the second test of ``a and b`` with an ``else``) is written in each arm — the same steps,
a little more text.  No recursion over user data: regions nest as the program's loops and
``if``s do, and the recursion depth is bounded by the language's own nesting limit.
"""

from __future__ import annotations

from collections import namedtuple

from adcalc.language import ir

Seq = list
Stmt = namedtuple("Stmt", "ins")
If = namedtuple("If", "test when then orelse")  # run `then` when (test holds) == when
For = namedtuple("For", "init next body")
While = namedtuple("While", "head body")
Break = namedtuple("Break", "")
Continue = namedtuple("Continue", "")
Return = namedtuple("Return", "ins")
Raise = namedtuple("Raise", "ins")

_BREAK, _CONTINUE, _END = -1, -2, -3  # successors that leave the region


class _Block:
    __slots__ = ("items", "term", "succs")

    def __init__(self) -> None:
        self.items: list[object] = []
        self.term: tuple = ("fall",)
        self.succs: list[int] = []


def structure(fn: ir.Function) -> Seq:
    """The body of ``fn`` as nested statements (see the module docstring)."""
    return _Region(list(fn.code), 0, len(fn.code), None).emit()


def _loop_end(code: list, start: int) -> int:
    """The index of the ``Label`` that ends the loop starting at ``start``."""
    ins = code[start]
    if isinstance(ins, ir.ForInit):
        exit_label = code[start + 2].exit
        return next(i for i in range(start + 3, len(code))
                    if isinstance(code[i], ir.Label) and code[i].name == exit_label)
    head = code[start + 1].name
    last = max(i for i in range(start + 2, len(code)) if isinstance(code[i], ir.Jump) and code[i].target == head)
    return last + 1


class _Region:
    """Instructions ``code[lo:hi]`` of one loop body (``loop`` = (head label, end label)) or of a
    function body (``loop`` None)."""

    def __init__(self, code: list, lo: int, hi: int, loop: tuple[str, str] | None):
        self.code, self.loop = code, loop
        self.blocks: list[_Block] = []
        labels: dict[str, int] = {}
        block = _Block()
        i = lo
        while i < hi:
            ins = code[i]
            if isinstance(ins, ir.Label):
                if block.items or block.term != ("fall",):
                    self.blocks.append(block)
                    block = _Block()
                labels[ins.name] = len(self.blocks)
                i += 1
                continue
            if isinstance(ins, ir.ForInit) or (isinstance(ins, ir.LoopHead) and ins.reset):
                end = _loop_end(code, i)
                block.items.append(self._loop(i, end))
                i = end  # the loop's end label starts the next block
                continue
            if isinstance(ins, (ir.Eqn, ir.Move, ir.CallFn, ir.Cmp)):
                block.items.append(ins)
            elif isinstance(ins, ir.LoopHead):
                pass
            else:  # a terminator
                block.term = (type(ins).__name__, ins)
                self.blocks.append(block)
                block = _Block()
            i += 1
        if block.items or block.term != ("fall",):
            self.blocks.append(block)
        n = len(self.blocks)
        self.labels = labels

        def target(name: str) -> int:
            if loop is not None and name == loop[0]:
                return _CONTINUE
            if loop is not None and name == loop[1]:
                return _BREAK
            k = labels[name]
            return k if k < n else _END

        for k, b in enumerate(self.blocks):
            kind = b.term[0]
            after = k + 1 if k + 1 < n else _END
            if kind == "fall":
                b.succs = [after]
            elif kind == "Jump":
                b.succs = [target(b.term[1].target)]
            elif kind == "Branch":
                b.succs = [target(b.term[1].target), after]
            else:
                b.succs = []
        self.ipdom = self._post_dominators()

    def _loop(self, start: int, end: int) -> object:
        code = self.code
        ins = code[start]
        if isinstance(ins, ir.ForInit):
            head, nxt = code[start + 1], code[start + 2]
            body = _Region(code, start + 3, end, (head.name, nxt.exit)).emit()
            return For(ins, nxt, body)
        head = code[start + 1]
        end_label = code[end].name
        body = _Region(code, start + 2, end, (head.name, end_label)).emit()
        return While(head, body)

    def _post_dominators(self) -> list[int | None]:
        """Each block's immediate post-dominator in this region (None: the arms never meet)."""
        n = len(self.blocks)
        pdom: list[frozenset] = [frozenset()] * n
        for k in range(n - 1, -1, -1):
            sets = [pdom[s] if s >= 0 else frozenset([s]) for s in self.blocks[k].succs]
            common = frozenset.intersection(*sets) if sets else frozenset()
            pdom[k] = common | {k}
        out: list[int | None] = []
        for k in range(n):
            later = [d for d in pdom[k] if d > k]
            out.append(min(later) if later else (_END if _END in pdom[k] else None))
        return out

    def emit(self) -> Seq:
        out = self._emit(0 if self.blocks else _END, None)
        if self.loop is not None:
            _drop_last_continue(out)
        return out

    def _emit(self, b: int | None, stop: int | None) -> Seq:
        out: Seq = []
        while b is not None and b != stop:
            if b == _END:
                if self.loop is not None:
                    out.append(Continue())
                break
            if b == _BREAK:
                out.append(Break())
                break
            if b == _CONTINUE:
                out.append(Continue())
                break
            block = self.blocks[b]
            cmp = None
            for item in block.items:
                if isinstance(item, ir.Cmp):
                    cmp = item  # it feeds this block's branch
                elif isinstance(item, (ir.Eqn, ir.Move, ir.CallFn)):
                    out.append(Stmt(item))
                else:
                    out.append(item)
            kind, *rest = block.term
            if kind == "Return":
                out.append(Return(rest[0]))
                break
            if kind == "FallOff":
                out.append(Raise(rest[0]))
                break
            if kind == "Branch":
                branch = rest[0]
                taken, fall = block.succs
                join = self.ipdom[b]
                out.append(If(cmp, branch.when, self._emit(taken, join), self._emit(fall, join)))
                b = join
                continue
            b = block.succs[0]
        return out


def _drop_last_continue(seq: Seq) -> None:
    """At the end of a loop body, ``continue`` says nothing: leave it out (also at the end of
    the arms of a final ``if``)."""
    while seq:
        last = seq[-1]
        if isinstance(last, Continue):
            seq.pop()
        elif isinstance(last, If):
            _drop_last_continue(last.then)
            _drop_last_continue(last.orelse)
            return
        else:
            return


def leaves(body: Seq, own: bool = True) -> bool:
    """Whether running ``body`` (a loop's body when ``own``) can leave the loop before its range
    ends: a ``Break`` of this loop, or a ``Return``/``Raise`` anywhere inside."""
    for item in body:
        if isinstance(item, (Return, Raise)) or (own and isinstance(item, Break)):
            return True
        if isinstance(item, If) and (leaves(item.then, own) or leaves(item.orelse, own)):
            return True
        if isinstance(item, (For, While)) and leaves(item.body, own=False):
            return True
    return False

