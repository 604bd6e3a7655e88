"""The adjoint code's stack: what the forward sweep keeps (PUSH) and the backward sweep restores (POP).

Contract: ``Keeping`` is the part of the adjoint writer (``adjoint._Adjoint``) that writes the
pushes and pops: before a name the backward sweep reads is overwritten, its old value (and its
adjoint cell, for names that share one) is pushed; where the backward sweep passes that step,
it is popped back.  ``write_run(adjoint, items, k)`` writes ``items[k]`` — or, when ``items[k]`` starts a
straight-line run of steps (no call, no control flow) that keeps two or more old values for the
backward sweep, each of them the value the run started with (the longest run that keeps no name
twice), the whole run — and returns the index of the next item.  Such a run pushes its kept values at its
start, in one call (``_extend((v4, v5, x))``): the same values in the same order on the stack
as a push before each assignment, so the backward sweep pops them exactly as before; one call
per run instead of one per value (in a loop body: per iteration).  (A tuple per run on the stack
was slower: tuples are objects the garbage collector tracks, floats are not.)
"""

from __future__ import annotations

from adcalc.language import ir
from adcalc.ops.codegen import structure as st


class Keeping:
    """The push/pop half of the adjoint writer (it has ``names``, ``restore``, ``celled``,
    ``single``, ``cell``, ``fw`` and ``bw``)."""

    in_run = False  # inside a run whose values were pushed at its start

    def pushes(self, name: str) -> list[str]:
        """What the forward sweep keeps before ``name`` is assigned: its value, its cell."""
        out = [self.names[name]] if name in self.restore else []
        if name in self.celled and name not in self.single:
            out.append(self.cell(name))
        return out

    def push_old(self, name: str) -> None:
        """Forward, before ``name`` is assigned: keep what the backward sweep restores (nothing
        here inside a run: ``write_run`` pushed it at the run's start)."""
        if self.in_run:
            return
        if name in self.restore:
            self.fw.line(f"_push({self.names[name]})")
        if name in self.celled and name not in self.single:
            self.fw.line(f"_push({self.cell(name)})")

    def restore_cell(self, name: str) -> None:
        if name in self.celled and name not in self.single:
            self.bw.line(f"{self.cell(name)} = _pop()")

    def restore_old(self, name: str) -> None:
        self.restore_cell(name)
        if name in self.restore:
            self.bw.line(f"{self.names[name]} = _pop()")


def _run(adjoint: Keeping, items: list, k: int) -> tuple[list, list[str]]:
    """The longest straight-line run of steps from ``items[k]`` that keeps no name twice, and
    what it keeps."""
    run: list = []
    kept: list[str] = []
    while k < len(items) and isinstance(items[k], st.Stmt) and isinstance(items[k].ins, (ir.Eqn, ir.Move)):
        ins = items[k].ins
        more = adjoint.pushes(ins.out if isinstance(ins, ir.Eqn) else ins.name)
        if set(more) & set(kept):
            break
        run.append(items[k])
        kept += more
        k += 1
    return run, kept


def write_run(adjoint: Keeping, items: list, k: int) -> int:
    """Write ``items[k]`` or the run it starts (see the module docstring); the next index."""
    run, kept = _run(adjoint, items, k)
    if len(kept) < 2:
        for item in run or items[k:k + 1]:
            adjoint.item(item)  # type: ignore[attr-defined]
        return k + max(len(run), 1)
    adjoint.fw.line(f"_extend(({', '.join(kept)}))")  # type: ignore[attr-defined]
    adjoint.in_run = True
    try:
        for item in run:
            adjoint.item(item)  # type: ignore[attr-defined]
    finally:
        adjoint.in_run = False
    return k + len(run)
