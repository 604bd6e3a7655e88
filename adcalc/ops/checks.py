"""``check``: automatic derivatives against numbers, side by side.

Contract (the math): for every output fᵢ and input xⱼ it reports forward-mode AD, reverse-mode
AD, the central difference (f(x+h) − f(x−h)) / 2h with h = ε^(1/3)·max(1, |xⱼ|), the one-sided
difference (f(x+h) − f(x)) / h with h = ε^(1/2)·max(1, |xⱼ|) — or both with the step
``delta`` when one is given (the documents' δ = 0.01), and each entry keeps the steps it used —,
their relative errors against
AD, and a sweep over δ = 10⁻¹ … 10⁻¹² showing truncation error (large δ) giving way to
round-off (small δ).  For vector functions it adds the dot-product test
⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩ for random v, w (seeded, so reruns agree).

A check passes when forward and reverse agree to ``AD_TOLERANCE`` (relative) and, for every
entry, some central difference of the sweep agrees with AD to ``FD_TOLERANCE`` relative to
max(1, |AD|).  The tolerances are part of the output.  ``wrt`` checks only those inputs (columns
in its order); the point's other inputs are constants.  Array inputs are checked entry by entry
(each entry labelled as a Jacobian's column, ``x[1]``), array outputs row-major.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from adcalc.errors import AdcalcError
from adcalc.ops import validate
from adcalc.ops.derivatives import evaluate, jacobian, jvp, vjp
from adcalc.ops.driver import Loaded, bind, resolve, size
from adcalc.ops.results import result_type
from adcalc.ops.wrt import select
from adcalc.rules.shapes import entries as flat_entries

EPS = 2.0**-52
AD_TOLERANCE = 1e-10
FD_TOLERANCE = 1e-6
DOT_TOLERANCE = 1e-10
SWEEP = [10.0**-k for k in range(1, 13)]
SEED = 20261122


@dataclass
class Step:
    delta: float
    central: float
    central_error: float
    one_sided: float
    one_sided_error: float


@dataclass
class Entry:
    output: int
    input: str
    forward: float
    reverse: float
    central: float
    one_sided: float
    forward_reverse_error: float
    central_error: float
    one_sided_error: float
    best_central_error: float
    sweep: list[Step]
    ok: bool
    central_delta: float = math.nan  # the steps the central and one-sided differences above used
    one_sided_delta: float = math.nan


CheckResult = result_type("CheckResult", {
    "entries": list, "dot_test": lambda: None, "ok": lambda: True,
    "tolerances": lambda: {"forward_vs_reverse": AD_TOLERANCE, "finite_difference": FD_TOLERANCE,
                           "dot_product": DOT_TOLERANCE}}, "AD against finite differences, entry by entry.")


def rel_error(ad: float, approx: float) -> float:
    if ad == approx:
        return 0.0
    if not (math.isfinite(ad) and math.isfinite(approx)):
        return math.inf
    return abs(ad - approx) / max(1.0, abs(ad))


def _values(loaded: Loaded, point: dict[str, float], m: int, limits: Mapping[str, object]) -> list[float]:
    """The outputs at a perturbed point, under the caller's limits (a perturbation that fails —
    a domain edge — gives nan, which shows as a finite-difference mismatch)."""
    try:
        return flat_entries(evaluate(loaded, point, **limits).value)  # type: ignore[arg-type]
    except AdcalcError as e:
        if e.kind == "limit":
            raise
        return [math.nan] * m


def _moved(value: object, entry: int, offset: float) -> object:
    """``value`` with its entry ``entry`` (row-major) moved by ``offset`` (a copy for an array)."""
    if type(value) is float:
        return value + offset
    moved = value.copy()  # type: ignore[attr-defined]
    moved.reshape(-1)[entry] += offset
    return moved


def _gauss(rng: random.Random, like: object) -> object:
    """A random direction with the shape of ``like`` (a number or an array)."""
    if type(like) is float:
        return rng.gauss(0.0, 1.0)
    from adcalc.rules.registry import np

    return np.array([rng.gauss(0.0, 1.0) for _ in range(like.size)]).reshape(like.shape)  # type: ignore[attr-defined]


def check(source: str | Loaded, point: Mapping[str, float], *, delta: float | None = None,
          wrt: str | Sequence[str] | None = None, **limits: object) -> CheckResult:
    """Every entry of the Jacobian by forward AD, reverse AD and finite differences (module
    docstring).  ``delta``: the step of the entry's central and one-sided differences (a number
    > 0; None: the steps that balance truncation against round-off, ε^(1/3) and ε^(1/2) times
    max(1, |x|)); the sweep is the same either way."""
    validate.arguments("check", locals())
    loaded = resolve(source)
    names, values, warnings = bind(loaded, point)
    names = select(names, values, wrt)
    fwd = jacobian(loaded, values, mode="forward", wrt=names, **limits)  # type: ignore[arg-type]
    rev = jacobian(loaded, values, mode="reverse", wrt=names, **limits)  # type: ignore[arg-type]
    m = len(fwd.jacobian)
    base = _values(loaded, dict(values), m, limits)
    entries: list[Entry] = []

    def at(name: str, entry: int, offset: float) -> list[float]:
        return _values(loaded, {**values, name: _moved(values[name], entry, offset)}, m, limits)

    columns = [(name, e) for name in names for e in range(size(values[name]))]  # arrays: entry by entry
    for j, ((name, e), label) in enumerate(zip(columns, fwd.columns)):
        scale = max(1.0, abs(flat_entries(values[name])[e]))
        hc, hs = (EPS ** (1 / 3) * scale, EPS**0.5 * scale) if delta is None else (float(delta), float(delta))
        plus_c, minus_c, plus_s = at(name, e, hc), at(name, e, -hc), at(name, e, hs)
        sweep_points = [(d, at(name, e, d), at(name, e, -d)) for d in SWEEP]
        for i in range(m):
            ad_f, ad_r = fwd.jacobian[i][j], rev.jacobian[i][j]
            central = (plus_c[i] - minus_c[i]) / (2 * hc)
            one_sided = (plus_s[i] - base[i]) / hs
            steps = []
            for d, p, mi in sweep_points:
                c = (p[i] - mi[i]) / (2 * d)
                s = (p[i] - base[i]) / d
                steps.append(Step(d, c, rel_error(ad_r, c), s, rel_error(ad_r, s)))
            best = min([s.central_error for s in steps] + [rel_error(ad_r, central)])
            fr = rel_error(ad_r, ad_f)
            ok = fr <= AD_TOLERANCE and best <= FD_TOLERANCE
            entries.append(Entry(i, label, ad_f, ad_r, central, one_sided, fr, rel_error(ad_r, central),
                                 rel_error(ad_r, one_sided), best, steps, ok, hc, hs))
    dot = None
    if m > 1 and names:
        rng = random.Random(SEED)
        v = {n: _gauss(rng, values[n]) for n in names}
        w = [rng.gauss(0.0, 1.0) for _ in range(m)]
        jv = flat_entries(jvp(loaded, values, v, wrt=names, **limits).tangent)  # type: ignore[arg-type]
        wj = vjp(loaded, values, w, wrt=names, **limits).cotangent_result  # type: ignore[arg-type]
        left = sum(a * b for a, b in zip(jv, w))  # type: ignore[arg-type]
        right = sum(a * b for n in names for a, b in zip(flat_entries(v[n]), flat_entries(wj[n])))
        err = rel_error(left, right)
        dot = {"seed": SEED, "v": v, "w": w, "jv_dot_w": left, "v_dot_jtw": right, "rel_error": err,
               "ok": err <= DOT_TOLERANCE}
    ok = all(e.ok for e in entries) and (dot is None or dot["ok"])
    value = fwd.value if loaded.program.vector_output or not isinstance(fwd.value, list) else fwd.value[0]
    return CheckResult(value, names, "check", 0, warnings + rev.warnings, None, entries, dot, ok)
