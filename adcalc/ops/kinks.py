"""Kinks met by a run: their left and right derivatives, found by one-sided sweeps.

Contract: ``attach_one_sided`` adds to every kink warning of a scalar program the left and right
derivatives along each input that moves the kink (``details["one_sided"]``; with
``details["sides_agree"]`` when both sides give the same numbers along every such input), and
says so in the message: ``one-sided derivatives: ∂f/∂x from the left -1, from the right 1``, or
``both one-sided derivatives agree, so f is differentiable here along a: ∂f/∂a = 0.5 from both
sides`` — and, given the gradient the run computed, when that is not the derivative both sides
agree on.  A tied comparison reported with a kink (``adcalc.transform.notes``) counts its inputs
as moving that kink.
"""

from __future__ import annotations

from collections.abc import Mapping

from adcalc.errors import AdcalcError
from adcalc.ops.driver import Loaded, has_arrays, run_mode
from adcalc.transform.interpreter import Limits
from adcalc.transform.notes import Warning, fmt_number


def attach_one_sided(loaded: Loaded, names: list[str], values: dict[str, float], warnings: list[Warning],
                      limits: Limits, vector: bool, computed: Mapping[str, object] | None = None) -> None:
    """Give every kink warning the left and right derivatives along each input that moves it
    (``one_sided``; ``sides_agree`` when they are the same numbers along every such input).
    ``computed``: the gradient the run gave, so that a kink whose two sides agree on a
    derivative other than the one computed along the path taken says so."""
    kinks = [w for w in warnings if w.kind == "kink" and w.site is not None]
    if not kinks or has_arrays(loaded, values):  # one-sided sweeps are for scalar programs
        return
    from adcalc.transform.onesided import one_sided

    used = [n for n in names if n in loaded.program.inputs]
    try:
        sides, affected = one_sided(lambda mode: run_mode(loaded, mode, names, values, limits, False), used)
    except AdcalcError as e:  # just beside the point the program takes a path that fails
        for w in kinks:
            w.details["one_sided"] = {}
            w.message += f"; no one-sided derivatives: just beside this point the program fails ({e.message})"
        return
    for w in kinks:
        moved = set().union(*(affected.get(id(s), set()) for s in (w.site, *w.also)))
        table = {}
        for n in (n for n in used if n in moved):
            left, right = sides[n]
            table[n] = {"left": left if vector else left[0], "right": right if vector else right[0]}
        w.details["one_sided"] = table
        if table:
            w.details["sides_agree"] = all(_same(t["left"], t["right"]) for t in table.values())
        if table and not vector:
            w.message += "; " + _sides_text(table)
            off = {n: computed[n] for n, t in table.items() if computed is not None and n in computed
                   and _same(t["left"], t["right"]) and computed[n] != t["left"]}
            if off and w.details["sides_agree"]:
                w.message += " — not the " + ", ".join(f"∂f/∂{n} = {fmt_number(v)}" for n, v in off.items()) + \
                             " computed along the path taken"


def _same(left: object, right: object) -> bool:
    """Whether a left and a right derivative (numbers, or lists per output) are the same numbers."""
    return (left == right) if not isinstance(left, list) else all(a == b for a, b in zip(left, right))  # type: ignore


def _sides_text(table: dict[str, dict[str, float]]) -> str:
    """``one-sided derivatives: ∂f/∂x from the left -1, from the right 1`` — or, where the two
    sides agree, ``∂f/∂a = 0.5 from both sides``, and when they agree along every input that
    moves the kink, that f is differentiable there along them."""
    parts = [f"∂f/∂{n} = {fmt_number(t['left'])} from both sides" if _same(t["left"], t["right"]) else
             f"∂f/∂{n} from the left {fmt_number(t['left'])}, from the right {fmt_number(t['right'])}"
             for n, t in table.items()]
    agree = all(_same(t["left"], t["right"]) for t in table.values())
    return ("both one-sided derivatives agree, so f is differentiable here along "
            + ", ".join(table) + ": " if agree else "one-sided derivatives: ") + ", ".join(parts)
