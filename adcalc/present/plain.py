"""Numbers as people read them, and the plain-text writer of the one-shot ``eval``/``grad``
result, without Rich.

Contract:
- ``num(v)`` is the one number format of every human-facing view (12 significant digits by
  default; nan, inf, -inf); arrays are one line, abbreviated NumPy-style (``array_text``).
- ``write_result(stream, r, point, tty)`` writes an ``EvalResult`` or a scalar ``GradResult``
  exactly as ``adcalc.present.render`` draws it with Rich — byte for byte, styles included on a
  terminal (bold title and header, dim caption) — and returns False, writing nothing, for
  anything it does not draw identically (arrays, vector values, warnings, traces, lines wider
  than the console).  ``tests/test_plain.py`` compares the two renderings.

Why: Rich is the right tool for the tables, traces and errors, but importing it costs several
times Python's own start-up; the Quickstart command's plain table does not need it (issue #9).
"""

from __future__ import annotations

DIGITS = 12  # significant digits shown to people (the REPL's :digits changes it)


def num(v: float, digits: int | None = None) -> str:
    digits = DIGITS if digits is None else digits
    if v is None:
        return "0"
    if type(v) is not float and hasattr(v, "shape"):
        return array_text(v, digits)
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    return format(v, f".{digits}g")


def array_text(a: object, digits: int | None = None) -> str:
    """An array on one line, abbreviated NumPy-style when long, with its shape when that is not
    obvious: ``[1, 2, 3]``, ``[[1, 2], [3, 4]]``, ``[0, 1, 2, …, 997, 998, 999] (shape 1000)``."""
    import numpy as np

    digits = min(DIGITS if digits is None else digits, 8)
    text = np.array2string(np.asarray(a), separator=", ", threshold=8, edgeitems=3, max_line_width=10**9,
                           formatter={"float_kind": lambda x: num(float(x), digits)})
    text = text.replace("...", "…").replace("\n", "")
    shape = a.shape  # type: ignore[attr-defined]
    if a.size > 8 or len(shape) > 1:  # type: ignore[attr-defined]
        text += " (shape " + "×".join(str(d) for d in shape) + ")"
    return text


def point_text(values: dict[str, float] | None, name: str = "f") -> str:
    """``f(x1=1, x2=2)``"""
    if not values:
        return f"{name}()"
    return f"{name}(" + ", ".join(f"{n}={num(v)}" for n, v in values.items()) + ")"


def value_text(v: float | list[float]) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(num(x) for x in v) + "]"
    return num(v)


def sweeps_text(mode: str, n: int) -> str:
    if mode == "forward":
        extra = " (run together as a tangent vector)" if n > 1 else ""
        return f"{n} forward sweep{'s' if n != 1 else ''}, one per input{extra}"
    return f"{n} reverse sweep{'s' if n != 1 else ''}"


_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def _styled(text: str, style: str, tty: bool) -> str:
    return f"{style}{text}{_RESET}" if tty and text else text


def _table(header: list[str], rows: list[list[str]], tty: bool) -> list[str]:
    """Rich's ``box.SIMPLE_HEAD`` table with ``pad_edge=False, show_edge=False``: the first
    column left-aligned, the others right-aligned, one space of padding inside each cell edge
    that is not the table's edge, a one-space divider, and a rule under the header."""
    n = len(header)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(n)]

    def cells(row: list[str], head: bool) -> str:
        out = []
        for i, text in enumerate(row):
            body = text.ljust(widths[i]) if i == 0 else text.rjust(widths[i])
            left = "" if i == 0 else " "
            right = "" if i == n - 1 else " "
            if head:
                out.append(_styled(left, _BOLD, tty) + _styled(body, _BOLD, tty) + _styled(right, _BOLD, tty))
            else:
                out.append(left + body + right)
        return " ".join(out)

    total = sum(widths) + 2 * (n - 1) + (n - 1)
    return [cells(header, True), "─" * total] + [cells(r, False) for r in rows]


def write_result(stream: object, r: object, point: dict[str, float], tty: bool, width: int) -> bool:
    """Write a plain eval/grad result as Rich would; False (nothing written) if it cannot."""
    from adcalc.ops.results import EvalResult, GradResult

    if r.warnings or r.trace is not None or type(r.value) is not float:  # type: ignore[attr-defined]
        return False
    if any(type(v) is not float for v in point.values()):
        return False
    head = point_text(point)
    if isinstance(r, GradResult):
        if any(type(g) is not float for g in r.gradient.values()):  # type: ignore[attr-defined]
            return False
        rows = [[n, num(point[n]), num(r.gradient[n])] for n in r.inputs]  # type: ignore[attr-defined]
        caption = f"gradient by {r.mode} mode · {sweeps_text(r.mode, r.sweeps)}"  # type: ignore[attr-defined]

        def view(styled: bool) -> list[str]:
            return ([_styled(f"{head} = {num(r.value)}", _BOLD, styled)]  # type: ignore[attr-defined]
                    + _table(["input", "value", "∂f/∂input"], rows, styled) + [_styled(caption, _DIM, styled)])
    elif type(r) is EvalResult:
        def view(styled: bool) -> list[str]:
            return [f"{head} = {num(r.value)}"]  # type: ignore[attr-defined]
    else:
        return False
    if max(len(line) for line in view(False)) > width:
        return False  # Rich would wrap or crop: let it
    lines = view(tty)
    stream.write("\n".join(lines) + "\n")  # type: ignore[attr-defined]
    return True
