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

__all__ = ["CompiledFunction", "DiffFunction", "EvalResult", "GradResult", "JacobianResult", "JvpResult", "Loaded",
           "Result", "VjpResult", "compile", "evaluate", "function", "grad", "jacobian", "jvp", "load", "vjp",
           "plot", "PlotResult"]
