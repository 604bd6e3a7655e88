"""Loading generated code, and checking it against the interpreter.

Contract: ``load_module(text)`` executes a module that ``module.generate`` wrote — adcalc's own
text, made from the IR with names the grammar allows, never a file and never user text — and
returns its namespace.  ``check(loaded, text, point)`` runs the generated entry points at
``point`` and compares them with the interpreter: the value with eval mode, ``f_jvp`` along
each input's unit direction with forward mode, ``f_vjp`` (every output's unit cotangent) with
reverse mode.  Equal means equal as floats (nan equals nan; the sign of a zero derivative may
differ, see README) — for a whole-array module (``arraymodule``), within ``ARRAY_ULPS`` of each
other, the numeric policy's bound for NumPy against ``math`` (a number the interpreter computes
with ``math``, the generated code may compute with NumPy); the result lists every difference.
"""

from __future__ import annotations

from collections.abc import Mapping

from adcalc.errors import AdcalcError, shown


def load_module(text: str) -> dict[str, object]:
    """Run a module ``module.generate`` wrote, after ``safety.check_module`` found in it only what
    the generator writes; its namespace.  The one place adcalc executes code it did not ship."""
    from adcalc.ops.codegen.safety import check_module

    try:
        code = check_module(text)
    except (SyntaxError, RecursionError, MemoryError) as e:  # Python's own limits on nesting
        raise AdcalcError("limit", "the generated code nests its blocks deeper than Python allows "
                          f"({getattr(e, 'msg', None) or type(e).__name__})",
                          hint="run this program with the interpreter (adcalc grad, jvp, vjp …)") from None
    namespace: dict[str, object] = {"__name__": "adcalc_generated"}
    exec(code, namespace)  # noqa: S102 - adcalc's own generated code, checked by safety.check_module
    return namespace


ARRAY_ULPS = 8  # NumPy's SVML kernels (≤ 4 ulps) + glibc's libm (≤ 4 ulps): README, numeric policy


def _ulps(a: float, b: float) -> float:
    """Representable doubles between two floats (0 for +0 and -0; inf unless both are the same inf)."""
    import struct

    if a == b or (a != a and b != b):
        return 0.0
    if a != a or b != b or a - a != 0.0 or b - b != 0.0:
        return float("inf")

    def ordinal(x: float) -> int:
        n = struct.unpack("<q", struct.pack("<d", x))[0]
        return n if n >= 0 else -(n & 0x7FFFFFFFFFFFFFFF)

    return float(abs(ordinal(a) - ordinal(b)))


def _same(a: object, b: object, ulps: float = 0) -> bool:
    if hasattr(a, "tolist") or hasattr(b, "tolist"):  # an array input's adjoint: same shape, same floats
        return (getattr(a, "shape", None) == getattr(b, "shape", None)
                and _same(a.tolist(), b.tolist(), ulps))  # type: ignore[union-attr]
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(_same(x, y, ulps) for x, y in zip(a, b)))
    if ulps and isinstance(a, float) and isinstance(b, float):
        return _ulps(a, b) <= ulps
    return a == b or (a != a and b != b)  # type: ignore[comparison-overlap]


def check(source: object, text: str, point: Mapping[str, object], modes: str = "both") -> list[str]:
    """Every difference between the generated code and the interpreter at ``point`` (empty: none)."""
    from adcalc.ops import derivatives as D

    loaded = D.load(source) if isinstance(source, str) else source
    names = list(loaded.program.inputs)  # type: ignore[attr-defined]
    ns = load_module(text)
    order = [n for n in ns.get("INPUTS", names)]  # type: ignore[union-attr]
    xs = []
    for n in order:
        if n not in point:
            raise AdcalcError("input", f"--check needs a value for every input, and '{n}' has none",
                              hint=f"--at {','.join(f'{m}=…' for m in order)}")
        v = point[n]
        if type(v) is not float and not hasattr(v, "shape"):
            raise AdcalcError("type", f"--check needs a number or an array for '{n}'")
        xs.append(v)
    point = {n: point[n] for n in order}
    ulps = ARRAY_ULPS if "def _a_in(" in text else 0  # a whole-array module (arraymodule)
    diffs: list[str] = []
    value = D.evaluate(loaded, point).value
    got = run_generated(ns["f"], *xs)
    if not _same(got, value, ulps):
        diffs.append(f"value: generated {got!r}, interpreter {value!r}")
    if modes in ("forward", "both"):
        for n, unit in _units(order, point):
            want = D.jvp(loaded, point, dict(zip(order, unit))).tangent
            _, tangent = run_generated(ns["f_jvp"], *xs, *unit)  # type: ignore[misc]
            if not _same(tangent, want, ulps):
                diffs.append(f"f_jvp along {n}: generated {tangent!r}, forward mode {want!r}")
    if modes in ("reverse", "both"):
        n_out = loaded.program.n_outputs  # type: ignore[attr-defined]
        vector = loaded.program.vector_output  # type: ignore[attr-defined]
        for i, (w, seed) in enumerate(_cotangents(value, n_out, vector)):
            want = D.vjp(loaded, point, w)
            _, bars = run_generated(ns["f_vjp"], *xs, seed)  # type: ignore[misc]
            wanted = [want.cotangent_result[n] for n in order]
            if not _same(list(bars), wanted, ulps):
                diffs.append(f"f_vjp of output {i}: generated {list(bars)!r}, reverse mode {wanted!r}")
        if "f_grad" in ns and not vector and n_out == 1 and not hasattr(value, "shape"):
            want = D.grad(loaded, point)
            _, bars = run_generated(ns["f_grad"], *xs)  # type: ignore[misc]
            if not _same(list(bars), [want.gradient[n] for n in order], ulps):
                diffs.append(f"f_grad: generated {list(bars)!r}, reverse mode {want.gradient!r}")
    return diffs


def _cotangents(value: object, n_out: int, vector: bool) -> list[tuple[list[float], object]]:
    """One unit cotangent per output entry: the interpreter's flat weights (arrays row-major) and
    the generated ``f_vjp``'s ``ybar`` (a number, or an array of an array output's shape)."""
    from adcalc.rules.registry import np

    outputs = list(value) if vector or n_out > 1 else [value]  # type: ignore[call-overload]
    sizes = [int(np.size(v)) for v in outputs]
    out = []
    for i, v in enumerate(outputs):
        for flat in range(sizes[i]):
            w = [0.0] * sum(sizes)
            w[sum(sizes[:i]) + flat] = 1.0
            seeds: list[object] = [np.zeros(np.shape(u)) if np.ndim(u) else 0.0 for u in outputs]
            if np.ndim(v):
                seeds[i].flat[flat] = 1.0  # type: ignore[union-attr]
            else:
                seeds[i] = 1.0
            out.append((w, seeds if vector or n_out > 1 else seeds[0]))
    return out


def _units(order: list[str], point: Mapping[str, object]) -> list[tuple[str, list[object]]]:
    """Every unit direction of the point: one per number input, one per element of an array input."""
    from adcalc.rules.registry import np

    zero = [np.zeros(point[n].shape) if hasattr(point[n], "shape") else 0.0 for n in order]  # type: ignore
    out = []
    for j, n in enumerate(order):
        v = point[n]
        if not hasattr(v, "shape"):
            out.append((n, zero[:j] + [1.0] + zero[j + 1:]))
            continue
        for flat in range(v.size):  # type: ignore[attr-defined]
            e = np.zeros(v.shape)  # type: ignore[attr-defined]
            e.flat[flat] = 1.0
            key = ", ".join(str(int(k)) for k in np.unravel_index(flat, v.shape))  # type: ignore[attr-defined]
            out.append((f"{n}[{key}]", zero[:j] + [e] + zero[j + 1:]))
    return out


def run_generated(fn: object, *args: object) -> object:
    """Call a generated entry point; what it raises becomes an ``AdcalcError``: Python's stack
    (deep recursion) a ``limit``, a run-time error of the program (a range bound that is not
    whole, the end of a function without a return) a ``type`` error, as in the interpreter."""
    try:
        return fn(*args)  # type: ignore[operator]
    except RecursionError:
        raise AdcalcError("limit", "the generated code's calls nest deeper than Python's stack allows",
                          hint="run deep recursions with the interpreter (its --max-depth)") from None
    except IndexError:
        raise AdcalcError("index", "the generated code read an element outside its array",
                          hint="valid indices are 0 … n-1, or -n … -1 from the end") from None
    except (ValueError, ArithmeticError) as e:
        raise AdcalcError("type", f"the generated code stopped: {e}") from None



def codegen(source: object, mode: str, inputs: str | None, output: str | None, check_it: bool,
            point: Mapping[str, object], source_path: str | None = None) -> str:
    """``adcalc codegen``: the module's text (and, with ``check_it``, a last line saying the check
    passed), or, with ``output``, the module written there and a line saying so."""
    from adcalc.ops import derivatives
    from adcalc.ops.codegen.module import generate

    loaded = derivatives.load(source) if isinstance(source, str) else source
    order = [n.strip() for n in inputs.split(",") if n.strip()] if inputs is not None else None
    from adcalc.ops.codegen.elements import array_inputs

    try:
        reads = array_inputs(loaded.program)  # type: ignore[attr-defined]
    except AdcalcError:
        reads = {}
    # an array at the point for an input the program does not read element by element: NumPy code
    arrays = any(hasattr(v, "shape") and n not in reads for n, v in point.items())
    text = generate(loaded.program, mode, order, label="adcalc codegen", arrays=arrays)  # type: ignore[attr-defined]
    load_module(text)  # what is printed or written compiles (a clear error for Python's limits)
    note = ""
    if check_it:
        if not point and loaded.program.inputs:  # type: ignore[attr-defined]
            raise AdcalcError("usage", "--check needs the point to check at",
                              hint="add --at " + ",".join(f"{n}=…" for n in loaded.program.inputs))  # type: ignore
        diffs = check(loaded, text, point, mode)
        if diffs:
            raise AdcalcError("check", "the generated code differs from the interpreter: " + "; ".join(diffs),
                              hint="please report it, with this command")
        note = "# check: the generated code agrees with the interpreter at this point"
    if output is None:
        return text.rstrip("\n") + ("\n" + note if note else "")
    write_module(output, text, source_path)
    return f"wrote {shown(output)} ({text.count(chr(10))} lines)" + ("\n" + note if note else "")


def write_module(output: str, text: str, source_path: str | None) -> None:
    """Write the module to ``output`` (``ops.outfile``: a regular file, never the program file)."""
    from adcalc.ops.outfile import write_text

    write_text(output, text, source_path, "module", "program_ad.py")
