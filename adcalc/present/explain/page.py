"""The HTML of ``adcalc explain``: one self-contained file (inline SVG, CSS and script; no network).

Contract: ``render_page(sweeps, title, source)`` returns the page's text and the data it carries.  The step data
(``steps.page_data``) travel as JSON in a ``<script type="application/json">`` element, with
``<``, ``>``, ``&``, U+2028/U+2029 and every control character written as ``\\uXXXX`` escapes,
so no user text (a name, a comment, a file name) can close the element or become markup; the
script puts every text in with ``textContent``.  A Content-Security-Policy of ``default-src
'none'`` (inline style and script only) keeps the page from fetching anything.  The page has
``#step`` (the current step's text), ``#prev``/``#next``, ``#slider``, ``#quiz`` (quiz mode:
the learner gives the next tangent, value or adjoint in ``#answer-0`` …, ``#check`` says whether
it agrees to 6 significant digits in ``#verdict``) and ← → keys.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from adcalc.ops.sweeps import Sweeps
from adcalc.present.explain.steps import page_data
from adcalc.present.explain.svg import graph_svg

HERE = Path(__file__).resolve().parent
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def _escape_json(text: str) -> str:
    """JSON text safe inside a ``<script>`` element: no ``<``, ``>``, ``&``, line separators or
    control characters survive as themselves (each is a ``\\uXXXX`` escape, the same string)."""
    out = []
    for ch in text:
        o = ord(ch)
        if ch in "<>&" or o < 0x20 or 0x7F <= o <= 0x9F or o in (0x2028, 0x2029):
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    return "".join(out)


def data_json(data: dict[str, object]) -> str:
    """The page's data as the escaped JSON text the page carries."""
    return _escape_json(json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")))


def render_page(sweeps: Sweeps, title: str, source: str) -> tuple[str, dict[str, object]]:
    """The whole page (see the module's contract) and the data it carries."""
    data = page_data(sweeps, title, source)
    css = (HERE / "page.css").read_text(encoding="utf-8")
    script = (HERE / "page.js").read_text(encoding="utf-8")
    svg = graph_svg(sweeps.graph)  # type: ignore[arg-type]
    return _html(title, css, svg, data_json(data), script), data


def _html(title: str, css: str, svg: str, data: str, script: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>adcalc explain: {escape(title)}</title>
<style>
{css}</style>
</head>
<body>
<header><h1>adcalc explain</h1><p id="subtitle"></p></header>
<nav id="controls">
<button id="prev" type="button" title="previous step (←)">◀ Previous</button>
<input id="slider" type="range" min="0" max="0" value="0" aria-label="step">
<button id="next" type="button" title="next step (→)">Next ▶</button>
<span id="counter"></span>
<label><input id="quiz" type="checkbox"> quiz mode</label>
<span id="score"></span>
</nav>
<main>
<section id="graph" aria-label="the computational graph">{svg}</section>
<section id="right">
<div id="where"></div>
<pre id="step" aria-live="polite"></pre>
<div id="quizbox" hidden>
<div id="answers"></div>
<button id="check" type="button">Check</button> <button id="reveal" type="button">Reveal</button>
<p id="verdict"></p>
</div>
<table id="table"><thead></thead><tbody></tbody></table>
<pre id="source" aria-label="the source"></pre>
<ul id="warnings" hidden></ul>
</section>
</main>
<script type="application/json" id="adcalc-data">{data}</script>
<script>
{script}</script>
</body>
</html>
"""
