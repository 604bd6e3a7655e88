"""A plot written to a file (``adcalc plot … -o FILE``), drawn by matplotlib (``pip install "adcalc[plot]"``).

Contract:
- ``check_target(path, source_path)``: before anything is computed, an ``AdcalcError`` for a
  name that does not end in .svg, .png or .pdf, a path that is a folder, a FIFO or a device, the
  program file itself, or matplotlib missing (naming ``pip install "adcalc[plot]"``).
- ``save(r, path)``: one variable — f (left axis) and f′ … f⁽ᴷ⁾ (right axis), broken at kinks and
  non-finite regions (never a line to infinity; values far beyond the bulk are left out, as on the
  terminal), critical points (▲ max, ▼ min, ● neither), inflection points (◆), kinks (✕, with their
  one-sided derivatives in the legend), non-finite regions shaded, the tangent line dashed with its
  equation; two variables — filled contours and contour lines of f, gradient arrows (∇f on a
  coarse grid) and the critical points labelled by kind.  Legend, axis labels, the source as the
  title.  The SVG is reproducible (no date, fixed ids), so committed pictures can be checked.
- Presentation only: it reads a ``PlotResult``; matplotlib's figure is its own (no pyplot state),
  so threads may save at once.
"""

from __future__ import annotations

from typing import Any

from adcalc.errors import AdcalcError, shown
from adcalc.present.plotview import prime, segments, tangent_equation, title_of, without_outliers

FORMATS = (".svg", ".png", ".pdf")
INSTALL = 'pip install "adcalc[plot]"'


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise AdcalcError("file", "writing a plot file needs matplotlib, which is not installed",
                          hint=f"{INSTALL} (or leave out -o to draw the plot on the terminal)") from None
    return matplotlib


def check_target(path: str, source_path: str | None) -> None:
    """Refuse a plot file we could not or should not write (see the module docstring)."""
    from adcalc.ops import outfile

    if not path.lower().endswith(FORMATS):
        raise AdcalcError("input", f"-o {shown(path)}: the file name must end in .svg, .png or .pdf",
                          hint="e.g. -o plot.svg")
    outfile.check_target(path, source_path, "plot", "plot.svg", kind="file")
    _matplotlib()


def save(r: Any, path: str) -> None:
    """Draw ``r`` and write it to ``path`` (its format from the name)."""
    matplotlib = _matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5.5) if r.ys is None else (7, 6), layout="constrained")
    with matplotlib.rc_context({"svg.hashsalt": "adcalc", "svg.fonttype": "none"}):
        if r.ys is None:
            _draw_1d(fig, r)
        else:
            _draw_2d(fig, r)
        metadata = {"Date": None} if path.lower().endswith(".svg") else \
            {"CreationDate": None} if path.lower().endswith(".pdf") else None
        try:
            fig.savefig(path, metadata=metadata, dpi=120)
        except OSError as e:
            raise AdcalcError("file", f"cannot write {shown(path)}: {e.strerror or e}",
                              hint="give a path in a folder you can write to") from None


def _draw_1d(fig: Any, r: Any) -> None:
    ax = fig.add_subplot()
    right = ax.twinx() if r.derivatives else None
    breaks = [(a, b) for a, b in r.nonfinite] + [(k["x"], k["x"]) for k in r.kinks + r.jumps]
    styles = ["-", "--", ":", "-.", (0, (1, 3)), (0, (5, 1)), (0, (3, 1, 1, 1))]
    handles = []
    for k, ys in enumerate([r.values, *r.derivatives]):
        target = ax if k == 0 else right
        shown_ys, _ = without_outliers(ys)
        label = prime(k)
        for sx, sy in segments(r.xs, shown_ys, breaks):
            (line,) = target.plot(sx, sy, linestyle=styles[k % len(styles)], color=f"C{k}",
                                  linewidth=1.6 if k == 0 else 1.1, label=label)
            if label:
                handles.append(line)
                label = ""
    kinds = {"max": ("^", "C3"), "min": ("v", "C2"), "neither": ("o", "C7")}
    for kind, (marker, color) in kinds.items():
        pts = [p for p in r.critical_points if p["kind"] == kind]
        if pts:
            handles.append(ax.scatter([p["x"] for p in pts], [p["value"] for p in pts], marker=marker, color=color,
                                      zorder=5, label=f"critical point ({kind})"))
    if r.inflection_points:
        handles.append(ax.scatter([p["x"] for p in r.inflection_points], [p["value"] for p in r.inflection_points],
                                  marker="D", color="C4", zorder=5, label="inflection point"))
    for k in r.kinks:
        i = min(range(len(r.xs)), key=lambda j: abs(r.xs[j] - k["x"]))
        label = f"kink at {k['x']:.6g}: {prime(1)} {k['left']:.6g} left, {k['right']:.6g} right"
        handles.append(ax.scatter([k["x"]], [r.values[i]], marker="X", color="C1", zorder=5, label=label))
    for a, b in r.nonfinite:
        if a == b:
            ax.axvline(a, color="0.6", linewidth=0.8, linestyle=":")
        else:
            ax.axvspan(a, b, color="0.9", zorder=0)
    if r.tangent is not None and r.tangent["slope"] - r.tangent["slope"] == 0.0:
        t = r.tangent
        a, b = r.xs[0], r.xs[-1]
        (line,) = ax.plot([a, b], [t["value"] + t["slope"] * (a - t["x"]), t["value"] + t["slope"] * (b - t["x"])],
                          color="0.35", linestyle=(0, (4, 2)), linewidth=1,
                          label="tangent: " + tangent_equation(t, r.name))
        handles.append(line)
        ax.set_ylim(*_bounds(r.values))
    ax.set_xlabel(r.name)
    ax.set_ylabel("f")
    if right is not None:
        right.set_ylabel(", ".join(prime(k + 1) for k in range(len(r.derivatives))))
    ax.set_title(title_of(r))
    ax.grid(True, linewidth=0.4, alpha=0.5)
    ax.legend(handles=handles, fontsize="small", loc="best")


def _bounds(values: list[float]) -> tuple[float, float]:
    shown_ys, _ = without_outliers(values)
    finite = [v for v in shown_ys if v - v == 0.0] or [0.0, 1.0]
    lo, hi = min(finite), max(finite)
    pad = 0.08 * (hi - lo or 1.0)
    return lo - pad, hi + pad


def _draw_2d(fig: Any, r: Any) -> None:
    import numpy as np

    ax = fig.add_subplot()
    X, Y = np.meshgrid(r.xs, r.ys)  # noqa: N806 - the usual names of a mesh
    Z = np.array(r.values, dtype=float)  # noqa: N806
    Z = np.ma.masked_invalid(Z)  # noqa: N806 - non-finite values are blank
    filled = ax.contourf(X, Y, Z, levels=20, cmap="viridis")
    ax.contour(X, Y, Z, levels=20, colors="k", linewidths=0.4)
    fig.colorbar(filled, ax=ax, label="f")
    step = max(1, len(r.xs) // 15)
    gx, gy = (np.array(d, dtype=float)[::step, ::step] for d in r.derivatives)
    ax.quiver(X[::step, ::step], Y[::step, ::step], gx, gy, color="white", alpha=0.8, label="∇f")
    marks = {"min": ("v", "C2"), "max": ("^", "C3"), "saddle": ("X", "C1"), "degenerate": ("o", "C7")}
    for kind, (marker, color) in marks.items():
        pts = [p for p in r.critical_points if p["kind"] == kind]
        if pts:
            ax.scatter([p["x"] for p in pts], [p["y"] for p in pts], marker=marker, s=70, color=color,
                       edgecolors="k", zorder=5, label=f"{kind} ({len(pts)})")
    ax.set_xlabel(r.name)
    ax.set_ylabel(r.y_name)
    ax.set_title(title_of(r))
    ax.set_aspect("equal" if 0.25 < (r.ys[-1] - r.ys[0]) / (r.xs[-1] - r.xs[0]) < 4 else "auto")
    ax.legend(fontsize="small", loc="upper right")
