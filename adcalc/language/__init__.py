"""The language: text → IR.  ``sources`` reads a SOURCE (expression, file, standard input);
``parser`` turns text into a Lark tree (the grammar in ``adcalc.grammar`` is the language's
reference, its tables shipped as data); ``quick`` is the one-line shortcut that must give exactly
the grammar's program or decline; ``lower`` (with ``expressions`` and ``trees``) turns a tree into
the IR of ``ir`` — flat three-address steps with spans, explicit jumps, and its printer;
``bindings`` reads ``--at``/``--dir``/``--cot`` values in the language's number syntax.

Layer: imports ``adcalc.errors`` and ``adcalc.rules`` (for the names and arities of built-in
functions).  Nothing here runs a program.
"""
