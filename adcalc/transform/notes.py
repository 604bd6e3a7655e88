"""What a run notes about itself: warnings (first non-finite value, non-finite local derivatives,
kinks and tied comparisons, unused bindings).  Plain data and the rules that make it; no printing.

Contract: a mode keeps one ``Notes`` per run.  ``nonfinite`` records only the first non-finite
value of a run (or raises ``AdcalcError('domain')`` under ``strict``); ``partial`` the first
non-finite local derivative; ``kink`` and ``tie`` one warning per site, counting repeats.  The
messages show the operation applied to the arguments it met (``sqrt(0)``, ``|0| at [2]``).
"""

from __future__ import annotations

from collections.abc import Sequence

from adcalc.errors import AdcalcError, Span


def fmt_number(v: float) -> str:
    """Short display of a number inside a message or a definition (``2``, ``0.5``, ``1e-08``)."""
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return format(v, ".6g")


class Warning:  # noqa: A001 - the domain's word; never mixed with the builtin warnings module
    """kind "kink" | "nonfinite" | "nonfinite_derivative" | "unused"; ``site`` is the IR
    instruction, ``also`` the tied comparisons reported with its kink (neither in JSON, nor compared)."""

    __slots__ = ("kind", "message", "span", "operation", "convention", "count", "details", "site", "also")

    def __init__(self, kind: str, message: str, span: Span | None = None, operation: str | None = None,
                 convention: str | None = None, count: int = 1, details: dict | None = None, site: object = None):
        self.kind, self.message, self.span, self.operation, self.convention = kind, message, span, operation, convention
        self.count, self.details, self.site = count, details if details is not None else {}, site
        self.also: tuple = ()

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__ if k not in ("site", "also"))
        return f"Warning({shown})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not Warning:
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__ if k not in ("site", "also"))

    __hash__ = None  # type: ignore[assignment]

    def to_json(self) -> dict:
        from adcalc.errors import shown

        out: dict = {"kind": self.kind, "message": shown(self.message)}
        if self.operation:
            out["operation"] = self.operation
        if self.convention:
            out["convention"] = self.convention
        if self.span:
            out["line"], out["column"] = self.span.line, self.span.column
        if self.count > 1:
            out["count"] = self.count
        out.update(self.details)
        return out


class Notes:
    """The warnings of one run, and the rules for when a note is made."""

    __slots__ = ("strict", "warnings", "nonfinite_seen", "bad_partial_seen", "kinks", "last_kink", "merged")

    def __init__(self, strict: bool = False):
        self.strict = strict
        self.warnings: list[Warning] = []
        self.nonfinite_seen = False
        self.bad_partial_seen = False
        self.kinks: dict[int, Warning] = {}
        self.last_kink: tuple | None = None  # (site, its value there, how it shows) of the latest kink
        self.merged: set[int] = set()  # comparisons whose ties are reported with the kink they read

    def nonfinite(self, prim: object, args: Sequence[float], span: Span | None, result: float, at: str = "") -> None:
        """``prim(args) = result`` is the first inf or nan of the run (or an error, if strict)."""
        if self.nonfinite_seen and not self.strict:
            return
        shown = prim.show([fmt_number(a) for a in args]) + at  # type: ignore[attr-defined]
        what = fmt_number(result)
        if any(a - a != 0.0 for a in args):
            domain = " (an argument is already inf or nan: check the inputs)"
        elif result != result:
            d = prim.domain  # type: ignore[attr-defined]
            domain = f" ({prim.name} is defined for {d})" if d != "all real numbers" else ""  # type: ignore
        else:
            domain = " (overflow, or a pole of the function)"
        message = f"{shown} = {what}: the first non-finite value{domain}"
        if self.strict:
            raise AdcalcError("domain", f"{shown} = {what}{domain}", span, hint="strict mode turns nan/inf into errors")
        self.nonfinite_seen = True
        self.warnings.append(Warning("nonfinite", message, span, operation=prim.name,  # type: ignore[attr-defined]
                                     details={"value": what, "arguments": [float(a) for a in args]}))

    def nonfinite_array(self, prim: object, shown: str, span: Span | None) -> None:
        """An array operation produced a non-finite element (the first of the run)."""
        if self.nonfinite_seen and not self.strict:
            return
        message = f"{shown} has a non-finite value: the first non-finite value"
        if self.strict:
            raise AdcalcError("domain", message, span, hint="strict mode turns nan/inf into errors")
        self.nonfinite_seen = True
        self.warnings.append(Warning("nonfinite", message, span, operation=prim.name))  # type: ignore[attr-defined]

    def partial(self, prim: object, index: int, args: Sequence[float], span: Span | None, d: float,
                at: str = "") -> None:
        """A local derivative came out inf or nan (the first time in a run): derivatives through
        this step may be inf or nan, and forward and reverse mode may differ there."""
        if self.bad_partial_seen:
            return
        self.bad_partial_seen = True
        shown = prim.show([fmt_number(a) for a in args]) + at  # type: ignore[attr-defined]
        which = f" with respect to argument {index + 1}" if prim.arity > 1 else ""  # type: ignore[attr-defined]
        self.warnings.append(Warning(
            "nonfinite_derivative",
            f"the derivative of {shown}{which} is {fmt_number(d)}; derivatives through this step may be "
            "inf or nan (the function may not be differentiable here)",
            span, operation=prim.name, details={"arguments": [float(a) for a in args]}))  # type: ignore

    def series(self, prim: object, args: Sequence[float], span: Span | None, order: int, c: float) -> None:
        """Taylor mode: the ``order``-th derivative of a finite value is not finite."""
        if self.bad_partial_seen:
            return
        self.bad_partial_seen = True
        shown = prim.show([fmt_number(a) for a in args])  # type: ignore[attr-defined]
        nth = {1: "1st", 2: "2nd", 3: "3rd"}.get(order, f"{order}th")
        self.warnings.append(Warning(
            "nonfinite_derivative",
            f"the {nth} derivative of {shown} along the direction is {fmt_number(c)}; derivatives of this order "
            f"and higher may be inf or nan (the function may not be "
            f"{'differentiable' if order == 1 else f'{order} times differentiable'} here)",
            span, operation=prim.name, details={"order": order}))  # type: ignore[attr-defined]

    def kink(self, prim: object, site: object, message: str, details: dict | None = None,
             value: float | None = None, shown: str = "") -> None:
        """The primitive at ``site`` met a point where it is not differentiable (once per site);
        ``value`` and ``shown``: its result there and how it reads (``|0|``), for ``tie``."""
        self.last_kink = (site, value, shown)
        w = self.kinks.get(id(site))
        if w is not None:
            w.count += 1
            return
        w = Warning("kink", f"{message}; {prim.convention}", site.span, operation=prim.name,  # type: ignore
                    convention=prim.convention, details=details, site=site)  # type: ignore[attr-defined]
        self.kinks[id(site)] = w
        self.warnings.append(w)

    def _joins_kink(self, site: object, a: float, b: float, taken: bool) -> bool:
        if self.last_kink is None:
            return False
        kink_site, value, shown = self.last_kink
        out = getattr(kink_site, "out", None)
        if out is None or value is None:
            return False
        reads = [str(operand) == str(out) and v == value for operand, v in ((site.a, a), (site.b, b))]  # type: ignore
        if not any(reads):
            return False
        w = self.kinks[id(kink_site)]
        left, right = (shown if reads[0] else fmt_number(a)), (shown if reads[1] else fmt_number(b))
        w.message += (f"; the comparison {left} {site.op} {right} that reads it is exactly tied there, "  # type: ignore
                      f"and the branch where it is {taken} was taken")
        w.also += (site,)
        self.merged.add(id(site))
        return True

    def tie(self, site: object, a: float, b: float, taken: bool) -> None:
        """A comparison exactly tied on an input-dependent value (once per site).  A comparison
        that reads the result of the kink just noted, at that kink (``abs(r) > 0`` with r = 0),
        is the same non-differentiable point: it joins that kink's warning instead of making
        a second one."""
        if id(site) in self.merged:
            return
        if self._joins_kink(site, a, b, taken):
            return
        w = self.kinks.get(id(site))
        if w is not None:
            w.count += 1
            return
        s = site
        convention = f"the branch where `{s.a} {s.op} {s.b}` is {taken} was taken and differentiated"  # type: ignore
        w = Warning("kink", f"the comparison {s.a} {s.op} {s.b} is exactly tied "  # type: ignore[attr-defined]
                    f"({fmt_number(a)} vs {fmt_number(b)}); {convention}",
                    s.span, operation=s.op, convention=convention,  # type: ignore[attr-defined]
                    details={"arguments": [float(a), float(b)]}, site=site)
        self.kinks[id(site)] = w
        self.warnings.append(w)
