"""adcalc: a derivative calculator built on automatic differentiation.

Python API (see ``adcalc.api`` for the contract)::

    >>> import adcalc
    >>> r = adcalc.grad("exp(2*x1) + x1*x2^2 + cos(x2)", {"x1": 1.0, "x2": 2.0})
    >>> r.value, r.gradient
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import (  # noqa: E402
    DiffFunction,
    EvalResult,
    GradResult,
    JacobianResult,
    JvpResult,
    Loaded,
    VjpResult,
    evaluate,
    function,
    grad,
    jacobian,
    jvp,
    load,
    vjp,
)
from .errors import AdcalcError, Span  # noqa: E402

__all__ = [
    "AdcalcError", "Span", "DiffFunction", "EvalResult", "GradResult", "JacobianResult", "JvpResult",
    "Loaded", "VjpResult", "evaluate", "function", "grad", "jacobian", "jvp", "load", "vjp", "__version__",
]
