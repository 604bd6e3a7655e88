"""``adcalc.graph(...)``'s result: a recorded run's picture that draws itself, in Jupyter as SVG.

Contract: ``GraphPicture(run)`` holds a ``adcalc.ops.pictures.PictureRun`` and its picture
(``model.picture``).  ``text()``, ``dot()``, ``svg(layout=None)`` and ``json()`` (the dict of
``adcalc graph --format json``) are the command's formats; ``_repr_svg_`` is the SVG (Jupyter
shows it), ``str()`` the text drawing; ``value``, ``gradient`` and ``graph`` (the recorded
``Graph``) are the run's own.
"""

from __future__ import annotations

from adcalc.present.pictures.model import Picture, picture


class GraphPicture:
    """The picture of one recorded run (see the module docstring)."""

    def __init__(self, run: object):
        self.run = run
        self.picture: Picture = picture(run.graph, run.warnings)  # type: ignore[attr-defined]

    @property
    def value(self) -> object:
        return self.run.value  # type: ignore[attr-defined]

    @property
    def gradient(self) -> dict[str, object] | None:
        return self.run.gradient  # type: ignore[attr-defined]

    @property
    def graph(self) -> object:
        return self.run.graph  # type: ignore[attr-defined]

    def text(self, width: int = 80) -> str:
        from adcalc.present.pictures.text import render_text

        return render_text(self.picture, width)

    def dot(self) -> str:
        from adcalc.present.pictures.dot import render_dot

        return render_dot(self.picture)

    def svg(self, layout: str | None = None) -> str:
        from adcalc.present.pictures.svg import render_svg

        return render_svg(self.picture, layout)

    def json(self) -> dict[str, object]:
        from adcalc.present.pictures.jsonpic import picture_json

        return picture_json(self.picture)

    def _repr_svg_(self) -> str:
        return self.svg()

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        pic = self.picture
        return f"<GraphPicture: {len(pic.nodes)} nodes, {len(pic.edges)} edges, {pic.mode} mode>"
