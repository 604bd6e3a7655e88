"""The rules: the registry of primitives (``registry``), one entry per operation of the language —
its IEEE value rule (``ieee``), its derivative written once, its Taylor recurrence (``series``),
its conventions at kinks (``ties`` for max and min), its display and shape rules.  The
elementwise primitives are registered by ``elementwise`` (and Python's discrete operations by
``discrete``), the shape-changing ones by ``arrays``
and ``indexing`` (helpers in ``shapes``).

Layer: imports only ``adcalc.errors``.  Every other layer reads the registry; none writes it.
Importing anything under ``adcalc.rules`` registers every primitive first (below).
"""

from adcalc.rules import (
    arrays,  # noqa: F401  (registers the array primitives)
    discrete,  # noqa: F401  (registers comparisons as values, where, %, //, int, round)
    elementwise,  # noqa: F401,I001  (registers the elementwise primitives)
    indexing,  # noqa: F401  (registers index and setitem)
    registry,  # noqa: F401  (first: the record and the table)
)
