"""How a plot (``adcalc.ops.plotting.PlotResult``) is shown: on the terminal, and as JSON.

Contract:
- ``plot_view(console, r, point, head)``: one variable — the chart (drawn by plotext: f on the
  left axis, f′ … f⁽ᴷ⁾ on the right, the marked points, the tangent line; every non-finite region and
  kink breaks the curves, never a line to infinity; values far beyond the bulk of the curve are
  left out of the chart so that it keeps its scale, and the chart says so), then a legend line and
  the lists: critical points, inflection points, kinks (left and right derivatives), non-finite
  regions, the tangent's equation ``y = f(X0) + f′(X0)·(x − X0)``, and how the grid was computed.
  Two variables — a heat map of characters (light to dark: low to high, critical points marked
  by letters) and the list of critical points.  With ``-o`` (``r.file``), only the lists and the
  file written.  The chart fits the console's width; it carries colour codes only when the
  console does (a terminal, no NO_COLOR).
- ``plot_json(r)``: the JSON contract (README, ``adcalc plot``): x, value, derivatives,
  critical_points, inflection_points, kinks, jumps, nonfinite, method (+ method_reason when per point),
  tangent (when asked); two variables: x, y, value and derivatives ([∂f/∂x, ∂f/∂y]) as grids
  [row: y][column: x], critical_points with y, kind and eigenvalues, nonfinite as [x, y] points.
- ``tangent_equation(t, name)``: the tangent line as text.
"""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.text import Text

from adcalc.present.plain import num

MARKERS = ("braille", "•", "·", "+", "-", "~", "*", "o", "=", "^", ":")  # f, f′, f″, …: told apart without colour
SHADES = " .:-=+*#%@"  # the heat map, low to high
POINT_LETTERS = {"min": "m", "max": "M", "saddle": "S", "degenerate": "?"}


def prime(k: int, name: str = "f") -> str:
    """f, f′, f″, f‴, f⁽⁴⁾ …"""
    if k < 4:
        return name + ("", "′", "″", "‴")[k]
    sup = str(k).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{name}⁽{sup}⁾"


def tangent_equation(t: dict[str, float], name: str = "x") -> str:
    """``y = 0.5 + -1·(x − 0.5)`` written properly: ``y = 0.5 − 1·(x − 0.5)``."""
    x0, v, s = t["x"], t["value"], t["slope"]
    shift = f"{name} − {num(x0)}" if x0 > 0 else f"{name} + {num(-x0)}" if x0 < 0 else name
    sign = "−" if s < 0 else "+"
    return f"y = {num(v)} {sign} {num(abs(s))}·({shift})"


def title_of(r: Any, head: str = "the program") -> str:
    """The source as the title (a program of several lines: ``head``, its name and fixed inputs),
    with the other inputs' values."""
    from adcalc.errors import shown

    text = r.source.strip()
    if "\n" in text or len(text) > 80:
        return shown(head)
    fixed = ", ".join(f"{n}={num(v, 6)}" for n, v in r.point.items() if not hasattr(v, "shape"))
    return shown(text) + (f"  ({fixed})" if fixed else "")


# ---- JSON ----------------------------------------------------------------------------------------------

def plot_json(r: Any) -> dict[str, object]:
    """The JSON object of a plot (see the module docstring)."""
    out: dict[str, object] = {"x": r.xs}
    if r.ys is not None:
        out["y"] = r.ys
    out["value"] = r.values
    out["derivatives"] = r.derivatives
    out["critical_points"] = r.critical_points
    if r.ys is None:
        out["inflection_points"] = r.inflection_points
        out["kinks"] = r.kinks
        out["jumps"] = r.jumps
    out["nonfinite"] = r.nonfinite
    if r.tangent is not None:
        out["tangent"] = {**r.tangent, "equation": tangent_equation(r.tangent, r.name)}
    out["method"] = r.method
    if r.method_reason:
        out["method_reason"] = r.method_reason
    if r.file is not None:
        from adcalc.errors import shown

        out["file"] = shown(r.file)
    return out


# ---- the terminal --------------------------------------------------------------------------------------

def plot_view(console: Console, r: Any, point: dict[str, float], head: str) -> None:
    """The plot on the terminal (see the module docstring)."""
    colour = console.color_system is not None and not console.no_color
    fixed = "".join(f", {n}={num(v)}" for n, v in r.point.items() if not hasattr(v, "shape"))
    over = f"{r.name} in [{num(r.xs[0])}, {num(r.xs[-1])}]"
    swept = r.name if r.ys is None else f"{r.name}, {r.y_name}"
    head = f"{head.split('(')[0]}({swept}{fixed})"  # f(x, a=2): the function, its swept and fixed inputs
    if r.ys is None:
        console.print(Text(f"{head} for {over}", style="bold"))
    else:
        console.print(Text(f"{head} for {over}, {r.y_name} in [{num(r.ys[0])}, {num(r.ys[-1])}]", style="bold"))
    if r.ys is None:
        if r.file is None:
            chart, legend = chart_1d(r, console.width, colour, head)
            console.print(Text.from_ansi(chart) if colour else Text(chart), soft_wrap=True)
            console.print(Text(legend))
        _lists_1d(console, r)
    else:
        if r.file is None:
            for line in heat_map(r, console.width, head):
                console.print(Text(line), soft_wrap=True)
        _lists_2d(console, r)
    if r.file is not None:
        from adcalc.errors import shown

        console.print(Text(f"plot written to {shown(r.file)}"))
    how = ("one batched sweep over all points" if r.method == "batched"
           else f"one run per point ({r.method_reason})" if r.method_reason else "one run per point")
    n = len(r.xs) if r.ys is None else len(r.xs) * len(r.ys)
    console.print(Text(f"{n:,} points · {how}", style="dim"))


def segments(xs: list[float], ys: list[float], breaks: list[tuple[float, float]]) -> list[tuple[list, list]]:
    """The runs of finite points between non-finite values and the breaks (kinks, gaps)."""
    out: list[tuple[list, list]] = []
    cur_x: list[float] = []
    cur_y: list[float] = []
    for i, (x, y) in enumerate(zip(xs, ys)):
        broken = i > 0 and any(xs[i - 1] <= b and a <= x for a, b in breaks)
        if y - y != 0.0 or broken:  # nan or ±inf: a gap
            if len(cur_x) > 1:
                out.append((cur_x, cur_y))
            cur_x, cur_y = [], []
            if y - y != 0.0:
                continue
        cur_x.append(x)
        cur_y.append(y)
    if len(cur_x) > 1:
        out.append((cur_x, cur_y))
    return out


def without_outliers(values: list[float]) -> tuple[list[float], bool]:
    """Values far beyond the bulk (near a pole) left out, so the chart keeps a useful scale."""
    finite = sorted(v for v in values if v - v == 0.0)
    if len(finite) < 20:
        return values, False
    lo, hi = finite[len(finite) // 100], finite[-1 - len(finite) // 100]
    span = hi - lo
    if finite[-1] - finite[0] <= 10 * span or span == 0.0:
        return values, False
    low, high = lo - 0.25 * span, hi + 0.25 * span
    return [v if low <= v <= high else math.nan for v in values], True


def single(r: Any) -> bool:
    """Whether every curve is drawn as single points at most (no segment of two points)."""
    breaks = [(a, b) for a, b in r.nonfinite] + [(k["x"], k["x"]) for k in r.kinks + r.jumps]
    return not any(segments(r.xs, ys, breaks) for ys in (r.values, *r.derivatives))


def chart_1d(r: Any, width: int, colour: bool, head: str = "the program") -> tuple[str, str]:
    """The one-variable chart (text, with colour codes when ``colour``) and its legend line."""
    import plotext

    fig = plotext.figure
    fig.clear()
    try:
        fig.plot_size(max(24, width - 1), 22 if width >= 60 else 16)
        fig.theme("default" if colour else "colorless")
        fig.legend(active=False)
        breaks = [(a, b) for a, b in r.nonfinite] + [(k["x"], k["x"]) for k in r.kinks + r.jumps]
        legend, clipped = [], False
        curves = [r.values, *r.derivatives]
        drawn: dict[str, list[float]] = {"left": [], "right": []}  # the y values on each axis
        for k in range(len(curves) - 1, -1, -1):  # f drawn last, over its derivatives
            shown_ys, cut = without_outliers(curves[k])
            clipped = clipped or cut
            for sx, sy in segments(r.xs, shown_ys, breaks):
                side = "left" if k == 0 else "right"
                fig.draw(fig.signal(sx, sy, marker=MARKERS[k], yside=side).lines())
                drawn[side] += sy
        legend += [f"{MARKERS[k] if k else '⣿'} {prime(k)}" for k in range(len(curves))]
        if r.tangent is not None and r.tangent["slope"] - r.tangent["slope"] == 0.0:
            t = r.tangent
            a, b = r.xs[0], r.xs[-1]
            ends = [t["value"] + t["slope"] * (a - t["x"]), t["value"] + t["slope"] * (b - t["x"])]
            fig.draw(fig.segment([a, b], ends, marker="/"))
            legend.append(f"/ tangent at {r.name} = {num(t['x'])}")
        marks = [("●", "critical point", r.critical_points), ("◆", "inflection point", r.inflection_points),
                 ("✕", "kink", [{"x": k["x"], "value": _value_at(r, k["x"])} for k in r.kinks])]
        for marker, label, points in marks:
            pts = [(p["x"], p["value"]) for p in points if p["value"] - p["value"] == 0.0]
            if pts:
                fig.draw(fig.signal([p[0] for p in pts], [p[1] for p in pts], marker=marker))
                legend.append(f"{marker} {label}")
                drawn["left"] += [p[1] for p in pts]
        for side, ys in drawn.items():  # one level only (or a single point): plotext's ticks would be nan
            if ys and min(ys) == max(ys):
                fig.ruler(axis="y", side=side).lim(min(ys) - 1.0, max(ys) + 1.0)
        if not (drawn["left"] or drawn["right"]) or len({x for x in r.xs if x - x == 0.0}) < 2 or single(r):
            fig.ruler(axis="x", side="lower").lim(r.xs[0], r.xs[-1])
        fig.title(title_of(r, head))
        fig.label(r.name, "x")
        if clipped:
            legend.append("(values beyond the chart left out)")
        text = fig.build().string(colorless=not colour)
    finally:
        fig.clear()
    left = "left axis: f" + (f"; right axis: {', '.join(prime(k + 1) for k in range(len(r.derivatives)))}"
                              if r.derivatives else "")
    return text, "   ".join(legend) + "   · " + left


def _value_at(r: Any, x: float) -> float:
    i = min(range(len(r.xs)), key=lambda j: abs(r.xs[j] - x))
    return r.values[i]


def heat_map(r: Any, width: int, head: str = "the program") -> list[str]:
    """f over the rectangle as characters (``SHADES``: low to high), y upwards, critical points as
    letters (m min, M max, S saddle, ? degenerate); then the scale."""
    cols = max(12, min(width - 12, 100))
    rows = max(10, min(cols // 3, 30))
    nx, ny = len(r.xs), len(r.ys)
    finite = [v for row in r.values for v in row if v - v == 0.0]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    cells = []
    for j in range(rows):
        yj = round((rows - 1 - j) * (ny - 1) / (rows - 1))
        line = []
        for i in range(cols):
            v = r.values[yj][round(i * (nx - 1) / (cols - 1))]
            if v - v != 0.0:
                line.append(" ")
            else:
                k = 0 if hi == lo else int((v - lo) / (hi - lo) * (len(SHADES) - 1) + 0.5)
                line.append(SHADES[k] if k else "·")
        cells.append(line)
    for p in r.critical_points:
        i = round((p["x"] - r.xs[0]) / (r.xs[-1] - r.xs[0]) * (cols - 1))
        j = rows - 1 - round((p["y"] - r.ys[0]) / (r.ys[-1] - r.ys[0]) * (rows - 1))
        cells[j][i] = POINT_LETTERS.get(p["kind"], "?")
    out = [title_of(r, head).center(cols + 11).rstrip()]
    for j, line in enumerate(cells):
        label = num(r.ys[-1], 4) if j == 0 else num(r.ys[0], 4) if j == rows - 1 else ""
        out.append(f"{label:>9} │" + "".join(line))
    out.append(" " * 10 + "└" + "─" * cols)
    xl, xr = num(r.xs[0], 4), num(r.xs[-1], 4)
    out.append(" " * 11 + xl + f"{r.name}".center(cols - len(xl) - len(xr)) + xr)
    out.append(f"{r.y_name} upwards · f from {num(lo, 4)} ({SHADES[1]}) to {num(hi, 4)} ({SHADES[-1]}) · "
               "m min, M max, S saddle")
    return out


def _lists_1d(console: Console, r: Any) -> None:
    from adcalc.present.console import table

    if r.critical_points:
        t = table(r.name, "f", "kind", title=f"critical points ({prime(1)} = 0)", numeric_from=0)
        for p in r.critical_points:
            t.add_row(num(p["x"]), num(p["value"]), p["kind"])
        t.print(console)
    else:
        console.print(Text(f"no critical points ({prime(1)} = 0) in [{num(r.xs[0])}, {num(r.xs[-1])}]"))
    if r.inflection_points:
        t = table(r.name, "f", title=f"inflection points ({prime(2)} changes sign)", numeric_from=0)
        for p in r.inflection_points:
            t.add_row(num(p["x"]), num(p["value"]))
        t.print(console)
    if r.kinks:
        t = table(r.name, f"{prime(1)} from the left", f"{prime(1)} from the right", title="kinks", numeric_from=0)
        for k in r.kinks:
            t.add_row(num(k["x"]), num(k["left"]), num(k["right"]))
        t.print(console)
    if r.jumps:
        t = table(r.name, "f from the left", "f from the right", title="jumps", numeric_from=0)
        for j in r.jumps:
            t.add_row(num(j["x"]), num(j["left"]), num(j["right"]))
        t.print(console)
    if r.nonfinite:
        parts = [num(a) if a == b else num(0.5 * a + 0.5 * b) + f" (±{num(0.5 * (b - a), 2)})"
                 if b - a <= 1e-12 * max(1.0, abs(a), abs(b)) else f"[{num(a)}, {num(b)}]" for a, b in r.nonfinite]
        console.print(Text("f is not finite at " + ", ".join(parts) + " (gaps in the plot)"))
    if r.tangent is not None:
        console.print(Text(f"tangent at {r.name} = {num(r.tangent['x'])}: {tangent_equation(r.tangent, r.name)}"))


def _lists_2d(console: Console, r: Any) -> None:
    from adcalc.present.console import table

    if not r.critical_points:
        if not any(w.kind == "plot_no_critical_points" for w in r.warnings):  # else the warning says why
            console.print(Text("no critical points (∇f = 0) in the rectangle"))
        return
    t = table(r.name, r.y_name, "f", "kind", "Hessian eigenvalues", title="critical points (∇f = 0)",
              numeric_from=0)
    for p in r.critical_points:
        t.add_row(num(p["x"]), num(p["y"]), num(p["value"]), p["kind"], ", ".join(num(e) for e in p["eigenvalues"]))
    t.print(console)
    if r.nonfinite:
        console.print(Text(f"f is not finite at {len(r.nonfinite):,} grid points (blank in the map)"))
