"""A recorder with a window: a run's graph of at most about ``max_nodes`` nodes, however long it runs.

Contract: ``WindowRecorder(mode, graph, max_nodes, loops, main)`` records like ``Recorder`` until
the graph holds ``max_nodes`` nodes; after that, each *new* loop iteration (the outermost loop of
the frame a step runs in) and each repeated call of a function (its 2nd, 3rd … call) is left out
of the graph: it is counted in ``graph.collapsed`` (one ``Collapsed`` per loop or function:
iterations or calls, nodes) instead.  The most recent left-out iteration of each loop is held
aside, and is put back into the graph (numbered in order) when a recorded step reads one of its
values, or when the run ends (``finish()``, which the driver calls before reading outputs or
sweeping): so the last iteration of a long loop — usually the one that makes the output — is
drawn.  Steps outside loops and first calls are always recorded.  Memory is bounded by the window
plus one iteration per loop; the mode underneath computes exactly what it computes untraced (the
recorder only reads its values), so values, tangents and adjoints of recorded nodes are the run's
own.  ``loops`` maps (function name, loop id) to the loop's ``LoopInfo`` (for the loop's line).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from adcalc.rules.registry import Primitive
from adcalc.transform.graph import Arg, Collapsed, Edge, Graph, Node
from adcalc.transform.record import Rec, Recorder, arg_of, partials_at, tangent_at

_HELD = -(10 ** 15)  # held-aside node ids are _HELD - k (k ≥ 0); left-out ones -g (g: 1-based group)


class _Held:
    """The latest left-out unit of one group: its key and its steps, as the run made them
    (primitive, argument values, result, site, context); made into nodes only if put back."""

    __slots__ = ("unit", "steps")

    def __init__(self, unit: object):
        self.unit = unit
        self.steps: list[tuple[Primitive, Sequence[object], Rec, object, tuple]] = []


class WindowRecorder(Recorder):
    """A ``Recorder`` that leaves out loop iterations and repeated calls past ``max_nodes``."""

    def __init__(self, mode: object, graph: Graph, max_nodes: int, loops: Mapping[tuple[str, int], object],
                 main: str):
        super().__init__(mode, graph)
        self.max_nodes, self.loops, self.main = max_nodes, loops, main
        self.current: dict[object, tuple[object, int]] = {}  # slot → (its latest unit, 0 or its group)
        self.groups: dict[object, int] = {}  # group key → 1-based index into graph.collapsed
        self.held: dict[int, _Held] = {}  # group → its held-aside unit
        self.calls_left: dict[int, set[int]] = {}  # a function's group → the numbers of its calls left out
        self.n_held = 0

    # ---- which unit a step belongs to ---------------------------------------------------------
    def _candidates(self, site: object, context: tuple) -> list[tuple[object, object, tuple, tuple]]:
        """The units a step may be left out with, outermost first: each repeated call it runs in
        (``f#2``, …; group: the function) and each loop iteration of its frame (group: the loop),
        as (slot, unit, group key, the group's context).  A slot — a function called from one
        place of the call tree, a loop in one iteration of its enclosing loops — runs its units one
        after another, so only its latest unit's decision is kept: memory stays bounded."""
        n_calls = 0
        while n_calls < len(context) and context[n_calls][0] == "call":
            n_calls += 1
        out: list[tuple[object, object, tuple, tuple]] = [
            ((context[:j], context[j][1]), context[:j + 1], ("call", context[j][1]), context[:j])
            for j in range(n_calls) if context[j][2] > 1]
        ids = getattr(site, "loops", ())
        fn = context[n_calls - 1][1] if n_calls else self.main
        for k in range(min(len(ids), len(context) - n_calls)):
            out.append(((context[:n_calls + k], ids[k]), context[n_calls + k],
                        ("loop", context[:n_calls], fn, ids[k]), context[:n_calls]))
        return out

    def _group_of(self, site: object, context: tuple) -> tuple[int, object]:
        """(0, None) when the step is recorded, else (its group, its unit): the outermost of its
        units that is left out — a unit begun once the window is full is."""
        current = self.current
        for slot, unit, group_key, where in self._candidates(site, context):
            latest = current.get(slot)
            if latest is not None and latest[0] == unit:
                g = latest[1]
            else:
                g = 0
                if len(self.graph.nodes) >= self.max_nodes:
                    g = self.groups.get(group_key) or self._new_group(group_key, where)
                    self._start_unit(g, (slot, unit))
                current[slot] = (unit, g)
            if g:
                return g, (slot, unit)
        return 0, None

    def _new_group(self, group_key: tuple, where: tuple) -> int:
        if group_key[0] == "loop":
            _, _, fn, ident = group_key
            span = getattr(self.loops.get((fn, ident)), "span", None)
            c = Collapsed("loop", fn, getattr(span, "line", None), getattr(span, "column", None), where)
        else:
            c = Collapsed("call", group_key[1], None, None, where)
            self.calls_left[len(self.graph.collapsed) + 1] = set()
        self.graph.collapsed.append(c)
        g = self.groups[group_key] = len(self.graph.collapsed)
        return g

    def _start_unit(self, g: int, key: object) -> None:
        """A new left-out unit of group ``g``: the one held so far is dropped (counted), this one held."""
        old = self.held.get(g)
        if old is not None:
            self._drop(g, old.steps, old.unit)
        if g not in self.calls_left:  # a loop's group counts its iterations (a function's: its dropped calls)
            self.graph.collapsed[g - 1].units += 1
        self.held[g] = _Held(key)

    def _drop(self, g: int, steps: list, unit: object) -> None:
        """Left-out steps (of ``unit``) for good: their values read as group ``g``; counted; the
        recorded values they read noted; a function's group counts the calls, from the unit's down."""
        c = self.graph.collapsed[g - 1]
        active = self.mode.active  # type: ignore[attr-defined]
        calls = self.calls_left.get(g)
        depth = len(unit[1]) - 1 if calls is not None else 0  # type: ignore[index]  # a call unit: its context
        for _, args, rec, _, context in steps:
            rec.node = -g
            for a in args:  # the recorded values the left-out steps read
                if type(a) is Rec and a.node > 0 and active(a.inner):  # type: ignore[union-attr]
                    c.sources[a.node] = None  # type: ignore[union-attr]
            if calls is not None:  # a function's group counts its calls
                calls.update(p[2] for p in context[depth:] if p[0] == "call" and p[1] == c.function)
        c.nodes += len(steps)
        if calls is not None:
            c.units = len(calls)

    def _promote_all(self) -> None:
        """Put every held unit back into the graph, as nodes numbered from the next id in the order
        the steps ran (so each parent is numbered before its child)."""
        steps = sorted((step for held in self.held.values() for step in held.steps), key=lambda st: -st[2].node)
        for g, held in self.held.items():
            if held.steps and g not in self.calls_left:  # (a function's group counts only dropped calls)
                self.graph.collapsed[g - 1].units -= 1
        self.held.clear()
        for prim, args, rec, site, context in steps:
            self._record(prim, args, rec, site, context)

    def finish(self) -> None:
        """Put every held unit back (the last iteration of each long loop); call once the run ends."""
        self._promote_all()

    # ---- the steps ------------------------------------------------------------------------------
    def _step(self, prim: Primitive, args: Sequence[object], result: object, site: object) -> Rec:
        context = self.where(site)
        g, unit = self._group_of(site, context)
        if g:  # held aside as it is (a node only if it is put back), or left out at once
            rec = Rec(result, _HELD - self.n_held)
            self.n_held += 1
            held, step = self.held[g], (prim, args, rec, site, context)
            if held.unit == unit and len(held.steps) < self.max_nodes:
                held.steps.append(step)
            else:  # a step of an earlier unit, or a unit too big to hold: left out
                if held.unit == unit:
                    self._drop(g, held.steps, unit)
                    held.unit, held.steps = None, []
                self._drop(g, [step], unit)
            return rec
        if self.held and any(type(a) is Rec and a.node <= _HELD for a in args):  # type: ignore[union-attr]
            self._promote_all()  # a recorded step reads a held value: the held units go back first
        return self._record(prim, args, Rec(result, 0), site, context)

    def _record(self, prim: Primitive, args: Sequence[object], rec: Rec, site: object, context: tuple) -> Rec:
        """The step as a node of the graph (numbered next) with an edge per input-dependent argument."""
        mode = self.mode
        shown = tuple(self._arg(site.args[i], a) for i, a in enumerate(args))  # type: ignore[attr-defined]
        var = site.out if site.user_var else None  # type: ignore[attr-defined]
        node = Node(len(self.graph.nodes) + 1, prim.name, shown, site.params, mode.primal(rec.inner),  # type: ignore
                    site.span, var, context if isinstance(context, tuple) else (),  # type: ignore[attr-defined]
                    mode.active(rec.inner))  # type: ignore[attr-defined]
        rec.node = node.id
        if mode.name == "forward":  # type: ignore[attr-defined]
            node.tangent = tangent_at(mode, rec.inner, node.value, None)
        elif mode.name == "reverse":  # type: ignore[attr-defined]
            k = mode.node(rec.inner)  # type: ignore[attr-defined]
            if k is not None:
                self.slot[k] = node.id
        self.graph.nodes.append(node)
        partials = partials_at(prim, [self.primal(a) for a in args]) if prim.elementwise else None
        for i, a in enumerate(args):
            if type(a) is Rec and mode.active(a.inner):  # type: ignore[attr-defined]
                d = partials[i] if partials is not None else None
                self.graph.edges.append(Edge(a.node, node.id, i, d if type(d) is float else None))  # type: ignore
        return rec

    def _arg(self, site_arg: object, value: object) -> Arg:
        if type(value) is Rec and value.node < 0:  # type: ignore[union-attr]
            return Arg("collapsed", node=-value.node)  # type: ignore[union-attr]
        return arg_of(site_arg, value, self.primal(value))

    def sweep_observer(self) -> Callable[[int, int, int, object, object], None]:
        """Updates between recorded nodes only (a left-out step's updates are not kept)."""
        slot, updates = self.slot, self.graph.updates
        from adcalc.transform.graph import Update

        def on_update(target: int, source: int, position: int, contribution: object, running: object) -> None:
            t, s = slot.get(target), slot.get(source)
            if t is not None and s is not None:
                updates.append(Update(t, s, position, contribution, running))

        return on_update

