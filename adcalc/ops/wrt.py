"""``wrt``: which inputs of the point an operation differentiates; the others are constants.

Contract:
- ``names_of(wrt)``: the names a ``wrt`` value lists — None (every input), a string of names
  separated by commas (``"x"``, ``"x, y"``: what ``--wrt`` and the REPL's ``wrt`` clause give),
  or a sequence of strings.  An empty list, an empty name (``x,,y``) or a name given twice is an
  ``AdcalcError`` (kind ``input``) saying which.
- ``select(names, values, wrt)``: the differentiated inputs, in ``wrt``'s order (every input of
  the point, in point order, when ``wrt`` is None).  A name that is not in the point is an error
  listing the point's inputs.  The operations then run with only these as inputs of the mode (so
  they are the trace's nodes v1 … vk, the gradient's keys, the Jacobian's and Hessian's columns,
  in this order); every other input of the point enters the run as a plain value, a constant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adcalc.errors import AdcalcError, closest, shown

_HINT = "list inputs of the point, separated by commas: --wrt x or --wrt x,y"


def names_of(wrt: str | Sequence[str] | None) -> list[str] | None:
    """The names ``wrt`` lists, checked for empty and repeated names (module docstring)."""
    if wrt is None:
        return None
    listed = [part.strip() for part in wrt.split(",")] if isinstance(wrt, str) else [str(w).strip() for w in wrt]
    if not listed or listed == [""]:
        raise AdcalcError("input", "wrt lists no input", hint=_HINT)
    if "" in listed:
        raise AdcalcError("input", f"wrt has an empty name (at position {listed.index('') + 1} of {len(listed)})",
                          hint=_HINT)
    seen: set[str] = set()
    for name in listed:
        if name in seen:
            raise AdcalcError("input", f"wrt lists '{shown(name)}' twice", hint="give each input once")
        seen.add(name)
    return listed


def select(names: list[str], values: Mapping[str, object], wrt: str | Sequence[str] | None) -> list[str]:
    """The inputs to differentiate, in ``wrt``'s order (module docstring)."""
    listed = names_of(wrt)
    if listed is None:
        return names
    for name in listed:
        if name not in values:
            listing = ", ".join(names) if len(names) <= 12 else ", ".join(names[:12]) + ", …"
            near = closest(name, names)
            raise AdcalcError("input", f"wrt: '{shown(name)}' is not an input of the point ({listing})",
                              hint=f"did you mean {near}?" if near else "name inputs given by --at")
    return listed


def constants(names: list[str], values: Mapping[str, object]) -> list[str]:
    """The inputs of the point held constant (not among ``names``), in point order."""
    chosen = set(names)
    return [n for n in values if n not in chosen]
