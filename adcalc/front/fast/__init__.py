"""The one-shot fast path: ``adcalc eval|grad EXPRESSION --at POINT`` in about 2.5× a bare
``python -c`` (bench/startup.py), without importing argparse, Lark or Rich.

``quickcli.main`` is the ``adcalc`` command's entry point.  For the commonest call it parses the
expression with ``adcalc.language.quick`` (a hand-written parser that must give exactly the
Lark grammar's Program, or decline) and writes the table with ``adcalc.present.plain`` (the bytes
Rich would draw); anything unusual goes to the full command line, ``adcalc.front.cli``.  Three
differential tests keep it identical to the full path: ``tests/test_quick.py`` (the same Program
for generated expressions), ``tests/test_plain.py`` (the same bytes as Rich, and the same output
and status from ``quickcli.main`` as from ``cli.main`` for every command line), and the golden
corpus ``tests/test_golden.py`` (recorded through this entry point).
"""
