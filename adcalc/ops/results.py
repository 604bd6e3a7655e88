"""What operations return: one plain record class per operation (no math, no printing).

Every result has ``value`` (a number, an array, or a list for vector-valued sources), ``inputs``
(point order), ``mode``, ``sweeps``, ``warnings`` and ``trace``, and its operation's fields.
Presentation (tables, JSON) reads these; it finds how to show each by its class.
"""

from __future__ import annotations


class Result:
    """What an operation returns: ``value`` (a number, an array, or a list for vector-valued
    sources), ``inputs`` (point order), ``mode``, ``sweeps``, ``warnings``, ``trace``, and each
    subclass's derivative fields.  Plain classes declaring ``_fields``/``_defaults`` rather than
    dataclasses, whose import costs more start-up time than the rest of the package."""

    _fields: tuple[str, ...] = ("value", "inputs", "mode", "sweeps", "warnings", "trace")
    _defaults: dict[str, object] = {"sweeps": lambda: 0, "warnings": list, "trace": lambda: None}

    def __init__(self, *args: object, **kw: object):
        if len(args) > len(self._fields):
            raise TypeError(f"{type(self).__name__} takes at most {len(self._fields)} arguments")
        values = dict(zip(self._fields, args))
        for k, v in kw.items():
            if k not in self._fields or k in values:
                raise TypeError(f"{type(self).__name__}: unexpected or repeated argument {k!r}")
            values[k] = v
        for k in self._fields:
            if k not in values:
                if k not in self._defaults:
                    raise TypeError(f"{type(self).__name__}: missing argument {k!r}")
                values[k] = self._defaults[k]()  # type: ignore[operator]
            setattr(self, k, values[k])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self._fields) + ")"


def result_type(name: str, extra: dict[str, object], doc: str) -> type:
    """A Result subclass with ``extra`` fields (name → default factory)."""
    return type(name, (Result,), {"_fields": Result._fields + tuple(extra),
                                  "_defaults": {**Result._defaults, **extra}, "__doc__": doc})


EvalResult = result_type("EvalResult", {}, "The value of the source at a point.")


GradResult = result_type("GradResult", {"gradient": dict}, "``gradient``: input name → ∂f/∂input (its shape).")


JvpResult = result_type("JvpResult", {"tangent": lambda: 0.0, "direction": dict},
                        "``tangent`` = J·v along ``direction``.")


VjpResult = result_type("VjpResult", {"cotangent": list, "cotangent_result": dict},
                    "``cotangent_result``: input name → (wᵀJ) for the weights ``cotangent``.")


JacobianResult = result_type("JacobianResult",
                             {"jacobian": list, "rows": list, "columns": list, "arrays": lambda: False},
                             "``jacobian`` (rows: outputs, columns: inputs); ``rows``/``columns`` label each entry "
                             "(\"f[0, 1]\", \"x[2]\"); ``arrays``: an input or an output is an array.")
HessianResult = result_type("HessianResult", {
    "gradient": dict, "hessian": list, "asymmetry": lambda: 0.0, "rows": list, "columns": list,
    "arrays": lambda: False, "outputs": lambda: None, "gradients": lambda: None, "hessians": lambda: None},
    "``hessian`` ∂²f/∂row∂column; ``asymmetry`` = max |H − Hᵀ| (0 up to rounding); with arrays ``rows``/"
    "``columns`` label the flattened input entries; a vector-valued source has ``outputs`` (labels) and one "
    "of ``gradients``/``hessians`` per output entry instead of ``gradient``/``hessian``.")
HvpResult = result_type("HvpResult", {"gradient": dict, "direction": dict, "hvp": dict},
                        "``hvp`` = H·v along ``direction``.")
DerivResult = result_type("DerivResult", {"derivatives": list, "direction": dict, "order": lambda: 0},
                          "``derivatives``: the 1st … K-th derivatives along an input or ``direction``.")
