"""Early exits made structured, for the adjoint program.

Contract: ``complete(seq)`` rewrites a function body (``adcalc.ops.codegen.structure``) so that
every loop iteration and every ``if`` arm runs to its end: ``return`` becomes ``SetOut`` (the
outputs) and ``SetFlag("_done")``, ``break``/``continue`` set the loop's flags, the statements
after a possible exit run under ``If(FlagTest)``, and a loop leaves only at the end of its body
(``LoopExit``) or, for ``for``, when its range is exhausted.  The forward sweep then records
whole iterations and whole arms, and the backward sweep replays them in reverse — what
Tapenade's PUSH/POP of control needs.  Execution is unchanged: the same steps in the same order.
"""

from __future__ import annotations

from collections import namedtuple

from adcalc.ops.codegen import structure as st

SetOut = namedtuple("SetOut", "ins")
SetFlag = namedtuple("SetFlag", "flag")
FlagTest = namedtuple("FlagTest", "flags")  # holds when none of the flags is set
LoopExit = namedtuple("LoopExit", "flags")  # `if any flag: break`, last in a loop body
Loop = namedtuple("Loop", "kind item body flags counter")  # kind "for"/"while"


class _Rewriter:
    def __init__(self) -> None:
        self.n_loops = 0
        self.flags: list[str] = []

    def flag(self, name: str) -> str:
        if name not in self.flags:
            self.flags.append(name)
        return name

    def seq(self, items: st.Seq, loop: tuple[str, str] | None) -> tuple[list, set[str]]:
        """The rewritten statements and the flags they may set."""
        out: list = []
        raised: set[str] = set()
        k = 0
        while k < len(items):
            item = items[k]
            k += 1
            new, sets = self.item(item, loop)
            out.extend(new)
            raised |= sets
            if sets and k < len(items):
                rest, more = self.seq(items[k:], loop)
                out.append(st.If(FlagTest(tuple(sorted(sets))), True, rest, []))
                raised |= more
                break
        return out, raised

    def item(self, item: object, loop: tuple[str, str] | None) -> tuple[list, set[str]]:
        if isinstance(item, st.Return):
            return [SetOut(item.ins), SetFlag(self.flag("_done"))], {"_done"}
        if isinstance(item, st.Break):
            return [SetFlag(self.flag(loop[0]))], {loop[0]}
        if isinstance(item, st.Continue):
            return [SetFlag(self.flag(loop[1]))], {loop[1]}
        if isinstance(item, st.If):
            then, a = self.seq(item.then, loop)
            orelse, b = self.seq(item.orelse, loop)
            return [st.If(item.test, item.when, then, orelse)], a | b
        if isinstance(item, (st.For, st.While)):
            self.n_loops += 1
            n = self.n_loops
            mine = (f"_break{n}", f"_skip{n}")
            body, sets = self.seq(item.body, mine)
            resets = [SetFlag((f, False)) for f in mine if f in sets]
            leave = tuple(sorted(s for s in sets if s != mine[1]))
            if leave:
                body.append(LoopExit(leave))
            kind = "for" if isinstance(item, st.For) else "while"
            outer = {s for s in sets if s not in mine}
            return [Loop(kind, item, resets + body, [f for f in mine if f in sets], f"_n{n}")], outer
        return [item], set()


def complete(seq: st.Seq) -> tuple[list, list[str]]:
    """The rewritten body and every flag it uses (see the module docstring)."""
    r = _Rewriter()
    body, _ = r.seq(seq, None)
    return body, r.flags
