"""Modes are interpreters of primitives; the IR interpreter is written once and calls them.

Contract (the protocol every mode implements):
- ``input(index, name, value)`` turns the float bound to input ``index`` into the mode's value
  (a float in eval mode, a dual number in forward mode, a tape node in reverse mode).
- ``apply1(prim, x, site)`` / ``apply2(prim, x, y, site)`` apply a primitive to mode values.
- ``compare(fn, a, b, site)`` evaluates a comparison on primal values (conditions read primals,
  so the derivative is the derivative of the path that executes).
- ``applyn(prim, args, site)`` applies an array primitive (``adcalc.rules.arrays``) to mode values.
- ``primal(v)`` is the float (or NumPy array) underneath a mode value.

Arrays: an elementwise primitive whose arguments include an array takes the mode's array path
(``elementwise``); scalars never leave the float fast path.  Conditions must compare numbers:
an array in a comparison is an ``AdcalcError('type')``.

Every mode records, in ``self.warnings``, where the first non-finite value appeared (or raises
``AdcalcError('domain')`` when ``strict``) and, in derivative modes, every non-differentiable
point it hit (a kink of a primitive, or a comparison exactly tied on an input-dependent value).
Modes never print.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adcalc.errors import AdcalcError
from adcalc.language.ir import Cmp, Const, Eqn
from adcalc.rules.registry import Primitive, array_rule, np
from adcalc.rules.shapes import all_finite, describe_value, is_array, shape_text
from adcalc.transform.budget import DEFAULT_MAX_STEPS, TRACE_ROW_BYTES, Budget
from adcalc.transform.trace import Warning


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
        self.budget = Budget(DEFAULT_MAX_STEPS)  # the interpreter gives each run its own

    tangent_width = 0  # tangent directions carried with each array (forward mode: k)

    def kept(self) -> tuple[int, int]:
        """(bytes, trace rows) this mode keeps for the rest of the run beyond what it ``hold``s in
        the budget (the scalar tape, trace rows): read by the budget every few thousand steps."""
        trace = getattr(self, "trace", None)
        rows = len(trace.rows) + len(trace.updates) if trace is not None else 0
        return rows * TRACE_ROW_BYTES, rows

    def _reserve(self, elements: int, read: int, site: Eqn, what: str) -> None:
        """Charge an array operation's work and check its memory before it runs: ``elements``
        of result (and as many per tangent direction), ``read`` elements of arguments."""
        width = 1 + self.tangent_width
        self.budget.need(8 * elements * width, site.span, what)
        self.budget.charge(read + elements * width, site.span)

    # ---- diagnostics --------------------------------------------------------------------
    def note_nonfinite(self, prim: Primitive, args: Sequence[float], site: Eqn, result: float,
                       at: str = "") -> None:
        if self._nonfinite_seen and not self.strict:
            return
        shown = prim.show([fmt_number(a) for a in args]) + at
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

    def note_partial(self, prim: Primitive, index: int, args: Sequence[float], site: Eqn, d: float,
                     at: str = "") -> None:
        """A local derivative came out inf or nan (the first time in a run): derivatives through
        this step may be inf or nan, and forward and reverse mode may differ there."""
        if self._bad_partial_seen:
            return
        self._bad_partial_seen = True
        shown = prim.show([fmt_number(a) for a in args]) + at
        which = f" with respect to argument {index + 1}" if prim.arity > 1 else ""
        self.warnings.append(Warning(
            "nonfinite_derivative",
            f"the derivative of {shown}{which} is {fmt_number(d)}; derivatives through this step may be "
            "inf or nan (the function may not be differentiable here)",
            site.span, operation=prim.name, details={"arguments": [float(a) for a in args]}))

    def note_kink(self, prim: Primitive, args: Sequence[float], site: Eqn, at: str = "") -> None:
        w = self._kinks.get(id(site))
        if w is not None:
            w.count += 1
            return
        shown = prim.show([fmt_number(a) for a in args]) + at
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

    # ---- arrays -------------------------------------------------------------------------------
    def scalar_condition(self, site: Cmp, a: object, b: object) -> None:
        """Conditions compare numbers: an array operand is an error."""
        for atom, v in ((site.a, a), (site.b, b)):
            if is_array(self.primal(v)):
                raise AdcalcError("type", f"a condition compares numbers, but {atom} is "
                                  f"{describe_value(self.primal(v))}", site.span,
                                  hint="compare an element (x[i]) or a reduction (sum(x), max(x), norm(x))")

    def array_value(self, prim: Primitive, primals: Sequence[object], site: Eqn) -> object:
        """An elementwise primitive on arrays (NumPy broadcasting), with the run's diagnostics;
        the result's shape is known first, so its work and memory are checked before NumPy runs."""
        shapes = [np.shape(a) for a in primals]
        try:
            shape = np.broadcast_shapes(*shapes)
        except ValueError:
            shown = " and ".join(str(s) if s else "a number" for s in shapes)
            raise AdcalcError("shape", f"{prim.name}: shapes {shown} cannot be broadcast together",
                              site.span, hint="NumPy rules: trailing axes must be equal or 1") from None
        elements = _count(shape)
        self._reserve(elements, sum(_count(s) for s in shapes), site,
                      f"{prim.name} making an array of shape {shape_text(shape)}")
        with np.errstate(all="ignore"):
            r = array_rule(prim)(*primals)
        if not all_finite(r):
            self._note_array_nonfinite(prim, primals, site, r)
        return r

    def array_partials(self, prim: Primitive, primals: Sequence[object], active: Sequence[bool],
                       site: Eqn) -> list[object]:
        """The local partials of an elementwise primitive at array arguments (None where inactive);
        notes kinks and non-finite partials, element by element."""
        rules = prim.array_partials or prim.partials
        with np.errstate(all="ignore"):
            if prim.kink is not None:
                hit = np.asarray(prim.kink(*primals))
                if hit.any():
                    args, at = _first(primals, hit)
                    self.note_kink(prim, args, site, at)
            out: list[object] = []
            for i, act in enumerate(active):
                if not act:
                    out.append(None)
                    continue
                d = rules[i](*primals)
                if not all_finite(d):
                    bad = ~np.isfinite(np.asarray(d))
                    args, at = _first(primals, bad)
                    self.note_partial(prim, i, args, site, float(np.broadcast_to(d, bad.shape)[np.unravel_index(
                        int(np.flatnonzero(bad)[0]), bad.shape)]), at)
                out.append(d)
        return out

    def _note_array_nonfinite(self, prim: Primitive, primals: Sequence[object], site: Eqn, r: object) -> None:
        bad = ~np.isfinite(r)
        args, at = _first(primals, bad)
        flat = int(np.flatnonzero(bad)[0])
        self.note_nonfinite(prim, args, site, float(np.asarray(r).reshape(-1)[flat]), at)

    def array_op(self, prim: object, primals: Sequence[object], site: Eqn) -> object:
        """An array primitive's value; its errors point at the site; non-finite results noted.
        The result's size (``prim.size``, or at most the largest argument) is checked against the
        budget before the value is computed."""
        try:
            read = sum(_count(np.shape(a)) for a in primals)
            size_rule = prim.size  # type: ignore[attr-defined]
            elements = size_rule(primals, site.params) if size_rule is not None else \
                max([_count(np.shape(a)) for a in primals] or [1])
            self._reserve(elements, read, site, f"{prim.name} making {elements:,} elements")  # type: ignore
            with np.errstate(all="ignore"):
                r = prim.value(primals, site.params)  # type: ignore[attr-defined]
        except AdcalcError as e:
            if e.span is None:
                e.span = site.span
            raise
        if type(r) is float:
            bad = r - r != 0.0
        else:
            bad = r.size > 0 and not all_finite(r)
        if bad and (self.strict or not self._nonfinite_seen):
            from adcalc.rules.registry import describe

            shown = describe(prim.name, [_short(a) for a in primals], site.params)  # type: ignore[attr-defined]
            message = f"{shown} has a non-finite value: the first non-finite value"
            if self.strict:
                raise AdcalcError("domain", message, site.span, hint="strict mode turns nan/inf into errors")
            self._nonfinite_seen = True
            self.warnings.append(Warning("nonfinite", message, site.span, operation=prim.name))  # type: ignore
        return r

    def array_call(self, prim: object, args: Sequence[object], site: Eqn,
                   derivative_of: Callable[[object], object]) -> tuple[list[object], object, list | None]:
        """An array primitive in a derivative mode: (primals, value, and ``derivative_of(arg)`` for
        each differentiable argument — None for the others and for constants).  The list is None
        when no argument is active (the result is a constant); otherwise a kink is noted."""
        primals = [self._primal_of(a) for a in args]  # type: ignore[attr-defined]
        out = self.array_op(prim, primals, site)
        if prim.jvp is None:  # type: ignore[attr-defined]  # zeros, ones, len: constants
            return primals, out, None
        allowed = prim.differentiable  # type: ignore[attr-defined]
        marks = [derivative_of(a) if i in allowed else None for i, a in enumerate(args)]
        if all(m is None for m in marks):
            return primals, out, None
        self.array_kink(prim, primals, site, out)
        return primals, out, marks

    def array_kink(self, prim: object, primals: Sequence[object], site: Eqn, out: object) -> None:
        kink = getattr(prim, "kink", None)
        if kink is None or not kink(primals, site.params, out):
            return
        w = self._kinks.get(id(site))
        if w is not None:
            w.count += 1
            return
        from adcalc.rules.registry import describe

        shown = describe(prim.name, [_short(a) for a in primals], site.params)  # type: ignore[attr-defined]
        w = Warning("kink", f"{shown}: not differentiable here; {prim.convention}", site.span,  # type: ignore
                    operation=prim.name, convention=prim.convention, site=site)  # type: ignore[attr-defined]
        self._kinks[id(site)] = w
        self.warnings.append(w)

    def applyn(self, prim: object, args: Sequence[object], site: Eqn) -> object:
        raise AdcalcError("type", f"arrays are not supported by {self.purpose} yet", site.span,
                          hint="use eval, grad, jvp, vjp, jacobian or check for programs with arrays")

    @property
    def purpose(self) -> str:
        """What this mode computes, for messages (``hessian and hvp``, ``deriv``)."""
        return f"{self.name} mode"

    @staticmethod
    def show_arg(site_arg: object, value: object, ref: str | None) -> str:
        """How an argument appears in a definition: a node ``v3``, a literal ``2``, or a value."""
        if ref is not None:
            return ref
        if isinstance(site_arg, Const):
            return site_arg.text
        return _short(value)  # an input-independent variable, e.g. a loop counter


def _first(primals: Sequence[object], mask: object) -> tuple[list[float], str]:
    """The arguments at the first element where ``mask`` holds, and ``" at [i, j]"``."""
    mask = np.asarray(mask)
    flat = int(np.flatnonzero(mask)[0])
    index = np.unravel_index(flat, mask.shape)
    args = [float(np.broadcast_to(a, mask.shape)[index]) for a in primals]
    return args, " at [" + ", ".join(str(int(i)) for i in index) + "]" if mask.ndim else ""


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _short(v: object) -> str:
    if is_array(v):
        return "[" + "×".join(str(d) for d in v.shape) + "]"  # type: ignore[union-attr]
    return fmt_number(float(v))  # type: ignore[arg-type]


class EvalMode(Mode):
    """Plain IEEE double evaluation: mode values are floats (and NumPy arrays)."""

    name = "eval"

    def input(self, index: int, name: str, value: float) -> float:
        return value

    def apply1(self, prim: Primitive, x: float, site: Eqn) -> float:
        if type(x) is not float:
            return self.array_value(prim, (x,), site)  # type: ignore[return-value]
        r = prim.value(x)
        if r - r != 0.0:
            self.note_nonfinite(prim, (x,), site, r)
        return r

    def apply2(self, prim: Primitive, x: float, y: float, site: Eqn) -> float:
        if type(x) is not float or type(y) is not float:
            return self.array_value(prim, (x, y), site)  # type: ignore[return-value]
        r = prim.value(x, y)
        if r - r != 0.0:
            self.note_nonfinite(prim, (x, y), site, r)
        return r

    def applyn(self, prim: object, args: Sequence[object], site: Eqn) -> object:
        return self.array_op(prim, args, site)

    def compare(self, fn: Callable[[float, float], bool], a: float, b: float, site: Cmp) -> bool:
        if type(a) is not float or type(b) is not float:
            self.scalar_condition(site, a, b)
        return fn(a, b)

    def primal(self, v: float) -> float:
        return v


__all__ = ["Mode", "EvalMode", "fmt_number"]
