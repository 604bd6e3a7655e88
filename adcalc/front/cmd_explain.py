"""``adcalc explain``: a page that steps through the forward and backward sweeps in a browser.

Contract: ``EXPLAIN`` is the command's record for the registry (``adcalc.front.commands``).  Its
runner records the sweeps (``adcalc.ops.sweeps``: forward, reverse or both — the default), writes
the page (``adcalc.present.explain.page``) to ``-o FILE`` or, without it, to ``explain-NAME.html``
(``explain.html`` for an expression) in the current folder, and returns one line saying where
(the absolute path) and how many steps it holds, plus the run's warnings; with ``--json`` the
same as ``{"path", "steps", "forward_steps", "backward_steps", "value", "gradient",
"warnings"}``.  It writes only a regular file (new or replaced): never a folder, a FIFO or a
device, and never the program file it explains.  The REPL's ``explain f at x=1`` runs the same
runner and prints the same line.
"""

from __future__ import annotations

import json
import os

from adcalc.errors import shown
from adcalc.front.commands import AT, SOURCE, Call, Command, Option, ReplHelp
from adcalc.ops.outfile import write_text


def default_path(name: str) -> str:
    """``explain-f.html`` for a program whose main function is ``f``; ``explain.html`` otherwise."""
    return "explain.html" if name.startswith("<") else f"explain-{name}.html"


def write_page(output: str, text: str, source_path: str | None) -> None:
    """Write the page to ``output`` (``ops.outfile``: a regular file, never the program file)."""
    write_text(output, text, source_path, "page", "explain.html")


def _title(c: Call, loaded: object, names: list[str]) -> str:
    program = loaded.program  # type: ignore[attr-defined]
    what = c.path if c.path and c.path != "-" else (program.main.name if not program.main.name.startswith("<")
                                                     else loaded.text.strip())  # type: ignore[attr-defined]
    if len(what) > 200:
        what = what[:199] + "…"
    at = ", ".join(f"{n}={_short(c.point[n])}" for n in names if n in c.point)
    return shown(f"{what} at {at}" if at else what)


def _short(v: object) -> str:
    from adcalc.present.plain import num

    return num(v)  # type: ignore[arg-type]


def _explain(c: Call) -> str:
    from adcalc.ops.derivatives import load
    from adcalc.ops.sweeps import record_sweeps
    from adcalc.present.explain.page import render_page
    from adcalc.present.explain.steps import jnum

    loaded = load(c.source) if isinstance(c.source, str) else c.source
    sweeps = record_sweeps(loaded, c.point, c.mode or "both", c.limits)
    first = sweeps.forward or sweeps.reverse
    page, data = render_page(sweeps, _title(c, loaded, list(first.inputs)), loaded.text)  # type: ignore[union-attr]
    output = c.output or default_path(loaded.program.main.name)  # type: ignore[attr-defined]
    write_page(output, page, c.path)
    where = os.path.abspath(output)
    kinds = [s["sweep"] for s in data["steps"]]  # type: ignore[attr-defined]
    n_fwd, n_bwd = kinds.count("forward"), kinds.count("backward")
    warnings = [shown(w.message) for w in first.warnings]  # type: ignore[union-attr]
    if c.json:
        return json.dumps({"path": where, "steps": n_fwd + n_bwd + 1, "forward_steps": n_fwd,
                           "backward_steps": n_bwd, "value": jnum(first.value),  # type: ignore[union-attr]
                           "gradient": {k: jnum(v) for k, v in first.gradient.items()},  # type: ignore[union-attr]
                           "warnings": warnings}, ensure_ascii=False)
    sweeps_said = f"forward sweep {n_fwd}" + (f", backward sweep {n_bwd}" if n_bwd else "")
    lines = [f"wrote {shown(where)} ({n_fwd + n_bwd + 1} steps: {sweeps_said}, result 1); open it in a browser"]
    return "\n".join(lines + [f"warning: {w}" for w in warnings])


EXPLAIN = Command(
    "explain", "write a web page that steps through the forward and backward sweeps",
    (SOURCE, AT,
     Option("--mode", "choice", {"choices": ["forward", "reverse", "both"], "default": "both",
                                 "help": "the sweeps to step through: forward-mode tangents, reverse mode's "
                                         "backward sweep, or both (default)"}, field="mode"),
     Option("-o", "name", {"metavar": "FILE.html", "dest": "output",
                           "help": "write the page to FILE.html (default: explain-NAME.html, or explain.html for "
                                   "an expression, in the current folder)"}, field="output")),
    ('adcalc explain "exp(2*x1) + x1*x2^2 + cos(x2)" --at x1=1,x2=2 -o running.html',
     "adcalc explain samples/newton_sqrt.ad --at a=2 --mode reverse -o newton.html"),
    _explain, shows="text", repl=ReplHelp("explain f at x=1", "a page stepping through the sweeps", 12),
    description="Write one self-contained HTML page (no network) that steps through the sweeps of the gradient "
                "at a point: each node's value and tangent, then each backward update with its contribution and "
                "the running adjoint, the graph lit as it goes; Next/Previous, the ← → keys, a slider and a quiz "
                "mode.  Prints the page's path.")
