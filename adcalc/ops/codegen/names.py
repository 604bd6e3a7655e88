"""Python names for a generated function: the program's own names where it has them.

Contract: ``Names(fn)`` maps every IR name of ``fn`` (inputs, program variables, temporaries
``v3``) to a distinct Python identifier that is not a Python keyword, not a builtin the generated
code calls, and does not start with ``_`` (the generator's own names ``_g``, ``_div``, … all do);
``tangent(n)`` (``dv3``) and ``adjoint(n)`` (``v3_bar``) are distinct from every primal name.
"""

from __future__ import annotations

import builtins
import keyword

from adcalc.language import ir

_TAKEN = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) | {"math", "np"}


def ir_names(fn: ir.Function) -> list[str]:
    """Every name ``fn`` assigns or reads, parameters first, in order of first appearance."""
    seen: dict[str, None] = dict.fromkeys(fn.params)

    def add(atom: object) -> None:
        if isinstance(atom, ir.Var):
            seen.setdefault(atom.name, None)
        elif isinstance(atom, str):
            seen.setdefault(atom, None)

    for ins in fn.code:
        if isinstance(ins, ir.Eqn):
            for a in ins.args:
                add(a)
            add(ins.out)
        elif isinstance(ins, ir.Move):
            add(ins.value)
            add(ins.name)
        elif isinstance(ins, ir.CallFn):
            for a in ins.args:
                add(a)
            for o in ins.outs:
                add(o)
        elif isinstance(ins, ir.ForNext):
            add(ins.var)
        elif isinstance(ins, ir.Return):
            for v in ins.values:
                add(v)
    return list(seen)


def module_names(funcs: dict) -> set[str]:
    """Every name a generated module defines at its top level (``funcs``: IR name → (Python name,
    function)): a program's variable must never shadow one of them."""
    out = {"f", "f_jvp", "f_vjp", "f_grad", "INPUTS", "N_OUTPUTS", "S", "ybar", "it", "value"}
    for pyname, _ in funcs.values():
        out |= {pyname, f"{pyname}_jvp", f"{pyname}_vjp", f"{pyname}_grad", f"_{pyname}_rev"}
    return out


class Names:
    def __init__(self, fn: ir.Function, reserved: set[str] = frozenset(), params_only: bool = False):
        """``params_only``: the parameters' names alone (the same as a whole ``Names`` gives them:
        they come first)."""
        self.used: set[str] = set(_TAKEN) | set(reserved)
        self.primal: dict[str, str] = {}
        self.tangents: dict[str, str] = {}
        self.adjoints: dict[str, str] = {}
        for n in (dict.fromkeys(fn.params) if params_only else ir_names(fn)):
            # a loop's hidden counter (#v of `for v in x`) loses its mark
            base = n if n.isascii() and n.isidentifier() else "".join(c for c in n if c.isalnum() or c == "_")
            self.primal[n] = self.fresh(base.lstrip("_") or "v")

    def fresh(self, base: str) -> str:
        name = base
        while name in self.used:
            name += "_"
        self.used.add(name)
        return name

    def __getitem__(self, n: str) -> str:
        return self.primal[n]

    def tangent(self, n: str) -> str:
        if n not in self.tangents:
            self.tangents[n] = self.fresh("d" + self.primal[n])
        return self.tangents[n]

    def adjoint(self, n: str) -> str:
        if n not in self.adjoints:
            self.adjoints[n] = self.fresh(self.primal[n] + "_bar")
        return self.adjoints[n]
