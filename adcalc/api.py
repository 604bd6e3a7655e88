"""The public API (the surface users call): see ``adcalc.ops.derivatives``."""

from adcalc.ops.derivatives import (  # noqa: F401
    DiffFunction,
    EvalResult,
    GradResult,
    JacobianResult,
    JvpResult,
    Loaded,
    Result,
    VjpResult,
    evaluate,
    function,
    grad,
    jacobian,
    jvp,
    load,
    vjp,
)
