"""What can run in a lowered function: code that can never run, and whether the end of the body
can be reached without a ``return`` — found before anything runs, by following the IR's jumps.

Contract: ``findings(function)`` returns ``Finding``s, in source order:
- ``unreachable``: the first statement of each stretch of code that can never run (after a
  ``return``, ``break`` or ``continue``), at its span; ``after`` is the span of the ``return``
  just before it (None when a ``break`` or ``continue`` cut it off);
- ``falls_off``: the function can reach the end of its body without a return; ``span`` (and
  ``after``) is the last statement on such a path.
Spans are the function's program's; the caller words the message in its user's lines.
The analysis follows every branch both ways, except a branch on a literal (``while 1:``), which
goes one way; it never runs the code.  Pure: it reads the ``Function`` and prints nothing.
"""

from __future__ import annotations

from typing import NamedTuple

from adcalc.errors import Span
from adcalc.language.ir import Branch, Cmp, Const, FallOff, ForNext, Function, Jump, Label, Return

_COMPARE = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__,
            "==": float.__eq__, "!=": float.__ne__}


class Finding(NamedTuple):
    """``kind``: ``unreachable`` or ``falls_off``; ``span``: where; ``after``: the statement that
    comes before it (see the module)."""

    kind: str
    span: Span
    after: Span | None


def _literals(code: tuple) -> dict[str, bool]:
    """The registers whose value literals fix (``1 != 0``, made once), and that value."""
    made: dict[str, list[object]] = {}
    for ins in code:
        out = getattr(ins, "out", None)
        if isinstance(out, str):
            made.setdefault(out, []).append(ins)
    fixed: dict[str, bool] = {}
    for name, (ins, *more) in made.items():
        if not more and isinstance(ins, Cmp) and ins.op in _COMPARE and isinstance(ins.a, Const) \
                and isinstance(ins.b, Const):
            try:
                fixed[name] = bool(_COMPARE[ins.op](float(ins.a.value), float(ins.b.value)))
            except (TypeError, ValueError):
                pass
    return fixed


class _Graph(NamedTuple):
    code: tuple
    labels: dict[str, int]
    fixed: dict[str, bool]

    @classmethod
    def of(cls, function: Function) -> _Graph:
        code = function.code
        return cls(code, {ins.name: i for i, ins in enumerate(code) if isinstance(ins, Label)}, _literals(code))

    def successors(self, i: int) -> tuple[int, ...]:
        ins, labels = self.code[i], self.labels
        if isinstance(ins, (Return, FallOff)):
            return ()
        if isinstance(ins, Jump):
            return (labels[ins.target],)
        if isinstance(ins, Branch):
            cond = ins.cond
            fixed = bool(cond.value) if isinstance(cond, Const) else self.fixed.get(str(cond))
            if fixed is not None:  # a literal condition (while 1:) goes one way only
                return (labels[ins.target],) if fixed == ins.when else (i + 1,)
            return (labels[ins.target], i + 1)
        if isinstance(ins, ForNext):
            return (labels[ins.exit], i + 1)
        return (i + 1,)


def _span(ins: object) -> Span | None:
    span = getattr(ins, "span", None)
    return span if isinstance(span, Span) else None


def reachable(function: Function) -> set[int]:
    """The indices of ``function.code`` that some path from its start reaches."""
    return _reachable(_Graph.of(function))


def _reachable(graph: _Graph) -> set[int]:
    code = graph.code
    seen: set[int] = set()
    todo = [0] if code else []
    while todo:
        i = todo.pop()
        if i in seen or i >= len(code):
            continue
        seen.add(i)
        todo.extend(graph.successors(i))
    return seen


def findings(function: Function) -> list[Finding]:
    """Unreachable code and a reachable end without return in ``function`` (see the module)."""
    graph = _Graph.of(function)
    code = graph.code
    live = _reachable(graph)
    out: list[Finding] = []
    previous: object = None  # the last statement (an instruction with a span) before this one
    in_dead_stretch = False
    for i, ins in enumerate(code):
        span = _span(ins)
        if span is None or isinstance(ins, FallOff):
            continue
        if i in live:
            in_dead_stretch = False
        elif not in_dead_stretch:
            in_dead_stretch = True
            after = previous.span if isinstance(previous, Return) else None
            out.append(Finding("unreachable", span, after))
        previous = ins
    ends = [i for i, ins in enumerate(code) if isinstance(ins, FallOff) and i in live]
    if ends:
        last = _last_statements(graph, live, ends[0])
        if last is not None:
            out.append(Finding("falls_off", last, last))
    return out


def _last_statements(graph: _Graph, live: set[int], end: int) -> Span | None:
    """The latest (in the source) statement from which control reaches ``code[end]`` through
    instructions that are not statements (labels, jumps)."""
    code = graph.code
    preds: dict[int, list[int]] = {}
    for i in live:
        for j in graph.successors(i):
            preds.setdefault(j, []).append(i)
    found: list[Span] = []
    seen: set[int] = set()
    todo = [end]
    while todo:
        j = todo.pop()
        for i in preds.get(j, ()):
            if i in seen:
                continue
            seen.add(i)
            span = _span(code[i])
            if span is not None:
                found.append(span)
            else:
                todo.append(i)
    return max(found, key=lambda s: (s.line, s.column)) if found else None
