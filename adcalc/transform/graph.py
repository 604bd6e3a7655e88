"""The run as a graph: what a traced run records, as data with ids and references (no display text).

Contract.  A ``Graph`` is the Wengert list of one run, in the order the steps executed:

- ``nodes``: one ``Node`` per input (first, in point order) and per executed primitive, numbered
  ``1 … N`` (shown as ``v1 … vN``).  A node holds its primitive (a registry name, or "input"),
  its arguments (``Arg``: a parent node, a literal as written, or an input-independent value such
  as a loop counter), static params, value, source span, the program variable it was assigned
  to, where it ran (``context``: calls and loop iterations, innermost last), whether it depends
  on an input (``active``), and what the mode carried: ``tangent`` (forward: one entry per
  direction), ``adjoint`` (reverse, after the sweep) or ``coefficients`` (Taylor).
- ``edges``: parent → child for every active argument, with its position and the local partial's
  value (elementwise primitives; array primitives carry their rule, read from the registry).
- ``updates``: the backward sweep in the order it ran — target ← source through argument
  ``position``, the contribution and the target's adjoint after it.
- ``seeds`` (forward: one direction per tangent column), ``outputs`` (node ids; None for a
  constant output), ``output_seeds`` (reverse: ȳ).
- ``collapsed``: empty unless the run was recorded through a window (``adcalc.transform.window``):
  the loop iterations and repeated calls it left out, one ``Collapsed`` per loop or function; an
  argument made in a left-out step is ``Arg("collapsed", node=k)`` and its edge has ``parent == -k``
  (``k``: 1-based index into ``collapsed``).

Tables, ``--trace`` JSON, and the pictures and code generation to come read this; the symbolic
form of a definition or a partial comes from the registry (``REGISTRY[node.op]``), never from
text stored here.
"""

from __future__ import annotations

from adcalc.errors import Span


class Arg:
    """An argument of a node: a parent ``node`` id, or a ``const`` (the literal as written), or a
    ``value`` (an input-independent number or array, such as a loop counter)."""

    __slots__ = ("kind", "node", "text", "value")

    def __init__(self, kind: str, node: int = 0, text: str = "", value: object = None):
        self.kind, self.node, self.text, self.value = kind, node, text, value

    def __repr__(self) -> str:
        return f"v{self.node}" if self.kind == "node" else (self.text if self.kind == "const" else repr(self.value))


class Node:
    __slots__ = ("id", "op", "args", "params", "value", "span", "var", "context", "active", "tangent", "adjoint",
                 "coefficients")

    def __init__(self, id: int, op: str, args: tuple[Arg, ...], params: tuple, value: object, span: Span | None,
                 var: str | None, context: tuple, active: bool):
        self.id, self.op, self.args, self.params, self.value, self.span = id, op, args, params, value, span
        self.var, self.context, self.active = var, context, active
        self.tangent: tuple | None = None
        self.adjoint: object = None
        self.coefficients: tuple | None = None

    def __repr__(self) -> str:
        return f"Node(v{self.id} = {self.op}{self.args!r}, value={self.value!r})"


class Edge:
    __slots__ = ("parent", "child", "position", "partial")

    def __init__(self, parent: int, child: int, position: int, partial: object):
        self.parent, self.child, self.position, self.partial = parent, child, position, partial


class Update:
    """``v̄target += v̄source · ∂source/∂(argument position)`` in the backward sweep."""

    __slots__ = ("target", "source", "position", "contribution", "running")

    def __init__(self, target: int, source: int, position: int, contribution: object, running: object):
        self.target, self.source, self.position = target, source, position
        self.contribution, self.running = contribution, running


class Collapsed:
    """What a windowed recording left out of one loop (``kind`` "loop": ``line``/``column`` of its
    header, ``function``) or one function's repeated calls (``kind`` "call"): how many iterations
    or calls (``units``) and Wengert nodes (``nodes``), where it ran (``context``), and the recorded
    nodes its left-out steps read (``sources``, in the order first read)."""

    __slots__ = ("kind", "function", "line", "column", "units", "nodes", "context", "sources")

    def __init__(self, kind: str, function: str, line: int | None, column: int | None, context: tuple):
        self.kind, self.function, self.line, self.column, self.context = kind, function, line, column, context
        self.units = 0
        self.nodes = 0
        self.sources: dict[int, None] = {}


class Graph:
    __slots__ = ("mode", "inputs", "nodes", "edges", "updates", "seeds", "outputs", "output_seeds", "collapsed",
                 "_into")

    def __init__(self, mode: str, inputs: list[str]):
        self.mode, self.inputs = mode, inputs
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.updates: list[Update] = []
        self.seeds: list[dict[str, float]] = []
        self.outputs: list[int | None] = []
        self.output_seeds: list[object] = []
        self.collapsed: list[Collapsed] = []
        self._into: dict[int, list[Edge]] | None = None

    def node(self, node_id: int) -> Node:
        return self.nodes[node_id - 1]

    def partial(self, source: int, position: int) -> object:
        """The local partial ∂(source)/∂(its argument ``position``), as recorded (None for an
        array primitive, whose rule is not a number)."""
        for e in self.edges_into(source):
            if e.position == position:
                return e.partial
        return None

    def edges_into(self, child: int) -> list[Edge]:
        """The edges from a node's parents (indexed once, when first asked)."""
        if self._into is None or self._into.get(-1) != len(self.edges):  # built, or rebuilt after new edges
            self._into = {-1: len(self.edges)}  # type: ignore[dict-item]
            for e in self.edges:
                self._into.setdefault(e.child, []).append(e)
        return self._into.get(child, [])  # type: ignore[return-value]
