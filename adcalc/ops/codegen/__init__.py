"""Code generation: a source's value, forward (tangent) and reverse (adjoint) programs as Python.

``module.generate`` writes the module text; ``structure`` recovers the program's control flow
from the IR, ``exits`` makes early exits structured for the adjoint program, ``forward`` and
``adjoint`` write the functions, ``templates`` says how each primitive and its partials read as
Python and ``prelude`` holds the IEEE helpers the generated code carries with it; ``run`` loads
a generated module and compares it with the interpreter (``--check``) and ``compiled`` is the
API's ``adcalc.compile``.
"""
