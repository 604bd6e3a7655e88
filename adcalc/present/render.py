"""Rich rendering of results, traces, warnings and errors for people.  No math here.

Contract: every function reads result/trace data and writes to a ``rich.console.Console``.
Colour follows Rich's rules (none when the output is not a terminal or ``NO_COLOR`` is set);
content never depends on colour, so tests read the plain text.  Traces read like the seed
documents' tables: forward mode shows one tangent column per seed; reverse mode shows the
forward sweep with the adjoints and then the backward sweep as ``v̄2 += v̄3 · cos(v2)`` updates.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
from collections.abc import Iterable, Iterator, Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from adcalc.errors import AdcalcError, excerpt, shown
from adcalc.ops.results import EvalResult, GradResult, JacobianResult, JvpResult, Result, VjpResult
from adcalc.present import plain
from adcalc.present.jsonout import bar, update_text
from adcalc.present.plain import num
from adcalc.present.plain import point_text as _point
from adcalc.present.plain import sweeps_text as _sweeps
from adcalc.present.plain import value_text as _value
from adcalc.transform.trace import Trace, TraceRow, Warning

MAX_TABLE_ENTRIES = 10_000  # a bigger Jacobian is summarised in the table view (--json has it all)
MAX_TABLE_COLUMNS = 200


def set_digits(n: int) -> None:
    """Significant digits shown to people (the REPL's :digits)."""
    plain.DIGITS = n


class AdcalcConsole(Console):
    """Rich's console with two of adcalc's stream rules: a closed pipe raises BrokenPipeError for
    the entry point to end quietly (Rich's own handler exits with status 1, which adcalc keeps for
    input errors); and on a stream that cannot encode the notation (``PYTHONIOENCODING=ascii``),
    text and table cells are written in ASCII (``adcalc.present.streams.to_ascii``) *before* Rich lays
    them out, so columns stay aligned."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError

    def print(self, *objects: object, **kw: object) -> None:  # type: ignore[override]
        if not self.encoding.startswith("utf"):
            objects = tuple(_ascii(o) for o in objects)
        super().print(*objects, **kw)  # type: ignore[arg-type]


def _ascii(o: object) -> object:
    from adcalc.present.streams import to_ascii

    if isinstance(o, str):
        return to_ascii(o)
    if isinstance(o, Text):
        return Text(to_ascii(o.plain), style=o.style)
    if isinstance(o, Table):
        for column in o.columns:
            column.header = _ascii(column.header)  # type: ignore[assignment]
            column._cells = [_ascii(c) for c in column._cells]  # type: ignore[attr-defined]
        return o
    return o


def make_console(stderr: bool = False) -> Console:
    """A console on standard output (or error): Rich measures a terminal; anything else is laid
    out at a sane ``COLUMNS`` or 120 columns (``adcalc.present.streams.terminal_width``)."""
    from adcalc.present.streams import terminal_width

    stream = sys.stderr if stderr else sys.stdout
    return AdcalcConsole(file=stream, width=terminal_width(stream), highlight=False, soft_wrap=False)


def _entry_labels(point: dict, names: Sequence[str]) -> list[str]:
    """One label per scalar entry of the inputs: ``x`` or ``x[0]``, ``x[1]``, …"""
    from adcalc.ops.driver import labels

    return [label for n in names for label in labels(n, point[n])]


class _Table:
    """A Rich table whose title and footer are printed as their own lines (never wrapped to
    the table's width); numeric columns are right-aligned."""

    def __init__(self, *columns: str, title: str | None = None, caption: str | None = None,
                 numeric_from: int = 1, wrap: Sequence[int] = ()):
        self.title, self.caption = title, caption
        self.table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        for i, c in enumerate(columns):
            self.table.add_column(c, no_wrap=i not in wrap, overflow="fold" if i in wrap else "ellipsis",
                                  justify="right" if i >= numeric_from and i not in wrap else "left")

    def add_row(self, *cells: str | Text) -> None:
        self.table.add_row(*[c if isinstance(c, Text) else Text(c) for c in cells])

    def print(self, console: Console) -> None:
        if self.title:
            console.print(Text(self.title, style="bold"))
        console.print(self.table)
        if self.caption:
            console.print(Text(self.caption, style="dim"))


def _table(*columns: str, title: str | None = None, caption: str | None = None, numeric_from: int = 1,
           wrap: Sequence[int] = ()) -> _Table:
    return _Table(*columns, title=title, caption=caption, numeric_from=numeric_from, wrap=wrap)


# ---- traces ----------------------------------------------------------------------------------

def _trace_columns(trace: Trace) -> list[str]:
    """The leading columns of a trace table: node, definition, and var / where when used."""
    has_var = any(r.var and r.op != "input" for r in trace.rows)
    has_where = any(r.context for r in trace.rows)
    return ["node", "definition"] + (["var"] if has_var else []) + (["where"] if has_where else [])


def _row_head(r: TraceRow, columns: Sequence[str]) -> list[str]:
    cells = [f"v{r.node}", f"{r.definition} (input)" if r.op == "input" else r.definition]
    if "var" in columns:
        cells.append(r.var or "")
    if "where" in columns:
        cells.append(r.context)
    return cells


def render_forward_trace(console: Console, trace: Trace, column_names: Sequence[str], caption: str) -> None:
    head = _trace_columns(trace)
    cols = head + ["value"] + [f"v\u0307 = {name}" for name in column_names]
    t = _table(*cols, title="Forward mode: each node's value and tangent", numeric_from=len(head))
    for r in trace.rows:
        t.add_row(*_row_head(r, head), num(r.value), *[num(x) for x in (r.tangent or ())])
    t.caption = caption
    t.print(console)


def render_reverse_trace(console: Console, trace: Trace) -> None:
    head = _trace_columns(trace)
    t = _table(*head, "value", "adjoint v\u0304 = ∂f/∂v", numeric_from=len(head),
               title="Forward sweep: the Wengert list (adjoints as the backward sweep left them)")
    for r in trace.rows:
        t.add_row(*_row_head(r, head), num(r.value), num(r.adjoint if r.adjoint is not None else 0.0))
    t.print(console)
    console.print()
    b = _table("step", "update", "contribution", "adjoint after", title="Backward sweep, in the order it ran",
               caption="1 reverse sweep", numeric_from=2)
    for out, w in zip(trace.outputs, trace.output_seeds):
        if out is not None and w != 0.0:
            b.add_row("", f"{bar(out)} = y\u0304 = {num(w)}", "", num(w))
    for i, u in enumerate(trace.updates, 1):
        b.add_row(str(i), update_text(u.target, u.source, u.partial, u.rule), num(u.contribution), num(u.running))
    inputs = [r for r in trace.rows if r.op == "input"]
    b.print(console)
    if inputs:
        console.print(Text("gradient read off the inputs' adjoints: " + ", ".join(
            f"∂f/∂{r.definition} = {bar(r.node)} = {num(r.adjoint)}" for r in inputs)))
    console.print()


# ---- results --------------------------------------------------------------------------------

def render_result(console: Console, r: Result, point: dict[str, float], name: str = "f") -> None:
    """Any result (the command is known from its type), headed ``name(point) = value``."""
    head = _point(point, name)
    if isinstance(r, GradResult):
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
    elif isinstance(r, JvpResult):
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
    elif isinstance(r, VjpResult):
        if r.trace is not None:
            render_reverse_trace(console, r.trace)
        console.print(Text(f"{head} = {_value(r.value)}", style="bold"))
        w = ", ".join(num(x) for x in r.cotangent)
        t = _table("input", "wᵀJ", caption=f"wᵀJ for w = ({w}) · 1 reverse sweep")
        for n in r.inputs:
            t.add_row(n, num(r.cotangent_result[n]))
        t.print(console)
    elif isinstance(r, JacobianResult):
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
    elif isinstance(r, EvalResult):
        console.print(Text(f"{head} = {_value(r.value)}"))
    else:
        _render_higher(console, r, head)


def _render_higher(console: Console, r: Result, head: str) -> None:
    from adcalc.ops.checks import CheckResult
    from adcalc.ops.results import DerivResult, HessianResult, HvpResult

    if isinstance(r, HessianResult):
        console.print(Text(f"{head} = {num(r.value)}", style="bold"))
        t = _table("", "∂f/∂·", *[f"∂/∂{n}" for n in r.inputs],
                   caption="Hessian ∂²f/∂row∂column, by forward-over-reverse (1 reverse sweep over duals)")
        for i, n in enumerate(r.inputs):
            t.add_row(n, num(r.gradient[n]), *[num(x) for x in r.hessian[i]])
        t.print(console)
        scale = max([1.0] + [abs(x) for row in r.hessian for x in row])
        if r.asymmetry > 1e-12 * scale:
            console.print(Text(f"note: the Hessian is not symmetric to rounding (max |H - Hᵀ| = {num(r.asymmetry)}); "
                               "the function may not be twice differentiable here", style="yellow"))
    elif isinstance(r, HvpResult):
        console.print(Text(f"{head} = {num(r.value)}", style="bold"))
        along = ", ".join(f"{n}={num(v)}" for n, v in r.direction.items())
        t = _table("input", "∂f/∂input", "(H·v)", caption=f"H·v along v = ({along}), by forward-over-reverse "
                   "(H is not formed)")
        for n in r.inputs:
            t.add_row(n, num(r.gradient[n]), num(r.hvp[n]))
        t.print(console)
    elif isinstance(r, DerivResult):
        along = ", ".join(f"{n}={num(v)}" for n, v in r.direction.items())
        if r.trace is not None:
            head = _trace_columns(r.trace)
            t = _table(*head, *[f"c{i}" for i in range(r.order + 1)], numeric_from=len(head),
                       title="Taylor coefficients of every node (cₖ = k-th derivative along v ÷ k!)",
                       caption="1 forward sweep of truncated Taylor series")
            for row in r.trace.rows:
                t.add_row(*_row_head(row, head), *[num(c, 6) for c in (row.coefficients or ())])
            t.print(console)
            console.print()
        console.print(Text(f"{head} = {_value(r.value)}", style="bold"))
        rows = r.derivatives if isinstance(r.value, list) else [r.derivatives]
        t = _table("k", *(["f"] if not isinstance(r.value, list) else [f"f{i + 1}" for i in range(len(rows))]),
                   caption=f"dᵏ/dtᵏ f(x + t·v) at t = 0, v = ({along}) · 1 Taylor-mode sweep")
        for k in range(r.order):
            t.add_row(str(k + 1), *[num(d[k]) for d in rows])  # type: ignore[index]
        t.print(console)
    elif isinstance(r, CheckResult):
        console.print(Text(f"{head} = {_value(r.value)}", style="bold"))
        multi = isinstance(r.value, list)
        t = _table(*(["output"] if multi else []), "input", "forward AD", "reverse AD", "central FD", "rel. error",
                   "one-sided FD", "rel. error", "", numeric_from=2 if multi else 1)
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


def run_with_progress(results: Iterable[tuple[int, list]], total: int) -> Iterator[tuple[int, list]]:  # type: ignore[type-arg]
    """Pass ``adcalc run``'s ``(index, outcomes)`` through unchanged, advancing a progress bar on
    standard error while they come when it is a terminal and there are many files.  The bar
    starts with the first result (the runner may briefly silence standard error as it starts)."""
    if total <= 8 or not sys.stderr.isatty():
        yield from results
        return
    from rich.progress import Progress

    items = iter(results)
    first = next(items, None)
    if first is None:
        return
    with Progress(console=make_console(stderr=True), transient=True) as progress:
        task = progress.add_task("running", total=total)
        for index, outcomes in itertools.chain([first], items):
            name = os.path.basename(outcomes[0].file) if outcomes else ""
            progress.update(task, description=shown(name), advance=1)
            yield index, outcomes


def _short_list(items: Sequence[str], limit: int = 60) -> str:
    text = ", ".join(items)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_batch(console: Console, outcomes: Sequence, trace: bool = False,  # type: ignore[type-arg]
                 interrupted: tuple[int, int] | None = None) -> None:
    """The summary table of ``adcalc run``, then the details of every failure and error, then the
    summary line.  ``interrupted``: (files finished, files in all) when a signal cut the run short
    (the summary line says so).  Every file name is shown through ``shown``."""
    if trace:
        for o in outcomes:
            if o.result is not None and o.result.trace is not None:
                at = _short_list([f'{k}={num(v)}' for k, v in (o.point or {}).items()])
                console.print(Text(f"{shown(o.file)} at {at}", style="bold"))
                render_result(console, o.result, o.point or {})
                console.print()
    t = _table("file", "point", "value", "gradient / Jacobian", "status", "time", numeric_from=2, wrap=(1, 3, 4))
    t.table.columns[-1].min_width = 9  # every _duration fits: the layout never depends on timings
    base = _common_folder([o.file for o in outcomes])
    for o in outcomes:
        t.add_row(*_batch_row(o, base))
    t.print(console)
    if base and base != ".":
        console.print(Text(f"files under {shown(base)}/", style="dim"))
    failed = [o for o in outcomes if o.status in ("fail", "error")]
    for o in failed:
        console.print()
        if o.status == "error" and o.error is not None:
            render_error(console, _naming_the_file(o.error, o.file), o.source, o.file)
            continue
        console.print(Text(f"{shown(o.file)}: expectations that did not hold", style="bold red"))
        for c in o.checks:
            if not c.ok:
                console.print(Text(f"  {c.what}: expected {_value(c.expected)}, got {_value(c.got)}"))
    console.print(Text(_batch_summary(outcomes, interrupted),
                       style="bold green" if not failed and not interrupted else "bold red"))


def _naming_the_file(e: AdcalcError, file: str) -> AdcalcError:
    """The error, its message led by the file's name when nothing else would say which file it is
    about (``render_error`` names the file only with a line:column)."""
    if e.span is not None or file in e.message:
        return e
    return AdcalcError(e.kind, f"{file}: {e.message}", e.span, e.hint)


def _common_folder(files: Sequence[str]) -> str:
    """The folder every file is under ('' when none is, e.g. absolute and relative paths mixed)."""
    try:
        return os.path.commonpath([os.path.dirname(f) or "." for f in files]) if files else ""
    except ValueError:
        return ""


def _batch_row(o, base: str) -> list[str | Text]:  # type: ignore[no-untyped-def]
    """One row of the table: file (relative to ``base``), point, value, derivative, status, time."""
    point = ", ".join(f"{k}={num(v, 6)}" for k, v in (o.point or {}).items()) if o.point else ""
    value, deriv = "", ""
    r = o.result
    if isinstance(r, GradResult):
        value = num(r.value, 8)
        deriv = ", ".join(f"{k}={num(v, 6)}" for k, v in r.gradient.items())
    elif isinstance(r, JacobianResult):
        value = "[" + ", ".join(num(v, 6) for v in r.value) + "]"  # type: ignore[union-attr]
        deriv = f"{len(r.jacobian)}×{len(r.columns or r.inputs)} Jacobian ({r.mode})"
    status = {"pass": "pass", "ok": "ran", "fail": "FAIL", "error": "ERROR"}[o.status]
    if o.status == "error" and o.error is not None:
        where = f" {o.error.span}" if o.error.span else ""
        status = f"ERROR{where}: {shown(o.error.message)}"
    name = os.path.relpath(o.file, base) if base and o.file.startswith(base) else o.file
    return [Text(shown(name)), point, value, deriv,
            Text(status, style={"pass": "green", "ok": "", "fail": "bold red"}.get(o.status, "bold red")),
            _duration(o.seconds)]


def _duration(seconds: float) -> str:
    """At most 9 characters: ``12.3 ms`` below a second, ``12.3 s`` below 1000 s, then ``12345 s``."""
    if seconds < 0.99995:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.1f} s" if seconds < 999.95 else f"{seconds:.0f} s"


def _batch_summary(outcomes: Sequence, interrupted: tuple[int, int] | None) -> str:  # type: ignore[type-arg]
    """``29 files, 41 points: 41 passed, …`` or ``interrupted: 3 of 10 files finished, 5 points: …``."""
    count = {s: sum(o.status == s for o in outcomes) for s in ("pass", "ok", "fail", "error")}
    points = len(outcomes)
    tally = (f"{points} point{'s' if points != 1 else ''}: {count['pass']} passed, {count['ok']} ran without "
             f"expectations, {count['fail']} failed, {count['error']} error{'s' if count['error'] != 1 else ''}")
    if interrupted is not None:
        done, total = interrupted
        return f"interrupted: {done} of {total} file{'s' if total != 1 else ''} finished, {tally}"
    files = len({o.file for o in outcomes})
    return f"{files} file{'s' if files != 1 else ''}, {tally}"


def render_warnings(console: Console, warnings: Sequence[Warning], source: str, label: str) -> None:
    label = shown(label)
    for w in warnings:
        where = f" at {label}:{w.span}" if w.span and label != "<expression>" else (f" at {w.span}" if w.span else "")
        console.print(Text(f"warning{where}: {shown(w.message)}" + (f" (×{w.count})" if w.count > 1 else ""),
                           style="yellow"))
        ex = excerpt(source, w.span)
        if ex:
            console.print(Text("  " + ex.replace("\n", "\n  ")))


def render_error(console: Console, e: AdcalcError, source: str | None, label: str | None) -> None:
    where = ""
    label = shown(label) if label else label
    if e.span is not None:
        where = f" at {label}:{e.span}" if label and label != "<expression>" else f" at {e.span}"
    console.print(Text(f"error ({e.kind}){where}: {shown(e.message, newlines=True)}", style="bold red"))
    ex = excerpt(source or "", e.span)
    if ex:
        console.print(Text("  " + ex.replace("\n", "\n  ")))
    if e.hint:
        console.print(Text(f"hint: {shown(e.hint, newlines=True)}", style="cyan"))
