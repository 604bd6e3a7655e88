"""The README's plots (docs/*.svg) are what ``docs/make_plots.py`` makes now (issue #18)."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

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


def _same_drawing(a: bytes, b: bytes) -> bool:
    """The same SVG but for its numbers, which agree within 1e-4 (of a point, 1/72 inch), and the
    ids matplotlib hashes from them: the same drawing whatever CPU made it.  NumPy's sin and exp
    differ by an ulp between CPUs (AVX-512 or not), which moves a coordinate's last printed digit,
    gives a clip path another id, or closes a contour path (a ``z``) — path commands are left out
    for that reason."""
    def words(svg: bytes) -> list[bytes]:
        return [w for w in _NUMBER.sub(b" ", svg).split() if w not in (b"z", b"Z", b"M", b"L", b"C", b"Q")]

    a, b = _ids_in_order(a), _ids_in_order(b)
    na, nb = [float(n) for n in _NUMBER.findall(a)], [float(n) for n in _NUMBER.findall(b)]
    return words(a) == words(b) and len(na) == len(nb) and all(abs(x - y) <= 1e-4 for x, y in zip(na, nb))


def test_the_committed_plots_are_current(tmp_path: Path) -> None:
    import matplotlib

    subprocess.run([sys.executable, str(DOCS / "make_plots.py"), "--out-dir", str(tmp_path)], check=True,
                   cwd=ROOT, timeout=300)
    for name in PLOTS:
        committed, made = (DOCS / name).read_bytes(), (tmp_path / name).read_bytes()
        assert _texts(DOCS / name) == _texts(tmp_path / name), name  # the same plot, whatever matplotlib
        if _version(committed) == matplotlib.__version__:
            assert _same_drawing(committed, made), f"{name} is out of date: run python docs/make_plots.py"


def test_the_readme_shows_them() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, args in PLOTS.items():
        assert f"](docs/{name})" in readme
        assert args[0] in readme  # the command that made it is shown beside it
