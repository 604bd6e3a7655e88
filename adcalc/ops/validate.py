"""Argument checks for the public API: every bad argument becomes an ``AdcalcError``.

Contract:
- ``arguments(function, given)`` is called first thing by every public function with its own
  arguments (``locals()``); it returns None when they are usable and raises the ``AdcalcError``
  of the first bad one otherwise.  It only checks; it never converts or copies, so the functions
  go on to use their arguments as given.  Names it does not know are left alone.
- The message names the argument as the caller wrote it (``source``, ``point``, ``point['x']``,
  ``point['A'][1, 0]``, ``direction['x']``, ``cotangent[2]``, ``x[0]``, ``max_steps``, ``mode``, …)
  and says what was expected; the kind says what sort of mistake it is:

  ``type``  the wrong kind of object: bytes or None as the source, a list as the point, a string
            or None or a complex number where a number is expected, a dict where a list is
            expected and vice versa, a string as ``max_steps``.
  ``input`` the right kind with an unusable value: an int too large for a double, a ragged,
            empty or too deeply nested array, a point key that is not a name, repeated ``inputs``, an
            ``order`` out of range.  (Checks that need the source — unknown or missing inputs,
            the length of a cotangent, the shape of a direction — stay in the functions and are
            ``input`` errors too.)
  ``usage`` an option outside its choices: ``mode="sideways"``, ``max_steps=0``, an option
            ``check`` does not take.

- Numbers are real: ``int`` (within a double's range), ``float`` (NaN and ±inf included), and
  other ``numbers.Real`` objects such as NumPy's float and integer scalars.  Arrays (in a point
  or a direction) are non-empty lists or tuples of numbers, nested and rectangular, or NumPy
  arrays of a float or integer dtype.
- Booleans are not numbers here, nor are arrays of them: ``True`` in a point is far more often a
  mistake (a flag passed in the wrong place) than a way to write 1.0, and Python's ``bool`` being
  an ``int`` subclass would otherwise let it through silently.  Likewise ``strict`` and ``trace``
  must be ``True`` or ``False``, and the limits and ``order`` must be ints that are not bools.
- Complex numbers (and complex arrays) are errors, never cut to their real part.
- NumPy is imported only when a value is a list, a tuple or an array-like, so checking a point
  of plain floats costs nothing at start-up.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping

from adcalc.errors import AdcalcError
from adcalc.rules.arrays import MAX_AXES as _MAX_DIMS

TYPE_CHECKING = False  # typing itself is not imported: this module is on the start-up path
if TYPE_CHECKING:
    from typing import NoReturn

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MODES = ("forward", "reverse")
_LIMITS = ("max_steps", "max_depth", "max_memory")
_OPTIONAL = {"deriv": {"direction", "wrt"}, "jacobian": {"mode"}}  # where None is allowed besides point
_BIG = 2**1023  # an int below this in size is surely a double


# ---- showing what was given -------------------------------------------------------------------

def _shown(value: object) -> str:
    """A short, safe description of ``value`` for a message: its repr (cut to 40 characters) and
    its type.  Never fails: a huge int's repr would raise, and a foreign object's repr might."""
    name = type(value).__name__
    if type(value) is int and value.bit_length() > 128:
        return f"an int of about 10^{int(value.bit_length() * 0.30103)}"
    try:
        text = repr(value)
    except Exception:  # a foreign object's __repr__: we only want a description
        return f"a {name}"
    if len(text) > 40:
        text = text[:37] + "…"
    from adcalc.errors import shown

    return f"{shown(text)} ({name})"


def _fail(kind: str, message: str, hint: str | None = None) -> NoReturn:
    raise AdcalcError(kind, message, hint=hint)


# ---- numbers and arrays -------------------------------------------------------------------------

def _is_bool(value: object) -> bool:
    np = sys.modules.get("numpy")
    return isinstance(value, bool) or (np is not None and isinstance(value, np.bool_))


def _number(label: str, value: object) -> None:
    """``value`` must be a real number that converts to a double."""
    if type(value) is float:
        return
    if _is_bool(value):
        _fail("type", f"{label} must be a number, not a boolean {value!r}",
              "booleans are not numbers here: write 1.0 or 0.0")
    import numbers

    if isinstance(value, numbers.Real):
        try:
            float(value)
        except OverflowError:
            _fail("input", f"{label} is too large for a double (the largest is about 1.8e308): {_shown(value)}")
        except (TypeError, ValueError):
            _fail("type", f"{label} must be a number, not {_shown(value)}")
        return
    if isinstance(value, numbers.Complex):
        _fail("type", f"{label} must be a real number, not the complex {_shown(value)}",
              "adcalc works over the real numbers; pass the real part (or the parts) as separate inputs")
    hint = "convert it first: float(text)" if isinstance(value, str | bytes) else None
    _fail("type", f"{label} must be a number, not {_shown(value)}", hint)


def _arraylike(value: object) -> bool:
    return isinstance(value, list | tuple) or hasattr(value, "__array__")


def _as_ndarray(label: str, value: object) -> object:
    """``value`` as a NumPy array without converting its entries (lists become object arrays)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value
    try:
        if isinstance(value, list | tuple):
            return np.asarray(value, dtype=object)
        return np.asarray(value)
    except (ValueError, TypeError, RuntimeError, RecursionError, OverflowError, MemoryError):
        _fail("input", f"{label} must be a number or a rectangular array of numbers; this one cannot be read as "
                       f"an array (ragged, or nested more than {_MAX_DIMS} deep)", "e.g. [1, 2, 3] or [[1, 2], [3, 4]]")
    except Exception as e:  # an array-like object's own __array__ failed
        _fail("type", f"{label} could not be read as an array: {type(e).__name__}")


def _entry_label(label: str, index: tuple[int, ...]) -> str:
    return f"{label}[{', '.join(str(i) for i in index)}]" if index else label


def _array(label: str, value: object) -> tuple[int, ...]:
    """``value`` must be a rectangular array of real numbers; returns its shape."""
    a = _as_ndarray(label, value)
    kind = a.dtype.kind  # type: ignore[attr-defined]
    if a.ndim > _MAX_DIMS:  # type: ignore[attr-defined]
        _fail("input", f"{label} is nested more than {_MAX_DIMS} deep")
    if kind in "iu":
        return a.shape  # type: ignore[attr-defined]
    if kind == "f":
        if a.dtype.itemsize > 8:  # type: ignore[attr-defined]
            _wide_floats(label, a)
        return a.shape  # type: ignore[attr-defined]
    if kind == "b":
        _fail("type", f"{label} must be an array of numbers, not of booleans", "booleans are not numbers here")
    if kind == "c":
        _fail("type", f"{label} must be an array of real numbers, not a complex array",
              "adcalc works over the real numbers; pass the real part (e.g. a.real) explicitly")
    if kind != "O":
        _fail("type", f"{label} must be an array of numbers, not an array of dtype {a.dtype}")  # type: ignore
    _entries(label, a)
    return a.shape  # type: ignore[attr-defined]


def _wide_floats(label: str, a: object) -> None:
    """A long double beyond a double's range would silently become inf."""
    import numpy as np

    with np.errstate(all="ignore"):
        lost = np.isinf(a.astype(float)) & ~np.isinf(a)  # type: ignore[attr-defined]
    if lost.any():
        _fail("input", f"{label} has entries too large for a double (the largest is about 1.8e308)")


def _entries(label: str, a: object) -> None:
    """Every entry of an object array must be a number (a list there means a ragged array)."""
    import numpy as np

    flat = a.ravel()  # type: ignore[attr-defined]
    types = set(map(type, flat))
    if types <= {float, int} and (int not in types or -_BIG < min(flat) and max(flat) < _BIG):
        return  # the usual case, checked at C speed; otherwise find the first bad entry
    for index, x in np.ndenumerate(a):
        _entry(label, index, x)


def _entry(label: str, index: tuple[int, ...], x: object) -> None:
    import numbers

    if isinstance(x, float) or (type(x) is int and -_BIG < x < _BIG):
        return
    if getattr(x, "ndim", None) == 0 and hasattr(x, "dtype"):  # a 0-d array inside a list is a number
        _array(_entry_label(label, index), x)
        return
    if not isinstance(x, numbers.Number) and _arraylike(x):
        _fail("input", f"{label} must be a rectangular array of numbers: its rows differ in length or depth "
                       f"(at {_entry_label(label, index)})", "a matrix needs rows of equal length: [[1,2],[3,4]]")
    _number(_entry_label(label, index), x)


def _value(label: str, value: object) -> tuple[int, ...] | None:
    """A number (returns None) or an array of numbers (returns its shape; a 0-d array is a number)."""
    if type(value) is float:
        return None
    import numbers

    if isinstance(value, numbers.Number) or _is_bool(value) or not _arraylike(value):
        _number(label, value)
        return None
    shape = _array(label, value)
    if 0 in shape:
        _fail("input", f"{label} is an empty array (of shape {shape})", "give at least one number")
    return shape if shape else None


def _flat_numbers(label: str, value: object, example: str) -> None:
    """A flat list, tuple or 1-D array of numbers (``cotangent``, a DiffFunction's ``x``)."""
    if isinstance(value, Mapping) or not _arraylike(value) or _is_bool(value):
        what = "a dict" if isinstance(value, Mapping) else _shown(value)
        _fail("type", f"{label} must be a list of numbers, not {what}", f"e.g. {example}")
    if isinstance(value, list | tuple):
        for i, x in enumerate(value):
            if _arraylike(x) and not _is_bool(x) and not (hasattr(x, "ndim") and x.ndim == 0):
                _fail("type", f"{label} must be a flat list of numbers, but {label}[{i}] is {_shown(x)}",
                      f"flatten it (row-major), e.g. {example}")
    shape = _array(label, value)
    if len(shape) != 1:
        _fail("type", f"{label} must be a flat list (1-D) of numbers, not an array of shape {shape}",
              f"e.g. {example}")


# ---- the arguments ------------------------------------------------------------------------------

def _source(function: str, label: str, value: object, given: Mapping[str, object]) -> None:
    if isinstance(value, str):
        return
    from adcalc.ops.driver import Loaded

    if isinstance(value, Loaded):
        if function == "load":
            _fail("type", f"{label} is already loaded: pass it to the other functions directly")
        from adcalc.language.ir import Program
        from adcalc.transform.interpreter import Compiled

        if not (isinstance(value.text, str) and isinstance(value.program, Program)
                and isinstance(value.compiled, Compiled)):
            _fail("type", f"{label} is a Loaded that adcalc.load did not make", "use adcalc.load(text)")
        return
    hint = "decode it first: data.decode('utf-8')" if isinstance(value, bytes | bytearray) else None
    what = "a str" if function == "load" else "a str, or a Loaded from adcalc.load"
    _fail("type", f"{label} must be adcalc source text ({what}), not {_shown(value)}", hint)


def _keys(label: str, value: object) -> None:
    for key in value:  # type: ignore[attr-defined]
        if not isinstance(key, str):
            _fail("type", f"the keys of {label} must be input names (str), not {_shown(key)}")
        if not _NAME.match(key):
            _fail("input", f"{label} has the key {_shown(key)}, which is not a name",
                  "names are ASCII letters, digits and _, not starting with a digit")


def _point(function: str, label: str, value: object, given: Mapping[str, object]) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        _fail("type", f"{label} must be a mapping of input names to values, not {_shown(value)}",
              "e.g. {'x': 1.0, 'y': [1, 2]}")
    _keys(label, value)
    for key in value:
        v = value[key]
        if type(v) is not float:
            _value(f"{label}[{key!r}]", v)


def _direction(function: str, label: str, value: object, given: Mapping[str, object]) -> None:
    if value is None and label in _OPTIONAL.get(function, ()):
        return
    if not isinstance(value, Mapping):
        _fail("type", f"{label} must be a mapping of input names to numbers (like the point), not {_shown(value)}",
              "e.g. {'x': 1.0, 'y': 0.0}")
    _keys(label, value)
    point = given.get("point")
    for key in value:
        shape = _value(f"{label}[{key!r}]", value[key])
        if shape is not None and isinstance(point, Mapping) and key in point and _value("", point[key]) is None:
            _fail("input", f"{label}[{key!r}] must be a number, like point[{key!r}], not an array of shape {shape}")


def _cotangent(function: str, label: str, value: object, given: Mapping[str, object]) -> None:
    _flat_numbers(label, value, "[1.0, 0.0] (one weight per output)")


def _vector(function: str, label: str, value: object, given: Mapping[str, object]) -> None:
    _flat_numbers(label, value, "f([1.0, 2.0]) (one value per input, in the inputs' order)")


def _inputs(function: str, label: str, value: object, given: Mapping[str, object]) -> None:
    if value is None:
        return
    if isinstance(value, str | Mapping) or not isinstance(value, list | tuple):
        _fail("type", f"{label} must be a list of input names, not {_shown(value)}", "e.g. inputs=['x', 'y']")
    seen: set[str] = set()  # a set, not value[:i]: checking n names stays linear in n
    for i, name in enumerate(value):
        if not isinstance(name, str):
            _fail("type", f"{label}[{i}] must be an input name (str), not {_shown(name)}")
        if not _NAME.match(name):
            _fail("input", f"{label}[{i}] is {_shown(name)}, which is not a name")
        if name in seen:
            _fail("input", f"{label} names '{name}' twice")
        seen.add(name)


def _mode(function: str, label: str, value: object, given: Mapping[str, object]) -> None:
    if isinstance(value, str) and value in _MODES or value is None and label in _OPTIONAL.get(function, ()):
        return
    choices = " or ".join(repr(m) for m in _MODES) + (" (or None to choose)" if function == "jacobian" else "")
    if not isinstance(value, str):
        _fail("type", f"{label} must be {choices}, not {_shown(value)}")
    if value not in _MODES:
        _fail("usage", f"{label} must be {choices}, not {_shown(value)}")


def _flag(function: str, label: str, value: object, given: Mapping[str, object]) -> None:
    if value is not True and value is not False:
        _fail("type", f"{label} must be True or False, not {_shown(value)}")


def _limit(function: str, label: str, value: object, given: Mapping[str, object]) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        _fail("type", f"{label} must be a whole number (an int) of at least 1, or None, not {_shown(value)}")
    if value < 1:
        _fail("usage", f"{label} must be at least 1, not {value}", "None gives the default limit")


def _order(function: str, label: str, value: object, given: Mapping[str, object]) -> None:
    from adcalc.ops.higher import MAX_ORDER

    if not isinstance(value, int) or isinstance(value, bool):
        _fail("type", f"{label} must be a whole number (an int) from 1 to {MAX_ORDER}, not {_shown(value)}")
    if not 1 <= value <= MAX_ORDER:
        _fail("input", f"{label} must be a whole number from 1 to {MAX_ORDER}, not {value}")


def _wrt(function: str, label: str, value: object, given: Mapping[str, object]) -> None:
    if value is None:
        return
    if isinstance(value, str):
        return
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        _fail("type", f"{label} must be input names (a str, or a list of str) or None, not {_shown(value)}",
              "e.g. wrt='x' or wrt=['x', 'y']")


def _delta(function: str, label: str, value: object, given: Mapping[str, object]) -> None:
    if value is None:
        return
    _number(label, value)
    step = float(value)  # type: ignore[arg-type]
    if not (step > 0 and step != float("inf")):
        _fail("input", f"{label} (the finite-difference step) must be a finite number above 0, not {step:g}",
              "e.g. delta=0.01")


def _options(function: str, label: str, value: object, given: Mapping[str, object]) -> None:
    """``check``'s keyword options: the limits and ``strict`` that every sweep it runs accepts."""
    from adcalc.ops import derivatives as api

    known = set.intersection(*(_keyword_names(f) for f in (api.jacobian, api.jvp, api.vjp))) - {"mode", "trace"}
    for name, option in value.items():  # type: ignore[attr-defined]
        if name not in known:
            _fail("usage", f"{function}() has no option {name!r}", "its options are " + ", ".join(sorted(known)))
        check = _CHECKS.get(name)
        if check is not None:
            check(function, name, option, given)


def _keyword_names(f: Callable[..., object]) -> set[str]:
    code = f.__code__
    return set(code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount])


_CHECKS: dict[str, Callable[[str, str, object, Mapping[str, object]], None]] = {
    "source": _source, "text": _source, "point": _point, "direction": _direction, "cotangent": _cotangent,
    "x": _vector, "inputs": _inputs, "mode": _mode, "strict": _flag, "trace": _flag, "order": _order,
    "wrt": _wrt, "delta": _delta, "limits": _options, **{name: _limit for name in _LIMITS},
}


def arguments(function: str, given: Mapping[str, object]) -> None:
    """Check the arguments ``given`` (name → value, in the signature's order) of the public
    ``function``; raise ``AdcalcError`` (kind ``type``, ``input`` or ``usage``) naming the first bad one."""
    for name, value in given.items():
        check = _CHECKS.get(name)
        if check is not None:
            check(function, name, value, given)
