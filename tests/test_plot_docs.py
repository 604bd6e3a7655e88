"""The README's plots (docs/*.svg) are what ``docs/make_plots.py`` makes now (issue #18)."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))
from make_plots import PLOTS  # noqa: E402 - docs/ is not a package

pytest.importorskip("matplotlib")  # the test extra has it; CI tests the files


def _texts(path: Path) -> list[str]:
    """Every text of the picture (title, axis labels, tick labels, legend), in order."""
    root = ET.parse(path).getroot()
    return [t.strip() for e in root.iter() if e.tag.endswith("text") for t in ["".join(e.itertext())] if t.strip()]


def _version(data: bytes) -> str | None:
    m = re.search(rb"Matplotlib v([0-9][^,<\s]*)", data)
    return m.group(1).decode() if m else None


_NUMBER = re.compile(rb"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?")
# matplotlib's SVG ids: a kind (p clip path, m marker, h hatch, C<i>_<j>_ path of a collection) and the first
# 10 hex digits of a SHA-256 of the object's floats (backend_svg._make_id; adcalc fixes the salt: present/plotfile.py)
_HASH_ID = re.compile(rb"(?<![0-9A-Za-z_])(p|m|h|C\d+_\d+_)[0-9a-f]{10}(?![0-9A-Za-z_])")


def _ids_in_order(svg: bytes) -> bytes:
    """``svg`` with each hashed id replaced by its kind and its rank of first appearance: an
    ulp's difference in a clip rectangle gives another hash, and the same drawing."""
    seen: dict[bytes, bytes] = {}
    return _HASH_ID.sub(lambda m: seen.setdefault(m.group(0), b"%sid%d" % (m.group(1), len(seen))), svg)


_PATH_DATA = re.compile(rb'\sd="([^"]*)"')
NUMBER_TOLERANCE = 1e-4  # of a point (1/72 inch): the last printed digit of a coordinate


def _subpaths(d: bytes) -> list[list[tuple[float, float]]]:
    """The vertices of an SVG path's data, one list per subpath (``M`` starts one, ``z`` closes
    it: its first vertex again); every coordinate pair counts (control points of curves too)."""
    subpaths: list[list[tuple[float, float]]] = []
    for part in re.split(rb"(?=[Mm])", d):
        numbers = [float(n) for n in _NUMBER.findall(part)]
        points = list(zip(numbers[0::2], numbers[1::2]))
        if points:
            subpaths.append(points + points[:1] if re.search(rb"[zZ]", part) else points)
    return subpaths


def _farthest(points: list[tuple[float, float]], lines: list[list[tuple[float, float]]]) -> float:
    """The largest distance from one of ``points`` to the polylines ``lines`` (segments and lone vertices)."""
    p = np.array(points).reshape(-1, 1, 2)
    starts = np.array([q for line in lines for q in (line[:-1] if len(line) > 1 else line)]).reshape(1, -1, 2)
    ends = np.array([q for line in lines for q in (line[1:] if len(line) > 1 else line)]).reshape(1, -1, 2)
    seg = ends - starts
    length2 = np.sum(seg * seg, axis=-1)
    t = np.clip(np.sum((p - starts) * seg, axis=-1) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
    nearest = starts + t[..., None] * seg
    return float(np.max(np.min(np.hypot(*np.moveaxis(p - nearest, -1, 0)), axis=1)))


def _same_path(a: bytes, b: bytes, tolerance: float) -> bool:
    """Two path data that draw the same lines: the same vertices within NUMBER_TOLERANCE, or, when
    matplotlib's path simplification kept other vertices, every vertex of each within ``tolerance``
    of the other's lines (the Hausdorff distance of the two drawings)."""
    pa, pb = _subpaths(a), _subpaths(b)
    flat_a, flat_b = [q for s in pa for q in s], [q for s in pb for q in s]
    if len(flat_a) == len(flat_b) and all(abs(x - y) <= NUMBER_TOLERANCE for q, r in zip(flat_a, flat_b)
                                          for x, y in zip(q, r)):
        return True
    if not flat_a or not flat_b:
        return False
    return _farthest(flat_a, pb) <= tolerance and _farthest(flat_b, pa) <= tolerance


def _same_drawing(a: bytes, b: bytes, tolerance: float = NUMBER_TOLERANCE) -> bool:
    """The same SVG but for its numbers, which agree within NUMBER_TOLERANCE, the ids matplotlib
    hashes from them, and the vertices path simplification keeps: paths that draw the same lines
    within ``tolerance`` points.  So the same drawing whatever CPU made it: NumPy's sin and exp
    differ by ulps between CPUs (AVX-512 or not), which moves a coordinate's last printed digit,
    gives a clip path another id, closes a contour path (a ``z``) or keeps another vertex of a
    contour line nearly straight there."""
    def words(svg: bytes) -> list[bytes]:
        return _NUMBER.sub(b" ", svg).split()

    a, b = _ids_in_order(a), _ids_in_order(b)
    da, db = _PATH_DATA.findall(a), _PATH_DATA.findall(b)
    a, b = _PATH_DATA.sub(b' d=""', a), _PATH_DATA.sub(b' d=""', b)
    na, nb = [float(n) for n in _NUMBER.findall(a)], [float(n) for n in _NUMBER.findall(b)]
    return (words(a) == words(b) and len(na) == len(nb) and len(da) == len(db)
            and all(abs(x - y) <= NUMBER_TOLERANCE for x, y in zip(na, nb))
            and all(_same_path(x, y, tolerance) for x, y in zip(da, db)))


def test_the_committed_plots_are_current(tmp_path: Path) -> None:
    import matplotlib

    subprocess.run([sys.executable, str(DOCS / "make_plots.py"), "--out-dir", str(tmp_path)], check=True,
                   cwd=ROOT, timeout=300)
    for name in PLOTS:
        committed, made = (DOCS / name).read_bytes(), (tmp_path / name).read_bytes()
        assert _texts(DOCS / name) == _texts(tmp_path / name), name  # the same plot, whatever matplotlib
        if _version(committed) == matplotlib.__version__:
            # path simplification drops a vertex lying within this many points of the line through its
            # neighbours (matplotlib's path_converters.h), so two drawings of the same line may keep
            # other vertices up to that far from each other's lines
            simplified = float(matplotlib.rcParams["path.simplify_threshold"]) + NUMBER_TOLERANCE
            assert _same_drawing(committed, made, simplified), f"{name} is out of date: run python docs/make_plots.py"


def test_the_readme_shows_them() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, args in PLOTS.items():
        assert f"](docs/{name})" in readme
        assert args[0] in readme  # the command that made it is shown beside it
