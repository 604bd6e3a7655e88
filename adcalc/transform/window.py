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
    """The latest left-out unit of one group: its key and (node, rec, tape slot, edges) entries."""

    __slots__ = ("unit", "entries")

    def __init__(self, unit: object):
        self.unit = unit
        # (node, rec, tape slot, {position: parent Rec}, [(edge, parent Rec)])
        self.entries: list[tuple[Node, Rec, int | None, dict[int, Rec], list[tuple[Edge, Rec]]]] = []


class WindowRecorder(Recorder):
    """A ``Recorder`` that leaves out loop iterations and repeated calls past ``max_nodes``."""

    def __init__(self, mode: object, graph: Graph, max_nodes: int, loops: Mapping[tuple[str, int], object],
                 main: str):
        super().__init__(mode, graph)
        self.max_nodes, self.loops, self.main = max_nodes, loops, main
        self.decided: dict[object, int] = {}  # unit → 0 (recorded) or its group (left out)
        self.groups: dict[object, int] = {}  # group key → 1-based index into graph.collapsed
        self.held: dict[int, _Held] = {}  # group → its held-aside unit
        self.held_group: dict[int, int] = {}  # held node id → group
        self.n_held = 0

    # ---- which unit a step belongs to ---------------------------------------------------------
    def _unit(self, site: object, context: tuple) -> tuple[object, object, tuple] | None:
        """(unit key, group key, the group's context), or None for a step that is always recorded."""
        calls = tuple(p for p in context if p[0] == "call")
        inner = context[len(calls):]
        ids = getattr(site, "loops", ())
        if inner and ids:
            fn = calls[-1][1] if calls else self.main
            return (calls, ids[0], inner[0]), ("loop", calls, fn, ids[0]), calls
        if calls and calls[-1][2] > 1:
            return calls, ("call", calls[:-1], calls[-1][1]), calls[:-1]
        return None

    def _group_of(self, site: object, context: tuple) -> int:
        """0 when the step is recorded, else its group (a new unit is left out once the window is full)."""
        unit = self._unit(site, context)
        if unit is None:
            return 0
        key, group_key, where = unit
        g = self.decided.get(key)
        if g is None:
            g = 0
            if len(self.graph.nodes) >= self.max_nodes:
                g = self.groups.get(group_key, 0)
                if not g:
                    g = self._new_group(group_key, where)
            self.decided[key] = g
            if g:
                self._start_unit(g, key)
        return g

    def _new_group(self, group_key: tuple, where: tuple) -> int:
        kind, _, fn, ident = group_key
        if kind == "loop":
            info = self.loops.get((fn, ident))
            span = getattr(info, "span", None)
            c = Collapsed("loop", fn, getattr(span, "line", None), getattr(span, "column", None), where)
        else:
            c = Collapsed("call", ident, None, None, where)
        self.graph.collapsed.append(c)
        g = self.groups[group_key] = len(self.graph.collapsed)
        return g

    def _start_unit(self, g: int, key: object) -> None:
        """A new left-out unit of group ``g``: the one held so far is dropped (counted), this one held."""
        old = self.held.get(g)
        c = self.graph.collapsed[g - 1]
        if old is not None:
            for node, rec, _, _, _ in old.entries:
                rec.node = -g
                del self.held_group[node.id]
            c.nodes += len(old.entries)
        c.units += 1
        self.held[g] = _Held(key)

    def _promote_all(self) -> None:
        """Put every held unit back into the graph, numbered from the next id in the order the steps
        ran; their arguments and edges then read each parent's final id (or its left-out group)."""
        entries = sorted((e for held in self.held.values() for e in held.entries), key=lambda e: -e[0].id)
        for g in self.held:
            self.graph.collapsed[g - 1].units -= 1
        self.held.clear()
        self.held_group.clear()
        for node, rec, _, _, _ in entries:
            node.id = rec.node = len(self.graph.nodes) + 1
            self.graph.nodes.append(node)
        for node, _, k, parents, edges in entries:
            node.args = tuple(_final(parents[i]) if i in parents else a for i, a in enumerate(node.args))
            for e, parent in edges:
                e.parent, e.child = parent.node, node.id
                self.graph.edges.append(e)
            if k is not None:
                self.slot[k] = node.id

    def finish(self) -> None:
        """Put every held unit back (the last iteration of each long loop); call once the run ends."""
        self._promote_all()

    # ---- the steps ------------------------------------------------------------------------------
    def _step(self, prim: Primitive, args: Sequence[object], result: object, site: object) -> Rec:
        context = self.where(site)
        g = self._group_of(site, context)
        if not g and any(type(a) is Rec and a.node <= _HELD for a in args):  # type: ignore[union-attr]
            self._promote_all()  # a recorded step reads a held value: the held units go back first
        shown = tuple(self._arg(site.args[i], a) for i, a in enumerate(args))  # type: ignore[attr-defined]
        var = site.out if site.user_var else None  # type: ignore[attr-defined]
        node, rec, k = self._make(result, prim.name, shown, site.params, site.span, var,  # type: ignore
                                  context if isinstance(context, tuple) else (), g)
        mode = self.mode
        partials = partials_at(prim, [self.primal(a) for a in args]) if prim.elementwise else None
        edges = []
        for i, a in enumerate(args):
            if type(a) is Rec and mode.active(a.inner):  # type: ignore[attr-defined]
                d = partials[i] if partials is not None else None
                edges.append((Edge(a.node, node.id, i, d if type(d) is float else None), a))  # type: ignore
        if g:
            sources = self.graph.collapsed[g - 1].sources
            for a in args:
                if type(a) is Rec and a.node > 0 and mode.active(a.inner):  # type: ignore[attr-defined]
                    sources[a.node] = None  # type: ignore[union-attr]
            parents = {i: a for i, a in enumerate(args) if type(a) is Rec and a.node <= _HELD}  # type: ignore
            self.held[g].entries.append((node, rec, k, parents, edges))  # type: ignore[arg-type]
            self.held_group[node.id] = g
        else:
            self.graph.edges.extend(e for e, _ in edges)
        return rec

    def _arg(self, site_arg: object, value: object) -> Arg:
        if type(value) is Rec and -len(self.graph.collapsed) <= value.node < 0:  # type: ignore[union-attr]
            return Arg("collapsed", node=-value.node)  # type: ignore[union-attr]
        return arg_of(site_arg, value, self.primal(value))

    def _make(self, inner: object, op: str, args: tuple, params: tuple, span: object, var: str | None,
              context: tuple, g: int) -> tuple[Node, Rec, int | None]:
        mode = self.mode
        if g:
            node_id = _HELD - self.n_held
            self.n_held += 1
        else:
            node_id = len(self.graph.nodes) + 1
        node = Node(node_id, op, args, params, mode.primal(inner), span, var, context,  # type: ignore
                    mode.active(inner))  # type: ignore[attr-defined]
        k = None
        if mode.name == "forward":  # type: ignore[attr-defined]
            node.tangent = tangent_at(mode, inner, node.value, None)
        elif mode.name == "reverse":  # type: ignore[attr-defined]
            k = mode.node(inner)  # type: ignore[attr-defined]
            if k is not None and not g:
                self.slot[k] = node.id
        if not g:
            self.graph.nodes.append(node)
        return node, Rec(inner, node_id), k

    def sweep_observer(self) -> Callable[[int, int, int, object, object], None]:
        """Updates between recorded nodes only (a left-out step's updates are not kept)."""
        slot, updates = self.slot, self.graph.updates
        from adcalc.transform.graph import Update

        def on_update(target: int, source: int, position: int, contribution: object, running: object) -> None:
            t, s = slot.get(target), slot.get(source)
            if t is not None and s is not None:
                updates.append(Update(t, s, position, contribution, running))

        return on_update


def _final(parent: Rec) -> Arg:
    """A held node's argument once the held units are back: its parent's id, or its left-out group."""
    return Arg("node", node=parent.node) if parent.node > 0 else Arg("collapsed", node=-parent.node)
