"""Draw the pictures of README's graph tutorial into docs/pictures/ (``adcalc graph``'s SVG).

Usage: ``python docs/make_pictures.py`` writes them; ``python docs/make_pictures.py --check`` exits
1, naming the stale files, if any committed picture differs from what adcalc draws now
(``tests/test_graph.py`` runs the check).  The pictures are laid out by grandalf, never by
Graphviz, whether or not ``dot`` is installed: the same bytes on every machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's adcalc, wherever the script is run from

import adcalc  # noqa: E402

OUT = ROOT / "docs" / "pictures"
RUNNING = "exp(2*x1) + x1*x2^2 + cos(x2)"
PICTURES = {  # file → (source, point, mode)
    "running_example.svg": (RUNNING, {"x1": 1.0, "x2": 2.0}, "reverse"),
    "running_example_forward.svg": (RUNNING, {"x1": 1.0, "x2": 2.0}, "forward"),
    "sin_x2_plus_1.svg": ("sin(x^2 + 1)", {"x": 1.5}, "forward"),
    "piecewise_at_0.svg": ((ROOT / "samples" / "piecewise.ad").read_text(encoding="utf-8"), {"x": 0.0}, "reverse"),
}


def draw(name: str) -> str:
    source, point, mode = PICTURES[name]
    return adcalc.graph(source, point, mode=mode).svg(layout="grandalf")


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in PICTURES:
        svg = draw(name)
        path = OUT / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != svg:
                stale.append(name)
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(svg, encoding="utf-8", newline="\n")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("stale pictures (run python docs/make_pictures.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
