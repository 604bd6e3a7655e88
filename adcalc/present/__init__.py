"""Presentation: results, traces, errors and streams for people and programs.  ``render`` (a
result's table, found by its class), ``traces`` (Wengert-list tables and their JSON, read from the
recorded graph), ``batchview`` (the table of ``adcalc run``), ``messages`` (errors and warnings
with their source excerpt), ``jsonout`` (the JSON contract), ``plain`` (the table Rich would draw,
for the fast path), ``console`` (Rich consoles and the house table), ``streams`` (closed streams,
ASCII-only encodings, broken pipes).

Layer: imports ``adcalc.errors``, ``rules`` (for display), ``transform`` (the recorded graph, the
notes) and ``ops`` (results).  No math here.
"""
