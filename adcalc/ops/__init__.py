"""Operations: what a user asks for, built on the interpreter.  ``driver`` binds a point, runs a
mode, reads tangents and adjoints back in the inputs' shapes and attaches one-sided derivatives
(every operation uses it; none uses another's private helpers); ``derivatives`` (evaluate, grad,
jvp, vjp, jacobian), ``higher`` (hessian, hvp, deriv), ``checks`` (AD against finite differences),
``function`` (the SciPy-style wrapper), ``batch`` and ``batchpool`` (``adcalc run``); ``results``
holds what they return; ``validate`` checks the public API's arguments.

Layer: imports ``adcalc.errors``, ``rules``, ``language`` and ``transform``.  No printing.
"""
