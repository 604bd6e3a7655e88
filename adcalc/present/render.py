"""Results for people: the table of every operation's result (Rich).  No math here.

Contract: ``render_result(console, result, point)`` reads an operation's result (the classes of
``adcalc.ops.results``) and writes its view, found by the result's class in ``VIEWS`` (a new
result class needs one entry there); the trace, when the run recorded one, comes first
(``adcalc.present.traces``).  Colour follows Rich's rules (none when the output is not a
terminal or ``NO_COLOR`` is set); content never depends on colour, so tests read the plain text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from adcalc.ops import results as R
from adcalc.present.console import table as _table
from adcalc.present.plain import num
from adcalc.present.plain import point_text as _point
from adcalc.present.plain import sweeps_text as _sweeps
from adcalc.present.plain import value_text as _value
from adcalc.present.traces import render_forward_trace, render_reverse_trace, render_taylor_trace

if TYPE_CHECKING:
    from adcalc.ops.checks import CheckResult

MAX_TABLE_ENTRIES = 10_000  # a bigger Jacobian is summarised in the table view (--json has it all)


MAX_TABLE_COLUMNS = 200


def _entry_labels(point: dict, names: Sequence[str]) -> list[str]:
    """One label per scalar entry of the inputs: ``x`` or ``x[0]``, ``x[1]``, …"""
    from adcalc.ops.driver import labels

    return [label for n in names for label in labels(n, point[n])]


def render_result(console: Console, r: R.Result, point: dict[str, float], name: str = "f") -> None:
    """Any result, headed ``name(point) = value``: the view registered for its class (``VIEWS``)."""
    view_of(type(r))(console, r, point, _point(point, name))


def _grad_view(console: Console, r: R.GradResult, point: dict[str, float], head: str) -> None:
    if r.trace is not None:
        if r.mode == "forward":
            render_forward_trace(console, r.trace, [f"∂v/∂{label}" for label in _entry_labels(point, r.inputs)],
                                 _sweeps(r.mode, r.sweeps))
            console.print()
        else:
            render_reverse_trace(console, r.trace)
    console.print(Text(f"{head} = {num(r.value)}", style="bold"))
    t = _table("input", "value", "∂f/∂input", caption=f"gradient by {r.mode} mode · {_sweeps(r.mode, r.sweeps)}")
    for n in r.inputs:
        t.add_row(n, num(point[n]), num(r.gradient[n]))
    t.print(console)


def _jvp_view(console: Console, r: R.JvpResult, point: dict[str, float], head: str) -> None:
    if r.trace is not None:
        render_forward_trace(console, r.trace, ["∂v along v"], "1 forward sweep, seeded with v")
        console.print()
    along = ", ".join(f"{n}={num(v)}" for n, v in r.direction.items())
    if isinstance(r.value, list):
        t = _table("output", "value", "J·v", caption=f"J·v along v = ({along}) · 1 forward sweep")
        for i, (v, d) in enumerate(zip(r.value, r.tangent)):  # type: ignore[arg-type]
            t.add_row(f"f{i + 1}", num(v), num(d))
        console.print(Text(head, style="bold"))
        t.print(console)
    else:
        console.print(Text(f"{head} = {num(r.value)}"))
        console.print(Text(f"J·v = {num(r.tangent)}   (directional derivative along v = ({along}); "
                           "1 forward sweep)"))


def _vjp_view(console: Console, r: R.VjpResult, point: dict[str, float], head: str) -> None:
    if r.trace is not None:
        render_reverse_trace(console, r.trace, cotangent=True)
    console.print(Text(f"{head} = {_value(r.value)}", style="bold"))
    w = ", ".join(num(x) for x in r.cotangent)
    t = _table("input", "wᵀJ", caption=f"wᵀJ for w = ({w}) · 1 reverse sweep")
    for n in r.inputs:
        t.add_row(n, num(r.cotangent_result[n]))
    t.print(console)


def _jacobian_view(console: Console, r: R.JacobianResult, point: dict[str, float], head: str) -> None:
    m = len(r.jacobian)
    n = len(r.columns) if r.arrays else len(r.inputs)
    if r.mode == "forward":
        how = f"forward mode: {n} forward sweep{'s' if n != 1 else ''}, one per input " \
              f"(reverse would need {m}, one per output)"
    else:
        how = f"reverse mode: {m} reverse sweep{'s' if m != 1 else ''}, one per output " \
              f"(forward would need {n}, one per input)"
    console.print(Text(f"{head} = {_value(r.value)}", style="bold"))
    if r.arrays:
        how = how.replace("one per input", "one per input entry").replace("one per output", "one per output entry")
        how += " · rows: outputs, columns: inputs, arrays flattened row-major"
    columns = r.columns if r.arrays else r.inputs
    if m * len(columns) > MAX_TABLE_ENTRIES or len(columns) > MAX_TABLE_COLUMNS:
        console.print(Text(f"the Jacobian has {m:,} × {len(columns):,} entries: too many to show as a table; "
                           "--json gives all of them (or use jvp / vjp for products with it)"))
        console.print(Text(how, style="dim"))
        return
    t = _table("", *[f"∂/∂{c}" for c in columns], caption=how)
    for i, row in enumerate(r.jacobian):
        label = r.rows[i] if r.arrays else (f"f{i + 1}" if m > 1 or isinstance(r.value, list) else "f")
        t.add_row(label, *[num(x) for x in row])
    t.print(console)


def _eval_view(console: Console, r: R.EvalResult, point: dict[str, float], head: str) -> None:
    console.print(Text(f"{head} = {_value(r.value)}"))


def _hessian_view(console: Console, r: R.HessianResult, point: dict[str, float], head: str) -> None:
    if r.hessians is None:
        console.print(Text(f"{head} = {num(r.value)}", style="bold"))
        _hessian_block(console, r, "f", r.gradient, r.hessian)
    else:  # one block per output entry
        from adcalc.rules.shapes import entries

        console.print(Text(f"{head} = {_value(r.value)}", style="bold"))
        for label, value, g, h in zip(r.outputs, entries(r.value), r.gradients, r.hessians):
            console.print(Text(f"{label} = {num(value)}"))
            _hessian_block(console, r, label, g, h)
    scale = max([1.0] + [abs(x) for h in (r.hessians or [r.hessian]) for row in h for x in row])
    if r.asymmetry > 1e-12 * scale:
        console.print(Text(f"note: the Hessian is not symmetric to rounding (max |H - Hᵀ| = {num(r.asymmetry)}); "
                           "the function may not be twice differentiable here", style="yellow"))


def _hessian_block(console: Console, r: R.HessianResult, f: str, gradient: dict, hessian: list) -> None:
    """One Hessian as a table: rows and columns the inputs (their entries, with arrays)."""
    if not r.arrays:
        caption = "Hessian ∂²f/∂row∂column, by forward-over-reverse (1 reverse sweep over duals)"
        if f != "f":
            caption = f"Hessian ∂²{f}/∂row∂column, by forward-over-reverse (1 reverse sweep over duals)"
        t = _table("", f"∂{f}/∂·", *[f"∂/∂{n}" for n in r.inputs], caption=caption)
        for i, n in enumerate(r.inputs):
            t.add_row(n, num(gradient[n]), *[num(x) for x in hessian[i]])
        t.print(console)
        return
    from adcalc.rules.shapes import entries

    n = len(r.columns)
    caption = (f"Hessian ∂²{f}/∂row∂column, by forward-over-reverse (1 reverse sweep with {n} tangent"
               f"{'s' if n != 1 else ''}) · arrays flattened row-major")
    if n * n > MAX_TABLE_ENTRIES or n > MAX_TABLE_COLUMNS:
        console.print(Text(f"the Hessian has {n:,} × {n:,} entries: too many to show as a table; --json gives all "
                           "of them (or use hvp for products with it)"))
        console.print(Text(caption, style="dim"))
        return
    grad = entries([gradient[name] for name in r.inputs])
    t = _table("", f"∂{f}/∂·", *[f"∂/∂{c}" for c in r.columns], caption=caption)
    for label, g, row in zip(r.rows, grad, hessian):
        t.add_row(label, num(g), *[num(x) for x in row])
    t.print(console)


def _hvp_view(console: Console, r: R.HvpResult, point: dict[str, float], head: str) -> None:
    console.print(Text(f"{head} = {num(r.value)}", style="bold"))
    along = ", ".join(f"{n}={num(v)}" for n, v in r.direction.items())
    t = _table("input", "∂f/∂input", "(H·v)", caption=f"H·v along v = ({along}), by forward-over-reverse "
               "(H is not formed)")
    for n in r.inputs:
        t.add_row(n, num(r.gradient[n]), num(r.hvp[n]))
    t.print(console)


def _deriv_view(console: Console, r: R.DerivResult, point: dict[str, float], head: str) -> None:
    along = ", ".join(f"{n}={num(v)}" for n, v in r.direction.items())
    if r.trace is not None:
        render_taylor_trace(console, r.trace, r.order)
    console.print(Text(f"{head} = {_value(r.value)}", style="bold"))
    rows = r.derivatives if isinstance(r.value, list) else [r.derivatives]
    t = _table("k", *(["f"] if not isinstance(r.value, list) else [f"f{i + 1}" for i in range(len(rows))]),
               caption=f"dᵏ/dtᵏ f(x + t·v) at t = 0, v = ({along}) · 1 Taylor-mode sweep")
    for k in range(r.order):
        t.add_row(str(k + 1), *[num(d[k]) for d in rows])  # type: ignore[index]
    t.print(console)


def _deltas_text(r: CheckResult) -> str:
    """The steps the main rows' differences used: ``δ = 0.01 …`` when every one used the same,
    else the central and one-sided steps (per input when they differ between inputs)."""
    steps = dict.fromkeys((e.input, e.central_delta, e.one_sided_delta) for e in r.entries)
    pairs = dict.fromkeys((c, s) for _, c, s in steps)
    if len(pairs) == 1 and next(iter(pairs))[0] == next(iter(pairs))[1]:
        return f"δ = {num(next(iter(pairs))[0])} in every central and one-sided difference above"
    if len(pairs) == 1:
        c, s = next(iter(pairs))
        return f"δ = {num(c, 2)} in the central and {num(s, 2)} in the one-sided differences above"
    return "δ in the central / one-sided differences above: " + ", ".join(
        f"{name}: {num(c, 2)} / {num(s, 2)}" for name, c, s in steps)


def _check_view(console: Console, r: CheckResult, point: dict[str, float], head: str) -> None:
    console.print(Text(f"{head} = {_value(r.value)}", style="bold"))
    multi = isinstance(r.value, list)
    t = _table(*(["output"] if multi else []), "input", "forward AD", "reverse AD", "central FD", "rel. error",
               "one-sided FD", "rel. error", "", numeric_from=2 if multi else 1, caption=_deltas_text(r))
    for e in r.entries:
        t.add_row(*([f"f{e.output + 1}"] if multi else []), e.input, num(e.forward), num(e.reverse),
                  num(e.central), num(e.central_error, 2), num(e.one_sided), num(e.one_sided_error, 2),
                  "ok" if e.ok else "MISMATCH")
    t.print(console)
    for e in r.entries:
        s = _table("δ", "central FD", "rel. error", "one-sided FD", "rel. error", numeric_from=0,
                   title=f"step sweep for ∂{'f' + str(e.output + 1) if multi else 'f'}/∂{e.input}: "
                         "truncation error shrinks with δ until round-off takes over")
        for st in e.sweep:
            s.add_row(f"1e-{round(-math.log10(st.delta))}", num(st.central), num(st.central_error, 2),
                      num(st.one_sided), num(st.one_sided_error, 2))
        s.print(console)
    if r.dot_test is not None:
        d = r.dot_test
        console.print(Text(f"dot-product test (random v, w; seed {d['seed']}): ⟨J·v, w⟩ = {num(d['jv_dot_w'])}, "
                           f"⟨v, Jᵀ·w⟩ = {num(d['v_dot_jtw'])}, rel. error {num(d['rel_error'], 2)} — "
                           f"{'ok' if d['ok'] else 'MISMATCH'}"))
    tol = r.tolerances
    verdict = "PASS" if r.ok else "FAIL"
    console.print(Text(f"{verdict}: forward and reverse must agree to {tol['forward_vs_reverse']:g} and some "
                       f"central difference of the sweep to {tol['finite_difference']:g} (relative to "
                       "max(1, |AD|))" + (f"; the dot-product test to {tol['dot_product']:g}" if r.dot_test
                                          else ""), style="bold green" if r.ok else "bold red"))


View = Callable[[Console, Any, dict, str], None]

# The view of every result class.  CheckResult's view joins on first use (``view_of``): its module,
# adcalc.ops.checks, is imported only when a check is shown.
VIEWS: dict[type, View] = {
    R.EvalResult: _eval_view, R.GradResult: _grad_view, R.JvpResult: _jvp_view, R.VjpResult: _vjp_view,
    R.JacobianResult: _jacobian_view, R.HessianResult: _hessian_view, R.HvpResult: _hvp_view,
    R.DerivResult: _deriv_view,
}


def view_of(cls: type) -> View:
    """The view of the result class ``cls`` (KeyError if it has none)."""
    if cls not in VIEWS:
        from adcalc.ops.checks import CheckResult
        from adcalc.present.sparseview import VIEWS as SPARSE_VIEWS  # sparse Jacobians and Hessians (#19)

        VIEWS.setdefault(CheckResult, _check_view)
        VIEWS.update(SPARSE_VIEWS)
    return VIEWS[cls]
