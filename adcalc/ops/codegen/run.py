"""Loading generated code, and checking it against the interpreter.

Contract: ``load_module(text)`` executes a module that ``module.generate`` wrote — adcalc's own
text, made from the IR with names the grammar allows, never a file and never user text — and
returns its namespace.  ``check(loaded, text, point)`` runs the generated entry points at
``point`` and compares them with the interpreter: the value with eval mode, ``f_jvp`` along
each input's unit direction with forward mode, ``f_vjp`` (every output's unit cotangent) with
reverse mode.  Equal means equal as floats (nan equals nan; the sign of a zero derivative may
differ, see README); the result lists every difference.
"""

from __future__ import annotations

from collections.abc import Mapping

from adcalc.errors import AdcalcError


def load_module(text: str) -> dict[str, object]:
    """Run a module ``module.generate`` wrote, after ``safety.check_module`` found in it only what
    the generator writes; its namespace.  The one place adcalc executes code it did not ship."""
    from adcalc.ops.codegen.safety import check_module

    code = check_module(text)
    namespace: dict[str, object] = {"__name__": "adcalc_generated"}
    exec(code, namespace)  # noqa: S102 - adcalc's own generated code, checked by safety.check_module
    return namespace


def _same(a: object, b: object) -> bool:
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b)))
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
        if type(v) is not float:
            raise AdcalcError("type", "code generation handles programs of numbers only so far")
        xs.append(v)
    point = {n: point[n] for n in order}
    diffs: list[str] = []
    value = D.evaluate(loaded, point).value
    got = ns["f"](*xs)  # type: ignore[operator]
    if not _same(got, value):
        diffs.append(f"value: generated {got!r}, interpreter {value!r}")
    if modes in ("forward", "both"):
        for j, n in enumerate(order):
            unit = [1.0 if k == j else 0.0 for k in range(len(order))]
            want = D.jvp(loaded, point, dict(zip(order, unit))).tangent
            _, tangent = ns["f_jvp"](*xs, *unit)  # type: ignore[operator]
            if not _same(tangent, want):
                diffs.append(f"f_jvp along {n}: generated {tangent!r}, forward mode {want!r}")
    if modes in ("reverse", "both"):
        n_out = loaded.program.n_outputs  # type: ignore[attr-defined]
        vector = loaded.program.vector_output  # type: ignore[attr-defined]
        for i in range(n_out):
            w = [1.0 if k == i else 0.0 for k in range(n_out)]
            want = D.vjp(loaded, point, w)
            _, bars = ns["f_vjp"](*xs, w if vector or n_out > 1 else 1.0)  # type: ignore[operator]
            wanted = [want.cotangent_result[n] for n in order]
            if not _same(list(bars), wanted):
                diffs.append(f"f_vjp of output {i}: generated {list(bars)!r}, reverse mode {wanted!r}")
    return diffs



def codegen(source: object, mode: str, inputs: str | None, output: str | None, check_it: bool,
            point: Mapping[str, object]) -> str:
    """``adcalc codegen``: the module's text (and, with ``check_it``, a last line saying the check
    passed), or, with ``output``, the module written there and a line saying so."""
    from adcalc.ops import derivatives
    from adcalc.ops.codegen.module import generate

    loaded = derivatives.load(source) if isinstance(source, str) else source
    order = [n.strip() for n in inputs.split(",") if n.strip()] if inputs is not None else None
    text = generate(loaded.program, mode, order, label="adcalc codegen")  # type: ignore[attr-defined]
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
    try:
        with open(output, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except OSError as e:
        raise AdcalcError("input", f"cannot write {output}: {e.strerror or e}",
                          hint="give a path in a folder you can write to") from None
    return f"wrote {output} ({text.count(chr(10))} lines)" + ("\n" + note if note else "")
