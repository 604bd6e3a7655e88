"""Modes are interpreters of primitives; the IR interpreter is written once and calls them.

The protocol every mode implements (the interpreter calls nothing else):

- ``input(index, name, value)``: the mode's value for input ``index`` (a float or array in eval
  mode, a dual number in forward mode, a tape node in reverse mode, a series in Taylor mode);
- ``apply(prim, args, site)``: a primitive of the registry applied to mode values, any number of
  arguments, numbers or arrays — **the step all modes share, written once here**:
  value (with the run's budget and its non-finite note) → if any argument depends on an input:
  the local derivatives (kink note, partials, non-finite-partial note; array primitives use their
  linear rules instead) → ``combine``, the one thing each mode does differently (forward: the
  tangent Σᵢ ∂ᵢ·ẋᵢ; reverse: a tape node; forward-over-reverse: a tape node of duals);
- ``apply1``/``apply2``/``applyn``: what the interpreter calls; forward and reverse mode
  specialise ``apply1``/``apply2`` for plain numbers (the hot path), every other case goes to
  ``apply`` — ``tests/test_modes.py`` checks each specialisation against ``apply`` on every
  primitive (values, derivatives and warnings identical);
- ``element(prim, x, subscripts, site)``: ``x[i]`` / ``A[i, j]`` (``prim`` is ``index``) — by
  default the general step; eval, forward and reverse mode read a float element of a float array
  on their scalar path (the value a float, the tangent the element's tangents, the tape node a
  scalar node whose cotangent is added into the array's adjoint at the end) and give the general
  step everything else (a bad index, a non-finite element: its errors and notes are the rule's);
- ``compare(fn, a, b, site)``: a condition on primal values (the derivative is that of the path
  that executes), noting a tie on an input-dependent value;
- ``primal(v)`` (the value the mode's rules take: a float or array, or a dual in
  forward-over-reverse), ``concrete(v)`` (the float or array underneath, what control flow reads:
  ``range`` bounds), ``active(v)`` (does ``v`` depend on an input).

Every mode notes, in ``self.warnings`` (``adcalc.transform.notes``), where the first non-finite
value appeared (or raises ``AdcalcError('domain')`` when ``strict``) and, in derivative modes,
every non-differentiable point it hit.  Modes never print.  Tracing is not a mode: the recorder
(``adcalc.transform.record``) wraps any mode and writes the run down as a graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adcalc.errors import AdcalcError
from adcalc.language.ir import Cmp, Eqn
from adcalc.rules.indexing import element_key
from adcalc.rules.registry import Primitive, array_rule, np
from adcalc.rules.shapes import all_finite, describe_value, is_array, shape_text
from adcalc.transform.budget import DEFAULT_MAX_STEPS, Budget
from adcalc.transform.notes import Notes, Warning, fmt_number


class Mode:
    """The shared step and the bookkeeping every mode needs (see the module docstring)."""

    name = "mode"
    tangent_width = 0  # tangent directions carried with each array (forward mode: k)
    purpose = ""  # what this mode computes, for messages ("hessian and hvp"); "" means "<name> mode"

    def __init__(self, strict: bool = False):
        self.strict = strict
        self.notes = Notes(strict)
        self.warnings: list[Warning] = self.notes.warnings
        self.where: Callable[[object], object] = lambda site: ()
        self.budget = Budget(DEFAULT_MAX_STEPS)  # the interpreter gives each run its own

    # ---- the protocol ---------------------------------------------------------------------------
    def input(self, index: int, name: str, value: object) -> object:
        return value

    def primal(self, v: object) -> object:
        return v

    def concrete(self, v: object) -> object:
        return self.primal(v)

    def active(self, v: object) -> bool:
        return False

    def combine(self, prim: Primitive, args: Sequence[object], primals: Sequence[object], active: Sequence[bool],
                out: object, partials: Sequence[object] | None, site: Eqn) -> object:
        """The mode's own part of a step: the result's mode value from the value ``out`` and the
        local partials (None for an array primitive: its ``jvp``/``vjp`` read ``primals``)."""
        return out

    def apply(self, prim: Primitive, args: Sequence[object], site: Eqn) -> object:
        """The step every mode shares (see the module docstring)."""
        primals = [self.primal(a) for a in args]
        active = [self.active(a) for a in args]
        if prim.elementwise:
            out = self.value(prim, primals, site)
            if not any(active):
                return out
            partials = self.partials(prim, primals, active, site)
        else:
            out = self.array_op(prim, primals, site)
            if prim.jvp is None or not any(active[i] for i in range(len(args)) if i in prim.differentiable):
                return out  # zeros, ones, len, or nothing differentiable moves: a constant
            self.array_kink(prim, primals, site, out)
            partials = None
        return self.combine(prim, args, primals, active, out, partials, site)

    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        return self.apply(prim, (x,), site)

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        return self.apply(prim, (x, y), site)

    def applyn(self, prim: Primitive, args: Sequence[object], site: Eqn) -> object:
        return self.apply(prim, args, site)

    def element(self, prim: Primitive, x: object, subscripts: Sequence[object], site: Eqn) -> object:
        """``x[i]``, ``A[i, j]``: the general step (modes with a scalar path override it)."""
        return self.applyn(prim, [x, *subscripts], site)

    def compare(self, fn: Callable[[float, float], bool], a: object, b: object, site: Cmp) -> bool:
        pa, pb = self.primal(a), self.primal(b)
        if type(pa) is not float or type(pb) is not float:
            self.scalar_condition(site, pa, pb)
        taken = fn(pa, pb)
        if pa == pb and (self.active(a) or self.active(b)):
            self.notes.tie(site, pa, pb, taken)
        return taken

    # ---- the shared parts of the step -----------------------------------------------------------
    def value(self, prim: Primitive, primals: Sequence[object], site: Eqn) -> object:
        """An elementwise primitive's value: the IEEE rule on numbers, the NumPy rule on arrays."""
        for p in primals:
            if type(p) is not float:
                return self.array_value(prim, primals, site)
        r = prim.value(*primals)
        if r - r != 0.0:
            self.notes.nonfinite(prim, primals, site.span, r)
        return r

    def partials(self, prim: Primitive, primals: Sequence[object], active: Sequence[bool],
                 site: Eqn) -> list[object]:
        """The local partials ∂ᵢ at the primals (None where an argument is inactive); notes a kink
        and a non-finite partial."""
        for p in primals:
            if type(p) is not float:
                return self.array_partials(prim, primals, active, site)
        if prim.kink is not None and prim.kink(*primals):
            self.note_kink(prim, primals, site)
        return _each(prim.partials, primals, active,
                     lambda i, d: d - d != 0.0 and self.notes.partial(prim, i, primals, site.span, d))

    def note_kink(self, prim: Primitive, args: Sequence[float], site: Eqn, at: str = "") -> None:
        shown = prim.show([fmt_number(a) for a in args]) + at
        value = prim.value(*args) if not at and all(type(a) is float for a in args) else None
        self.notes.kink(prim, site, f"{shown}: {prim.name} is not differentiable here",
                        {"arguments": [float(a) for a in args]}, value, shown)

    def kept(self) -> tuple[int, int]:
        """(bytes, trace rows) this mode keeps for the rest of the run beyond what it ``hold``s in
        the budget (the scalar tape): read by the budget every few thousand steps."""
        return 0, 0

    # ---- arrays -------------------------------------------------------------------------------
    def _reserve(self, elements: int, read: int, site: Eqn, what: str) -> None:
        """Charge an array operation's work and check its memory before it runs: ``elements``
        of result (and as many per tangent direction), ``read`` elements of arguments."""
        width = 1 + self.tangent_width
        self.budget.need(8 * elements * width, site.span, what)
        self.budget.charge(read + elements * width, site.span)

    def scalar_condition(self, site: Cmp, a: object, b: object) -> None:
        """Conditions compare numbers: an array operand is an error."""
        for atom, v in ((site.a, a), (site.b, b)):
            if is_array(v):
                raise AdcalcError("type", f"a condition compares numbers, but {atom} is {describe_value(v)}",
                                  site.span, hint="compare an element (x[i]) or a reduction (sum(x), max(x), norm(x)); "
                                  "to choose elementwise, where(c, a, b)")

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
            args, at, (first,) = _first(primals, ~np.isfinite(r), r)
            self.notes.nonfinite(prim, args, site.span, first, at)
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
                    args, at, _ = _first(primals, hit)
                    self.note_kink(prim, args, site, at)
            return _each(rules, primals, active, lambda i, d: self._note_array_partial(prim, i, primals, d, site))

    def _note_array_partial(self, prim: Primitive, i: int, primals: Sequence[object], d: object, site: Eqn) -> None:
        if not all_finite(d):
            args, at, (first,) = _first(primals, ~np.isfinite(np.asarray(d)), d)
            self.notes.partial(prim, i, args, site.span, first, at)

    def array_op(self, prim: Primitive, primals: Sequence[object], site: Eqn) -> object:
        """An array primitive's value; its errors point at the site; non-finite results noted.
        The result's size (``prim.size``, or at most the largest argument) is checked against the
        budget before the value is computed."""
        try:
            read = sum(_count(np.shape(a)) for a in primals)
            elements = prim.size(primals, site.params) if prim.size is not None else \
                max([_count(np.shape(a)) for a in primals] or [1])
            self._reserve(elements, read, site, f"{prim.name} making {elements:,} elements")
            with np.errstate(all="ignore"):
                r = prim.value(primals, site.params)
        except AdcalcError as e:
            if e.span is None:
                e.span = site.span
            raise
        bad = r - r != 0.0 if type(r) is float else r.size > 0 and not all_finite(r)
        if bad and (self.strict or not self.notes.nonfinite_seen):
            self.notes.nonfinite_array(prim, prim.show([_short(a) for a in primals], params=site.params), site.span)
        return r

    def array_kink(self, prim: Primitive, primals: Sequence[object], site: Eqn, out: object) -> None:
        if prim.kink is None or not prim.kink(primals, site.params, out):
            return
        shown = prim.show([_short(a) for a in primals], params=site.params)
        self.notes.kink(prim, site, f"{shown}: not differentiable here")

    def unsupported(self, site: Eqn) -> AdcalcError:
        return AdcalcError("type", f"arrays are not supported by {self.purpose or self.name + ' mode'} yet",
                           site.span, hint="use eval, grad, jvp, vjp, jacobian or check for programs with arrays")


def _each(rules: Sequence[Callable[..., object]], primals: Sequence[object], active: Sequence[bool],
          check: Callable[[int, object], object]) -> list[object]:
    """∂ᵢ at the primals for each active argument (None for the others), each checked once."""
    out: list[object] = []
    for i, act in enumerate(active):
        if not act:
            out.append(None)
            continue
        d = rules[i](*primals)
        check(i, d)
        out.append(d)
    return out


def _first(primals: Sequence[object], mask: object, *others: object) -> tuple[list[float], str, list[float]]:
    """The first element (in the arguments' broadcast shape) where ``mask`` holds: the arguments
    there, ``" at [i, j]"``, and the elements of ``others`` there.  The mask may have fewer axes
    than the arguments (the partial ``1/y`` of ``M / y`` has the shape of ``y`` alone)."""
    mask = np.asarray(mask)
    shape = np.broadcast_shapes(mask.shape, *(np.shape(a) for a in primals))
    mask = np.broadcast_to(mask, shape)
    index = np.unravel_index(int(np.flatnonzero(mask)[0]), shape)

    def at(a: object) -> float:
        return float(np.broadcast_to(a, shape)[index])

    where = " at [" + ", ".join(str(int(i)) for i in index) + "]" if shape else ""
    return [at(a) for a in primals], where, [at(o) for o in others]


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
    """Plain IEEE double evaluation: mode values are floats and NumPy arrays (never active)."""

    name = "eval"

    def apply1(self, prim: Primitive, x: object, site: Eqn) -> object:
        if type(x) is not float:
            return self.apply(prim, (x,), site)
        r = prim.value(x)
        if r - r != 0.0:
            self.notes.nonfinite(prim, (x,), site.span, r)
        return r

    def apply2(self, prim: Primitive, x: object, y: object, site: Eqn) -> object:
        if type(x) is not float or type(y) is not float:
            return self.apply(prim, (x, y), site)
        r = prim.value(x, y)
        if r - r != 0.0:
            self.notes.nonfinite(prim, (x, y), site.span, r)
        return r

    def element(self, prim: Primitive, x: object, subscripts: Sequence[object], site: Eqn) -> object:
        """A finite element of a float array, read as a float; anything else the general step."""
        key = element_key(x, subscripts)
        if key is not None:
            r = x.item(key)  # type: ignore[attr-defined]
            if r - r == 0.0:
                return r
        return self.applyn(prim, [x, *subscripts], site)


__all__ = ["Mode", "EvalMode", "fmt_number"]
