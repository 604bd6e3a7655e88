"""The public API: the surface users call (``adcalc.grad`` and the rest are these names).

The operations live in ``adcalc.ops`` (``derivatives``: evaluate, grad, jvp, vjp, jacobian;
``higher``: hessian, hvp, deriv; ``checks``: check; ``function``: the SciPy-style wrapper;
``plotting``: plot, the data of ``adcalc plot``); this
module only gathers them.  Results are the classes of ``adcalc.ops.results``.
"""

from adcalc.ops.codegen.compiled import CompiledFunction, compile
from adcalc.ops.derivatives import evaluate, grad, jacobian, jvp, vjp
from adcalc.ops.driver import Loaded, load
from adcalc.ops.function import DiffFunction, function
from adcalc.ops.plotting import PlotResult, plot
from adcalc.ops.results import EvalResult, GradResult, JacobianResult, JvpResult, Result, VjpResult
from adcalc.present.pictures.view import GraphPicture

__all__ = ["CompiledFunction", "DiffFunction", "EvalResult", "GradResult", "GraphPicture", "JacobianResult",
           "JvpResult", "Loaded", "Result", "VjpResult", "compile", "evaluate", "function", "grad", "graph", "jacobian",
           "jvp", "load", "vjp", "plot", "PlotResult"]


def graph(source: str | Loaded, point: dict[str, float], *, mode: str = "reverse", max_nodes: int = 200,
          strict: bool = False, max_steps: int | None = None, max_depth: int | None = None,
          max_memory: int | None = None) -> GraphPicture:
    """The computational graph of one run at ``point`` (``adcalc graph``): a ``GraphPicture``,
    which Jupyter shows as SVG; ``.text()``, ``.dot()``, ``.svg()`` and ``.json()`` draw it."""
    from adcalc.ops.pictures import record

    return GraphPicture(record(source, point, mode=mode, max_nodes=max_nodes, strict=strict, max_steps=max_steps,
                               max_depth=max_depth, max_memory=max_memory))


def _repr_html_(self: Result) -> str:
    """The result as an HTML table (Jupyter shows it)."""
    from adcalc.present.htmlview import result_html

    return result_html(self)


Result._repr_html_ = _repr_html_  # type: ignore[attr-defined]  # results are ops' plain records; HTML is presentation's
