"""Transformations: the interpreter and its modes.  ``interpreter`` runs the IR once for every
mode (an explicit call stack, the limits; ``budget`` the step and memory budgets); ``mode`` is
the protocol and the step all modes share (``notes``: the warnings a run makes); the modes are
``EvalMode`` (in ``mode``), ``forward`` (dual numbers, batched tangents on arrays), ``reverse``
(recording on the ``tape``, which holds the one backward sweep; forward-over-reverse on duals),
``taylor`` (truncated series), ``onesided`` (kinks resolved from one side), ``secondorder``
(forward-over-reverse over arrays) and ``floatsecond`` (the same, its steps on numbers on floats:
``floatdual``); ``record`` is the observer that writes a run down as the ``graph`` every trace,
picture and code generator reads.

Layer: imports ``adcalc.errors``, ``adcalc.rules`` and ``adcalc.language`` (the IR).  Modes never
print.
"""
