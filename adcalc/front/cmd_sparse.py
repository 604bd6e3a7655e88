"""``jacobian --sparse`` and ``hessian --sparse`` (issue #19): the runner behind the two flags.

The options themselves are in ``adcalc.front.commands`` (``SPARSE``, on the jacobian and hessian
records); this module turns a ``Call`` into ``adcalc.ops.sparse``'s operations.
"""

from __future__ import annotations

from typing import Any

from adcalc.errors import AdcalcError


def run_sparse(command: str, c: Any) -> object:
    """``command`` (jacobian or hessian) with ``--sparse`` (and ``--dense``, ``--wrt``: the pattern,
    colouring and sweeps over the ``--wrt`` inputs alone, the others constants)."""
    from adcalc.ops import sparse

    if not c.sparse:
        raise AdcalcError("usage", f"--dense goes with --sparse: without it, {command} always gives the full matrix",
                          hint=f"adcalc {command} SOURCE --at … --sparse --dense")
    if command == "jacobian":
        if c.mode == "reverse":
            raise AdcalcError("usage", "--sparse computes the Jacobian by compressed forward mode (one forward sweep "
                              "per colour of its columns); --mode reverse does not apply",
                              hint="leave out --mode, or use --mode forward")
        return sparse.sparse_jacobian(c.source, c.point, dense=c.dense, wrt=c.wrt, **c.limits)
    return sparse.sparse_hessian(c.source, c.point, dense=c.dense, wrt=c.wrt, **c.limits)
