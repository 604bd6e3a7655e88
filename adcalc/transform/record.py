"""The recorder: an observer of a run that writes it down as a graph (``adcalc.transform.graph``).

Contract: ``Recorder(mode, graph)`` stands in for ``mode`` in the interpreter.  Every value the
run makes passes through it as a ``Rec`` — the mode's own value and the node it is — so the mode
underneath computes exactly what it computes untraced (the same operations in the same order: the
numbers of a traced run equal an untraced one's), while the recorder adds one node per input and
per executed primitive, with its arguments (parent nodes, literals, or input-independent values),
value, span, variable, where it ran, and an edge per input-dependent argument with the local
partial read from the registry.  What each mode carries is read off its values: forward tangents,
Taylor coefficients, and — after the sweep — reverse adjoints and the sweep's updates
(``sweep_observer``/``read_adjoints``).  Tracing is not a subclass of any mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adcalc.language.ir import Const, Eqn
from adcalc.rules.registry import Primitive, np
from adcalc.transform.budget import TRACE_ROW_BYTES
from adcalc.transform.graph import Arg, Edge, Graph, Node, Update


class Rec:
    """A recorded value: the mode's value underneath and its node id."""

    __slots__ = ("inner", "node")

    def __init__(self, inner: object, node: int):
        self.inner = inner
        self.node = node


def _inner(v: object) -> object:
    return v.inner if type(v) is Rec else v  # type: ignore[union-attr]


class Recorder:
    """Stands in for ``mode`` in the interpreter and records the run into ``graph``."""

    def __init__(self, mode: object, graph: Graph):
        self.mode = mode
        self.graph = graph
        self.where: Callable[[object], object] = lambda site: ()
        self.slot: dict[int, int] = {}  # reverse mode: tape index → node id

    # ---- what the interpreter reads and sets on a mode ------------------------------------------
    @property
    def budget(self) -> object:
        return self.mode.budget  # type: ignore[attr-defined]

    @budget.setter
    def budget(self, value: object) -> None:
        self.mode.budget = value  # type: ignore[attr-defined]

    @property
    def warnings(self) -> list:
        return self.mode.warnings  # type: ignore[attr-defined]

    def kept(self) -> tuple[int, int]:
        kept, _ = self.mode.kept()  # type: ignore[attr-defined]
        rows = len(self.graph.nodes) + len(self.graph.updates)
        return kept + rows * TRACE_ROW_BYTES, rows

    def primal(self, v: object) -> object:
        return self.mode.primal(_inner(v))  # type: ignore[attr-defined]

    def concrete(self, v: object) -> object:
        return self.mode.concrete(_inner(v))  # type: ignore[attr-defined]

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: object) -> bool:
        return self.mode.compare(fn, _inner(a), _inner(b), site)  # type: ignore[attr-defined]

    # ---- the steps ------------------------------------------------------------------------------
    def input(self, index: int, name: str, value: object) -> Rec:
        inner = self.mode.input(index, name, value)  # type: ignore[attr-defined]
        return self._node(inner, "input", (), (), None, name, (), index)

    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        return self._step(prim, (x,), self.mode.apply1(prim, _inner(x), site), site)  # type: ignore[attr-defined]

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        return self._step(prim, (x, y), self.mode.apply2(prim, _inner(x), _inner(y), site), site)  # type: ignore

    def applyn(self, prim: Primitive, args: Sequence[object], site: Eqn) -> object:
        return self._step(prim, args, self.mode.applyn(prim, [_inner(a) for a in args], site), site)  # type: ignore

    def element(self, prim: Primitive, x: object, subscripts: Sequence[object], site: Eqn) -> object:
        """``x[i]`` in a traced run: the general step (one ``index`` node with its scatter pullback,
        as the trace shows it); its numbers equal the scalar path's of an untraced run."""
        return self.applyn(prim, [x, *subscripts], site)

    def _step(self, prim: Primitive, args: Sequence[object], result: object, site: Eqn) -> Rec:
        shown = tuple(arg_of(site.args[i], a, self.primal(a)) for i, a in enumerate(args))
        rec = self._node(result, prim.name, shown, site.params, site.span, site.out if site.user_var else None,
                         self.where(site))
        mode = self.mode
        partials = partials_at(prim, [self.primal(a) for a in args]) if prim.elementwise else None
        for i, a in enumerate(args):
            if type(a) is Rec and mode.active(a.inner):  # type: ignore[attr-defined]
                d = partials[i] if partials is not None else None
                self.graph.edges.append(Edge(a.node, rec.node, i, d if type(d) is float else None))
        return rec

    def _node(self, inner: object, op: str, args: tuple, params: tuple, span: object, var: str | None,
              context: object, seed: int | None = None) -> Rec:
        mode = self.mode
        node = Node(len(self.graph.nodes) + 1, op, args, params, mode.primal(inner), span, var,  # type: ignore
                    context if isinstance(context, tuple) else (), mode.active(inner))  # type: ignore[attr-defined]
        name = mode.name  # type: ignore[attr-defined]
        if name == "forward":
            node.tangent = tangent_at(mode, inner, node.value, seed)
        elif name == "taylor":
            node.coefficients = tuple(mode.coefficients(inner))  # type: ignore[attr-defined]
        elif name == "reverse":
            k = mode.node(inner)  # type: ignore[attr-defined]
            if k is not None:
                self.slot[k] = node.id
        self.graph.nodes.append(node)
        return Rec(inner, node.id)

    # ---- reverse mode: the sweep ------------------------------------------------------------
    def sweep_observer(self) -> Callable[[int, int, int, object, object], None]:
        """The ``on_update`` of the reverse sweep: each update, by node ids, into the graph."""
        slot, updates = self.slot, self.graph.updates

        def on_update(target: int, source: int, position: int, contribution: object, running: object) -> None:
            updates.append(Update(slot[target], slot[source], position, contribution, running))

        return on_update

    def read_adjoints(self, adj: Sequence[object]) -> None:
        """Every node's adjoint as the sweep left it (0 for a node that no input moves)."""
        index = {v: k for k, v in self.slot.items()}
        for node in self.graph.nodes:
            k = index.get(node.id)
            a = adj[k] if k is not None else None
            node.adjoint = a if a is not None else (np.zeros(np.shape(node.value)) if type(node.value) is not float
                                                    else 0.0)


def arg_of(site_arg: object, value: object, primal: object) -> Arg:
    if type(value) is Rec:
        return Arg("node", node=value.node)  # type: ignore[union-attr]
    if isinstance(site_arg, Const):
        return Arg("const", text=site_arg.text)
    return Arg("value", value=primal)  # an input-independent variable, e.g. a loop counter


def partials_at(prim: Primitive, primals: list[object]) -> list[object]:
    """The local partials, as the registry gives them, at numbers (None at arrays)."""
    if not all(type(p) is float for p in primals):
        return [None] * len(primals)
    return [prim.partials[i](*primals) for i in range(len(primals))]


def tangent_at(mode: object, inner: object, value: object, seed: int | None) -> tuple:
    """A forward-mode node's tangents, one per direction (zeros when no input moves it)."""
    if seed is not None:
        return tuple(mode.seeds[seed])  # type: ignore[attr-defined]
    tangent = getattr(inner, "tangent", None)
    if tangent is not None:
        return tuple(tangent)
    width = mode.width  # type: ignore[attr-defined]
    if type(value) is float:
        return (0.0,) * width
    return tuple(np.zeros((width,) + np.shape(value)))
