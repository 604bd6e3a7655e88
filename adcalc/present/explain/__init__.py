"""``adcalc explain``'s page: one self-contained HTML file that steps through the recorded sweeps.

``steps`` turns the recorded runs (``adcalc.ops.sweeps``) into the page's data — nodes, edges and
the steps of the forward and backward sweeps, each with its text — and ``page`` writes the HTML
around it (inline SVG, CSS and the script in ``page.js``; no network).  ``svg`` is the drawing of
the graph the page lights up.
"""
