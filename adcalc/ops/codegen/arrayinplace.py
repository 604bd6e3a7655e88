"""Elementwise steps of a whole-array function written into arrays nothing reads any more.

Contract: ``in_place(flatten(lines), params)`` returns a straight-line function's lines (``arraymodule``'s,
before ``release`` adds its ``del`` lines) computing the same values with the same NumPy
operations in the same order, each elementwise step whose argument is an array the function made
and reads no more written into that argument (``np.subtract(a, b, out=b)``) where ``_a_dst``
finds at run time that it is a float64 array of the result's shape.  NumPy's own expressions do
this for their temporaries (above 256 KiB); a generated function names every value, so NumPy
cannot, and at a million elements each fresh array costs as much as a pass (the kernel's page
faults).  ``out=`` changes no number: a ufunc computes each element the same way into any array.
"""

from __future__ import annotations

import re

_ASSIGNED = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*) = ")
_WORDS = re.compile(r"(?<![.\w])[A-Za-z_][A-Za-z0-9_]*")
_SHAPE_OF = re.compile(r"_a_shape\(\w+\)")  # reads the shape only: no view of the array
_OPERAND = r"(-?[A-Za-z0-9_.]+)"
_FRESH = (re.compile(rf"^(\s*)(\w+) = \({_OPERAND} ([-+*/]) {_OPERAND}\)$"),  # a binary operator
          re.compile(rf"^(\s*)(\w+) = np\.power\({_OPERAND}, {_OPERAND}\)$"),
          re.compile(r"^(\s*)(\w+) = \(-(\w+)\)$"))  # negation
_ARITHMETIC = re.compile(r"[\w. ()*/+\-,]+")
_CALLS = re.compile(r"([\w.]+)\(")
_UFUNC = {"+": "np.add", "-": "np.subtract", "*": "np.multiply", "/": "np.true_divide"}
_LITERAL = re.compile(r"-?(?:[0-9][0-9.e+-]*|math\.inf|math\.nan)")  # templates.lit
_INNER = re.compile(rf"\({_OPERAND} [-+*/] {_OPERAND}\)|\(-\w+\)|np\.power\({_OPERAND}, {_OPERAND}\)")


def _arithmetic(rhs: str) -> bool:
    """Whether ``rhs`` is operators, parentheses, names, literals and ``np.power``: a fresh result."""
    return rhs.startswith(("(", "np.power(")) and bool(_ARITHMETIC.fullmatch(rhs)) and all(
        c == "np.power" for c in _CALLS.findall(rhs))


def flatten(lines: list[str]) -> list[str]:
    """Each nested operation of an arithmetic line on a line of its own (``_e1 = (v8 * 2.0)``
    before ``v8_bar = (v9_bar * _e1)``): the same operations in the same order (the operands are
    names and literals), so that ``in_place`` can write each into a dying argument."""
    taken = {w for line in lines for w in _WORDS.findall(line)}
    count = 0

    def fresh() -> str:
        nonlocal count
        count += 1
        while f"_e{count}" in taken:
            count += 1
        return f"_e{count}"

    out = []
    for line in lines:
        m = _ASSIGNED.match(line)
        rhs = line[m.end():] if m else ""
        if not m or not _arithmetic(rhs):
            out.append(line)
            continue
        pad = line[:len(line) - len(line.lstrip())]
        while (inner := _INNER.search(rhs)) and inner.group(0) != rhs:
            name = fresh()
            out.append(f"{pad}{name} = {inner.group(0)}")
            rhs = rhs[:inner.start()] + name + rhs[inner.end():]
        out.append(line[:m.end()] + rhs)
    return out


def _owners(lines: list[str]) -> tuple[dict[str, int], set[int], dict[str, list[int]]]:
    """Each name's one assigning line (-1: assigned more than once), the arithmetic lines (their
    results are fresh arrays or numbers), and the lines that read each name (``_a_shape(v)``
    reads no array)."""
    made: dict[str, int] = {}
    fresh: set[int] = set()  # the arithmetic lines (their results are fresh arrays or numbers)
    uses: dict[str, list[int]] = {}
    for k, line in enumerate(lines):
        code = line.split("#")[0]
        m = _ASSIGNED.match(code)
        if m:
            made[m.group(1)] = -1 if m.group(1) in made else k
            if _arithmetic(code[m.end():].strip()):
                fresh.add(k)
        for word in _WORDS.findall(_SHAPE_OF.sub("", code)):
            uses.setdefault(word, []).append(k)
    return made, fresh, uses


def in_place(lines: list[str], params: set[str], numbers: frozenset[str] | set[str] = frozenset(),
             pool: bool = False) -> list[str]:
    """Elementwise steps written into the array of an argument that nothing reads afterwards
    (``np.subtract(a, b, out=b)``): the same NumPy operation, so the same numbers, without a fresh
    array (at a million elements each fresh array costs the kernel's page faults, as much as a pass).
    An argument qualifies when its one assignment is arithmetic (an array the function made,
    never a view), this line reads it last and once, and every earlier line that reads it is
    arithmetic too or takes its shape (``_a_shape``), so nothing holds a view of it; at run time
    ``_a_dst`` checks that it is a float64 array of the result's shape, else NumPy makes a fresh
    one as before.

    ``pool``: a step that has no such argument writes into a buffer ``_a_take(_ws, a, b)`` finds
    (a float64 array of the result's shape, at least 2**15 elements, else None and NumPy makes
    one): one an array this call no longer reads left (``_a_free(_ws, x)``, written after the
    last line that reads an array made once by arithmetic and read only by arithmetic, unless
    that line may have written its result into it), else one an earlier call gave back
    (``arrayhelpers._a_give``: the module's pool), else a new one.  ``numbers``: names known
    to hold numbers (no buffer for them, never a destination; a product of a dying array by one
    of them is skipped where it is the number 1.0 at run time: ``_a_one``).  The function must
    start with ``_ws = ([], [])`` and return through ``_a_give`` (``arraymodule`` writes both)."""
    made, fresh, uses = _owners(lines)

    def dying(x: str, k: int) -> bool:
        """Made once by arithmetic, read last (once) at line k, and read before only by arithmetic
        (never by a call or a move that could keep a view of it)."""
        at = uses.get(x, [])
        return (x not in params and made.get(x, -1) in fresh and at[-1:] == [k] and at.count(k) == 1
                and all(j in fresh for j in at))

    def freed(k: int, dst: str | None) -> list[str]:
        """The arrays whose last reader is line k and that nothing else holds: made once by
        arithmetic, read only by arithmetic, not the array line k may write its result into."""
        return [x for x in last.get(k, []) if x != dst and x not in params and x not in numbers
                and made.get(x, -1) in fresh and all(j in fresh for j in uses[x])]

    last: dict[int, list[str]] = {}
    for x, at in sorted(uses.items()):
        last.setdefault(at[-1], []).append(x)
    out = []
    for k, line in enumerate(lines):
        m = next((m for f in _FRESH if (m := f.match(line))), None)
        dst = None
        if m is not None:
            pad, target, *ops = m.groups()
            if len(ops) == 1:
                only = ops[0]
                ops, call, dst = [only], "np.negative", only if dying(only, k) and only not in numbers else None
                dst_args = ops[0]
            else:
                a, b = (ops[0], ops[2]) if len(ops) == 3 else ops
                call = _UFUNC[ops[1]] if len(ops) == 3 else "np.power"
                ops = [a, b]
                dst = a if dying(a, k) and a not in numbers else (
                    b if dying(b, k) and b not in numbers and call != "np.power" else None)
                dst_args = f"{dst}, {b if dst == a else a}"
            plain = line[len(pad) + len(target) + 3:]
            if dst is not None:
                other = ops[-1] if dst == ops[0] else ops[0]
                write = f"{call}({', '.join(ops)}, out=_d)"
                if call == "np.multiply" and other in numbers and not _LITERAL.fullmatch(other):
                    # a product by the number 1.0 is its other factor, bit for bit: no pass
                    write = f"(_d if _a_one({other}) else {write})"
                line = f"{pad}{target} = {plain} if (_d := _a_dst({dst_args})) is None else {write}"
            elif pool and target not in numbers and not all(o in numbers or _LITERAL.fullmatch(o) for o in ops):
                line = (f"{pad}{target} = {call}({', '.join(ops)}, out=_b) if (_b := _a_take(_ws, {', '.join(ops)})) "
                        f"is not None else {plain}")
        out.append(line)
        if pool and (gone := freed(k, dst)):
            out.append(f"{line[:len(line) - len(line.lstrip())]}_a_free(_ws, {', '.join(gone)})")
    return out
