"""The table of ``adcalc run``: one row per file and point, then the details of every failure
and error, and the summary line (marked when the run was interrupted).  No math here."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterable, Iterator, Sequence

from rich.console import Console
from rich.text import Text

from adcalc.errors import AdcalcError, shown
from adcalc.ops.results import GradResult, JacobianResult
from adcalc.present.console import make_console
from adcalc.present.console import table as _table
from adcalc.present.messages import render_error
from adcalc.present.plain import num
from adcalc.present.plain import value_text as _value
from adcalc.present.render import render_result


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
