"""``adcalc graph``: the computational graph of one run, drawn (text, dot, svg) or as JSON.

Contract: ``GRAPH`` is the command's record for the registry (``adcalc.front.commands``);
its runner records the run (``adcalc.ops.pictures.record``: forward or reverse mode, at most
about ``--max-nodes`` nodes), builds the picture (``adcalc.present.pictures.model``) and returns
its drawing in ``--format`` — ``text`` (the default; with ``-o FILE`` the format is the file's
extension when it is .svg, .dot, .gv, .json or .txt; ``--json`` is ``--format json``), ``dot``,
``svg`` or ``json`` — or, with ``-o FILE``, writes it there (a regular file, new or replaced; never
a FIFO, a device, a folder or the program file itself) and returns a line saying so.  In the
REPL: ``graph f at x=1, y=2`` draws the text; ``graph f at x=1 -o f.svg`` writes the file.
"""

from __future__ import annotations

import os

from adcalc.errors import shown
from adcalc.front.commands import AT, SOURCE, Call, Command, Option, ReplHelp
from adcalc.front.optiontypes import positive_int
from adcalc.ops.outfile import write_text

FORMATS = ("text", "dot", "svg", "json")
_BY_EXTENSION = {".svg": "svg", ".dot": "dot", ".gv": "dot", ".json": "json", ".txt": "text"}


def format_for(fmt: str | None, output: str | None) -> str:
    """The format asked for, else the output file's extension's, else text."""
    if fmt:
        return fmt
    if output:
        return _BY_EXTENSION.get(os.path.splitext(output)[1].lower(), "text")
    return "text"


def draw(run: object, fmt: str, layout: str | None = None) -> str:
    """A recorded run (``adcalc.ops.pictures.PictureRun``) drawn in ``fmt``."""
    from adcalc.present.pictures.model import picture

    pic = picture(run.graph, run.warnings)  # type: ignore[attr-defined]
    if fmt == "json":
        from adcalc.present.jsonout import dumps
        from adcalc.present.pictures.jsonpic import picture_json

        return dumps(picture_json(pic))
    if fmt == "dot":
        from adcalc.present.pictures.dot import render_dot

        return render_dot(pic)
    if fmt == "svg":
        from adcalc.present.pictures.svg import render_svg

        return render_svg(pic, layout).rstrip("\n")
    from adcalc.present.pictures.text import render_text

    return render_text(pic)


def write_file(output: str, text: str, source_path: str | None) -> None:
    """Write the drawing to ``output`` (``ops.outfile``: a regular file, never the program file)."""
    write_text(output, text + "\n", source_path, "picture", "graph.svg")


def _graph(c: Call) -> str:
    from adcalc.ops.pictures import DEFAULT_MAX_NODES, record

    fmt = format_for(c.format or ("json" if c.json else None), c.output)
    run = record(c.source, c.point, mode=c.mode or "reverse",  # type: ignore[arg-type]
                 max_nodes=c.max_nodes or DEFAULT_MAX_NODES, **c.limits)  # type: ignore[arg-type]
    text = draw(run, fmt)
    if c.output is None:
        return text
    write_file(c.output, text, c.path)
    return f"wrote {shown(c.output)} ({fmt}, {len(run.graph.nodes):,} nodes)"


GRAPH = Command(
    "graph", "the computational graph of one run: values, partials, tangents or adjoints (text, dot, svg, json)",
    (SOURCE, AT,
     Option("--mode", "choice", {"choices": ["forward", "reverse"],
                                 "help": "forward: every node's tangents; reverse (default): every node's adjoint "
                                         "and what flowed along each edge"}, field="mode", setting="mode"),
     Option("--format", "choice", {"choices": list(FORMATS),
                                   "help": "text (the default: a drawing for the terminal), dot (Graphviz source), "
                                           "svg (laid out by Graphviz when installed, else grandalf), json; "
                                           "with -o, the file's extension chooses"}, field="format"),
     Option("-o", "name", {"metavar": "FILE", "dest": "output", "help": "write the picture to FILE"},
            field="output", clause="-o", example="-o graph.svg"),
     Option("--max-nodes", "count", {"type": positive_int, "metavar": "N",
                                     "help": "draw about N nodes at most: later loop iterations and repeated calls "
                                             "are drawn as one box saying how many (default 200)"},
            field="max_nodes")),
    ('adcalc graph "exp(2*x1) + x1*x2^2 + cos(x2)" --at x1=1,x2=2',
     'adcalc graph "sin(x^2 + 1)" --at x=1.5 --mode forward',
     "adcalc graph samples/piecewise.ad --at x=0 -o piecewise.svg",
     'adcalc graph "x*y + sin(x)" --at x=1,y=2 --format json'),
    _graph, shows="text", featured=(0,), repl=ReplHelp("graph f at x=1, y=2", "the computational graph", 13))
