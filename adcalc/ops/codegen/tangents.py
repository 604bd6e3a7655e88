"""Forward mode as an IR-to-IR transformation: the program that computes a value and its tangent.

Contract: ``jvp_program(program)`` returns a ``Program`` whose functions compute, besides their
values, the directional derivative along the tangents of their parameters: function ``g(a, b)``
becomes ``g(a, b, da, db)`` returning ``(values…, tangents…)``.  Its main function takes
``(x₁ … xₙ, dx₁ … dxₙ)`` and returns ``[y₁ … yₘ, ẏ₁ … ẏₘ]``.  Reverse-mode code generated from it
(``module.generate(…, "reverse")``) gives ∇ₓ(ẏ·w) = (w·∇²y)·ẋ: the Hessian-vector product,
reverse-over-forward, with no interpreter and no dual numbers at run time.

The tangent of ``v = p(a₁ … aₖ)`` is ``dv = Σᵢ ∂ᵢp(a) ⊙ daᵢ`` where ``⊙`` is the zero rule of
forward mode (``tmul``: a product with an exact zero factor is 0, so ``inf · 0`` never makes a
nan) and ``∂ᵢp`` is the registry's own partial rule, *traced*: evaluated on symbolic values whose
arithmetic writes IR steps (``G.cos(a)`` becomes ``v = cos(a)``), so the derivative of each
partial is again the registry's.  Partials that branch on a value are written here with the
language's own ``where`` (``pow``, ``hypot``), and partials that are piecewise constant
(``max``/``min`` weights, ``where``'s choice) become one opaque step ``partial:NAME:I`` whose own
derivative is 0 (``templates`` writes its value).  Control flow, calls and loops are kept: a
loop counter's tangent is 0 in every iteration; an element read ``x[i]`` of an array input has
the tangent ``dx[i]`` (the direction's array, read at the same index).
"""

from __future__ import annotations

from adcalc.errors import AdcalcError
from adcalc.language import ir
from adcalc.ops.codegen.arrays import whole_arrays
from adcalc.ops.codegen.arraytangents import array_tangent, refusal, zero_rule_product
from adcalc.ops.codegen.names import ir_names
from adcalc.rules.registry import REGISTRY, G

TMUL = "tmul"  # the zero-rule product of a partial and a tangent (codegen only: templates.py)
LOCALLY_CONSTANT = frozenset({"max", "min", "where"})  # partials whose own derivative is 0


def opaque(prim: str, i: int) -> str:
    """The name of the step computing ∂ᵢprim as one opaque, locally constant value."""
    return f"partial:{prim}:{i}"


class _Untraceable(Exception):  # noqa: N818 - internal signal
    """A partial rule asked for a value (it branches): it cannot be traced."""


def _untraceable(*_: object) -> bool:
    """A comparison of a symbolic value: the rule decides on a value, so it cannot be traced."""
    raise _Untraceable


class _Sym:
    """A symbolic value while tracing a partial rule: its arithmetic appends IR steps."""

    __slots__ = ("atom", "tracer")

    def __init__(self, tracer: _Tracer, atom: ir.Atom):
        self.tracer, self.atom = tracer, atom

    def apply_primitive(self, prim: object, args: tuple) -> object:
        return self.tracer.emit(prim.name, args)  # type: ignore[attr-defined]

    primal = property(_untraceable)  # type: ignore[assignment]
    __bool__ = __float__ = _untraceable

    def __neg__(self) -> object:
        return G.neg(self)


for _op, _prim in (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div")):
    setattr(_Sym, f"__{_op}__", (lambda p: lambda s, o: getattr(G, p)(s, o))(_prim))
    setattr(_Sym, f"__r{_op}__", (lambda p: lambda s, o: getattr(G, p)(o, s))(_prim))
for _cmp in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(_Sym, f"__{_cmp}__", _untraceable)


class _Tracer:
    """Writes the steps of traced partial rules into ``code`` with fresh names."""

    def __init__(self, fresh: _Fresh, code: list, span: object, loops: tuple):
        self.fresh, self.code, self.span, self.loops = fresh, code, span, loops

    def atom_of(self, v: object) -> ir.Atom:
        if isinstance(v, _Sym):
            return v.atom
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _Untraceable
        return _const(float(v))

    def emit(self, prim: str, args: tuple | list) -> _Sym:
        out = self.fresh("p")
        self.code.append(ir.Eqn(out, prim, tuple(self.atom_of(a) for a in args), self.span, self.loops))
        return _Sym(self, ir.Var(out))


def _const(v: float) -> ir.Const:
    return ir.Const(v, repr(v))


class _Fresh:
    """Fresh IR names that no function of the program uses."""

    def __init__(self, taken: set[str]):
        self.taken = set(taken)
        self.counts: dict[str, int] = {}

    def __call__(self, base: str) -> str:
        name = f"_{base}"
        while name in self.taken:
            self.counts[base] = self.counts.get(base, 0) + 1
            name = f"_{base}_{self.counts[base]}" if base[-1:].isdigit() else f"_{base}{self.counts[base]}"
        self.taken.add(name)
        return name


def _partial(tr: _Tracer, prim: str, i: int, args: tuple[ir.Atom, ...], arrays: bool = False) -> ir.Atom:
    """∂ᵢprim at ``args`` as an atom, its steps appended to the tracer's code (``arrays``: a
    whole-array program, whose locally constant partials are IR steps, not opaque ones)."""
    p = REGISTRY[prim]
    if prim == "pow":
        return _pow_partial(tr, i, args, arrays)
    if prim == "hypot":
        both_zero = G.mul(G.eq(_sym(tr, args[0]), 0.0), G.eq(_sym(tr, args[1]), 0.0))
        ratio = G.div(_sym(tr, args[i]), G.hypot(_sym(tr, args[0]), _sym(tr, args[1])))
        return tr.atom_of(G.where(both_zero, 0.0, ratio))
    rules = p.partials
    rule = rules[i] if i < len(rules) else rules[-1]
    if all(isinstance(a, ir.Const) for a in args):
        return _const(float(rule(*[a.value for a in args])))
    mark = len(tr.code)
    try:
        return tr.atom_of(rule(*[_sym(tr, a) if isinstance(a, ir.Var) else a.value for a in args]))
    except _Untraceable:
        del tr.code[mark:]
    if prim not in LOCALLY_CONSTANT:
        raise AdcalcError("type", f"the Hessian code cannot differentiate the partial rule of {prim!r} yet",
                          hint="use the interpreter: adcalc hvp / adcalc hessian")
    if arrays and prim in ("max", "min"):  # rules/ties.py's Extreme.weight: hitᵢ / Σ hits (ties split)
        xs = [_sym(tr, a) for a in args]
        extreme = getattr(G, prim)(*xs)
        hits = [G.eq(x, extreme) for x in xs]
        count = hits[0]
        for h in hits[1:]:
            count = G.add(count, h)
        return tr.atom_of(G.div(hits[i], count))
    if arrays:  # where's array_partials (rules/discrete.py): c != 0 for a, c == 0 for b; 0 for c
        if prim != "where":
            raise refusal(prim, tr.span)
        if i == 0:
            return _const(0.0)
        return tr.atom_of(G.ne(_sym(tr, args[0]), 0.0) if i == 1 else G.eq(_sym(tr, args[0]), 0.0))
    out = tr.fresh("w")
    tr.code.append(ir.Eqn(out, opaque(prim, i), args, tr.span, tr.loops))
    return ir.Var(out)


def _sym(tr: _Tracer, a: ir.Atom) -> object:
    return _Sym(tr, a) if isinstance(a, ir.Var) else a.value


def _pow_partial(tr: _Tracer, i: int, args: tuple[ir.Atom, ...], arrays: bool = False) -> ir.Atom:
    """The registry's pow partials with their special cases: d(x^y)/dx = 0 where y = 0, else
    y·(x+0)^(y−1) — the zero-rule product of y and (x+0)^(y−1), the same values, whose derivative
    in y at y = 0 is (x+0)^(−1) (a ``where`` would make it 0: the Hessian's ∂²(x^y)/∂x∂y at y = 0
    came out without that term); d(x^y)/dy = 0 where x = 0 < y, else x^y·log x (a ``where``)."""
    x, y = (_sym(tr, a) for a in args)
    if i == 0:
        if isinstance(args[1], ir.Const):
            c = args[1].value
            if c == 0.0:
                return _const(0.0)
            return tr.atom_of(G.mul(c, G.pow(G.add(x, 0.0), c - 1.0)))
        power = tr.atom_of(G.pow(G.add(x, 0.0), G.sub(y, 1.0)))
        if not arrays:
            return tr.emit(TMUL, (y, _sym(tr, power))).atom
        out = tr.fresh("p")
        zero_rule_product(args[1], power, out, tr.fresh, tr.code, tr.span, tr.loops)
        return ir.Var(out)
    general = G.mul(G.pow(x, y), G.log(x))
    if isinstance(args[0], ir.Const) and args[0].value != 0.0:
        return tr.atom_of(general)
    return tr.atom_of(G.where(G.mul(G.eq(x, 0.0), G.gt(y, 0.0)), 0.0, general))


def _function(fn: ir.Function, fresh: _Fresh, arrays: bool = False) -> ir.Function:
    tangent = {n: fresh("d" + n.lstrip("_")) for n in ir_names(fn)}

    def dot(a: ir.Atom) -> ir.Atom:
        return ir.Var(tangent[a.name]) if isinstance(a, ir.Var) else _const(0.0)

    code: list = []  # every step that sets a name sets its tangent too, so none needs a start value
    active = _active(fn) if arrays else set()

    def live(a: ir.Atom) -> bool:
        return isinstance(a, ir.Var) and a.name in active
    for k, ins in enumerate(fn.code):
        if isinstance(ins, ir.Eqn) and arrays and ins.prim in REGISTRY and not REGISTRY[ins.prim].elementwise:
            array_tangent(ins, dot, tangent[ins.out], fresh, code, live)  # first: ins may overwrite an argument
            code.append(ins)
        elif isinstance(ins, ir.Eqn) and ins.prim in ("index", "len"):
            if ins.prim == "index":  # an element's tangent is the tangent array's element: dx[i]
                code.append(ins._replace(out=tangent[ins.out], args=(dot(ins.args[0]), *ins.args[1:])))
            else:
                code.append(ir.Move(tangent[ins.out], _const(0.0), ins.span, ins.loops))
            code.append(ins)
        elif isinstance(ins, ir.Eqn):
            prim = REGISTRY.get(ins.prim)
            if prim is None or not prim.elementwise:
                raise AdcalcError("type", "the Hessian code handles programs of numbers only so far",
                                  hint="use the interpreter: adcalc hvp / adcalc hessian")
            tr = _Tracer(fresh, code, ins.span, ins.loops)
            terms: list[tuple[ir.Atom, ir.Atom]] = []  # (partial, tangent); partial None: exactly 1
            for i, a in enumerate(ins.args):
                if not isinstance(a, ir.Var):
                    continue
                p = _partial(tr, ins.prim, i, ins.args, arrays)
                if isinstance(p, ir.Const) and p.value == 0.0:
                    continue
                terms.append((None if isinstance(p, ir.Const) and p.value == 1.0 else p, dot(a)))  # type: ignore
            out = tangent[ins.out]
            if not terms:
                code.append(ir.Move(out, _const(0.0), ins.span, ins.loops))
            elif len(terms) == 1 and terms[0][0] is None:
                if terms[0][1].name != out:  # x = x + 1: the tangent is its own
                    code.append(ir.Move(out, terms[0][1], ins.span, ins.loops))
            else:
                # every term is read before the last step writes the tangent (it may be an argument's)
                atoms = []
                for p, t in terms:
                    if p is None:
                        atoms.append(t)
                        continue
                    name = out if len(terms) == 1 else fresh("t")
                    if arrays:
                        zero_rule_product(p, t, name, fresh, code, ins.span, ins.loops)
                    else:
                        code.append(ir.Eqn(name, TMUL, (p, t), ins.span, ins.loops))
                    atoms.append(ir.Var(name))
                total = atoms[0]
                for k, term in enumerate(atoms[1:], start=2):
                    name = out if k == len(atoms) else fresh("s")
                    code.append(ir.Eqn(name, "add", (total, term), ins.span, ins.loops))
                    total = ir.Var(name)
            code.append(ins)
        elif isinstance(ins, ir.Move):
            code.append(ir.Move(tangent[ins.name], dot(ins.value), ins.span, ins.loops))
            code.append(ins)
        elif isinstance(ins, ir.CallFn):
            outs = tuple(ins.outs) + tuple(tangent[o] for o in ins.outs)
            code.append(ir.CallFn(outs, ins.func, tuple(ins.args) + tuple(dot(a) for a in ins.args),
                                  ins.span, ins.loops))
        elif isinstance(ins, ir.ForNext):
            code.append(ins)
            after = getattr(fn.code[k + 1], "loops", ()) if k + 1 < len(fn.code) else ()
            loops = after if ins.loop in after else (ins.loop,)  # the loops around the body's first step
            code.append(ir.Move(tangent[ins.var], _const(0.0), ins.span, loops))
        elif isinstance(ins, ir.Return):
            code.append(ir.Return(tuple(ins.values) + tuple(dot(v) for v in ins.values), ins.span))
        else:
            code.append(ins)
    params = tuple(fn.params) + tuple(tangent[p] for p in fn.params)
    return fn._replace(params=params, code=tuple(code), n_outputs=2 * fn.n_outputs, vector=True)


def _active(fn: ir.Function) -> set[str]:
    """The names that may depend on a parameter (flow-insensitive, to a fixpoint); any other
    name's tangent is exactly zero everywhere (a literal matrix, zeros(n), len(x))."""
    active = set(fn.params)
    changed = True
    while changed:
        changed = False
        for ins in fn.code:
            if isinstance(ins, ir.Eqn) and ins.prim not in ("zeros", "ones", "len"):
                outs, args = (ins.out,), ins.args
            elif isinstance(ins, ir.Move):
                outs, args = (ins.name,), (ins.value,)
            elif isinstance(ins, ir.CallFn):
                outs, args = tuple(ins.outs), ins.args
            else:
                continue
            if any(isinstance(a, ir.Var) and a.name in active for a in args) and not active.issuperset(outs):
                active.update(outs)
                changed = True
    return active


def jvp_program(program: ir.Program, arrays: bool = False) -> ir.Program:
    """The program computing values and tangents (see the module docstring); ``arrays``: for NumPy
    code even when the program is of numbers (its inputs will be arrays)."""
    taken = {n for fn in (*program.functions.values(), program.main) for n in ir_names(fn)}
    fresh = _Fresh(taken)
    arrays = arrays or whole_arrays(program)  # array steps get IR tangents, and the zero-rule product IR steps
    functions = {name: _function(fn, fresh, arrays) for name, fn in program.functions.items()
                 if fn is not program.main}
    main = _function(program.main, fresh, arrays)
    if program.main.name in program.functions:
        functions[program.main.name] = main
    return program._replace(functions=functions, main=main)
