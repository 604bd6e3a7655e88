"""The run behind a picture: one recorded forward or reverse sweep, windowed to ``max_nodes``.

Contract: ``record(source, point, mode=..., max_nodes=...)`` runs the source once in forward mode
(one tangent direction per input entry: every node's tangent column is ∂node/∂input) or in reverse
mode (one sweep from ȳ = 1: every node's adjoint is ∂f/∂node), recording the run as a
``Graph`` through ``adcalc.transform.window.WindowRecorder`` — loop iterations and repeated calls
past ``max_nodes`` nodes are counted in ``graph.collapsed`` instead of drawn, so a 10⁵-iteration
loop gives a picture of about ``max_nodes`` nodes.  It returns a ``PictureRun``: the graph, the
value, the gradient (scalar sources; forward mode also takes vector sources and then gives
none), and the warnings (kinks with their one-sided derivatives, non-finite values).  The numbers
are the run's own: a recorded node's value, tangent and adjoint equal an unrecorded run's.
"""

from __future__ import annotations

from collections.abc import Mapping

from adcalc.errors import AdcalcError
from adcalc.ops import validate
from adcalc.ops.driver import (
    Loaded,
    bind,
    check_scalar,
    limits_of,
    read_adjoints,
    resolve,
    run_mode,
    split,
    unit_seeds,
    used_inputs,
)
from adcalc.ops.kinks import attach_one_sided
from adcalc.transform.forward import Dual, ForwardMode
from adcalc.transform.graph import Graph
from adcalc.transform.notes import Warning
from adcalc.transform.record import Rec
from adcalc.transform.reverse import ReverseMode
from adcalc.transform.window import WindowRecorder

DEFAULT_MAX_NODES = 200


class PictureRun:
    """A recorded run for a picture: ``graph``, ``value`` (the output's value, or the list of them),
    ``gradient`` (name → ∂f/∂name; None for a vector source), ``names`` (the inputs, in point
    order), ``mode``, ``max_nodes``, ``warnings`` and the source text."""

    __slots__ = ("graph", "value", "gradient", "names", "mode", "max_nodes", "warnings", "text")

    def __init__(self, graph: Graph, value: object, gradient: dict[str, object] | None, names: list[str], mode: str,
                 max_nodes: int, warnings: list[Warning], text: str):
        self.graph, self.value, self.gradient, self.names, self.mode = graph, value, gradient, names, mode
        self.max_nodes, self.warnings, self.text = max_nodes, warnings, text


def record(source: str | Loaded, point: Mapping[str, float], *, mode: str = "reverse",
           max_nodes: int = DEFAULT_MAX_NODES, strict: bool = False, max_steps: int | None = None,
           max_depth: int | None = None, max_memory: int | None = None) -> PictureRun:
    """Run ``source`` at ``point`` once in ``mode`` ("forward" or "reverse") and record it (see the
    module docstring)."""
    validate.arguments("graph", {"source": source, "point": point, "mode": mode, "strict": strict,
                                "max_steps": max_steps, "max_depth": max_depth, "max_memory": max_memory})
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise AdcalcError("usage", f"max_nodes must be a positive whole number, not {max_nodes!r}")
    loaded = resolve(source)
    if mode == "reverse":
        check_scalar(loaded, "a reverse-mode picture")
    names, values, warnings = bind(loaded, point)
    limits = limits_of(max_steps, max_depth, max_memory)
    program = loaded.program
    loops = {(fn.name, info.id): info for fn in program.functions.values() for info in fn.loops}
    used = used_inputs(loaded, names)
    graph = Graph(mode, names)
    if mode == "forward":
        seeds = unit_seeds(names, values, limits)
        seed_of = dict(zip(names, seeds))
        fmode = ForwardMode([seed_of[n] for n in used], strict)
        rec = WindowRecorder(fmode, graph, max_nodes, loops, program.main.name)
        outs = run_mode(loaded, rec, names, values, limits, True)
        rec.finish()
        width = len(seeds[0]) if seeds else 0
        graph.seeds = [{n: seed_of[n][j] for n in names} for j in range(width)]
        graph.outputs = [o.node if type(o) is Rec else None for o in outs]
        inner = [o.inner if type(o) is Rec else o for o in outs]
        primals = [fmode.primal(o) for o in inner]
        gradient = None
        if not program.vector_output and type(primals[0]) is float:
            tangent = inner[0].tangent if type(inner[0]) is Dual and inner[0].tangent is not None else (0.0,) * width
            gradient = split(names, values, tangent) if names else {}
        mode_warnings = fmode.warnings
    else:
        rmode = ReverseMode(strict)
        rec = WindowRecorder(rmode, graph, max_nodes, loops, program.main.name)
        outs = run_mode(loaded, rec, names, values, limits, True)
        rec.finish()
        graph.outputs = [o.node if type(o) is Rec else None for o in outs]
        graph.output_seeds = [1.0]
        inner = [o.inner if type(o) is Rec else o for o in outs]
        primals = [rmode.primal(o) for o in inner]
        if type(primals[0]) is not float:
            raise AdcalcError("type", "a reverse-mode picture needs a scalar function, but this one returns an array",
                              hint="reduce it, e.g. sum(…), or use --mode forward")
        adj = rmode.gradient(inner, [1.0], rec.sweep_observer())
        rec.read_adjoints(adj)
        gradient = read_adjoints(names, used, adj, values)
        mode_warnings = rmode.warnings
    if gradient is not None:
        attach_one_sided(loaded, names, values, mode_warnings, limits, False, gradient)
    value = primals if program.vector_output else primals[0]
    return PictureRun(graph, value, gradient, names, mode, max_nodes, warnings + mode_warnings, loaded.text)
