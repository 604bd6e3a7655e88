"""Modes are interpreters of primitives; the IR interpreter is written once and calls them.

Contract (the protocol every mode implements):
- ``input(index, name, value)`` turns the float bound to input ``index`` into the mode's value
  (a float in eval mode, a dual number in forward mode, a tape node in reverse mode).
- ``apply1(prim, x, site)`` / ``apply2(prim, x, y, site)`` apply a primitive to mode values.
- ``compare(fn, a, b, site)`` evaluates a comparison on primal values (conditions read primals,
  so the derivative is the derivative of the path that executes).
- ``primal(v)`` is the float underneath a mode value.

Every mode records, in ``self.warnings``, where the first non-finite value appeared (or raises
``AdcalcError('domain')`` when ``strict``) and, in derivative modes, every non-differentiable
point it hit (a kink of a primitive, or a comparison exactly tied on an input-dependent value).
Modes never print.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .errors import AdcalcError
from .ir import Cmp, Const, Eqn
from .primitives import Primitive
from .trace import Warning


def fmt_number(v: float) -> str:
    """Short display of a number inside a message or a definition (``2``, ``0.5``, ``1e-08``)."""
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return format(v, ".6g")


class Mode:
    """Shared bookkeeping: non-finite values, kinks, strictness, trace context."""

    name = "mode"

    def __init__(self, strict: bool = False):
        self.strict = strict
        self.warnings: list[Warning] = []
        self._nonfinite_seen = False
        self._bad_partial_seen = False
        self._kinks: dict[int, Warning] = {}
        self.where: Callable[[object], str] = lambda site: ""

    # ---- diagnostics --------------------------------------------------------------------
    def note_nonfinite(self, prim: Primitive, args: Sequence[float], site: Eqn, result: float) -> None:
        if self._nonfinite_seen and not self.strict:
            return
        shown = prim.show([fmt_number(a) for a in args])
        what = fmt_number(result)
        if any(a - a != 0.0 for a in args):
            domain = " (an argument is already inf or nan: check the inputs)"
        elif result != result:
            domain = f" ({prim.name} is defined for {prim.domain})" if prim.domain != "all real numbers" else ""
        else:
            domain = " (overflow, or a pole of the function)"
        message = f"{shown} = {what}: the first non-finite value{domain}"
        if self.strict:
            raise AdcalcError("domain", f"{shown} = {what}{domain}", site.span,
                              hint="strict mode turns nan/inf into errors")
        self._nonfinite_seen = True
        self.warnings.append(Warning("nonfinite", message, site.span, operation=prim.name,
                                     details={"value": what, "arguments": [float(a) for a in args]}))

    def note_partial(self, prim: Primitive, index: int, args: Sequence[float], site: Eqn, d: float) -> None:
        """A local derivative came out inf or nan (the first time in a run): derivatives through
        this step may be inf or nan, and forward and reverse mode may differ there."""
        if self._bad_partial_seen:
            return
        self._bad_partial_seen = True
        shown = prim.show([fmt_number(a) for a in args])
        which = f" with respect to argument {index + 1}" if prim.arity > 1 else ""
        self.warnings.append(Warning(
            "nonfinite_derivative",
            f"the derivative of {shown}{which} is {fmt_number(d)}; derivatives through this step may be "
            "inf or nan (the function may not be differentiable here)",
            site.span, operation=prim.name, details={"arguments": [float(a) for a in args]}))

    def note_kink(self, prim: Primitive, args: Sequence[float], site: Eqn) -> None:
        w = self._kinks.get(id(site))
        if w is not None:
            w.count += 1
            return
        shown = prim.show([fmt_number(a) for a in args])
        w = Warning("kink", f"{shown}: {prim.name} is not differentiable here; {prim.convention}", site.span,
                    operation=prim.name, convention=prim.convention,
                    details={"arguments": [float(a) for a in args]}, site=site)
        self._kinks[id(site)] = w
        self.warnings.append(w)

    def note_tie(self, site: Cmp, a: float, b: float, taken: bool) -> None:
        w = self._kinks.get(id(site))
        if w is not None:
            w.count += 1
            return
        convention = (f"the branch where `{site.a} {site.op} {site.b}` is {taken} was taken and differentiated")
        w = Warning("kink", f"the comparison {site.a} {site.op} {site.b} is exactly tied "
                    f"({fmt_number(a)} vs {fmt_number(b)}); {convention}",
                    site.span, operation=site.op, convention=convention,
                    details={"arguments": [float(a), float(b)]}, site=site)
        self._kinks[id(site)] = w
        self.warnings.append(w)

    @staticmethod
    def show_arg(site_arg: object, value: object, ref: str | None) -> str:
        """How an argument appears in a definition: a node ``v3``, a literal ``2``, or a value."""
        if ref is not None:
            return ref
        if isinstance(site_arg, Const):
            return site_arg.text
        return fmt_number(float(value))  # an input-independent variable, e.g. a loop counter


class EvalMode(Mode):
    """Plain IEEE double evaluation: mode values are floats."""

    name = "eval"

    def input(self, index: int, name: str, value: float) -> float:
        return value

    def apply1(self, prim: Primitive, x: float, site: Eqn) -> float:
        r = prim.value(x)
        if r - r != 0.0:
            self.note_nonfinite(prim, (x,), site, r)
        return r

    def apply2(self, prim: Primitive, x: float, y: float, site: Eqn) -> float:
        r = prim.value(x, y)
        if r - r != 0.0:
            self.note_nonfinite(prim, (x, y), site, r)
        return r

    def compare(self, fn: Callable[[float, float], bool], a: float, b: float, site: Cmp) -> bool:
        return fn(a, b)

    def primal(self, v: float) -> float:
        return v


__all__ = ["Mode", "EvalMode", "fmt_number"]
