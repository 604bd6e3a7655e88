"""adcalc: a derivative calculator built on automatic differentiation.

Python API (see ``adcalc.ops.derivatives`` for the contract)::

    >>> import adcalc
    >>> r = adcalc.grad("exp(2*x1) + x1*x2^2 + cos(x2)", {"x1": 1.0, "x2": 2.0})
    >>> r.value, r.gradient

The names below are imported on first use, so ``import adcalc.front.cli`` (the command line) stays
cheap and a Ctrl-C during start-up is handled by the command line, not a traceback.
"""

from __future__ import annotations

__version__ = "0.1.0"

_API = {"CompiledFunction", "DiffFunction", "EvalResult", "GradResult", "GraphPicture", "JacobianResult", "JvpResult",
        "Loaded", "VjpResult", "compile", "evaluate", "function", "grad", "graph", "jacobian", "jvp", "load", "vjp",
        "plot", "PlotResult"}  # plot: adcalc.ops.plotting

_MODULES = {"higher", "checks"}  # ``from adcalc import higher, checks`` (adcalc.ops.higher, adcalc.ops.checks)

__all__ = sorted(_API | set(_MODULES) | {"AdcalcError", "Span", "__version__"})


def __getattr__(name: str) -> object:
    if name == "higher":
        from adcalc.ops import higher as value
    elif name == "checks":
        from adcalc.ops import checks as value  # type: ignore[no-redef]
    else:
        value = None
    if value is not None:
        import adcalc.api  # noqa: F401 - its results display as HTML tables in Jupyter (Result._repr_html_)

        globals()[name] = value
        return value
    if name in _API:
        from adcalc import api as module
    elif name in ("AdcalcError", "Span"):
        from adcalc import errors as module  # type: ignore[no-redef]
    else:
        raise AttributeError(f"module 'adcalc' has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value  # later look-ups skip this function
    return value
