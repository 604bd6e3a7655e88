"""What a generated module may contain: checked before ``load_module`` runs it.

Contract: ``check_module(text)`` compiles the text and returns the code object, or raises
``ValueError`` naming what a generated module may not contain.  It checks the compiled code, not
the text, so nothing can hide in formatting: every name any code object of the module reads,
writes or looks up as an attribute (``co_names``) must be one the generator writes — the module's
own functions and constants, the prelude's helpers, ``math`` and its functions, a short list of
builtins (``float``, ``range``, ``map``, ``len``, ``next``, …) and the methods ``append``, ``extend``, ``pop``,
``send``, ``value``, ``add`` — never a dunder name (``__import__``, ``__class__``), never ``open``,
``eval``, ``getattr`` or ``globals``; no code object may build a class, import anything but
``math`` (and ``numpy``, with the few NumPy names array inputs need, and for a whole-array module
NumPy's ufuncs, ``ARRAY_NAMES`` and ``with np.errstate``) at the top level, or write
a global or an attribute; the only nested code objects are the module's functions and generator
expressions.  Local variables (the program's own names)
are free: the grammar only lets identifiers through, and the generator renames any that would
shadow a builtin.  The generator never writes anything else, so this fails only on a generator
bug or smuggled text — and then nothing runs.
"""

from __future__ import annotations

import dis
import functools
import math
from types import CodeType

BUILTINS = frozenset({"float", "int", "range", "map", "len", "next", "abs", "max", "min", "any", "sum", "round",
                      "id", "set", "tuple", "zip", "ValueError", "TypeError", "IndexError",
                      "RuntimeError", "OverflowError", "ZeroDivisionError",
                      "StopIteration"})
# S.append, S.extend, S.pop, it.send, done.value, seen.add
METHODS = frozenset({"append", "extend", "pop", "send", "value", "add"})
MATH = frozenset(n for n in dir(math) if not n.startswith("_")) | {"math"}
# A module with array inputs imports numpy as np for its entry points' conversions (prelude's
# _elements and _zeros) and the adjoints it returns: these names and no other of NumPy's.
NUMPY = frozenset({"np", "numpy", "asarray", "tolist", "ndim", "shape", "zeros", "array"})
# A whole-array module (arraymodule) also calls NumPy's ufuncs and these functions and methods,
# copies the registry's array rules (``type(c) is float`` rewritten with isinstance) and turns NumPy's warnings
# off with ``with np.errstate(…)`` (the one context manager it enters).
ARRAY_NAMES = frozenset({"errstate", "where", "heaviside", "full", "stack", "broadcast_to", "transpose", "matmul",
                         "linalg", "norm", "reshape", "sum", "mean", "prod", "amax", "amin", "all", "expand_dims",
                         "moveaxis", "ones", "concatenate", "cumprod", "flip", "astype", "copy", "T", "size",
                         "isinstance", "generic", "reduce", "bool", "tuple", "enumerate", "slice", "list",
                         "ValueError", "get", "id", "dict", "vectorize",
                         "ndarray", "dtype", "float64",  # _a_dst: whether a dying array can take a result
                         "empty", "may_share_memory"})  # _a_take/_a_give: the module's pool of buffers


@functools.lru_cache(maxsize=1)
def _array_names() -> frozenset[str]:
    """``ARRAY_NAMES`` and the names of NumPy's ufuncs (the registry's array rules call them)."""
    import numpy

    return ARRAY_NAMES | frozenset(n for n in dir(numpy) if isinstance(getattr(numpy, n), numpy.ufunc))


MODULE_NAMES = frozenset({"__doc__", "__annotations__", "INPUTS", "N_OUTPUTS", "f", "f_jvp", "f_vjp", "f_grad", "_POOL",
                          "_guard"})  # _guard: adcalc.compile's step budget, supplied by adcalc (compiled.py)
_FORBIDDEN_OPS = frozenset(dis.opmap[name] for name in (
    "IMPORT_FROM", "IMPORT_STAR", "LOAD_BUILD_CLASS", "STORE_GLOBAL", "DELETE_GLOBAL", "DELETE_NAME",
    "STORE_ATTR", "DELETE_ATTR", "BEFORE_WITH", "SETUP_WITH", "STORE_NAME") if name in dis.opmap)
_IMPORT = dis.opmap["IMPORT_NAME"]


def check_module(text: str) -> CodeType:
    """The module's code object, after checking it holds only what the generator writes."""
    module = compile(text, "<adcalc codegen>", "exec")
    functions = [c for c in module.co_consts if isinstance(c, CodeType)]
    own = {c.co_name for c in functions}
    if any(n.startswith("<") for n in own):
        raise ValueError("a lambda or comprehension at the top level")
    numpy = "numpy" in module.co_names
    allowed = BUILTINS | METHODS | MATH | MODULE_NAMES | own | (NUMPY | _array_names() if numpy else frozenset())
    stray = set(module.co_names) - allowed
    if stray:
        raise ValueError(f"the top level names {sorted(stray)}")
    ops = _opcodes(module)
    imported = set(module.co_names) & {"math", "numpy"}
    if ops & (_FORBIDDEN_OPS - {dis.opmap.get("STORE_NAME")}) or (_IMPORT in ops and not imported):
        raise ValueError("the top level does more than import math (and numpy) and define functions")
    forbidden = _FORBIDDEN_OPS - ({dis.opmap.get("BEFORE_WITH")} if numpy else set())
    for code in functions:
        _check(code, allowed, top=True, forbidden=forbidden)
    return module


def _opcodes(code: CodeType) -> set[int]:
    return set(code.co_code[::2])


def _check(code: CodeType, allowed: frozenset[str] | set[str], top: bool,
           forbidden: frozenset[int] = _FORBIDDEN_OPS) -> None:
    stray = {n for n in code.co_names if n not in allowed or n.startswith("__")}
    if stray:
        raise ValueError(f"{code.co_name} uses {sorted(stray)}")
    if _opcodes(code) & (forbidden | {_IMPORT}):
        raise ValueError(f"{code.co_name} imports, builds a class or writes a global or an attribute")
    for inner in code.co_consts:
        if isinstance(inner, CodeType):
            if inner.co_name != "<genexpr>":
                raise ValueError(f"{code.co_name} defines {inner.co_name}")
            _check(inner, allowed, top=False, forbidden=forbidden)
